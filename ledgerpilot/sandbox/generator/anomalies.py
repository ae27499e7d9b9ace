"""Injected anomalies, and look-alikes that are not anomalies, each labelled in the ground truth.

Every case is placed in a past month (2 to 8 months before today) on top of the normal flows and
built with the same functions, so it looks like the rest of the books except for what makes it odd.
Its vendor, amounts, references, days and hours are drawn per seed. A clean book
(``inject_anomalies`` off) draws the same cases and plants none of them: only the look-alikes.
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


def _when(ctx: BuildContext, months: tuple[int, int] = (2, 8)) -> dt.date:
    """A working day 2 to 8 months before today (drawn per seed)."""
    r = ctx.anomaly_rng
    return _day(ctx, r.randint(*months), r.randint(3, 25))


def _amount(ctx: BuildContext, low: float, high: float) -> float:
    return round(ctx.anomaly_rng.uniform(low, high), 2)


def bill_reference(ctx: BuildContext) -> str:
    """A vendor's invoice number as printed on its bill (drawn per seed)."""
    r = ctx.anomaly_rng
    word = r.choice(("FAC", "INV", "Invoice", "F", "SI", "Rechnung", "FV"))
    sep = r.choice((" ", "-", "/", ""))
    return f"{word}{sep}{ctx.today.year - r.choice((0, 1))}-{r.randint(10, 9999):04d}"


def reference_variant(ctx: BuildContext, reference: str) -> str:
    """The same reference typed differently: case, spacing and punctuation only."""
    r = ctx.anomaly_rng
    variants = [reference.lower().replace(" ", ""), reference.upper().replace("-", " "),
                reference.replace("-", "").replace(" ", ""), reference.replace("/", "-").lower(),
                " ".join(reference.replace("-", " ").split()).lower()]
    variants = [v for v in variants if v != reference] or [reference.lower() + " "]
    return r.choice(variants)


#: pairs (debited, credited) that the normal books never use together
_RARE_PAIRS = (("500000", "252000", "Cost of Goods Sold debited against Tax Payable"),
               ("630000", "141000", "Salaries debited against Prepaid Expenses"),
               ("681000", "212000", "Depreciation debited against Accrued Expenses"),
               ("613000", "151900", "Software Subscriptions debited against Accumulated Depreciation"))


def plant(ctx: BuildContext, day: dt.date, action) -> None:
    """Schedule an injected anomaly, unless the build is a clean book (``inject_anomalies`` off)."""
    if ctx.inject_anomalies:
        ctx.schedule(day, action)


