"""How each kind of exception is put on the wire (JSON-RPC error, XML-RPC fault, JSON-2 status)."""

from __future__ import annotations

import pytest

from ledgerpilot.sandbox.exceptions import (
    AccessDenied,
    AccessError,
    DatabaseError,
    MissingError,
    PythonError,
    RedirectWarning,
    SessionExpired,
    UserError,
    ValidationError,
)
from ledgerpilot.sandbox.server.errors import json2_error, json2_status, jsonrpc_error, xmlrpc_fault

ACTION = {"name": "Unreconciled Transactions", "type": "ir.actions.act_window",
          "res_model": "account.bank.statement.line", "context": {"create": False}, "view_mode": "list,form",
          "domain": [("id", "in", [2, 1])]}


def _raised(exc: Exception) -> Exception:
    try:
        raise exc
    except Exception as caught:  # noqa: BLE001 - we want the exception with its traceback
        return caught


@pytest.mark.parametrize("exc, code, text", [
    (UserError("Boom"), 2, "Boom"),
    (ValidationError("Invalid"), 2, "Invalid"),
    (MissingError("Gone"), 2, "Gone"),
    (AccessError("No way"), 4, "No way"),
    (AccessDenied(), 3, "Access Denied"),
])
def test_xmlrpc_fault_codes(exc, code, text):
    fault = xmlrpc_fault(_raised(exc))
    assert (fault.faultCode, fault.faultString) == (code, text)


def test_redirect_warning_fault_is_the_repr_of_its_arguments():
    exc = _raised(RedirectWarning("Still unreconciled lines.", ACTION, "Show Unreconciled Bank Statement Line"))
    fault = xmlrpc_fault(exc)
    assert fault.faultCode == 2
    assert fault.faultString == repr(("Still unreconciled lines.", ACTION, "Show Unreconciled Bank Statement Line",
                                      None))
    error = jsonrpc_error(exc)
    assert error["data"]["name"] == "odoo.exceptions.RedirectWarning"
    assert error["data"]["arguments"][1]["res_model"] == "account.bank.statement.line"
    assert error["data"]["message"].split("\n")[0] == "Still unreconciled lines."


def test_other_exceptions_are_fault_1_with_a_traceback():
    fault = xmlrpc_fault(_raised(PythonError("ValueError", "Invalid field res.partner.x in leaf ('x', '=', 1)")))
    assert fault.faultCode == 1
    assert fault.faultString.startswith("Traceback (most recent call last):\n")
    assert fault.faultString.endswith("ValueError: Invalid field res.partner.x in leaf ('x', '=', 1)\n")
    database = xmlrpc_fault(_raised(DatabaseError("nope")))
    assert "\npsycopg2.OperationalError: connection to server" in database.faultString


def test_legacy_string_fault_codes():
    assert xmlrpc_fault(_raised(AccessDenied()), legacy=True).faultCode == "AccessDenied"
    assert xmlrpc_fault(_raised(MissingError("Gone")), legacy=True).faultCode == "warning -- MissingError\n\nGone"
    assert xmlrpc_fault(_raised(AccessError("No")), legacy=True).faultCode == "warning -- AccessError\n\nNo"
    internal = xmlrpc_fault(_raised(KeyError("x")), legacy=True)
    assert internal.faultCode == "x" and internal.faultString.startswith("Traceback")


def test_jsonrpc_error_envelope():
    error = jsonrpc_error(_raised(KeyError("nosuchservice")))
    assert list(error) == ["code", "message", "data"]
    assert (error["code"], error["message"]) == (200, "Odoo Server Error")
    assert list(error["data"]) == ["name", "debug", "message", "arguments", "context"]
    assert error["data"]["name"] == "builtins.KeyError"
    assert error["data"]["message"] == "nosuchservice"  # without the quotes str(KeyError) adds
    expired = jsonrpc_error(SessionExpired())
    assert (expired["code"], expired["message"]) == (100, "Odoo Session Expired")
    assert expired["data"]["name"] == "odoo.http.SessionExpiredException"


def test_arguments_that_json_cannot_carry_become_their_repr():
    error = jsonrpc_error(_raised(ValueError("bad", object)))
    assert error["data"]["arguments"] == ["bad", repr(object)]


@pytest.mark.parametrize("exc, status", [
    (UserError("x"), 422), (ValidationError("x"), 422), (MissingError("x"), 404), (AccessError("x"), 403),
    (AccessDenied(), 403), (RedirectWarning("x", {}, "b"), 500), (PythonError("TypeError", "x"), 500),
    (RuntimeError("x"), 500),
])
def test_json2_statuses_follow_odoo_19(exc, status):
    assert json2_status(exc) == status
    assert list(json2_error(_raised(exc))) == ["name", "message", "arguments", "context", "debug"]
