"""Which budget source a database offers, and its budget lines in the :mod:`budget_frames` shape.

Detection order (first that applies wins):

1. ``crossovered.budget`` (Odoo's ``account_budget`` up to 16 Enterprise, the OCA
   ``account_budget_oca`` on 17) when installed and holding at least one budget that is not cancelled;
2. ``budget.analytic`` / ``budget.line`` (Odoo 18+) when installed and holding a budget;
3. the budget file, when one is given (see :mod:`ledgerpilot.tools.budget.file`);
4. none, with the reason and what to install or pass.

Odoo keeps expense budgets negative in ``crossovered.budget.lines.planned_amount`` and the frame
keeps that sign. ``budget.line.budget_amount`` (18+) is positive with the budget's ``budget_type``
saying whether it is an expense; expense lines are turned negative here so that both sources agree.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ledgerpilot.calc.budget.frames import BudgetSourceInfo, conform, empty_frame

CROSSOVERED = ("crossovered.budget", "crossovered.budget.lines", "account.budget.post")
BUDGET_ANALYTIC = ("budget.analytic", "budget.line")
NOT_CANCELLED = ("state", "!=", "cancel")
#: Odoo 17+ names the analytic column of every plan but the first ``x_plan<id>_id``
PLAN_COLUMN = re.compile(r"^x_plan\d+_id$")
INSTALL_HINT = ("install Budget Management (account_budget on Odoo Enterprise up to 17, the OCA module "
                "account_budget_oca on 17, or Budget on 18+) and create a budget, or give a budget file "
                "(CSV or YAML keyed by analytic account and period; see docs/budgets.md)")


def detect_budget_source(client, budget_file: Path | None = None) -> BudgetSourceInfo:
    """The budget source that applies to the connected database, and why, in words."""
    reasons: list[str] = []
    if client.has_model("crossovered.budget"):
        count = client.search_count("crossovered.budget", [NOT_CANCELLED])
        if count:
            return BudgetSourceInfo("crossovered", _with_file_note(
                f"crossovered.budget is installed and holds {count} budget{'s' * (count != 1)}", budget_file),
                models=CROSSOVERED, budget_count=count)
        reasons.append("crossovered.budget is installed but holds no budget")
    else:
        reasons.append("crossovered.budget is not installed")
    if client.has_model("budget.analytic"):
        count = client.search_count("budget.analytic", [("state", "!=", "canceled")])
        if count:
            return BudgetSourceInfo("budget_analytic", _with_file_note(
                f"budget.analytic is installed and holds {count} budget{'s' * (count != 1)}", budget_file),
                models=BUDGET_ANALYTIC, budget_count=count)
        reasons.append("budget.analytic is installed but holds no budget")
    else:
        reasons.append("budget.analytic is not installed")
    if budget_file is not None:
        return BudgetSourceInfo("file", f"{'; '.join(reasons)}: using the budget file {budget_file}",
                                path=str(budget_file))
    return BudgetSourceInfo("none", f"no budget to compare with: {'; '.join(reasons)}; {INSTALL_HINT}")


def _with_file_note(reason: str, budget_file: Path | None) -> str:
    if budget_file is None:
        return reason
    return f"{reason} (the budget file {budget_file} is not used: the budgets in Odoo come first)"


# ---------------------------------------------------------------------------------- crossovered

def read_crossovered_lines(client, period_start: dt.date, period_end: dt.date) -> pd.DataFrame:
    """``crossovered.budget.lines`` overlapping the period, of budgets that are not cancelled."""
    budget_fields = client.fields_get("crossovered.budget")
    owner_field = next((name for name in ("user_id", "creating_user_id") if name in budget_fields), None)
    budgets = client.extract("crossovered.budget", ["name", "state", *([owner_field] if owner_field else [])],
                             [NOT_CANCELLED])
    lines = client.extract("crossovered.budget.lines",
                           ["crossovered_budget_id", "analytic_account_id", "general_budget_id", "date_from",
                            "date_to", "planned_amount"],
                           [("crossovered_budget_id", "in", [int(i) for i in budgets["id"]]),
                            ("date_to", ">=", period_start.isoformat()),
                            ("date_from", "<=", period_end.isoformat())])
    positions = client.extract("account.budget.post", ["name", "account_ids"])
    if owner_field:
        budgets = budgets.rename(columns={f"{owner_field}_id": "owner_id", f"{owner_field}_name": "owner_name"})
    return map_crossovered(budgets, lines, positions)


def map_crossovered(budgets: pd.DataFrame, lines: pd.DataFrame, positions: pd.DataFrame) -> pd.DataFrame:
    """Budget lines from the typed extractions of the three crossovered models (pure).

    ``budgets`` has ``id, name, state`` and optionally ``owner_id, owner_name``; ``lines`` the
    gateway columns of ``crossovered.budget.lines``; ``positions`` ``id, name, account_ids``.
    Lines of budgets not in ``budgets`` (cancelled) are dropped.
    """
    budget = budgets.set_index("id")
    lines = lines[lines["crossovered_budget_id_id"].isin(budget.index).fillna(False).to_numpy()]
    if lines.empty:
        return empty_frame("budget_lines")
    of_budget = budget.reindex(lines["crossovered_budget_id_id"].to_numpy())
    position = positions.set_index("id").reindex(lines["general_budget_id_id"].to_numpy())
    owner_id = of_budget["owner_id"] if "owner_id" in of_budget else pd.Series(pd.NA, index=of_budget.index)
    owner_name = of_budget["owner_name"] if "owner_name" in of_budget else pd.Series(pd.NA, index=of_budget.index)
    frame = pd.DataFrame({
        "line_id": lines["id"].to_numpy(),
        "budget_id": lines["crossovered_budget_id_id"].to_numpy(),
        "budget_name": of_budget["name"].to_numpy(),
        "budget_state": of_budget["state"].to_numpy(),
        "analytic_account_id": lines["analytic_account_id_id"].to_numpy(),
        "analytic_account_name": lines["analytic_account_id_name"].to_numpy(),
        "position_id": lines["general_budget_id_id"].to_numpy(),
        "position_name": lines["general_budget_id_name"].to_numpy(),
        "position_account_ids": _id_lists(position["account_ids"]),
        "date_from": lines["date_from"].to_numpy(),
        "date_to": lines["date_to"].to_numpy(),
        "planned_amount": lines["planned_amount"].to_numpy(),
        "owner_id": owner_id.to_numpy(),
        "owner_name": owner_name.to_numpy(),
    })
    return conform("budget_lines", frame.sort_values("line_id", kind="stable"))


# ---------------------------------------------------------------------------------- budget.analytic (18+)

def read_budget_analytic_lines(client, period_start: dt.date, period_end: dt.date) -> pd.DataFrame:
    """``budget.line`` rows (Odoo 18+) overlapping the period, of budgets that are not cancelled."""
    budget_fields = client.fields_get("budget.analytic")
    wanted = [name for name in ("name", "state", "budget_type", "user_id") if name in budget_fields]
    budgets = client.extract("budget.analytic", wanted, [("state", "!=", "canceled")])
    line_fields = client.fields_get("budget.line")
    plan_columns = analytic_plan_columns(line_fields)
    lines = client.extract("budget.line",
                           ["budget_analytic_id", "date_from", "date_to", "budget_amount", *plan_columns],
                           [("budget_analytic_id", "in", [int(i) for i in budgets["id"]]),
                            ("date_to", ">=", period_start.isoformat()),
                            ("date_from", "<=", period_end.isoformat())])
    return map_budget_analytic(budgets, lines, plan_columns)


def map_budget_analytic(budgets: pd.DataFrame, lines: pd.DataFrame, plan_columns: list[str]) -> pd.DataFrame:
    """Budget lines from typed ``budget.analytic`` / ``budget.line`` extractions (pure).

    ``budgets``: ``id, name, state, budget_type`` (``expense`` | ``revenue`` | ``both``) and
    optionally ``user_id_id, user_id_name``. ``lines``: ``id, budget_analytic_id_id, date_from,
    date_to, budget_amount`` and, per plan column, ``<column>_id, <column>_name``. A line that names
    accounts of several plans is attributed to the first one in ``plan_columns`` (the project plan
    comes first in Odoo); there is no budgetary position in this model (empty account list).
    """
    budget = budgets.set_index("id")
    lines = lines[lines["budget_analytic_id_id"].isin(budget.index).fillna(False).to_numpy()]
    if lines.empty:
        return empty_frame("budget_lines")
    of_budget = budget.reindex(lines["budget_analytic_id_id"].to_numpy())
    account_id = pd.Series(pd.NA, index=lines.index, dtype="Int64")
    account_name = pd.Series(pd.NA, index=lines.index, dtype="string")
    for column in plan_columns:
        ids = lines[f"{column}_id"].astype("Int64")
        take = account_id.isna() & ids.notna()
        account_id = account_id.mask(take, ids)
        account_name = account_name.mask(take, lines[f"{column}_name"].astype("string"))
    budget_type = of_budget["budget_type"].astype("string").fillna("expense") if "budget_type" in of_budget \
        else pd.Series("expense", index=of_budget.index, dtype="string")
    amount = lines["budget_amount"].to_numpy(dtype="float64")
    planned = np.where((budget_type == "expense").to_numpy(dtype=bool), -np.abs(amount), amount)
    missing = pd.Series(pd.NA, index=of_budget.index)
    frame = pd.DataFrame({
        "line_id": lines["id"].to_numpy(),
        "budget_id": lines["budget_analytic_id_id"].to_numpy(),
        "budget_name": of_budget["name"].to_numpy(),
        "budget_state": of_budget["state"].to_numpy(),
        "analytic_account_id": account_id.to_numpy(),
        "analytic_account_name": account_name.to_numpy(),
        "position_id": pd.array([pd.NA] * len(lines), dtype="Int64"),
        "position_name": pd.array([pd.NA] * len(lines), dtype="string"),
        "position_account_ids": [[] for _ in range(len(lines))],
        "date_from": lines["date_from"].to_numpy(),
        "date_to": lines["date_to"].to_numpy(),
        "planned_amount": planned,
        "owner_id": of_budget.get("user_id_id", missing).to_numpy(),
        "owner_name": of_budget.get("user_id_name", missing).to_numpy(),
    })
    return conform("budget_lines", frame.sort_values("line_id", kind="stable"))


def analytic_plan_columns(fields: dict[str, dict]) -> list[str]:
    """The analytic-account columns of a model, one per plan: ``account_id`` (the project plan)
    first, then ``x_plan<id>_id`` in plan-id order."""
    plan = sorted((name for name, spec in fields.items()
                   if PLAN_COLUMN.match(name) and spec.get("relation") == "account.analytic.account"),
                  key=lambda name: int(name[len("x_plan"):-len("_id")]))
    first = fields.get("account_id", {})
    return (["account_id"] if first.get("relation") == "account.analytic.account" else []) + plan


def _id_lists(values: pd.Series) -> list[list[int]]:
    return [list(value) if isinstance(value, (list, tuple)) else [] for value in values.to_numpy(dtype=object)]
