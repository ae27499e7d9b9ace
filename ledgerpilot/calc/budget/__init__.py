"""Budget monitoring: budget vs actual vs committed, PO checks, project burn-down and alert proposals.

The one import for callers; the work is done in small modules:

- :mod:`ledgerpilot.calc.budget.status`: per-line status, projection, risk tier, totals
  (:func:`budget_status`, :class:`BudgetThresholds`)
- :mod:`ledgerpilot.calc.budget.po`: does a purchase order fit the remaining budget (:func:`check_po`)
- :mod:`ledgerpilot.calc.budget.burn`: project burn-down and run-out date (:func:`project_burn`)
- :mod:`ledgerpilot.calc.budget.proposals`: note / activity / transfer / PO hold (:func:`budget_proposals`)

All of them are pure: :class:`~ledgerpilot.calc.budget.frames.BudgetData` and an ``as_of`` date in,
frozen results out; no I/O and no clock.
"""

from __future__ import annotations

from ledgerpilot.calc.budget.burn import project_burn
from ledgerpilot.calc.budget.errors import (
    EmptyPurchaseOrderError,
    ProjectWithoutAnalyticAccountError,
    UnknownAnalyticAccountError,
    UnknownProjectError,
)
from ledgerpilot.calc.budget.po import check_po
from ledgerpilot.calc.budget.proposals import budget_proposals, last_time, risk_category, risk_text
from ledgerpilot.calc.budget.results import (
    BudgetLineStatus,
    BudgetReport,
    BudgetTotal,
    OrderCommitment,
    PoAccountCheck,
    PoCheck,
    ProjectBurn,
)
from ledgerpilot.calc.budget.status import BudgetThresholds, budget_status, resolve_account, tier_for

__all__ = ("BudgetLineStatus", "BudgetReport", "BudgetThresholds", "BudgetTotal", "EmptyPurchaseOrderError",
           "OrderCommitment", "PoAccountCheck", "PoCheck", "ProjectBurn", "ProjectWithoutAnalyticAccountError",
           "UnknownAnalyticAccountError", "UnknownProjectError", "budget_proposals", "budget_status", "check_po",
           "last_time", "project_burn", "resolve_account", "risk_category", "risk_text", "tier_for")
