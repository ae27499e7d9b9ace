"""Project burn-down on the hand-made books: Website Relaunch (analytic account Website), 1 Oct - 31 Dec 2026.

Costs 2000.00 (10 Oct, purchases) and 1000.00 (5 Nov, software); 5000.00 revenue on 1 Nov is not cost;
500.00 still to bill on P00035. As of 16 Nov: 46 days behind, 46 ahead; burn 3000.00 / 46 = 65.22 a day.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerpilot.calc.budget import ProjectWithoutAnalyticAccountError, UnknownProjectError, project_burn
from tests.calc.budget.test_books import AS_OF, PURCHASES, Q4, WEBSITE, books, line

D = Decimal


def _website(planned: float, general=None):
    return [line(7, WEBSITE, general, Q4, planned, budget=(2, "Projects 2026"))]


def test_burn_down_of_the_website_project():
    burn = project_burn(books(), "website relaunch", AS_OF)
    assert (burn.project_id, burn.analytic_account_name, burn.manager_name) == (70, "Website", "Pia Projects")
    assert (burn.start, burn.end) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert burn.budget == D("10000.00")
    assert burn.cost_to_date == D("3000.00")
    assert burn.committed == D("500.00")
    assert burn.burn_rate == D("65.22")
    assert burn.projected_final_cost == D("6000.12")           # 3000.00 + 65.22 * 46 (more than the 500.00)
    assert burn.projected_overrun == D("-3999.88")
    # (10000.00 - 3000.00 - 500.00) / 65.22 = 99.7 -> 100 days after 16 Nov
    assert burn.runout_date == dt.date(2027, 2, 24) and burn.runs_out_before_end is False
    assert burn.analytic_line_ids == (150, 151) and burn.po_line_ids == (305,) and burn.line_keys == ("2/7",)
    assert "runs out on 2027-02-24, after the end" in burn.reason


def test_runs_out_before_the_end():
    burn = project_burn(books(budget_lines=_website(-5000.00)), 70, AS_OF)
    # (5000.00 - 3000.00 - 500.00) / 65.22 = 23.0 -> 23 days
    assert burn.runout_date == dt.date(2026, 12, 9) and burn.runs_out_before_end is True
    assert burn.projected_overrun == D("1000.12")


def test_budget_already_spent_reports_the_day_it_was_crossed():
    burn = project_burn(books(budget_lines=_website(-2500.00)), "70", AS_OF)
    assert burn.runout_date == dt.date(2026, 11, 5)        # cumulative cost 2000.00, then 3000.00
    assert "the cost to date passed the budget on 2026-11-05" in burn.reason


def test_commitments_taking_the_rest_run_it_out_today():
    burn = project_burn(books(budget_lines=_website(-3400.00)), 70, AS_OF)
    assert burn.runout_date == AS_OF
    assert "the open purchase orders already take the whole budget" in burn.reason


def test_no_spending_never_runs_out():
    burn = project_burn(books(actuals=[]), 70, AS_OF)
    assert (burn.cost_to_date, burn.burn_rate, burn.runout_date) == (D("0.00"), D("0.00"), None)
    assert burn.projected_final_cost == D("500.00")         # the commitments alone
    assert "does not run out" in burn.reason


def test_positions_restrict_the_cost_to_their_accounts():
    burn = project_burn(books(budget_lines=_website(-10000.00, general=PURCHASES)), 70, AS_OF)
    assert burn.cost_to_date == D("2000.00") and burn.analytic_line_ids == (150,)


def test_project_without_budget_lines():
    burn = project_burn(books(budget_lines=[]), 70, AS_OF)
    assert burn.budget is None and burn.runout_date is None and burn.projected_overrun is None
    assert burn.cost_to_date == D("3000.00")
    assert "no budget line for its analytic account" in burn.reason


def test_unknown_project_and_project_without_account():
    with pytest.raises(UnknownProjectError, match="no project 'Moon Base'; projects: No Account, Website Relaunch"):
        project_burn(books(), "Moon Base", AS_OF)
    with pytest.raises(ProjectWithoutAnalyticAccountError, match="'No Account' has no analytic account"):
        project_burn(books(), "No Account", AS_OF)
