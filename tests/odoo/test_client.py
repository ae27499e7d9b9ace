"""OdooClient reads, schema checks, capabilities and errors against the sandbox."""

from __future__ import annotations

import pytest

from ledgerpilot.odoo import (
    GatewayUsageError,
    MissingFieldError,
    MissingModuleError,
    OdooAccessError,
    OdooServerError,
    OdooUserError,
    connect,
)

from .conftest import FAST_RETRY, make_connection, uid_of

AML = "account.move.line"


def test_search_read_with_domains(admin):
    posted = admin.search_read(AML, [("parent_state", "=", "posted"), ("debit", ">", 0)],
                               ["debit", "parent_state", "account_id"], limit=50, order="id asc")
    assert posted and all(row["parent_state"] == "posted" and row["debit"] > 0 for row in posted)
    assert [row["id"] for row in posted] == sorted(row["id"] for row in posted)
    account_id, label = posted[0]["account_id"]
    assert isinstance(account_id, int) and isinstance(label, str)
    either = admin.search_read(AML, ["|", ("debit", ">", 0), ("credit", ">", 0)], ["debit", "credit"], limit=20)
    assert all(row["debit"] > 0 or row["credit"] > 0 for row in either)
    count = admin.search_count(AML, [("parent_state", "=", "posted")])
    assert count == len(admin.search(AML, [("parent_state", "=", "posted")]))


def test_search_read_refuses_a_call_without_fields(admin):
    with pytest.raises(GatewayUsageError, match="explicit list of fields"):
        admin.search_read(AML, [])
    with pytest.raises(GatewayUsageError):
        admin.search_read(AML, [], [])
    with pytest.raises(GatewayUsageError):
        admin.read(AML, [1])


def test_unknown_field_is_named_before_any_call(admin):
    calls = admin.rpc_count
    admin.fields_get(AML)
    with pytest.raises(MissingFieldError) as caught:
        admin.search_read(AML, [], ["debit", "analytic_account_id"])
    assert "account.move.line has no field 'analytic_account_id'" in str(caught.value)
    assert "16" in str(caught.value)
    with pytest.raises(MissingFieldError, match="no_such_field"):
        admin.search_count(AML, [("no_such_field", "=", 1)])
    assert admin.rpc_count - calls <= 1  # at most the one fields_get


def test_read_group(admin):
    groups = admin.read_group(AML, [("parent_state", "=", "posted")], ["balance:sum", "debit:sum"],
                              ["account_id"], lazy=False, orderby="account_id")
    assert groups and all("__count" in group for group in groups)
    lines = admin.search_read(AML, [("parent_state", "=", "posted")], ["account_id", "debit"])
    total = round(sum(row["debit"] for row in lines), 2)
    assert round(sum(group["debit"] for group in groups), 2) == total
    assert sum(group["__count"] for group in groups) == len(lines)


def test_read_group_df_splits_many2one(admin):
    frame = admin.read_group_df(AML, [("parent_state", "=", "posted")], ["balance:sum"], ["account_id", "date:month"])
    assert list(frame.columns[:3]) == ["account_id_id", "account_id_name", "date:month"]
    assert str(frame["account_id_id"].dtype) == "Int64"
    assert str(frame["__count"].dtype) == "Int64"
    assert frame["balance"].dtype == "float64"
    assert frame["account_id_name"].dtype == "string"


def test_fields_get_is_cached_in_memory_and_on_disk(sandbox, tmp_path):
    first = connect(make_connection(sandbox, transport="jsonrpc"), cache_dir=tmp_path, retry=FAST_RETRY)
    first.fields_get(AML)
    calls = first.rpc_count
    first.fields_get(AML)
    assert first.rpc_count == calls
    first.close()
    second = connect(make_connection(sandbox, transport="jsonrpc"), cache_dir=tmp_path, retry=FAST_RETRY)
    before = second.rpc_count
    assert "balance" in second.fields_get(AML)
    assert second.rpc_count == before  # read from disk
    assert list((tmp_path / "schema").glob("*.json"))
    second.close()