def plan_anomalies(ctx: BuildContext) -> None:
    """Schedule every anomaly and look-alike (call before generating history).

    What each case is made of (vendors, amounts, references, days and hours) is drawn from the
    build's own anomaly stream, so every seed injects the same kinds in other shapes.
    """
    truth, r = ctx.truth, ctx.anomaly_rng
    trade = [v for v in ctx.partners["by_role"]["trade"] if v.currency_id == EUR_ID]
    services = ctx.partners["by_role"]["services"]
    expense = ctx.products["expense"]
    goods = ctx.products["goods"]
    eur_customers = [c for c in ctx.partners["customers"] if c.currency_id == EUR_ID]
    customers = [c for c in eur_customers if c.behaviour == "on_time"] or eur_customers
    supplies = expense["supplies"]

    def supplies_item(amount: float, label: str = "Office supplies") -> list[InvoiceItem]:
        return [InvoiceItem(label, 1.0, amount, supplies.account, supplies.id, "purchase15",
                            {str(ctx.analytic["dept:Administration"]): 100.0})]

    stray = trade[-1]  # taken out of the normal purchasing flow below: it never bills
    pool = trade[:-1]
    actors = r.sample(pool, min(7, len(pool)))
    while len(actors) < 7:  # a small company has fewer vendors than cases: some act twice
        actors.append(actors[len(actors) - 3])
    v1, v2, v3, weekend_vendor, jump_vendor, mismatch_vendor, on_account_vendor = actors

    # duplicate bills: same vendor and reference
    d = _when(ctx)
    dup_ref, dup_amount, dup_gap = bill_reference(ctx), _amount(ctx, 400, 4000), r.randint(3, 14)

    def dup_same_ref() -> None:
        first = add_bill(ctx, v1, d, supplies_item(dup_amount), ref=dup_ref)
        second = add_bill(ctx, v1, d + dt.timedelta(days=dup_gap), supplies_item(dup_amount), ref=dup_ref)
        truth.anomaly("duplicate_bill_same_reference", "account.move", [first.move.id, second.move.id],
                      f"Two bills from {v1.name} with the same reference {dup_ref} and amount: entered twice.")

    plant(ctx, d, dup_same_ref)
    d2, amount2, gap2 = _when(ctx), _amount(ctx, 400, 4000), r.randint(1, 6)

    def dup_same_amount() -> None:
        first = add_bill(ctx, v2, d2, supplies_item(amount2))
        second = add_bill(ctx, v2, d2 + dt.timedelta(days=gap2), supplies_item(amount2))
        truth.anomaly("duplicate_bill_same_amount", "account.move", [first.move.id, second.move.id],
                      f"Two bills from {v2.name} of the same amount {gap2} day(s) apart with different references.")

    plant(ctx, d2, dup_same_amount)
    d3, amount3, gap3 = _when(ctx), _amount(ctx, 300, 3000), r.randint(2, 12)
    ref3 = bill_reference(ctx)
    ref3b = reference_variant(ctx, ref3)

    def dup_variant() -> None:
        first = add_bill(ctx, v3, d3, supplies_item(amount3), ref=ref3)
        second = add_bill(ctx, v3, d3 + dt.timedelta(days=gap3), supplies_item(amount3), ref=ref3b)
        truth.anomaly("duplicate_bill_reference_variant", "account.move", [first.move.id, second.move.id],
                      f"Two bills from {v3.name} with the references {ref3!r} and {ref3b!r}: the same number typed "
                      "differently.")

    plant(ctx, d3, dup_variant)

    # a payment to a vendor with no open bill (never billed at all)
    ctx.partners["by_role"]["trade"] = [v for v in ctx.partners["by_role"]["trade"] if v is not stray]
    d4, amount4 = _when(ctx, (2, 6)), round(r.uniform(800, 6000), -1)
    ref4 = f"{r.choice(('Advance order', 'Deposit', 'Prepayment PO', 'Order'))} {r.randint(1000, 9999)}"
    ctx.notes["unbilled_vendor"].append(stray.id)

    def payment_no_bill() -> None:
        payment_id, move_id = pay_vendor(ctx, None, None, partner_id=stray.id, amount=amount4, currency_id=EUR_ID,
                                         day=d4, ref=ref4)
        truth.anomaly("payment_without_open_bill", "account.payment", [payment_id],
                      f"A payment of {amount4:,.2f} to {stray.name}, which has no open bill.", move_id=move_id,
                      amount=amount4)

    plant(ctx, d4, payment_no_bill)
    # a payment to a vendor that has open bills, none of them of that amount, never matched to any
    d4b, amount4b = _when(ctx, (2, 5)), round(r.uniform(900, 5000), -1) + 0.5
    ref4b = f"{r.choice(('Payment on account', 'Transfer', 'Settlement'))} {r.randint(100, 999)}"

    def payment_unmatched() -> None:
        payment_id, move_id = pay_vendor(ctx, None, None, partner_id=on_account_vendor.id, amount=amount4b,
                                         currency_id=EUR_ID, day=d4b, ref=ref4b)
        truth.anomaly("payment_without_open_bill", "account.payment", [payment_id],
                      f"A payment of {amount4b:,.2f} to {on_account_vendor.name} that no bill explains; the vendor "
                      "has other open bills of other amounts.", move_id=move_id, vendor_has_open_bills=True,
                      amount=amount4b)

    plant(ctx, d4b, payment_unmatched)

    # amounts far from the partner's history
    courier = next(v for v in services if v.name == "Swiftmove Couriers")
    d5, factor5 = _when(ctx), r.uniform(15, 35)
    amount5 = round(200 * factor5, 2)

    def bill_outlier() -> None:
        bill = add_bill(ctx, courier, d5, [InvoiceItem(expense["courier"].name, 1.0, amount5, "600000",
                                                       expense["courier"].id, "purchase15",
                                                       {str(ctx.analytic["dept:Operations"]): 100.0})])
        truth.anomaly("bill_amount_outlier", "account.move", [bill.move.id],
                      f"A bill from {courier.name} about {factor5:.0f} times its usual amount.")

    plant(ctx, d5, bill_outlier)
    utilities = ctx.partners["by_role"]["utilities"][0]
    d6, factor6 = _when(ctx), r.uniform(7, 14)
    amount6 = round(1450 * factor6, -2)
    ref6 = r.choice(("Utilities deposit", "Security deposit", "Annual advance", "Connection fee"))

    def payment_outlier() -> None:
        payment_id, move_id = pay_vendor(ctx, None, None, partner_id=utilities.id, amount=amount6,
                                         currency_id=EUR_ID, day=d6, ref=ref6)
        truth.anomaly("payment_amount_outlier", "account.payment", [payment_id],
                      f"A payment of {amount6:,.2f} to {utilities.name}, about {factor6:.0f} times its usual "
                      "monthly amount.", move_id=move_id)

    plant(ctx, d6, payment_outlier)

    # a credit note large relative to the original sale
    big = goods[r.randrange(len(goods))]
    d7, share7, qty7 = _when(ctx, (3, 7)), r.choice((0.75, 0.8, 0.85, 0.9)), float(r.choice((8, 10, 12, 15)))
    big_customer = customers[r.randrange(len(customers))]
    large = {}
    plant(ctx, d7, lambda: large.setdefault("order", sell(
        ctx, big_customer, d7, invoice_after_days=0, refund_share=share7, refund_after_days=r.randint(5, 15),
        lines=[OrderLine(big, qty7, big.price, {str(ctx.analytic["dept:Sales"]): 100.0})])))

    # manual entries with round amounts
    d8 = _when(ctx)
    round_pairs = list(zip(r.sample((5000.0, 10000.0, 15000.0, 20000.0, 25000.0, 40000.0, 50000.0), 2),
                           r.sample(("614000", "600000", "612000"), 2)))
    round_ref = r.choice(("Year-end provision", "Provision", "Adjustment per CFO", "Estimated costs"))

    def round_amounts() -> None:
        ids = []
        for amount, account in round_pairs:
            move = add_move(ctx, journal="MISC", date=d8, user="controller", ref=round_ref, lines=[
                {"account": account, "balance": amount, "name": "Provision",
                 "analytic_distribution": {str(ctx.analytic["dept:Administration"]): 100.0}},
                {"account": "212000", "balance": -amount, "name": "Provision"}])
            ids.append(move.id)
        truth.anomaly("round_amount_manual_entry", "account.move", ids,
                      "Manual entries for exactly " + " and ".join(f"{a:,.2f}" for a, _ in round_pairs)
                      + " with no supporting document.")

    plant(ctx, d8, round_amounts)

    # odd hour, weekend, unusual user
    d9, hour9, minute9, amount9 = _when(ctx), r.choice((0, 1, 2, 3, 4, 23)), r.randrange(60), _amount(ctx, 300, 5000)

    def odd_hour() -> None:
        move = add_move(ctx, journal="MISC", date=d9, user="controller", created=at(d9, hour9, minute9, 12),
                        ref="Adjustment", lines=[
                            {"account": "600000", "balance": amount9, "name": "Adjustment",
                             "analytic_distribution": {str(ctx.analytic["dept:Administration"]): 100.0}},
                            {"account": "212000", "balance": -amount9, "name": "Adjustment"}])
        truth.anomaly("posting_at_odd_hour", "account.move", [move.id],
                      f"An entry created at {hour9:02d}:{minute9:02d} at night.", hour=hour9, minute=minute9)

    plant(ctx, d9, odd_hour)
    weekend_day = add_months(ctx.current_month, -r.randint(2, 6)).replace(day=r.randint(1, 20))
    weekday = r.choice((5, 6))
    while weekend_day.weekday() != weekday:
        weekend_day += dt.timedelta(days=1)
    entered = weekend_day + dt.timedelta(days=1 if weekday == 5 and r.random() < 0.5 else 0)
    hour_w, amount_w = r.randint(9, 19), _amount(ctx, 200, 2500)

    def weekend() -> None:
        bill = add_bill(ctx, weekend_vendor, weekend_day, supplies_item(amount_w),
                        created=at(entered, hour_w, r.randrange(60)))
        truth.anomaly("posting_on_weekend", "account.move", [bill.move.id],
                      f"A vendor bill dated {weekend_day:%A %Y-%m-%d} and entered on {entered:%A} at {hour_w:02d}h.")

    plant(ctx, weekend_day, weekend)
    d10, amount10 = _when(ctx), round(r.uniform(500, 6000), r.choice((0, 2)))

    def unusual_user() -> None:
        move = add_move(ctx, journal="MISC", date=d10, user="clerk", ref="Reclassification", lines=[
            {"account": "600000", "balance": amount10, "name": "Reclassification",
             "analytic_distribution": {str(ctx.analytic["dept:Operations"]): 100.0}},
            {"account": "212000", "balance": -amount10, "name": "Reclassification"}])
        truth.anomaly("posting_by_unusual_user", "account.move", [move.id],
                      "A manual entry in Miscellaneous Operations by the billing clerk, who never posts there.")

    plant(ctx, d10, unusual_user)
    d11, amount11 = _when(ctx), _amount(ctx, 500, 6000)
    debit11, credit11, words11 = r.choice(_RARE_PAIRS)

    def rare_combination() -> None:
        move = add_move(ctx, journal="MISC", date=d11, user="controller", ref="Correction", lines=[
            {"account": debit11, "balance": amount11, "name": "Correction"},
            {"account": credit11, "balance": -amount11, "name": "Correction"}])
        truth.anomaly("rare_account_combination", "account.move", [move.id],
                      f"{words11}: a pair of accounts never used together.")

    plant(ctx, d11, rare_combination)
    _plan_novel(ctx, actors, customers, goods)

    # inventory: a unit cost far above history and the PO price; PO vs receipt vs bill quantities
    jump_product, mismatch_product, item = r.sample(goods, 3)
    d12, jump_factor, jump_qty = _when(ctx, (2, 6)), r.uniform(2.5, 4.0), float(r.choice((10, 20, 30, 40)))
    orders = {}
    plant(ctx, d12, lambda: orders.setdefault("jump", buy(
        ctx, jump_vendor, d12, lead_days=2, bill_after_days=2,
        lines=[PurchaseLine(jump_product, jump_qty, round(jump_product.cost, 2),
                            layer_unit_cost=round(jump_product.cost * jump_factor, 2))])))
    d13 = _when(ctx, (2, 6))
    ordered = float(r.choice((40, 60, 80, 100, 120)))
    received = float(round(ordered * r.uniform(0.6, 0.85)))
    plant(ctx, d13, lambda: orders.setdefault("mismatch", buy(
        ctx, mismatch_vendor, d13, lead_days=2, bill_after_days=3,
        lines=[PurchaseLine(mismatch_product, ordered, round(mismatch_product.cost, 2), received=received,
                            billed=ordered)])))

    # look-alikes: a credit note with a re-issued invoice; the monthly rent
    d14 = _when(ctx, (3, 6))
    reissue = {}
    reissue_customer = customers[(customers.index(big_customer) + 1) % len(customers)]

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
        _label_look_alikes()
        if not ctx.inject_anomalies:
            return
        order = large["order"]
        truth.anomaly("large_credit_note", "account.move", [order.refund.move.id, order.invoice.move.id],
                      f"A credit note for {share7:.0%} of the original sale (returns are usually 10-35%).",
                      sale_order_id=order.id)
        jump = orders["jump"]
        layer = jump.receipt.layer_ids[0]
        truth.anomaly("unit_cost_jump", "stock.valuation.layer", [layer],
                      f"{jump_product.name} received at {jump_factor:.1f} times its usual unit cost and above the "
                      "PO price.", purchase_order_id=jump.id, stock_move_id=jump.receipt.move_ids[0])
        mismatch = orders["mismatch"]
        truth.anomaly("quantity_mismatch", "purchase.order", [mismatch.id],
                      f"Ordered {ordered:g}, received {received:g}, billed {ordered:g}: the bill charges goods never "
                      "received.",
                      picking_id=mismatch.receipt.picking_id, bill_id=mismatch.bill.move.id, ordered=ordered,
                      received=received, billed=ordered)

    def _label_look_alikes() -> None:
        first, second = reissue["first"], reissue["second"]
        truth.not_anomaly("credit_note_and_reissue", "account.move",
                          [first.invoice.move.id, first.refund.move.id, second.invoice.move.id],
                          "An invoice fully credited and re-issued for the same amount: a correction, not a duplicate.")
        truth.not_anomaly("monthly_rent_same_amount", "account.move", list(ctx.notes["rent_bills"]),
                          "The monthly rent bill of exactly 5,000.00 from the same landlord.")

    ctx.notes["finalizers"].append(label_orders)


