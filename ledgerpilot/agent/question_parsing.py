"""Reading the arguments of a finance question: months and periods, horizons, amounts, what-ifs, references, names.

The offline router picks the tools; this module finds what those tools need in the words of the
question, deterministically and without a model: "November" or "last month" as the ``YYYY-MM`` a
close check wants, "Q3" as the ``2026-Q3`` a budget wants, "next 8 weeks", "below 200k", "if
collections slip 2 weeks", "INV/2026/00042", and the customers, vendors, projects and purchase
orders the books know (:class:`NameIndex`).

Every function takes the question as typed (any case) and returns ``None`` when the question does
not say; the caller decides on a default. References are taken out of the text before periods and
numbers are looked for, so "INV/2026/00042" is never read as the year 2026 or the amount 42.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ledgerpilot.domain.month import Month

# ---------------------------------------------------------------------------------------- numbers

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "couple": 2,
    "a couple of": 2,
}
#: a count in digits or words ("a few" is no number: "the next few weeks" keeps the default horizon)
_COUNT = r"\b(?P<count>\d+|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"


def _count(text: str) -> int:
    text = text.strip().lower()
    return int(text) if text.isdigit() else _NUMBER_WORDS[text]


#: "200k", "1.5M", "EUR 250,000", "250 000", "2 million": an amount with an optional multiplier
_AMOUNT = re.compile(
    r"(?<![\w/.])(?:(?:eur|usd|gbp|chf)\s*|[€$£]\s*)?"
    r"(?P<number>\d{1,3}(?:[,\s]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"\s*(?P<unit>k\b|thousand\b|m\b|mn\b|mio\b|million\b|bn\b|billion\b)?"
    r"(?:\s*(?:eur|usd|gbp|chf)\b)?", re.IGNORECASE)
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mio": 1e6, "million": 1e6,
                "bn": 1e9, "billion": 1e9}


def parse_amount(text: str) -> float | None:
    """"200k" -> 200000.0, "1.5M" -> 1500000.0, "EUR 250,000" -> 250000.0; ``None`` if no amount."""
    match = _AMOUNT.search(text or "")
    if not match:
        return None
    return _amount_of(match)


def _amount_of(match: re.Match) -> float:
    number = float(re.sub(r"[,\s]", "", match.group("number")))
    unit = (match.group("unit") or "").lower()
    return number * _MULTIPLIERS.get(unit, 1.0)


# ------------------------------------------------------------------------------------- references


@dataclass(frozen=True)
class Reference:
    """A record reference written in the question, normalised the way Odoo names the record."""

    name: str
    kind: str            # invoice, refund, bill, entry, purchase_order, sale_order
    start: int
    end: int


_MOVE_REFERENCE = re.compile(r"(?<![\w/])(?P<prefix>[a-z][a-z]{1,5}\d?)/(?P<year>\d{4})(?:/(?P<month>\d{2}))?"
                             r"/(?P<seq>\d{2,6})(?![\w/])", re.IGNORECASE)
_ORDER_REFERENCE = re.compile(r"(?<![\w/])(?P<letter>[ps])(?P<seq>\d{5})(?![\w/])", re.IGNORECASE)
_PO_SHORTHAND = re.compile(r"(?<![\w/])po\s*(?:number\s*|no\.?\s*|#\s*)?(?P<seq>\d{1,5})(?![\w/.,])", re.IGNORECASE)
_MOVE_KINDS = {"INV": "invoice", "RINV": "refund", "BILL": "bill", "RBILL": "refund"}


def find_references(text: str) -> list[Reference]:
    """Every record reference in ``text`` (journal-entry names such as INV/2026/00042 or
    BILL/2026/10/0016, purchase orders P00012 or "PO 12", sale orders S00045), in order."""
    found: list[Reference] = []
    for match in _MOVE_REFERENCE.finditer(text or ""):
        prefix = match.group("prefix").upper()
        name = "/".join(part for part in (prefix, match.group("year"), match.group("month"), match.group("seq"))
                        if part)
        found.append(Reference(name, _MOVE_KINDS.get(prefix, "entry"), match.start(), match.end()))
    for match in _ORDER_REFERENCE.finditer(text or ""):
        letter = match.group("letter").upper()
        found.append(Reference(f"{letter}{match.group('seq')}", "purchase_order" if letter == "P" else "sale_order",
                               match.start(), match.end()))
    for match in _PO_SHORTHAND.finditer(text or ""):
        if not any(r.start <= match.start() < r.end for r in found):
            found.append(Reference(f"P{int(match.group('seq')):05d}", "purchase_order", match.start(), match.end()))
    return sorted(found, key=lambda r: r.start)


def without_references(text: str) -> str:
    """``text`` with every reference blanked out (same length), so its digits are not read as numbers."""
    chars = list(text or "")
    for ref in find_references(text):
        chars[ref.start:ref.end] = " " * (ref.end - ref.start)
    return "".join(chars)


# ------------------------------------------------------------------------------- months and periods

_MONTHS = {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
           "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
           "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12}
_MONTH_NAME = re.compile(r"\b(?P<name>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
                         r"(?:\s*,?\s*(?P<year>(?:19|20)\d{2})\b|\s+'(?P<short>\d{2})\b)?", re.IGNORECASE)
_ISO_MONTH = re.compile(r"(?<![\d/-])(?P<year>(?:19|20)\d{2})-(?P<month>\d{1,2})(?![\d-])")
_SLASH_MONTH = re.compile(r"(?<![\d/])(?P<month>\d{1,2})/(?P<year>(?:19|20)\d{2})(?![\d/])")
_RELATIVE_MONTH = re.compile(r"\b(?P<which>last|previous|prior|this|current|next|coming)\s+month\b"
                             r"|\b(?P<mtd>month[- ]to[- ]date|mtd)\b", re.IGNORECASE)
_QUARTER = re.compile(r"\b(?:(?P<y1>(?:19|20)\d{2})\s*-?\s*q(?P<q1>[1-4])"
                      r"|q(?P<q2>[1-4])(?:\s*(?:fy\s*)?'?(?P<y2>(?:19|20)?\d{2})\b)?"
                      r"|(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter"
                      r"(?:\s+(?:of\s+)?(?P<y3>(?:19|20)\d{2}))?)", re.IGNORECASE)
_ORDINAL_QUARTERS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_RELATIVE_QUARTER = re.compile(r"\b(?P<which>last|previous|prior|this|current|next)\s+quarter\b"
                               r"|\b(?P<qtd>qtd|quarter[- ]to[- ]date)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:fy\s*'?(?P<fy>(?:19|20)?\d{2})"
                   r"|(?:in|for|of|during|year|budget|since)\s+(?P<year>(?:19|20)\d{2})"
                   r"|(?P<bare>(?:19|20)\d{2}))\b(?![-/]\d)", re.IGNORECASE)
_RELATIVE_YEAR = re.compile(r"\b(?P<which>last|previous|prior|this|current|next)\s+(?:fiscal\s+)?year\b"
                            r"|\b(?P<ytd>ytd|year[- ]to[- ]date|full[- ]year(?![\s,:-]*(?:of\s+)?(?:19|20)\d{2}))\b",
                            re.IGNORECASE)
#: "may" is a month only written "May" (or with a year): "may we run short of cash" is not about May
_MAY_AS_VERB = re.compile(r"^may$")


@dataclass(frozen=True)
class PeriodMention:
    """A period the question names: ``label`` is ``2026``, ``2026-Q3`` or ``2026-11``."""

    label: str
    granularity: str     # "year", "quarter" or "month"
    start: int
    end: int

    @property
    def month(self) -> Month | None:
        return Month.parse(self.label) if self.granularity == "month" else None


def _nearest_year(month: int, today: dt.date) -> int:
    """The year of a month named without one: the occurrence closest to today, the past on a tie
    (in November, "December" is next month and "May" the May just gone)."""
    best = min((abs((year * 12 + month) - (today.year * 12 + today.month)), year) for year in
               (today.year - 1, today.year, today.year + 1))
    return best[1]


def _full_year(text: str | None, today: dt.date) -> int | None:
    if not text:
        return None
    value = int(text)
    return value if value >= 100 else 2000 + value if value < 70 else 1900 + value


def find_months(text: str, today: dt.date) -> list[PeriodMention]:
    """Every month the question names ("November", "Nov 2026", "2026-10", "10/2026", "last month"), in order."""
    clean = without_references(text)
    found: list[PeriodMention] = []
    for match in _MONTH_NAME.finditer(clean):
        name = match.group("name")
        year = _full_year(match.group("year") or match.group("short"), today)
        if _MAY_AS_VERB.match(name) and year is None:
            continue
        if name == "mar" and year is None:
            continue  # "mar" in lower case is a verb too often
        number = _MONTHS[name.lower()]
        found.append(PeriodMention(f"{year or _nearest_year(number, today)}-{number:02d}", "month",
                                   match.start(), match.end()))
    for pattern in (_ISO_MONTH, _SLASH_MONTH):
        for match in pattern.finditer(clean):
            month = int(match.group("month"))
            if 1 <= month <= 12:
                found.append(PeriodMention(f"{int(match.group('year'))}-{month:02d}", "month",
                                           match.start(), match.end()))
    for match in _RELATIVE_MONTH.finditer(clean):
        which = (match.group("which") or "this").lower()
        shift = {"last": -1, "previous": -1, "prior": -1, "next": 1, "coming": 1}.get(which, 0)
        found.append(PeriodMention(Month.of(today).shift(shift).label, "month", match.start(), match.end()))
    return _without_overlaps(found)


def find_period(text: str, today: dt.date) -> PeriodMention | None:
    """The first period the question names, as a month, a quarter or a year (the budget period forms)."""
    clean = without_references(text)
    found = list(find_months(text, today))
    for match in _QUARTER.finditer(clean):
        quarter = int(match.group("q1") or match.group("q2") or _ORDINAL_QUARTERS[match.group("ord").lower()])
        year = _full_year(match.group("y1") or match.group("y2") or match.group("y3"), today) or today.year
        found.append(PeriodMention(f"{year}-Q{quarter}", "quarter", match.start(), match.end()))
    for match in _RELATIVE_QUARTER.finditer(clean):
        which = (match.group("which") or "this").lower()
        shift = {"last": -1, "previous": -1, "prior": -1, "next": 1}.get(which, 0)
        index = today.year * 4 + (today.month - 1) // 3 + shift
        found.append(PeriodMention(f"{index // 4}-Q{index % 4 + 1}", "quarter", match.start(), match.end()))
    for match in _RELATIVE_YEAR.finditer(clean):
        which = (match.group("which") or "this").lower()
        year = today.year + {"last": -1, "previous": -1, "prior": -1, "next": 1}.get(which, 0)
        found.append(PeriodMention(str(year), "year", match.start(), match.end()))
    for match in _YEAR.finditer(clean):
        year = _full_year(match.group("fy") or match.group("year") or match.group("bare"), today)
        found.append(PeriodMention(str(year), "year", match.start(), match.end()))
    found = _without_overlaps(found)
    return found[0] if found else None


def find_month(text: str, today: dt.date) -> Month | None:
    """The first month the question names (a close works on months), else ``None``."""
    months = find_months(text, today)
    return months[0].month if months else None


def _without_overlaps(mentions: Iterable[PeriodMention]) -> list[PeriodMention]:
    """Longest mention first wins its characters ("Q3 2026" beats "2026"); the rest in text order."""
    kept: list[PeriodMention] = []
    for mention in sorted(mentions, key=lambda m: (-(m.end - m.start), m.start)):
        if all(mention.end <= k.start or mention.start >= k.end for k in kept):
            kept.append(mention)
    return sorted(kept, key=lambda m: m.start)


# ------------------------------------------------------------------------- horizons and thresholds

_WEEKS = re.compile(r"\b(?:next|coming|over|for|within|in|the)\s+(?:the\s+)?(?:next\s+)?" + _COUNT + r"\s+weeks?\b"
                    r"|\b(?P<count2>\d+)[- ]?(?:weeks?|wk)\b"
                    r"(?=[- ](?:forecast|view|outlook|horizon|projection|window|cash))",
                    re.IGNORECASE)
_MONTHS_AHEAD = re.compile(r"\b(?:next|coming|over|for|within)\s+(?:the\s+)?(?:next\s+)?" + _COUNT + r"\s+months?\b"
                           r"|\b(?:about\s+|around\s+)?" + _COUNT.replace("(?P<count>", "(?P<count2>") +
                           r"\s+months?\s+(?:out|ahead|from now|forward)\b", re.IGNORECASE)
#: "(26 weeks)", "26 weeks out", "8 weeks ahead": a horizon written on its own
_WEEKS_ALONE = re.compile(r"\(\s*(?P<count>\d+)\s*(?:weeks?|wks?)\s*\)|\b(?P<count2>\d+)\s+weeks?\s+"
                          r"(?:out|ahead|from now|forward)\b", re.IGNORECASE)
_QUARTER_AHEAD = re.compile(r"\b(?:next|coming)\s+quarter\b|\bthis\s+quarter\b", re.IGNORECASE)
#: "half a year out", "a year ahead"
_YEAR_AHEAD = re.compile(r"\b(?P<half>half\s+a|a\s+half)?\s*(?:a\s+)?year\s+(?:out|ahead|from now|forward)\b"
                         r"|\b(?P<half2>six months|half a year)\b(?=\s+(?:out|ahead|from now|forward))", re.IGNORECASE)
#: a bare "26 weeks" in a forecast question is its horizon (not "2 weeks late", "3 weeks ago")
_BARE_WEEKS = re.compile(r"\b(?P<count>\d{1,2})\s*(?:weeks?|wks?)\b(?!\s+(?:late|later|ago|overdue|behind|delay|early))",
                         re.IGNORECASE)
MAX_WEEKS = 26


def find_weeks(text: str) -> int | None:
    """The forecast horizon in weeks: "next 8 weeks", "an 8-week view", "over the next 3 months" (13)."""
    clean = without_references(text)
    if match := _WEEKS_ALONE.search(clean):
        return int(match.group("count") or match.group("count2"))
    if match := _WEEKS.search(clean):
        return _count(match.group("count") or match.group("count2"))
    if match := _MONTHS_AHEAD.search(clean):
        return max(1, round(_count(match.group("count") or match.group("count2")) * 52 / 12))
    if match := _YEAR_AHEAD.search(clean):
        return 26 if match.group("half") else 52
    if match := _BARE_WEEKS.search(clean):
        return int(match.group("count"))
    return None


_THRESHOLD = re.compile(r"\b(?:below|under|beneath|less than|lower than|drops? (?:below|under)|dips? (?:below|under)"
                        r"|threshold(?: of)?|floor(?: of)?|minimum(?: of)?|buffer(?: of)?|cushion(?: of)?)\s*(?:of\s+)?"
                        r"(?=[\d€$£]|eur|usd|gbp|chf)", re.IGNORECASE)


#: the amount before its name: "our 50,000 safety level", "with a 250k floor"
_THRESHOLD_AFTER = re.compile(r"\s*(?:cash\s+)?(?:safety\s+(?:level|line|net|buffer|threshold)|floor|buffer|cushion"
                              r"|minimum|threshold|covenant)\b", re.IGNORECASE)


def find_threshold(text: str) -> float | None:
    """A safety threshold for cash: "below 200k", "under EUR 1.5M", "a floor of 250,000", "our 50,000 safety
    level", "with a 250k floor"."""
    clean = without_references(text)
    for amount in _AMOUNT.finditer(clean):
        if _THRESHOLD_AFTER.match(clean, amount.end()) and (amount.group("unit") or _amount_of(amount) >= 1000):
            return _amount_of(amount)
    for match in _THRESHOLD.finditer(clean):
        amount = _AMOUNT.match(clean, match.end())
        if amount:
            value = _amount_of(amount)
            if not (amount.group("unit") is None and value < 1000 and _is_percent_or_days(clean, amount.end())):
                return value
    return None


