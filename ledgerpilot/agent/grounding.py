"""Grounding: every number a written answer states must be a figure the tools returned.

The rule (docs/grounding.md explains it at length):

* **Quotable figures** are the numeric values in the figure fields of successful tool results: JSON numbers
  and strings that are exactly a number (``"1234.50"``). Numbers inside other strings — partner names,
  labels, reasons, record names — are never quotable: that is where planted text such as "report cash
  as 10M" would hide. Nor is any value of a text field (``TEXT_KEYS``: names, partners, references,
  labels, reasons, codes...), even one that is only digits: a partner named "999999999" is text.
* **A number mention** in the text is a figure as people write it: sign, thousands separators
  (``1,234,567.89``; ``1 234 567,89`` and ``1.234.567,89`` where unambiguous), decimals, a scale
  (``K``, ``M``, ``bn``, ``thousand``, ``million``, ``billion``), a percent sign or word; currency
  symbols and codes around it are ignored.
* A mention is **traceable** when some quotable value equals it at the precision shown (``1.2M`` is any
  value that rounds to 1.2 million), ignoring the sign (an "outflow of 5,000" quotes ``-5000``); a
  percentage also matches the ratio (``12%`` quotes ``0.12``) or a value already in percent (``12``).
* **Not mentions**: dates and times in their common forms; record-like identifiers (digits glued to
  letters, slashes, ``#`` or underscores, or joined to words by a dash: ``INV/2026/00042``, ``P00012``,
  ``v1``, ``13-week``); web links and e-mail addresses; list markers at the start of a line
  (``1. ``); an account code after the word "account" (``account 600000``); and Odoo or tool text quoted verbatim from the results (a partner named "Studio 54" quoted
  as it is). A year or a day counts as a date only inside a date pattern: a bare ``2026`` is a number.
  A number that carries a scale or a currency (``10M-ish``, ``10-million``, ``EUR1,234``,
  ``1.2M/month``, "ten million") is always a figure, whatever it is glued to.
  Numbers in the user's question are not quotable — the question is where a user could plant one.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict


class GroundingReport(BaseModel):
    """How many number mentions a text makes, how many trace back to a tool result, and which do not."""

    model_config = ConfigDict(frozen=True)

    checked: int
    traceable: int
    failures: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures and self.traceable == self.checked

    @property
    def share(self) -> float:
        """Share of mentions that are traceable; 1.0 when the text states no number."""
        return 1.0 if self.checked == 0 else self.traceable / self.checked


@dataclass(frozen=True)
class NumberMention:
    """One figure as written in a text: its digits read as a value, the decimals shown, scale and percent."""

    text: str
    start: int
    value: Decimal          # as written, scale applied, sign dropped
    decimals: int           # digits shown after the decimal separator
    scale: Decimal          # 1, 1e3, 1e6 or 1e9
    percent: bool

    @property
    def half_unit(self) -> Decimal:
        """Half of the last digit shown: the widest rounding error the shown figure allows."""
        return Decimal(5).scaleb(-(self.decimals + 1)) * self.scale

    def intervals(self) -> tuple[tuple[Decimal, Decimal], ...]:
        """Magnitudes of the values this mention may quote."""
        low, high = self.value - self.half_unit, self.value + self.half_unit
        if not self.percent:
            return ((low, high),)
        return ((low / 100, high / 100), (low, high))       # a ratio shown as %, or a value already in %


# -- what the text says -------------------------------------------------------------------------------------------

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|"
          r"JAN|FEB|MAR|APR|MAY|JUNE?|JULY?|AUG|SEPT?|OCT|NOV|DEC)\.?")
_ORDINAL = r"(?:st|nd|rd|th)?"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])"

#: dates and times in common forms; a year or day is only ever ignored as part of one of these
_DATE_PATTERNS = (
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\w)",
    r"\b\d{4}-(?:0[1-9]|1[0-2])(?![\w-])",                                  # 2026-11 (a month)
    r"\b\d{4}/\d{1,2}/\d{1,2}\b",                                           # 2026/11/18
    r"\b\d{1,2}[/.]\d{1,2}[/.](?:\d{4}|\d{2})(?![\d.,]*\d)",                # 18/11/2026, 18.11.26
    r"\b(?:0?[1-9]|1[0-2])/\d{4}\b",                                        # 11/2026
    rf"\b{_DAY}{_ORDINAL}(?:\s+of)?\s+{_MONTH}(?:,?\s+\d{{4}})?(?![\w])",      # 18 Nov 2026, 18th of November
    rf"\b{_MONTH}\s+{_DAY}{_ORDINAL}(?![\d,.]\d)(?!\d)(?:,?\s+\d{{4}})?\b",    # Nov 18, 2026
    rf"\b{_MONTH}\s+'?\d{{4}}\b",                                             # November 2026
    r"\b(?:Q[1-4]|H[12])\s*\d{4}\b", r"\b\d{4}\s*(?:Q[1-4]|H[12])\b", r"\bFY\s?\d{2,4}\b",  # Q3 2026, FY 2026
    r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[aApP]\.?[mM]\.?)?(?!\w)",              # 14:30, 2:30 pm
)
_OTHER_IGNORED = (
    r"\]\([^)\s]*\)",                                                        # a Markdown link target
    r"\b(?:https?://|www\.)[^\s<>()\[\]]+",                                  # a bare link
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",                                         # an e-mail address
    r"^[ \t]*(?:[-*+][ \t]+)?\d{1,3}[.)](?=[ \t])",                      # a list marker: "1. ", "2) "
    r"\b(?:[Aa]ccounts?|[Aa]cct\.?|account code)\s+\d{3,10}\b(?![.,]\d)",       # an account code: "account 600000"
)
_IGNORED = re.compile("|".join(f"(?:{p})" for p in _DATE_PATTERNS + _OTHER_IGNORED), re.MULTILINE)

#: a word-like token: digits glued to letters, '/', '#', '_' or dashes (see _is_identifier)
_TOKEN = re.compile(r"#?\w+(?:[/\-#]\w+|\.\w+)*")
_LETTER = re.compile(r"[^\W\d_]")
_CURRENCY_CODES = "EUR|USD|GBP|CHF|JPY|CAD|AUD"
_SCALE_WORDS = "thousand|million|billion|mio|mn|bn|k|K|m|M|B"
#: a figure written as one word: 12, 1.2M, 10k, EUR1, 5EUR
_FIGURE_WORD = re.compile(rf"(?:{_CURRENCY_CODES})?\d+(?:\.\d+)?(?:{_SCALE_WORDS}|pp|{_CURRENCY_CODES})?")
_UNIT_WORDS = {w.lower() for w in _SCALE_WORDS.split("|") + _CURRENCY_CODES.split("|")}


def _is_identifier(token: str) -> bool:
    """Whether a token with digits names something rather than states a figure.

    Identifiers: digits glued to letters (P00012, v1, Q3), slash references (INV/2026/00042), ``#42``,
    ``days_1_30``, and compounds joined by a dash (13-week, 40-day). Figures, never set aside: a number with
    its scale or currency glued on (1.2M, 10k, EUR1,234, 5EUR), a figure per unit (1.2M/month), and a dash
    compound whose number carries a scale (10M-ish, 10-million).
    """
    if not any(c.isdigit() for c in token):
        return False
    if token.startswith("#") or "_" in token:
        return True
    if "/" in token:
        head, *units = token.split("/")
        return not (_FIGURE_WORD.fullmatch(head) and all(unit.isalpha() for unit in units))
    pieces = token.split("-")
    if len(pieces) == 1:
        return not _FIGURE_WORD.fullmatch(token) and bool(_LETTER.search(token))
    for index, piece in enumerate(pieces):
        if _FIGURE_WORD.fullmatch(piece) and (_LETTER.search(piece) or (
                index + 1 < len(pieces) and pieces[index + 1].lower() in _UNIT_WORDS)):
            return False
    return bool(_LETTER.search(token))


_SCALES = {"k": Decimal(10) ** 3, "thousand": Decimal(10) ** 3, "m": Decimal(10) ** 6, "mn": Decimal(10) ** 6,
           "mio": Decimal(10) ** 6, "million": Decimal(10) ** 6, "b": Decimal(10) ** 9, "bn": Decimal(10) ** 9,
           "billion": Decimal(10) ** 9}

_NUMBER = re.compile(r"""
    (?<![\w.,/#])
    (?:[-+\u2212]\s?)?
    (?:(?:[€$£¥]|\b(?:EUR|USD|GBP|CHF|JPY|CAD|AUD)(?![^\W\d_]))\s?)?
    [-+\u2212]?
    (?P<body>
        \d{1,3}(?:,\d{3})+(?:\.\d+)?                             # 1,234,567.89
      | \d{1,3}(?:\.\d{3})+,\d+                                  # 1.234.567,89
      | \d{1,3}(?:\.\d{3}){2,}(?![\d,])                          # 1.234.567
      | \d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[,.]\d+)?            # 1 234 567,89
      | \d+,\d{1,2}(?![\d,])                                     # 1234,5 (a decimal comma: never 3 digits)
      | \d+(?:\.\d+)?                                            # 1234.56
      | \.\d+                                                    # .5
    )
    (?!\d)
    (?:[\s-]?(?P<scale>thousand|million|billion|mio|mn|bn|k|K|m|M|B)(?!\w))?
    (?P<percent>\s?(?:%|percent\b|per\s?cent\b|pct\b|pp\b|percentage\s+points?\b))?
""", re.VERBOSE)


_NUMBER_WORDS = {word: value for value, word in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
     "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"])}
_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                      "ninety": 90})
_NUMBER_WORDS.update({"a": 1, "an": 1})
#: a figure spelled out with its scale: "ten million", "twenty-five thousand", "a billion"
_WORD_FIGURE = re.compile(
    r"\b(?P<tens>" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
    r"(?:[- ](?P<ones>one|two|three|four|five|six|seven|eight|nine))?"
    r"\s+(?P<scale>thousand|million|billion)\b", re.IGNORECASE)


def _body_value(body: str) -> tuple[Decimal, int]:
    """The digits of a mention as a Decimal and the decimals shown, whatever the separator convention."""
    compact = re.sub(r"[ \u00a0\u202f]", "", body)
    if "," in compact and "." in compact:                     # both: the last one is the decimal separator
        if compact.rfind(",") > compact.rfind("."):
            compact = compact.replace(".", "").replace(",", ".")
        else:
            compact = compact.replace(",", "")
    elif "," in compact:
        groups = compact.split(",")
        if len(groups) == 2 and len(groups[1]) != 3:          # 1234,5 -> decimal comma
            compact = compact.replace(",", ".")
        else:
            compact = compact.replace(",", "")
    elif compact.count(".") > 1:                              # 1.234.567 -> European grouping
        compact = compact.replace(".", "")
    decimals = len(compact.split(".")[1]) if "." in compact else 0
    return Decimal(compact), decimals


def _blank(chars: list[str], start: int, end: int) -> None:
    for index in range(start, end):
        if chars[index] != "\n":
            chars[index] = " "


_ESCAPABLE = set("\\[]*_`<>")


def _normalised(text: str) -> tuple[str, list[int]]:
    """``text`` with whitespace runs collapsed to one space and Markdown backslash-escapes dropped, and for each
    character of the result its index in ``text`` — so a phrase is found however the text laid it out."""
    chars: list[str] = []
    where: list[int] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in _ESCAPABLE:
            index += 1
            char = text[index]
        if char.isspace():
            if chars and chars[-1] == " ":
                index += 1
                continue
            char = " "
        chars.append(char)
        where.append(index)
        index += 1
    return "".join(chars), where


def _mask_quoted(chars: list[str], text: str, quoted: Iterable[str]) -> None:
    """Blank every verbatim occurrence of a quoted phrase (whole words only)."""
    phrases = [" ".join(phrase.split()) for phrase in quoted]
    phrases = [phrase for phrase in phrases if phrase]
    if not phrases:
        return
    flat, where = _normalised(text)
    for phrase in phrases:
        start = flat.find(phrase)
        while start >= 0:
            end = start + len(phrase)
            clear_before = not (phrase[0].isalnum() and start > 0 and (flat[start - 1].isalnum() or
                                                                      flat[start - 1] == "_"))
            clear_after = not (phrase[-1].isalnum() and end < len(flat) and (flat[end].isalnum() or
                                                                            flat[end] == "_"))
            if clear_before and clear_after:
                _blank(chars, where[start], where[end - 1] + 1)
            start = flat.find(phrase, start + 1)


def find_mentions(text: str, quoted: Iterable[str] = ()) -> list[NumberMention]:
    """The number mentions of ``text``, after dates, identifiers, links, list markers and ``quoted`` phrases
    (verbatim data from the results) are set aside."""
    chars = list(text)
    _mask_quoted(chars, text, quoted)
    masked = "".join(chars)
    for match in _IGNORED.finditer(masked):
        _blank(chars, match.start(), match.end())
    masked = "".join(chars)
    for match in _TOKEN.finditer(masked):
        if _is_identifier(match.group()):
            _blank(chars, match.start(), match.end())
    masked = "".join(chars)
    mentions = []
    for match in _NUMBER.finditer(masked):
        value, decimals = _body_value(match.group("body"))
        scale_word = match.group("scale")
        percent = bool(match.group("percent"))
        scale = Decimal(1) if percent or not scale_word else _SCALES[scale_word.lower()]
        mentions.append(NumberMention(text=text[match.start():match.end()].strip(), start=match.start(),
                                      value=abs(value) * scale, decimals=decimals, scale=scale, percent=percent))
    for match in _WORD_FIGURE.finditer(masked):
        value = _NUMBER_WORDS[match.group("tens").lower()] + _NUMBER_WORDS.get((match.group("ones") or "").lower(), 0)
        scale = _SCALES[match.group("scale").lower()]
        mentions.append(NumberMention(text=match.group().strip(), start=match.start(), value=Decimal(value) * scale,
                                      decimals=0, scale=scale, percent=False))
    return sorted(mentions, key=lambda mention: mention.start)


# -- what the results say ------------------------------------------------------------------------------------------

_EXACT_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
#: figures of a company's books stay below 10^18; a larger "number" is an identifier that happens to read
#: like one (a proposal's hex id prefix "8e1234567890" is 8 x 10^1234567890, beyond Decimal arithmetic)
_LARGEST_EXPONENT = 18
_NOT_WORDS = {"eur", "usd", "gbp", "chf", "jpy", "k", "m", "mn", "bn", "b", "thousand", "million", "billion",
              "percent", "pct", "pp", "mio"}


def _number_or_none(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, str) and _EXACT_NUMBER.fullmatch(value.strip()):
            number = Decimal(value.strip())
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and number.adjusted() < _LARGEST_EXPONENT else None


_HAS_DIGIT = re.compile(r"\d")


#: keys whose values are text from Odoo or from people, never a figure, even when the text is only digits (a
#: partner named "999999999", a reference "2026", an account code): numbers count only from figure fields
TEXT_KEYS = frozenset({
    "name", "partner", "customer", "vendor", "supplier", "record", "invoice", "bill", "order",
    "reference", "ref", "label", "title", "reason", "description", "summary", "text", "note", "explanation",
    "analytic_account", "position", "budget_name", "owner", "department", "project", "company", "account", "journal",
    "code", "login", "user", "proposed_by", "requested_by", "subject", "message", "detector", "kind", "state",
    "status", "currency", "source", "trend", "move", "partner_name", "display_name", "email",
    "phone", "vat", "street", "city", "zip", "memo", "narration", "payment_reference", "origin", "url"})
_TEXT_SUFFIXES = ("_name", "_ref", "_reference", "_label", "_title", "_text", "_note", "_description", "_code",
                  "_login", "_url")


def _is_text_key(key: Any) -> bool:
    return isinstance(key, str) and (key in TEXT_KEYS or key.endswith(_TEXT_SUFFIXES))


def _collect(results: Sequence[Any]) -> tuple[list[Decimal], list[str]]:
    """One pass over the results: the quotable figures (numeric values of figure fields in ok results, in
    order, without repeats) and the texts that hold digits (strings of ok results' data -- every value of a
    text field among them (a text field's own value; a mapping under it keeps its own keys) --, cited record
    names, errors of failed results)."""
    numbers: list[Decimal] = []
    seen: set[Decimal] = set()
    texts: list[str] = []
    for result in results:
        if not getattr(result, "ok", False):
            error = getattr(result, "error", None)
            if isinstance(error, str) and _HAS_DIGIT.search(error):
                texts.append(error)
            continue
        stack: list[tuple[bool, Any]] = [(False, getattr(result, "data", None) or {})]
        while stack:
            as_text, value = stack.pop()
            if isinstance(value, dict):
                stack.extend(reversed([(_is_text_key(k), v) for k, v in value.items()]))
            elif isinstance(value, (list, tuple)):
                stack.extend(reversed([(as_text, v) for v in value]))
            elif isinstance(value, str) and not _HAS_DIGIT.search(value):
                continue
            elif as_text:
                if isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool):
                    texts.append(str(value))
            else:
                number = _number_or_none(value)
                if number is not None:
                    if number not in seen:
                        seen.add(number)
                        numbers.append(number)
                elif isinstance(value, str):
                    texts.append(value)
        for citation in getattr(result, "citations", ()) or ():
            name = citation.get("name") if isinstance(citation, dict) else getattr(citation, "name", None)
            if isinstance(name, str) and _HAS_DIGIT.search(name):
                texts.append(name)
    return numbers, texts


def quotable_numbers(results: Sequence[Any]) -> list[Decimal]:
    """Every figure an answer may quote: numeric values (and exactly-numeric strings) in the data of ok results."""
    return _collect(results)[0]


def _is_text_with_figures(value: str) -> bool:
    """A string worth setting aside when quoted: it has digits and at least one real word (not a currency code,
    scale or percent word) — so a string that is only a figure ("10M EUR") is never a free pass."""
    if not _HAS_DIGIT.search(value):
        return False
    words = re.findall(r"[^\W\d_]{2,}", value)
    return any(word.lower() not in _NOT_WORDS for word in words)


def _quoted(texts: Iterable[str], within: str | None) -> list[str]:
    flat = _normalised(within)[0] if within is not None else None
    chosen = {text for text in texts
              if (flat is None or " ".join(text.split()) in flat) and _is_text_with_figures(text)}
    # the longest first, so a name containing a shorter name is set aside whole
    return sorted(chosen, key=lambda text: (-len(text), text))


def quoted_texts(results: Sequence[Any], within: str | None = None) -> list[str]:
    """Odoo and tool text from the results that an answer may quote verbatim without its digits being checked:
    strings in the data of ok results, the names of the cited records, and the error of failed results — each
    holding a digit and a real word. ``within``: only those that text actually quotes."""
    return _quoted(_collect(results)[1], within)


class _Magnitudes:
    """Sorted magnitudes of the quotable values, searched by interval."""

    def __init__(self, values: Iterable[Decimal]):
        self._sorted = sorted({abs(v) for v in values})

    def any_within(self, low: Decimal, high: Decimal) -> bool:
        index = bisect_left(self._sorted, low)
        return index < len(self._sorted) and self._sorted[index] <= high


def _traceable(mention: NumberMention, magnitudes: _Magnitudes) -> bool:
    return any(magnitudes.any_within(low, high) for low, high in mention.intervals())


def check_numbers(text: str, results: Sequence[Any]) -> GroundingReport:
    """Check every number mention of ``text`` against the figures of ``results``."""
    text = text or ""
    numbers, texts = _collect(results)
    magnitudes = _Magnitudes(numbers)
    mentions = find_mentions(text, _quoted(texts, text))
    failures = tuple(m.text for m in mentions if not _traceable(m, magnitudes))
    return GroundingReport(checked=len(mentions), traceable=len(mentions) - len(failures), failures=failures)


def mentions_value(text: str, value: Decimal | str | float) -> bool:
    """Does ``text`` state ``value`` in an accepted format (``1.2M``, ``1,234,567.89``, ``12%`` for 0.12 ...)?"""
    number = _number_or_none(value)
    if number is None:
        raise ValueError(f"mentions_value: {value!r} is not a number")
    magnitudes = _Magnitudes([number])
    return any(_traceable(m, magnitudes) for m in find_mentions(text or ""))


__all__ = ["GroundingReport", "NumberMention", "check_numbers", "find_mentions", "mentions_value",
           "quotable_numbers", "quoted_texts"]
