"""The sandbox playing Odoo 19 over the demo database: its version, the recorded 19.0 schemas with the
renamed fields, the 18+ lock dates, and Odoo's multi-company record rules (both series).

Calls go over JSON-2 (the API Odoo 19 keeps); the expected schemas are the recorded ones in
ledgerpilot/sandbox/schema/19.0 (copied from a real Odoo 19 server).
"""

from __future__ import annotations

import json
from importlib import resources

import httpx
import pytest

from tests.conftest import api_key_for


def schema19(model: str) -> dict:
    path = resources.files("ledgerpilot.sandbox").joinpath(f"schema/19.0/{model}.json")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def admin19(sandbox19):
    return api_key_for(sandbox19, "admin")


def call(handle, key, model, method, status=200, **body):
    answer = httpx.post(f"{handle.url}/json/2/{model}/{method}", json=body,
                        headers={"Authorization": f"bearer {key}", "X-Odoo-Database": handle.db})
    assert answer.status_code == status, answer.text
    return answer.json()


def test_version_is_19_on_every_route(sandbox19):
    info = httpx.post(f"{sandbox19.url}/web/webclient/version_info",
                      json={"jsonrpc": "2.0", "method": "call", "params": {}, "id": 1}).json()["result"]
    assert info["server_version"] == "19.0" and info["server_version_info"][0] == 19
    listed = httpx.post(f"{sandbox19.url}/web/database/list",
                        json={"jsonrpc": "2.0", "method": "call", "params": {}, "id": 1}).json()["result"]
    assert listed == [sandbox19.db]


@pytest.mark.parametrize("model", ["purchase.order.line", "sale.order.line", "res.company", "account.account",
                                   "account.payment", "account.move"])
def test_fields_get_is_the_recorded_19_schema(sandbox19, admin19, model):
    served = call(sandbox19, admin19, model, "fields_get", attributes=["type", "store", "relation"])
    recorded = schema19(model)
    assert set(served) <= set(recorded)  # nothing 19 does not have
    for name, attrs in served.items():
        assert attrs["type"] == recorded[name]["type"], name
        assert attrs.get("store") == recorded[name].get("store"), name


def test_version_differences_are_served(sandbox19, admin19):
    pol = call(sandbox19, admin19, "purchase.order.line", "fields_get", attributes=["type"])
    assert {"product_uom_id", "tax_ids"} <= set(pol) and not {"product_uom", "taxes_id"} & set(pol)
    company = call(sandbox19, admin19, "res.company", "fields_get", attributes=["type"])
    assert {"fiscalyear_lock_date", "tax_lock_date", "sale_lock_date", "purchase_lock_date",
            "hard_lock_date"} <= set(company)
    assert "period_lock_date" not in company
    account = call(sandbox19, admin19, "account.account", "fields_get", attributes=["type", "store"])
    assert account["company_ids"]["type"] == "many2many" and "company_id" not in account
    assert account["code"]["store"] is False and "deprecated" not in account
    payment = call(sandbox19, admin19, "account.payment", "fields_get", attributes=["type"])
    assert "amount_residual" not in payment and "memo" in payment
    assert "stock.valuation.layer" not in [
        row["model"] for row in call(sandbox19, admin19, "ir.model", "search_read", domain=[], fields=["model"])]


def test_renamed_fields_read_and_search_what_17_keeps(sandbox19, admin19, sandbox):
    lines = call(sandbox19, admin19, "purchase.order.line", "search_read", domain=[["tax_ids", "!=", False]],
                 fields=["product_uom_id", "tax_ids", "product_qty"], limit=3, order="id",
                 context={"allowed_company_ids": [1]})
    assert lines and all(row["tax_ids"] for row in lines)
    ids = [row["id"] for row in lines]
    uid = sandbox.service.login(sandbox.db, "admin", "admin")
    seventeen = sandbox.service.execute_kw(sandbox.db, uid, "admin", "purchase.order.line", "read",
                                           [ids, ["product_uom", "taxes_id", "product_qty"]])
    assert [(r["product_uom"], r["taxes_id"]) for r in seventeen] == [(r["product_uom_id"], r["tax_ids"])
                                                                      for r in lines]
    accounts = call(sandbox19, admin19, "account.account", "search_read", domain=[["code", "=like", "1014%"]],
                    fields=["code", "company_ids", "active"], context={"allowed_company_ids": [2]})
    assert accounts and {tuple(row["company_ids"]) for row in accounts} == {(2,)}
    assert all(row["active"] for row in accounts)


