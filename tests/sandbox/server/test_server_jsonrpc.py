"""/jsonrpc against the recorded Odoo 17 exchanges, and the real odoorpc client."""

from __future__ import annotations

import json

import httpx
import odoorpc
import pytest

from tests.sandbox.server.server_recordings import assert_same_error_shape, recorded_body, replay


def _rpc(url: str, service: str, method: str, *args, request_id=1) -> dict:
    payload = {"jsonrpc": "2.0", "method": "call",
               "params": {"service": service, "method": method, "args": list(args)}, "id": request_id}
    response = httpx.post(url + "/jsonrpc", json=payload)
    assert response.status_code == 200
    return response.json()


# -- exchanges reproduced byte for byte or shape for shape ---------------------------------------
def test_common_version_is_the_recorded_17_0(server):
    recording, response = replay(server.url, "jsonrpc_common_version")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == recorded_body(recording)
    # json.dumps default separators and key order jsonrpc, id, result
    assert response.text == json.dumps(recorded_body(recording), ensure_ascii=False)
    assert "set-cookie" not in response.headers  # /jsonrpc never sets a session cookie


@pytest.mark.parametrize("name", [
    "jsonrpc_error_http_get_method",
    "jsonrpc_error_malformed_json_body",
    "jsonrpc_error_wrong_content_type_text_plain",
])
def test_http_400_answers_are_byte_identical(server, name):
    recording, response = replay(server.url, name)
    expected = recording["response"]
    assert response.status_code == expected["status"] == 400
    assert response.headers["content-type"] == expected["headers"]["content-type"]
    assert response.text == expected["body"]


def test_json_that_is_not_an_object_is_invalid_jsonrpc_data(server):
    response = httpx.post(server.url + "/jsonrpc", json=[1, 2])
    assert response.status_code == 400
    assert response.text == "Invalid JSON-RPC data"


@pytest.mark.parametrize("name", [
    "jsonrpc_error_missing_args_param",
    "jsonrpc_error_unknown_service",
    "jsonrpc_error_unknown_common_method",
    "jsonrpc_object_execute_kw_wrong_password",
    "jsonrpc_object_execute_kw_unknown_model",
    "jsonrpc_error_unknown_method",
    "jsonrpc_error_private_method",
])
def test_error_envelopes_match_the_recordings(server, name):
    recording, response = replay(server.url, name)
    data = assert_same_error_shape(recording, response)
    want = recording["response"]["body"]["error"]["data"]
    assert data["message"] == want["message"]
    assert data["arguments"] == want["arguments"]


def test_unknown_database_is_a_psycopg2_error(server):
    recording, response = replay(server.url, "jsonrpc_error_unknown_database")
    data = assert_same_error_shape(recording, response)
    assert 'database "no_such_db" does not exist' in data["message"]


def test_missing_args_traceback_ends_with_the_python_error(server):
    _, response = replay(server.url, "jsonrpc_error_missing_args_param")
    debug = response.json()["error"]["data"]["debug"]
    assert debug.rstrip().endswith("TypeError: RPC.jsonrpc() missing 1 required positional argument: 'args'")


@pytest.mark.parametrize("name, expected", [
    ("jsonrpc_common_login_ok", 2),
    ("jsonrpc_common_authenticate_ok", 2),
    ("jsonrpc_common_login_bad_password", False),
    ("jsonrpc_common_authenticate_bad_password", False),
])
def test_login_results_match_the_recordings(server, name, expected):
    recording, response = replay(server.url, name)
    assert response.json() == recorded_body(recording)
    assert response.json()["result"] is expected or response.json()["result"] == expected


def test_request_id_of_any_type_is_echoed(server):
    for request_id in (0, "abc", None, 12345678901):
        body = _rpc(server.url, "common", "version", request_id=request_id)
        assert list(body) == ["jsonrpc", "id", "result"]
        assert body["id"] == request_id


def test_db_and_common_services(server):
    assert _rpc(server.url, "db", "list")["result"] == ["demo"]
    assert _rpc(server.url, "db", "db_exist", "demo")["result"] is True
    assert _rpc(server.url, "db", "db_exist", "nope")["result"] is False
    assert _rpc(server.url, "db", "server_version")["result"] == "17.0-20240709"
    assert _rpc(server.url, "common", "about")["result"] == "See http://openerp.com"
    refused = _rpc(server.url, "db", "drop", "master", "demo")["error"]["data"]
    assert refused["name"] == "odoo.exceptions.AccessDenied"
    unknown = _rpc(server.url, "db", "nosuch")["error"]["data"]
    assert (unknown["name"], unknown["message"]) == ("builtins.KeyError", "Method not found: nosuch")
    wrong_arity = _rpc(server.url, "common", "login", "demo")["error"]["data"]
    assert wrong_arity["name"] == "builtins.TypeError"
    assert wrong_arity["message"] == "exp_login() missing 2 required positional arguments: 'login' and 'password'"


