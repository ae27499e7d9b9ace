"""How the agent prints figures: money, compact money, percentages, plain numbers, days, sources.

Every number an answer template prints goes through one of these functions, and each output is a
format the grounding check (:mod:`ledgerpilot.agent.grounding`) reads back: ``1,234,567.89 EUR``,
``1.23M EUR``, ``12%``, ``1,234``, ``18 Nov 2026``. Rounding is half-up at the digits shown, so a
printed figure is always within half a unit of the value it came from — exactly the tolerance the
grounding check allows. ``None`` prints as ``n/a``: "no data" is never shown as zero.

The functions never compute new figures (no sums, no differences); they only round and lay out a
value that a tool already returned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ledgerpilot.domain.money import format_amount

#: ISO 4217 currencies whose amounts have no minor unit, and those with three decimals; all others use two
_ZERO_DECIMAL_CURRENCIES = frozenset(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
                                      "UYI", "VND", "VUV", "XAF", "XOF", "XPF"])
_THREE_DECIMAL_CURRENCIES = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])

#: compact scales, largest first: (threshold, divisor, suffix, decimals shown)
_COMPACT_SCALES: tuple[tuple[Decimal, Decimal, str, int], ...] = (
    (Decimal("1e9"), Decimal("1e9"), "bn", 2),
    (Decimal("1e6"), Decimal("1e6"), "M", 2),
    (Decimal("1e3"), Decimal("1e3"), "K", 1),
)

NOT_AVAILABLE = "n/a"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def to_decimal(value: Any, what: str = "value") -> Decimal | None:
    """A figure as an exact Decimal: Decimal, int, float (through its shortest repr), numeric string, or an
    object with an ``amount`` (a :class:`~ledgerpilot.domain.money.Money`). ``None``/"" -> None."""
    if value is None or value == "":
        return None
    if hasattr(value, "amount") and not isinstance(value, (str, bytes)):
        value = value.amount
    if isinstance(value, bool):
        raise TypeError(f"{what}: {value!r} is a yes/no value, not a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, float)):
        result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{what}: {value!r} is not a number") from None
    else:
        raise TypeError(f"{what}: {value!r} ({type(value).__name__}) is not a number")
    if not result.is_finite():
        raise ValueError(f"{what}: {value!r} is not a finite number")
    return result


def currency_digits(currency: str | None) -> int:
    """Decimals of an ISO currency's minor unit (2 unless the currency is known to differ)."""
    code = (currency or "").strip().upper()
    if code in _ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in _THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def _round(value: Decimal, digits: int) -> Decimal:
    rounded = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return rounded + 0 if rounded else abs(rounded)   # never print "-0.00"


def _grouped(value: Decimal, digits: int) -> str:
    return format_amount(value, digits)


def _with_currency(text: str, currency: str | None) -> str:
    code = (currency or "").strip()
    return f"{text} {code}" if code else text


def money(value: Any, currency: str | None = None, digits: int | None = None) -> str:
    """``"1234567.891"`` -> ``"1,234,567.89 EUR"``: grouped, rounded half-up to the currency's decimals
    (``digits`` overrides them); no currency given -> the number alone; ``None`` -> ``n/a``."""
    amount = to_decimal(value, "money")
    if amount is None:
        return NOT_AVAILABLE
    if currency is None and hasattr(value, "currency"):
        currency = value.currency
    shown = currency_digits(currency) if digits is None else int(digits)
    return _with_currency(_grouped(amount, shown), currency)


def compact_money(value: Any, currency: str | None = None) -> str:
    """Money for a headline: ``1.23M EUR``, ``456.8K EUR``, ``2.05bn EUR``; below a thousand as :func:`money`.

    A value that would round up to the next scale moves there (999,960 -> ``1.00M``, never ``1000.0K``).
    """
    amount = to_decimal(value, "compact_money")
    if amount is None:
        return NOT_AVAILABLE
    if currency is None and hasattr(value, "currency"):
        currency = value.currency
    magnitude = abs(amount)
    for index, (threshold, divisor, suffix, digits) in enumerate(_COMPACT_SCALES):
        if magnitude < threshold:
            continue
        if _round(magnitude / divisor, digits) >= 1000 and index > 0:   # rounding pushed it up a scale
            _, divisor, suffix, digits = _COMPACT_SCALES[index - 1]
        sign = "-" if amount < 0 else ""
        return _with_currency(f"{sign}{_grouped(magnitude / divisor, digits)}{suffix}", currency)
    return money(amount, currency)


