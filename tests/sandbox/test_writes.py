"""The write side of the ORM through SandboxService: create/write/unlink, x2many commands, validation."""

from __future__ import annotations

import pytest

from ledgerpilot.sandbox.exceptions import MissingError, PythonError, UserError, ValidationError
from tests.sandbox.ledger_books import (
    ADMIN,
    AZURE,
    AZURE_CONTACT,
    BANK,
    BNK,
    CLERK,
    DECO,
    EXPENSES,
    LIABILITIES,
    MISC,
    RECEIVABLE,
    RENT,
    SUSPENSE,
    call,
)


def lines(*amounts):
    """(0, 0, vals) commands for entry lines: (account, debit, credit)."""
    return [[0, 0, {"account_id": acc, "name": f"line {i}", "debit": d, "credit": c}]
            for i, (acc, d, c) in enumerate(amounts)]


def new_entry(svc, uid=ADMIN, **extra):
    vals = {"move_type": "entry", "journal_id": MISC, "date": "2026-11-20", "ref": "test entry",
            "line_ids": lines((RENT, 100.0, 0.0), (LIABILITIES, 0.0, 100.0))}
    vals.update(extra)
    return call(svc, uid, "account.move", "create", vals)


def move_lines(svc, move_id, fields=("account_id", "debit", "credit", "balance", "name")):
    return call(svc, ADMIN, "account.move.line", "search_read", [["move_id", "=", move_id]], fields=list(fields),
                order="id")


# -- create ---------------------------------------------------------------------------------------
def test_create_one_dict_returns_int_and_list_returns_list(svc):
    one = call(svc, ADMIN, "res.partner", "create", {"name": "Solo"})
    many = call(svc, ADMIN, "res.partner", "create", [{"name": "A"}, {"name": "B"}])
    assert isinstance(one, int) and not isinstance(one, bool)
    assert isinstance(many, list) and len(many) == 2 and many[0] < many[1]
    names = call(svc, ADMIN, "res.partner", "read", [one, *many], ["name"])
    assert [r["name"] for r in names] == ["Solo", "A", "B"]


def test_create_sets_log_access_fields(svc):
    pid = call(svc, CLERK, "res.partner", "create", {"name": "Logged", "create_uid": 999, "write_date": "2000-01-01"})
    row = call(svc, ADMIN, "res.partner", "read", [pid], ["create_uid", "write_uid", "create_date", "write_date"])[0]
    assert row["create_uid"][0] == CLERK and row["write_uid"][0] == CLERK
    # never earlier than the sandbox's 'now' (2026-11-18 08:00:00), whatever the client sent
    assert row["write_date"] >= "2026-11-18 08:00:00"
    assert row["create_date"] == row["write_date"]


def test_write_moves_write_date_forward(svc):
    svc.store.set_meta("now", "2099-01-01 00:00:00")
    call(svc, ADMIN, "res.partner", "write", [DECO], {"email": "new@deco.example"})
    row = call(svc, ADMIN, "res.partner", "read", [DECO], ["email", "write_date", "write_uid"])[0]
    assert row["email"] == "new@deco.example"
    assert row["write_date"] == "2099-01-01 00:00:00"
    assert row["write_uid"][0] == ADMIN


def test_unknown_field_is_a_value_error(svc):
    with pytest.raises(PythonError) as err:
        call(svc, ADMIN, "res.partner", "create", {"name": "X", "no_such_field": 1})
    assert err.value.odoo_name == "builtins.ValueError"
    assert err.value.message == "Invalid field 'no_such_field' on model 'res.partner'"


def test_wrong_selection_value_is_refused(svc):
    with pytest.raises(PythonError) as err:
        new_entry(svc, move_type="not_a_type")
    assert err.value.message == "Wrong value for account.move.move_type: 'not_a_type'"


def test_malformed_date_is_refused(svc):
    with pytest.raises(PythonError) as err:
        new_entry(svc, date="20-11-2026")
    assert "does not match format '%Y-%m-%d'" in err.value.message


def test_wrong_type_and_dangling_many2one_are_refused(svc):
    with pytest.raises(PythonError, match="expected a record id"):
        call(svc, ADMIN, "res.partner", "create", {"name": "X", "parent_id": "fourteen"})
    with pytest.raises(ValidationError, match="res.partner record 999999, which does not exist"):
        call(svc, ADMIN, "res.partner", "create", {"name": "X", "parent_id": 999999})


