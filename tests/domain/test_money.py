"""The one money formatter: Decimal from end to end, half-up, grouped, never "-0.00"."""

from decimal import Decimal

import pytest

from ledgerpilot.domain.money import Money, exact_amount, format_amount


@pytest.mark.parametrize("value, digits, currency, expected", [
    (Decimal("1234567.891"), 2, None, "1,234,567.89"),
    (Decimal("-1234567.891"), 2, "EUR", "-1,234,567.89 EUR"),
    (Decimal("1234.5"), 2, None, "1,234.50"),
    (Decimal("0.005"), 2, None, "0.01"),                 # half-up, not the banker's 0.00
    (Decimal("-0.005"), 2, None, "-0.01"),
    (Decimal("2.675"), 2, None, "2.68"),
    (2.675, 2, None, "2.68"),                            # a float read as written (binary 2.67499...)
    (Decimal("-0.001"), 2, None, "0.00"),                # no negative zero
    (Decimal("-0.00"), None, "EUR", "0.00 EUR"),
    (Decimal("1234.5"), 0, "JPY", "1,235 JPY"),          # zero-decimal currency
    (Decimal("-1234.4"), 0, "JPY", "-1,234 JPY"),
    (Decimal("12.3456"), 3, "KWD", "12.346 KWD"),        # three-decimal currency
    (1234, None, None, "1,234"),
    (Decimal("1E+2"), None, None, "100"),                # never scientific notation
    (Decimal("1E+30"), 2, None, "1,000,000,000,000,000,000,000,000,000,000.00"),
    ("1234.50", None, None, "1,234.50"),
])
def test_format_amount(value, digits, currency, expected):
    assert format_amount(value, digits, currency) == expected


def test_without_digits_an_amount_shows_the_decimals_it_carries():
    assert format_amount(Decimal("5.00")) == "5.00" and format_amount(Decimal("5")) == "5"
    assert format_amount(Decimal("12.3456")) == "12.3456"
    assert str(Money(amount=Decimal("-1234.50"), currency="eur")) == "-1,234.50 EUR"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity"), "lots", True])
def test_what_is_not_an_amount_is_refused(value):
    with pytest.raises(ValueError):
        format_amount(value, 2)
    with pytest.raises(ValueError):
        exact_amount(value)


def test_exact_amount_reads_floats_through_their_shortest_repr():
    assert exact_amount(0.1) == Decimal("0.1") and exact_amount(" 12.50 ") == Decimal("12.50")
