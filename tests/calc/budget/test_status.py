"""Budget vs actual vs committed on the hand-made books (tests/calc/budget/test_books.py): every cent known."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerpilot.calc.budget import BudgetThresholds, UnknownAnalyticAccountError, budget_status
from tests.calc.budget.test_books import (
    AS_OF,
    BUDGET_LINES,
    IT,
    MARKETING,
    PURCHASES,
    Q4,
    actual,
    books,
    commitment,
    d,
    line,
)

D = Decimal


def _line(report, line_id):
    return next(item for item in report.lines if item.line_id == line_id)


def test_split_distribution_partial_billing_and_unknown_account_on_marketing_purchases():
    report = budget_status(books(), AS_OF)
    purchases = _line(report, 1)
    # 2500.00 + 1234.56 + 60% of journal item 201 (1000.00) = 4334.56; Q3 and after-as_of rows left out
    assert purchases.actual == D("4334.56")
    # 600.00 still to bill (4 of 10 units billed) + 60% of 250.00 + 300.00 of unknown account (largest line)
    assert purchases.committed == D("1050.00")
    assert purchases.available == D("4615.44")
    assert purchases.variance == D("-5665.44")
    assert purchases.utilisation == pytest.approx(5384.56 / 10000)
    assert purchases.planned == D("10000.00") and purchases.planned_odoo == D("-10000.00")
    assert purchases.direction == "expense"
    assert (purchases.elapsed_days, purchases.total_days) == (46, 92)
    assert purchases.burn_rate == D("94.23")                 # 4334.56 / 46
    assert purchases.projection_method == "linear"
    assert purchases.projected_end == D("8669.12")          # 4334.56 + 4334.56 * 46 / 46
    assert purchases.projected_total == D("9719.12")
    assert purchases.projected_overspend_pct == pytest.approx(-280.88 / 10000)
    assert purchases.tier == "ok"
    assert purchases.analytic_line_ids == (101, 102)
    assert purchases.move_line_ids == (201,)
    assert purchases.po_line_ids == (301, 302, 306)
    assert [(o.order_name, o.amount) for o in purchases.orders] == [
        ("P00031", D("600.00")), ("P00036", D("300.00")), ("P00032", D("150.00"))]
    assert purchases.owner_id == 7 and purchases.owner_name == "Clara Controller"
    assert purchases.key == "1/1"
    assert "4,334.56 of 10,000.00 EUR" in purchases.reason and "-> ok" in purchases.reason


def test_the_other_share_of_a_split_only_counts_where_a_position_takes_its_account():
    report = budget_status(books(), AS_OF)
    # IT's 40% of journal item 201 is on purchases (600); IT budgets software and rent only
    assert 201 not in _line(report, 2).move_line_ids and 201 not in _line(report, 3).move_line_ids
    assert _line(report, 2).actual == D("6000.00")
    # IT's 40% of PO line 302 (100.00) and the 2027 order (700.00) fall under no budget line
    assert report.findings == (("2 open purchase-order amounts (800.00 EUR) fall under no budget line (no line "
                                "for their analytic account, period or expense account)"),)


def test_position_accounts_restrict_actuals_and_commitments():
    report = budget_status(books(), AS_OF)
    rent = _line(report, 5)
    assert rent.actual == D("999.99") and rent.analytic_line_ids == (103,)
    assert rent.committed == D("0.00")          # the unknown-account PO goes to the larger line only
    software = _line(report, 2)
    assert software.committed == D("1000.00") and software.po_line_ids == (304,)


def test_seasonal_projection_uses_last_years_shape():
    software = _line(budget_status(books(), AS_OF), 2)
    # last year: 3000.00 before 16 Nov, 9000.00 after -> remaining = 6000.00 * 9000 / 3000
    assert software.projection_method == "seasonal"
    assert software.projected_end == D("24000.00")
    assert software.projected_total == D("25000.00")
    assert software.projected_overspend_pct == pytest.approx(0.25)
    assert software.tier == "high"
    assert "75% of last year's spending" in software.reason
    rent = _line(budget_status(books(), AS_OF), 3)
    assert (rent.projected_end, rent.tier) == (D("9000.00"), "medium")   # 500.00 over 8500.00 = 5.88%


def test_income_line_is_shown_as_amount_to_earn_and_judged_on_shortfall():
    revenue = _line(budget_status(books(), AS_OF), 6)
    assert revenue.direction == "income"
    assert (revenue.planned, revenue.planned_odoo, revenue.actual) == (D("30000.00"), D("30000.00"), D("10000.00"))
    assert revenue.committed == D("0.00") and revenue.available == D("20000.00")
    assert revenue.projected_end == D("20000.00")
    assert revenue.projected_overspend_pct == pytest.approx(-1 / 3)
    assert revenue.drift_pct == pytest.approx(1 / 3)
    assert revenue.tier == "high"
    assert "short of the target" in revenue.reason


def test_period_over_projects_the_actual_and_moves_open_commitments_to_the_current_period():
    later = dt.date(2027, 1, 5)
    purchases = _line(budget_status(books(), later), 1)
    assert purchases.projection_method == "period_over"
    assert purchases.actual == D("4434.56")          # row 105 (17 Nov) now counts
    assert purchases.projected_end == purchases.actual
    assert purchases.committed == D("0.00")          # still open in January: billed in January, not Q4


def test_first_day_of_the_period_has_no_burn_rate():
    first = Q4[0]
    report = budget_status(books(), first)
    rent = _line(report, 3)           # IT rent: 3000.00 booked on 1 Oct; last year 9000.00 in Q4
    assert (rent.elapsed_days, rent.burn_rate) == (0, None)
    assert rent.actual == D("3000.00")
    assert rent.projection_method == "no_burn_history" and rent.projected_end == D("9000.00")
    purchases = _line(report, 1)      # no history: planned pace = plan less commitments
    assert purchases.projection_method == "no_burn_planned_pace"
    assert purchases.committed == D("1050.00")     # 302 planned 10 Oct, 301, 306 -> all in Q4
    assert purchases.projected_end == D("8950.00")
    assert purchases.projected_total == D("10000.00") and purchases.tier == "ok"


def test_totals_per_analytic_account_and_plan():
    report = budget_status(books(), AS_OF)
    it = next(t for t in report.accounts if t.id == IT and t.direction == "expense")
    assert (it.line_count, it.planned, it.actual, it.committed) == (2, D("28500.00"), D("12000.00"), D("1000.00"))
    assert (it.available, it.projected_total, it.worst_tier) == (D("15500.00"), D("34000.00"), "high")
    marketing_income = next(t for t in report.accounts if t.id == MARKETING and t.direction == "income")
    assert marketing_income.planned == D("30000.00")
    departments = next(t for t in report.plans if t.name == "Departments" and t.direction == "expense")
    assert departments.line_count == 5
    assert departments.planned == D("48450.00")     # 10000 + 20000 + 8500 + 8000 + 1950
    assert departments.actual == D("19334.55")      # 4334.56 + 6000 + 6000 + 2000 + 999.99
    assert departments.committed == D("2050.00")
    projects = next(t for t in report.plans if t.name == "Projects")
    assert projects.line_count == 1 and projects.committed == D("500.00")


def test_at_risk_lists_the_most_serious_first():
    report = budget_status(books(), AS_OF)
    assert [(line.line_id, line.tier) for line in report.at_risk()] == [
        (6, "high"), (2, "high"), (3, "medium"), (5, "note")]


def test_one_account_by_name_code_or_id():
    for wanted in ("it", "DEPT011", IT, str(IT)):
        report = budget_status(books(), AS_OF, account=wanted)
        assert {line.line_id for line in report.lines} == {2, 3}
    with pytest.raises(UnknownAnalyticAccountError, match="no analytic account 'Sales'.*IT, Marketing, Website"):
        budget_status(books(), AS_OF, account="Sales")


def test_cancelled_budgets_are_left_out_and_no_lines_is_said():
    lines = [line(1, MARKETING, PURCHASES, Q4, -10000.00, state="cancel")]
    report = budget_status(books(budget_lines=lines), AS_OF)
    assert report.lines == () and report.findings == ("no budget lines (crossovered budgets (hand-made))",)
    assert report.source == "crossovered"


def test_nothing_planned_but_spent_is_high():
    lines = [line(1, MARKETING, PURCHASES, Q4, 0.0)]
    status = budget_status(books(budget_lines=lines), AS_OF).lines[0]
    assert status.direction == "expense" and status.utilisation is None and status.projected_overspend_pct is None
    assert status.tier == "high" and "nothing is planned" in status.reason


def test_exact_minor_unit_sums_over_many_small_amounts():
    rows = [actual(1000 + i, d("2026-10-02"), MARKETING, PURCHASES, -0.1) for i in range(1000)]
    status = _line(budget_status(books(actuals=rows, commitments=[]), AS_OF), 1)
    assert status.actual == D("100.00") and len(status.analytic_line_ids) == 1000


def test_thresholds_must_be_ordered():
    with pytest.raises(ValueError, match="note_drift <= high_overspend"):
        BudgetThresholds(note_drift=0.2, high_overspend=0.1)


def test_budget_lines_of_the_books_are_all_reported():
    report = budget_status(books(), AS_OF)
    assert sorted(line.line_id for line in report.lines) == sorted(row["line_id"] for row in BUDGET_LINES)


def test_a_line_without_analytic_account_is_pointed_out():
    lines = [line(1, None, PURCHASES, Q4, -1000.00)]
    report = budget_status(books(budget_lines=lines), AS_OF)
    assert report.lines[0].actual == D("0.00")
    assert any("have no analytic account" in finding for finding in report.findings)


def test_open_orders_without_analytic_distribution_are_told_apart():
    rows = [commitment(500, 50, None, 250.00, d("2026-12-01"))]
    report = budget_status(books(commitments=rows), AS_OF)
    assert report.findings == (("1 open purchase-order amounts (250.00 EUR) have no analytic distribution, so no "
                               "budget covers them"),)


def test_a_line_without_planned_amount_plans_nothing():
    lines = [line(1, MARKETING, PURCHASES, Q4, None)]
    status = budget_status(books(budget_lines=lines, commitments=[]), AS_OF).lines[0]
    assert (status.planned, status.actual, status.tier) == (D("0.00"), D("4334.56"), "high")