def test_unknown_object_method_is_a_name_error_after_the_credentials(server):
    denied = _rpc(server.url, "object", "frobnicate", "demo", 2, "wrong")["error"]["data"]
    assert denied["name"] == "odoo.exceptions.AccessDenied"
    unknown = _rpc(server.url, "object", "frobnicate", "demo", 2, "admin")["error"]["data"]
    assert (unknown["name"], unknown["message"]) == ("builtins.NameError", "Method not available frobnicate")


def test_api_key_is_accepted_in_place_of_the_password(server):
    key = server.service.create_api_key(2, "jsonrpc test")
    try:
        assert _rpc(server.url, "common", "login", "demo", "admin", key)["result"] == 2
        assert _rpc(server.url, "common", "authenticate", "demo", "admin", key, {})["result"] == 2
        result = _rpc(server.url, "object", "execute_kw", "demo", 2, key, "res.users", "context_get", [])
        assert result["result"]["uid"] == 2
    finally:
        server.service.revoke_api_key(key)
    assert _rpc(server.url, "common", "login", "demo", "admin", key)["result"] is False


def test_none_result_has_no_result_key(writable_server):
    body = _rpc(writable_server.url, "object", "execute_kw", "demo", 2, "admin", "account.move", "button_draft",
                [[1]], request_id=22)
    assert body == {"jsonrpc": "2.0", "id": 22}, body
    state = _rpc(writable_server.url, "object", "execute_kw", "demo", 2, "admin", "account.move", "read",
                 [[1], ["state"]])
    assert state["result"] == [{"id": 1, "state": "draft"}]


def test_non_ascii_text_is_sent_as_utf8_not_escaped(server):
    response = httpx.post(server.url + "/jsonrpc", json={
        "jsonrpc": "2.0", "method": "call", "id": 1,
        "params": {"service": "object", "method": "execute_kw",
                   "args": ["demo", 2, "admin", "res.partner", "read", [[15], ["name"]]]}})
    assert "Ünïcode Gmbh" in response.content.decode("utf-8")
    assert response.json()["result"] == [{"id": 15, "name": "Ünïcode Gmbh"}]


# -- the real odoorpc client ---------------------------------------------------------------------
def test_odoorpc_end_to_end(server):
    odoo = odoorpc.ODOO(server.host, port=server.port)
    assert odoo.version == "17.0-20240709"
    assert odoo.db.list() == ["demo"]
    odoo.login("demo", "admin", "admin")
    assert odoo.env.uid == 2
    assert odoo.env.context["tz"] == "Europe/Brussels"
    partners = odoo.env["res.partner"].search_read([("is_company", "=", True)], ["name"], limit=2)
    assert [set(p) for p in partners] == [{"id", "name"}] * 2
    assert odoo.execute_kw("res.partner", "search_count", [[]]) == 7
    moves = odoo.env["account.move"].read([1, 2], ["name", "state", "journal_id"])
    assert moves[0]["journal_id"] == [3, "Miscellaneous Operations"]
    lines = odoo.execute_kw("account.move.line", "search_read", [[["move_id", "=", 2]]],
                            {"fields": ["debit", "credit", "account_id"]})
    assert sorted((line["debit"], line["credit"]) for line in lines) == [(0.0, 250.5), (250.5, 0.0)]


def test_odoorpc_errors_surface_as_rpc_error(server):
    odoo = odoorpc.ODOO(server.host, port=server.port)
    with pytest.raises(odoorpc.error.RPCError) as bad_login:
        odoo.login("demo", "admin", "wrong")
    assert "Wrong login ID or password" in str(bad_login.value)
    odoo.login("demo", "admin", "admin")
    with pytest.raises(odoorpc.error.RPCError) as unknown:
        odoo.execute_kw("res.partner", "no_such_method", [[]])
    assert unknown.value.info["data"]["name"] == "builtins.AttributeError"
    demo = odoorpc.ODOO(server.host, port=server.port)
    demo.login("demo", "demo", "demo")
    with pytest.raises(odoorpc.error.RPCError) as denied:
        demo.execute_kw("account.account", "create", [{"code": "999001", "name": "x", "account_type": "expense"}])
    assert denied.value.info["data"]["name"] == "odoo.exceptions.AccessError"