def _is_percent_or_days(text: str, end: int) -> bool:
    return bool(re.match(r"\s*(?:%|percent|days?|weeks?)", text[end:], re.IGNORECASE))


_PLAIN_COUNT = r"\d+|" + "|".join(k for k in _NUMBER_WORDS if " " not in k and k not in ("a", "an", "couple"))
#: what a list counts: "the 10 clients", "5 suppliers", "3 customers who ..."
_LISTED = (r"clients|customers|suppliers|vendors|debtors|creditors|payers|anomalies|entries|items|invoices|bills"
           r"|proposals|lines|accounts|partners|budget lines|findings|flags|alerts|companies|names|ones")
_TOP = re.compile(r"\b(?:top|first|biggest|largest|worst|riskiest|highest|slowest|latest)\s+" + _COUNT + r"\b"
                  r"|\b(?P<count2>" + _PLAIN_COUNT + r")\s+(?:biggest|largest|worst|riskiest|highest|most|slowest"
                  r"|latest|oldest|riskiest)\b"
                  r"|\b(?P<count3>" + _PLAIN_COUNT + r")\s+(?:\w+\s+)?(?:" + _LISTED + r")\b(?!\s+(?:ago|old))",
                  re.IGNORECASE)


def find_top(text: str) -> int | None:
    """How many to list: "top 10", "the five biggest", "3 riskiest"."""
    match = _TOP.search(without_references(text))
    if not match:
        return None
    value = match.group("count") or match.group("count2") or match.group("count3")
    return _count(value) if value and value.lower() not in ("a", "an") else None


