"""Open receivables, payables and orders -> the flow table the engine projects.

The flow table is a DataFrame with one row per future movement of cash (an open installment, an
order line's future installment, a recurring occurrence) and the columns in ``FLOW_COLUMNS``.
Days are offsets from ``as_of`` (day 1 is the first forecast day); amounts are integer minor
units, + in and - out. Scenarios change ``amount_minor`` and ``shift``; they never add or remove
rows, so a scenario draws exactly the same random numbers as its base and the difference between
the two is the scenario's effect alone.

Orders: the open remainder of a sale order line (``CashBooks.open_order_lines``: what was not
invoiced on ``as_of``, so an order line and its invoice are never both counted) is expected to
be invoiced on its commitment date, or at once when delivered but not invoiced, otherwise
``ORDER_INVOICE_LAG_DAYS`` after the order date (never before the first forecast day); the
customer's payment term then dates its installments. A purchase line is expected to be billed on
its planned date, then dated by the vendor's payment term.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ledgerpilot.calc.cash.forecast.terms import PaymentTerms
from ledgerpilot.domain.money import to_minor

#: days between a sale order's confirmation and its invoice when no commitment date is set
#: (orders are usually invoiced on delivery within the week)
ORDER_INVOICE_LAG_DAYS = 3
#: spread (standard deviation, days) of the invoice date of an order around its expected date
#: (the default of ``ForecastParams.order_timing_sd_days``)
ORDER_TIMING_SD_DAYS = 3.0

FLOW_COLUMNS = (
    "category",        # receivable, payable, sale_order, purchase_order, recurring
    "source_model",
    "source_id",       # Int64 (NA for recurring flows)
    "source_name",
    "source_ids",      # tuple of record ids behind the flow
    "partner_id",      # Int64
    "partner_name",
    "behaviour_kind",  # "receivable"/"payable": whose delay model applies; "" none
    "use_delay",       # bool: add the partner's payment delay to the due date
    "due",             # int: due date as a day offset from as_of (may be <= 0 when overdue)
    "overdue",         # int: days past due on as_of (negative when not yet due): the item is known unpaid
                       # until then, so the payment-behaviour model draws its delay conditional on that
    "amount_minor",    # int64: + in, - out
    "timing_sd",       # float: extra timing noise (days) in the simulation
    "amount_cv",       # float: relative amount noise in the simulation
    "shift",           # int: days added to the landing day (scenarios)
    "stream",          # run-rate rows: "sales" or "purchases"; "" otherwise
    "level_cv",        # float: relative noise shared by every row of the same stream in a simulation
)


def empty_flow_table() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FLOW_COLUMNS})


def _offset(dates: pd.Series, as_of: dt.date) -> np.ndarray:
    base = np.datetime64(as_of, "D")
    return (pd.to_datetime(dates).to_numpy().astype("datetime64[D]") - base).astype("int64")


def _text(series: pd.Series) -> list[str]:
    return ["" if pd.isna(v) else str(v) for v in series]


def open_item_flows(open_items: pd.DataFrame, as_of: dt.date, digits: int, use_delay: bool) -> pd.DataFrame:
    """Each open receivable/payable installment, at its due date (the engine adds the delay)."""
    items = open_items[open_items["residual"].astype("float64").fillna(0.0).abs() > 0] if len(open_items) else open_items
    if not len(items):
        return empty_flow_table()
    due_dates = items["date_maturity"].where(items["date_maturity"].notna(), items["date"])
    due = _offset(due_dates, as_of)
    kinds = items["kind"].astype(str).to_numpy()
    return pd.DataFrame({
        "category": kinds,
        "source_model": "account.move.line",
        "source_id": items["id"].astype("Int64").to_numpy(),
        "source_name": _text(items["move_name"]),
        "source_ids": [(int(i),) for i in items["id"]],
        "partner_id": items["partner_id"].astype("Int64").to_numpy(),
        "partner_name": _text(items["partner_name"]),
        "behaviour_kind": kinds,
        "use_delay": use_delay,
        "due": due,
        "overdue": -due,
        "amount_minor": to_minor(items["residual"], digits).to_numpy(),
        "timing_sd": 0.0,
        "amount_cv": 0.0,
        "shift": 0,
        "stream": "",
        "level_cv": 0.0,
    })


def transit_flows(paid: pd.DataFrame, as_of: dt.date, digits: int, lags: dict) -> pd.DataFrame:
    """Payments already recorded against an invoice or bill but not on the bank yet: they land
    ``lag`` days after their date (at the earliest on the first forecast day)."""
    if paid is None or not len(paid):
        return empty_flow_table()
    kinds = paid["kind"].astype(str).to_numpy()
    lag_days = np.array([lags[k].days for k in kinds], dtype="int64")
    spread = np.array([lags[k].spread for k in kinds], dtype="float64")
    due = np.maximum(_offset(paid["paid_date"], as_of) + lag_days, 1)
    sign = np.where(kinds == "receivable", 1, -1)
    return pd.DataFrame({
        "category": kinds,
        "source_model": "account.move.line",
        "source_id": paid["item_id"].astype("Int64").to_numpy(),
        "source_name": [f"{name} (paid, not on the bank yet)" for name in _text(paid["move_name"])],
        "source_ids": [(int(i),) for i in paid["item_id"]],
        "partner_id": paid["partner_id"].astype("Int64").to_numpy(),
        "partner_name": _text(paid["partner_name"]),
        "behaviour_kind": "",
        "use_delay": False,
        "due": due,
        "overdue": 0,
        "amount_minor": sign * to_minor(paid["amount"], digits).to_numpy(),
        "timing_sd": spread,
        "amount_cv": 0.0,
        "shift": 0,
        "stream": "",
        "level_cv": 0.0,
    })


def expected_invoice_dates(lines: pd.DataFrame, as_of: dt.date) -> list[dt.date]:
    """The day each open order line is expected to be invoiced (sales) or billed (purchases)."""
    first = as_of + dt.timedelta(days=1)
    out: list[dt.date] = []
    for row in lines.itertuples(index=False):
        if row.kind == "purchase":
            planned = row.date_planned if not pd.isna(row.date_planned) else row.date_order
            day = pd.Timestamp(planned).date() if not pd.isna(planned) else first
        elif not pd.isna(row.commitment_date):
            day = pd.Timestamp(row.commitment_date).date()
        elif (row.qty_delivered or 0) > (row.qty_invoiced or 0):
            day = first
        else:
            ordered = pd.Timestamp(row.date_order).date() if not pd.isna(row.date_order) else as_of
            day = ordered + dt.timedelta(days=ORDER_INVOICE_LAG_DAYS)
        out.append(max(day, first))
    return out


def order_flows(open_order_lines: pd.DataFrame, terms: PaymentTerms, as_of: dt.date, digits: int,
                use_delay: bool, timing_sd: float = ORDER_TIMING_SD_DAYS) -> pd.DataFrame:
    """The not-yet-invoiced remainder of each open order line, one row per future installment;
    ``timing_sd``: the spread (days) of its invoice date in the simulation."""
    lines = open_order_lines
    if lines is None or not len(lines):
        return empty_flow_table()
    lines = lines[lines["remaining_amount"].astype("float64").fillna(0.0) > 0]
    if not len(lines):
        return empty_flow_table()
    amounts = to_minor(lines["remaining_amount"], digits).to_numpy()
    invoice_days = expected_invoice_dates(lines, as_of)
    rows: list[dict] = []
    for row, amount, invoice_day in zip(lines.itertuples(index=False), amounts, invoice_days):
        sale = row.kind == "sale"
        term = None if pd.isna(row.payment_term_id) else int(row.payment_term_id)
        for due, part in terms.installments(term, invoice_day, int(amount), digits):
            rows.append({
                "category": "sale_order" if sale else "purchase_order",
                "source_model": "sale.order.line" if sale else "purchase.order.line",
                "source_id": int(row.id),
                "source_name": "" if pd.isna(row.order_name) else str(row.order_name),
                "source_ids": (int(row.id),),
                "partner_id": None if pd.isna(row.partner_id) else int(row.partner_id),
                "partner_name": "" if pd.isna(row.partner_name) else str(row.partner_name),
                "behaviour_kind": "receivable" if sale else "payable",
                "use_delay": use_delay,
                "due": (due - as_of).days,
                "overdue": -(due - as_of).days,
                "amount_minor": part if sale else -part,
                "timing_sd": timing_sd,
                "amount_cv": 0.0,
                "shift": 0,
                "stream": "",
                "level_cv": 0.0,
            })
    frame = pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
    frame["source_id"] = frame["source_id"].astype("Int64")
    frame["partner_id"] = frame["partner_id"].astype("Int64")
    return frame


def concat_flows(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack flow tables with the engine's dtypes."""
    parts = [_typed(p) for p in parts if len(p)]
    if not parts:
        return _typed(empty_flow_table())
    return _typed(pd.concat(parts, ignore_index=True))


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    return table.astype({
        "source_id": "Int64", "partner_id": "Int64", "use_delay": bool, "due": "int64", "overdue": "int64",
        "amount_minor": "int64", "timing_sd": "float64", "amount_cv": "float64", "shift": "int64", "level_cv": "float64",
        "category": object, "source_model": object, "source_name": object, "partner_name": object,
        "behaviour_kind": object, "stream": object,
    }).reset_index(drop=True)
