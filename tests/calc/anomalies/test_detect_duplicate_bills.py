"""Duplicate vendor bills: the same reference (exact or a variant) or the same amount a few days
apart; never a monthly rent, a reversed-and-re-entered bill, or a credit note against its bill."""

from __future__ import annotations

import pytest

from ledgerpilot.calc.anomalies.bill_helpers import normalise_references
from ledgerpilot.calc.anomalies.detectors.duplicate_bills import (
    DETECTOR,
    REFERENCE_VARIANT,
    SAME_AMOUNT,
    SAME_REFERENCE,
)
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.sandbox.generator import load_ground_truth
from ledgerpilot.tools.anomalies.data import load_anomaly_data
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d
from tests.conftest import DEMO_TODAY


def _background(books: AnomalyBooks, vendor: int) -> None:
    """Ordinary bills of varied amounts and references, so that the vendor has a history."""
    for month in range(1, 7):
        books.bill(vendor, 300.0 + 37.13 * month, date=d(f"2025-{month:02d}-20"), ref=f"INV-{month + 100}")


def test_reference_normalisation_ignores_case_spacing_punctuation_and_leading_zeros():
    import pandas as pd

    refs = pd.Series(["INV-0042", "inv 42", "FAC 2024-0456", "fac2024-0456", "Rent", None, "  ", "A/2024/10"])
    normal = normalise_references(refs).tolist()
    assert normal[0] == normal[1] == "inv42"
    assert normal[2] == normal[3] == "fac2024456"
    assert normal[4] is None and normal[5] is None and normal[6] is None   # no digit: a label, not a number
    assert normal[7] == "a202410"                                           # zeros inside a number stay


def test_same_reference_entered_twice_is_the_strongest_finding():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    _background(books, acme)
    first = books.bill(acme, 1843.20, date=d("2025-03-06"), ref="DUP-7781")
    second = books.bill(acme, 1843.20, date=d("2025-03-14"), ref="DUP-7781", user="clerk")
    found = DETECTOR(books.data())
    assert len(found) == 1
    anomaly = found[0]
    assert anomaly.kind == SAME_REFERENCE and anomaly.detector == "duplicate_bills"
    assert anomaly.score >= 0.9
    assert [r.id for r in anomaly.records] == [second, first]          # the later bill is the one to hold
    assert str(anomaly.amount) == "1843.20" and anomaly.partner == "Acme Supplies" and anomaly.user == "clerk"
    assert "DUP-7781" in anomaly.title and "8 days apart" in anomaly.reason
    assert anomaly.figures["days_apart"] == 8


def test_reference_variant_is_found_and_named_as_such():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    _background(books, acme)
    first = books.bill(acme, 968.30, date=d("2025-04-15"), ref="INV-0042")
    second = books.bill(acme, 968.30, date=d("2025-04-21"), ref="inv 42")
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.kind == REFERENCE_VARIANT
    assert 0.8 <= anomaly.score < 0.95
    assert {r.id for r in anomaly.records} == {first, second}
    assert anomaly.figures["normalised_reference"] == "inv42"


def test_same_reference_with_a_different_amount_scores_lower():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    books.bill(acme, 500.00, date=d("2025-04-01"), ref="INV-77")
    books.bill(acme, 550.00, date=d("2025-04-03"), ref="INV-77")
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.kind == SAME_REFERENCE and 0.5 <= anomaly.score < 0.95
    assert "500.00 EUR and 550.00 EUR" in anomaly.reason


def test_same_amount_a_few_days_apart_is_found_but_scored_below_a_reference_match():
    books = AnomalyBooks()
    golden = books.partner("Golden Trading")
    _background(books, golden)
    first = books.bill(golden, 2637.45, date=d("2025-05-12"), ref="GT-2025-00117")
    second = books.bill(golden, 2637.45, date=d("2025-05-15"), ref="GT-2025-00121")
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.kind == SAME_AMOUNT
    assert 0.5 <= anomaly.score < 0.9
    assert [r.id for r in anomaly.records] == [second, first]
    assert "3 days apart" in anomaly.title


def test_same_amount_further_apart_than_the_window_or_from_another_vendor_is_not_a_duplicate():
    books = AnomalyBooks()
    golden, other = books.partner("Golden Trading"), books.partner("Other Vendor")
    books.bill(golden, 2637.45, date=d("2025-05-12"), ref="GT-1")
    books.bill(golden, 2637.45, date=d("2025-05-30"), ref="GT-2")      # 18 days later
    books.bill(other, 2637.45, date=d("2025-05-13"), ref="GT-1")       # another vendor, same number
    assert DETECTOR(books.data()) == []
    assert DETECTOR(books.data(), {"amount_window_days": 30})[0].kind == SAME_AMOUNT


def test_monthly_rent_of_exactly_5000_is_not_flagged_even_when_entered_late():
    books = AnomalyBooks()
    landlord = books.partner("Landlord")
    for month in range(1, 13):
        books.bill(landlord, 5000.00, date=d(f"2024-{month:02d}-01"), ref=f"RENT-2024-{month:02d}", account="611000")
    # January's rent entered at the end of the month, February's on the 1st: three days apart
    books.bill(landlord, 5000.00, date=d("2025-01-29"), ref="RENT-2025-01", account="611000")
    books.bill(landlord, 5000.00, date=d("2025-02-01"), ref="RENT-2025-02", account="611000")
    books.bill(landlord, 5000.00, date=d("2025-03-03"), ref="Rent", account="611000")
    books.bill(landlord, 5000.00, date=d("2025-04-01"), ref="Rent", account="611000")
    assert DETECTOR(books.data()) == []


