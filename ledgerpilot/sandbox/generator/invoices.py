"""Customer invoices, vendor bills and their refunds, with the lines Odoo 17 computes.

Product lines, one tax line per tax, payment-term lines split by the payment term (each with its
``date_maturity``), the move's amounts, and the settlement plan of each payment-term line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledgerpilot.sandbox.generator.context import EUR_ID, BuildContext
from ledgerpilot.sandbox.generator.moves import Move, add_move, invoice_totals, take_name
from ledgerpilot.sandbox.generator.reconcile import (
    ItemPlan,
    PlannedPayment,
    payment_counterpart_fields,
    plan_item,
    record_payment,
)
from ledgerpilot.sandbox.generator.timestamps import last_day

TAX_RATE = 0.15
#: sign of product lines' balance per move type (a customer invoice credits income)
PRODUCT_SIGN = {"out_invoice": -1, "out_refund": 1, "in_invoice": 1, "in_refund": -1}
ITEM_ACCOUNT = {"out_invoice": "121000", "out_refund": "121000", "in_invoice": "211000", "in_refund": "211000"}
TAX_ACCOUNT = {"sale": "251000", "purchase": "131000"}

#: schedule(due_date, amount_in_currency) -> the planned payments of one payment-term line
Payer = Callable[[dt.date, float], list[tuple[dt.date, float]]]


@dataclass
class InvoiceItem:
    name: str
    quantity: float
    price_unit: float  # in the document currency
    account: str
    product_id: int | None = None
    tax: str | None = None  # key in ctx.taxes ("sale15", "purchase15")
    analytic: dict[str, float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # purchase_line_id, sale_line_ids, ...


@dataclass
class Invoice:
    move: Move
    plans: list[ItemPlan]
    product_line_ids: list[int]
    total: float  # in the document currency
    total_eur: float


def due_dates(ctx: BuildContext, term_id: int, invoice_date: dt.date) -> list[tuple[float, dt.date]]:
    """(share, due date) per line of the payment term; shares sum to 1."""
    out = []
    for share, delay_type, days in ctx.term_lines[term_id]:
        if delay_type == "days_after":
            due = invoice_date + dt.timedelta(days=days)
        elif delay_type == "days_after_end_of_next_month":
            due = last_day(last_day(invoice_date) + dt.timedelta(days=1)) + dt.timedelta(days=days)
        else:
            due = last_day(invoice_date) + dt.timedelta(days=days)
        out.append((share, due))
    return out


def add_invoice(
    ctx: BuildContext,
    *,
    move_type: str,
    partner_id: int,
    invoice_date: dt.date,
    items: list[InvoiceItem],
    term_key: str,
    payer: Payer | None,
    currency_id: int = EUR_ID,
    ref: str | None = None,
    origin: str | None = None,
    user: str = "clerk",
    state: str = "posted",
    created: str | None = None,
    extra_lines: list[dict[str, Any]] | None = None,
    extra_fields: dict[str, Any] | None = None,
    accounting_date: dt.date | None = None,
    bank_pending: Callable[[ItemPlan], bool] | None = None,
    settles: tuple[ItemPlan, PlannedPayment] | None = None,
) -> Invoice:
    """Write an invoice/bill/refund and plan the settlement of its payment-term lines."""
    sign = PRODUCT_SIGN[move_type]
    journal = "INV" if move_type.startswith("out") else "BILL"
    date = accounting_date or invoice_date
    day_rate_date = invoice_date
    lines: list[dict[str, Any]] = []
    taxes: dict[str, list[float]] = {}
    for item in items:
        subtotal = round(item.quantity * item.price_unit, 2)
        tax_amount = round(subtotal * TAX_RATE, 2) if item.tax else 0.0
        row = {
            "account": item.account,
            "balance": sign * ctx.to_eur(subtotal, currency_id, day_rate_date),
            "amount_currency": sign * subtotal,
            "currency_id": currency_id,
            "display_type": "product",
            "name": item.name,
            "product_id": item.product_id,
            "quantity": item.quantity,
            "price_unit": item.price_unit,
            "price_subtotal": subtotal,
            "price_total": round(subtotal + tax_amount, 2),
            "invoice_date": invoice_date,
            "analytic_distribution": item.analytic,
            "tax_ids": [ctx.taxes[item.tax]] if item.tax else [],
        }
        row.update(item.extra)
        lines.append(row)
        if item.tax:
            acc = taxes.setdefault(item.tax, [0.0, 0.0, 0.0])
            acc[0] += tax_amount
            acc[1] += subtotal
            acc[2] += ctx.to_eur(subtotal, currency_id, day_rate_date)
    for key, (tax_cur, base_cur, base_eur) in taxes.items():
        tax_cur = round(tax_cur, 2)
        lines.append({
            "account": TAX_ACCOUNT["sale" if key.startswith("sale") else "purchase"],
            "balance": sign * ctx.to_eur(tax_cur, currency_id, day_rate_date),
            "amount_currency": sign * tax_cur,
            "currency_id": currency_id,
            "display_type": "tax",
            "name": "Tax 15%",
            "tax_line_id": ctx.taxes[key],
            "tax_base_amount": round(base_eur, 2),
            "invoice_date": invoice_date,
            "quantity": 0.0,
            "price_unit": 0.0,
        })
    total_cur = round(sign * sum(line["amount_currency"] for line in lines), 2)
    total_eur = round(sign * sum(line["balance"] for line in lines), 2)
    item_sign = -sign
    seq_code = journal if move_type in ("out_invoice", "in_invoice") else {"INV": "RINV", "BILL": "RBILL"}[journal]
    naming = take_name(ctx, seq_code, date, state)
    term_id = ctx.terms[term_key]
    shares = due_dates(ctx, term_id, invoice_date)
    plans: list[ItemPlan] = []
    left_cur, left_eur = total_cur, total_eur
    for index, (share, due) in enumerate(shares):
        last = index == len(shares) - 1
        part_cur = left_cur if last else round(total_cur * share, 2)
        part_eur = left_eur if last else round(total_eur * share, 2)
        left_cur, left_eur = round(left_cur - part_cur, 2), round(left_eur - part_eur, 2)
        schedule = payer(due, part_cur) if (payer is not None and state == "posted") else []
        plan = plan_item(ctx, sign=item_sign, balance=item_sign * part_eur, amount_currency=item_sign * part_cur,
                         currency_id=currency_id, schedule=schedule, account=ITEM_ACCOUNT[move_type],
                         partner_id=partner_id)
        plans.append(plan)
        row = {
            "account": ITEM_ACCOUNT[move_type],
            "balance": item_sign * part_eur,
            "amount_currency": item_sign * part_cur,
            "currency_id": currency_id,
            "display_type": "payment_term",
            "name": _term_label(naming[0], ref, move_type, index, len(shares)),
            "date_maturity": due,
            "invoice_date": invoice_date,
            "quantity": 0.0,
            "price_unit": 0.0,
        }
        row.update(plan.line_fields())
        if settles is not None:  # a credit note used in full against the invoice it corrects
            row.update(payment_counterpart_fields(settles[0]))
        lines.append(row)
    for extra in extra_lines or ():
        lines.append({"invoice_date": invoice_date, **extra})
    fields = {
        "invoice_date": invoice_date,
        "invoice_date_due": max(due for _, due in shares),
        "invoice_payment_term_id": term_id,
        "invoice_origin": origin,
        "invoice_user_id": ctx.users[user],
        "invoice_partner_display_name": ctx.partners["names"][partner_id],
        "payment_reference": naming[0] if move_type.startswith("out") and state == "posted" else None,
        "is_move_sent": move_type.startswith("out") and state == "posted",
        "currency_id": currency_id,
    }
    fields.update(invoice_totals(move_type, lines))
    pending = bool(bank_pending and any(bank_pending(plan) for plan in plans))
    fields["payment_state"] = payment_state(plans, state, pending)
    if settles is not None:
        fields.update(payment_state="paid", amount_residual=0.0, amount_residual_signed=0.0)
    fields.update(extra_fields or {})
    move = add_move(ctx, journal=journal, date=date, lines=lines, move_type=move_type, partner_id=partner_id,
                    ref=ref, state=state, user=user, created=created, currency_id=currency_id, fields=fields,
                    naming=naming)
    # the payment-term lines are the last `len(shares)` lines before the extra ones
    n_extra = len(extra_lines or ())
    term_line_ids = move.line_ids[len(lines) - n_extra - len(shares): len(lines) - n_extra]
    for plan, line_id in zip(plans, term_line_ids):
        plan.line_id = line_id
    if settles is not None:
        record_payment(ctx, settles[0], settles[1], term_line_ids[0], move.rows[0]["create_date"])
    product_ids = move.line_ids[: len(items)]
    return Invoice(move, plans, product_ids, total_cur, total_eur)


def _term_label(name: str, ref: str | None, move_type: str, index: int, count: int) -> str:
    """Odoo labels payment-term lines with the payment reference (the vendor's ref on bills)."""
    label = (ref or name) if move_type.startswith("in") else name
    label = "" if label == "/" else label
    return f"{label} installment #{index + 1}" if count > 1 else label


def payment_state(plans: list[ItemPlan], state: str, bank_pending: bool = False) -> str:
    """Odoo 17's payment_state from the open items.

    ``reversed`` when a credit note alone settled the invoice (the credit note itself is ``paid``);
    ``in_payment`` while a payment has not reached the bank statement yet, as Odoo 17 shows it
    with the Accounting app installed (bare Community shows ``paid`` there).
    """
    if state != "posted":
        return "not_paid"
    if all(p.fully_paid for p in plans):
        if all(pay.source == "refund" for p in plans for pay in p.payments):
            return "reversed"
        return "in_payment" if bank_pending else "paid"
    if any(p.payments for p in plans):
        return "partial"
    return "not_paid"
