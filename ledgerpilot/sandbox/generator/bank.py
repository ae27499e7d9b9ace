"""Bank and cash journals: statement lines (each with its own entry), monthly statements, payments.

Odoo 17 model reproduced here:
- every ``account.bank.statement.line`` owns an ``account.move`` in its journal: the liquidity line
  on the journal's default account and a counterpart; a matched line's counterpart sits on the
  receivable/payable (or outstanding) account and is reconciled; an unmatched one sits on the
  journal's suspense account (``is_reconciled`` False, ``amount_residual`` = -amount);
- vendor payments, and the customer payments registered from the invoice, are ``account.payment``
  records whose entry (PBNK1/...) moves the payable (receivable) to the Outstanding Payments
  (Receipts) account; the bank line later clears that outstanding line;
- a batch deposit is one bank line paying several invoices: one counterpart line per invoice;
- statements are monthly: ``balance_start`` = previous ``balance_end``, ``balance_end`` =
  ``balance_start`` + sum of its lines, ``balance_end_real`` = ``balance_end``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledgerpilot.sandbox.generator.context import EUR_ID, BuildContext
from ledgerpilot.sandbox.generator.moves import Move, add_move
from ledgerpilot.sandbox.generator.reconcile import (
    ItemPlan,
    PlannedPayment,
    add_full,
    add_partial,
    payment_counterpart_fields,
    record_payment,
)
from ledgerpilot.sandbox.generator.timestamps import later, office_time, shift_weekday

MAXINT = 2147483647
OUTSTANDING_RECEIPTS = "101403"
OUTSTANDING_PAYMENTS = "101404"


@dataclass
class _Statement:
    id: int
    lines: list[tuple[str, float]] = field(default_factory=list)  # (internal_index, amount)
    last_date: dt.date | None = None


class StatementBook:
    """The statement lines of one bank or cash journal, grouped into monthly statements."""

    def __init__(self, ctx: BuildContext, journal: str, account: str, suspense: str):
        self.ctx = ctx
        self.journal = journal
        self.account = account
        self.suspense = suspense
        self.balance = 0.0
        self._open: dict[tuple[int, int], _Statement] = {}

    def _statement(self, day: dt.date) -> _Statement:
        key = (day.year, day.month)
        if key not in self._open:
            self._open[key] = _Statement(self.ctx.ledger.reserve("account.bank.statement"))
        return self._open[key]

    def add_line(self, *, date: dt.date, amount: float, payment_ref: str, partner_id: int | None,
                 counterpart: dict[str, Any] | list[dict[str, Any]], foreign_currency_id: int | None = None,
                 amount_currency: float | None = None, user: str = "clerk", created: str | None = None,
                 reconciled: bool = True) -> tuple[Move, int]:
        """Write a statement line and its entry; ``counterpart`` is the non-liquidity line (a list: one
        line per item a batch deposit settles)."""
        ctx = self.ctx
        amount = round(amount, 2)
        statement = self._statement(date)
        st_id = ctx.ledger.reserve("account.bank.statement.line")
        move_id = ctx.ledger.reserve("account.move")
        created = created or office_time(ctx.rng, shift_weekday(date))
        counters = [{"name": payment_ref, "statement_line_id": st_id, "statement_id": statement.id, **part}
                    for part in (counterpart if isinstance(counterpart, list) else [counterpart])]
        if not reconciled:
            counters[0]["account"] = self.suspense
        move = add_move(
            ctx, journal=self.journal, date=date, partner_id=partner_id, user=user, created=created,
            move_id=move_id,
            lines=[{"account": self.account, "balance": amount, "name": payment_ref, "statement_line_id": st_id,
                    "statement_id": statement.id}, *counters],
            fields={"statement_line_id": st_id},
        )
        index = f"{date.strftime('%Y%m%d')}{MAXINT - 1:0>10}{st_id:0>10}"
        ctx.ledger.add("account.bank.statement.line", {
            "id": st_id,
            "move_id": move_id,
            "statement_id": statement.id,
            "amount": amount,
            "amount_currency": amount_currency if foreign_currency_id else None,
            "foreign_currency_id": foreign_currency_id,
            "currency_id": EUR_ID,
            "partner_id": partner_id,
            "partner_name": ctx.partners["names"].get(partner_id) if partner_id else None,
            "payment_ref": payment_ref,
            "is_reconciled": reconciled,
            "amount_residual": 0.0 if reconciled else -amount,
            "internal_index": index,
            "sequence": 1,
            "transaction_type": None,
            "create_uid": ctx.users[user],
            "write_uid": ctx.users[user],
            "create_date": created,
            "write_date": later(created, ctx.rng),
        })
        statement.lines.append((index, amount))
        statement.last_date = max(statement.last_date or date, date)
        return move, st_id

    def close_month(self, month: dt.date) -> None:
        """Write the month's statement (if it has lines), chaining balances from the previous one."""
        statement = self._open.pop((month.year, month.month), None)
        if statement is None:
            return
        ctx = self.ctx
        start = round(self.balance, 2)
        end = round(start + sum(amount for _, amount in statement.lines), 2)
        self.balance = end
        created = office_time(ctx.rng, statement.last_date)
        ctx.ledger.add("account.bank.statement", {
            "id": statement.id,
            "name": f"{self.journal} Statement {month:%Y-%m}",
            "reference": f"{self.journal}-{month:%Y%m}",
            "journal_id": ctx.journals[self.journal],
            "company_id": ctx.company_id,
            "date": statement.last_date,
            "balance_start": start,
            "balance_end": end,
            "balance_end_real": end,
            "is_complete": True,
            "first_line_index": min(index for index, _ in statement.lines),
            "create_uid": ctx.users["clerk"],
            "write_uid": ctx.users["clerk"],
            "create_date": created,
            "write_date": created,
        })


