"""Lock dates of Odoo 17 and of Odoo 18+, read from the sandbox playing each (the field lists are the
recorded ones: period_lock_date on 17; sale, purchase and hard lock dates on 19)."""

from __future__ import annotations

import datetime as dt

import pytest

from ledgerpilot.config import OdooConnection
from ledgerpilot.odoo import NO_RETRY, connect
from ledgerpilot.odoo.lock_dates import entry_lock_date, lock_date_fields, read_lock_dates
from tests.conftest import api_key_for

D = dt.date.fromisoformat


def test_each_version_has_its_lock_fields(sandbox, sandbox19):
    with connect(OdooConnection(url=sandbox.url, db=sandbox.db, user="admin", password="admin"),
                 retry=NO_RETRY) as client:
        assert lock_date_fields(client) == ["fiscalyear_lock_date", "period_lock_date", "tax_lock_date"]
    key = api_key_for(sandbox19, "readonly")
    with connect(OdooConnection(url=sandbox19.url, db=sandbox19.db, user="readonly", api_key=key),
                 retry=NO_RETRY) as client:
        assert lock_date_fields(client) == ["fiscalyear_lock_date", "tax_lock_date", "sale_lock_date",
                                            "purchase_lock_date", "hard_lock_date"]
        assert read_lock_dates(client, client.company.id) == dict.fromkeys(lock_date_fields(client))


@pytest.mark.parametrize(("journal_type", "expected"), [
    ("sale", "2026-09-30"), ("purchase", "2026-08-31"), ("general", "2026-06-30"), (None, "2026-06-30")])
def test_the_lock_that_stops_an_entry_depends_on_its_journal(journal_type, expected):
    locks = {"fiscalyear_lock_date": D("2026-03-31"), "tax_lock_date": D("2026-10-31"),
             "sale_lock_date": D("2026-09-30"), "purchase_lock_date": D("2026-08-31"),
             "hard_lock_date": D("2026-06-30")}
    assert entry_lock_date(locks, journal_type) == D(expected)
    assert entry_lock_date({"fiscalyear_lock_date": None, "period_lock_date": D("2026-01-31")}) == D("2026-01-31")
    assert entry_lock_date({}) is None


def test_a_sale_lock_on_19_moves_a_sales_invoice_past_it_not_an_entry(fresh_sandbox19):
    """Odoo 18+ locks sales journals apart: a draft invoice dated inside the sale lock is posted after it,
    a miscellaneous entry of the same day keeps its date."""
    handle = fresh_sandbox19
    key = api_key_for(handle, "admin")
    with connect(OdooConnection(url=handle.url, db=handle.db, user="admin", api_key=key), retry=NO_RETRY) as client:
        client.write("res.company", [client.company.id], {"sale_lock_date": "2026-10-31"})
        assert read_lock_dates(client, client.company.id)["sale_lock_date"] == D("2026-10-31")
        income, receivable, expense = (client.search("account.account", [("code", "=", code)])[0]
                                       for code in ("400000", "121000", "600000"))
        customer = client.search("res.partner", [("customer_rank", ">", 0)], limit=1)[0]
        invoice = client.create("account.move", {
            "move_type": "out_invoice", "partner_id": customer, "invoice_date": "2026-10-20", "date": "2026-10-20",
            "line_ids": [(0, 0, {"account_id": income, "credit": 100.0, "name": "late sale", "display_type": "product"}),
                         (0, 0, {"account_id": receivable, "debit": 100.0, "name": "late sale",
                                 "display_type": "payment_term"})]})
        misc = client.search("account.journal", [("code", "=", "MISC")])[0]
        entry = client.create("account.move", {"journal_id": misc, "date": "2026-10-20", "line_ids": [
            (0, 0, {"account_id": expense, "debit": 50.0, "name": "x"}),
            (0, 0, {"account_id": income, "credit": 50.0, "name": "x"})]})
        client.call("account.move", "action_post", [invoice, entry])
        dates = {row["id"]: row["date"] for row in client.read("account.move", [invoice, entry], ["date"])}
        assert dates[entry] == "2026-10-20"
        assert dates[invoice] > "2026-10-31"
