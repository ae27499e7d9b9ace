"""The budget data contract: the frames the pure budget calculators read, and where the budget came from.

One producer (:mod:`ledgerpilot.tools.budget.data`) fills :class:`BudgetData` from whatever budget
source the database offers (``crossovered.budget`` up to Odoo 17, ``budget.analytic`` from Odoo 18,
or a budget file) so that the calculators never need to know which one it was. Columns and dtypes
are fixed here: dates ``datetime64[ns]``, ids ``Int64``, text ``string``, amounts and shares
``float64``, ``position_account_ids`` a Python list of account ids per row.

Signs follow Odoo: actual amounts are analytic amounts (expense negative, income positive) and
``planned_amount`` is negative for an expense budget; commitments are positive amounts still to be
billed (an open purchase order line is future spending).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ledgerpilot.calc.frame_types import contract_dtype

SourceKind = Literal["crossovered", "budget_analytic", "file", "none"]
SOURCE_KINDS: tuple[str, ...] = ("crossovered", "budget_analytic", "file", "none")


@dataclass(frozen=True)
class BudgetSourceInfo:
    """Which budget source applies to the connected database, and why (in words, for people).

    ``models`` are the Odoo models the budgets were read from (empty for a file or none);
    ``path`` is the budget file when ``kind == "file"``; ``budget_count`` how many budgets
    (or file rows) the source holds.
    """

    kind: SourceKind
    reason: str
    models: tuple[str, ...] = ()
    path: str | None = None
    budget_count: int = 0

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"unknown budget source kind {self.kind!r}: expected one of {', '.join(SOURCE_KINDS)}")


BUDGET_LINE_COLUMNS: tuple[str, ...] = (
    "line_id", "budget_id", "budget_name", "budget_state", "analytic_account_id", "analytic_account_name",
    "position_id", "position_name", "position_account_ids", "date_from", "date_to", "planned_amount",
    "owner_id", "owner_name",
)
ACTUAL_COLUMNS: tuple[str, ...] = (
    "id", "source", "date", "analytic_account_id", "general_account_id", "amount", "move_id", "move_name",
    "partner_name", "label",
)
COMMITMENT_COLUMNS: tuple[str, ...] = (
    "po_line_id", "order_id", "order_name", "order_state", "partner_name", "analytic_account_id", "share",
    "amount", "date_planned", "general_account_id",
)
ANALYTIC_ACCOUNT_COLUMNS: tuple[str, ...] = ("id", "name", "code", "plan_id", "plan_name")
PROJECT_COLUMNS: tuple[str, ...] = (
    "project_id", "name", "analytic_account_id", "manager_id", "manager_name", "date_start", "date_end",
)

FRAMES: dict[str, tuple[str, ...]] = {
    "budget_lines": BUDGET_LINE_COLUMNS,
    "actuals": ACTUAL_COLUMNS,
    "commitments": COMMITMENT_COLUMNS,
    "analytic_accounts": ANALYTIC_ACCOUNT_COLUMNS,
    "projects": PROJECT_COLUMNS,
}

DATE_COLUMNS = frozenset({"date_from", "date_to", "date", "date_planned", "date_start", "date_end"})
ID_COLUMNS = frozenset({"line_id", "budget_id", "analytic_account_id", "position_id", "owner_id", "id",
                        "general_account_id", "move_id", "po_line_id", "order_id", "plan_id", "project_id",
                        "manager_id"})
FLOAT_COLUMNS = frozenset({"planned_amount", "amount", "share"})
LIST_COLUMNS = frozenset({"position_account_ids"})

#: ``actuals.source`` values: an Odoo analytic line, or a journal item split by its analytic_distribution.
ACTUAL_SOURCES = ("analytic_line", "move_line")


@dataclass(frozen=True)
class BudgetData:
    """Everything the budget calculators need, read once from one company.

    ``actuals`` cover ``[period_start - 1 year, period_end]`` (last year gives the seasonality);
    ``period_start``/``period_end`` are the period that was asked for.
    """

    company_name: str
    currency: str
    digits: int
    today: dt.date
    source: BudgetSourceInfo
    budget_lines: pd.DataFrame
    actuals: pd.DataFrame
    commitments: pd.DataFrame
    analytic_accounts: pd.DataFrame
    projects: pd.DataFrame
    period_start: dt.date | None = None
    period_end: dt.date | None = None


def column_dtype(column: str) -> str:
    """The contract dtype of a budget-frame column (anything not listed is text)."""
    return contract_dtype(column, dates=DATE_COLUMNS, ids=ID_COLUMNS, floats=FLOAT_COLUMNS, lists=LIST_COLUMNS)


def typed(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` reduced to ``columns`` in that order, each cast to its contract dtype (new index)."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise KeyError(f"budget frame lacks the columns {', '.join(missing)}")
    out = {}
    for column in columns:
        values = frame[column]
        dtype = column_dtype(column)
        if dtype == "datetime64[ns]":
            out[column] = pd.to_datetime(values).astype("datetime64[ns]").to_numpy()
        elif dtype == "Int64":
            out[column] = pd.array(pd.to_numeric(values.astype(object).where(values.notna(), None),
                                                 errors="coerce"), dtype="Int64") \
                if values.dtype == object else values.astype("Int64").array
        elif dtype == "float64":
            out[column] = pd.to_numeric(values).astype("float64").to_numpy()
        elif dtype == "object":
            lists = np.empty(len(values), dtype=object)
            lists[:] = [list(value) if isinstance(value, (list, tuple)) else [] for value in values]
            out[column] = lists
        else:
            out[column] = pd.array(values.astype(object).where(values.notna(), None).to_numpy(), dtype="string")
    return pd.DataFrame(out)


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The BudgetData frame ``name`` with exactly its contract columns and dtypes."""
    return typed(frame, FRAMES[name])


def empty_frame(name: str) -> pd.DataFrame:
    """An empty BudgetData frame ``name`` with its contract columns and dtypes."""
    columns = FRAMES[name]
    return typed(pd.DataFrame({column: pd.Series([], dtype=object) for column in columns}), columns)