def receive_payment(ctx: BuildContext, plan: ItemPlan, payment: PlannedPayment, label: str,
                    book: StatementBook | None = None) -> int:
    """A customer's transfer arrives: a bank line whose counterpart settles the open item."""
    book = book or ctx.book
    s = plan.sign
    created = office_time(ctx.rng, payment.date)
    foreign = plan.currency_id if plan.currency_id != EUR_ID else None
    counterpart = {"account": plan.account, "balance": -s * payment.value,
                   "amount_currency": -s * payment.amount_currency, "currency_id": plan.currency_id,
                   "partner_id": plan.partner_id, **payment_counterpart_fields(plan)}
    move, st_id = book.add_line(date=payment.date, amount=s * payment.value, payment_ref=label,
                                partner_id=plan.partner_id, counterpart=counterpart, foreign_currency_id=foreign,
                                amount_currency=s * payment.amount_currency if foreign else None, created=created)
    record_payment(ctx, plan, payment, move.line_ids[1], created)
    return st_id


def receive_deposit(ctx: BuildContext, parts: list[tuple[ItemPlan, PlannedPayment]], label: str) -> int:
    """One transfer paying several items of one customer (in EUR): one counterpart line per item."""
    day = parts[0][1].date
    created = office_time(ctx.rng, day)
    counterparts = [{"account": plan.account, "balance": -plan.sign * payment.value,
                     "amount_currency": -plan.sign * payment.amount_currency, "currency_id": plan.currency_id,
                     "partner_id": plan.partner_id, **payment_counterpart_fields(plan)} for plan, payment in parts]
    total = round(sum(plan.sign * payment.value for plan, payment in parts), 2)
    move, st_id = ctx.book.add_line(date=day, amount=total, payment_ref=label, partner_id=parts[0][0].partner_id,
                                    counterpart=counterparts, created=created)
    for index, (plan, payment) in enumerate(parts):
        record_payment(ctx, plan, payment, move.line_ids[1 + index], created)
    return st_id