# ------------------------------------------------------------------------------------- what-ifs

_DURATION = re.compile(_COUNT + r"[\s-]+(?P<unit>days?|weeks?|months?)\b", re.IGNORECASE)
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30}


def _duration_days(match: re.Match) -> int:
    return _count(match.group("count")) * _UNIT_DAYS[match.group("unit").lower().rstrip("s")]


def find_duration_days(text: str) -> int | None:
    """The first duration, in days: "2 weeks" -> 14, "ten days" -> 10, "a month" -> 30."""
    match = _DURATION.search(without_references(text))
    return _duration_days(match) if match else None


_DOWN_WORDS = (r"drops?|dropped|falls?|fell|declines?|decreases?|down|lower|shrinks?|shrinking|slumps?|dips?|lose"
               r"|cut|miss|minus|falling|dropping|declining|decreasing|gone|lost|less|wiped|loses|losing|halved"
               r"|tanks?|tanked|collapses?|collapsed|crash(?:es|ed)?|plunges?|plunged|reduced?|reduction"
               r"|slips?|slipped|slipping|slides?|slid|softens?|softened|weakens?|weakened|worse")
_UP_WORDS = r"rises?|grows?|increases?|up|higher|jumps?|climbs?|improves?|plus|gain|beat|boost"
_PERCENT = re.compile(r"(?P<sign>[-+])?\s*(?P<value>\d+(?:\.\d+)?)\s*(?:%|percent\b|pct\b|per cent\b)", re.IGNORECASE)


