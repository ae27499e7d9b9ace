"""Intercompany entries booked on one side only, on hand-built two-company books."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerpilot.calc.anomalies.detect_intercompany import DETECTOR
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d
from tests.calc.anomalies.test_detect_round_amounts import demo_anomaly_data


class Group:
    """Two companies in one database: Alpha (id 1, the books' own) and Beta (id 2)."""

    def __init__(self, today: dt.date = dt.date(2025, 6, 30)) -> None:
        self.books = AnomalyBooks(today=today, company="Alpha")
        self.alpha = self.books.partner("Alpha")
        self.beta = self.books.partner("Beta")
        self.books.rows["companies"].append({"id": 2, "name": "Beta", "partner_id": self.beta})

    def in_company(self, company_id: int, move_id: int) -> int:
        for row in self.books.rows["moves"]:
            if row["id"] == move_id:
                row["company_id"] = company_id
        for row in self.books.rows["lines"]:
            if row["move_id"] == move_id:
                row["company_id"] = company_id
        return move_id

    def alpha_invoices_beta(self, amount: float, day: dt.date) -> int:
        return self.in_company(1, self.books.invoice(self.beta, amount, date=day))

    def beta_bills_alpha(self, amount: float, day: dt.date) -> int:
        return self.in_company(2, self.books.bill(self.alpha, amount, date=day))


def test_invoice_to_a_sister_company_without_its_bill_is_flagged():
    group = Group()
    group.alpha_invoices_beta(12000.0, d("2025-03-31"))
    group.beta_bills_alpha(12000.0, d("2025-04-03"))                # booked on both sides
    alone = group.alpha_invoices_beta(4350.25, d("2025-05-31"))     # Beta never booked it
    found = DETECTOR(group.books.data())
    assert [a.primary.id for a in found] == [alone]
    anomaly = found[0]
    assert anomaly.kind == "intercompany_one_sided"
    assert anomaly.score >= 0.5
    assert anomaly.amount == Decimal("4350.25")
    assert "Alpha" in anomaly.reason and "Beta" in anomaly.reason


def test_counterpart_outside_the_date_window_does_not_count():
    group = Group()
    invoice = group.alpha_invoices_beta(900.0, d("2025-02-03"))
    bill = group.beta_bills_alpha(900.0, d("2025-04-20"))
    found = {a.primary.id for a in DETECTOR(group.books.data())}
    assert found == {invoice, bill}
    assert {a.primary.id for a in DETECTOR(group.books.data(), {"date_window_days": 90})} == set()


def test_a_recent_entry_waits_for_the_other_side_below_the_threshold():
    group = Group(today=d("2025-06-30"))
    recent = group.alpha_invoices_beta(700.0, d("2025-06-28"))
    found = DETECTOR(group.books.data())
    assert [a.primary.id for a in found] == [recent]
    assert found[0].score < 0.5


def test_entries_with_outside_partners_are_not_intercompany():
    group = Group()
    customer = group.books.partner("Outside Customer")
    group.in_company(1, group.books.invoice(customer, 5000.0, date=d("2025-03-03")))
    group.in_company(2, group.books.bill(group.books.partner("Outside Vendor"), 5000.0, date=d("2025-03-03")))
    assert DETECTOR(group.books.data()) == []


def test_one_company_returns_nothing():
    books = AnomalyBooks(today=d("2025-06-30"))
    books.invoice(books.partner("Demo Company"), 4350.25, date=d("2025-05-31"))   # even with its own partner
    assert DETECTOR(books.data()) == []


def test_demo_single_company_gives_nothing(sandbox):
    data = demo_anomaly_data(sandbox)
    assert len(data.companies) == 1
    assert DETECTOR(data) == []
