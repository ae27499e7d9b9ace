"""Rare account combinations: a pair of accounts (almost) never used together in one entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerpilot.calc.anomalies.detectors.rare_accounts import DETECTOR, pair_rates
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d
from tests.calc.anomalies.test_detect_round_amounts import cites, demo_anomaly_data, demo_cases


def busy_books() -> AnomalyBooks:
    """A year of ordinary traffic: sales and their cost, bills, quarterly VAT returns into tax payable."""
    books = AnomalyBooks(today=d("2025-12-31"))
    customer, vendor = books.partner("Customer"), books.partner("Vendor")
    for n in range(400):
        day = d("2025-01-02") + dt.timedelta(days=n % 360)
        books.invoice(customer, 500 + n * 3.17, date=day)
        books.entry([("500000", 300 + n * 1.91), ("110100", -(300 + n * 1.91))], date=day, journal="STJ",
                    origin="stock")
        books.bill(vendor, 200 + n * 2.03, date=day)
    for quarter_end in ("2025-03-31", "2025-06-30", "2025-09-30"):
        books.entry([("251000", 4100.0), ("131000", -1200.0), ("252000", -2900.0)], date=d(quarter_end))
    return books


def test_cost_of_goods_against_tax_payable_is_flagged():
    books = busy_books()
    odd = books.entry([("500000", 2775.40), ("252000", -2775.40)], date=d("2025-08-16"), ref="Correction",
                      user="controller")
    found = DETECTOR(books.data())
    assert [a.primary.id for a in found] == [odd]
    anomaly = found[0]
    assert anomaly.kind == "rare_account_combination"
    assert anomaly.score >= 0.5
    assert anomaly.amount == Decimal("2775.40")
    assert anomaly.figures["debit_account"] == "500000" and anomaly.figures["credit_account"] == "252000"
    assert anomaly.figures["support"] == 0
    assert "500000" in anomaly.reason and "252000" in anomaly.reason and "never" in anomaly.reason
    # the entry first, then the two journal items of the pair
    assert [ref.model for ref in anomaly.records] == ["account.move", "account.move.line", "account.move.line"]


def test_ordinary_pairs_and_habits_are_not_flagged():
    assert DETECTOR(busy_books().data()) == []


def test_a_pair_used_in_several_entries_is_a_habit():
    books = busy_books()
    for month in range(1, 6):   # a monthly reclassification, always the same two accounts
        books.entry([("614000", 800 + month), ("600000", -(800 + month))], date=dt.date(2025, month, 20))
    assert DETECTOR(books.data()) == []


def test_two_rarely_used_accounts_together_are_no_evidence():
    books = busy_books()
    books.entry([("611000", 50.0), ("612000", -50.0)], date=d("2025-05-05"))   # both accounts used once
    assert DETECTOR(books.data()) == []


def test_rates_leave_the_entry_itself_out():
    books = busy_books()
    odd = books.entry([("500000", 10.0), ("252000", -10.0)], date=d("2025-08-16"))
    pairs = pair_rates(books.data())
    row = pairs[(pairs["move_id"] == odd)].iloc[0]
    assert row["support"] == 0
    assert row["debit_uses"] == 400        # the stock entries, not this one
    assert row["credit_uses"] == 3         # the VAT returns


def test_max_rate_is_a_parameter():
    books = busy_books()
    books.entry([("500000", 2775.40), ("252000", -2775.40)], date=d("2025-08-16"))
    assert DETECTOR(books.data(), {"max_rate": 0.001}) == []


def test_demo_rare_combination_found_and_look_alikes_clear(sandbox, demo_data_dir):
    data = demo_anomaly_data(sandbox)
    wanted, look_alikes = demo_cases(demo_data_dir, DETECTOR.kinds)
    found = [a for a in DETECTOR(data) if a.score >= 0.5]
    assert wanted
    for case in wanted:
        hits = [a for a in found if cites(a, case.model, case.ids)]
        assert hits and hits[0].kind == case.kind, f"missed {case.kind} {case.ids}"
    for case in look_alikes:
        assert not any(cites(a, case.model, case.ids) for a in found), f"flagged the look-alike {case.kind}"
    # every finding is an entry nothing else in the books resembles: a labelled anomaly or a
    # hand-made correction; never one of the generated flows
    assert all(data.moves.set_index("id").loc[a.primary.id, "origin"] == "manual" for a in found)
    assert len(found) <= 10
