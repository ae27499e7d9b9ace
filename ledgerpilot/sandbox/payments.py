"""Payments and bank statement lines: the journal entries Odoo 17 makes for them.

Both delegate to ``account.move`` (``_inherits``). When created without journal items, Odoo
writes their entry itself:

- a payment: the liquidity item on the outstanding account and the counterpart on the
  partner's receivable/payable (``_prepare_move_line_default_vals``); the entry stays draft
  until the payment is posted;
- a bank statement line: the liquidity item on the bank account and the counterpart on the
  suspense account; Odoo posts that entry at once, and the line starts unreconciled.
"""

from __future__ import annotations

from typing import Any

from ledgerpilot.sandbox.accounting import action_post, load_journal, load_moves
from ledgerpilot.sandbox.env import Env
from ledgerpilot.sandbox.exceptions import UserError
from ledgerpilot.sandbox.writes import ModelRules, create, missing_error, update_rows

_MAXINT = 2147483647


def _company_account(env: Env, company_id: int, field: str) -> int | None:
    row = env.conn.execute(f'SELECT "{field}" FROM res_company WHERE id = ?', (company_id,)).fetchone()
    return row[0] if row and row[0] else None


def _first_account(env: Env, company_id: int, account_type: str) -> int | None:
    row = env.conn.execute(
        "SELECT id FROM account_account WHERE company_id = ? AND account_type = ? AND COALESCE(deprecated, 0) = 0"
        " ORDER BY code LIMIT 1", (company_id, account_type)).fetchone()
    return row[0] if row else None


def _has_lines(env: Env, move_id: int) -> bool:
    return env.conn.execute("SELECT 1 FROM account_move_line WHERE move_id = ? LIMIT 1", (move_id,)).fetchone() \
        is not None


class PaymentRules(ModelRules):
    def after_create(self, env: Env, ids: list[int]) -> None:
        cols = ("id", "move_id", "amount", "payment_type", "partner_type", "partner_id", "outstanding_account_id",
                "destination_account_id", "payment_reference")
        marks = ",".join("?" * len(ids))
        for row in env.conn.execute(f"SELECT {', '.join(cols)} FROM account_payment WHERE id IN ({marks})", ids):
            payment = dict(zip(cols, row))
            move = load_moves(env, [payment["move_id"]])[0]
            update_rows(env, "account.move", [move["id"]], {"payment_id": payment["id"]})
            if _has_lines(env, move["id"]) or not payment["amount"]:
                continue
            journal = load_journal(env, move["journal_id"]) or {}
            company = move["company_id"]
            inbound = payment["payment_type"] == "inbound"
            liquidity = payment["outstanding_account_id"] or _company_account(
                env, company, "account_journal_payment_debit_account_id" if inbound
                else "account_journal_payment_credit_account_id") or journal.get("default_account_id")
            counterpart = payment["destination_account_id"] or _first_account(
                env, company, "asset_receivable" if payment["partner_type"] == "customer" else "liability_payable")
            if not liquidity or not counterpart:
                raise UserError("You can't create a new payment without an outstanding payments/receipts account "
                                f"set either on the company or the {journal.get('name', '')} payment method.")
            amount = float(payment["amount"])
            sign = 1 if inbound else -1
            label = payment["payment_reference"] or ("Customer Payment" if payment["partner_type"] == "customer"
                                                     else "Vendor Payment")
            update_rows(env, "account.payment", [payment["id"]], {"destination_account_id": counterpart,
                                                                   "outstanding_account_id": liquidity})
            create(env, "account.move.line", [
                {"move_id": move["id"], "account_id": liquidity, "name": label, "balance": sign * amount,
                 "partner_id": payment["partner_id"] or False},
                {"move_id": move["id"], "account_id": counterpart, "name": label, "balance": -sign * amount,
                 "partner_id": payment["partner_id"] or False},
            ], check_access=False)


class StatementLineRules(ModelRules):
    def prepare_create(self, env: Env, vals: dict[str, Any]) -> None:
        vals.setdefault("is_reconciled", False)
        vals.setdefault("sequence", 1)

    def after_create(self, env: Env, ids: list[int]) -> None:
        cols = ("id", "move_id", "amount", "partner_id", "payment_ref", "sequence")
        marks = ",".join("?" * len(ids))
        to_post = []
        for row in env.conn.execute(
                f"SELECT {', '.join(cols)} FROM account_bank_statement_line WHERE id IN ({marks})", ids):
            line = dict(zip(cols, row))
            move = load_moves(env, [line["move_id"]])[0]
            update_rows(env, "account.move", [move["id"]], {"statement_line_id": line["id"]})
            update_rows(env, "account.bank.statement.line", [line["id"]], {
                "internal_index": f"{move['date']:%Y%m%d}{_MAXINT - int(line['sequence'] or 0):0>10}{line['id']:0>10}",
                "currency_id": move["currency_id"],
            })
            if _has_lines(env, move["id"]):
                continue
            journal = load_journal(env, move["journal_id"]) or {}
            bank = journal.get("default_account_id")
            suspense = journal.get("suspense_account_id") or _company_account(
                env, move["company_id"], "account_journal_suspense_account_id")
            if not bank or not suspense:
                raise UserError("You can't create a new statement line without a suspense account set on the "
                                f"{journal.get('name', '')} journal.")
            amount = float(line["amount"] or 0.0)
            label = line["payment_ref"] or ""
            create(env, "account.move.line", [
                {"move_id": move["id"], "account_id": bank, "name": label, "balance": amount,
                 "partner_id": line["partner_id"] or False},
                {"move_id": move["id"], "account_id": suspense, "name": label, "balance": -amount,
                 "partner_id": line["partner_id"] or False},
            ], check_access=False)
            to_post.append(move["id"])
        if to_post:
            action_post(env, to_post)


def post_payments(env: Env, payment_ids: list[int]) -> None:
    """``account.payment.action_post``: post the payments' entries."""
    marks = ",".join("?" * len(payment_ids))
    rows = env.conn.execute(f"SELECT id, move_id FROM account_payment WHERE id IN ({marks})", payment_ids).fetchall()
    found = {r[0] for r in rows}
    missing = [i for i in payment_ids if i not in found]
    if missing:
        raise missing_error(env, "account.payment", missing)
    action_post(env, [r[1] for r in rows])
