"""One company at a time: the company configured (or the user's current one), and every read limited
to it, on the demo database with two companies, over Odoo 17 (odoorpc) and Odoo 19 (JSON-2).

The truth is computed apart from the gateway: plain SQL over the sandbox's database, by company.
"""

from __future__ import annotations

import sqlite3

import pytest

from ledgerpilot.config import OdooConnection
from ledgerpilot.errors import ConfigError
from ledgerpilot.odoo import NO_RETRY, connect
from ledgerpilot.sandbox.store import database_path
from tests.conftest import api_key_for

from .conftest import make_connection

SECOND = "Brightwave Logistics BV"


def bank_by_company(data_dir) -> dict[int, float]:
    with sqlite3.connect(database_path(data_dir)) as db:
        rows = db.execute(
            "SELECT l.company_id, ROUND(SUM(l.balance), 2) FROM account_move_line l JOIN account_account a "
            "ON a.id = l.account_id WHERE a.account_type = 'asset_cash' AND l.parent_state = 'posted' "
            "GROUP BY l.company_id").fetchall()
    return {int(c): float(b) for c, b in rows}


@pytest.fixture(scope="module")
def key19(sandbox19):
    return api_key_for(sandbox19, "admin")


def clients(sandbox, sandbox19, key19, **extra):
    yield connect(make_connection(sandbox, transport="auto", **extra), retry=NO_RETRY)
    yield connect(OdooConnection(url=sandbox19.url, db=sandbox19.db, user="admin", api_key=key19, **extra),
                  retry=NO_RETRY)


def bank_total(client) -> float:
    rows = client.read_group("account.move.line", [("parent_state", "=", "posted"),
                                                   ("account_type", "=", "asset_cash")], ["balance:sum"], [])
    return round(rows[0]["balance"] or 0.0, 2)


def test_the_users_current_company_by_default(sandbox, sandbox19, key19, demo_data_dir):
    truth = bank_by_company(demo_data_dir)
    assert set(truth) == {1, 2} and truth[2] != 0
    for client in clients(sandbox, sandbox19, key19):
        with client:
            assert (client.company.id, client.company.configured) == (1, False)
            assert client.company.name == "Brightwave Supplies SA"
            assert client.company.user_company_ids == (1, 2)
            assert bank_total(client) == pytest.approx(truth[1], abs=0.01)


@pytest.mark.parametrize("wanted", [SECOND, "brightwave logistics bv", "2", 2])
def test_the_configured_company_by_name_or_id(sandbox, sandbox19, key19, demo_data_dir, wanted):
    truth = bank_by_company(demo_data_dir)
    for client in clients(sandbox, sandbox19, key19, company=wanted):
        with client:
            assert (client.company.id, client.company.name, client.company.configured) == (2, SECOND, True)
            assert bank_total(client) == pytest.approx(truth[2], abs=0.01)
            # every kind of read keeps to it: search, search_read, extract, read_group by account
            journals = client.search_read("account.journal", [("code", "=", "BNK1")], ["company_id"])
            assert [row["company_id"][0] for row in journals] == [2]
            items = client.extract("account.move.line", ["company_id"], [("parent_state", "=", "posted")])
            assert set(items["company_id_id"]) == {2}
            accounts = client.search("account.account", [("code", "=", "101401")])
            assert len(accounts) == 1


def test_a_company_the_user_may_not_use_is_refused_with_the_list(sandbox):
    with pytest.raises(ConfigError, match=r"Brightwave Supplies SA \(1\)") as caught:
        connect(make_connection(sandbox, user="clerk", company=SECOND), retry=NO_RETRY)
    assert "clerk" in str(caught.value) and caught.value.exit_code == 2
    with pytest.raises(ConfigError, match="Nowhere Ltd"):
        connect(make_connection(sandbox, company="Nowhere Ltd"), retry=NO_RETRY)


def test_without_the_scope_odoo_mixes_the_companies(sandbox, demo_data_dir):
    """What the scope prevents: an unrestricted read adds up both companies' banks (as on real Odoo)."""
    truth = bank_by_company(demo_data_dir)
    with connect(make_connection(sandbox), retry=NO_RETRY) as client:
        client.company = None  # as before: no company in the calls
        assert bank_total(client) == pytest.approx(truth[1] + truth[2], abs=0.01)


def test_for_companies_reads_the_group_on_purpose(sandbox, demo_data_dir):
    truth = bank_by_company(demo_data_dir)
    with connect(make_connection(sandbox), retry=NO_RETRY) as client:
        group = client.for_companies([1, 2])
        assert bank_total(group) == pytest.approx(truth[1] + truth[2], abs=0.01)
        assert bank_total(client) == pytest.approx(truth[1], abs=0.01)  # the original keeps its company


def test_incremental_caches_are_kept_per_company(sandbox, tmp_path):
    first = connect(make_connection(sandbox), cache_dir=tmp_path, retry=NO_RETRY)
    second = connect(make_connection(sandbox, company="2"), cache_dir=tmp_path, retry=NO_RETRY)
    with first, second:
        mine = first.extract("account.move", ["company_id"], [], incremental=True)
        theirs = second.extract("account.move", ["company_id"], [], incremental=True)
        assert set(mine["company_id_id"]) == {1} and set(theirs["company_id_id"]) == {2}
        again = first.extract("account.move", ["company_id"], [], incremental=True)
        assert first.last_sync.mode == "unchanged" and len(again) == len(mine)


def test_the_company_setting_is_validated(monkeypatch, tmp_path):
    from ledgerpilot.config import load_settings

    monkeypatch.setenv("LEDGERPILOT_HOME", str(tmp_path))
    for bad in ("0", "-3", "x" * 201):
        with pytest.raises(ConfigError, match="LEDGERPILOT_ODOO_COMPANY"):
            load_settings(odoo_url="http://localhost:1", odoo_db="d", odoo_user="u", odoo_password="p",
                          odoo_company=bad).odoo.connection()
    settings = load_settings(odoo_url="http://localhost:1", odoo_db="d", odoo_user="u", odoo_password="p",
                             odoo_company=" Brightwave Logistics BV ")
    assert settings.odoo.connection().company == "Brightwave Logistics BV"


def test_an_approver_must_work_in_the_company_read(sandbox):
    """The approval page signs in against the company ledgerpilot reads: a clerk of the first company only
    is refused for the second, with the companies it may use; the controller of both is let in."""
    from ledgerpilot.channels.web.signin import SignInRefused, sign_in

    base = make_connection(sandbox, user="admin", company=SECOND)
    with pytest.raises(SignInRefused) as caught:
        sign_in(base, "clerk", "clerk", groups=["account.group_account_invoice"], agent_logins={"admin"})
    assert caught.value.reason == "company" and "Brightwave Supplies SA (1)" in str(caught.value)
    who = sign_in(base, "controller", "controller", groups=["account.group_account_manager"], agent_logins={"admin"})
    assert who.login == "controller"
