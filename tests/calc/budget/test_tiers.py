"""Risk tiers at their boundaries: exact to the cent, on finished periods where projection = actual."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerpilot.calc.budget import BudgetThresholds, budget_status, tier_for
from tests.calc.budget.test_books import MARKETING, PURCHASES, REVENUE, actual, books, d, line

D = Decimal
Q1 = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
AFTER = dt.date(2026, 4, 15)


DEFAULT = BudgetThresholds()


def _status(spent: float, planned: float = -1000.00, general=PURCHASES, thresholds=DEFAULT):
    data = books(budget_lines=[line(1, MARKETING, general, Q1, planned)],
                 actuals=[actual(1, d("2026-02-01"), MARKETING, general, spent)], commitments=[])
    return budget_status(data, AFTER, thresholds).lines[0]


@pytest.mark.parametrize(("spent", "tier"), [
    (-999.99, "ok"), (-1000.00, "ok"),              # no drift
    (-1000.01, "note"), (-1049.99, "note"),         # a drift below 5%
    (-1050.00, "medium"), (-1150.00, "medium"),     # from 5% up to 15% inclusive
    (-1150.01, "high"), (-2000.00, "high"),         # above 15%
])
def test_expense_tiers_at_the_boundaries(spent, tier):
    status = _status(spent)
    assert status.projection_method == "period_over"
    assert status.tier == tier


@pytest.mark.parametrize(("earned", "tier"), [
    (1000.00, "ok"), (1200.00, "ok"), (999.99, "note"), (950.00, "medium"), (849.99, "high")])
def test_income_tiers_judge_the_shortfall(earned, tier):
    assert _status(earned, planned=1000.00, general=REVENUE).tier == tier


def test_configured_thresholds():
    thresholds = BudgetThresholds(note_drift=0.10, high_overspend=0.20)
    assert _status(-1099.99, thresholds=thresholds).tier == "note"
    assert _status(-1100.00, thresholds=thresholds).tier == "medium"
    assert _status(-1200.00, thresholds=thresholds).tier == "medium"
    assert _status(-1200.01, thresholds=thresholds).tier == "high"
    assert "note below 10%, activity up to 20%" in _status(-1200.01, thresholds=thresholds).reason


def test_tier_for_is_exact():
    t = BudgetThresholds()
    assert tier_for(D("0.00"), D("1000.00"), t) == "ok"
    assert tier_for(D("0.01"), D("1000.00"), t) == "note"
    assert tier_for(D("50.00"), D("1000.00"), t) == "medium"
    assert tier_for(D("150.00"), D("1000.00"), t) == "medium"
    assert tier_for(D("150.01"), D("1000.00"), t) == "high"
    assert tier_for(D("0.01"), D("0.00"), t) == "high"