def test_a_17_field_is_refused_on_19(fresh_sandbox19):
    key = api_key_for(fresh_sandbox19, "admin")
    error = call(fresh_sandbox19, key, "res.company", "write", status=500, ids=[1],  # builtins.ValueError
                 vals={"period_lock_date": "2026-01-31"})
    assert "period_lock_date" in error["message"]
    call(fresh_sandbox19, key, "res.company", "write", ids=[1], vals={"sale_lock_date": "2026-01-31"})
    assert call(fresh_sandbox19, key, "res.company", "read", ids=[1],
                fields=["sale_lock_date"])[0]["sale_lock_date"] == "2026-01-31"


def test_writes_under_19_names_land_in_the_17_columns(fresh_sandbox19):
    key = api_key_for(fresh_sandbox19, "admin")
    template = call(fresh_sandbox19, key, "purchase.order.line", "search_read", domain=[], limit=1,
                    fields=["order_id", "product_id", "product_uom_id", "tax_ids"], context={"allowed_company_ids": [1]})[0]
    new_id = call(fresh_sandbox19, key, "purchase.order.line", "create", vals_list=[{
        "order_id": template["order_id"][0], "product_id": template["product_id"][0], "name": "extra",
        "product_qty": 2, "price_unit": 10, "product_uom_id": template["product_uom_id"] and template["product_uom_id"][0],
        "tax_ids": [[6, 0, template["tax_ids"]]], "date_planned": "2026-12-01 10:00:00"}],
        context={"allowed_company_ids": [1]})[0]
    row = call(fresh_sandbox19, key, "purchase.order.line", "read", ids=[new_id], fields=["tax_ids"])[0]
    assert row["tax_ids"] == template["tax_ids"]


def test_record_rules_follow_allowed_company_ids(sandbox19, admin19):
    both = call(sandbox19, admin19, "account.journal", "search_read", domain=[["code", "=", "BNK1"]],
                fields=["company_id"])
    assert sorted(row["company_id"][0] for row in both) == [1, 2]  # no context: every company of the user
    only = call(sandbox19, admin19, "account.journal", "search_read", domain=[["code", "=", "BNK1"]],
                fields=["company_id"], context={"allowed_company_ids": [2]})
    assert [row["company_id"][0] for row in only] == [2]
    other = [row["id"] for row in both if row["company_id"][0] == 1]
    refused = call(sandbox19, admin19, "account.journal", "read", status=403, ids=other, fields=["name"],
                   context={"allowed_company_ids": [2]})
    assert refused["name"] == "odoo.exceptions.AccessError"
    companies = call(sandbox19, admin19, "res.company", "search_read", domain=[], fields=["name"],
                     context={"allowed_company_ids": [1]})
    assert [row["id"] for row in companies] == [1]


def test_a_company_outside_the_users_is_refused(sandbox19):
    key = api_key_for(sandbox19, "clerk")
    error = call(sandbox19, key, "account.move", "search_count", status=403, domain=[],
                 context={"allowed_company_ids": [2]})
    assert error["message"] == "Access to unauthorized or invalid companies."
    assert call(sandbox19, key, "account.move", "search_count", domain=[["company_id", "=", 2]]) == 0


def test_records_are_created_in_the_first_allowed_company(fresh_sandbox19):
    key = api_key_for(fresh_sandbox19, "admin")
    journal = call(fresh_sandbox19, key, "account.journal", "search", domain=[["code", "=", "MISC"]],
                   context={"allowed_company_ids": [2]})[0]
    accounts = call(fresh_sandbox19, key, "account.account", "search", domain=[["code", "in", ["600000", "212000"]]],
                    order="code", context={"allowed_company_ids": [2]})
    move = call(fresh_sandbox19, key, "account.move", "create", vals_list=[{
        "journal_id": journal, "date": "2026-11-10", "line_ids": [
            [0, 0, {"account_id": accounts[1], "debit": 100.0, "name": "x"}],
            [0, 0, {"account_id": accounts[0], "credit": 100.0, "name": "x"}]]}],
        context={"allowed_company_ids": [2]})[0]
    assert call(fresh_sandbox19, key, "account.move", "read", ids=[move], fields=["company_id"],
                context={"allowed_company_ids": [2]})[0]["company_id"][0] == 2