_PARTS = r"half|third|quarter|fifth|tenth"
_CHANGE = rf"{_DOWN_WORDS}|rises?|grows?|increases?|up|higher|more|jumps?|climbs?|off"
#: a fraction as a change: "by a third", "a quarter down", "down a quarter", "half of it gone", "sales halve";
#: "a quarter" alone is a period ("next quarter"), never a change
_FRACTION = re.compile(rf"\bby\s+(?:a|one)?\s*(?P<part>{_PARTS})\b"
                       rf"|\b(?:a|one)\s+(?P<part2>{_PARTS})\s+(?:of\s+(?:it|them|that|sales|revenue|turnover)\s+)?"
                       rf"(?:{_CHANGE})\b"
                       rf"|\b(?:{_CHANGE})\s+(?:by\s+)?(?:a|one)\s+(?P<part3>{_PARTS})\b"
                       rf"|\b(?P<part4>half)\s+(?:of\s+)?(?:it|them|that|sales|revenue|turnover)\b"
                       r"|\b(?P<verb>halve[sd]?|double[sd]?)\b",
                       re.IGNORECASE)
_FRACTION_PERCENT = {"half": 50.0, "third": round(100 / 3, 2), "quarter": 25.0, "fifth": 20.0, "tenth": 10.0}


def find_percent_change(text: str) -> float | None:
    """A signed change in percent: "sales drop 10%" -> -10.0, "revenue up 5 percent" -> 5.0, "revenue
    shrinking by a quarter" -> -25.0, "sales halve" -> -50.0."""
    clean = without_references(text)
    match = _PERCENT.search(clean)
    if match is not None:
        value = float(match.group("value"))
        if match.group("sign") == "-":
            return -value
        if match.group("sign") == "+":
            return value
    else:
        match = _FRACTION.search(clean)
        if match is None:
            return None
        verb = (match.group("verb") or "").lower()
        if verb:
            return -50.0 if verb.startswith("halve") else 100.0
        part = match.group("part") or match.group("part2") or match.group("part3") or match.group("part4")
        value = _FRACTION_PERCENT[part.lower()]
    window = clean[max(0, match.start() - 40):match.end() + 25].lower()
    downs = [m.start() for m in re.finditer(rf"\b(?:{_DOWN_WORDS})\b", window)]
    ups = [m.start() for m in re.finditer(rf"\b(?:{_UP_WORDS})\b", window)]
    centre = match.start() - max(0, match.start() - 40)
    if downs and (not ups or min(abs(d - centre) for d in downs) <= min(abs(u - centre) for u in ups)):
        return -value
    return value


