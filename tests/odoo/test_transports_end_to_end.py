"""Every transport, end to end against the sandbox: domains, read_group, and the write calls the
approval machinery relies on, with Odoo's refusals (unbalanced, locked period, no rights)."""

from __future__ import annotations

import datetime as dt

import pytest

from ledgerpilot.odoo import OdooAccessError, OdooRedirectWarning, OdooUserError, connect

from .conftest import FAST_RETRY, make_connection, uid_of

TRANSPORTS = ["jsonrpc", "xmlrpc", "json2"]
PARTNER_FIELDS = ["name", "customer_rank", "supplier_rank", "email", "parent_id", "active", "ref"]

#: One domain per operator (and the prefix operators), over res.partner and account.move.line.
DOMAINS = {
    "=": [("customer_rank", "=", 1)],
    "!=": [("customer_rank", "!=", 0)],
    "<": [("id", "<", 10)],
    ">": [("supplier_rank", ">", 0)],
    "<=": [("id", "<=", 12)],
    ">=": [("customer_rank", ">=", 1)],
    "=?": [("email", "=?", False)],
    "like": [("name", "like", "Re")],
    "not like": [("name", "not like", "a")],
    "ilike": [("name", "ilike", "re")],
    "not ilike": [("name", "not ilike", "e")],
    "=like": [("name", "=like", "A%")],
    "=ilike": [("name", "=ilike", "a%")],
    "in": [("id", "in", [1, 2, 3, 999999])],
    "not in": [("id", "not in", [1, 2, 3])],
    "child_of": [("id", "child_of", [1])],
    "parent_of": [("id", "parent_of", [3])],
    "false is null": [("email", "=", False)],
    "| and !": ["|", ("customer_rank", ">", 0), "!", ("supplier_rank", "=", 0)],
    "&": ["&", ("customer_rank", ">", 0), ("name", "ilike", "a")],
    "dotted many2one": [("parent_id.name", "ilike", "a")],
    "many2one by name": [("parent_id", "ilike", "a")],
}


@pytest.fixture(scope="module")
def api_key(sandbox):
    return sandbox.service.create_api_key(uid_of(sandbox, "admin"), "transport tests")


def client_for(handle, transport, api_key=None, user="admin"):
    extra = {"api_key": api_key} if transport == "json2" else {}
    return connect(make_connection(handle, user=user, transport=transport, **extra), retry=FAST_RETRY)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_every_domain_operator_matches_the_server_side_answer(sandbox, api_key, transport):
    admin_uid = uid_of(sandbox, "admin")
    with client_for(sandbox, transport, api_key) as client:
        assert client.company.id == 1  # the user's current company; reads are restricted to it
        for label, domain in DOMAINS.items():
            expected = sandbox.service.execute_kw(sandbox.db, admin_uid, "admin", "res.partner", "search_read",
                                                  [[("company_id", "in", [1, False]), *domain]],
                                                  {"fields": PARTNER_FIELDS, "order": "id",
                                                   "context": {"allowed_company_ids": [1]}})
            got = client.search_read("res.partner", domain, PARTNER_FIELDS, order="id")
            assert got == expected, f"{transport}: domain {label} differs"
        assert any(client.search("res.partner", domain) for domain in DOMAINS.values())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_read_group_over_each_transport(sandbox, api_key, transport):
    domain = [("parent_state", "=", "posted")]
    with client_for(sandbox, transport, api_key) as client:
        rows = client.read_group("account.move.line", domain, ["balance:sum"], ["account_id"], lazy=False)
        assert rows and all("__count" in row and isinstance(row["account_id"], list) for row in rows)
        assert round(sum(row["balance"] for row in rows), 2) == 0.0  # posted books balance
        assert sum(row["__count"] for row in rows) == client.search_count("account.move.line", domain)


