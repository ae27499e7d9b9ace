"""The dtypes of the cash-history frames, so that every producer hands the calculators the same shapes.

``calc.cash.history`` lists the columns; this module types them (dates ``datetime64[ns]``, ids
``Int64``, text ``string``, amounts and quantities ``float64``) and builds empty frames, e.g. for
an app that is not installed.
"""

from __future__ import annotations

import pandas as pd

from ledgerpilot.calc.cash.history import FRAMES, PAID_COLUMNS
from ledgerpilot.calc.frame_types import contract_dtype

DATE_COLUMNS = frozenset({"date", "invoice_date", "date_maturity", "max_date", "date_order", "commitment_date",
                          "date_planned", "due_date", "paid_date"})
ID_COLUMNS = frozenset({"id", "move_id", "partner_id", "payment_term_id", "debit_move_id", "credit_move_id",
                        "journal_id", "counterpart_account_id", "order_id", "order_line_id", "item_id",
                        "nb_days"})
FLOAT_COLUMNS = frozenset({"balance", "amount_currency", "amount", "product_uom_qty", "qty_delivered",
                           "qty_invoiced", "price_total", "product_qty", "qty_received", "quantity",
                           "value_amount", "rate", "delay_days", "residual", "residual_booked",
                           "ordered_qty", "remaining_qty", "remaining_amount"})


def column_dtype(column: str) -> str:
    """The contract dtype of a cash-history column (anything not listed is text)."""
    return contract_dtype(column, dates=DATE_COLUMNS, ids=ID_COLUMNS, floats=FLOAT_COLUMNS)


def typed(frame: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """``frame`` reduced to ``columns`` in that order, each cast to its contract dtype."""
    out = {}
    for column in columns:
        values = frame[column]
        dtype = column_dtype(column)
        if dtype == "datetime64[ns]":
            out[column] = pd.to_datetime(values).astype("datetime64[ns]")
        elif dtype == "Int64":
            out[column] = pd.array(pd.to_numeric(values, errors="coerce"), dtype="Int64") \
                if values.dtype == object else values.astype("Int64")
        elif dtype == "float64":
            out[column] = pd.to_numeric(values).astype("float64")
        else:
            out[column] = values.astype("string")
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame ``name`` of CashHistory with exactly its contract columns and dtypes."""
    return typed(frame, FRAMES[name])


def empty_typed(columns: tuple[str, ...] | list[str]) -> pd.DataFrame:
    return typed(pd.DataFrame({column: pd.Series([], dtype=object) for column in columns}), columns)


def empty_frame(name: str) -> pd.DataFrame:
    """An empty CashHistory frame ``name`` with its contract columns and dtypes."""
    return empty_typed(FRAMES[name])


def empty_paid() -> pd.DataFrame:
    return empty_typed(PAID_COLUMNS)
