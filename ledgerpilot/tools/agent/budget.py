"""The agent's budget tools: budget status of a period, a purchase order against its budget, a project's burn-down.

Thin adapters over :mod:`ledgerpilot.tools.budget.watch` and the budget calculators. The budget data
of a period is read once per context (``ctx.memo``), so a follow-up question about another purchase
order or the same period answers from memory. Every figure an answer may quote sits in its own
numeric field; lists are cut to the few items a reader needs.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ledgerpilot.config import setting_value
from ledgerpilot.tools.agent.toolkit import Citation, ToolContext, ToolOutput, tool
from ledgerpilot.tools.budget import watch as budget_watch
from ledgerpilot.tools.budget.watch import (
    AT_RISK_TIERS,
    MEMORY_FOLDER,
    BudgetRequest,
    budget_request,
    load_period_data,
    parse_period,
    run_budget,
)

RISKS_SHOWN = 6
_MONTH_LABEL = re.compile(r"\d{4}-\d{2}")
ORDERS_SHOWN = 2


class BudgetStatusArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str | None = Field(
        default=None, max_length=20,
        description="budget period: a year (2026), a quarter (2026-Q4) or a month (2026-11); omit for the budget "
                    "period running today")
    department: str | None = Field(
        default=None, min_length=1, max_length=120,
        description="only the budget lines of this analytic account (a department or cost centre), by name; omit "
                    "for every line")


class PurchaseOrderArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order: str = Field(min_length=1, max_length=64, description="the purchase order's reference, e.g. P00042")


class ProjectBurndownArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project: str = Field(min_length=1, max_length=120, description="the project's name (or its id)")
    period: str | None = Field(
        default=None, max_length=20,
        description="budget period to read (2026, 2026-Q4, 2026-11); omit to follow the project from its start")


# ------------------------------------------------------------------------------------------------ helpers


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _budget_request(ctx: ToolContext, period: str | None, department: str | None = None) -> BudgetRequest:
    """The request `ledgerpilot budget` makes, with the exceptions memory used only where it already exists
    (the agent reads a memory; it does not start one)."""
    return budget_request(ctx.settings, period=period, account=department, as_of=ctx.today,
                          use_memory=(Path(ctx.home) / MEMORY_FOLDER).is_dir())


def _line(line: Any, similar: Any = ()) -> dict[str, Any]:
    from ledgerpilot.calc.budget import last_time

    return {"key": line.key, "analytic_account": line.analytic_account_name, "position": line.position_name,
            "budget": line.budget_name, "date_from": line.date_from, "date_to": line.date_to,
            "direction": line.direction, "tier": line.tier, "planned": line.planned, "actual": line.actual,
            "committed": line.committed, "available": line.available, "projected_total": line.projected_total,
            "projected_overspend": line.projected_total - line.planned,
            "projected_overspend_ratio": _ratio(line.projected_overspend_pct),
            "utilisation_ratio": _ratio(line.utilisation), "owner": line.owner_name, "reason": line.reason,
            "orders": [{"order": o.order_name, "partner": o.partner_name, "amount": o.amount}
                       for o in line.orders[:ORDERS_SHOWN]],
            "last_time": last_time(similar)}


def _totals(lines: Any, direction: str) -> dict[str, Any] | None:
    chosen = [line for line in lines if line.direction == direction]
    if not chosen:
        return None

    def total(attr: str) -> Decimal:
        return sum((getattr(line, attr) for line in chosen), Decimal(0))

    planned = total("planned")
    return {"line_count": len(chosen), "planned": planned, "actual": total("actual"),
            "committed": total("committed"), "available": total("available"),
            "projected_total": total("projected_total"),
            "projected_variance": total("projected_total") - planned}


def _line_citations(ctx: ToolContext, lines: Any) -> tuple[Citation, ...]:
    cited: dict[tuple[str, int], Citation] = {}
    for line in lines:
        if line.analytic_account_id is not None:
            key = ("account.analytic.account", int(line.analytic_account_id))
            cited.setdefault(key, ctx.cite(*key, line.analytic_account_name))
        for order in line.orders[:ORDERS_SHOWN]:
            key = ("purchase.order", int(order.order_id))
            cited.setdefault(key, ctx.cite(*key, order.order_name))
    return tuple(cited.values())


# -------------------------------------------------------------------------------------------------- tools


@tool(kind="read")
def budget_status(ctx: ToolContext, args: BudgetStatusArgs) -> ToolOutput:
    """Budget vs actual vs committed for a period: how many budget lines are at risk (high, medium, note), the
    worst ones with planned, actual, committed, projected total and overspend, and the totals. Use it for "are we
    over budget?", "which budgets are at risk?", "how is Sales doing against its budget in November?".

    Read-only: it says how many proposals the risks would call for, but stores none and records nothing
    (the budget watch and `ledgerpilot budget` do that); where an exceptions memory exists it says what
    happened last time. For a month, the lines that run longer (a quarter, a year) are also shown as the
    month's share (``month``: plan prorated by days, the month's own actuals, and the month's share of the
    line's projection, so that the months add up to the line; see ``calc.budget.month``).
    """
    period = parse_period(args.period).label if args.period else None   # malformed: an error before any read
    department = args.department.strip() if args.department else None
    outcome = ctx.memo(("budget_status", period, department, ctx.today),
                       lambda: run_budget(ctx.client, ctx.home, _budget_request(ctx, period, department),
                                          today=ctx.today, store=False))
    report = outcome.report
    at_risk = list(outcome.at_risk)
    counts = {tier: sum(1 for line in report.lines if line.tier == tier) for tier in ("ok", *AT_RISK_TIERS)}
    data: dict[str, Any] = {
        "company": outcome.company, "currency": outcome.currency, "period": outcome.period,
        "period_start": outcome.period_start, "period_end": outcome.period_end, "as_of": outcome.as_of,
        "source": outcome.source_kind, "line_count": len(report.lines), "at_risk_count": len(at_risk),
        "high_count": counts["high"], "medium_count": counts["medium"], "note_count": counts["note"],
        "ok_count": counts["ok"],
        "expense": _totals(report.lines, "expense"), "income": _totals(report.lines, "income"),
        "lines_at_risk": [_line(line, outcome.similar.get(line.key, ())) for line in at_risk[:RISKS_SHOWN]],
        "more_lines_at_risk": max(0, len(at_risk) - RISKS_SHOWN),
        "proposals_called_for": len(outcome.proposals), "findings": list(report.findings),
    }
    if department is not None:
        data["department"] = department
    if period is not None and _MONTH_LABEL.fullmatch(period):
        data["month"] = _month_view(ctx, report, period, department)
    return ToolOutput(data=data, citations=_line_citations(ctx, at_risk[:RISKS_SHOWN]))


def _month_view(ctx: ToolContext, report: Any, period: str, department: str | None) -> dict[str, Any] | None:
    """The month's share of the lines that run longer than the month (``calc.budget.month``)."""
    from ledgerpilot.calc.budget.match import ActualIndex
    from ledgerpilot.calc.budget.month import month_lines
    from ledgerpilot.calc.budget.status import BudgetThresholds
    from ledgerpilot.domain.month import Month

    month = Month.parse(period)
    longer = [line for line in report.lines if line.date_from < month.start or line.date_to > month.end]
    if not longer:
        return None
    data, _ = ctx.memo(("budget_month_data", period, ctx.today), lambda: load_period_data(
        ctx.client, period, ctx.today, ctx.settings.budget.file))
    thresholds = BudgetThresholds(note_drift=report.note_drift, high_overspend=report.high_overspend)
    rows = month_lines(longer, ActualIndex(data.actuals, data.digits), month, ctx.today, data.digits, thresholds)
    expense = [r for r in rows if r.direction == "expense"]

    def total(attr: str) -> Decimal:
        return sum((getattr(r, attr) for r in expense), Decimal(0))

    return {"month": month.label, "line_count": len(rows),
            "planned": total("planned"), "actual": total("actual"), "committed": total("committed"),
            "projected_total": total("projected_total"),
            "projected_variance": total("projected_total") - total("planned"),
            "at_risk_count": sum(1 for r in rows if r.tier in AT_RISK_TIERS),
            "lines": [r.model_dump(mode="json") for r in rows[:RISKS_SHOWN]]}


