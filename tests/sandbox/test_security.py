"""Model access by group: AccessError as Odoo 17 words it, the read-only user, private methods."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledgerpilot.sandbox.exceptions import AccessError, PythonError
from tests.sandbox.ledger_books import (
    ADMIN,
    CLERK,
    CONTROLLER,
    DECO,
    DEMO,
    LIABILITIES,
    MISC,
    READONLY,
    RENT,
    call,
)

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "odoo17_protocol"


def recorded_message(name):
    return json.loads((RECORDINGS / name).read_text())["response"]["body"]["error"]["data"]["message"]


ENTRY = {"move_type": "entry", "journal_id": MISC, "date": "2026-11-23", "line_ids": [
    [0, 0, {"account_id": RENT, "debit": 10.0}], [0, 0, {"account_id": LIABILITIES, "credit": 10.0}]]}


def test_demo_cannot_create_an_account_as_recorded(svc):
    with pytest.raises(AccessError) as err:
        call(svc, DEMO, "account.account", "create", {"code": "999001", "name": "Protocol capture test",
                                                      "account_type": "expense"})
    assert err.value.message == recorded_message("jsonrpc_error_access_error_demo_create_account.json")
    assert err.value.xmlrpc_fault_code == 4


def test_demo_cannot_set_a_lock_date_as_recorded(svc):
    with pytest.raises(AccessError) as err:
        call(svc, DEMO, "res.company", "write", [1], {"fiscalyear_lock_date": "2025-12-31"})
    assert err.value.message == recorded_message("jsonrpc_error_access_error_demo_write_lock_date.json")


def test_demo_cannot_read_journal_entries(svc):
    with pytest.raises(AccessError) as err:
        call(svc, DEMO, "account.move", "search_read", [], fields=["name"])
    assert err.value.message == (
        "You are not allowed to access 'Journal Entry' (account.move) records.\n\n"
        "This operation is allowed for the following groups:\n\t- Invoicing/Billing\n"
        "\t- Technical/Show Accounting Features - Readonly\n\n"
        "Contact your administrator to request access if necessary.")
    # but partners are readable by every internal user
    assert call(svc, DEMO, "res.partner", "search_count", [["id", "=", DECO]]) == 1


def test_check_access_rights(svc):
    assert call(svc, ADMIN, "account.move", "check_access_rights", "create") is True
    assert call(svc, DEMO, "account.move", "check_access_rights", "write", raise_exception=False) is False
    assert call(svc, READONLY, "account.move", "check_access_rights", "read") is True
    with pytest.raises(AccessError, match=r"You are not allowed to modify 'Journal Entry' \(account.move\)"):
        call(svc, READONLY, "account.move", "check_access_rights", "write")


def test_readonly_user_reads_accounting_but_writes_nothing(svc):
    assert call(svc, READONLY, "account.move", "search_count", []) == 3
    assert call(svc, READONLY, "account.move.line", "read_group", [], ["balance:sum"], ["account_id"])
    assert call(svc, READONLY, "sale.order", "search_count", []) == 0
    refused = [
        ("account.move", "create", (ENTRY,), {}),
        ("account.move", "write", ([1], {"ref": "x"}), {}),
        ("account.move", "unlink", ([1],), {}),
        ("account.move", "message_post", ([1],), {"body": "hello"}),
        ("res.partner", "write", ([DECO], {"email": "x@example.com"}), {}),
        ("res.company", "write", ([1], {"fiscalyear_lock_date": "2025-12-31"}), {}),
        ("mail.activity", "create", ({"res_model": "account.move", "res_id": 1, "summary": "check"},), {}),
    ]
    for model, method, args, kwargs in refused:
        with pytest.raises(AccessError):
            svc.call(READONLY, model, method, list(args), kwargs)
    with pytest.raises(AccessError, match="You don't have the access rights to post an invoice."):
        call(svc, READONLY, "account.move", "action_post", [1])


def test_clerk_posts_entries_but_cannot_lock_or_configure(svc):
    move = call(svc, CLERK, "account.move", "create", ENTRY)
    assert call(svc, CLERK, "account.move", "action_post", [move]) is False
    with pytest.raises(AccessError, match="Administration/Access Rights"):
        call(svc, CLERK, "res.company", "write", [1], {"fiscalyear_lock_date": "2025-12-31"})
    with pytest.raises(AccessError, match="Invoicing/Billing Administrator"):
        call(svc, CLERK, "account.journal", "write", [MISC], {"name": "Misc"})


def test_controller_sets_lock_dates_but_not_other_company_fields(svc):
    assert call(svc, CONTROLLER, "res.company", "write", [1], {"fiscalyear_lock_date": "2025-12-31"}) is True
    with pytest.raises(AccessError, match="You are not allowed to modify 'Companies'"):
        call(svc, CONTROLLER, "res.company", "write", [1], {"name": "Renamed"})


def test_settings_user_without_accounting_cannot_write_lock_dates(svc):
    settings_only = call(svc, ADMIN, "res.users", "create", {"name": "IT", "login": "it",
                                                             "groups_id": [[6, 0, [1, 2, 4]]]})
    with pytest.raises(AccessError, match='You do not have enough rights to access the fields "fiscalyear_lock_date"'):
        call(svc, settings_only, "res.company", "write", [1], {"fiscalyear_lock_date": "2025-12-31"})
    assert call(svc, settings_only, "res.company", "write", [1], {"email": "books@example.com"}) is True


def test_private_methods_cannot_be_called(svc):
    with pytest.raises(AccessError) as err:
        call(svc, ADMIN, "res.partner", "_get_gravatar_image", [])
    assert err.value.message == "Private methods (such as _get_gravatar_image) cannot be called remotely."


def test_has_group_answers_for_the_caller_and_follows_implied_groups(svc):
    assert call(svc, ADMIN, "res.users", "has_group", "account.group_account_manager") is True
    assert call(svc, CONTROLLER, "res.users", "has_group", "account.group_account_invoice") is True
    assert call(svc, READONLY, "res.users", "has_group", "account.group_account_invoice") is False
    assert call(svc, DEMO, "res.users", "has_group", "base.group_user") is True


def test_has_group_in_the_record_form_of_odoo_18_fails_as_on_odoo_17(svc):
    with pytest.raises(PythonError, match="takes 2 positional arguments but 3 were given"):
        call(svc, ADMIN, "res.users", "has_group", [CONTROLLER], "account.group_account_invoice")