def _entry_values(client, date: str, debit: float, credit: float, ref: str) -> dict:
    journal = client.search_read("account.journal", [("code", "=", "MISC")], ["id"])[0]["id"]
    expense = client.search_read("account.account", [("account_type", "=", "expense")], ["id"], limit=1)[0]["id"]
    liability = client.search_read("account.account", [("account_type", "=", "liability_current")], ["id"],
                                   limit=1)[0]["id"]
    return {"move_type": "entry", "journal_id": journal, "date": date, "ref": ref,
            "line_ids": [(0, 0, {"account_id": expense, "name": "accrual", "debit": debit, "credit": 0.0}),
                         (0, 0, {"account_id": liability, "name": "accrual", "debit": 0.0, "credit": credit})]}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_create_post_message_and_write(fresh_sandbox, transport):
    key = fresh_sandbox.service.create_api_key(uid_of(fresh_sandbox, "admin"), "writes")
    with client_for(fresh_sandbox, transport, key) as client:
        move_id = client.create("account.move", _entry_values(client, "2026-11-10", 125.5, 125.5, "LP-TEST-1"))
        assert isinstance(move_id, int)
        draft = client.read("account.move", [move_id], ["state", "name", "amount_total"])[0]
        assert (draft["state"], draft["name"], draft["amount_total"]) == ("draft", "/", 125.5)
        assert client.call("account.move", "action_post", [move_id]) is False
        posted = client.read("account.move", [move_id], ["state", "name", "date"])[0]
        assert posted["state"] == "posted" and posted["name"].startswith("MISC/2026/11/")
        message_id = client.call("account.move", "message_post", [move_id], body="Approved <by> controller")
        message = client.read("mail.message", [message_id], ["body", "model", "res_id"])[0]
        assert message["body"] == "<p>Approved &lt;by&gt; controller</p>"
        assert (message["model"], message["res_id"]) == ("account.move", move_id)
        assert client.write("account.move", [move_id], {"ref": "LP-TEST-1 (checked)"}) is True
        assert client.read("account.move", [move_id], ["ref"])[0]["ref"] == "LP-TEST-1 (checked)"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_refusals_unbalanced_locked_period_and_rights(fresh_sandbox, transport):
    service, db = fresh_sandbox.service, fresh_sandbox.db
    key = service.create_api_key(uid_of(fresh_sandbox, "admin"), "refusals")
    with client_for(fresh_sandbox, transport, key) as client:
        with pytest.raises(OdooUserError, match="not balanced"):
            client.create("account.move", _entry_values(client, "2026-11-10", 100.0, 50.0, "LP-UNBALANCED"))

        company_id = client.search_read("res.company", [], ["id"], limit=1)[0]["id"]
        assert client.write("res.company", [company_id], {"fiscalyear_lock_date": "2025-06-30"}) is True
        move_id = client.create("account.move", _entry_values(client, "2025-06-15", 10.0, 10.0, "LP-LOCKED"))
        client.call("account.move", "action_post", [move_id])
        moved = dt.date.fromisoformat(client.read("account.move", [move_id], ["date"])[0]["date"])
        assert moved > dt.date(2025, 6, 30), "Odoo 17 re-dates a draft posted into a locked period"
        with pytest.raises(OdooUserError, match="lock date"):
            client.write("account.move", [move_id], {"date": "2025-06-01"})
        demo_today = service.store.get_meta("today")
        with pytest.raises(OdooRedirectWarning):
            client.write("res.company", [company_id], {"fiscalyear_lock_date": demo_today})

    for user in ("demo", "readonly"):
        key = service.create_api_key(uid_of(fresh_sandbox, user), "no rights")
        with client_for(fresh_sandbox, transport, key, user=user) as client:
            with pytest.raises(OdooAccessError, match="account.move"):
                client.create("account.move", {"move_type": "entry", "ref": "not allowed"})
    assert not service.execute_kw(db, uid_of(fresh_sandbox, "admin"), "admin", "account.move", "search",
                                  [[("ref", "in", ["LP-UNBALANCED", "not allowed"])]], {})
