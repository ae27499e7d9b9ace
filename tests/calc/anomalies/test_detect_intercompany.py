"""Intercompany entries booked on one side only, on hand-built two-company books."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from ledgerpilot.calc.anomalies.detectors.intercompany import DETECTOR
from ledgerpilot.calc.anomalies.frames import conform
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.tools.anomalies.data import load_anomaly_data
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d
from tests.calc.anomalies.test_detect_round_amounts import demo_anomaly_data
from tests.conftest import DEMO_TODAY


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


def test_the_other_side_comes_from_the_counterparts_frame():
    """The books read are Alpha's alone; Beta's entries with Alpha arrive as counterparts."""
    group = Group()
    paired = group.alpha_invoices_beta(12000.0, d("2025-03-31"))
    group.beta_bills_alpha(12000.0, d("2025-04-03"))
    alone = group.alpha_invoices_beta(4350.25, d("2025-05-31"))
    group.beta_bills_alpha(777.0, d("2025-05-02"))   # Beta's own one-sided bill: not Alpha's to judge
    data = group.books.data()
    beta = data.moves["company_id"] == 2
    alpha_only = dataclasses.replace(
        data, moves=conform("moves", data.moves[~beta].reset_index(drop=True)),
        lines=conform("lines", data.lines[data.lines["company_id"] != 2].reset_index(drop=True)),
        counterparts=conform("counterparts", data.moves[beta].reset_index(drop=True)))
    assert [a.primary.id for a in DETECTOR(alpha_only)] == [alone]
    assert paired not in {a.primary.id for a in DETECTOR(alpha_only)}
    without_other_side = dataclasses.replace(alpha_only, counterparts=conform("counterparts",
                                                                              data.moves.iloc[0:0]))
    assert {a.primary.id for a in DETECTOR(without_other_side)} == {paired, alone}


def test_the_demo_group_through_the_gateway(sandbox):
    """The demo database holds two companies: the first has no intercompany entry; the second holds a bill
    from the first that the first never invoiced, found when the second company's books are read."""
    data = demo_anomaly_data(sandbox)
    assert set(data.companies["name"]) == {"Brightwave Supplies SA", "Brightwave Logistics BV"}
    assert set(data.moves["company_id"].dropna()) == {1}
    assert DETECTOR(data) == []
    with connect(demo_connection(sandbox.url, "readonly").model_copy(update={"company": "2"})) as client:
        second = load_anomaly_data(client, today=DEMO_TODAY)
    assert set(second.moves["company_id"].dropna()) == {2}
    found = DETECTOR(second)
    assert [a.figures["reference"] for a in found] == ["BW-IC-0001"]
    assert found[0].score >= 0.5 and "Brightwave Supplies SA" in found[0].reason


def test_a_user_of_one_company_cannot_see_the_other_side(sandbox):
    with connect(demo_connection(sandbox.url, "clerk")) as client:
        data = load_anomaly_data(client, today=DEMO_TODAY)
    assert "counterparts" in data.unavailable and len(data.companies) == 1
    assert DETECTOR.missing(data) == {"counterparts": data.unavailable["counterparts"]}