def test_required_field_missing_gives_odoos_not_null_message(svc):
    with pytest.raises(ValidationError) as err:
        call(svc, ADMIN, "account.account", "create", {"name": "No code", "account_type": "expense"})
    assert "a mandatory field is not set" in err.value.message
    assert "Model: Account (account.account)\nField: Code (code)" in err.value.message


# -- x2many commands -----------------------------------------------------------------------------
def test_one2many_create_update_delete_commands(svc):
    move = new_entry(svc, line_ids=lines((RENT, 100.0, 0.0), (LIABILITIES, 0.0, 100.0), (EXPENSES, 0.0, 0.0)))
    first, second, third = [r["id"] for r in move_lines(svc, move)]
    call(svc, ADMIN, "account.move", "write", [move], {"line_ids": [
        [1, first, {"debit": 150.0, "name": "changed"}],
        [1, second, {"credit": 150.0}],
        [2, third, 0],
    ]})
    rows = move_lines(svc, move)
    assert [(r["id"], r["debit"], r["credit"], r["balance"]) for r in rows] == [
        (first, 150.0, 0.0, 150.0), (second, 0.0, 150.0, -150.0)]
    assert rows[0]["name"] == "changed"
    assert call(svc, ADMIN, "account.move.line", "search_count", [["id", "=", third]]) == 0


def test_one2many_unlink_clear_and_set_delete_required_children(svc):
    move = new_entry(svc)
    first, second = [r["id"] for r in move_lines(svc, move)]
    # (3, id) on a one2many whose inverse is required deletes the item (Odoo's cascade)
    call(svc, ADMIN, "account.move", "write", [move], {"line_ids": [
        [3, first], [3, second], [0, 0, {"account_id": RENT, "debit": 5.0}],
        [0, 0, {"account_id": LIABILITIES, "credit": 5.0}]]})
    rows = move_lines(svc, move)
    assert len(rows) == 2 and {first, second}.isdisjoint({r["id"] for r in rows})
    keep = rows[0]["id"]
    call(svc, ADMIN, "account.move", "write", [move], {"line_ids": [[6, 0, [keep]], [0, 0, {
        "account_id": LIABILITIES, "debit": 0.0, "credit": 5.0}]]})
    assert len(move_lines(svc, move)) == 2
    call(svc, ADMIN, "account.move", "write", [move], {"line_ids": [[5, 0, 0]]}, context={"check_move_validity": False})
    assert move_lines(svc, move) == []


def test_one2many_link_and_unlink_on_optional_inverse(svc):
    parent = call(svc, ADMIN, "res.partner", "create", {"name": "Holding", "is_company": True})
    child = call(svc, ADMIN, "res.partner", "create", {"name": "Loose contact"})
    call(svc, ADMIN, "res.partner", "write", [parent], {"child_ids": [[4, child]]})
    row = call(svc, ADMIN, "res.partner", "read", [child], ["parent_id", "complete_name", "commercial_partner_id"])[0]
    assert row["parent_id"][0] == parent
    assert row["complete_name"] == "Holding, Loose contact"
    assert row["commercial_partner_id"][0] == parent
    call(svc, ADMIN, "res.partner", "write", [parent], {"child_ids": [[3, child]]})
    row = call(svc, ADMIN, "res.partner", "read", [child], ["parent_id", "complete_name"])[0]
    assert row["parent_id"] is False and row["complete_name"] == "Loose contact"
    # the contact still exists: (3, id) only detaches an optional inverse
    assert call(svc, ADMIN, "res.partner", "search_count", [["id", "=", child]]) == 1


