"""Budgets, actuals and commitments of the connected company, read once through the gateway.

:func:`load_budget_data` fills :class:`~ledgerpilot.calc.budget.frames.BudgetData` for the pure
budget calculators with a handful of paged extractions (explicit fields, never one RPC per record):

- the budget lines of the period from the source :func:`detect_budget_source` picks
  (``crossovered.budget``, ``budget.analytic`` on 18+, or a budget file);
- actuals over ``[period_start - 1 year, period_end]`` from analytic lines, plus journal items
  with a distribution and no analytic line (:mod:`ledgerpilot.tools.budget.actuals`);
- open commitments of confirmed purchase orders (:mod:`ledgerpilot.tools.budget.commitments`);
- analytic accounts with their plans, and projects with their analytic account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ledgerpilot.calc.budget.frames import BudgetData, BudgetSourceInfo, conform, empty_frame
from ledgerpilot.domain.month import year_earlier
from ledgerpilot.tools.budget import commitments as budget_commitments
from ledgerpilot.tools.budget.actuals import load_actuals
from ledgerpilot.tools.budget.file import read_budget_file, resolve_budget_rows
from ledgerpilot.tools.budget.sources import (
    detect_budget_source,
    read_budget_analytic_lines,
    read_crossovered_lines,
)
from ledgerpilot.tools.ledger.overview import company_info

Progress = Callable[[str], None]

__all__ = [
    "BudgetData",
    "BudgetSourceInfo",
    "detect_budget_source",
    "load_analytic_accounts",
    "load_budget_data",
    "load_projects",
    "load_purchase_order",
]


def load_budget_data(client, period_start: dt.date, period_end: dt.date, *, today: dt.date,
                     budget_file: Path | None = None, progress: Progress | None = None) -> BudgetData:
    """Everything the budget calculators need for ``[period_start, period_end]``, as known on ``today``.

    Raises ``ValueError`` when the period ends before it starts, ``BudgetFileError`` for a bad file.
    With no budget source the budget lines are empty and ``source.kind == "none"`` says why.
    """
    if period_end < period_start:
        raise ValueError(f"the budget period ends ({period_end}) before it starts ({period_start})")
    step = progress or (lambda _stage: None)
    step("company")
    company = company_info(client)
    step("budget source")
    source = detect_budget_source(client, budget_file)
    step("analytic accounts")
    accounts, plan_of = _accounts_and_plans(client)
    step("budgets")
    budget_lines = _budget_lines(client, source, accounts, period_start, period_end)
    if source.kind == "file":
        source = BudgetSourceInfo(source.kind, source.reason, source.models, source.path,
                                  budget_count=int(budget_lines["budget_id"].nunique()))
    step("actuals")
    actuals = load_actuals(client, year_earlier(period_start), period_end, plan_of, company.currency_digits)
    step("commitments")
    commitments = budget_commitments.load_commitments(client, plan_of, company.currency_digits)
    step("projects")
    projects = load_projects(client)
    return BudgetData(company_name=company.name, currency=company.currency, digits=company.currency_digits,
                      today=today, source=source, budget_lines=budget_lines, actuals=actuals,
                      commitments=commitments, analytic_accounts=accounts, projects=projects,
                      period_start=period_start, period_end=period_end)


def load_purchase_order(client, name: str) -> pd.DataFrame:
    """The lines of purchase order ``name`` (a draft too) in the ``commitments`` shape, for a check
    against the remaining budget. Raises ``PurchaseOrderNotFoundError`` when no order has that name."""
    company = company_info(client)
    _accounts, plan_of = _accounts_and_plans(client)
    return budget_commitments.load_purchase_order(client, name, plan_of, company.currency_digits)


def load_analytic_accounts(client) -> pd.DataFrame:
    """The ``analytic_accounts`` frame (archived accounts included: old lines may use them)."""
    return _accounts_and_plans(client)[0]


def load_projects(client) -> pd.DataFrame:
    """Projects and their analytic account (empty without the Project app)."""
    if not client.has_model("project.project"):
        return empty_frame("projects")
    known = client.fields_get("project.project")
    fields = [name for name in ("name", "analytic_account_id", "user_id", "date_start", "date") if name in known]
    projects = client.extract("project.project", fields, context={"active_test": False})
    missing = pd.Series(pd.NA, index=projects.index)
    return conform("projects", pd.DataFrame({
        "project_id": projects["id"],
        "name": projects["name"],
        "analytic_account_id": projects.get("analytic_account_id_id", missing),
        "manager_id": projects.get("user_id_id", missing),
        "manager_name": projects.get("user_id_name", missing),
        "date_start": projects.get("date_start", missing),
        "date_end": projects.get("date", missing),
    }))


def _accounts_and_plans(client) -> tuple[pd.DataFrame, dict[int, int]]:
    """Analytic accounts, and account id -> root plan id (each root plan is one analytic column)."""
    if not client.has_model("account.analytic.account"):
        return empty_frame("analytic_accounts"), {}
    known = client.fields_get("account.analytic.account")
    fields = [name for name in ("name", "code", "plan_id", "root_plan_id") if name in known]
    accounts = client.extract("account.analytic.account", fields, context={"active_test": False})
    frame = conform("analytic_accounts", pd.DataFrame({
        "id": accounts["id"], "name": accounts["name"], "code": accounts["code"],
        "plan_id": accounts["plan_id_id"], "plan_name": accounts["plan_id_name"]}))
    root = accounts["root_plan_id_id"] if "root_plan_id_id" in accounts else accounts["plan_id_id"]
    root = root.fillna(accounts["plan_id_id"])
    plan_of = {int(aid): int(plan) for aid, plan in zip(accounts["id"], root) if plan is not pd.NA}
    return frame, plan_of


def _budget_lines(client, source: BudgetSourceInfo, accounts: pd.DataFrame, period_start: dt.date,
                  period_end: dt.date) -> pd.DataFrame:
    if source.kind == "crossovered":
        return read_crossovered_lines(client, period_start, period_end)
    if source.kind == "budget_analytic":
        return read_budget_analytic_lines(client, period_start, period_end)
    if source.kind == "file":
        path = Path(source.path or "")
        rows = read_budget_file(path)
        codes = client.extract("account.account", ["code"], context={"active_test": False})
        by_code = {str(code): int(aid) for aid, code in zip(codes["id"], codes["code"]) if isinstance(code, str)}
        return resolve_budget_rows(path, rows, accounts, by_code, period_start, period_end)
    return empty_frame("budget_lines")