def percent_direction_stated(text: str) -> bool:
    """Whether a change in ``text`` says its direction ("drop 10%", "+5%", "up by a third") rather than only
    its size ("and by a third?", "what about 20%?"): a follow-up without one keeps the earlier sign."""
    clean = without_references(text)
    if re.search(r"(?<![\w.])[-+]\s*\d", clean):
        return True
    return bool(re.search(rf"\b(?:{_DOWN_WORDS}|{_UP_WORDS}|halve[sd]?|double[sd]?)\b", clean, re.IGNORECASE))


@dataclass(frozen=True)
class ScenarioMention:
    """A what-if the question describes, as the ``cash_scenario`` tool's arguments; ``missing`` names
    what the question does not say and the scenario needs."""

    kind: str
    arguments: dict[str, Any]
    missing: tuple[str, ...] = ()


_DELAY_WORDS = re.compile(r"\b(?:clients?|debtors?|buyers?)\b[^.?!]{0,40}?\b(?:extra|longer|more|later)\b"
                          r"[^.?!]{0,30}?\bto pay\b|"
                          r"\b(?:collections?|receipts?|customers?|clients?|debtors?|receivables?|cash[- ]in|inflows?"
                          r"|payments? from|dso|they)\b[^.?!]{0,60}?\b(?:slips?|slipped|slip|delay(?:ed|s)?|late|later"
                          r"|slow(?:er|s| down)?|lag|push(?:ed)?|stretch(?:es|ed)?|extend(?:s|ed)?|increases?|worsens?)\b"
                          r"|\b(?:delay(?:ed)?|slow(?:er)?|late)\s+"
                          r"(?:collections?|receipts?|customer payments?|payments)\b"
                          r"|\b(?:slips?|delays?|slowdown|lag)\s+(?:in|of|on)\s+(?:our\s+)?(?:customer\s+)?"
                          r"(?:collections?|receipts?|payments?|inflows?)\b"
                          r"|\bpa(?:y|id)\s+" + _COUNT + r"\s+(?:days?|weeks?)\s+late",
                          re.IGNORECASE)