def _budget_year(ctx: ToolContext, year: int):
    """The budget data of one calendar year (as check_purchase_order reads it), once per context."""
    budget_file = setting_value(ctx.settings, "budget_file")
    return ctx.memo(("budget_data", str(year), ctx.today),
                    lambda: load_period_data(ctx.client, str(year), ctx.today, budget_file))


def _po_check(ctx: ToolContext, order: str):
    """check_purchase_order, with the budget data of the order's year shared by every order of that year."""
    import pandas as pd

    from ledgerpilot.calc.budget import check_po
    from ledgerpilot.tools.budget.data import load_purchase_order

    po_lines = load_purchase_order(ctx.client, order)     # PurchaseOrderNotFoundError names the reference
    planned = po_lines["date_planned"].dropna()
    target = pd.Timestamp(planned.min()).date() if not planned.empty else ctx.today
    data, period = _budget_year(ctx, target.year)
    return check_po(data, po_lines, ctx.today), data, period


@tool(kind="read")
def purchase_order_check(ctx: ToolContext, args: PurchaseOrderArgs) -> ToolOutput:
    """Whether a purchase order (draft or confirmed) fits the remaining budget of every analytic account it
    touches: per account, the order's share, the budget available before and after it, and the verdict. Use it
    for "does P00042 fit the budget?".
    """
    order = args.order.strip()
    check, data, period = ctx.memo(("purchase_order_check", order, ctx.today), lambda: _po_check(ctx, order))
    accounts = [{"analytic_account": row.analytic_account_name, "amount": row.amount, "budget": row.budget_name,
                 "position": row.position_name, "date_from": row.date_from, "date_to": row.date_to,
                 "planned": row.planned, "available_before": row.available_before,
                 "available_after": row.available_after, "fits": row.fits, "reason": row.reason}
                for row in check.accounts]
    data_out = {"order": check.order_name, "state": check.order_state, "partner": check.partner_name,
                "currency": check.currency, "as_of": check.as_of, "period": period.label,
                "source": data.source.kind, "fits": check.fits, "total": check.total,
                "unallocated": check.unallocated, "account_count": len(accounts),
                "accounts_not_fitting": sum(1 for row in check.accounts if row.fits is False),
                "accounts": accounts, "reason": check.reason}
    citations = []
    if check.order_id is not None:
        citations.append(ctx.cite("purchase.order", check.order_id, check.order_name))
    citations.extend(ctx.cite("account.analytic.account", row.analytic_account_id, row.analytic_account_name)
                     for row in check.accounts)
    return ToolOutput(data=data_out, citations=tuple(citations))


