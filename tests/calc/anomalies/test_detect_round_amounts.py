"""Round amounts in manual entries: hand-built books that trigger it, look-alikes that must not, the demo.

``demo_anomaly_data`` (the demo company read through the gateway from the shared sandbox, once per
session) and ``demo_cases`` are shared by the other detector tests of entries and inventory.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

import pytest

from ledgerpilot.calc.anomalies.detectors.round_amounts import DETECTOR, has_document_number
from ledgerpilot.calc.anomalies.frames import AnomalyData
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.sandbox.generator import load_ground_truth
from ledgerpilot.tools.anomalies.data import load_anomaly_data
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d
from tests.conftest import DEMO_TODAY


@functools.lru_cache(maxsize=2)
def _load(url: str) -> AnomalyData:
    with connect(demo_connection(url, "readonly")) as client:
        return load_anomaly_data(client, today=DEMO_TODAY)


def demo_anomaly_data(sandbox) -> AnomalyData:
    """The demo company's books as the detectors read them (extracted once per sandbox)."""
    return _load(sandbox.url)


def demo_cases(demo_data_dir, kinds: tuple[str, ...]) -> tuple[list, list]:
    """The labelled anomalies of ``kinds`` and all the labelled look-alikes of the demo."""
    truth = load_ground_truth(demo_data_dir)
    return [a for a in truth.anomalies if a.kind in kinds], list(truth.not_anomalies)


def cites(anomaly, model: str, ids) -> bool:
    return bool(set(anomaly.record_ids(model)) & set(ids))


def books_with_manual_history() -> AnomalyBooks:
    """A year of ordinary manual entries (payroll, depreciation with cents) and monthly rent bills."""
    books = AnomalyBooks(today=d("2025-12-31"))
    landlord = books.partner("Landlord")
    for month in range(1, 13):
        books.entry([("600000", 17000 + month * 13.37), ("212000", -(17000 + month * 13.37))],
                    date=dt.date(2025, month, 25), user="controller", ref=f"Payroll 2025-{month:02d}")
        books.bill(landlord, 5000.00, date=dt.date(2025, month, 1), ref=f"RENT-2025-{month:02d}", account="611000")
    return books


def test_round_manual_entry_without_support_is_flagged_and_rounder_scores_higher():
    books = books_with_manual_history()
    ten = books.entry([("614000", 10000.0), ("212000", -10000.0)], date=d("2025-07-24"), user="controller",
                      ref="Year-end provision")
    three = books.entry([("600000", 3000.0), ("212000", -3000.0)], date=d("2025-08-12"), user="controller",
                        ref="Provision")
    found = {a.primary.id: a for a in DETECTOR(books.data())}
    assert set(found) == {ten, three}
    assert found[ten].kind == "round_amount_manual_entry"
    assert found[ten].amount == Decimal("10000.00")
    assert found[ten].score > found[three].score >= 0.5
    assert "10,000.00" in found[ten].reason and "controller" in found[ten].reason
    assert found[ten].figures["round_unit"] == Decimal("10000.00")


def test_monthly_rent_bill_of_exactly_5000_is_not_flagged():
    books = books_with_manual_history()
    assert DETECTOR(books.data()) == []


def test_supported_or_standing_or_opening_round_entries_are_not_flagged():
    books = books_with_manual_history()
    books.entry([("600000", 2000.0), ("212000", -2000.0)], date=d("2025-03-10"), ref="Contract CTR-20931")
    books.entry([("600000", 4000.0), ("212000", -4000.0)], date=d("2025-03-11"), partner=books.partner("Acme"))
    original = books.entry([("600000", 1234.56), ("212000", -1234.56)], date=d("2025-04-30"))
    books.entry([("212000", 1234.56), ("600000", -1234.56)], date=d("2025-05-01"), reversed_entry=original)
    for month in (2, 3, 4, 5):   # a fixed monthly fee typed in by hand: a standing entry
        books.entry([("614000", 1500.0), ("212000", -1500.0)], date=dt.date(2025, month, 28), ref="Management fee")
    books.entry([("600000", 999.0), ("212000", -999.0)], date=d("2025-06-02"))    # not round enough
    assert DETECTOR(books.data()) == []


def test_opening_entry_against_equity_on_the_first_day_is_skipped_unless_asked():
    books = AnomalyBooks(today=d("2025-06-30"))
    capital = {1: {"account_code": "301000", "account_type": "equity"}}
    opening = books.entry([("600000", 120000.0), ("212000", -120000.0)], date=d("2025-01-01"),
                          ref="Opening fixed assets", line_extra=capital)
    books.entry([("600000", 17.5), ("212000", -17.5)], date=d("2025-02-01"))
    assert DETECTOR(books.data()) == []
    # the same entry later in the year is no opening balance
    later = books.entry([("600000", 120000.0), ("212000", -120000.0)], date=d("2025-03-03"),
                        ref="Capital in kind", line_extra=capital)
    assert [a.primary.id for a in DETECTOR(books.data())] == [later]
    found = DETECTOR(books.data(), {"skip_opening": 0})
    assert [a.primary.id for a in found] == [opening, later]
    assert found[0].score == pytest.approx(0.7)     # a multiple of 10,000 (120,000 is no multiple of 50,000)


def test_min_unit_is_a_parameter():
    books = books_with_manual_history()
    entry = books.entry([("600000", 500.0), ("212000", -500.0)], date=d("2025-06-10"))
    assert DETECTOR(books.data()) == []
    assert [a.primary.id for a in DETECTOR(books.data(), {"min_unit": 500})] == [entry]


def test_document_numbers_are_told_from_periods():
    import pandas as pd

    refs = pd.Series(["Year-end provision", "Payroll 2026-05", "VAT Q2 2026", "CTR-20931", "INV/2026/00172", None])
    assert has_document_number(refs).tolist() == [False, False, False, True, True, False]


def test_demo_round_entries_found_and_nothing_else(sandbox, demo_data_dir):
    data = demo_anomaly_data(sandbox)
    wanted, look_alikes = demo_cases(demo_data_dir, DETECTOR.kinds)
    found = [a for a in DETECTOR(data) if a.score >= 0.5]
    assert wanted, "the demo labels round manual entries"
    for case in wanted:
        for move_id in case.ids:
            assert any(cites(a, "account.move", [move_id]) for a in found), f"missed {case.kind} {move_id}"
    labelled = {i for case in wanted for i in case.ids}
    assert all(set(a.record_ids("account.move")) <= labelled for a in found)
    for case in look_alikes:
        assert not any(cites(a, case.model, case.ids) for a in found), f"flagged the look-alike {case.kind}"