_DEFAULT_WORDS = re.compile(r"\b(?:doesn'?t|does not|don'?t|do not|never|won'?t|will not|can'?t|cannot|fails? to"
                            r"|stops?|stopped)\s+(?:ever\s+)?(?:pay|pays|paid|paying|settle|settles|settled|settling)\b"
                            r"|\bdefaults?\b|\bdefaulted\b|\bdefaulting\b|"
                            r"\b(?:goes?|went|gone|going)\s+(?:bust|bankrupt|under|insolvent|belly up)\b"
                            r"|\bbankrupt(?:cy)?\b|\binsolven(?:t|cy)\b|\bfolds?\b|\bfolded\b|"
                            r"\bnever\s+(?:see|saw|seen|get|got|receive|received|collect|collected)\s+(?:a\s+(?:penny|cent|dime"
                            r"|thing)|anything|any of it|the money|a payment|paid)\b|"
                            r"\bwrite[- ]off\b|\bwe lose\b|\bnon[- ]?payment\b", re.IGNORECASE)
_SALES_WORDS = re.compile(r"\b(?:sales|revenue|revenues|turnover|bookings|orders|top[- ]line|demand)\b", re.IGNORECASE)
_DEFER_WORDS = re.compile(r"\b(?:postpone[sd]?|defer(?:red|s)?|delay(?:ed|s)?|push(?:ed)?(?:\s+back|\s+out)?|move[sd]?|"
                          r"reschedule[sd]?|hold(?:\s+off)?)\b", re.IGNORECASE)


_DURATION_WORDS = _COUNT.replace("(?P<count>", "(?:") + r"[\s-]+(?:days?|weeks?|months?)\b"
#: one party paying later: "30 days late", "another 30 days", "drags their feet 2 weeks", "slips by a month"
_LATE_BY = re.compile(_DURATION_WORDS + r"\s+(?:late|later|longer|extra|more|behind|overdue|past due)\b"
                      r"|\b(?:another|an extra|extra|additional|a further)\s+" + _DURATION_WORDS +
                      r"|\b(?:drag\w*(?: their| its| his| her)? feet|slips?|slipping|slipped|delay\w*|stretch\w*"
                      r"|pays? late|pays? later)\b[^.?!]{0,30}?" + _DURATION_WORDS,
                      re.IGNORECASE)
#: every customer, not one: "if all customers pay later", "collections slip"
_EVERY_CUSTOMER = re.compile(r"\b(?:every|all|each|any)\s+(?:single\s+|of (?:our|the)\s+)?(?:customers?|clients?|debtors?)\b"
                             r"|\bcollections?\b|\b(?:our|the)\s+(?:customers|clients|debtors)\b|\beveryone\b"
                             r"|\breceipts\b|\breceivables\b", re.IGNORECASE)


def find_scenario(text: str, names: NameIndex | None = None) -> ScenarioMention | None:
    """The what-if in the question: collections slipping N days, one customer paying N days later, a
    customer not paying, sales changing by x%, or a purchase order deferred by N weeks. ``None`` when no
    what-if is described."""
    clean = without_references(text)
    orders = [r for r in find_references(text) if r.kind == "purchase_order"]
    if orders and _DEFER_WORDS.search(text):
        days = find_duration_days(clean)
        arguments: dict[str, Any] = {"kind": "defer_po", "purchase_order": orders[0].name}
        if days is None:
            return ScenarioMention("defer_po", arguments, ("how many weeks to defer the order",))
        arguments["weeks"] = max(1, math.ceil(days / 7))
        return ScenarioMention("defer_po", arguments)
    if _DEFAULT_WORDS.search(clean):
        lookup = names.customer(text) if names is not None else NameLookup()
        if lookup.match is not None:
            return ScenarioMention("customer_default", {"kind": "customer_default", "customer": lookup.match.name})
        if not _SALES_WORDS.search(clean) or _PERCENT.search(clean) is None:
            missing = ("which customer does not pay" + (f" ({lookup.ambiguity()})" if lookup.candidates else ""),)
            return ScenarioMention("customer_default", {"kind": "customer_default"}, missing)
    percent = find_percent_change(clean)
    if percent is not None and _SALES_WORDS.search(clean):
        return ScenarioMention("sales_change", {"kind": "sales_change", "percent": percent})
    if _DELAY_WORDS.search(clean) or _LATE_BY.search(clean):
        days = find_duration_days(clean)
        lookup = names.customer(text) if names is not None else NameLookup()
        if lookup.match is not None and not _EVERY_CUSTOMER.search(clean):
            arguments = {"kind": "delay_customer", "customer": lookup.match.name}
            if days is None:
                return ScenarioMention("delay_customer", arguments, (f"how many days later {lookup.match.name} pays",))
            return ScenarioMention("delay_customer", {**arguments, "days": days})
        if days is None:
            return ScenarioMention("delay_collections", {"kind": "delay_collections"},
                                   ("how many days or weeks collections slip",))
        return ScenarioMention("delay_collections", {"kind": "delay_collections", "days": days})
    return None