def test_many2many_commands_and_plain_id_list(svc):
    def channels():
        return sorted(call(svc, ADMIN, "res.partner", "read", [DECO], ["channel_ids"])[0]["channel_ids"])

    second = call(svc, ADMIN, "discuss.channel", "create", {"name": "finance"})
    call(svc, ADMIN, "res.partner", "write", [DECO], {"channel_ids": [[4, 1]]})
    assert channels() == [1]
    call(svc, ADMIN, "res.partner", "write", [DECO], {"channel_ids": [[6, 0, [1, second]]]})
    assert channels() == [1, second]
    call(svc, ADMIN, "res.partner", "write", [DECO], {"channel_ids": [[3, 1]]})
    assert channels() == [second]
    call(svc, ADMIN, "res.partner", "write", [DECO], {"channel_ids": [[5]]})
    assert channels() == []
    call(svc, ADMIN, "res.partner", "write", [DECO], {"channel_ids": [1, second]})
    assert channels() == [1, second]
    call(svc, ADMIN, "res.partner", "write", [DECO], {"channel_ids": [[0, 0, {"name": "made inline"}]]})
    created = next(c for c in channels() if c not in (1, second))
    call(svc, ADMIN, "res.partner", "write", [DECO], {"channel_ids": [[1, created, {"name": "renamed"}]]})
    assert call(svc, ADMIN, "discuss.channel", "read", [created], ["name"])[0]["name"] == "renamed"
    call(svc, ADMIN, "res.partner", "write", [DECO], {"channel_ids": [[2, created]]})
    assert created not in channels()
    assert call(svc, ADMIN, "discuss.channel", "search_count", [["id", "=", created]]) == 0


def test_bad_command_is_a_value_error(svc):
    with pytest.raises(PythonError, match="Unknown command 9"):
        call(svc, ADMIN, "res.partner", "write", [DECO], {"channel_ids": [[9, 1]]})


# -- write / unlink --------------------------------------------------------------------------------
def test_write_and_unlink_missing_ids_raise_missing_error(svc):
    with pytest.raises(MissingError) as err:
        call(svc, ADMIN, "res.partner", "write", [999999], {"name": "ghost"})
    assert err.value.message == "Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)"
    with pytest.raises(MissingError):
        call(svc, ADMIN, "res.partner", "unlink", [999999])


def test_unlink_returns_true_and_removes_relations(svc):
    pid = call(svc, ADMIN, "res.partner", "create", {"name": "Temp", "channel_ids": [[4, 1]]})
    assert call(svc, ADMIN, "res.partner", "unlink", [pid]) is True
    assert call(svc, ADMIN, "res.partner", "read", [pid], ["name"]) == []
    assert svc.store.conn.execute("SELECT COUNT(*) FROM rel__res_partner__channel_ids WHERE id1 = ?",
                                  (pid,)).fetchone()[0] == 0


def test_unlink_draft_move_deletes_its_lines(svc):
    move = new_entry(svc)
    assert call(svc, ADMIN, "account.move", "unlink", [move]) is True
    assert call(svc, ADMIN, "account.move.line", "search_count", [["move_id", "=", move]]) == 0


def test_partner_recursion_is_a_validation_error_and_rolls_back(svc):
    with pytest.raises(ValidationError) as err:
        call(svc, ADMIN, "res.partner", "write", [AZURE], {"parent_id": AZURE, "email": "never@saved.example"})
    assert err.value.message == "You cannot create recursive Partner hierarchies."
    with pytest.raises(ValidationError):
        call(svc, ADMIN, "res.partner", "write", [AZURE], {"parent_id": AZURE_CONTACT})
    row = call(svc, ADMIN, "res.partner", "read", [AZURE], ["parent_id", "email"])[0]
    assert row == {"id": AZURE, "parent_id": False, "email": False}


def test_renaming_a_company_renames_its_contacts(svc):
    call(svc, ADMIN, "res.partner", "write", [AZURE], {"name": "Azure Interiors SA"})
    row = call(svc, ADMIN, "res.partner", "read", [AZURE_CONTACT], ["complete_name"])[0]
    assert row["complete_name"] == "Azure Interiors SA, Brandon Freeman"


def test_error_in_the_middle_of_a_batch_writes_nothing(svc):
    before = call(svc, ADMIN, "res.partner", "search_count", [])
    with pytest.raises(PythonError):
        call(svc, ADMIN, "res.partner", "create", [{"name": "ok 1"}, {"name": "ok 2"}, {"name": "bad", "x": 1}])
    assert call(svc, ADMIN, "res.partner", "search_count", []) == before


