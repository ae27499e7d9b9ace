"""Customer credit notes large relative to the original sale and unusual for the customer or the
salesperson; a full credit note followed by a re-issued invoice is a correction, not an anomaly."""

from __future__ import annotations

import pytest

from ledgerpilot.calc.anomalies.detectors.large_credit_notes import DETECTOR, KIND
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.sandbox.generator import load_ground_truth
from ledgerpilot.tools.anomalies.data import load_anomaly_data
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d
from tests.conftest import DEMO_TODAY


def units(quantity: float) -> dict:
    """Line options of a credit note crediting ``quantity`` units (its sales line is the first)."""
    return {"line_extra": {0: {"quantity": quantity}}}


def _ordinary_returns(books: AnomalyBooks, salesperson: str = "sales") -> None:
    """Other customers' small returns: 10-30% of their sales, the company's usual."""
    for index, share in enumerate((0.1, 0.2, 0.15, 0.3, 0.25)):
        customer = books.partner(f"Customer {index}")
        sale = books.invoice(customer, 1000.0 + 100 * index, date=d(f"2025-0{index + 1}-10"), salesperson=salesperson)
        books.credit_note(customer, round((1000.0 + 100 * index) * share, 2), date=d(f"2025-0{index + 1}-20"),
                          reversed_entry=sale, salesperson=salesperson, **units(3))


def test_a_credit_note_of_90_percent_of_the_sale_is_reported_with_both_records():
    books = AnomalyBooks()
    _ordinary_returns(books)
    customer = books.partner("Bright Retail")
    sale = books.invoice(customer, 4200.0, date=d("2025-03-10"), salesperson="sales")
    refund = books.credit_note(customer, 3780.0, date=d("2025-03-19"), reversed_entry=sale, salesperson="sales",
                               **units(9))
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.kind == KIND and anomaly.detector == "large_credit_notes"
    assert [r.id for r in anomaly.records] == [refund, sale]
    assert anomaly.score >= 0.8
    assert "90%" in anomaly.title and str(anomaly.amount) == "3780.00"
    assert str(anomaly.figures["ratio"]) == "0.900" and anomaly.user == "Sales"


def test_ordinary_returns_are_not_reported():
    books = AnomalyBooks()
    _ordinary_returns(books)
    assert DETECTOR(books.data()) == []


def test_a_full_credit_note_followed_by_a_reissued_invoice_is_a_correction():
    books = AnomalyBooks()
    _ordinary_returns(books)
    customer = books.partner("Bright Retail")
    sale = books.invoice(customer, 2360.40, date=d("2025-04-05"), salesperson="sales")
    books.credit_note(customer, 2360.40, date=d("2025-04-11"), reversed_entry=sale, salesperson="sales", **units(6))
    books.invoice(customer, 2360.40, date=d("2025-04-11"), salesperson="sales")
    assert DETECTOR(books.data()) == []


def test_a_full_credit_note_without_a_reissue_is_reported():
    books = AnomalyBooks()
    _ordinary_returns(books)
    customer = books.partner("Bright Retail")
    sale = books.invoice(customer, 2360.40, date=d("2025-04-05"), salesperson="sales")
    books.credit_note(customer, 2360.40, date=d("2025-04-11"), reversed_entry=sale, salesperson="sales", **units(6))
    books.invoice(customer, 2360.40, date=d("2025-07-30"), salesperson="sales")     # months later: not a re-issue
    books.invoice(customer, 1980.00, date=d("2025-04-12"), salesperson="sales")     # another amount
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.figures["ratio"] == 1 and anomaly.score >= 0.9


def test_the_original_is_found_through_the_sales_order_when_there_is_no_reversal_link():
    books = AnomalyBooks()
    _ordinary_returns(books)
    customer = books.partner("Bright Retail")
    first = books.invoice(customer, 1500.0, date=d("2025-03-01"), invoice_origin="S00042")
    second = books.invoice(customer, 500.0, date=d("2025-03-08"), invoice_origin="S00042")
    books.invoice(customer, 700.0, date=d("2025-03-09"), invoice_origin="S00043")
    refund = books.credit_note(customer, 1600.0, date=d("2025-03-20"), invoice_origin="S00042", **units(8))
    (anomaly,) = DETECTOR(books.data())
    assert [r.id for r in anomaly.records] == [refund, first, second]
    assert str(anomaly.figures["original_amount"]) == "2000.00" and str(anomaly.figures["ratio"]) == "0.800"


def test_a_salesperson_whose_credit_notes_are_always_large_is_judged_against_the_customer():
    books = AnomalyBooks()
    _ordinary_returns(books)
    # a customer whose returns are usually small (about 10%), and a salesperson, Lee, who usually
    # credits 80%: unusual for the customer though not for Lee, so it is reported against the customer
    customer = books.partner("Bright Retail")
    for month, share in ((1, 0.1), (2, 0.12), (3, 0.08)):
        sale = books.invoice(customer, 1000.0, date=d(f"2025-0{month}-02"), salesperson="kim")
        books.credit_note(customer, 1000.0 * share, date=d(f"2025-0{month}-09"), reversed_entry=sale,
                          salesperson="kim", **units(2))
    for index in range(3):
        other = books.partner(f"Kim's customer {index}")
        sale = books.invoice(other, 800.0, date=d(f"2025-0{index + 1}-15"), salesperson="lee")
        books.credit_note(other, 640.0, date=d(f"2025-0{index + 1}-25"), reversed_entry=sale, salesperson="lee",
                          **units(4))
    sale = books.invoice(customer, 900.0, date=d("2025-05-02"), salesperson="lee")
    refund = books.credit_note(customer, 720.0, date=d("2025-05-09"), reversed_entry=sale, salesperson="lee",
                               **units(4))
    found = {a.primary.id: a for a in DETECTOR(books.data())}
    assert refund in found
    # the customer's median counts this credit note too: (10% + 12%) / 2 among 8%, 10%, 12%, 80%
    assert "Bright Retail's credit notes are usually 11%" in found[refund].reason


def test_a_single_unit_return_stays_under_the_threshold():
    books = AnomalyBooks()
    _ordinary_returns(books)
    customer = books.partner("Bright Retail")
    sale = books.invoice(customer, 336.91, date=d("2025-04-05"))
    books.credit_note(customer, 336.91, date=d("2025-04-15"), reversed_entry=sale, **units(1))
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.score < 0.5 and "single unit" in anomaly.reason


def test_credit_notes_without_an_original_sale_cannot_be_measured():
    books = AnomalyBooks()
    customer = books.partner("Bright Retail")
    books.credit_note(customer, 5000.0, date=d("2025-04-15"))
    assert DETECTOR(books.data()) == []


@pytest.fixture(scope="module")
def demo(sandbox):
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        return load_anomaly_data(client, today=DEMO_TODAY)


def test_demo_large_credit_note_is_the_top_finding_and_the_reissue_is_not_reported(demo, demo_data_dir):
    truth = load_ground_truth(demo_data_dir)
    (expected,) = [case for case in truth.anomalies if case.kind == KIND]
    found = DETECTOR(demo)
    assert [r.id for r in found[0].records] == list(expected.ids)
    assert [a for a in found if a.score >= 0.5] == [found[0]]
    reissue = {i for case in truth.not_anomalies if case.kind == "credit_note_and_reissue" for i in case.ids}
    assert not any(r.id in reissue for a in found for r in a.records)
