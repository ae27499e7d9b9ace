"""Orders become invoices on their terms; never both an order line and its invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerpilot.calc.cash.forecast import ForecastParams, ThresholdCurrencyError, forecast, parse_threshold
from ledgerpilot.calc.cash.forecast.terms import PaymentTerms, due_date
from ledgerpilot.calc.cash.history import PAYMENT_TERM_COLUMNS
from tests.calc.cash.forecast.books import FixedDelays, day, frame, make_books, order_line

PARAMS = ForecastParams(include_run_rate=False, include_recurring=False, simulations=50)
TERMS = [
    {"payment_term_id": 3, "value": "percent", "value_amount": 30.0, "nb_days": 0, "delay_type": "days_after"},
    {"payment_term_id": 3, "value": "percent", "value_amount": 70.0, "nb_days": 60, "delay_type": "days_after"},
    {"payment_term_id": 5, "value": "percent", "value_amount": 100.0, "nb_days": 0,
     "delay_type": "days_after_end_of_next_month"},
    {"payment_term_id": 6, "value": "fixed", "value_amount": 100.0, "nb_days": 10, "delay_type": "days_after"},
    {"payment_term_id": 6, "value": "percent", "value_amount": 100.0, "nb_days": 40, "delay_type": "days_after"},
]


def test_odoo_due_dates():
    invoice = dt.date(2026, 1, 15)
    assert due_date(invoice, "days_after", 30) == dt.date(2026, 2, 14)
    assert due_date(invoice, "days_after_end_of_month", 10) == dt.date(2026, 2, 10)
    assert due_date(invoice, "days_after_end_of_next_month", 0) == dt.date(2026, 2, 28)
    assert due_date(dt.date(2026, 12, 3), "days_after_end_of_next_month", 0) == dt.date(2027, 1, 31)
    assert due_date(invoice, "days_end_of_month_on_the", 0) == dt.date(2026, 2, 1)


def test_installments_add_up_exactly():
    terms = PaymentTerms(frame(TERMS, PAYMENT_TERM_COLUMNS))
    split = terms.installments(3, dt.date(2026, 1, 1), 100001)
    assert split == [(dt.date(2026, 1, 1), 30000), (dt.date(2026, 3, 2), 70001)]
    fixed = terms.installments(6, dt.date(2026, 1, 1), 25050)
    assert fixed == [(dt.date(2026, 1, 11), 10000), (dt.date(2026, 2, 10), 15050)]
    assert terms.installments(None, dt.date(2026, 1, 1), 500) == [(dt.date(2026, 1, 1), 500)]


def test_sale_order_dated_by_commitment_term_and_delay():
    books = make_books(0.0, orders=[order_line(1, "sale", "S1", 7, "Acme", 1000.01, commitment_in=5, term_id=3)],
                       terms=TERMS)
    result = forecast(books, FixedDelays({("receivable", 7): 4}), PARAMS)
    flows = sorted(result.flows, key=lambda f: f.due_date)
    assert [(f.due_date, f.expected_date, f.amount) for f in flows] == [
        (day(5), day(9), Decimal("300.00")), (day(65), day(69), Decimal("700.01"))]
    assert all(f.category == "sale_order" and f.source_model == "sale.order.line" for f in flows)
    no_delay = forecast(books, FixedDelays({("receivable", 7): 4}), PARAMS.model_copy(update={"order_delays": False}))
    assert sorted(f.expected_date for f in no_delay.flows) == [day(5), day(65)]
    # invoiced exactly when expected: every cent of the expected path is known
    exact = forecast(books, FixedDelays({("receivable", 7): 4}), PARAMS.model_copy(update={"order_timing_sd_days": 0}))
    assert {d.date: d.inflows for d in exact.days if d.inflows} == {day(9): Decimal("300.00"),
                                                                    day(69): Decimal("700.01")}
    # with the default spread of the invoice date, the same cents spread over the days around them
    assert sum(d.inflows for d in result.days) == Decimal("1000.01")
    assert sum(d.inflows for d in result.days if d.date <= day(30)) == Decimal("300.00")


def test_purchase_order_on_planned_date_and_vendor_term():
    books = make_books(0.0, orders=[order_line(2, "purchase", "P1", 9, "Vendor", 230.00, planned_in=-3, term_id=5)],
                       terms=TERMS)
    flow = forecast(books, FixedDelays(), PARAMS).flows[0]
    # planned before as_of: billed on the first forecast day (2026-03-03), due end of April
    assert flow.due_date == dt.date(2026, 4, 30) and flow.amount == Decimal("-230.00")


def test_order_without_commitment_uses_the_order_lag():
    books = make_books(0.0, orders=[order_line(3, "sale", "S3", 7, "Acme", 10.00, ordered_days_ago=10)])
    assert forecast(books, FixedDelays(), PARAMS).flows[0].due_date == day(1)
    books = make_books(0.0, orders=[order_line(3, "sale", "S3", 7, "Acme", 10.00, ordered_days_ago=1)])
    assert forecast(books, FixedDelays(), PARAMS).flows[0].due_date == day(2)


def test_orders_can_be_switched_off():
    books = make_books(0.0, orders=[order_line(1, "sale", "S1", 7, "Acme", 10.00, commitment_in=5)])
    assert forecast(books, FixedDelays(), PARAMS.model_copy(update={"include_orders": False})).flows == ()


def test_threshold_parsing():
    assert parse_threshold("25000", "EUR") == 25000.0
    assert parse_threshold("25,000.50 eur", "EUR") == 25000.5
    with pytest.raises(ThresholdCurrencyError, match="in USD, but the forecast is in the company currency EUR"):
        parse_threshold("25000 USD", "EUR")
    with pytest.raises(ThresholdCurrencyError, match="not an amount"):
        parse_threshold("lots", "EUR")