# ------------------------------------------------------------------------------------------- names

#: legal forms left out when a name is matched ("Pioneer Partners" finds "Pioneer Partners Inc.")
_LEGAL_FORMS = frozenset({"sa", "inc", "corp", "corporation", "llc", "llp", "lp", "bv", "nv", "gmbh", "ag", "ltd",
                          "limited", "plc", "sas", "sarl", "srl", "spa", "co", "company", "oy", "ab", "as", "pty",
                          "kg", "se", "wholesale"})
#: words too common in company names, or in questions, to identify a record on their own
_GENERIC_TEXT = """
services service systems system trading trade retail partners partner builders builder hotels hotel interiors
interior foods food logistics supplies supply software utilities utility legal couriers courier clinics clinic
outfitters real estate group holding holdings international global solutions solution consulting industries
industry company companies enterprises technologies technology tech digital media capital partners associates
management consultants studio labs network networks energy products manufacturing distribution imports exports
the and for with our your their what who how why when which much many cash bank budget budgets project projects
sales order orders invoice invoices bill bills customer customers vendor vendors supplier suppliers payment
payments close month week weeks year quarter last next this late pay pays paid paying overdue open status check
expansion upgrade relaunch automation website warehouse north south east west new
"""
_GENERIC_WORDS = frozenset(_GENERIC_TEXT.split())


def normalise(text: str) -> str:
    """Lower case, accents and punctuation folded to spaces: the form names are compared in."""
    folded = unicodedata.normalize("NFKD", text or "")
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    folded = folded.replace("'s ", " ").replace("’s ", " ")
    return " ".join(re.sub(r"[^\w&]+", " ", folded).split())


def _core_name(name: str) -> str:
    words = normalise(name).split()
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words.pop()
    return " ".join(words)


#: purchase orders a question is likely to be about: not cancelled and not fully billed (the ones a
#: deferral or a budget check concerns), which keeps the read small on books with years of orders
OPEN_ORDERS = [("state", "in", ["draft", "sent", "to approve", "purchase"]), ("invoice_status", "!=", "invoiced")]


@dataclass(frozen=True)
class NameMatch:
    """A known name found in a question; ``exact`` when the whole name (less its legal form) was written."""

    name: str
    kind: str
    exact: bool


@dataclass(frozen=True)
class NameLookup:
    """The outcome of looking for one kind of name: a match, or the candidates when a word fits several."""

    match: NameMatch | None = None
    candidates: tuple[str, ...] = ()

    def ambiguity(self) -> str:
        return "it could be " + " or ".join(self.candidates) if self.candidates else ""


