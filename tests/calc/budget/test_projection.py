"""Projection to period end: each method and each edge case, with the figures worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerpilot.calc.budget.projection import LastYear, project, year_earlier

D = Decimal
START, END = dt.date(2026, 10, 1), dt.date(2026, 12, 31)     # 92 days


def _project(actual, as_of, last_year=None, planned="9200.00", committed="0.00"):
    return project(D(actual), D(planned), D(committed), START, END, as_of, last_year)


def test_linear_without_history():
    result = _project("1000.00", dt.date(2026, 10, 11))      # 10 days behind, 82 ahead
    assert (result.method, result.elapsed_days, result.total_days) == ("linear", 10, 92)
    assert result.burn_rate == D("100.00")
    assert result.projected_end == D("9200.00")
    assert "no spending in the same period last year" in result.words


def test_seasonal_with_last_years_shape():
    # last year 2000.00 before the same day, 6000.00 after: the rest is three times what was spent so far
    result = _project("1000.00", dt.date(2026, 10, 11), LastYear(total=D("8000.00"), before=D("2000.00")))
    assert result.method == "seasonal" and result.projected_end == D("4000.00")
    assert "75% of last year's spending" in result.words


def test_last_year_with_nothing_before_the_day_falls_back_to_linear():
    result = _project("1000.00", dt.date(2026, 10, 11), LastYear(total=D("8000.00"), before=D("0.00")))
    assert result.method == "linear" and result.projected_end == D("9200.00")
    assert "spent nothing before this day" in result.words


def test_first_day_without_history_projects_the_planned_pace():
    result = _project("0.00", START, committed="1200.00")
    assert (result.method, result.elapsed_days, result.burn_rate) == ("no_burn_planned_pace", 0, None)
    assert result.projected_end == D("8000.00")               # 9200.00 planned - 1200.00 committed
    assert "first day of the period" in result.words


def test_first_day_with_commitments_beyond_the_plan_projects_nothing_more():
    result = _project("0.00", START, committed="9500.00")
    assert result.projected_end == D("0.00")


def test_first_day_with_history_projects_last_years_period():
    result = _project("300.00", START, LastYear(total=D("7000.00"), before=D("0.00")))
    assert result.method == "no_burn_history" and result.projected_end == D("7000.00")


def test_first_day_never_projects_below_what_is_already_booked():
    result = _project("9999.00", START)
    assert result.projected_end == D("9999.00")


def test_not_started_yet():
    result = _project("0.00", dt.date(2026, 9, 20))
    assert result.method == "not_started" and result.elapsed_days == 0 and result.projected_end == D("9200.00")
    assert "has not started" in result.words


def test_period_already_over_projects_the_actual():
    result = _project("8765.43", dt.date(2027, 1, 1), LastYear(total=D("1.00"), before=D("1.00")))
    assert result.method == "period_over" and result.projected_end == D("8765.43")
    assert result.elapsed_days == 92


def test_last_day_still_has_one_day_ahead():
    result = _project("9100.00", END)           # 91 days behind
    assert result.method == "linear" and result.projected_end == D("9200.00")


def test_net_refunds_never_project_negative_spending():
    result = _project("-50.00", dt.date(2026, 10, 11))
    assert result.burn_rate == D("-5.00") and result.projected_end == D("-50.00")


def test_year_earlier_of_29_february():
    assert year_earlier(dt.date(2028, 2, 29)) == dt.date(2027, 2, 28)
    assert year_earlier(dt.date(2026, 11, 16)) == dt.date(2025, 11, 16)
