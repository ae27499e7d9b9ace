"""Injected anomalies, and look-alikes that are not anomalies, each labelled in the ground truth.

Every case is placed in a past month (2 to 8 months before today) on top of the normal flows and
built with the same functions, so it looks like the rest of the books except for what makes it odd.
"""

from __future__ import annotations

import datetime as dt

from ledgerpilot.sandbox.generator.bank import pay_vendor
from ledgerpilot.sandbox.generator.context import EUR_ID, BuildContext
from ledgerpilot.sandbox.generator.invoices import InvoiceItem
from ledgerpilot.sandbox.generator.moves import add_move
from ledgerpilot.sandbox.generator.purchases import PurchaseLine, add_bill, buy
from ledgerpilot.sandbox.generator.sales import OrderLine, sell
from ledgerpilot.sandbox.generator.timestamps import add_months, at, shift_weekday


def _day(ctx: BuildContext, months_ago: int, day: int) -> dt.date:
    return shift_weekday(add_months(ctx.current_month, -months_ago).replace(day=day))


def plan_anomalies(ctx: BuildContext) -> None:
    """Schedule every anomaly and look-alike (call before generating history)."""
    truth = ctx.truth
    trade = [v for v in ctx.partners["by_role"]["trade"] if v.currency_id == EUR_ID]
    services = ctx.partners["by_role"]["services"]
    expense = ctx.products["expense"]
    goods = ctx.products["goods"]
    customers = [c for c in ctx.partners["customers"] if c.currency_id == EUR_ID and c.behaviour == "on_time"]
    supplies = expense["supplies"]

    def supplies_item(amount: float, label: str = "Office supplies") -> list[InvoiceItem]:
        return [InvoiceItem(label, 1.0, amount, supplies.account, supplies.id, "purchase15",
                            {str(ctx.analytic["dept:Administration"]): 100.0})]

    # duplicate bills: same vendor and reference
    v1, v2, v3 = trade[0], trade[1], trade[2]
    d = _day(ctx, 3, 6)

    def dup_same_ref() -> None:
        first = add_bill(ctx, v1, d, supplies_item(1843.20), ref="DUP-7781")
        second = add_bill(ctx, v1, d + dt.timedelta(days=8), supplies_item(1843.20), ref="DUP-7781")
        truth.anomaly("duplicate_bill_same_reference", "account.move", [first.move.id, second.move.id],
                      f"Two bills from {v1.name} with the same reference DUP-7781 and amount: entered twice.")

    ctx.schedule(d, dup_same_ref)
    d2 = _day(ctx, 4, 12)

    def dup_same_amount() -> None:
        first = add_bill(ctx, v2, d2, supplies_item(2637.45))
        second = add_bill(ctx, v2, d2 + dt.timedelta(days=3), supplies_item(2637.45))
        truth.anomaly("duplicate_bill_same_amount", "account.move", [first.move.id, second.move.id],
                      f"Two bills from {v2.name} of the same amount three days apart with different references.")

    ctx.schedule(d2, dup_same_amount)
    d3 = _day(ctx, 5, 15)

    def dup_variant() -> None:
        first = add_bill(ctx, v3, d3, supplies_item(968.30), ref="FAC 2024-0456")
        second = add_bill(ctx, v3, d3 + dt.timedelta(days=6), supplies_item(968.30), ref="fac2024-0456")
        truth.anomaly("duplicate_bill_reference_variant", "account.move", [first.move.id, second.move.id],
                      f"Two bills from {v3.name} whose references differ only in spacing and case.")

    ctx.schedule(d3, dup_variant)

    # a payment to a vendor with no open bill (never billed at all)
    stray = trade[-1]  # taken out of the normal purchasing flow below: it never bills
    ctx.partners["by_role"]["trade"] = [v for v in ctx.partners["by_role"]["trade"] if v is not stray]
    d4 = _day(ctx, 2, 10)
    ctx.notes["unbilled_vendor"].append(stray.id)

    def payment_no_bill() -> None:
        payment_id, move_id = pay_vendor(ctx, None, None, partner_id=stray.id, amount=2340.00, currency_id=EUR_ID,
                                         day=d4, ref="Advance order 2291")
        truth.anomaly("payment_without_open_bill", "account.payment", [payment_id],
                      f"A payment of 2,340.00 to {stray.name}, which has no open bill.", move_id=move_id)

    ctx.schedule(d4, payment_no_bill)

    # amounts far from the partner's history
    courier = next(v for v in services if v.name == "Swiftmove Couriers")
    d5 = _day(ctx, 6, 18)

    def bill_outlier() -> None:
        bill = add_bill(ctx, courier, d5, [InvoiceItem(expense["courier"].name, 1.0, 5480.00, "600000",
                                                       expense["courier"].id, "purchase15",
                                                       {str(ctx.analytic["dept:Operations"]): 100.0})])
        truth.anomaly("bill_amount_outlier", "account.move", [bill.move.id],
                      f"A bill from {courier.name} about 25 times its usual amount.")

    ctx.schedule(d5, bill_outlier)
    utilities = ctx.partners["by_role"]["utilities"][0]
    d6 = _day(ctx, 7, 21)

    def payment_outlier() -> None:
        payment_id, move_id = pay_vendor(ctx, None, None, partner_id=utilities.id, amount=14500.00,
                                         currency_id=EUR_ID, day=d6, ref="Utilities deposit")
        truth.anomaly("payment_amount_outlier", "account.payment", [payment_id],
                      f"A payment of 14,500.00 to {utilities.name}, ten times its usual monthly amount.",
                      move_id=move_id)

    ctx.schedule(d6, payment_outlier)

    # a credit note large relative to the original sale
    big = goods[1]
    d7 = _day(ctx, 5, 7)
    big_customer = customers[0]
    large = {}
    ctx.schedule(d7, lambda: large.setdefault("order", sell(
        ctx, big_customer, d7, invoice_after_days=0, refund_share=0.9, refund_after_days=9,
        lines=[OrderLine(big, 10.0, big.price, {str(ctx.analytic["dept:Sales"]): 100.0})])))

    # manual entries with round amounts
    d8 = _day(ctx, 4, 24)

    def round_amounts() -> None:
        ids = []
        for amount, account in ((10000.0, "614000"), (25000.0, "600000")):
            move = add_move(ctx, journal="MISC", date=d8, user="controller", ref="Year-end provision", lines=[
                {"account": account, "balance": amount, "name": "Provision",
                 "analytic_distribution": {str(ctx.analytic["dept:Administration"]): 100.0}},
                {"account": "212000", "balance": -amount, "name": "Provision"}])
            ids.append(move.id)
        truth.anomaly("round_amount_manual_entry", "account.move", ids,
                      "Manual entries for exactly 10,000.00 and 25,000.00 with no supporting document.")

    ctx.schedule(d8, round_amounts)

    # odd hour, weekend, unusual user
    d9 = _day(ctx, 3, 13)

    def odd_hour() -> None:
        move = add_move(ctx, journal="MISC", date=d9, user="controller", created=at(d9, 2, 37, 12),
                        ref="Adjustment", lines=[
                            {"account": "600000", "balance": 1234.56, "name": "Adjustment",
                             "analytic_distribution": {str(ctx.analytic["dept:Administration"]): 100.0}},
                            {"account": "212000", "balance": -1234.56, "name": "Adjustment"}])
        truth.anomaly("posting_at_odd_hour", "account.move", [move.id], "An entry created at 02:37 at night.")

    ctx.schedule(d9, odd_hour)
    saturday = add_months(ctx.current_month, -2).replace(day=1)
    while saturday.weekday() != 5:
        saturday += dt.timedelta(days=1)

    def weekend() -> None:
        bill = add_bill(ctx, trade[3], saturday, supplies_item(743.10), created=at(saturday + dt.timedelta(days=1), 14, 10))
        truth.anomaly("posting_on_weekend", "account.move", [bill.move.id],
                      "A vendor bill dated on a Saturday and entered on the Sunday.")

    ctx.schedule(saturday, weekend)
    d10 = _day(ctx, 6, 9)

    def unusual_user() -> None:
        move = add_move(ctx, journal="MISC", date=d10, user="clerk", ref="Reclassification", lines=[
            {"account": "600000", "balance": 3150.00, "name": "Reclassification",
             "analytic_distribution": {str(ctx.analytic["dept:Operations"]): 100.0}},
            {"account": "212000", "balance": -3150.00, "name": "Reclassification"}])
        truth.anomaly("posting_by_unusual_user", "account.move", [move.id],
                      "A manual entry in Miscellaneous Operations by the billing clerk, who never posts there.")

    ctx.schedule(d10, unusual_user)
    d11 = _day(ctx, 8, 16)

    def rare_combination() -> None:
        move = add_move(ctx, journal="MISC", date=d11, user="controller", ref="Correction", lines=[
            {"account": "500000", "balance": 2775.40, "name": "Correction"},
            {"account": "252000", "balance": -2775.40, "name": "Correction"}])
        truth.anomaly("rare_account_combination", "account.move", [move.id],
                      "Cost of Goods Sold debited against Tax Payable: a pair of accounts never used together.")

    ctx.schedule(d11, rare_combination)

    # inventory: a unit cost far above history and the PO price; PO vs receipt vs bill quantities
    jump_product = goods[2]
    d12 = _day(ctx, 3, 20)
    orders = {}
    ctx.schedule(d12, lambda: orders.setdefault("jump", buy(
        ctx, trade[4], d12, lead_days=2, bill_after_days=2,
        lines=[PurchaseLine(jump_product, 20.0, round(jump_product.cost, 2),
                            layer_unit_cost=round(jump_product.cost * 3.2, 2))])))
    mismatch_product = goods[3]
    d13 = _day(ctx, 2, 14)
    ctx.schedule(d13, lambda: orders.setdefault("mismatch", buy(
        ctx, trade[0], d13, lead_days=2, bill_after_days=3,
        lines=[PurchaseLine(mismatch_product, 100.0, round(mismatch_product.cost, 2), received=80.0, billed=100.0)])))

    # look-alikes: a credit note with a re-issued invoice; the monthly rent
    d14 = _day(ctx, 4, 5)
    reissue = {}
    reissue_customer = customers[1 % len(customers)]
    item = goods[4]

    def first_sale() -> None:
        line = OrderLine(item, 6.0, item.price, {str(ctx.analytic["dept:Sales"]): 100.0})
        reissue["first"] = sell(ctx, reissue_customer, d14, invoice_after_days=0, refund_share=1.0,
                                refund_after_days=6, lines=[line])
        again = shift_weekday(shift_weekday(d14) + dt.timedelta(days=6))
        ctx.schedule(again, lambda: reissue.setdefault("second", sell(
            ctx, reissue_customer, again, invoice_after_days=0,
            lines=[OrderLine(item, 6.0, item.price, {str(ctx.analytic["dept:Sales"]): 100.0})])))

    ctx.schedule(d14, first_sale)

    def label_orders() -> None:
        order = large["order"]
        truth.anomaly("large_credit_note", "account.move", [order.refund.move.id, order.invoice.move.id],
                      "A credit note for 90% of the original sale (returns are usually 10-35%).",
                      sale_order_id=order.id)
        jump = orders["jump"]
        layer = jump.receipt.layer_ids[0]
        truth.anomaly("unit_cost_jump", "stock.valuation.layer", [layer],
                      f"{jump_product.name} received at 3.2 times its usual unit cost and above the PO price.",
                      purchase_order_id=jump.id, stock_move_id=jump.receipt.move_ids[0])
        mismatch = orders["mismatch"]
        truth.anomaly("quantity_mismatch", "purchase.order", [mismatch.id],
                      "Ordered 100, received 80, billed 100: the bill charges goods never received.",
                      picking_id=mismatch.receipt.picking_id, bill_id=mismatch.bill.move.id)
        first, second = reissue["first"], reissue["second"]
        truth.not_anomaly("credit_note_and_reissue", "account.move",
                          [first.invoice.move.id, first.refund.move.id, second.invoice.move.id],
                          "An invoice fully credited and re-issued for the same amount: a correction, not a duplicate.")
        truth.not_anomaly("monthly_rent_same_amount", "account.move", list(ctx.notes["rent_bills"]),
                          "The monthly rent bill of exactly 5,000.00 from the same landlord.")

    ctx.notes["finalizers"].append(label_orders)
