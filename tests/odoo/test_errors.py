"""Mapping of Odoo's error reports (JSON-RPC names, XML-RPC faults) to the gateway's errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledgerpilot.odoo import (
    OdooAccessError,
    OdooAuthenticationError,
    OdooDatabaseNotFound,
    OdooMissingRecord,
    OdooRedirectWarning,
    OdooServerError,
    OdooUserError,
    OdooValidationError,
)
from ledgerpilot.odoo.errors import error_from_odoo, error_from_xmlrpc_fault, parse_traceback_tail

PROTOCOL = Path(__file__).parents[1] / "fixtures" / "odoo17_protocol"


def recorded(name: str) -> dict:
    return json.loads((PROTOCOL / name).read_text())["response"]["body"]


def _jsonrpc_error(name: str):
    data = recorded(name)["error"]["data"]
    return error_from_odoo(data["name"], data["message"], arguments=data["arguments"], debug=data["debug"],
                           model="m", method="x", db="fin17", user="admin", url="http://odoo")


@pytest.mark.parametrize(("file", "expected"), [
    ("jsonrpc_error_access_error_demo_create_account.json", OdooAccessError),
    ("jsonrpc_object_execute_kw_wrong_password.json", OdooAuthenticationError),
    ("jsonrpc_error_user_error_create_unbalanced_entry.json", OdooUserError),
    ("jsonrpc_error_validation_error_partner_recursion.json", OdooValidationError),
    ("jsonrpc_error_missing_error_write_deleted.json", OdooMissingRecord),
    ("jsonrpc_error_redirect_warning_set_lock_date.json", OdooRedirectWarning),
    ("jsonrpc_object_execute_kw_bad_domain.json", OdooServerError),
    ("jsonrpc_error_unknown_database.json", OdooDatabaseNotFound),
])
def test_recorded_jsonrpc_errors(file, expected):
    error = _jsonrpc_error(file)
    assert type(error) is expected
    assert error.odoo_name == recorded(file)["error"]["data"]["name"]


def test_redirect_warning_keeps_its_action():
    error = _jsonrpc_error("jsonrpc_error_redirect_warning_set_lock_date.json")
    assert isinstance(error.action, dict) and error.action.get("res_model")
    assert isinstance(error.button_text, str)


@pytest.mark.parametrize(("file", "expected", "odoo_name"), [
    ("xmlrpc_fault_access_error_demo_create_account.json", OdooAccessError, "odoo.exceptions.AccessError"),
    ("xmlrpc_object_execute_kw_wrong_password_fault.json", OdooAuthenticationError, "odoo.exceptions.AccessDenied"),
    ("xmlrpc_fault_user_error_create_unbalanced_entry.json", OdooUserError, "odoo.exceptions.UserError"),
    ("xmlrpc_fault_missing_error_write_deleted.json", OdooMissingRecord, "odoo.exceptions.MissingError"),
    ("xmlrpc_fault_redirect_warning_set_lock_date.json", OdooRedirectWarning, "odoo.exceptions.RedirectWarning"),
    ("xmlrpc_object_execute_kw_bad_domain_fault.json", OdooServerError, "builtins.ValueError"),
    ("xmlrpc_fault_unknown_method.json", OdooServerError, "builtins.AttributeError"),
    ("xmlrpc_v1_object_execute_kw_wrong_password_fault.json", OdooAuthenticationError,
     "odoo.exceptions.AccessDenied"),
])
def test_recorded_xmlrpc_faults(file, expected, odoo_name):
    import xmlrpc.client

    body = json.loads((PROTOCOL / file).read_text())["response"]["body"]
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc.client.loads(body.encode())
    error = error_from_xmlrpc_fault(fault.value.faultCode, fault.value.faultString, model="m", method="x",
                                    db="fin17", user="admin", url="http://odoo")
    assert type(error) is expected
    assert error.odoo_name == odoo_name
    if expected is OdooRedirectWarning:
        assert isinstance(error.action, dict)


def test_traceback_tail():
    text = 'Traceback (most recent call last):\n  File "x.py", line 1, in f\n    g()\nValueError: Invalid field\nsecond'
    assert parse_traceback_tail(text) == ("builtins.ValueError", "Invalid field\nsecond")
    assert parse_traceback_tail("Traceback...\n  File \"a\"\npsycopg2.OperationalError: boom")[0] == \
        "psycopg2.OperationalError"
