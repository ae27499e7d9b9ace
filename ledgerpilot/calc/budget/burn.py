"""Project burn-down: cost to date, committed, projected final cost and when the budget runs out (pure).

A project is followed through its analytic account. Its budget is the sum of the expense budget
lines of that account. Its cost is the actual on that account from the project's start (else the
first budget line's start) up to ``as_of``: on the accounts of the budget positions when every
budget line restricts them (net, as the budget counts it), otherwise every cost posted to the
account (negative analytic amounts; revenue invoiced on the project is not cost).

The burn rate is the cost per whole day since the start. The projected final cost is the cost to
date plus the larger of the run-rate to the end (the project's end date, else the end of its
budget lines) and the open purchase-order amounts: commitments are spending the run-rate must at
least cover. The budget runs out on the day cost plus commitments reach it at the current rate:
the day the cost itself crossed it when that already happened, ``as_of`` when commitments already
take the rest, ``None`` when nothing is being spent.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pandas as pd

from ledgerpilot.calc.budget.errors import (
    ProjectWithoutAnalyticAccountError,
    UnknownAnalyticAccountError,
    UnknownProjectError,
)
from ledgerpilot.calc.budget.match import ActualIndex
from ledgerpilot.calc.budget.results import ProjectBurn
from ledgerpilot.calc.budget.status import BudgetThresholds, budget_status
from ledgerpilot.domain.money import format_amount, minor_to_decimal, quantize, to_minor


def _text(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _day(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def find_project(projects: pd.DataFrame, project: str | int):
    """The project row for an id or a name (case-insensitive), or a clear error."""
    if isinstance(project, int) or (isinstance(project, str) and project.strip().isdigit()):
        match = projects.loc[projects["project_id"] == int(project)]
        if not match.empty:
            return match.iloc[0]
    if isinstance(project, str):
        wanted = project.strip().casefold()
        names = projects["name"].astype(object).fillna("").map(lambda n: str(n).casefold())
        match = projects.loc[names == wanted]
        if not match.empty:
            return match.sort_values("project_id").iloc[0]
    raise UnknownProjectError(project, projects["name"].dropna().astype(str).tolist())


def _runout(budget: Decimal, cost: Decimal, committed: Decimal, rate: Decimal | None, as_of: dt.date,
            dates: np.ndarray, minor: np.ndarray, digits: int) -> dt.date | None:
    if cost >= budget and len(dates):
        cumulative = np.cumsum(-minor)
        crossed = np.flatnonzero(cumulative >= int(budget.scaleb(digits)))
        if len(crossed):
            return pd.Timestamp(dates[crossed[0]]).date()
        return as_of
    left = budget - cost - committed
    if left <= 0:
        return as_of
    if rate is None or rate <= 0:
        return None
    return as_of + dt.timedelta(days=math.ceil(left / rate))


def project_burn(data, project: str | int, as_of: dt.date) -> ProjectBurn:
    """The burn-down of ``project`` (id or name) as of ``as_of``."""
    digits, currency = data.digits, data.currency
    row = find_project(data.projects, project)
    name = _text(row["name"])
    if pd.isna(row["analytic_account_id"]):
        raise ProjectWithoutAnalyticAccountError(name)
    account_id = int(row["analytic_account_id"])
    accounts = data.analytic_accounts
    account_row = accounts.loc[accounts["id"] == account_id]
    account_name = _text(account_row["name"].iloc[0]) if not account_row.empty else str(account_id)
    try:
        report_lines = budget_status(data, as_of, BudgetThresholds(), account=account_id).lines
    except UnknownAnalyticAccountError:     # an account with no budget line and not among the analytic accounts
        report_lines = ()
    lines = [line for line in report_lines if line.analytic_account_id == account_id and line.direction == "expense"]
    budget = sum((line.planned for line in lines), quantize(0, digits)) if lines else None
    restricted = bool(lines) and all(line.position_account_ids for line in lines)
    positions = tuple(sorted({a for line in lines for a in line.position_account_ids})) if restricted else ()
    start = _day(row["date_start"]) or (min(line.date_from for line in lines) if lines else None)
    end = _day(row["date_end"]) or (max(line.date_to for line in lines) if lines else None)
    index = ActualIndex(data.actuals, digits)
    window_start = start or dt.date.min
    selected = index.select(account_id, window_start, as_of, positions, costs_only=not restricted)
    cost = minor_to_decimal(-selected.minor, digits)
    dates, minor = index.dated(account_id, window_start, as_of, positions, costs_only=not restricted)
    if start is None and len(dates):
        start = pd.Timestamp(dates[0]).date()
    commitments = data.commitments.loc[data.commitments["analytic_account_id"] == account_id]
    committed = minor_to_decimal(int(to_minor(commitments["amount"], digits).sum()), digits)
    po_line_ids = tuple(sorted({int(i) for i in commitments["po_line_id"] if not pd.isna(i)}))
    elapsed = (as_of - start).days if start is not None else 0
    rate = quantize(cost / elapsed, digits) if elapsed > 0 else None
    remaining_days = max((end - as_of).days + 1, 0) if end is not None else 0
    run = quantize(max(rate or Decimal(0), Decimal(0)) * remaining_days, digits)
    projected = cost + max(run, committed)
    overrun = projected - budget if budget is not None else None
    runout = _runout(budget, cost, committed, rate, as_of, dates, minor, digits) if budget is not None else None
    before_end = (runout <= end) if runout is not None and end is not None else None

    words = [f"{name} (analytic account {account_name}): cost to date {format_amount(cost)} {currency}"]
    words.append(f"burn {format_amount(rate)} a day since {start}" if rate is not None
                 else "no burn rate yet")
    words.append(f"committed on open purchase orders {format_amount(committed)}")
    words.append(f"projected final cost {format_amount(projected)}" + (f" by {end}" if end else ""))
    if budget is None:
        words.append("no budget line for its analytic account, so there is no budget to compare with")
    else:
        words.append(f"budget {format_amount(budget)}: "
                     + (f"{format_amount(overrun)} over" if overrun > 0 else f"{format_amount(-overrun)} within"))
        if runout is None:
            words.append("at the current rate the budget does not run out")
        elif cost >= budget:
            words.append(f"the cost to date passed the budget on {runout}")
        elif runout <= as_of:
            words.append("the cost to date and the open purchase orders already take the whole budget")
        else:
            words.append(f"at the current rate the budget runs out on {runout}"
                         + ("" if end is None else (", before the end" if before_end else ", after the end")))
    return ProjectBurn(
        project_id=int(row["project_id"]), project_name=name, analytic_account_id=account_id,
        analytic_account_name=account_name, manager_name=_text(row["manager_name"]), as_of=as_of,
        currency=currency, start=start, end=end, budget=budget, cost_to_date=cost, committed=committed,
        burn_rate=rate, projected_final_cost=projected, projected_overrun=overrun, runout_date=runout,
        runs_out_before_end=before_end, line_keys=tuple(line.key for line in lines),
        analytic_line_ids=selected.ids["analytic_line"], move_line_ids=selected.ids["move_line"],
        po_line_ids=po_line_ids, reason="; ".join(words) + ".")