@tool(kind="read")
def project_burndown(ctx: ToolContext, args: ProjectBurndownArgs) -> ToolOutput:
    """A project's budget burn-down: budget, cost to date, open commitments, burn rate per day, projected final
    cost and overrun, and the day the budget runs out at the current rate. Use it for "how is project X doing
    against its budget?".
    """
    period = parse_period(args.period).label if args.period else None
    name = args.project.strip()
    outcome = ctx.memo(("project_burndown", name.casefold(), period, ctx.today), lambda: budget_watch.project_burndown(
        ctx.client, name, as_of=ctx.today, period=period, budget_file=setting_value(ctx.settings, "budget_file")))
    burn = outcome.burn
    used = None
    if burn.budget:
        used = round(float((burn.cost_to_date + burn.committed) / burn.budget), 4)
    data = {"project": burn.project_name, "analytic_account": burn.analytic_account_name,
            "manager": burn.manager_name, "currency": outcome.currency, "as_of": outcome.as_of,
            "period": outcome.period, "start": burn.start, "end": burn.end, "budget": burn.budget,
            "cost_to_date": burn.cost_to_date, "committed": burn.committed, "burn_rate_per_day": burn.burn_rate,
            "projected_final_cost": burn.projected_final_cost, "projected_overrun": burn.projected_overrun,
            "projected_within_budget": None if burn.projected_overrun is None else max(-burn.projected_overrun,
                                                                                      Decimal(0)),
            "used_ratio": used, "runout_date": burn.runout_date, "runs_out_before_end": burn.runs_out_before_end,
            "reason": burn.reason}
    citations = (ctx.cite("project.project", burn.project_id, burn.project_name),
                 ctx.cite("account.analytic.account", burn.analytic_account_id, burn.analytic_account_name))
    return ToolOutput(data=data, citations=citations)
