"""Journal entries as Odoo 17 stores them: an ``account.move`` and its ``account.move.line`` rows.

``add_move`` takes lines with a signed ``balance`` in EUR (the company currency), checks that the
entry balances to the cent, and fills what Odoo computes: debit/credit, residuals on reconcilable
and cash accounts, the move's amounts and signed amounts, names from the journal's sequence.
Reconciliation fields (residual, reconciled, full_reconcile_id, matching_number) may be given per
line by the caller that planned the settlement (see ``reconcile.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ledgerpilot.sandbox.generator.analytics import analytic_rows
from ledgerpilot.sandbox.generator.context import EUR_ID, BuildContext
from ledgerpilot.sandbox.generator.timestamps import later, office_time, shift_weekday

INVOICE_TYPES = ("out_invoice", "out_refund", "in_invoice", "in_refund")
#: sign of the move's *_signed amounts per type (Odoo: positive for customer invoices and vendor refunds)
SIGNED = {"out_invoice": 1, "in_refund": 1, "out_refund": -1, "in_invoice": -1, "entry": 1}
#: journal code of the sequence used for each invoice type
REFUND_PREFIX = {"INV": "RINV", "BILL": "RBILL"}


@dataclass
class Move:
    id: int
    name: str
    date: dt.date
    line_ids: list[int]
    rows: list[dict[str, Any]]


def add_move(
    ctx: BuildContext,
    *,
    journal: str,
    date: dt.date,
    lines: list[dict[str, Any]],
    move_type: str = "entry",
    partner_id: int | None = None,
    ref: str | None = None,
    state: str = "posted",
    user: str = "clerk",
    created: str | None = None,
    currency_id: int = EUR_ID,
    fields: dict[str, Any] | None = None,
    sequence_code: str | None = None,
    move_id: int | None = None,
    naming: tuple[str, str | None, int] | None = None,
) -> Move:
    """Create one entry. Each line needs ``account`` (code) and ``balance``; other keys are copied."""
    total = round(sum(line["balance"] for line in lines), 2)
    if abs(total) >= 0.005:
        raise ValueError(f"unbalanced entry in {journal} on {date}: lines sum to {total}")
    rng = ctx.rng
    led = ctx.ledger
    mid = move_id if move_id is not None else led.reserve("account.move")
    posted = state == "posted"
    name, prefix, number = naming or take_name(ctx, sequence_code or journal, date, state)
    uid = ctx.users[user]
    created = created or office_time(rng, shift_weekday(date))  # month-end entries are keyed in on a working day
    written = later(created, rng)
    journal_id = ctx.journals[journal]
    line_ids: list[int] = []
    debit_sum = 0.0
    rows = []
    for seq, spec in enumerate(lines, start=1):
        spec = dict(spec)
        account_id = ctx.accounts[spec.pop("account")]
        balance = round(spec.pop("balance"), 2)
        line_currency = spec.pop("currency_id", currency_id)
        amount_currency = round(spec.pop("amount_currency", balance if line_currency == EUR_ID else 0.0), 2)
        row: dict[str, Any] = {
            "move_id": mid,
            "move_name": name,
            "date": date,
            "journal_id": journal_id,
            "company_id": ctx.company_id,
            "company_currency_id": EUR_ID,
            "currency_id": line_currency,
            "account_id": account_id,
            "partner_id": spec.pop("partner_id", partner_id),
            "parent_state": state,
            "display_type": spec.pop("display_type", "product"),
            "balance": balance,
            "debit": balance if balance > 0 else 0.0,
            "credit": -balance if balance < 0 else 0.0,
            "amount_currency": amount_currency,
            "ref": ref,
            "sequence": spec.pop("sequence", seq * 10),
            "blocked": False,
            "discount": 0.0,
            "tax_tag_invert": False,
            "is_downpayment": False,
            "create_uid": uid,
            "write_uid": uid,
            "create_date": created,
            "write_date": written,
            "name": spec.pop("name", None),
        }
        needs_residual = ctx.account_reconcile.get(account_id, False) or account_id in ctx.account_cash
        if needs_residual:
            row["amount_residual"] = round(spec.pop("amount_residual", balance), 2)
            row["amount_residual_currency"] = round(spec.pop("amount_residual_currency", amount_currency), 2)
            reconcilable = ctx.account_reconcile.get(account_id, False)
            row["reconciled"] = bool(reconcilable and abs(row["amount_residual"]) < 0.005
                                     and abs(row["amount_residual_currency"]) < 0.005)
        else:
            spec.pop("amount_residual", None)
            spec.pop("amount_residual_currency", None)
            row["amount_residual"] = 0.0
            row["amount_residual_currency"] = 0.0
            row["reconciled"] = False
        row.update(spec)
        if balance > 0:
            debit_sum += balance
        rows.append(row)
    for row in rows:
        line_ids.append(led.add("account.move.line", row))
    move_row: dict[str, Any] = {
        "id": mid,
        "name": name,
        "date": date,
        "journal_id": journal_id,
        "company_id": ctx.company_id,
        "currency_id": currency_id,
        "move_type": move_type,
        "state": state,
        "partner_id": partner_id,
        "commercial_partner_id": partner_id,
        "ref": ref,
        "sequence_prefix": prefix,
        "sequence_number": number,
        "posted_before": posted,
        "auto_post": "no",
        "always_tax_exigible": False,
        "is_storno": False,
        "to_check": False,
        "is_move_sent": False,
        "payment_state": "not_paid",
        "create_uid": uid,
        "write_uid": uid,
        "create_date": created,
        "write_date": written,
    }
    if move_type == "entry":
        amount = round(debit_sum, 2)
        move_row.update(amount_untaxed=amount, amount_tax=0.0, amount_total=amount, amount_residual=0.0,
                        amount_untaxed_signed=amount, amount_tax_signed=0.0, amount_total_signed=amount,
                        amount_total_in_currency_signed=amount, amount_residual_signed=0.0)
    if fields:
        move_row.update(fields)
    led.add("account.move", move_row)
    if posted:
        for row in rows:
            if row.get("analytic_distribution"):
                for analytic in analytic_rows(ctx, move_row, row):
                    led.add("account.analytic.line", analytic)
    return Move(mid, name, date, line_ids, rows)


def take_name(ctx: BuildContext, code: str, date: dt.date, state: str) -> tuple[str, str | None, int]:
    """The next name of a journal's sequence; drafts are named ``/`` until posted (Odoo 17)."""
    if state != "posted":
        return "/", None, 0
    return ctx.seq.next(code, date)