def register_receipt(ctx: BuildContext, plan: ItemPlan, payment: PlannedPayment, label: str,
                     on_bank: Callable[[], None] | None = None) -> int:
    """A customer payment registered from the invoice, as Odoo does it: an inbound ``account.payment``
    (PBNK1) moves the receivable to Outstanding Receipts on the payment day; the bank line that
    shows it one to three working days later clears the outstanding line (``on_bank`` runs then).
    Returns the payment id."""
    created = office_time(ctx.rng, payment.date)
    value, amount, currency_id = payment.value, payment.amount_currency, plan.currency_id
    payment_id = ctx.ledger.reserve("account.payment")
    bank_day = bank_date_for_payment(payment.date, payment.partial_id)
    matched_bank = bank_day <= ctx.today
    out_partial = ctx.ledger.reserve("account.partial.reconcile") if matched_bank else None
    out_full = ctx.ledger.reserve("account.full.reconcile") if matched_bank else None
    outstanding = {"account": OUTSTANDING_RECEIPTS, "balance": value, "amount_currency": amount,
                   "currency_id": currency_id}
    if matched_bank:
        outstanding.update(amount_residual=0.0, amount_residual_currency=0.0, full_reconcile_id=out_full,
                           matching_number=str(out_full))
    receivable = {"account": plan.account, "balance": -value, "amount_currency": -amount, "currency_id": currency_id,
                  "partner_id": plan.partner_id, **payment_counterpart_fields(plan)}
    common = {"name": label, "payment_id": payment_id, "date_maturity": payment.date}
    move = add_move(ctx, journal=ctx.book.journal, date=payment.date, partner_id=plan.partner_id, user="clerk",
                    created=created, lines=[{**outstanding, **common}, {**receivable, **common}], ref=label,
                    sequence_code=f"P{ctx.book.journal}", currency_id=currency_id, fields={"payment_id": payment_id})
    ctx.ledger.add("account.payment", {
        "id": payment_id, "move_id": move.id, "amount": round(amount, 2), "amount_company_currency_signed": value,
        "payment_type": "inbound", "partner_type": "customer", "partner_id": plan.partner_id,
        "currency_id": currency_id, "destination_account_id": ctx.accounts[plan.account],
        "outstanding_account_id": ctx.accounts[OUTSTANDING_RECEIPTS], "payment_reference": label,
        "is_internal_transfer": False, "is_reconciled": plan.fully_paid, "is_matched": matched_bank,
        "create_uid": ctx.users["clerk"], "write_uid": ctx.users["clerk"], "create_date": created,
        "write_date": later(created, ctx.rng),
    })
    record_payment(ctx, plan, payment, move.line_ids[1], created)
    if matched_bank:
        outstanding_line = move.line_ids[0]

        def show_on_bank() -> None:
            bank_created = office_time(ctx.rng, bank_day)
            counterpart = {"account": OUTSTANDING_RECEIPTS, "balance": -value, "amount_currency": -amount,
                           "currency_id": currency_id, "partner_id": plan.partner_id, "amount_residual": 0.0,
                           "amount_residual_currency": 0.0, "full_reconcile_id": out_full,
                           "matching_number": str(out_full)}
            foreign = currency_id if currency_id != EUR_ID else None
            bank_move, _ = ctx.book.add_line(date=bank_day, amount=value, payment_ref=label,
                                             partner_id=plan.partner_id, counterpart=counterpart,
                                             foreign_currency_id=foreign, amount_currency=amount if foreign else None,
                                             created=bank_created)
            add_partial(ctx, partial_id=out_partial, debit_line=outstanding_line, credit_line=bank_move.line_ids[1],
                        amount=value, debit_amount_currency=amount, credit_amount_currency=amount,
                        debit_currency=currency_id, credit_currency=currency_id, max_date=bank_day,
                        full_id=out_full, created=bank_created)
            add_full(ctx, out_full, bank_created)
            if on_bank is not None:
                on_bank()

        ctx.schedule(bank_day, show_on_bank)
    return payment_id


def bank_date_for_payment(day: dt.date, key: int) -> dt.date:
    """The day a vendor payment shows on the bank statement: one to three working days later
    (``key``, a record id, makes the lag vary from payment to payment but never between calls)."""
    return shift_weekday(day + dt.timedelta(days=1 + key % 3))


