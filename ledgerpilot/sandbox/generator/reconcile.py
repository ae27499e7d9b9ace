"""Settlement planning: which payments close an open item, and the reconciliation records.

An invoice's receivable (or a bill's payable) line is an *open item*. When the invoice is made the
generator already knows when its customer will pay (``partners.py`` behaviours), so the item's
final state as of "today" is planned up front: the payments dated on or before today, the
``account.partial.reconcile`` ids they will use, the ``account.full.reconcile`` id when the item is
fully paid, and the exchange difference when a foreign-currency item was paid at another rate.
The payment side (bank lines, vendor payments) then writes those records when its day comes.

Odoo 17 conventions reproduced here:
- ``amount_residual`` = balance minus what partials matched (in EUR), ``amount_residual_currency``
  likewise in the line's currency; ``reconciled`` when both are zero;
- ``matching_number`` is the full reconcile id (as text) or ``P`` + the smallest partial id;
- a foreign-currency item settled in full whose EUR residual remains gets an exchange difference
  entry in the EXCH journal, reconciled with it, and the full reconcile names it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ledgerpilot.sandbox.generator.context import EUR_ID, BuildContext
from ledgerpilot.sandbox.generator.moves import add_move

EXCHANGE_GAIN = "441000"
EXCHANGE_LOSS = "641000"


@dataclass
class PlannedPayment:
    date: dt.date
    amount_currency: float  # positive, in the item's currency
    value: float  # positive EUR value of the payment at its date
    matched: float  # positive EUR amount the partial reconciles
    partial_id: int
    source: str = "bank"  # "bank" (a transfer) or "refund" (a credit note settles the item)


@dataclass
class ItemPlan:
    """The planned life of one open item (receivable or payable line)."""

    sign: int  # +1 debit item (receivable), -1 credit item (payable)
    balance: float
    amount_currency: float
    currency_id: int
    payments: list[PlannedPayment] = field(default_factory=list)
    full_id: int | None = None
    exchange_diff: float = 0.0  # EUR left after the currency amount is fully paid (signed as the item)
    exchange_partial_id: int | None = None
    line_id: int | None = None
    unmatched: list[tuple[dt.date, float]] = field(default_factory=list)  # paid, not yet matched by the bank clerk
    account: str = ""
    partner_id: int | None = None

    @property
    def residual(self) -> float:
        matched = sum(p.matched for p in self.payments)
        if self.exchange_diff > 0:
            matched += self.exchange_diff
        return round(self.balance - self.sign * matched, 2)

    @property
    def residual_currency(self) -> float:
        return round(self.amount_currency - self.sign * sum(p.amount_currency for p in self.payments), 2)

    @property
    def fully_paid(self) -> bool:
        return self.full_id is not None

    @property
    def matching_number(self) -> str | None:
        if self.full_id is not None:
            return str(self.full_id)
        ids = [p.partial_id for p in self.payments]
        return f"P{min(ids)}" if ids else None

    def line_fields(self) -> dict[str, Any]:
        """Residual and matching fields of the item line, as of today."""
        return {
            "amount_residual": self.residual,
            "amount_residual_currency": self.residual_currency,
            "full_reconcile_id": self.full_id,
            "matching_number": self.matching_number,
        }


def plan_item(ctx: BuildContext, *, sign: int, balance: float, amount_currency: float, currency_id: int,
              schedule: list[tuple], account: str, partner_id: int | None) -> ItemPlan:
    """Plan an item's settlement from ``schedule``: ``(date, amount in currency[, source])`` tuples.

    ``source`` is "bank" (default), "refund" (a credit note settles it) or "unmatched" (the money
    arrived but the bank line still waits in the suspense account, so the item stays open).
    Payments after today are dropped: the item is still open in the books of "today".
    """
    plan = ItemPlan(sign, round(balance, 2), round(amount_currency, 2), currency_id, account=account,
                    partner_id=partner_id)
    remaining_cur = abs(plan.amount_currency)
    remaining_eur = abs(plan.balance)
    for entry in sorted(schedule, key=lambda e: e[0]):
        day, amount, source = entry[0], entry[1], (entry[2] if len(entry) > 2 else "bank")
        if day > ctx.today or remaining_cur < 0.005:
            continue
        if source == "unmatched":
            plan.unmatched.append((day, round(min(amount, remaining_cur), 2)))
            continue
        amount = round(min(amount, remaining_cur), 2)
        if amount < 0.005:
            continue
        remaining_cur = round(remaining_cur - amount, 2)
        value = ctx.to_eur(amount, currency_id, day)
        if currency_id == EUR_ID:
            matched = value
        else:
            matched = round(min(value, remaining_eur), 2)
        remaining_eur = round(remaining_eur - matched, 2)
        plan.payments.append(PlannedPayment(day, amount, value, matched, ctx.ledger.reserve("account.partial.reconcile"),
                                            source))
    if plan.payments and remaining_cur < 0.005:
        paid_value = sum(p.value for p in plan.payments)
        diff = round(abs(plan.balance) - paid_value, 2)
        if abs(diff) >= 0.005:
            plan.exchange_diff = diff
            plan.exchange_partial_id = ctx.ledger.reserve("account.partial.reconcile")
        plan.full_id = ctx.ledger.reserve("account.full.reconcile")
    return plan


def add_partial(ctx: BuildContext, *, partial_id: int, debit_line: int, credit_line: int, amount: float,
                debit_amount_currency: float, credit_amount_currency: float, debit_currency: int,
                credit_currency: int, max_date: dt.date, full_id: int | None, created: str,
                exchange_move_id: int | None = None) -> None:
    ctx.ledger.add("account.partial.reconcile", {
        "id": partial_id,
        "debit_move_id": debit_line,
        "credit_move_id": credit_line,
        "amount": round(amount, 2),
        "debit_amount_currency": round(debit_amount_currency, 2),
        "credit_amount_currency": round(credit_amount_currency, 2),
        "debit_currency_id": debit_currency,
        "credit_currency_id": credit_currency,
        "company_id": ctx.company_id,
        "max_date": max_date,
        "full_reconcile_id": full_id,
        "exchange_move_id": exchange_move_id,
        "create_uid": ctx.users["clerk"],
        "write_uid": ctx.users["clerk"],
        "create_date": created,
        "write_date": created,
    })


def add_full(ctx: BuildContext, full_id: int, created: str, exchange_move_id: int | None = None) -> None:
    ctx.ledger.add("account.full.reconcile", {
        "id": full_id,
        "exchange_move_id": exchange_move_id,
        "create_uid": ctx.users["clerk"],
        "write_uid": ctx.users["clerk"],
        "create_date": created,
        "write_date": created,
    })


def payment_counterpart_fields(plan: ItemPlan) -> dict[str, Any]:
    """The fields of a payment's line on the item's account: fully used by the item, so settled."""
    return {
        "amount_residual": 0.0,
        "amount_residual_currency": 0.0,
        "full_reconcile_id": plan.full_id,
        "matching_number": plan.matching_number,
    }


def record_payment(ctx: BuildContext, plan: ItemPlan, payment: PlannedPayment, counterpart_line: int,
                   created: str) -> None:
    """Write the partial between the item and a payment line; close the item after its last payment."""
    if plan.line_id is None:
        raise ValueError("the open item must be written before its payments")
    item_is_debit = plan.sign > 0
    add_partial(
        ctx,
        partial_id=payment.partial_id,
        debit_line=plan.line_id if item_is_debit else counterpart_line,
        credit_line=counterpart_line if item_is_debit else plan.line_id,
        amount=payment.matched,
        debit_amount_currency=payment.amount_currency,
        credit_amount_currency=payment.amount_currency,
        debit_currency=plan.currency_id,
        credit_currency=plan.currency_id,
        max_date=payment.date,
        full_id=plan.full_id,
        created=created,
    )
    if payment is plan.payments[-1] and plan.full_id is not None:
        exchange_move_id = None
        if plan.exchange_partial_id is not None:
            exchange_move_id = _exchange_difference(ctx, plan, payment, counterpart_line, created)
        add_full(ctx, plan.full_id, created, exchange_move_id)


def _exchange_difference(ctx: BuildContext, plan: ItemPlan, payment: PlannedPayment, counterpart_line: int,
                         created: str) -> int:
    """The EXCH entry that clears the EUR left on a foreign-currency item paid at another rate."""
    diff = plan.exchange_diff
    s = plan.sign
    pnl = s * diff  # debit on the P&L line = loss
    move = add_move(
        ctx,
        journal="EXCH",
        date=payment.date,
        partner_id=plan.partner_id,
        user="clerk",
        created=created,
        lines=[
            {"account": plan.account, "balance": -s * diff, "amount_currency": 0.0, "currency_id": plan.currency_id,
             "name": "Currency exchange rate difference", "amount_residual": 0.0, "amount_residual_currency": 0.0,
             "full_reconcile_id": plan.full_id, "matching_number": str(plan.full_id)},
            {"account": EXCHANGE_LOSS if pnl > 0 else EXCHANGE_GAIN, "balance": pnl, "amount_currency": 0.0,
             "currency_id": plan.currency_id, "name": "Currency exchange rate difference"},
        ],
        currency_id=plan.currency_id,
    )
    exch_line = move.line_ids[0]
    if diff > 0:  # the item kept EUR: the exchange line settles the item
        pair = (plan.line_id, exch_line) if s > 0 else (exch_line, plan.line_id)
    else:  # the payment brought more EUR: the exchange line settles the payment line
        pair = (exch_line, counterpart_line) if s > 0 else (counterpart_line, exch_line)
    add_partial(ctx, partial_id=plan.exchange_partial_id, debit_line=pair[0], credit_line=pair[1],
                amount=abs(diff), debit_amount_currency=0.0, credit_amount_currency=0.0,
                debit_currency=plan.currency_id, credit_currency=plan.currency_id, max_date=payment.date,
                full_id=plan.full_id, created=created, exchange_move_id=move.id)
    return move.id