# -- _inherits ------------------------------------------------------------------------------------
def test_users_create_their_partner(svc):
    uid = call(svc, ADMIN, "res.users", "create", {"name": "New Accountant", "login": "newacc",
                                                   "email": "newacc@example.com"})
    user = call(svc, ADMIN, "res.users", "read", [uid], ["name", "login", "partner_id", "email"])[0]
    assert user["name"] == "New Accountant" and user["login"] == "newacc"
    partner = call(svc, ADMIN, "res.partner", "read", [user["partner_id"][0]], ["name", "email"])[0]
    assert partner["name"] == "New Accountant" and partner["email"] == "newacc@example.com"
    call(svc, ADMIN, "res.users", "write", [uid], {"name": "Renamed Accountant"})
    assert call(svc, ADMIN, "res.partner", "read", [user["partner_id"][0]], ["name"])[0]["name"] == "Renamed Accountant"


def test_payment_creates_and_posts_its_journal_entry(svc):
    pid = call(svc, ADMIN, "account.payment", "create", {"amount": 42.0, "payment_type": "inbound",
                                                        "partner_type": "customer", "partner_id": DECO,
                                                        "journal_id": BNK, "date": "2026-11-20"})
    payment = call(svc, ADMIN, "account.payment", "read", [pid], ["move_id", "journal_id", "date", "state"])[0]
    assert payment["journal_id"][0] == BNK and payment["date"] == "2026-11-20" and payment["state"] == "draft"
    move_id = payment["move_id"][0]
    assert call(svc, ADMIN, "account.move", "read", [move_id], ["payment_id", "name"])[0] == {
        "id": move_id, "payment_id": [pid, call(svc, ADMIN, "account.payment", "read", [pid], ["display_name"])[0][
            "display_name"]], "name": "/"}
    items = move_lines(svc, move_id, ("account_id", "balance", "partner_id"))
    assert [(i["account_id"][0], i["balance"], i["partner_id"][0]) for i in items] == [
        (BANK, 42.0, DECO), (RECEIVABLE, -42.0, DECO)]
    assert call(svc, ADMIN, "account.payment", "action_post", [pid]) is False
    posted = call(svc, ADMIN, "account.payment", "read", [pid], ["state", "name"])[0]
    assert posted["state"] == "posted" and posted["name"] == "BNK1/2026/00002"


def test_deleting_a_draft_payment_deletes_its_entry(svc):
    pid = call(svc, ADMIN, "account.payment", "create", {"amount": 5.0, "partner_id": DECO, "journal_id": BNK,
                                                        "date": "2026-11-20"})
    move_id = call(svc, ADMIN, "account.payment", "read", [pid], ["move_id"])[0]["move_id"][0]
    call(svc, ADMIN, "account.payment", "unlink", [pid])
    assert call(svc, ADMIN, "account.move", "read", [move_id], ["name"]) == []
    assert call(svc, ADMIN, "account.move.line", "search_count", [["move_id", "=", move_id]]) == 0


def test_bank_statement_line_posts_an_entry_to_suspense(svc):
    line = call(svc, ADMIN, "account.bank.statement.line", "create", {
        "journal_id": BNK, "date": "2026-11-21", "amount": -80.0, "payment_ref": "card fee", "partner_id": DECO})
    row = call(svc, ADMIN, "account.bank.statement.line", "read", [line],
               ["move_id", "is_reconciled", "state", "name", "internal_index"])[0]
    assert row["is_reconciled"] is False and row["state"] == "posted" and row["name"] == "BNK1/2026/00002"
    assert row["internal_index"].startswith("20261121")
    items = move_lines(svc, row["move_id"][0], ("account_id", "balance"))
    assert [(i["account_id"][0], i["balance"]) for i in items] == [(BANK, -80.0), (SUSPENSE, 80.0)]


def test_move_create_rejects_posted_state(svc):
    with pytest.raises(UserError, match="You cannot create a move already in the posted state"):
        new_entry(svc, state="posted")


def test_product_variant_creates_its_template(svc):
    pid = call(svc, ADMIN, "product.product", "create", {"name": "Desk", "list_price": 120.0,
                                                        "default_code": "DSK"})
    product = call(svc, ADMIN, "product.product", "read", [pid], ["name", "list_price", "product_tmpl_id"])[0]
    assert product["name"] == "Desk" and product["list_price"] == 120.0
    template = call(svc, ADMIN, "product.template", "read", [product["product_tmpl_id"][0]], ["name", "list_price"])
    assert template[0]["name"] == "Desk" and template[0]["list_price"] == 120.0
