"""Vendor payments with no bill behind them: matched to none, and nothing open on the payment day."""

from __future__ import annotations

import pytest

from ledgerpilot.calc.anomalies.detectors.payments_without_open_bill import DETECTOR, KIND
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.sandbox.generator import load_ground_truth
from ledgerpilot.tools.anomalies.data import load_anomaly_data
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d
from tests.conftest import DEMO_TODAY


def test_a_payment_to_a_vendor_that_never_billed_is_the_strongest_case():
    books = AnomalyBooks()
    stray = books.partner("Orion Clinics")
    payment = books.payment(stray, 2340.00, date=d("2025-04-10"), ref="Advance order 2291")
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.kind == KIND and anomaly.detector == "payments_without_open_bill"
    assert anomaly.score >= 0.85
    assert anomaly.primary.model == "account.payment" and anomaly.primary.id == payment
    assert anomaly.records[1].model == "account.move"
    assert str(anomaly.amount) == "2340.00" and anomaly.partner == "Orion Clinics"
    assert "never sent a bill" in anomaly.reason and "Advance order 2291" in anomaly.reason


def test_payments_matched_to_their_bills_are_not_reported():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    for month in range(1, 6):
        bill = books.bill(acme, 400.0 + month, date=d(f"2025-{month:02d}-05"), ref=f"A-{month}")
        books.payment(acme, 400.0 + month, date=d(f"2025-{month:02d}-25"), bills=[bill])
    assert DETECTOR(books.data()) == []


def test_an_unmatched_payment_while_a_bill_is_open_is_left_to_reconciliation():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    books.bill(acme, 900.00, date=d("2025-03-01"), ref="A-1")          # open: nothing paid it
    books.payment(acme, 900.00, date=d("2025-03-20"))                  # paid, just not matched
    assert DETECTOR(books.data()) == []


def test_a_bill_settled_on_the_payment_day_still_counts_as_open():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    bill = books.bill(acme, 900.00, date=d("2025-03-01"), ref="A-1")
    books.payment(acme, 900.00, date=d("2025-03-20"), bills=[bill])
    books.payment(acme, 900.00, date=d("2025-03-20"))                  # same day, a second unmatched one
    assert DETECTOR(books.data()) == []


def test_a_payment_after_every_bill_was_settled_is_reported():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    bill = books.bill(acme, 900.00, date=d("2025-03-01"), ref="A-1")
    books.payment(acme, 900.00, date=d("2025-03-20"), bills=[bill])
    again = books.payment(acme, 900.00, date=d("2025-04-02"))          # paid a second time
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.primary.id == again
    assert 0.5 <= anomaly.score < 0.85
    assert "its only earlier bill was settled before" in anomaly.reason
    assert anomaly.figures["vendor_bills_ever"] == anomaly.figures["vendor_bills_before"] == 1


def test_a_payment_long_before_the_vendor_first_billed_is_reported():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    early = books.payment(acme, 5000.00, date=d("2025-01-06"))
    books.bill(acme, 800.00, date=d("2025-05-02"), ref="A-1")             # four months later
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.primary.id == early and 0.5 <= anomaly.score < 0.85
    assert "had not billed anything yet" in anomaly.reason and anomaly.figures["vendor_bills_before"] == 0


def test_an_advance_followed_by_its_bill_is_listed_below_the_threshold():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    earlier = books.bill(acme, 300.00, date=d("2025-01-10"), ref="A-0")
    books.payment(acme, 300.00, date=d("2025-01-30"), bills=[earlier])
    advance = books.payment(acme, 1500.00, date=d("2025-03-03"), ref="Advance")
    books.bill(acme, 1500.00, date=d("2025-03-12"), ref="A-7")
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.primary.id == advance and anomaly.score < 0.5
    assert anomaly.figures["next_bill_days"] == 9 and "reconcile the two" in anomaly.reason
    assert len(anomaly.records) == 2       # the bill stays out of the records, so the key does not change


def test_customer_refunds_and_inbound_payments_are_out_of_scope():
    books = AnomalyBooks()
    customer = books.partner("Bright Retail")
    books.payment(customer, 120.00, date=d("2025-03-03"), partner_type="customer")
    books.payment(customer, 480.00, date=d("2025-03-05"), payment_type="inbound", partner_type="customer")
    vendor = books.partner("Acme Supplies")
    books.payment(vendor, 75.00, date=d("2025-03-06"), payment_type="inbound")   # a refund from a vendor
    books.payment(vendor, 60.00, date=d("2025-03-07"), state="draft")
    assert DETECTOR(books.data()) == []
    assert DETECTOR(books.data(), {"min_amount": 100.0}) == []


@pytest.fixture(scope="module")
def demo(sandbox):
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        return load_anomaly_data(client, today=DEMO_TODAY)


def test_demo_payment_without_bill_is_found_and_nothing_else(demo, demo_data_dir):
    truth = load_ground_truth(demo_data_dir)
    expected = [case for case in truth.anomalies if case.kind == KIND]
    found = {a.primary.id: a for a in DETECTOR(demo)}
    assert expected and {case.ids[0] for case in expected} <= set(found)
    for case in expected:
        assert found[case.ids[0]].records[1].id == case.details["move_id"]
        assert ("explained by no bill" in found[case.ids[0]].title) == bool(case.details.get("vendor_has_open_bills"))
    # anything else it reports is another injected payment (the one far above the vendor's usual amount)
    labelled_payments = {i for case in truth.anomalies if case.model == "account.payment" for i in case.ids}
    assert set(found) <= labelled_payments