def test_recurring_amount_billed_twice_in_one_month_is_listed_below_the_threshold():
    books = AnomalyBooks()
    landlord = books.partner("Landlord")
    for month in range(1, 7):
        books.bill(landlord, 5000.00, date=d(f"2025-{month:02d}-01"), ref=f"RENT-2025-{month:02d}")
    extra = books.bill(landlord, 5000.00, date=d("2025-06-04"), ref="LL-99812")
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.kind == SAME_AMOUNT and anomaly.records[0].id == extra
    assert anomaly.score < 0.5
    assert "regularly" in anomaly.reason


def test_a_bill_reversed_by_a_credit_note_and_entered_again_is_a_correction():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    wrong = books.bill(acme, 1200.00, date=d("2025-03-03"), ref="INV-5001")
    books.vendor_refund(acme, 1200.00, date=d("2025-03-05"), reversed_entry=wrong, ref="INV-5001")
    books.bill(acme, 1200.00, date=d("2025-03-05"), ref="INV-5001")
    assert DETECTOR(books.data()) == []


def test_a_credit_note_is_never_the_duplicate_of_the_bill_it_credits():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    bill = books.bill(acme, 640.00, date=d("2025-03-03"), ref="INV-6001")
    books.vendor_refund(acme, 64.00, date=d("2025-03-04"), reversed_entry=bill, ref="INV-6001")
    books.vendor_refund(acme, 640.00, date=d("2025-03-05"), ref="CN-INV-6001")
    assert DETECTOR(books.data()) == []


def test_a_vendor_credit_note_entered_twice_is_a_duplicate():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    books.vendor_refund(acme, 210.00, date=d("2025-03-04"), ref="CN-0071")
    books.vendor_refund(acme, 210.00, date=d("2025-03-09"), ref="CN-0071")
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.kind == SAME_REFERENCE and "vendor credit note" in anomaly.title


def test_a_draft_copy_of_a_posted_bill_is_caught_before_it_is_posted():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    books.bill(acme, 410.00, date=d("2025-03-04"), ref="AC-901")
    draft = books.bill(acme, 410.00, date=d("2025-03-10"), ref="AC 901", state="draft")
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.primary.id == draft and anomaly.figures["second_state"] == "draft"
    assert f"draft bill #{draft}" in anomaly.reason


def test_a_reference_reused_on_many_bills_is_a_label_not_an_invoice_number():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    for day, amount in ((3, 120.0), (10, 95.5), (17, 140.25), (24, 101.0), (28, 99.0)):
        books.bill(acme, amount, date=d(f"2025-03-{day:02d}"), ref="Weekly delivery 2025")
    assert DETECTOR(books.data()) == []


def test_an_incremental_scan_keeps_the_new_duplicate_only():
    import datetime as dt

    books = AnomalyBooks()
    acme, golden = books.partner("Acme Supplies"), books.partner("Golden Trading")
    books.bill(acme, 1843.20, date=d("2025-03-06"), ref="DUP-7781")
    books.bill(acme, 1843.20, date=d("2025-03-14"), ref="DUP-7781")          # an old duplicate
    first = books.bill(golden, 700.00, date=d("2025-06-02"), ref="GT-18")
    new = books.bill(golden, 700.00, date=d("2025-06-20"), ref="GT 0018")   # entered since the last scan
    data = books.data(since=dt.datetime(2025, 6, 10))
    found = DETECTOR(data)
    assert len(found) == 2                          # baselines and pairs use all the history
    in_scope = [a for a in found if data.scope.touches(a)]
    assert [(a.kind, [r.id for r in a.records]) for a in in_scope] == [(REFERENCE_VARIANT, [new, first])]


def test_parameters_are_checked_and_the_result_is_deterministic():
    books = AnomalyBooks()
    acme = books.partner("Acme Supplies")
    books.bill(acme, 1843.20, date=d("2025-03-06"), ref="DUP-7781")
    books.bill(acme, 1843.20, date=d("2025-03-14"), ref="DUP-7781")
    data = books.data()
    assert [a.key for a in DETECTOR(data)] == [a.key for a in DETECTOR(data)]
    with pytest.raises(ValueError, match="no parameter"):
        DETECTOR(data, {"window": 3})


@pytest.fixture(scope="module")
def demo(sandbox):
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        return load_anomaly_data(client, today=DEMO_TODAY)


def test_demo_duplicates_are_found_and_the_rent_is_not(demo, demo_data_dir):
    truth = load_ground_truth(demo_data_dir)
    found = DETECTOR(demo)
    cited = {(a.kind, frozenset(r.id for r in a.records)) for a in found}
    for case in truth.anomalies:
        if case.kind in DETECTOR.kinds:
            assert (case.kind, frozenset(case.ids)) in cited, case.description
    look_alikes = {i for case in truth.not_anomalies for i in case.ids}
    assert not any(r.id in look_alikes for a in found for r in a.records if r.model == "account.move")
    assert all(a.score >= 0.5 for a in found)
    assert len(found) == sum(case.kind in DETECTOR.kinds for case in truth.anomalies)
