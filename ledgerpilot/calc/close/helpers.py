"""Small helpers the close checks share: money from float columns, record references."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from ledgerpilot.domain.money import format_amount, minor_to_decimal, to_minor
from ledgerpilot.domain.proposal import RecordRef


def money_sum(values: pd.Series, digits: int) -> Decimal:
    """The exact sum of amounts (floats already rounded by Odoo), summed in minor units."""
    if not len(values):
        return minor_to_decimal(0, digits)
    return minor_to_decimal(int(to_minor(values.astype("float64"), digits).sum()), digits)


def money(value: float, digits: int) -> Decimal:
    return money_sum(pd.Series([value], dtype="float64"), digits)


def line_refs(lines: pd.DataFrame, name_column: str = "move_name") -> tuple[RecordRef, ...]:
    """``account.move.line`` references of the rows (named by their entry)."""
    names = lines[name_column] if name_column in lines.columns else pd.Series([""] * len(lines))
    return tuple(RecordRef(model="account.move.line", id=int(i), name=str(n) if pd.notna(n) else "")
                 for i, n in zip(lines["id"], names))


def fmt(amount: Decimal, currency: str) -> str:
    """``1,234.50 EUR``: the amount as quantized, with thousands separators."""
    return format_amount(amount, currency=currency)


def period_movements(data) -> pd.Series:
    """account id -> the period's movement in minor units (int), from the period's items."""
    lines = data.period_lines
    if not len(lines):
        return pd.Series(dtype="int64")
    minor = to_minor(lines["balance"].astype("float64"), data.digits)
    return minor.groupby(lines["account_id"].astype("int64")).sum()


def history_movements(data) -> pd.DataFrame:
    """Accounts x history months (oldest first): each month's movement in minor units, 0 when none."""
    labels = [m.label for m in data.history]
    history = data.account_history[data.account_history["month"].isin(labels)]
    if not len(history):
        return pd.DataFrame(columns=labels, dtype="int64")
    minor = to_minor(history["balance"].astype("float64"), data.digits)
    table = pd.DataFrame({"account_id": history["account_id"].astype("int64"), "month": history["month"],
                          "minor": minor}).pivot_table(index="account_id", columns="month", values="minor",
                                                       aggfunc="sum", fill_value=0)
    return table.reindex(columns=labels, fill_value=0).astype("int64")


def explaining_lines(lines: pd.DataFrame, excess: float, limit: int = 10) -> pd.DataFrame:
    """The largest items pushing in the direction of ``excess``, until they cover it (at most ``limit``)."""
    if excess == 0 or not len(lines):
        return lines.iloc[0:0]
    same = lines[(lines["balance"] > 0) if excess > 0 else (lines["balance"] < 0)]
    ordered = same.reindex(same["balance"].abs().sort_values(ascending=False, kind="stable").index)
    covered = ordered["balance"].abs().cumsum().shift(fill_value=0.0) < abs(excess)
    return ordered[covered.to_numpy()].head(limit)
