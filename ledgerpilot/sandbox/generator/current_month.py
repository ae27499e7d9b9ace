"""The unfinished current month (and a little of the previous one): open orders into the
future, drafts, goods received not billed, and the close defects the ground truth labels."""

from __future__ import annotations

import datetime as dt
from functools import partial

from ledgerpilot.sandbox.generator.analytics import ANALYTIC_REQUIRED_ACCOUNTS
from ledgerpilot.sandbox.generator.context import BuildContext
from ledgerpilot.sandbox.generator.invoices import InvoiceItem, add_invoice
from ledgerpilot.sandbox.generator.moves import add_move
from ledgerpilot.sandbox.generator.purchases import add_bill, buy
from ledgerpilot.sandbox.generator.sales import sell
from ledgerpilot.sandbox.generator.timestamps import add_months, shift_weekday


def _working_days(start: dt.date, last: dt.date) -> list[dt.date]:
    days = [start + dt.timedelta(days=i) for i in range((last - start).days + 1)]
    return [d for d in days if d.weekday() < 5] or [last]


def _last_working_days(before: dt.date, count: int) -> list[dt.date]:
    out, day = [], before
    while len(out) < count:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            out.append(day)
    return out


def plan_current_month(ctx: BuildContext) -> None:
    """Schedule the current month's open work and defects (call before generating history)."""
    rng = ctx.rng
    month = ctx.current_month
    period = f"{month:%Y-%m}"
    prev = add_months(month, -1)
    prev_period = f"{prev:%Y-%m}"
    days = _working_days(month, ctx.today)
    customers = [c for c in ctx.partners["customers"] if c.behaviour != "defaulting"]
    trade = ctx.partners["by_role"]["trade"]

    # open sales orders: confirmed now, delivery committed in the coming weeks, not yet invoiced
    for _ in range(ctx.sizes.open_sale_orders):
        day = rng.choice(_working_days(max(month - dt.timedelta(days=14), ctx.start), ctx.today))
        commitment = ctx.today + dt.timedelta(days=rng.randint(5, 45))
        order_day = day
        ctx.schedule(order_day, partial(sell, ctx, rng.choice(customers), order_day,
                                        invoice_after_days=(commitment - order_day).days, commitment=commitment))
    # open purchase orders: confirmed, receipt planned ahead
    for _ in range(ctx.sizes.open_purchase_orders):
        day = rng.choice(days)
        lead = (ctx.today - day).days + rng.randint(3, 30)
        ctx.schedule(day, partial(buy, ctx, rng.choice(trade), day, lead_days=lead))
    # goods received, bill not yet in (received on the order day, so even on the 1st there are some)
    grni_orders: list = []
    receipt_days = [d for d in days if d.weekday() < 5] or _last_working_days(ctx.today, 3)
    for _ in range(max(2, ctx.sizes.open_purchase_orders // 3)):
        day = rng.choice(receipt_days)

        def order_received(day: dt.date = day) -> None:
            grni_orders.append(buy(ctx, rng.choice(trade), day, lead_days=0, bill_after_days=60))

        ctx.schedule(day, order_received)

    def label_grni() -> None:
        received = [o for o in grni_orders if o.receipt is not None and o.bill is None]
        ctx.truth.defect("goods_received_not_billed", period, "purchase.order", [o.id for o in received],
                         "Goods received this month whose vendor bill has not arrived: accrue the received value.",
                         picking_ids=[o.receipt.picking_id for o in received])

    ctx.notes["finalizers"].append(label_grni)

    # draft moves in the period (two customer invoices and a manual entry) and one left in the previous month
    draft_day = days[-1]
    customer = customers[0]
    goods = ctx.products["goods"][0]

    def drafts() -> None:
        ids = []
        for qty in (3.0, 7.0):
            inv = add_invoice(ctx, move_type="out_invoice", partner_id=customer.id, invoice_date=draft_day,
                              items=[InvoiceItem(goods.name, qty, goods.price, "400000", goods.id, "sale15",
                                                 None)], term_key=customer.term, payer=None, state="draft",
                              currency_id=customer.currency_id)
            ids.append(inv.move.id)
        entry = add_move(ctx, journal="MISC", date=draft_day, state="draft", user="controller",
                         ref="Reclass marketing costs", lines=[
                             {"account": "614000", "balance": 820.0, "name": "Reclass to professional fees"},
                             {"account": "600000", "balance": -820.0, "name": "Reclass to professional fees"}])
        ids.append(entry.id)
        ctx.truth.defect("draft_move_in_period", period, "account.move", ids,
                         "Draft entries dated in the period: post or delete them before closing.")

    ctx.schedule(draft_day, drafts)
    prev_day = shift_weekday(prev + dt.timedelta(days=20))

    def prev_draft() -> None:
        entry = add_move(ctx, journal="MISC", date=prev_day, state="draft", user="controller", ref="Insurance split",
                         lines=[{"account": "600000", "balance": 430.0, "name": "Insurance Q4 share"},
                                {"account": "141000", "balance": -430.0, "name": "Insurance Q4 share"}])
        ctx.truth.defect("draft_move_in_period", prev_period, "account.move", [entry.id],
                         "A draft entry left in the previous (closed) month.")

    ctx.schedule(prev_day, prev_draft)

    # expense lines without the analytic distribution their accounts require
    services = ctx.partners["by_role"]["services"][0]
    expense = ctx.products["expense"]
    no_analytic_day = days[len(days) // 2]

    def missing_analytic() -> None:
        ids = []
        for amount in (312.40, 1185.00):
            bill = add_bill(ctx, services, no_analytic_day, [
                InvoiceItem(expense["legal"].name, 1.0, amount, "614000", expense["legal"].id, "purchase15", None)],
                user="clerk")
            ids.append(bill.product_line_ids[0])
        ctx.truth.defect("missing_analytic_distribution", period, "account.move.line", ids,
                         "Expense lines posted without the department the expense accounts require.",
                         required_on_accounts=list(ANALYTIC_REQUIRED_ACCOUNTS))

    ctx.schedule(no_analytic_day, missing_analytic)

    # a bill paid today: the payment is sent, the bank has not shown it yet (``in_payment``)
    courier = next(v for v in ctx.partners["by_role"]["services"] if v.name == "Swiftmove Couriers")
    paid_day = days[max(0, len(days) - 4)]
    ctx.schedule(paid_day, partial(
        add_bill, ctx, courier, paid_day,
        [InvoiceItem(expense["courier"].name, 1.0, 264.90, "600000", expense["courier"].id, "purchase15",
                     {str(ctx.analytic["dept:Operations"]): 100.0})],
        payer=lambda due, amount: [(ctx.today, amount)]))

    # receivable control account vs subledger: entries on 121000 without a partner
    def receivable_without_partner(day: dt.date, amount: float, period_label: str) -> None:
        entry = add_move(ctx, journal="MISC", date=day, user="controller", ref="Correction customer balance",
                         lines=[{"account": "121000", "balance": amount, "name": "Customer balance correction",
                                 "partner_id": None},
                                {"account": "442000", "balance": -amount, "name": "Customer balance correction"}])
        ctx.truth.defect("receivable_subledger_difference", period_label, "account.move.line", [entry.line_ids[0]],
                         "A manual entry on the receivable account without a partner: the receivable control "
                         "account no longer equals the sum of customer balances.", amount=amount)

    ctx.schedule(days[0], partial(receivable_without_partner, days[0], 1250.00, period))
    ctx.schedule(shift_weekday(prev + dt.timedelta(days=9)),
                 partial(receivable_without_partner, shift_weekday(prev + dt.timedelta(days=9)), 480.00, prev_period))

    # an unmatched bank line left from the previous month (the rest arrive this month, see sales.py)
    prev_line_day = shift_weekday(prev + dt.timedelta(days=17))

    def prev_unreconciled() -> None:
        _move, st_id = ctx.book.add_line(date=prev_line_day, amount=615.75, payment_ref="TRANSFER REF 88231 UNKNOWN",
                                         partner_id=None, counterpart={"balance": -615.75}, reconciled=False)
        ctx.truth.defect("unreconciled_bank_line", prev_period, "account.bank.statement.line", [st_id],
                         "A bank line of the previous month nobody matched (unknown payer).")

    ctx.schedule(prev_line_day, prev_unreconciled)

    # a card settlement nobody has matched yet (so the period has one even on its first day)
    card_day = days[-1]

    def card_settlement() -> None:
        _move, st_id = ctx.book.add_line(date=card_day, amount=318.40, payment_ref="CARD SETTLEMENT 4471 BATCH 0092",
                                         partner_id=None, counterpart={"balance": -318.40}, reconciled=False)
        ctx.notes["unreconciled_bank_lines"].append(st_id)

    ctx.schedule(card_day, card_settlement)

    def label_current() -> None:
        lines = [st for st in ctx.notes["unreconciled_bank_lines"]]
        ctx.truth.defect("unreconciled_bank_line", period, "account.bank.statement.line", lines,
                         "Bank lines of the period still on the suspense account.")
        suspense = ctx.store.conn.execute(
            "SELECT COALESCE(ROUND(SUM(balance), 2), 0) FROM account_move_line WHERE account_id = ? AND parent_state = 'posted'",
            (ctx.accounts["101402"],)).fetchone()[0]
        ctx.truth.defect("suspense_balance", period, "account.account", [ctx.accounts["101402"]],
                         "The bank suspense account has a balance: unmatched bank lines.", balance=suspense)
        idle = [jid for (jid,) in ctx.store.conn.execute(
            "SELECT j.id FROM account_journal j WHERE NOT EXISTS (SELECT 1 FROM account_move m WHERE "
            "m.journal_id = j.id AND m.state = 'posted' AND m.date >= ?) ORDER BY j.id", (month.isoformat(),))]
        ctx.truth.defect("journal_without_moves", period, "account.journal", idle,
                         "Journals with no posted entry this month; the cash journal had entries every month "
                         "before (cash count not booked).", injected=ctx.journals["CSH1"])
        vendors = ctx.notes["missing_accrual_vendor"]
        ctx.truth.defect("missing_accrual", period, "res.partner", list(vendors),
                         "A recurring vendor (monthly utilities) has no bill this month and no accrual was booked.")

    ctx.notes["late_finalizers"].append(label_current)
