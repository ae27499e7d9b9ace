"""Odoo 17 accounting rules: balance, posting and numbering, lock dates, RedirectWarning, invoices."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ledgerpilot.sandbox.env import utc_now
from ledgerpilot.sandbox.exceptions import MissingError, RedirectWarning, UserError
from tests.sandbox.ledger_books import (
    ADMIN,
    BILL,
    CLERK,
    DECO,
    EXPENSES,
    INV,
    LIABILITIES,
    MISC,
    PAYABLE,
    RECEIVABLE,
    RENT,
    SALES,
    call,
)

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "odoo17_protocol"


def entry(svc, date="2026-11-23", debit=1200.0, credit=1200.0, ref="protocol-capture balanced", uid=ADMIN, **kw):
    vals = {"move_type": "entry", "journal_id": MISC, "date": date, "ref": ref, "line_ids": [
        [0, 0, {"account_id": RENT, "name": "rent", "debit": debit, "credit": 0.0}],
        [0, 0, {"account_id": LIABILITIES, "name": "accrued rent", "debit": 0.0, "credit": credit}],
    ]}
    return svc.call(uid, "account.move", "create", [vals], kw)


def read_move(svc, move_id, fields=("name", "state", "date")):
    return call(svc, ADMIN, "account.move", "read", [move_id], list(fields))[0]


def set_lock(svc, value, field="fiscalyear_lock_date"):
    return call(svc, ADMIN, "res.company", "write", [1], {field: value})


def recorded_error(name):
    return json.loads((RECORDINGS / name).read_text())["response"]["body"]["error"]["data"]


# -- balance --------------------------------------------------------------------------------------
def test_balanced_entry_is_created_draft_with_totals(svc):
    move = entry(svc)
    row = read_move(svc, move, ("name", "state", "amount_total", "amount_total_signed", "amount_residual"))
    assert row == {"id": move, "name": "/", "state": "draft", "amount_total": 1200.0, "amount_total_signed": 1200.0,
                   "amount_residual": 0.0}


def test_unbalanced_create_is_refused_with_odoos_message(svc):
    with pytest.raises(UserError) as err:
        entry(svc, debit=100.0, credit=50.0, ref="protocol-capture unbalanced")
    recorded = recorded_error("jsonrpc_error_user_error_create_unbalanced_entry.json")["message"]
    # the recorded entry was the 25th of its database; the message is otherwise identical
    expected = recorded.replace("(* 25)", f"(* {svc.store.next_id('account.move')})")
    assert err.value.message == expected
    assert call(svc, ADMIN, "account.move", "search_count", [["ref", "=", "protocol-capture unbalanced"]]) == 0


def test_check_move_validity_false_allows_unbalanced_draft_but_not_posting(svc):
    move = entry(svc, debit=100.0, credit=50.0, ref="unbalanced", context={"check_move_validity": False})
    assert isinstance(move, int)
    with pytest.raises(UserError, match=r"is not balanced\.\nThe total of debits equals \$\xa0100\.00"):
        call(svc, ADMIN, "account.move", "action_post", [move])
    assert read_move(svc, move)["state"] == "draft"
    assert call(svc, ADMIN, "account.move", "unlink", [move]) is True


def test_unbalancing_a_line_is_refused(svc):
    move = entry(svc)
    line = call(svc, ADMIN, "account.move.line", "search", [["move_id", "=", move], ["debit", ">", 0]])[0]
    with pytest.raises(UserError, match="is not balanced"):
        call(svc, ADMIN, "account.move.line", "write", [line], {"debit": 1300.0})


# -- posting and numbers --------------------------------------------------------------------------
def test_action_post_numbers_the_entry_and_returns_false(svc):
    move = entry(svc)
    assert call(svc, ADMIN, "account.move", "action_post", [move]) is False
    assert read_move(svc, move) == {"id": move, "name": "MISC/2026/11/0003", "state": "posted", "date": "2026-11-23"}
    lines = call(svc, ADMIN, "account.move.line", "search_read", [["move_id", "=", move]],
                 fields=["parent_state", "move_name", "balance"])
    assert {(r["parent_state"], r["move_name"]) for r in lines} == {("posted", "MISC/2026/11/0003")}
    second = entry(svc, date="2026-12-01")
    call(svc, ADMIN, "account.move", "action_post", [second])
    assert read_move(svc, second)["name"] == "MISC/2026/12/0001"


def test_posting_twice_and_posting_a_deleted_entry_are_refused(svc):
    move = entry(svc)
    call(svc, ADMIN, "account.move", "action_post", [move])
    with pytest.raises(UserError) as err:
        call(svc, ADMIN, "account.move", "action_post", [move])
    assert err.value.message == f"The entry MISC/2026/11/0003 (id {move}) is already posted."
    with pytest.raises(MissingError) as missing:
        call(svc, ADMIN, "account.move", "action_post", [987654])
    assert missing.value.message == "Record does not exist or has been deleted.\n(Record: account.move(987654,), User: 2)"


def test_button_draft_returns_none_keeps_the_name_and_last_number_can_be_deleted(svc):
    move = entry(svc)
    call(svc, ADMIN, "account.move", "action_post", [move])
    assert call(svc, ADMIN, "account.move", "button_draft", [move]) is None
    assert read_move(svc, move, ("state", "name", "posted_before")) == {
        "id": move, "state": "draft", "name": "MISC/2026/11/0003", "posted_before": True}
    lines = call(svc, ADMIN, "account.move.line", "search_read", [["move_id", "=", move]], fields=["parent_state"])
    assert {r["parent_state"] for r in lines} == {"draft"}
    assert call(svc, ADMIN, "account.move", "unlink", [move]) is True


def test_posted_entry_cannot_be_deleted(svc):
    with pytest.raises(UserError, match="You cannot delete an item linked to a posted entry."):
        call(svc, ADMIN, "account.move", "unlink", [1])


def test_clerk_cannot_delete_a_number_in_the_middle_of_the_chain(svc):
    first, second = entry(svc), entry(svc)
    call(svc, CLERK, "account.move", "action_post", [first, second])
    call(svc, CLERK, "account.move", "button_draft", [first])
    with pytest.raises(UserError, match="already consumed a sequence number and is not the last one"):
        call(svc, CLERK, "account.move", "unlink", [first])


def test_button_cancel_cancels_a_posted_entry(svc):
    move = entry(svc)
    call(svc, ADMIN, "account.move", "action_post", [move])
    assert call(svc, ADMIN, "account.move", "button_cancel", [move]) is None
    assert read_move(svc, move)["state"] == "cancel"
    with pytest.raises(UserError, match="Only posted/cancelled journal entries can be reset to draft."):
        call(svc, ADMIN, "account.move", "button_draft", [entry(svc)])


def test_journal_of_a_posted_once_entry_cannot_change(svc):
    move = entry(svc)
    call(svc, ADMIN, "account.move", "action_post", [move])
    call(svc, ADMIN, "account.move", "button_draft", [move])
    with pytest.raises(UserError, match="You cannot edit the journal of an account move if it has been posted once."):
        call(svc, ADMIN, "account.move", "write", [move], {"journal_id": BILL})


def test_taxes_of_a_posted_item_cannot_change(svc):
    line = call(svc, ADMIN, "account.move.line", "search", [["move_id", "=", 1]])[0]
    with pytest.raises(UserError, match="You cannot modify the taxes related to a posted journal item"):
        call(svc, ADMIN, "account.move.line", "write", [line], {"tax_ids": [[6, 0, []]]})


# -- lock dates -----------------------------------------------------------------------------------
def test_lock_date_write_and_clear(svc):
    assert set_lock(svc, "2025-12-31") is True
    assert call(svc, ADMIN, "res.company", "read", [1], ["fiscalyear_lock_date"])[0]["fiscalyear_lock_date"] == \
        "2025-12-31"
    assert set_lock(svc, False) is True
    assert call(svc, ADMIN, "res.company", "read", [1], ["fiscalyear_lock_date"])[0]["fiscalyear_lock_date"] is False


def test_posting_a_draft_in_the_locked_period_redates_it(svc):
    set_lock(svc, "2025-12-31")
    move = entry(svc, date="2025-12-31", debit=10.0, credit=10.0, ref="protocol-capture lock B")
    assert read_move(svc, move)["state"] == "draft"  # drafts are not checked against the lock date
    assert call(svc, ADMIN, "account.move", "action_post", [move]) is False
    today = utc_now().date()
    expected = dt.date(2026, 1, 31) if (today.year, today.month) > (2026, 1) else max(dt.date(2026, 1, 1), today)
    row = read_move(svc, move)
    assert row["state"] == "posted" and row["date"] == expected.isoformat()
    assert row["name"] == f"MISC/{expected.year}/{expected.month:02d}/0001"
    dates = call(svc, ADMIN, "account.move.line", "search_read", [["move_id", "=", move]], fields=["date"])
    assert {r["date"] for r in dates} == {expected.isoformat()}


def test_reset_to_draft_inside_the_lock_is_refused_as_recorded(svc):
    move = entry(svc, date="2025-12-15")
    call(svc, ADMIN, "account.move", "action_post", [move])
    set_lock(svc, "2025-12-31")
    with pytest.raises(UserError) as err:
        call(svc, ADMIN, "account.move", "button_draft", [move])
    assert err.value.message == recorded_error("jsonrpc_error_user_error_lock_date_reset_to_draft.json")["message"]
    assert read_move(svc, move)["state"] == "posted"


def test_redating_a_posted_entry_into_the_lock_is_refused(svc):
    set_lock(svc, "2025-12-31")
    with pytest.raises(UserError) as err:
        call(svc, ADMIN, "account.move", "write", [1], {"date": "2025-12-20"})
    assert err.value.message == recorded_error("jsonrpc_error_user_error_lock_date_write_date.json")["message"]
    assert read_move(svc, 1)["date"] == "2026-11-02"


def test_period_lock_binds_a_clerk_but_not_an_adviser(svc):
    move = entry(svc, date="2026-11-10")
    call(svc, ADMIN, "account.move", "action_post", [move])
    call(svc, ADMIN, "account.bank.statement.line", "write", [8], {"is_reconciled": True})
    set_lock(svc, "2026-11-15", field="period_lock_date")
    with pytest.raises(UserError, match=r"lock date 11/15/2026\. Check the company settings or ask someone with"):
        call(svc, CLERK, "account.move", "button_draft", [move])
    assert call(svc, ADMIN, "account.move", "button_draft", [move]) is None


def test_lock_date_with_unreconciled_bank_lines_is_a_redirect_warning(svc):
    with pytest.raises(RedirectWarning) as err:
        set_lock(svc, "2026-10-31")
    recorded = recorded_error("jsonrpc_error_redirect_warning_set_lock_date.json")
    # same message, action, button; the ids are this database's unreconciled bank lines
    recorded_action = recorded["arguments"][1]
    action = json.loads(json.dumps(err.value.arguments[1]))
    assert action == {**recorded_action, "domain": [["id", "in", [8]]]}
    assert err.value.arguments[0] == recorded["arguments"][0]
    assert err.value.arguments[2] == recorded["arguments"][2]
    assert err.value.arguments[3] is None
    assert err.value.message == recorded["message"].replace("[8, 7, 6, 5, 4, 3, 2, 1]", "[8]")
    assert call(svc, ADMIN, "res.company", "read", [1], ["fiscalyear_lock_date"])[0]["fiscalyear_lock_date"] is False


def test_lock_date_with_draft_entries_is_a_redirect_warning(svc):
    draft = entry(svc, date="2026-03-01")
    with pytest.raises(RedirectWarning) as err:
        set_lock(svc, "2026-06-30")
    assert err.value.arguments[0] == ("There are still unposted entries in the period you want to lock. "
                                      "You should either post or delete them.")
    assert err.value.arguments[1]["domain"] == [("id", "in", [draft])]
    assert err.value.arguments[2] == "Show unposted entries"


# -- invoices and bills ---------------------------------------------------------------------------
def invoice(svc, move_type="out_invoice", partner=DECO, **extra):
    income = move_type.startswith("out")
    product_account, term_account = (SALES, RECEIVABLE) if income else (EXPENSES, PAYABLE)
    vals = {"move_type": move_type, "partner_id": partner, "invoice_date": "2026-11-20", "invoice_line_ids": [
        [0, 0, {"account_id": product_account, "name": "Desk", "quantity": 2, "price_unit": 150.0}]],
        "line_ids": [[0, 0, {"account_id": term_account, "name": "due",
                             "debit": 300.0 if income else 0.0, "credit": 0.0 if income else 300.0}]]}
    vals.update(extra)
    return call(svc, ADMIN, "account.move", "create", vals)


def test_customer_invoice_totals_and_number(svc):
    move = invoice(svc)
    fields = ["journal_id", "amount_untaxed", "amount_total", "amount_residual", "amount_total_signed",
              "amount_residual_signed", "date", "payment_state"]
    row = read_move(svc, move, fields)
    assert row["journal_id"][0] == INV and row["date"] == "2026-11-20"
    assert (row["amount_untaxed"], row["amount_total"], row["amount_residual"]) == (300.0, 300.0, 300.0)
    assert (row["amount_total_signed"], row["amount_residual_signed"]) == (300.0, 300.0)
    items = call(svc, ADMIN, "account.move.line", "search_read", [["move_id", "=", move]],
                 fields=["display_type", "balance", "partner_id", "price_subtotal", "amount_residual"], order="id")
    assert [(i["display_type"], i["balance"]) for i in items] == [("payment_term", 300.0), ("product", -300.0)]
    assert items[1]["price_subtotal"] == 300.0 and items[0]["amount_residual"] == 300.0
    assert {i["partner_id"][0] for i in items} == {DECO}
    call(svc, ADMIN, "account.move", "action_post", [move])
    assert read_move(svc, move)["name"] == "INV/2026/00001"


def test_vendor_bill_number_and_required_bill_date(svc):
    bill = invoice(svc, move_type="in_invoice")
    call(svc, ADMIN, "account.move", "action_post", [bill])
    row = read_move(svc, bill, ("name", "amount_total", "amount_total_signed"))
    assert row["name"] == "BILL/2026/11/0001"
    assert (row["amount_total"], row["amount_total_signed"]) == (300.0, -300.0)
    undated = invoice(svc, move_type="in_invoice", invoice_date=False, date="2026-11-20")
    with pytest.raises(UserError, match="The Bill/Refund date is required to validate this document."):
        call(svc, ADMIN, "account.move", "action_post", [undated])


def test_invoice_without_customer_cannot_be_posted(svc):
    move = invoice(svc, partner=False)
    with pytest.raises(UserError, match="The field 'Customer' is required"):
        call(svc, ADMIN, "account.move", "action_post", [move])


def test_invoice_from_product_lines_gets_its_receivable_item(svc):
    move = call(svc, ADMIN, "account.move", "create", {
        "move_type": "out_invoice", "partner_id": DECO, "invoice_date": "2026-11-20",
        "invoice_date_due": "2026-12-20",
        "invoice_line_ids": [[0, 0, {"account_id": SALES, "name": "Chair", "quantity": 4, "price_unit": 25.0}]]})
    items = call(svc, ADMIN, "account.move.line", "search_read", [["move_id", "=", move]],
                 fields=["account_id", "display_type", "balance", "date_maturity"], order="id")
    assert [(i["account_id"][0], i["display_type"], i["balance"]) for i in items] == [
        (SALES, "product", -100.0), (RECEIVABLE, "payment_term", 100.0)]
    assert items[1]["date_maturity"] == "2026-12-20"
    product = items[0]["id"]
    call(svc, ADMIN, "account.move", "write", [move], {"invoice_line_ids": [[1, product, {"quantity": 5}]]})
    row = read_move(svc, move, ("amount_total", "amount_residual"))
    assert (row["amount_total"], row["amount_residual"]) == (125.0, 125.0)
    call(svc, ADMIN, "account.move", "action_post", [move])
    assert read_move(svc, move, ("state",))["state"] == "posted"


def test_items_of_a_posted_entry_inside_the_lock_cannot_change(svc):
    move = entry(svc, date="2025-12-15")
    call(svc, ADMIN, "account.move", "action_post", [move])
    set_lock(svc, "2025-12-31")
    debit_line = call(svc, ADMIN, "account.move.line", "search", [["move_id", "=", move], ["debit", ">", 0]])[0]
    with pytest.raises(UserError, match="prior to and inclusive of the lock date 12/31/2025"):
        call(svc, ADMIN, "account.move.line", "write", [debit_line], {"account_id": EXPENSES})
    # writing the same value, or a label, is no change to the books
    assert call(svc, ADMIN, "account.move.line", "write", [debit_line], {"account_id": RENT, "name": "renamed"})


def test_deprecated_account_cannot_be_used(svc):
    call(svc, ADMIN, "account.account", "write", [EXPENSES], {"deprecated": True})
    move = entry(svc)
    line = call(svc, ADMIN, "account.move.line", "search", [["move_id", "=", move]])[0]
    with pytest.raises(UserError, match="You cannot use a deprecated account."):
        call(svc, ADMIN, "account.move.line", "write", [line], {"account_id": EXPENSES})
