"""What the queue and an item's page say, from stored proposals (pure) and names read from the sandbox."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerpilot.calc.anomalies.alerts import Alert, AlertSettings, alert_proposals
from ledgerpilot.channels.web.figures_view import figures_of
from ledgerpilot.channels.web.odoo_names import OdooNames
from ledgerpilot.channels.web.queue import QueueQuery, age_words, item_of, items_of, select
from ledgerpilot.channels.web.writes_view import Names, paragraphs, wanted, write_view
from ledgerpilot.config import OdooConnection
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.proposal import Evidence, OdooCall, Proposal, RecordRef
from tests.channels.web.conftest import entry_proposal

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def _anomaly(risk: float, amount: str = "1181.72", key_record: int = 5) -> list[Proposal]:
    anomaly = Anomaly(detector="duplicate_bills", kind="duplicate_bill_same_reference", score=0.95,
                      title="Umber Interiors: bill reference FV 2026-9308 entered twice",
                      reason="The same reference twice.", amount=Decimal(amount), partner="Umber Interiors",
                      occurred_on=dt.date(2026, 10, 12),
                      records=(RecordRef(model="account.move", id=key_record, name=f"BILL/2026/10/{key_record}"),
                               RecordRef(model="account.move", id=key_record - 1, name=f"BILL/2026/10/{key_record - 1}")),
                      figures={"first_bill": "BILL/2026/10/0004", "days_apart": 7, "first_amount": Decimal("1181.72"),
                               "amount": Decimal("1181.72")})
    alert = Alert(anomaly=anomaly, risk=risk, first_seen=dt.date(2026, 11, 18), unpaid=True)
    made = alert_proposals(alert, settings=AlertSettings(hold_min_risk=0.85), run_id="scan-1", currency="EUR")
    return [p.model_copy(update={"created_at": NOW - dt.timedelta(hours=3)}) for p in made]


def _budget(tier: str, pct: str, planned: str = "18200.00", projected: str = "38514.42", direction: str = "expense",
            created_days_ago: int = 1) -> Proposal:
    figures = {"line_key": "1/8", "direction": direction, "date_from": "2026-10-01", "date_to": "2026-12-31",
               "planned": Decimal(planned), "projected_total": Decimal(projected), "tier": tier,
               "projected_overspend_pct": Decimal(pct), "analytic_line_ids": [1, 2, 3]}
    return Proposal(kind="activity", title=f"Activity for Chloe Controller: Review Operations ({tier})", summary="s",
                    payload=OdooCall(model="mail.activity", method="create",
                                     args=({"res_model": "crossovered.budget", "res_id": 1, "summary": tier},)),
                    evidence=Evidence(records=(RecordRef(model="crossovered.budget", id=1, name="Budget 2026"),
                                               RecordRef(model="crossovered.budget.lines", id=8,
                                                         name="[DEPT002] Operations / Purchases")),
                                      figures=figures),
                    run_id="b", created_by="ledgerpilot:budget", finding=f"budget:x:1/8:{tier}",
                    created_at=NOW - dt.timedelta(days=created_days_ago))


def test_an_anomalys_proposals_are_one_item_named_by_the_finding():
    parts = _anomaly(0.95)
    assert [p.kind for p in parts] == ["activity", "note", "activity"]           # activity, note and payment hold
    [item] = items_of(parts)
    assert item.headline == "Umber Interiors: bill reference FV 2026-9308 entered twice"
    assert item.kind == "anomaly" and item.source_label == "Anomaly scan"
    assert item.parts_label == "activity for the AP manager + note on BILL/2026/10/5 + payment hold"
    assert (item.risk, item.risk_value, item.amount) == ("high", Decimal("0.95"), Decimal("1181.72"))
    assert item.record.name == "BILL/2026/10/5" and item.partner == "Umber Interiors"
    # an older proposal, stored before the finding's title was in its evidence, is still named by its finding
    old = [p.model_copy(update={"evidence": Evidence(records=p.evidence.records,
                                                     figures={k: v for k, v in p.evidence.figures.items()
                                                              if k != "title"})}) for p in parts]
    assert item_of(old).headline == item.headline


@pytest.mark.parametrize("risk, level", [(0.85, "high"), (0.849, "medium"), (0.65, "medium"), (0.649, "low")])
def test_anomaly_risk_levels(risk, level):
    [item] = items_of(_anomaly(risk))
    assert item.risk == level


def test_a_budget_risk_reads_as_its_line_period_and_drift():
    item = item_of([_budget("high", "1.1162")])
    assert item.headline == "[DEPT002] Operations / Purchases (2026-Q4): projected 111.6% over budget"
    assert (item.risk, item.amount, item.kind_label) == ("high", Decimal("20314.42"), "Budget risk")
    assert item.record.model == "crossovered.budget.lines"
    assert item_of([_budget("note", "0.031")]).headline.endswith("drifting 3.1%")
    assert item_of([_budget("medium", "-0.096", planned="100000.00", projected="90400.00",
                            direction="income")]).headline.endswith("projected 9.6% short of target")


def test_an_accrual_and_its_reversal_are_one_entry_item_with_its_total():
    accrual = entry_proposal(ref="Accrual October", amount="250.00").model_copy(update={"finding": "proposal:a"})
    reversal = Proposal(kind="reversal", title="Reverse on 2026-11-01: Accrue Accrual October", summary="s",
                        payload=accrual.payload, run_id="close-1", created_by="ledgerpilot", finding="proposal:a",
                        created_at=accrual.created_at, evidence=Evidence(figures={"reverses_ref": "Accrual October"}))
    [item] = items_of([reversal, accrual])
    assert item.lead.id == accrual.id and item.headline == "Accrue Accrual October"
    assert item.parts_label == "accrual on 2026-10-31 + reversal on 2026-10-31"
    assert item.amount == Decimal("250.00") and item.has_entries and item.risk == ""


def test_select_filters_and_sorts():
    anomaly_items = items_of(_anomaly(0.95) + _anomaly(0.70, amount="99000.00", key_record=20))
    budget = item_of([_budget("high", "0.5", created_days_ago=40)])
    note = item_of([_budget("note", "0.02", planned="100.00", projected="102.00", created_days_ago=2)])
    every = [*anomaly_items, budget, note]
    by_risk = select(every, QueueQuery(), NOW)
    assert [i.risk for i in by_risk] == ["high", "high", "medium", "low"]
    assert by_risk[0].risk_value == Decimal("0.95")                      # a number before none at one level
    assert [i.amount for i in select(every, QueueQuery(sort="amount"), NOW)][:2] == [Decimal("99000.00"),
                                                                                     Decimal("20314.42")]
    assert select(every, QueueQuery(sort="age"), NOW)[0] is budget
    assert select(every, QueueQuery.parse(age="30d"), NOW) == [budget]
    assert select(every, QueueQuery.parse(kind="budget", risk="low"), NOW) == [note]
    assert select(every, QueueQuery.parse(source="ledgerpilot:anomalies"), NOW) == select(anomaly_items,
                                                                                          QueueQuery(), NOW)
    assert [i.record.name for i in select(every, QueueQuery.parse(record="bill/2026/10/4"), NOW)] == \
        ["BILL/2026/10/5"]                                            # any record of the item, any case
    assert select(every, QueueQuery.parse(record="UMBER"), NOW) == select(anomaly_items, QueueQuery(), NOW)
    odd = QueueQuery.parse(risk="<b>", kind="drop table", sort="amount; --", age="forever", record="  a   b ")
    assert (odd.risk, odd.kind, odd.sort, odd.age, odd.record) == ("", "", "risk", "", "a b")
    assert odd.params(page="2") == {"record": "a b", "page": "2"}
    assert age_words(budget, NOW) == "5 w" and age_words(note, NOW) == "2 d"


def test_figures_are_labelled_values_without_internal_keys():
    figures = figures_of({"anomaly_key": "abc", "title": "t", "detector": "duplicate_bills", "risk": "0.9904",
                          "score": "0.968", "amount": "20200.00", "user": None, "kind": "payment_amount_outlier",
                          "projected_overspend_pct": "1.1162", "analytic_line_ids": [1, 2, 3],
                          "orders": [{"order_id": 225, "order_name": "P00225", "amount": "2160.00"}],
                          "figures": {"amount": "20200.00", "usual_amount": "1694.72", "z_score": "23.52",
                                      "quantity": "20.0000", "scores": {"x": "1"}, "history": 23}})
    shown = {f.label: f for f in figures}
    assert set(shown) == {"Risk", "Detector score", "Amount", "Finding", "Projected over plan", "Orders",
                          "About the finding"}
    assert shown["Risk"].value == "0.99" and shown["Detector score"].value == "0.97"
    assert shown["Amount"].value == "20,200.00" and shown["Finding"].value == "payment amount outlier"
    assert shown["Projected over plan"].value == "111.6%"
    assert shown["Orders"].table == (("Order name", "Amount"), (("P00225", "2,160.00"),))
    about = {f.label: f.value for f in shown["About the finding"].children}
    assert about == {"Usual amount": "1,694.72", "Robust z-score": "23.52", "Quantity": "20",
                     "Past amounts compared": "23"}                       # the amount said above is not repeated


def test_a_journal_entry_as_odoo_shows_one():
    values = {"move_type": "entry", "journal_id": 3, "date": "2026-10-31", "ref": "Accrual October",
              "line_ids": [[0, 0, {"account_id": 27, "name": "Rent", "debit": "1500.00", "credit": "0",
                                   "partner_id": 9, "analytic_distribution": {"2": "60.00", "3,5": "40.00"}}],
                           [0, 0, {"account_id": 17, "name": "Rent", "debit": "0", "credit": "1500.00",
                                   "partner_id": None, "analytic_distribution": None}]]}
    proposal = Proposal(kind="accrual", title="Accrue rent", summary="s", run_id="r", created_by="ledgerpilot",
                        payload=OdooCall(model="account.move", method="create", args=([values],)))
    assert wanted([proposal]) == {"account.journal": {3}, "account.account": {27, 17}, "res.partner": {9},
                                  "account.analytic.account": {2, 3, 5}}
    names = Names({("account.journal", 3): "Miscellaneous Operations (MISC)", ("account.account", 27): "600000 Expenses",
                   ("account.account", 17): "212000 Accrued Expenses", ("res.partner", 9): "Meridian",
                   ("account.analytic.account", 2): "[DEPT002] Operations",
                   ("account.analytic.account", 3): "[DEPT003] Administration"})
    view = write_view(proposal, names)
    assert (view.date, view.journal, view.reference) == ("2026-10-31", "Miscellaneous Operations (MISC)",
                                                         "Accrual October")
    first, second = view.lines
    assert (first.account, first.partner, first.label, first.debit, first.credit) == \
        ("600000 Expenses", "Meridian", "Rent", "1,500.00", "")
    assert first.analytic == "[DEPT002] Operations 60%; [DEPT003] Administration + analytic account 5 40%"
    assert (second.account, second.partner, second.credit) == ("212000 Accrued Expenses", "", "1,500.00")
    assert (view.total_debit, view.total_credit, view.balanced) == ("1,500.00", "1,500.00", True)
    values["line_ids"][1][2]["credit"] = "1499.99"
    assert write_view(proposal.model_copy(update={"payload": OdooCall(model="account.move", method="create",
                                                                        args=([values],))}), names).balanced is False


def test_activities_notes_payments_and_changes_in_words():
    [activity, note, _hold] = _anomaly(0.95)
    view = write_view(activity, Names())
    assert (view.activity_type, view.record, view.deadline) == ("Exception", "BILL/2026/10/5", "2026-11-21")
    assert view.assignee.startswith("no one named") and view.summary.startswith("Review anomaly")
    assert any("Records: BILL/2026/10/5" in p for p in view.note)
    assert write_view(note, Names()).paragraphs[0] == "Possible anomaly found by ledgerpilot."
    assert paragraphs("<p>a &amp; b</p><ul><li>one</li><li>two</li></ul>") == ("a & b", "one", "two")
    payment = Proposal(kind="payment_proposal", title="Pay", summary="s", run_id="f", created_by="ledgerpilot:forecast",
                       payload=OdooCall(model="account.payment", method="create", args=(
                           [{"partner_id": 4, "amount": Decimal("100.00"), "date": "2026-11-18", "ref": "BILL/1"},
                            {"partner_id": 5, "amount": Decimal("50.50"), "date": "2026-11-18", "ref": "BILL/2"}],)))
    view = write_view(payment, Names({("res.partner", 4): "Acme"}))
    assert view.rows == (("Acme", "2026-11-18", "BILL/1", "100.00"), ("partner 5", "2026-11-18", "BILL/2", "50.50"))
    assert view.total == "150.50"
    lock = Proposal(kind="lock_date", title="Lock", summary="s", run_id="c", created_by="ledgerpilot",
                    payload=OdooCall(model="res.company", method="write", args=([1], {"fiscalyear_lock_date": "2026-10-31"})),
                    evidence=Evidence(records=(RecordRef(model="res.company", id=1, name="Brightwave"),),
                                      figures={"previous_lock_date": "2026-09-30"}))
    view = write_view(lock, Names())
    assert view.record == "Brightwave" and view.rows == (("Lock date (all users)", "2026-09-30", "2026-10-31"),)
    transfer = Proposal(kind="budget_transfer", title="Transfer", summary="s", run_id="b", created_by="ledgerpilot:budget",
                        payload=OdooCall(model="crossovered.budget", method="write", args=(
                            [1], {"crossovered_budget_line_ids": [[1, 36, {"planned_amount": "-91622.17"}],
                                                                  [1, 8, {"planned_amount": "-21777.83"}]]})),
                        evidence=Evidence(records=(RecordRef(model="crossovered.budget", id=1, name="Budget 2026"),
                                                   RecordRef(model="crossovered.budget.lines", id=36, name="Salaries"),
                                                   RecordRef(model="crossovered.budget.lines", id=8, name="Purchases")),
                                          figures={"from_line_id": 36, "from_planned_before": "95200.00",
                                                   "from_planned_after": "91622.17", "to_line_id": 8,
                                                   "to_planned_before": "18200.00", "to_planned_after": "21777.83"}))
    assert write_view(transfer, Names()).rows == (("Salaries: plan", "95,200.00", "91,622.17"),
                                                  ("Purchases: plan", "18,200.00", "21,777.83"))


def test_names_are_read_from_odoo_once_and_a_missing_odoo_is_said(sandbox):
    calls = []
    from ledgerpilot.odoo.connection import connect

    def counting(connection):
        client = connect(connection)
        read = client.read

        def counted(model, ids, fields=None, **kwargs):
            calls.append(model)
            return read(model, ids, fields, **kwargs)

        client.read = counted
        return client

    connection = OdooConnection(url=sandbox.url, db=sandbox.db, user="readonly", password="readonly",
                                transport="jsonrpc")
    names = OdooNames(connection, connect=counting)
    try:
        book = names.names({"account.account": {27}, "account.journal": {3}, "res.partner": {999999}})
        assert book.get("account.account", 27) == "600000 Expenses"
        assert book.get("account.journal", 3) == "Miscellaneous Operations (MISC)"
        assert book.get("res.partner", 999999) == "partner 999999" and book.note is None
        assert names.names({"account.account": {27}}).get("account.account", 27) == "600000 Expenses"
        assert calls == ["account.account", "account.journal", "res.partner"]       # the second visit read nothing
        assert names.currency() == "EUR"
    finally:
        names.close()
    away = OdooNames(OdooConnection(url="http://127.0.0.1:9", db="demo", user="readonly", password="x",
                                    transport="jsonrpc", timeout=2))
    book = away.names({"account.account": {27}})
    assert book.get("account.account", 27) == "account 27" and "could not be read" in book.note
    assert away.currency() == ""