def test_capabilities(admin):
    capabilities = admin.capabilities()
    for feature in ("sales", "purchase", "analytic", "budgets", "discuss", "projects", "inventory_valuation"):
        assert capabilities[feature].available, capabilities[feature].reason
    assert capabilities["discuss"].model == "discuss.channel"
    assert capabilities["budgets"].model == "crossovered.budget"
    assert capabilities.analytic_field == "analytic_distribution"
    assert admin.require("sales").model == "sale.order"
    assert admin.has_model("sale.order") and not admin.has_model("mail.channel")
    with pytest.raises(ValueError, match="unknown feature"):
        admin.require("teleportation")


def test_missing_model_raises_missing_module_with_the_feature(admin):
    with pytest.raises(MissingModuleError) as caught:
        admin.fields_get("mail.channel")  # Odoo <= 16's Discuss model; 17 has discuss.channel
    assert caught.value.feature == "Discuss channels"
    assert "mail.channel" in str(caught.value) and "Discuss (mail)" in str(caught.value)
    with pytest.raises(MissingModuleError, match="Budgets"):
        admin.extract("budget.analytic", ["name"])


def test_unknown_model_without_a_feature(admin):
    with pytest.raises(OdooUserError, match="no.such.model"):
        admin.execute("no.such.model", "search_count", [])


@pytest.mark.parametrize("transport", ["jsonrpc", "xmlrpc", "json2"])
def test_access_error_names_the_model(sandbox, transport):
    extra = {"api_key": sandbox.service.create_api_key(uid_of(sandbox, "demo"), "demo key")} \
        if transport == "json2" else {}
    connection = make_connection(sandbox, user="demo", transport=transport, **extra)
    with connect(connection, retry=FAST_RETRY) as demo:
        calls = demo.rpc_count
        with pytest.raises(OdooAccessError) as caught:
            demo.execute(AML, "search_read", [], fields=["debit"], limit=1)
        assert demo.rpc_count - calls == 1  # never retried
        assert AML in str(caught.value) and "'demo'" in str(caught.value)
        assert caught.value.odoo_name == "odoo.exceptions.AccessError"


@pytest.mark.parametrize("transport", ["jsonrpc", "xmlrpc", "json2"])
def test_server_value_error_is_not_retried(sandbox, transport):
    extra = {"api_key": sandbox.service.create_api_key(uid_of(sandbox, "admin"), "admin key")} \
        if transport == "json2" else {}
    with connect(make_connection(sandbox, transport=transport, **extra), retry=FAST_RETRY) as client:
        calls = client.rpc_count
        with pytest.raises(OdooServerError) as caught:
            client.execute("res.partner", "search_read", [("nonexistent_field", "=", 1)], fields=["name"])
        assert client.rpc_count - calls == 1
        assert caught.value.odoo_name == "builtins.ValueError"
        assert "nonexistent_field" in str(caught.value)


def test_json2_reads_match_jsonrpc(sandbox, admin):
    key = sandbox.service.create_api_key(uid_of(sandbox, "admin"), "json2 reads")
    with connect(make_connection(sandbox, api_key=key, transport="json2"), retry=FAST_RETRY) as json2:
        domain = [("parent_state", "=", "posted")]
        assert json2.extract(AML, ["account_id", "balance", "date"], domain, batch_size=50).equals(
            admin.extract(AML, ["account_id", "balance", "date"], domain))
        assert json2.read_group(AML, domain, ["balance:sum"], ["account_id"], lazy=False) == \
            admin.read_group(AML, domain, ["balance:sum"], ["account_id"], lazy=False)
        ids = json2.search(AML, domain, limit=3, order="id desc")
        assert [row["id"] for row in json2.read(AML, ids, ["debit"])] == ids
        with pytest.raises(OdooUserError, match="no.such.model"):
            json2.execute("no.such.model", "search_count", [])
