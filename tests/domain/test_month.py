import datetime as dt

import pytest

from ledgerpilot.domain.month import (
    Month,
    MonthError,
    Period,
    PeriodError,
    add_months,
    month_end,
    month_start,
    months_back_start,
    next_working_day,
    year_earlier,
)


def test_parse_bounds_and_shifts():
    month = Month.parse("2026-02")
    assert (month.start, month.end, month.label) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28), "2026-02")
    assert Month.parse(" 2024-2 ").end == dt.date(2024, 2, 29)
    assert Month(2026, 12).next() == Month(2027, 1) and Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2026, 11).shift(-13) == Month(2025, 10) and Month.of(dt.date(2026, 11, 26)) == Month(2026, 11)


@pytest.mark.parametrize("text", ["2026-13", "2026", "26-10", "october", "", "2026-00"])
def test_malformed_months_are_refused_with_the_text(text):
    with pytest.raises(MonthError, match="YYYY-MM"):
        Month.parse(text)


# -- day arithmetic and periods: the one place months are stepped ----------------------------------------


@pytest.mark.parametrize("day, months, expected", [
    (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),      # clamped to a short month
    (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),      # leap year
    (dt.date(2024, 3, 31), -1, dt.date(2024, 2, 29)),
    (dt.date(2026, 5, 31), -1, dt.date(2026, 4, 30)),
    (dt.date(2026, 11, 15), 2, dt.date(2027, 1, 15)),     # across a year end
    (dt.date(2026, 1, 15), -13, dt.date(2024, 12, 15)),
    (dt.date(2026, 6, 30), 0, dt.date(2026, 6, 30)),
    (dt.date(2000, 2, 29), 12, dt.date(2001, 2, 28)),
    (dt.date(1900, 1, 31), 1, dt.date(1900, 2, 28)),      # 1900 is no leap year
])
def test_add_months_keeps_the_day_or_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_add_months_on_a_given_day_of_the_month():
    assert add_months(dt.date(2026, 1, 5), 1, day_of_month=31) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 1, 5), 1, day_of_month=30) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2026, 1, 31), 2, day_of_month=15) == dt.date(2026, 3, 15)


def test_year_earlier_month_bounds_and_window_start():
    assert year_earlier(dt.date(2024, 2, 29)) == dt.date(2023, 2, 28)
    assert year_earlier(dt.date(2026, 12, 31)) == dt.date(2025, 12, 31)
    assert month_end(dt.date(2024, 2, 1)) == dt.date(2024, 2, 29) and month_end(dt.date(2100, 2, 1)).day == 28
    assert month_end(dt.date(2026, 12, 31)) == dt.date(2026, 12, 31)
    assert month_start(dt.date(2026, 3, 31)) == dt.date(2026, 3, 1)
    assert months_back_start(dt.date(2026, 3, 31), 0) == dt.date(2026, 3, 1)
    assert months_back_start(dt.date(2026, 3, 31), 15) == dt.date(2024, 12, 1)


@pytest.mark.parametrize("text, start, end, label", [
    ("2024", dt.date(2024, 1, 1), dt.date(2024, 12, 31), "2024"),
    ("2024-q1", dt.date(2024, 1, 1), dt.date(2024, 3, 31), "2024-Q1"),
    ("2026Q2", dt.date(2026, 4, 1), dt.date(2026, 6, 30), "2026-Q2"),
    (" 2026-Q4 ", dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026-Q4"),
    ("2024-2", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "2024-02"),
])
def test_period_parse(text, start, end, label):
    assert Period.parse(text) == Period(start, end, label)


@pytest.mark.parametrize("text, reason", [("2026-13", "month"), ("2026-00", "month"), ("1899", "year"),
                                          ("3000-01", "year"), ("2026-Q5", "form"), ("", "form"),
                                          ("２０２６", "form"), ("2026-11-18", "form")])
def test_period_parse_says_what_was_wrong(text, reason):
    with pytest.raises(PeriodError) as error:
        Period.parse(text)
    assert error.value.reason == reason and repr(text[:40]) in str(error.value) and error.value.exit_code == 2


@pytest.mark.parametrize("day, expected", [
    (dt.date(2026, 11, 20), dt.date(2026, 11, 20)),   # a Friday stays
    (dt.date(2026, 11, 21), dt.date(2026, 11, 23)),   # Saturday -> Monday
    (dt.date(2026, 11, 22), dt.date(2026, 11, 23)),   # Sunday -> Monday
    (dt.date(2026, 12, 27), dt.date(2026, 12, 28)),   # across nothing but the weekend
    (dt.date(2027, 1, 2), dt.date(2027, 1, 4)),       # a Saturday at a year start
])
def test_a_weekend_day_moves_to_the_next_working_day(day, expected):
    assert next_working_day(day) == expected
