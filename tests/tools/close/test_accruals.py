"""The accrual data read from the sandbox demo company, and the proposals made from it.

The demo's ground truth labels the goods received not billed (purchase orders) and the recurring
vendor with no bill this month (res.partner): the proposals must cover both. Writes (a prepayment,
an accrual booked in Odoo) go to a private copy of the demo.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal

import pandas as pd
import pytest

from ledgerpilot.calc.close.accruals import propose_accruals
from ledgerpilot.calc.close.accruals.entries import entry_total
from ledgerpilot.calc.close.accruals.frames import COLUMNS
from ledgerpilot.domain.month import Month
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.sandbox.generator import load_ground_truth
from ledgerpilot.sandbox.server.runner import running_sandbox
from ledgerpilot.sandbox.store import Store, database_path
from ledgerpilot.tools.close.accruals import AccrualConfigError, load_accrual_data
from tests.conftest import DEMO_TODAY

MONTH = Month.of(DEMO_TODAY)


@pytest.fixture(scope="module")
def demo_client(sandbox):
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        yield client


@pytest.fixture(scope="module")
def demo_data(demo_client):
    stages: list[str] = []
    data = load_accrual_data(demo_client, MONTH, today=DEMO_TODAY, progress=stages.append)
    assert stages[0] == "company" and "purchase orders" in stages
    return data


def _values(proposal) -> dict:
    return proposal.payload.args[0][0]


def test_demo_data_follows_the_contract(demo_client, demo_data):
    for name, columns in COLUMNS.items():
        assert tuple(getattr(demo_data, name).columns) == columns, name
    assert demo_data.currency == "EUR" and demo_data.digits == 2 and demo_data.month == MONTH
    assert demo_data.journal_name == "Miscellaneous Operations"
    assert demo_data.accrued_account_name == "212000 Accrued Expenses"
    assert demo_data.skipped == ()
    lines = demo_data.purchase_lines
    assert len(lines) > 0 and (lines["qty_received"] > lines["qty_invoiced"]).all()
    assert lines["expense_account_id"].notna().all() and (lines["rate"] > 0).all()
    assert set(lines["currency"]) <= {"EUR", "USD"} and set(lines["currency_digits"]) == {2}
    usd = demo_client.search_read("res.currency.rate", [("currency_id.name", "=", "USD"),
                                                        ("name", "<=", MONTH.end.isoformat())],
                                  ["rate"], order="name desc", limit=1)
    foreign = lines[lines["currency"] == "USD"]
    assert len(foreign) > 0 and (foreign["rate"] == usd[0]["rate"]).all()  # the month-end rate, not the order's
    assert set(demo_data.receipt_moves["purchase_line_id"]) <= set(lines["line_id"])
    bills = demo_data.bill_lines
    assert bills["date"].min() >= pd.Timestamp(MONTH.shift(-12).start)
    assert bills["date"].max() <= pd.Timestamp(MONTH.end)
    moves = demo_client.read("account.move", sorted({int(i) for i in bills["move_id"]}), ["move_type", "state"])
    assert {m["move_type"] for m in moves} <= {"in_invoice", "in_refund"} and {m["state"] for m in moves} == {"posted"}
    # the demo's only prepaid item is a draft entry: nothing posted on the prepaid account
    assert demo_data.prepaid_lines.empty
    entries = demo_client.read("account.move", list(demo_data.existing_refs.values()), ["date", "move_type", "ref"])
    assert entries and all(e["move_type"] == "entry" and "2026-11-01" <= e["date"] <= "2026-12-31" for e in entries)


def test_demo_proposals_cover_the_labelled_cases(demo_data_dir, demo_data):
    truth = load_ground_truth(demo_data_dir)
    result = propose_accruals(demo_data, MONTH, run_id="demo")
    accruals = result.of_kind("accrual")
    covered_orders = {r.id for p in accruals for r in p.evidence.records if r.model == "purchase.order"}
    covered_vendors = {r.id for p in accruals for r in p.evidence.records if r.model == "res.partner"}
    for defect in truth.defects_of("goods_received_not_billed"):
        assert set(defect.ids) <= covered_orders
    for defect in truth.defects_of("missing_accrual"):
        assert defect.ids and set(defect.ids) <= covered_vendors
    for proposal in result:
        debit, credit = entry_total(proposal.payload)
        assert debit == credit > 0
    refs = {_values(p)["ref"] for p in result}
    assert all(f"Reversal of {_values(p)['ref']}" in refs for p in accruals)
    assert len(result.of_kind("reversal")) == len(accruals)


def test_configured_journal_and_account(demo_client):
    data = load_accrual_data(demo_client, MONTH, today=DEMO_TODAY, journal_code="MISC", accrued_account_code="212000")
    assert data.journal_name == "Miscellaneous Operations" and data.accrued_account_name.startswith("212000")
    with pytest.raises(AccrualConfigError, match="no journal with code 'NOPE'"):
        load_accrual_data(demo_client, MONTH, today=DEMO_TODAY, journal_code="NOPE")
    with pytest.raises(AccrualConfigError, match="no account with code '999'"):
        load_accrual_data(demo_client, MONTH, today=DEMO_TODAY, accrued_account_code="999")


def test_without_purchase_and_inventory_apps(demo_data_dir, tmp_path):
    copy = tmp_path / "no-purchase"
    shutil.copytree(demo_data_dir, copy)
    store = Store(database_path(copy))
    try:
        store.conn.execute("DELETE FROM ir_model WHERE model IN ('purchase.order', 'purchase.order.line', "
                           "'stock.move', 'stock.picking')")
        store.conn.commit()
    finally:
        store.close()
    with running_sandbox(copy) as handle, connect(demo_connection(handle.url, "readonly")) as client:
        data = load_accrual_data(client, MONTH, today=DEMO_TODAY)
    assert data.purchase_lines.empty
    assert any("Purchase app is not installed" in reason for reason in data.skipped)
    result = propose_accruals(data, MONTH, run_id="r")
    assert result.skipped[0].startswith("goods received not billed: the Purchase app is not installed")
    assert [p.kind for p in result] == ["accrual", "reversal"]  # the recurring vendor is still accrued


def _wire(value):
    """A proposal's create values as they travel to Odoo: Decimal as numbers, None as False."""
    return json.loads(json.dumps(value, default=lambda v: float(v) if isinstance(v, Decimal) else str(v)),
                      object_hook=lambda d: {k: (False if v is None else v) for k, v in d.items()})


