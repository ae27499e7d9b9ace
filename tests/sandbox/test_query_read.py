"""search, search_count, read, search_read, name_search, display names and fields_get on a small
accounting store built with Store.bulk_insert (real SQLite, no demo generator)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledgerpilot.sandbox.exceptions import PythonError, UserError
from ledgerpilot.sandbox.query import QueryEngine
from ledgerpilot.sandbox.store import Store

PROTOCOL = Path(__file__).parents[1] / "fixtures" / "odoo17_protocol"


def recorded(name: str) -> dict:
    return json.loads((PROTOCOL / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("read") / "db.sqlite")
    store.bulk_insert("res.currency", [{"id": 1, "name": "USD", "active": True},
                                       {"id": 2, "name": "EUR", "active": True}])
    store.bulk_insert("res.company", [{"id": 1, "name": "YourCompany", "currency_id": 1}])
    store.bulk_insert("res.partner", [
        {"id": 14, "name": "Azure Interior", "complete_name": "Azure Interior", "is_company": True, "active": True,
         "email": "azure.Interior24@example.com"},
        {"id": 26, "name": "Brandon Freeman", "complete_name": "Azure Interior, Brandon Freeman", "parent_id": 14,
         "active": True},
        {"id": 33, "name": "Colleen Diaz", "complete_name": "Azure Interior, Colleen Diaz", "parent_id": 14,
         "active": True},
        {"id": 27, "name": "Nicole Ford", "complete_name": "Azure Interior, Nicole Ford", "parent_id": 14,
         "active": True},
        {"id": 10, "name": "Deco Addict", "complete_name": "Deco Addict", "is_company": True, "active": True},
        {"id": 11, "name": "Gone Azure", "complete_name": "Gone Azure", "active": False},
        {"id": 3, "name": "Mitchell Admin", "complete_name": "YourCompany, Mitchell Admin", "active": True},
    ])
    store.bulk_insert("res.users", [{"id": 2, "partner_id": 3, "login": "admin", "active": True}])
    store.bulk_insert("account.account", [
        {"id": 6, "code": "121000", "name": "Account Receivable", "account_type": "asset_receivable"},
        {"id": 24, "code": "400000", "name": "Product Sales", "account_type": "income"},
        {"id": 25, "code": "400100", "name": "Service Sales", "account_type": "income"},
        {"id": 32, "code": "612000", "name": "Rent", "account_type": "expense", "group_id": 7},
    ])
    store.bulk_insert("account.journal", [
        {"id": 1, "name": "Customer Invoices", "code": "INV", "company_id": 1, "currency_id": False,
         "active": True},
        {"id": 3, "name": "Miscellaneous Operations", "code": "MISC", "company_id": 1, "active": True},
        {"id": 7, "name": "Bank EUR", "code": "BNK2", "company_id": 1, "currency_id": 2, "active": True},
    ])
    store.bulk_insert("account.move", [
        {"id": 1, "name": "INV/2026/00001", "state": "posted", "move_type": "out_invoice", "date": "2026-11-01",
         "invoice_date": "2026-11-01", "partner_id": 14, "journal_id": 1, "amount_total": 36512.5,
         "currency_id": 1},
        {"id": 2, "name": "INV/2026/00002", "state": "posted", "move_type": "out_invoice", "date": "2026-11-21",
         "invoice_date": "2026-11-21", "partner_id": 10, "journal_id": 1, "amount_total": 48012.5,
         "currency_id": 1},
        {"id": 3, "name": "INV/2026/00003", "state": "posted", "move_type": "out_invoice", "date": "2026-11-20",
         "invoice_date": "2026-11-20", "partner_id": 10, "journal_id": 1, "amount_total": 22137.5,
         "currency_id": 1},
        {"id": 4, "name": "INV/2026/00004", "state": "posted", "move_type": "out_invoice", "date": "2026-11-08",
         "invoice_date": "2026-11-08", "partner_id": 10, "journal_id": 1, "amount_total": 36512.5,
         "currency_id": 1},
        {"id": 30, "name": "/", "state": "draft", "move_type": "entry", "date": "2026-11-23", "journal_id": 3,
         "ref": "November accrual", "amount_total": 1200.0},
        {"id": 31, "name": "/", "state": "draft", "move_type": "in_invoice", "date": "2026-11-23", "journal_id": 3},
        {"id": 32, "name": "MISC/2026/11/0003", "state": "draft", "move_type": "entry", "date": "2026-11-23",
         "journal_id": 3},
    ])
    store.bulk_insert("account.move.line", [
        {"id": 79, "move_id": 30, "account_id": 32, "name": "November rent", "debit": 1200.0, "credit": 0.0,
         "balance": 1200.0, "parent_state": "draft", "date": "2026-11-23", "move_name": "/"},
        {"id": 80, "move_id": 30, "account_id": 6, "name": "Accrued rent", "debit": 0.0, "credit": 1200.0,
         "balance": -1200.0, "parent_state": "draft", "date": "2026-11-23", "move_name": "/"},
        {"id": 5, "move_id": 1, "account_id": 24, "debit": 0.0, "credit": 20000.0, "balance": -20000.0,
         "partner_id": 14, "parent_state": "posted", "date": "2026-11-01", "move_name": "INV/2026/00001"},
        {"id": 40, "move_id": 1, "account_id": 6, "debit": 36512.5, "credit": 0.0, "balance": 36512.5,
         "partner_id": 14, "parent_state": "posted", "date": "2026-11-01", "date_maturity": "2026-12-31",
         "analytic_distribution": {"3": 100.0}, "ref": "SO042", "move_name": "INV/2026/00001"},
    ])
    store.bulk_insert("account.payment", [{"id": 1, "move_id": 2, "payment_type": "inbound", "amount": 10.0,
                                          "partner_id": 10}])
    yield QueryEngine(store)
    store.close()


def test_search_order_offset_limit_like_recorded(engine):
    # recorded: search [('move_type','=','out_invoice')] order 'id desc' offset 1 limit 2 -> [3, 2]
    assert engine.search("account.move", [("move_type", "=", "out_invoice")], order="id desc", offset=1,
                         limit=2) == [3, 2]
    assert engine.search_count("account.move", [("move_type", "=", "out_invoice")]) == 4
    assert engine.search_count("account.move", [], limit=2) == 2


def test_default_order_is_the_models_order_with_id_tie_break(engine):
    # account.move: "date desc, name desc, id desc"
    assert engine.search("account.move", []) == [32, 31, 30, 2, 3, 4, 1]
    # many2one ordered by the comodel's order (account code), NULLs last
    lines = engine.search("account.move.line", [], order="account_id desc, id")
    assert lines == [79, 5, 40, 80]
    # res.partner: complete_name ASC, id DESC
    assert engine.search("res.partner", [("parent_id", "=", 14)]) == [26, 33, 27]


def test_invalid_order_raises_like_odoo(engine):
    with pytest.raises(PythonError) as err:
        engine.search("account.move", [], order="date desc; delete")
    assert err.value.odoo_name == "builtins.ValueError"
    assert err.value.message.startswith('Invalid "order" specified (date desc; delete).')
    with pytest.raises(PythonError) as err:
        engine.search("account.move", [], order="nope asc")
    assert err.value.message == "Invalid field 'nope' on model 'account.move'"


def test_search_read_shapes_like_recorded(engine):
    exchange = recorded("jsonrpc_search_read_order_id_desc_offset_limit")
    args = exchange["request"]["body"]["params"]["args"]
    kwargs = args[6]
    got = engine.search_read(args[3], args[5][0], fields=kwargs["fields"], order=kwargs["order"],
                             offset=kwargs["offset"], limit=kwargs["limit"])
    assert [r["id"] for r in got] == [r["id"] for r in exchange["response"]["body"]["result"]]
    assert list(got[0]) == ["id", "name", "partner_id", "amount_total", "state", "invoice_date"]
    assert got[0]["partner_id"] == [10, "Deco Addict"]
    assert got[1] == {"id": 2, "name": "INV/2026/00002", "partner_id": [10, "Deco Addict"],
                      "amount_total": 48012.5, "state": "posted", "invoice_date": "2026-11-21"}


def test_read_values_on_the_wire(engine):
    [line] = engine.read("account.move.line", [40], ["account_id", "debit", "credit", "balance", "date_maturity",
                                                      "analytic_distribution", "partner_id", "reconciled",
                                                      "account_type", "full_reconcile_id", "display_name"])
    assert line == {"id": 40, "account_id": [6, "121000 Account Receivable"], "debit": 36512.5, "credit": 0.0,
                    "balance": 36512.5, "date_maturity": "2026-12-31", "analytic_distribution": {"3": 100.0},
                    "partner_id": [14, "Azure Interior"], "reconciled": False, "account_type": "asset_receivable",
                    "full_reconcile_id": False, "display_name": "INV/2026/00001 (SO042)"}
    [empty] = engine.read("account.move.line", [5], ["date_maturity", "analytic_distribution"])
    assert empty == {"id": 5, "date_maturity": False, "analytic_distribution": False}


def test_read_order_missing_ids_and_classic_write(engine):
    assert engine.read("account.move", [999], ["name"]) == []
    got = engine.read("account.move", [3, 999, 1], ["partner_id"])
    assert got == [{"id": 3, "partner_id": [10, "Deco Addict"]}, {"id": 1, "partner_id": [14, "Azure Interior"]}]
    got = engine.read("account.move", [1], ["partner_id", "journal_id"], load="_classic_write")
    assert got == [{"id": 1, "partner_id": 14, "journal_id": 1}]
    assert engine.read("account.move", [30], ["line_ids", "state"]) == [{"id": 30, "line_ids": [79, 80],
                                                                       "state": "draft"}]


def test_display_names_as_odoo_17(engine):
    moves = engine.display_names("account.move", [1, 30, 31, 32])
    assert moves == {1: "INV/2026/00001", 30: "Draft Entry (* 30) (November accrual)", 31: "Draft Bill (* 31)",
                     32: "Draft Entry MISC/2026/11/0003"}
    assert engine.display_names("res.partner", [26]) == {26: "Azure Interior, Brandon Freeman"}
    assert engine.display_names("res.users", [2]) == {2: "Mitchell Admin"}
    assert engine.display_names("account.journal", [1, 7]) == {1: "Customer Invoices", 7: "Bank EUR (EUR)"}
    assert engine.display_names("account.move.line", [79]) == {79: "/ November rent"}
    assert engine.display_names("account.payment", [1]) == {1: "INV/2026/00002"}
    assert engine.display_names("account.partial.reconcile", []) == {}


def test_delegated_fields_read_and_search_through_the_parent(engine):
    [payment] = engine.read("account.payment", [1], ["date", "name", "partner_id", "amount"])
    assert payment == {"id": 1, "date": "2026-11-21", "name": "INV/2026/00002", "partner_id": [10, "Deco Addict"],
                       "amount": 10.0}
    assert engine.search("account.payment", [("date", ">=", "2026-11-21")]) == [1]
    assert engine.search("account.payment", [("date", "<", "2026-11-21")]) == []
    assert engine.search("account.move.line", [("account_type", "=", "income")]) == [5]
    assert engine.search("account.move.line", [("move_id.state", "=", "draft")], order="id") == [79, 80]


def test_full_read_of_moves_fails_as_on_odoo_17(engine):
    with pytest.raises(PythonError) as err:
        engine.search_read("account.move.line", [("move_id", "=", 1)], limit=1)
    assert err.value.odoo_name == "builtins.TypeError"
    assert err.value.message == "keys must be str, int, float, bool or None, not frozendict"
    with pytest.raises(PythonError):
        engine.read("account.move", [1])
    # other models return every served field
    [partner] = engine.read("res.partner", [14])
    assert partner["name"] == "Azure Interior" and "display_name" in partner and "child_ids" in partner
    assert partner["child_ids"] == [26, 33, 27]


def test_unknown_field_and_model(engine):
    with pytest.raises(PythonError) as err:
        engine.read("res.partner", [14], ["nope"])
    assert err.value.message == "Invalid field 'nope' on model 'res.partner'"
    with pytest.raises(UserError) as err:
        engine.search_read("no.such.model", [], ["name"])
    assert err.value.message == "Object no.such.model doesn't exist"


def test_name_search_like_recorded(engine):
    exchange = recorded("jsonrpc_name_search_res_partner")
    assert engine.name_search("res.partner", "Azure", limit=5) == exchange["response"]["body"]["result"]
    exchange = recorded("jsonrpc_name_search_account_by_code")
    assert engine.name_search("account.account", "4000", args=[], limit=3) == [[24, "400000 Product Sales"]]
    assert engine.name_search("account.account", "Rent") == [[32, "612000 Rent"]]
    assert exchange["response"]["body"]["result"] == [[24, "400000 Product Sales"]]
    assert engine.name_search("res.partner", "azure", args=[("is_company", "=", True)]) == [[14, "Azure Interior"]]


def test_many2one_compared_with_a_name(engine):
    assert engine.search("account.move", [("partner_id", "ilike", "Azure")]) == [1]
    assert sorted(engine.search("account.move", [("partner_id", "not ilike", "Azure")])) == [2, 3, 4, 30, 31, 32]
    # inactive partners are still found by name through a many2one
    assert engine.search("res.partner", [("name", "ilike", "Gone")]) == []


def test_exists(engine):
    assert engine.exists("account.move", [999, 3, 1, 3]) == [3, 1]


def test_search_read_pages_by_id(engine):
    seen, last = [], 0
    while True:
        page = engine.search_read("account.move.line", [("id", ">", last)], ["balance"], order="id asc", limit=2)
        if not page:
            break
        seen += [r["id"] for r in page]
        last = page[-1]["id"]
    assert seen == [5, 40, 79, 80]


def test_many2one_to_a_model_the_sandbox_does_not_serve(engine):
    assert engine.read("account.account", [32, 24], ["group_id"]) == [{"id": 32, "group_id": [7, "account.group,7"]},
                                                                     {"id": 24, "group_id": False}]
    assert engine.search("account.account", [("group_id", "=", 7)]) == [32]
    with pytest.raises(PythonError) as err:
        engine.search("account.account", [("group_id", "ilike", "x")])
    assert "does not serve the model account.group" in err.value.message
