"""/xmlrpc/2/* and the legacy /xmlrpc/* against the recordings, and the real xmlrpc.client."""

from __future__ import annotations

import xmlrpc.client

import httpx
import pytest

from tests.sandbox.server.server_recordings import recorded_body, replay


@pytest.mark.parametrize("name", [
    "xmlrpc_common_version",
    "xmlrpc_db_list",
    "xmlrpc_common_login_ok",
    "xmlrpc_common_login_bad_password",
    "xmlrpc_common_authenticate_ok",
    "xmlrpc_object_execute_kw_wrong_password_fault",
    "xmlrpc_v1_object_execute_kw_wrong_password_fault",
    "xmlrpc_fault_private_method",
    "xmlrpc_object_execute_kw_unknown_model_fault",
])
def test_answers_are_byte_identical_to_the_recordings(server, name):
    recording, response = replay(server.url, name)
    assert response.status_code == 200
    assert response.headers["content-type"] == recording["response"]["headers"]["content-type"]
    assert response.text == recorded_body(recording)


@pytest.mark.parametrize("name, last_line", [
    ("xmlrpc_fault_malformed_xml", "xml.parsers.expat.ExpatError: no element found: line 1, column 55"),
    ("xmlrpc_fault_unknown_service", "KeyError: 'nosuchservice'"),
    ("xmlrpc_fault_unknown_method",
     "AttributeError: The method 'no_such_method' does not exist on the model 'res.partner'"),
])
def test_fault_1_carries_a_traceback_ending_like_odoo(server, name, last_line):
    _, response = replay(server.url, name)
    assert response.status_code == 200
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc.client.loads(response.content)
    assert fault.value.faultCode == 1
    assert fault.value.faultString.startswith("Traceback (most recent call last):\n")
    assert fault.value.faultString.rstrip("\n").endswith(last_line)


def test_xmlrpc_client_common_object_db(server):
    common = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/common")
    assert common.version()["server_serie"] == "17.0"
    uid = common.authenticate("demo", "admin", "admin", {})
    assert uid == 2
    assert common.login("demo", "admin", "nope") is False
    db = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/db")
    assert db.list() == ["demo"]
    models = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/object")
    rows = models.execute_kw("demo", uid, "admin", "res.partner", "search_read",
                             [[["is_company", "=", True]]], {"fields": ["name", "email"], "limit": 3})
    assert all(set(r) == {"id", "name", "email"} for r in rows) and len(rows) == 3
    assert models.execute_kw("demo", uid, "admin", "res.partner", "search_count", [[]]) == 7
    context = models.execute("demo", uid, "admin", "res.users", "context_get")
    assert context["uid"] == 2


def test_fault_codes(server):
    models = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/object")
    with pytest.raises(xmlrpc.client.Fault) as denied:
        models.execute_kw("demo", 2, "wrong", "res.partner", "search_count", [[]])
    assert (denied.value.faultCode, denied.value.faultString) == (3, "Access Denied")
    with pytest.raises(xmlrpc.client.Fault) as access:
        models.execute_kw("demo", 6, "demo", "account.account", "create",
                          [{"code": "999001", "name": "x", "account_type": "expense"}])
    assert access.value.faultCode == 4
    assert "You are not allowed to create" in access.value.faultString
    with pytest.raises(xmlrpc.client.Fault) as user_error:
        models.execute_kw("demo", 2, "admin", "no.such.model", "search", [[]])
    assert (user_error.value.faultCode, user_error.value.faultString) == (2, "Object no.such.model doesn't exist")
    with pytest.raises(xmlrpc.client.Fault) as bad_db:
        models.execute_kw("no_such_db", 2, "admin", "res.partner", "search", [[]])
    assert bad_db.value.faultCode == 1
    assert 'psycopg2.OperationalError: ' in bad_db.value.faultString


def test_legacy_endpoint_uses_string_fault_codes(server):
    models = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/object")
    with pytest.raises(xmlrpc.client.Fault) as user_error:
        models.execute_kw("demo", 2, "admin", "no.such.model", "search", [[]])
    assert user_error.value.faultCode == "warning -- UserError\n\nObject no.such.model doesn't exist"
    assert user_error.value.faultString == ""
    assert xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/common").login("demo", "admin", "admin") == 2


def test_none_result_is_a_fault_but_the_change_is_committed(writable_server):
    models = xmlrpc.client.ServerProxy(f"{writable_server.url}/xmlrpc/2/object")
    with pytest.raises(xmlrpc.client.Fault) as fault:
        models.execute_kw("demo", 2, "admin", "account.move", "button_draft", [[2]])
    assert fault.value.faultCode == 1
    assert fault.value.faultString.rstrip().endswith(
        "TypeError: cannot marshal None unless allow_none is enabled")
    assert models.execute_kw("demo", 2, "admin", "account.move", "read", [[2], ["state"]]) == [
        {"id": 2, "state": "draft"}]


def test_get_is_not_allowed(server):
    response = httpx.get(f"{server.url}/xmlrpc/2/common")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