def _account(client, code: str) -> int:
    return client.search("account.account", [("code", "=", code)])[0]


def _post_entry(client, journal: int, day: str, ref: str, lines: list[tuple[int, float, str]]) -> int:
    move = client.create("account.move", {
        "move_type": "entry", "journal_id": journal, "date": day, "ref": ref,
        "line_ids": [(0, 0, {"account_id": account, "name": name, "debit": max(amount, 0.0),
                             "credit": max(-amount, 0.0)}) for account, amount, name in lines]})
    client.call("account.move", "action_post", [move])
    return move


def test_prepaid_amortisation_and_no_second_proposal_once_booked(fresh_sandbox, demo_data_dir):
    vendor = load_ground_truth(demo_data_dir).defects_of("missing_accrual")[0].ids[0]
    with connect(demo_connection(fresh_sandbox.url, "admin")) as client:
        prepaid, fees, bank = _account(client, "141000"), _account(client, "614000"), _account(client, "101401")
        journal = client.search("account.journal", [("code", "=", "MISC")])[0]
        source = _post_entry(client, journal, "2026-09-15", "Insurance premium",
                             [(prepaid, 1200.0, "Insurance 12 months"), (bank, -1200.0, "Insurance 12 months")])
        _post_entry(client, journal, "2026-10-31", "Insurance October",
                    [(fees, 100.0, "Insurance October"), (prepaid, -100.0, "Insurance October")])
        data = load_accrual_data(client, MONTH, today=DEMO_TODAY)
        amortisation = propose_accruals(data, MONTH, run_id="r").of_kind("adjusting_entry")
        assert len(amortisation) == 1
        lines = [command[2] for command in _values(amortisation[0])["line_ids"]]
        # the account earlier amortisations were expensed to; 1200 over 12 months from September
        assert [(v["account_id"], v["debit"], v["credit"]) for v in lines] == [
            (fees, Decimal("100.00"), Decimal("0.00")), (prepaid, Decimal("0.00"), Decimal("100.00"))]
        assert ("account.move", source) in {(r.model, r.id) for r in amortisation[0].evidence.records}

        first = propose_accruals(data, MONTH, run_id="r").of_kind("accrual")[0]
        booked = client.create("account.move", _wire(_values(first)))
        # the utilities accrued by hand (no bill yet): the recurring-vendor accrual is not proposed again
        utilities, accrued = _account(client, "612000"), _account(client, "212000")
        by_hand = client.create("account.move", {
            "move_type": "entry", "journal_id": journal, "date": "2026-11-30", "ref": "Utilities November",
            "line_ids": [(0, 0, {"account_id": utilities, "name": "Utilities", "debit": 1450.0, "credit": 0.0}),
                         (0, 0, {"account_id": accrued, "name": "Utilities", "debit": 0.0, "credit": 1450.0,
                                 "partner_id": vendor})]})
        reloaded = load_accrual_data(client, MONTH, today=DEMO_TODAY)
        again = propose_accruals(reloaded, MONTH, run_id="r2")
    assert reloaded.accrued_partners[vendor] == by_hand
    assert not any(r.model == "res.partner" for p in again for r in p.evidence.records)
    refs = [_values(p)["ref"] for p in again]
    assert _values(first)["ref"] not in refs
    reversal = next(p for p in again if _values(p)["ref"] == f"Reversal of {_values(first)['ref']}")
    assert reversal.evidence.figures["reverses_move_id"] == booked
    assert any(f"already booked (entry {booked})" in reason for reason in again.skipped)


def test_a_month_in_the_past_uses_its_own_window(demo_client):
    october = Month(2026, 10)
    data = load_accrual_data(demo_client, october, today=DEMO_TODAY)
    assert data.bill_lines["date"].max() <= pd.Timestamp(dt.date(2026, 10, 31))
    result = propose_accruals(data, october, run_id="r")
    # October's utilities bill arrived (for September): no recurring-vendor accrual for it
    assert not any(r.model == "res.partner" for p in result.of_kind("accrual") for r in p.evidence.records)
