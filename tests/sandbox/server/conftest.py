"""A small sandbox database built here (no demo generator), and servers over it.

- ``server_data_dir``: one small company, built once per module and shared by read-only tests;
- ``server``: a sandbox server over it (module scope; faults are reset after each test);
- ``writable_server``: a server over a private copy, for tests that write.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ledgerpilot.sandbox import groups
from ledgerpilot.sandbox.server.runner import running_sandbox
from ledgerpilot.sandbox.store import Store, database_path

DB_NAME = "demo"
USERS = {
    # login: (uid, partner id, groups)
    "admin": (2, 3, ["base.group_system", "account.group_account_manager"]),
    "readonly": (5, 5, ["base.group_user", "account.group_account_readonly"]),
    "demo": (6, 6, ["base.group_user"]),
}


def build_small_company(data_dir: Path) -> Path:
    """One EUR company, a few partners, three users, a journal, four accounts and two moves."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(database_path(data_dir))
    store.set_meta("db_name", DB_NAME)
    store.set_meta("today", "2026-11-18")
    store.set_meta("now", "2026-11-18 08:00:00")
    groups.seed_groups(store)
    store.bulk_insert("res.currency", [{"id": 1, "name": "EUR", "symbol": "€", "decimal_places": 2,
                                        "rounding": 0.01, "position": "after", "active": True}])
    store.bulk_insert("res.company", [{"id": 1, "name": "Sandbox Company", "currency_id": 1, "active": True}])
    store.bulk_insert("res.partner", [
        {"id": 1, "name": "Sandbox Company", "is_company": True, "company_id": 1, "active": True},
        {"id": 3, "name": "Mitchell Admin", "email": "admin@example.com", "lang": "en_US",
         "tz": "Europe/Brussels", "active": True},
        {"id": 5, "name": "Read Only", "lang": "en_US", "tz": "Europe/Brussels", "active": True},
        {"id": 6, "name": "Marc Demo", "lang": "en_US", "tz": "Europe/Brussels", "active": True},
        {"id": 10, "name": "Deco Addict", "is_company": True, "email": "deco@example.com", "active": True},
        {"id": 14, "name": "Azure Interior", "is_company": True, "email": "azure@example.com", "active": True},
        {"id": 15, "name": "Ünïcode Gmbh", "is_company": True, "active": True},
    ])
    store.bulk_insert("res.users", [
        {"id": uid, "login": login, "partner_id": partner, "company_id": 1, "active": True,
         "share": False, "company_ids": [1], "groups_id": groups.group_ids(group_list)}
        for login, (uid, partner, group_list) in USERS.items()
    ])
    for login, (uid, _, _) in USERS.items():
        groups.set_password(store, uid, login)
    store.bulk_insert("account.journal", [
        {"id": 3, "name": "Miscellaneous Operations", "code": "MISC", "type": "general", "company_id": 1,
         "active": True, "sequence": 9},
    ])
    store.bulk_insert("account.account", [
        {"id": 1, "code": "400000", "name": "Product Sales", "account_type": "income", "company_id": 1},
        {"id": 2, "code": "600000", "name": "Expenses", "account_type": "expense", "company_id": 1},
        {"id": 3, "code": "101000", "name": "Bank", "account_type": "asset_cash", "company_id": 1},
        {"id": 4, "code": "121000", "name": "Receivable", "account_type": "asset_receivable", "company_id": 1,
         "reconcile": True},
    ])
    moves = []
    lines = []
    for move_id, (date, amount) in enumerate([("2026-10-05", 100.0), ("2026-11-03", 250.5)], start=1):
        moves.append({"id": move_id, "name": f"MISC/2026/{date[5:7]}/000{move_id}", "move_type": "entry",
                      "journal_id": 3, "company_id": 1, "currency_id": 1, "date": date, "state": "posted",
                      "ref": f"ref {move_id}", "amount_total": amount, "amount_total_signed": amount})
        for account, debit, credit in ((2, amount, 0.0), (3, 0.0, amount)):
            lines.append({"move_id": move_id, "account_id": account, "name": f"line of move {move_id}",
                          "debit": debit, "credit": credit, "balance": round(debit - credit, 2),
                          "amount_currency": round(debit - credit, 2), "date": date, "journal_id": 3,
                          "company_id": 1, "currency_id": 1, "company_currency_id": 1,
                          "parent_state": "posted", "move_name": f"MISC/2026/{date[5:7]}/000{move_id}",
                          "display_type": "product"})
    store.bulk_insert("account.move", moves)
    store.bulk_insert("account.move.line", lines)
    store.close()
    return data_dir


@pytest.fixture(scope="session")
def server_data_dir(tmp_path_factory) -> Path:
    return build_small_company(tmp_path_factory.mktemp("server-sandbox"))


@pytest.fixture(scope="module")
def server(server_data_dir):
    with running_sandbox(server_data_dir) as handle:
        yield handle


@pytest.fixture(autouse=True)
def _no_faults_left_behind(request):
    """A test that changes the shared server's faults must not leak them into the next test."""
    yield
    if "server" in request.fixturenames:
        request.getfixturevalue("server").faults.reset()


@pytest.fixture()
def writable_server(server_data_dir, tmp_path):
    copy = tmp_path / "sandbox"
    shutil.copytree(server_data_dir, copy)
    with running_sandbox(copy) as handle:
        yield handle
