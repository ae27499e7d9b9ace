"""A proposal's figures as a person reads them: labelled values, amounts with separators, shares in per
cent, lists of records as small tables, internal keys and id lists left out (the records are listed
beside the figures, linked into Odoo).

Pure: figures in (the JSON-safe ``Evidence.figures``), :class:`Figure` rows out. A key this module does
not know is still shown, its name written out ("days_apart" -> "Days apart"), its value formatted by
what it looks like; nothing is dropped but ids, keys and the technical scores listed in :data:`HIDDEN`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerpilot.domain.money import format_amount
from ledgerpilot.domain.proposal import to_jsonable

#: Figure keys never shown: internal keys, ids (the records list shows them, linked) and technical detail.
HIDDEN = frozenset({
    "anomaly_key", "line_key", "line_id", "budget_id", "from_line_id", "from_line_key", "to_line_id",
    "hold_order_id", "reverses_proposal_id", "reverses_move_id", "normalised_reference", "scores", "title",
    "currency", "asked_by", "item_id", "move_id", "order_id", "partner_id", "journal_id", "account_id",
    "detector",
})
#: Scores between 0 and 1, shown with two decimals.
SCORES = frozenset({"risk", "score"})
#: Keys whose values are amounts of money in the company currency.
MONEY = frozenset({
    "amount", "total", "planned", "actual", "committed", "available", "burn_rate", "projected_end",
    "projected_total", "transfer_amount", "from_available", "from_projected_total", "from_planned_before",
    "from_planned_after", "to_planned_before", "to_planned_after", "hold_order_amount", "lowest_balance",
    "surplus_level", "surplus", "lowest_after_paying", "residual", "expected_before_lowest", "lift", "gap",
    "threshold", "usual_amount", "usual_low", "usual_high", "first_amount", "second_amount", "round_unit",
    "original_amount", "unit_cost", "usual_unit_cost", "po_price", "value_difference",
    "value_billed_not_received", "prepaid_amount", "balance_before", "median", "spread", "movement",
    "usual_size", "control_balance", "partner_balance", "balance", "debit", "credit", "difference",
})
#: Keys whose values are fractions shown in per cent.
PERCENT = frozenset({"projected_overspend_pct", "hour_share", "weekend_share", "user_share", "unreceived_share",
                     "drift_pct"})
#: words that make an unknown key an amount of money (``value_currency``, ``price_unit``, ...)
MONEY_WORDS = ("amount", "value", "price", "cost", "total", "balance")
#: Better labels than the key written out.
LABELS: Mapping[str, str] = {
    "risk": "Risk", "score": "Detector score", "kind": "Finding", "figures": "About the finding",
    "occurred_on": "Occurred on", "first_seen": "First seen", "factor": "Times the usual amount",
    "z_score": "Robust z-score", "history": "Past amounts compared", "usual_low": "Usual range from",
    "usual_high": "Usual range to", "projected_overspend_pct": "Projected over plan",
    "projected_total": "Projected with commitments", "projected_end": "Projected spending at period end",
    "burn_rate": "Spent per day", "projection_method": "Projection", "date_from": "Period from",
    "date_to": "Period to", "transfer_amount": "Amount to move", "from_available": "Donor line available",
    "from_projected_total": "Donor line projected", "from_planned_before": "Donor plan before",
    "from_planned_after": "Donor plan after", "to_planned_before": "Plan before", "to_planned_after": "Plan after",
    "hold_order_name": "Order to hold", "hold_order_amount": "Still to bill on it",
    "lowest_balance": "Lowest forecast balance", "lowest_date": "Lowest point on",
    "lowest_after_paying": "Lowest point after paying", "due_within_days": "Bills due within (days)",
    "expected_before_lowest": "Expected before the lowest point", "lift": "Lift of the lowest point",
    "gap": "Gap to the threshold", "residual": "Open amount", "days_overdue": "Days overdue",
    "hour_share": "Entries at this hour", "weekend_share": "Entries on weekends",
    "user_share": "Entries in this journal by this user", "journal_history": "Entries in the journal",
    "support": "Times used together", "ratio": "Share of the original",
    "usual_ratio_customer": "Usual share (customer)", "usual_ratio_salesperson": "Usual share (salesperson)",
    "company_median_ratio": "Usual share (company)", "ratio_to_history": "Times the usual unit cost",
    "ratio_to_po": "Times the order price", "po_price": "Order price", "reverses_ref": "Reverses",
    "reverses_date": "Reversed entry dated", "previous_lock_date": "Lock date now",
    "lock_date": "New lock date", "calculation": "Calculation", "rule": "Rule", "reason": "Reason given",
    "due": "Due", "vendor_bills_ever": "Bills from this vendor", "vendor_bills_before": "Bills before the payment",
    "vendor_open_bills": "Open bills then", "next_bill": "Next bill", "next_bill_days": "Days to the next bill",
}


@dataclass(frozen=True)
class Figure:
    """One labelled value; ``table`` (header, rows) when the value is a list of records."""

    label: str
    value: str
    numeric: bool = False
    table: tuple[tuple[str, ...], tuple[tuple[str, ...], ...]] | None = None
    children: tuple[Figure, ...] = field(default_factory=tuple)


def label_of(key: str) -> str:
    if key in LABELS:
        return LABELS[key]
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def money_text(value: Any) -> str:
    number = _decimal(value)
    return str(value) if number is None else format_amount(number, 2)


def number_text(value: Any) -> str:
    """A number as people write it: thousands separated, no trailing zeros past two decimals."""
    number = _decimal(value)
    if number is None:
        return str(value)
    if number == number.to_integral_value():
        return f"{number:,.0f}"
    decimals = -number.normalize().as_tuple().exponent
    return f"{number:,.{min(decimals, 4)}f}"


def percent_text(value: Any) -> str:
    number = _decimal(value)
    if number is None:
        return str(value)
    scaled = number * 100
    digits = 1 if abs(scaled) >= 1 else 3
    return f"{scaled:,.{digits}f}%"


def _value_text(key: str, value: Any) -> tuple[str, bool]:
    """(text, is a number) of one scalar value."""
    if value is None:
        return "none", False
    if key in SCORES and _decimal(value) is not None:
        return f"{_decimal(value):.2f}", True
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if key in PERCENT:
        return percent_text(value), True
    if key in MONEY or (any(word in key for word in MONEY_WORDS) and isinstance(value, str) and "." in value):
        return money_text(value), _decimal(value) is not None
    number = _decimal(value)
    if number is not None:
        return number_text(value), True
    text = str(value)
    if key in ("kind", "rule", "projection_method", "direction", "tier", "detector"):
        text = text.replace("_", " ")
    return text, False


def _is_id_list(key: str, value: Sequence[Any]) -> bool:
    return key.endswith("_ids") or (key.endswith("ids") and all(isinstance(v, int) for v in value))


def _table(key: str, rows: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    columns = [k for k in dict.fromkeys(k for row in rows for k in row) if k not in HIDDEN and not k.endswith("_ids")]
    header = tuple(label_of(k) for k in columns)
    body = tuple(tuple(_value_text(k, row.get(k))[0] if not isinstance(row.get(k), (list, dict))
                       else ", ".join(map(str, row.get(k) or [])) for k in columns) for row in rows)
    return header, body


def figure_of(key: str, value: Any) -> Figure | None:
    """One figure, or None when there is nothing to show (a hidden key, no value, an empty list)."""
    if key in HIDDEN or value is None or value == "":
        return None
    label = label_of(key)
    if isinstance(value, Mapping):
        children = tuple(_flat(value))
        return Figure(label=label, value="", children=children) if children else None
    if isinstance(value, (list, tuple)):
        if not value or _is_id_list(key, value):
            return None
        if all(isinstance(v, Mapping) for v in value):
            return Figure(label=label, value=f"{len(value)}", table=_table(key, value))
        shown = [(_value_text(key, v)[0]) for v in value[:12]]
        more = f" and {len(value) - 12} more" if len(value) > 12 else ""
        return Figure(label=label, value=", ".join(s.replace("_", " ") for s in shown) + more)
    text, numeric = _value_text(key, value)
    return Figure(label=label, value=text, numeric=numeric)


def _flat(values: Mapping[str, Any], prefix: str = "") -> list[Figure]:
    """Nested figures as one level of labelled values ("Scores: odd hour"); lists of records as text."""
    flat = []
    for key, value in values.items():
        if str(key) in HIDDEN:
            continue
        if isinstance(value, Mapping):
            flat.extend(_flat(value, f"{prefix}{label_of(str(key))}: "))
            continue
        figure = figure_of(str(key), value)
        if figure is None:
            continue
        if figure.table is not None:
            header, rows = figure.table
            text = "; ".join(", ".join(f"{h} {c}" for h, c in zip(header, row) if c) for row in rows)
            figure = Figure(label=figure.label, value=text)
        flat.append(Figure(label=prefix + figure.label, value=figure.value, numeric=figure.numeric))
    return flat


def figures_of(figures: Mapping[str, Any]) -> list[Figure]:
    """Every figure worth showing, in the order the calculator gave them; nested ones grouped under their key."""
    values = to_jsonable(dict(figures))
    nested = values.get("figures")
    if isinstance(nested, Mapping):          # a finding's own figures: what the top level says already is left out
        values["figures"] = {k: v for k, v in nested.items() if values.get(k) != v}
    return [f for f in (figure_of(str(k), v) for k, v in values.items()) if f is not None]
