"""A month of longer budget lines: the months of a quarter add up to the quarter view (calc.budget.month)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerpilot.calc.budget import budget_status
from ledgerpilot.calc.budget.match import ActualIndex
from ledgerpilot.calc.budget.month import month_lines
from ledgerpilot.domain.month import Month
from tests.calc.budget.test_books import AS_OF, books

D = Decimal


def test_the_months_of_a_line_add_up_to_the_line():
    data = books()
    report = budget_status(data, AS_OF)
    index = ActualIndex(data.actuals, data.digits)
    for line in report.lines:
        months = []
        month = Month.of(line.date_from)
        while month.start <= line.date_to:
            months.extend(month_lines([line], index, month, AS_OF, data.digits))
            month = month.shift(1)
        assert months, line.key
        # plan, projection and commitments: the months add up to the line, within a cent per month
        tolerance = D("0.01") * len(months)
        assert abs(sum(m.planned for m in months) - line.planned) <= tolerance
        assert abs(sum(m.projected for m in months) - line.projected_end) <= tolerance
        assert abs(sum(m.committed for m in months) - line.committed) <= tolerance
        assert abs(sum(m.projected_total for m in months) - line.projected_total) <= tolerance
        assert sum(m.share for m in months) == __import__("pytest").approx(1.0, abs=1e-3)


def test_a_month_over_keeps_its_actual_and_a_month_ahead_gets_only_its_share():
    data = books()
    report = budget_status(data, AS_OF)
    index = ActualIndex(data.actuals, data.digits)
    line = next(item for item in report.lines if item.date_from < AS_OF < item.date_to)
    past = Month.of(line.date_from)
    ahead = Month.of(line.date_to)
    assert past.end < AS_OF < ahead.start
    (over,) = month_lines([line], index, past, AS_OF, data.digits)
    assert over.projected == over.actual and over.committed == 0
    (coming,) = month_lines([line], index, ahead, AS_OF, data.digits)
    assert coming.actual == 0 and coming.projected >= 0
    # a month outside the line gives nothing
    assert month_lines([line], index, Month.of(line.date_to + dt.timedelta(days=40)), AS_OF, data.digits) == ()
