"""One month's close review: the checks, the trial balance, bank matches and the adjusting entries.

A thin adapter, gateway -> calculators: it reads what each calculator needs from Odoo and runs
them, and returns their typed results together. Nothing is stored and nothing is written; the close
graph (ledgerpilot/graphs/close.py) decides what to keep and what to propose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ledgerpilot.calc.close.accruals import propose_accruals
from ledgerpilot.calc.close.checks import CloseChecklist, run_checks
from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.calc.close.matching import MatchConfig, MatchResult, match_bank_lines
from ledgerpilot.calc.close.own_entries import OwnEntry
from ledgerpilot.calc.close.trial_balance import TrialBalanceReview, review_trial_balance
from ledgerpilot.domain.month import Month
from ledgerpilot.domain.proposal import Proposal
from ledgerpilot.tools.close.accruals import load_accrual_data
from ledgerpilot.tools.close.data import load_close_data
from ledgerpilot.tools.close.reconciliation import load_reconciliation_data

Progress = Callable[[str, float | None], None]


@dataclass(frozen=True)
class CloseReview:
    month: Month
    company_name: str
    currency: str
    checklist: CloseChecklist
    trial_balance: TrialBalanceReview
    matches: MatchResult
    bank_lines: Any                  # the unreconciled bank lines matched (DataFrame), for the report
    proposals: list[Proposal]        # accruals, prepaid amortisation and their reversals
    skipped: list[str]               # what could not be proposed, and why


def _step(progress: Progress | None, message: str, fraction: float) -> None:
    if progress is not None:
        progress(message, fraction)


def check_month(client, month: Month, *, today: dt.date, config: CloseConfig,
                progress: Progress | None = None, own_entries: Mapping[int, OwnEntry] | None = None) -> CloseChecklist:
    """Only the close checks (what the demo and the lock-date step need). ``own_entries``: the entries
    ledgerpilot wrote for approved proposals (``tools.close.own_entries``), whose drafts are the close's own step."""
    stage = None if progress is None else (lambda name: progress(f"reading {name}", None))
    data = load_close_data(client, month, today=today, history_months=config.history_months, progress=stage)
    return run_checks(replace(data, own_entries=dict(own_entries or {})), config)


def review_month(client, month: Month, *, today: dt.date, config: CloseConfig, run_id: str,
                 progress: Progress | None = None, own_entries: Mapping[int, OwnEntry] | None = None) -> CloseReview:
    """Everything the close of ``month`` looks at, as of ``today``."""
    _step(progress, f"reading the books of {month}", 0.0)
    data = load_close_data(client, month, today=today, history_months=config.history_months)
    data = replace(data, own_entries=dict(own_entries or {}))
    _step(progress, "running the close checks", 0.3)
    checklist = run_checks(data, config)
    trial_balance = review_trial_balance(data, config)
    _step(progress, "matching bank lines", 0.5)
    reconciliation = load_reconciliation_data(client, as_of=month.end)
    matches = match_bank_lines(reconciliation.bank_lines, reconciliation.open_items,
                               config=MatchConfig(high=config.match_high_confidence))
    _step(progress, "proposing accruals", 0.8)
    accrual_data = load_accrual_data(client, month, today=today)
    accruals = propose_accruals(accrual_data, month, run_id=run_id)
    _step(progress, "review done", 1.0)
    return CloseReview(month=month, company_name=data.company_name, currency=data.currency, checklist=checklist,
                       trial_balance=trial_balance, matches=matches, bank_lines=reconciliation.bank_lines,
                       proposals=list(accruals), skipped=list(accruals.skipped))