def invoice_totals(move_type: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The move-level amounts Odoo computes for an invoice from its lines.

    ``amount_*`` are in the document currency and positive; ``*_signed`` in EUR with the sign of
    the move type; the residuals come from the payment-term lines.
    """
    sign = SIGNED[move_type]
    # the document sign: product lines of a customer invoice are credits (negative)
    doc = -1 if move_type in ("out_invoice", "in_refund") else 1
    untaxed_cur = sum(line["amount_currency"] for line in lines if line.get("display_type") == "product")
    tax_cur = sum(line["amount_currency"] for line in lines if line.get("display_type") == "tax")
    untaxed_bal = sum(line["balance"] for line in lines if line.get("display_type") == "product")
    tax_bal = sum(line["balance"] for line in lines if line.get("display_type") == "tax")
    terms = [line for line in lines if line.get("display_type") == "payment_term"]
    residual_cur = sum(line["amount_residual_currency"] for line in terms)
    residual_bal = sum(line["amount_residual"] for line in terms)
    untaxed = round(doc * untaxed_cur, 2)
    tax = round(doc * tax_cur, 2)
    return {
        "amount_untaxed": untaxed,
        "amount_tax": tax,
        "amount_total": round(untaxed + tax, 2),
        "amount_residual": round(abs(residual_cur), 2),
        "amount_untaxed_signed": round(sign * abs(untaxed_bal), 2),
        "amount_tax_signed": round(sign * abs(tax_bal), 2),
        "amount_total_signed": round(sign * abs(untaxed_bal + tax_bal), 2),
        "amount_total_in_currency_signed": round(sign * abs(untaxed_cur + tax_cur), 2),
        "amount_residual_signed": round(sign * abs(residual_bal), 2),
    }
