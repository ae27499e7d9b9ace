"""The typed results of the budget calculators: per-line status, totals, PO checks, project burn-down.

Amounts are ``Decimal`` in the company currency, rounded to its decimals, and always presented in
the budget's own direction: for an expense budget, ``planned`` is what may be spent and ``actual``
what was spent (both positive); for an income budget, ``planned`` is what should be earned and
``actual`` what was earned. Odoo's own sign (expense budgets negative) is kept in
``planned_odoo`` for the writes that change a budget. Ratios are floats (they are not money).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

Tier = Literal["ok", "note", "medium", "high"]
Direction = Literal["expense", "income"]
ProjectionMethod = Literal["seasonal", "linear", "no_burn_history", "no_burn_planned_pace", "not_started",
                           "period_over"]

#: tiers from the least to the most serious, for "worst of" totals
TIER_ORDER: dict[str, int] = {"ok": 0, "note": 1, "medium": 2, "high": 3}


class OrderCommitment(BaseModel):
    """What one purchase order still has to bill against a budget line."""

    model_config = ConfigDict(frozen=True)

    order_id: int
    order_name: str
    partner_name: str
    amount: Decimal
    po_line_ids: tuple[int, ...]


class BudgetLineStatus(BaseModel):
    """One budget line (analytic account x budgetary position x period) against actual and committed."""

    model_config = ConfigDict(frozen=True)

    key: str                        # "<budget_id>/<line_id>": the name a line goes by in memory and proposals
    line_id: int
    budget_id: int
    budget_name: str
    analytic_account_id: int | None
    analytic_account_name: str
    plan_id: int | None
    plan_name: str
    position_id: int | None
    position_name: str
    position_account_ids: tuple[int, ...]
    date_from: dt.date
    date_to: dt.date
    direction: Direction
    planned: Decimal                # positive: allowed to spend (expense) / to earn (income)
    planned_odoo: Decimal           # as Odoo stores it (expense negative)
    actual: Decimal                 # spent / earned in the period up to as_of, in the budget's direction
    committed: Decimal              # open purchase-order amounts still to be billed (expense lines only)
    available: Decimal              # planned - actual - committed (expense); planned - actual (income)
    utilisation: float | None       # (actual + committed) / planned; None when nothing is planned
    variance: Decimal               # actual - planned (positive: over budget / above target)
    elapsed_days: int
    total_days: int
    burn_rate: Decimal | None       # actual per elapsed day; None before the period has a day behind it
    projected_end: Decimal          # projected actual at period end (without the open commitments)
    projected_total: Decimal        # projected_end + committed
    projection_method: ProjectionMethod
    projected_overspend_pct: float | None  # (projected_end + committed - planned) / planned
    drift_pct: float | None         # the adverse drift the tier is judged on (overspend / income shortfall)
    tier: Tier
    reason: str
    owner_id: int | None
    owner_name: str
    analytic_line_ids: tuple[int, ...]
    move_line_ids: tuple[int, ...]
    po_line_ids: tuple[int, ...]
    orders: tuple[OrderCommitment, ...]   # largest open commitment first


class BudgetTotal(BaseModel):
    """The lines of one analytic account or one analytic plan added up (one direction at a time)."""

    model_config = ConfigDict(frozen=True)

    level: Literal["account", "plan"]
    id: int | None
    name: str
    direction: Direction
    line_count: int
    planned: Decimal
    actual: Decimal
    committed: Decimal
    available: Decimal
    projected_end: Decimal
    projected_total: Decimal
    utilisation: float | None
    projected_overspend_pct: float | None
    worst_tier: Tier


class BudgetReport(BaseModel):
    """Every budget line of the data at ``as_of``, with totals per analytic account and per plan."""

    model_config = ConfigDict(frozen=True)

    as_of: dt.date
    company_name: str
    currency: str
    digits: int
    source: str                      # the budget source kind ("crossovered", "budget_analytic", "file", "none")
    source_reason: str
    note_drift: float
    high_overspend: float
    lines: tuple[BudgetLineStatus, ...]
    accounts: tuple[BudgetTotal, ...]
    plans: tuple[BudgetTotal, ...]
    findings: tuple[str, ...]        # things the reader should know (no budget lines, unassigned commitments...)

    def at_risk(self) -> tuple[BudgetLineStatus, ...]:
        """The lines whose tier is not ``ok``, most serious first."""
        risky = [line for line in self.lines if line.tier != "ok"]
        return tuple(sorted(risky, key=lambda line: (-TIER_ORDER[line.tier], -(line.drift_pct or 0.0), line.key)))


class PoAccountCheck(BaseModel):
    """One analytic account a purchase order touches, against the budget line that covers it."""

    model_config = ConfigDict(frozen=True)

    analytic_account_id: int
    analytic_account_name: str
    amount: Decimal                  # this order's share for the account (untaxed, still to be billed)
    po_line_ids: tuple[int, ...]
    date: dt.date                    # the date the amount is expected to be billed (decides the budget line)
    line_key: str | None
    budget_name: str
    position_name: str
    date_from: dt.date | None
    date_to: dt.date | None
    planned: Decimal | None
    available_before: Decimal | None  # remaining budget without this order
    available_after: Decimal | None   # remaining budget once this order is committed
    fits: bool | None                 # None: no budget line covers the account at that date
    reason: str


class PoCheck(BaseModel):
    """Whether a purchase order fits the remaining budget of every analytic account it touches."""

    model_config = ConfigDict(frozen=True)

    order_id: int | None
    order_name: str
    order_state: str
    partner_name: str
    as_of: dt.date
    currency: str
    total: Decimal                    # the order's amount still to be billed
    unallocated: Decimal              # amount of lines without an analytic distribution
    unallocated_po_line_ids: tuple[int, ...]
    accounts: tuple[PoAccountCheck, ...]
    fits: bool | None                 # every account fits; None when nothing could be checked
    reason: str


class ProjectBurn(BaseModel):
    """A project's cost to date, commitments and projected final cost against its budget."""

    model_config = ConfigDict(frozen=True)

    project_id: int
    project_name: str
    analytic_account_id: int
    analytic_account_name: str
    manager_name: str
    as_of: dt.date
    currency: str
    start: dt.date | None
    end: dt.date | None               # project end date, else the end of its budget lines
    budget: Decimal | None            # sum of the expense budget lines of its analytic account
    cost_to_date: Decimal
    committed: Decimal
    burn_rate: Decimal | None         # cost per day since the start
    projected_final_cost: Decimal
    projected_overrun: Decimal | None  # projected final cost - budget
    runout_date: dt.date | None       # when cost + commitments reach the budget at the current rate
    runs_out_before_end: bool | None
    line_keys: tuple[str, ...]
    analytic_line_ids: tuple[int, ...]
    move_line_ids: tuple[int, ...]
    po_line_ids: tuple[int, ...]
    reason: str