def pay_vendor(ctx: BuildContext, plan: ItemPlan | None, payment: PlannedPayment | None, *, partner_id: int,
               amount: float, currency_id: int, day: dt.date, ref: str, user: str = "clerk",
               created: str | None = None) -> tuple[int, int]:
    """An outbound ``account.payment`` (PBNK1) and, once the bank shows it, its statement line.

    With ``plan``/``payment`` the payment settles that open bill item; without, it stays open on
    the payable account (a payment on account). Returns ``(payment id, payment move id)``.
    """
    created = created or office_time(ctx.rng, day)
    value = ctx.to_eur(amount, currency_id, day) if payment is None else payment.value
    payment_id = ctx.ledger.reserve("account.payment")
    bank_day = bank_date_for_payment(day, payment.partial_id if payment is not None else payment_id)
    matched_bank = bank_day <= ctx.today
    out_partial = ctx.ledger.reserve("account.partial.reconcile") if matched_bank else None
    out_full = ctx.ledger.reserve("account.full.reconcile") if matched_bank else None
    if plan is not None and payment is not None:
        payable = {"account": plan.account, "balance": value, "amount_currency": amount,
                   "currency_id": currency_id, **payment_counterpart_fields(plan)}
    else:
        payable = {"account": "211000", "balance": value, "amount_currency": amount, "currency_id": currency_id}
    outstanding = {"account": OUTSTANDING_PAYMENTS, "balance": -value, "amount_currency": -amount,
                   "currency_id": currency_id}
    if matched_bank:
        outstanding.update(amount_residual=0.0, amount_residual_currency=0.0, full_reconcile_id=out_full,
                           matching_number=str(out_full))
    common = {"name": f"Vendor Payment {ref}", "payment_id": payment_id, "date_maturity": day}
    lines = [{**outstanding, **common}, {**payable, **common, "partner_id": partner_id}]
    move = add_move(ctx, journal=ctx.book.journal, date=day, partner_id=partner_id, user=user, created=created,
                    lines=lines, ref=ref, sequence_code=f"P{ctx.book.journal}", currency_id=currency_id,
                    fields={"payment_id": payment_id})
    ctx.ledger.add("account.payment", {
        "id": payment_id,
        "move_id": move.id,
        "amount": round(amount, 2),
        "amount_company_currency_signed": -value,
        "payment_type": "outbound",
        "partner_type": "supplier",
        "partner_id": partner_id,
        "currency_id": currency_id,
        "destination_account_id": ctx.accounts["211000"],
        "outstanding_account_id": ctx.accounts[OUTSTANDING_PAYMENTS],
        "payment_reference": ref,
        "is_internal_transfer": False,
        "is_reconciled": bool(plan is not None and plan.fully_paid),
        "is_matched": matched_bank,
        "create_uid": ctx.users[user],
        "write_uid": ctx.users[user],
        "create_date": created,
        "write_date": later(created, ctx.rng),
    })
    if plan is not None and payment is not None:
        record_payment(ctx, plan, payment, move.line_ids[1], created)
    if matched_bank:
        outstanding_line = move.line_ids[0]

        def show_on_bank() -> None:
            bank_created = office_time(ctx.rng, bank_day)
            counterpart = {"account": OUTSTANDING_PAYMENTS, "balance": value, "amount_currency": amount,
                           "currency_id": currency_id, "partner_id": partner_id, "amount_residual": 0.0,
                           "amount_residual_currency": 0.0, "full_reconcile_id": out_full,
                           "matching_number": str(out_full)}
            foreign = currency_id if currency_id != EUR_ID else None
            bank_move, _ = ctx.book.add_line(date=bank_day, amount=-value, payment_ref=f"Payment {ref}",
                                             partner_id=partner_id, counterpart=counterpart,
                                             foreign_currency_id=foreign, amount_currency=-amount if foreign else None,
                                             created=bank_created)
            add_partial(ctx, partial_id=out_partial, debit_line=bank_move.line_ids[1], credit_line=outstanding_line,
                        amount=value, debit_amount_currency=amount, credit_amount_currency=amount,
                        debit_currency=currency_id, credit_currency=currency_id, max_date=bank_day,
                        full_id=out_full, created=bank_created)
            add_full(ctx, out_full, bank_created)

        ctx.schedule(bank_day, show_on_bank)
    return payment_id, move.id


def bank_pending_for(ctx: BuildContext) -> Callable[[ItemPlan], bool]:
    """A bill is ``in_payment`` while one of its payments has not reached the bank statement."""

    def pending(plan: ItemPlan) -> bool:
        return any(bank_date_for_payment(p.date, p.partial_id) > ctx.today for p in plan.payments)

    return pending