def _plan_novel(ctx: BuildContext, actors: list, customers: list, goods: list) -> None:
    """Anomalies no rule looks for (``ground_truth.NOVEL_ANOMALY_KINDS``), one of each kind: they
    judge what the unsupervised score finds on its own."""
    truth, r = ctx.truth, ctx.anomaly_rng
    vendor = actors[r.randrange(len(actors))]
    d1, amount1 = _when(ctx), _amount(ctx, 1200, 6000)

    def unusual_account() -> None:
        bill = add_bill(ctx, vendor, d1, [InvoiceItem("Consulting services", 1.0, amount1, "614000", None, "purchase15",
                                                      {str(ctx.analytic["dept:Administration"]): 100.0})])
        truth.anomaly("bill_on_unusual_account", "account.move", [bill.move.id],
                      f"A bill from {vendor.name}, a goods supplier, booked to Professional Fees.")

    plant(ctx, d1, unusual_account)
    d2, parts = _when(ctx), r.randint(9, 14)

    def split_entry() -> None:
        amounts = [_amount(ctx, 80, 900) for _ in range(parts)]
        lines = [{"account": r.choice(("600000", "612000", "613000", "614000")), "balance": a, "name": "Reallocation",
                  "analytic_distribution": {str(ctx.analytic["dept:Operations"]): 100.0}} for a in amounts]
        lines.append({"account": "212000", "balance": -round(sum(amounts), 2), "name": "Reallocation"})
        move = add_move(ctx, journal="MISC", date=d2, user="controller", ref="Reallocation", lines=lines)
        truth.anomaly("split_manual_entry", "account.move", [move.id],
                      f"A manual entry split into {parts} small expense lines against Accrued Expenses.")

    plant(ctx, d2, split_entry)
    d3, customer = _when(ctx), customers[r.randrange(len(customers))]
    product, cut = goods[r.randrange(len(goods))], r.uniform(0.15, 0.35)
    found = {}

    def price_cut() -> None:
        found["order"] = sell(ctx, customer, d3, invoice_after_days=0, lines=[
            OrderLine(product, float(r.choice((20, 30, 40))), round(product.price * cut, 2),
                      {str(ctx.analytic["dept:Sales"]): 100.0})])

    plant(ctx, d3, price_cut)

    def label() -> None:
        order = found["order"]
        truth.anomaly("invoice_price_cut", "account.move", [order.invoice.move.id],
                      f"An invoice to {customer.name} at {cut:.0%} of the list price of {product.name}.",
                      sale_order_id=order.id)

    if ctx.inject_anomalies:
        ctx.notes["finalizers"].append(label)