def pct(ratio: Any, digits: int = 0) -> str:
    """A ratio as a percentage: ``0.12`` -> ``"12%"``, ``pct(0.1256, 1)`` -> ``"12.6%"``; None -> ``n/a``."""
    value = to_decimal(ratio, "pct")
    if value is None:
        return NOT_AVAILABLE
    return f"{_grouped(value * 100, int(digits))}%"


def num(value: Any, digits: int = 0) -> str:
    """A plain figure (count, days, score): ``1234`` -> ``"1,234"``, ``num(4.25, 1)`` -> ``"4.3"``."""
    number = to_decimal(value, "num")
    if number is None:
        return NOT_AVAILABLE
    return _grouped(number, int(digits))


def day(value: Any) -> str:
    """A date as people read it: ``"2026-11-18"`` -> ``"18 Nov 2026"``; a month ``"2026-11"`` -> ``"Nov 2026"``.

    Accepts a date, a datetime or an ISO string (date, datetime or year-month); ``None`` -> ``n/a``.
    """
    if value is None or value == "":
        return NOT_AVAILABLE
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    text = str(value).strip()
    try:
        if len(text) == 7 and text[4] == "-":
            month = dt.date.fromisoformat(text + "-01")
            return f"{_MONTHS[month.month - 1]} {month.year}"
        if len(text) > 10 and text[10] in "T ":
            return day(dt.datetime.fromisoformat(text))
        return day(dt.date.fromisoformat(text))
    except ValueError:
        raise ValueError(f"day: {value!r} is not an ISO date such as 2026-11-18") from None


def link_text(value: Any) -> str:
    """Odoo text placed inside a Markdown link label: characters that would end the label, open another
    link or start emphasis are escaped, line breaks flattened. The text itself is kept as it is in Odoo."""
    text = " ".join(str(value if value is not None else "").split())
    for special in ("\\", "[", "]", "*", "_", "`", "<", ">"):
        text = text.replace(special, "\\" + special)
    return text


def _citation_fields(citation: Any) -> tuple[str, str, str, Any]:
    if isinstance(citation, dict):
        return (str(citation.get("name") or ""), str(citation.get("url") or ""), str(citation.get("model") or ""),
                citation.get("id"))
    return (str(getattr(citation, "name", "") or ""), str(getattr(citation, "url", "") or ""),
            str(getattr(citation, "model", "") or ""), getattr(citation, "id", None))


def sources_markdown(citations: Iterable[Any], limit: int = 8) -> str:
    """The records behind an answer as a Markdown line: ``Sources: [INV/2026/00042](url), [Acme](url) and further records``.

    Citations (toolkit ``Citation`` objects or their dicts) are deduplicated by record; only http(s) links are
    kept (anything else prints as plain text). No citations -> an empty string, so callers can append blindly.
    """
    seen: set[tuple[str, Any]] = set()
    items: list[str] = []
    extra = 0
    for citation in citations:
        name, url, model, record_id = _citation_fields(citation)
        key = (model, record_id) if record_id is not None else ("", name)
        if key in seen or not name:
            continue
        seen.add(key)
        if len(items) >= max(int(limit), 0):
            extra += 1
            continue
        label = link_text(name)
        items.append(f"[{label}]({url})" if url.startswith(("http://", "https://")) and " " not in url
                     and ")" not in url else label)
    if not items:
        return ""
    line = "Sources: " + ", ".join(items)
    if extra:
        line += " and further records"   # no count: every figure in an answer must come from the books
    return line