@dataclass(frozen=True)
class NameIndex:
    """The customers, vendors, projects, purchase orders and users the books know, to find them in questions.

    Matching is case-insensitive. The longest known name written in the question wins (legal forms
    such as "Inc." or "SA" may be left out); failing that, a distinctive word of exactly one name
    ("Brightline" for "Brightline Legal LLP") is a match. A word shared by several names is not: the
    lookup returns them as candidates so the answer can ask which one was meant.
    """

    customers: tuple[str, ...] = ()
    vendors: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    purchase_orders: tuple[str, ...] = ()            # open ones (OPEN_ORDERS)
    users: tuple[tuple[str, str], ...] = ()          # (login, name)
    departments: tuple[str, ...] = ()                # analytic accounts that are not a project's
    _forms: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    MEMO_KEY = ("agent", "name_index")

    @classmethod
    def load(cls, ctx) -> NameIndex:
        """The names of ``ctx``'s books, read once per context (``ctx.memo``): one RPC per model."""
        return ctx.memo(cls.MEMO_KEY, lambda: cls.read(ctx.client))

    @classmethod
    def read(cls, client) -> NameIndex:
        """Read the names from Odoo: partners with a customer or supplier rank, projects, open purchase
        orders, internal users and the analytic accounts that are not a project's (departments, cost
        centres); models that are not installed are left empty."""
        partners = client.search_read("res.partner", ["|", ("customer_rank", ">", 0), ("supplier_rank", ">", 0)],
                                      ["name", "customer_rank", "supplier_rank"], order="id asc")
        customers = tuple(p["name"] for p in partners if p.get("name") and (p.get("customer_rank") or 0) > 0)
        vendors = tuple(p["name"] for p in partners if p.get("name") and (p.get("supplier_rank") or 0) > 0)
        projects = purchase_orders = ()
        users: tuple[tuple[str, str], ...] = ()
        if client.has_model("project.project"):
            projects = tuple(r["name"] for r in client.search_read("project.project", [], ["name"], order="id asc")
                             if r.get("name"))
        if client.has_model("purchase.order"):
            purchase_orders = tuple(r["name"] for r in client.search_read("purchase.order", OPEN_ORDERS, ["name"],
                                                                          order="id asc") if r.get("name"))
        if client.has_model("res.users"):
            users = tuple((r["login"], r.get("name") or r["login"])
                          for r in client.search_read("res.users", [("share", "=", False)], ["login", "name"],
                                                      order="id asc") if r.get("login"))
        departments: tuple[str, ...] = ()
        if client.has_model("account.analytic.account"):
            taken = {name.casefold() for name in projects}
            departments = tuple(r["name"] for r in client.search_read("account.analytic.account", [], ["name"],
                                                                      order="id asc")
                                if r.get("name") and r["name"].casefold() not in taken)
        return cls(customers, vendors, projects, purchase_orders, users, departments)

    # -------------------------------------------------------------------------------- lookups

    def customer(self, text: str) -> NameLookup:
        return self._lookup(text, "customer", self.customers)

    def vendor(self, text: str) -> NameLookup:
        return self._lookup(text, "vendor", self.vendors)

    def partner(self, text: str) -> NameLookup:
        """A customer or a vendor (a partner that is both is found once)."""
        both = tuple(dict.fromkeys(self.customers + self.vendors))
        return self._lookup(text, "partner", both)

    def project(self, text: str) -> NameLookup:
        return self._lookup(text, "project", self.projects)

    def department(self, text: str) -> NameLookup:
        """A department (an analytic account that is not a project's) named in ``text``."""
        return self._lookup(text, "department", self.departments)

    def all_names(self) -> tuple[str, ...]:
        """Every name the books know (partners, projects, departments, users): spelling never changes them."""
        return (*self.customers, *self.vendors, *self.projects, *self.departments,
                *(name for pair in self.users for name in pair))

    def user(self, text: str) -> str | None:
        """The login of a user named in ``text`` by login ("controller") or by name ("Chloe Controller")."""
        words = f" {normalise(text)} "
        best: tuple[int, str] | None = None
        for login, name in self.users:
            for form in (normalise(login), normalise(name)):
                if form and f" {form} " in words and (best is None or len(form) > best[0]):
                    best = (len(form), login)
        return best[1] if best else None

    def knows_purchase_order(self, name: str) -> bool:
        return name.upper() in {po.upper() for po in self.purchase_orders}

    def _lookup(self, text: str, kind: str, names: tuple[str, ...]) -> NameLookup:
        if not names:
            return NameLookup()
        words = f" {normalise(without_references(text))} "
        best: tuple[int, str] | None = None
        for name in names:
            for form in self._exact_forms(name):
                if f" {form} " in words and (best is None or len(form) > best[0]):
                    best = (len(form), name)
        if best is not None:
            return NameLookup(NameMatch(best[1], kind, True))
        question_words = set(words.split())
        hits: dict[str, None] = {}
        for word in sorted(question_words):
            owners = [name for name in names if word in self._distinctive_words(name)]
            for owner in owners:
                hits.setdefault(owner, None)
        if len(hits) == 1:
            return NameLookup(NameMatch(next(iter(hits)), kind, False))
        return NameLookup(None, tuple(sorted(hits)))

    def _exact_forms(self, name: str) -> tuple[str, ...]:
        key = ("exact", name)
        if key not in self._forms:
            self._forms[key] = tuple(dict.fromkeys(f for f in (normalise(name), _core_name(name)) if f))
        return self._forms[key]

    def _distinctive_words(self, name: str) -> frozenset[str]:
        key = ("words", name)
        if key not in self._forms:
            self._forms[key] = frozenset(w for w in _core_name(name).split()
                                         if len(w) >= 3 and not w.isdigit() and w not in _GENERIC_WORDS
                                         and w not in _LEGAL_FORMS)
        return self._forms[key]
