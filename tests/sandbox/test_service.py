"""SandboxService: the common/object/db services, credentials, dispatch errors, atomicity, messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledgerpilot.sandbox.exceptions import AccessDenied, DatabaseError, MissingError, PythonError, UserError
from tests.sandbox.ledger_books import ADMIN, DECO, LIABILITIES, MISC, RENT

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "odoo17_protocol"


def recorded(name):
    return json.loads((RECORDINGS / name).read_text())["response"]["body"]


def test_version_and_db_list(svc):
    assert svc.version() == recorded("jsonrpc_common_version.json")["result"]
    assert svc.db_list() == ["demo"]
    assert svc.db_name == "demo"


def test_login_and_authenticate(svc):
    assert svc.login("demo", "admin", "admin") == ADMIN
    assert svc.authenticate("demo", "admin", "admin", {}) == ADMIN
    assert svc.login("demo", "admin", "wrong") is False
    assert svc.login("demo", "nobody", "admin") is False
    with pytest.raises(DatabaseError) as err:
        svc.login("no_such_db", "admin", "admin")
    assert 'database "no_such_db" does not exist' in err.value.message


def test_api_keys_for_rpc_but_not_for_web_sessions(svc):
    key = svc.create_api_key(ADMIN, "ledgerpilot")
    assert len(key) == 40
    assert svc.login("demo", "admin", key) == ADMIN
    assert svc.uid_for_api_key(key) == ADMIN
    assert svc.execute_kw("demo", ADMIN, key, "res.partner", "search_count", [[]]) > 0
    with pytest.raises(AccessDenied):
        svc.session_authenticate("demo", "admin", key)
    assert svc.session_authenticate("demo", "admin", "admin") == ADMIN
    svc.revoke_api_key(key)
    assert svc.login("demo", "admin", key) is False
    assert svc.uid_for_api_key(key) is None


def test_execute_kw_checks_password(svc):
    with pytest.raises(AccessDenied) as err:
        svc.execute_kw("demo", ADMIN, "wrong", "res.partner", "search_count", [[]])
    assert err.value.message == "Access Denied" and err.value.xmlrpc_fault_code == 3
    with pytest.raises(AccessDenied):
        svc.execute_kw("demo", 999, "admin", "res.partner", "search_count", [[]])


def test_unknown_model_and_method(svc):
    with pytest.raises(UserError) as err:
        svc.execute_kw("demo", ADMIN, "admin", "no.such.model", "search_read", [[]], {"fields": ["name"]})
    assert err.value.message == "Object no.such.model doesn't exist"
    with pytest.raises(PythonError) as err:
        svc.execute_kw("demo", ADMIN, "admin", "res.partner", "no_such_method", [[]])
    assert err.value.odoo_name == "builtins.AttributeError"
    assert err.value.message == "The method 'no_such_method' does not exist on the model 'res.partner'"
    with pytest.raises(PythonError, match="action_post"):
        svc.execute_kw("demo", ADMIN, "admin", "res.partner", "action_post", [[DECO]])


def test_bad_keyword_is_a_type_error(svc):
    with pytest.raises(PythonError) as err:
        svc.execute_kw("demo", ADMIN, "admin", "res.partner", "search_count", [[]], {"bogus": 1})
    assert err.value.odoo_name == "builtins.TypeError"


def test_context_get_and_execute(svc):
    expected = recorded("odoorpc_03b_login_context_get.json")["result"]
    assert svc.execute("demo", ADMIN, "admin", "res.users", "context_get") == expected
    assert svc.context_get(ADMIN) == expected


def test_session_info(svc):
    info = svc.session_info(ADMIN)
    shape = recorded("web_session_authenticate_password_ok.json")["result"]
    assert info["uid"] == ADMIN and info["db"] == "demo" and info["username"] == "admin"
    assert info["is_system"] is True and info["is_admin"] is True and info["is_internal_user"] is True
    assert info["user_context"] == shape["user_context"]
    assert info["partner_display_name"] == "YourCompany, Mitchell Admin"
    assert info["server_version_info"] == shape["server_version_info"]
    assert info["currencies"]["1"] == {"symbol": "$", "position": "before", "digits": [69, 2]}
    assert info["user_companies"]["allowed_companies"]["1"]["name"] == "YourCompany"
    json.dumps(info)  # JSON-serialisable as it must go on the wire


def test_one_call_is_atomic(svc):
    good = svc.call(ADMIN, "account.move", "create", [{"journal_id": MISC, "date": "2026-11-23", "line_ids": [
        [0, 0, {"account_id": RENT, "debit": 10.0}], [0, 0, {"account_id": LIABILITIES, "credit": 10.0}]]}], {})
    bad = svc.call(ADMIN, "account.move", "create", [{"journal_id": MISC, "date": "2026-11-23", "line_ids": [
        [0, 0, {"account_id": RENT, "debit": 10.0}]]}], {"context": {"check_move_validity": False}})
    with pytest.raises(UserError, match="is not balanced"):
        svc.call(ADMIN, "account.move", "action_post", [[good, bad]], {})
    states = svc.call(ADMIN, "account.move", "read", [[good, bad], ["state", "name"]], {})
    assert [(r["state"], r["name"]) for r in states] == [("draft", "/"), ("draft", "/")]


def test_read_of_deleted_ids_is_empty_but_write_raises(svc):
    pid = svc.call(ADMIN, "res.partner", "create", [{"name": "short lived"}], {})
    svc.call(ADMIN, "res.partner", "unlink", [[pid]], {})
    assert svc.call(ADMIN, "res.partner", "read", [[pid], ["name"]], {}) == []
    with pytest.raises(MissingError):
        svc.call(ADMIN, "res.partner", "write", [[pid], {"name": "x"}], {})
    again = svc.call(ADMIN, "res.partner", "create", [{"name": "next"}], {})
    assert again > pid  # ids are never reused, as PostgreSQL sequences


def test_message_post_escapes_plain_text_and_returns_the_message_id(svc):
    message_id = svc.execute_kw("demo", ADMIN, "admin", "discuss.channel", "message_post", [[1]],
                                {"body": "protocol sample", "message_type": "comment",
                                 "subtype_xmlid": "mail.mt_comment"})
    assert isinstance(message_id, int)
    row = svc.call(ADMIN, "mail.message", "read", [[message_id], ["body", "author_id", "message_type", "model",
                                                                  "res_id", "date"]], {})[0]
    assert row["body"] == "<p>protocol sample</p>"
    assert row["author_id"][0] == 3 and row["message_type"] == "comment"
    assert (row["model"], row["res_id"]) == ("discuss.channel", 1)
    escaped = svc.call(ADMIN, "account.move", "message_post", [[1]], {"body": "a < b & c\nnext line"})
    body = svc.call(ADMIN, "mail.message", "read", [[escaped], ["body"]], {})[0]["body"]
    assert body == "<p>a &lt; b &amp; c<br>next line</p>"


def test_activity_create_and_feedback(svc):
    activity = svc.call(ADMIN, "mail.activity", "create", [{
        "activity_type_id": 4, "res_model": "account.move", "res_id": 1, "user_id": ADMIN,
        "date_deadline": "2026-11-30", "summary": "Check accrual", "note": "<p>before close</p>"}], {})
    row = svc.call(ADMIN, "mail.activity", "read", [[activity], ["res_model_id", "summary", "date_deadline"]], {})[0]
    assert row["res_model_id"][0] == 1 and row["summary"] == "Check accrual"
    assert svc.call(ADMIN, "mail.activity", "read", [[activity], ["res_name"]], {})[0]["res_name"] == "MISC/2026/11/0001"
    assert svc.call(ADMIN, "mail.activity", "action_feedback", [[activity]], {"feedback": "done"}) is False
    assert svc.call(ADMIN, "mail.activity", "read", [[activity], ["summary"]], {}) == []
    notes = svc.call(ADMIN, "mail.message", "search_read", [[["model", "=", "account.move"], ["res_id", "=", 1]]],
                     {"fields": ["body"]})
    assert any("Check accrual" in n["body"] and "done" in n["body"] for n in notes)


def test_user_created_with_a_password_can_log_in(svc):
    uid = svc.call(ADMIN, "res.users", "create", [{"name": "New Clerk", "login": "newclerk",
                                                    "password": "s3cret!"}], {})
    assert svc.login("demo", "newclerk", "s3cret!") == uid
    assert svc.call(uid, "res.users", "has_group", ["base.group_user"], {}) is True
    svc.call(ADMIN, "res.users", "write", [[uid], {"password": "changed"}], {})
    assert svc.login("demo", "newclerk", "s3cret!") is False
    assert svc.login("demo", "newclerk", "changed") == uid


def test_activity_on_a_missing_record_is_refused(svc):
    with pytest.raises(UserError, match="does not exist"):
        svc.call(ADMIN, "mail.activity", "create", [{"res_model": "account.move", "res_id": 424242,
                                                      "summary": "ghost"}], {})


def test_orders_get_their_reference(svc):
    first = svc.call(ADMIN, "purchase.order", "create", [{"partner_id": DECO}], {})
    second = svc.call(ADMIN, "purchase.order", "create", [{"partner_id": DECO}], {})
    names = svc.call(ADMIN, "purchase.order", "read", [[first, second], ["name"]], {})
    assert [n["name"] for n in names] == ["P00001", "P00002"]
