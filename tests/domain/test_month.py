import datetime as dt

import pytest

from ledgerpilot.domain.month import Month, MonthError


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
