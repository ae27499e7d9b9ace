"""Purchases: orders -> receipts -> vendor bills -> vendor payments; and service/expense bills.

The company pays its vendors on the due date (a day or two early at times) through
``account.payment`` records that the bank statement clears the next working day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import partial

from ledgerpilot.sandbox.generator.analytics import DEPARTMENTS, dept
from ledgerpilot.sandbox.generator.bank import bank_pending_for, pay_vendor
from ledgerpilot.sandbox.generator.context import COMPANY_ID, EUR_ID, BuildContext
from ledgerpilot.sandbox.generator.invoices import TAX_RATE, Invoice, InvoiceItem, add_invoice
from ledgerpilot.sandbox.generator.partners import Vendor
from ledgerpilot.sandbox.generator.products import Product
from ledgerpilot.sandbox.generator.stock import StockLine, Transfer, transfer
from ledgerpilot.sandbox.generator.timestamps import later, office_time, shift_weekday


@dataclass
class PurchaseLine:
    product: Product
    quantity: float
    price_unit: float  # in the order currency
    received: float | None = None  # defaults to quantity
    billed: float | None = None  # defaults to received
    layer_unit_cost: float | None = None  # EUR unit cost the receipt records (defaults to the price)
    analytic: dict[str, float] | None = None  # analytic_distribution of the order line


@dataclass
class PurchaseOrder:
    id: int
    name: str
    vendor: Vendor
    day: dt.date
    lines: list[PurchaseLine]
    line_ids: list[int]
    receipt: Transfer | None = None
    bill: Invoice | None = None
    extra: dict = field(default_factory=dict)


def vendor_ref(ctx: BuildContext, vendor: Vendor, day: dt.date) -> str:
    number = ctx.notes.setdefault(f"ref:{vendor.id}", [0])
    number[0] += 1
    return f"{vendor.ref_prefix}{day.year}-{number[0] + 100 * (vendor.id % 7):05d}"


def company_payer(ctx: BuildContext, bill_day: dt.date, early_days: tuple[int, ...] = (0, 0, 0, 1, 2)):
    """The company pays on the due date (sometimes a little early), never before the bill."""
    rng = ctx.rng

    def payer(due: dt.date, amount: float) -> list[tuple]:
        day = due - dt.timedelta(days=rng.choice(early_days))
        day = shift_weekday(max(day, bill_day))
        return [(day, amount)]

    return payer


def schedule_vendor_payments(ctx: BuildContext, bill: Invoice, vendor: Vendor, ref: str) -> None:
    for plan in bill.plans:
        for payment in plan.payments:
            ctx.schedule(payment.date, partial(pay_vendor, ctx, plan, payment, partner_id=vendor.id,
                                               amount=payment.amount_currency, currency_id=plan.currency_id,
                                               day=payment.date, ref=ref))


def add_bill(ctx: BuildContext, vendor: Vendor, day: dt.date, items: list[InvoiceItem], *, ref: str | None = None,
             origin: str | None = None, user: str = "clerk", payer=None, created: str | None = None,
             state: str = "posted", pay: bool = True, term: str | None = None) -> Invoice:
    """A posted vendor bill, paid by the company according to the vendor's payment term (or ``term``)."""
    ref = ref or vendor_ref(ctx, vendor, day)
    bill = add_invoice(ctx, move_type="in_invoice", partner_id=vendor.id, invoice_date=day, items=items,
                       term_key=term or vendor.term, payer=(payer or company_payer(ctx, day)) if pay else None,
                       currency_id=vendor.currency_id, ref=ref, origin=origin, user=user, created=created, state=state,
                       bank_pending=bank_pending_for(ctx))
    if state == "posted":
        tax = sum(row["balance"] for row in bill.move.rows if row.get("display_type") == "tax")
        totals = ctx.tax_totals.setdefault((day.year, (day.month - 1) // 3 + 1), [0.0, 0.0])
        totals[1] = round(totals[1] + tax, 2)
        if pay:
            schedule_vendor_payments(ctx, bill, vendor, ref)
    return bill


def buy(ctx: BuildContext, vendor: Vendor, day: dt.date, *, lines: list[PurchaseLine] | None = None,
        lead_days: int | None = None, bill_after_days: int | None = None, user: str = "admin",
        bill_ref: str | None = None) -> PurchaseOrder:
    """A confirmed purchase order, received after its lead time and billed a few days later."""
    rng, led = ctx.rng, ctx.ledger
    if lines is None:
        rate = ctx.usd_rate(day) if vendor.currency_id != EUR_ID else 1.0
        lines = []
        for product in rng.sample(ctx.products["goods"], k=rng.choice((1, 1, 2, 2, 3))):
            price = round(product.cost * rng.uniform(0.98, 1.03) * rate, 2)
            lines.append(PurchaseLine(product, float(rng.choice((5, 10, 10, 20, 24, 30, 40, 50, 60))), price))
    order = PurchaseOrder(led.reserve("purchase.order"), ctx.seq.next_plain("P"), vendor, day, lines,
                          [led.reserve("purchase.order.line") for _ in lines])
    lead = lead_days if lead_days is not None else rng.randint(2, 9)
    receipt_day = shift_weekday(day + dt.timedelta(days=lead))
    bill_day = shift_weekday(receipt_day + dt.timedelta(days=bill_after_days if bill_after_days is not None
                                                        else rng.randint(0, 8)))
    created = office_time(rng, day)
    order.extra["planned"] = receipt_day
    if receipt_day > ctx.today:
        _write_order(ctx, order, created, user)
        return order

    def receive() -> None:
        stock_lines = []
        for line, line_id in zip(lines, order.line_ids):
            received = line.quantity if line.received is None else line.received
            line.product.on_order = max(0.0, line.product.on_order - line.quantity)
            unit = line.layer_unit_cost if line.layer_unit_cost is not None else ctx.to_eur(
                line.price_unit, vendor.currency_id, receipt_day)
            # drift the product's reference cost with what it costs now
            line.product.cost = round(0.8 * line.product.cost + 0.2 * unit, 2) if line.layer_unit_cost is None \
                else line.product.cost
            stock_lines.append(StockLine(line.product, received, line_id, unit))
        order.receipt = transfer(ctx, incoming=True, day=receipt_day, partner_id=vendor.id, origin=order.name,
                                 lines=stock_lines)
        if bill_day > ctx.today:
            _write_order(ctx, order, created, user)

    def bill_it() -> None:
        items = []
        for line, line_id in zip(lines, order.line_ids):
            received = line.quantity if line.received is None else line.received
            billed = received if line.billed is None else line.billed
            items.append(InvoiceItem(f"{order.name}: {line.product.name}", billed, line.price_unit, "110200",
                                     line.product.id, "purchase15", None, {"purchase_line_id": line_id}))
        order.bill = add_bill(ctx, vendor, bill_day, items, ref=bill_ref, origin=order.name)
        _write_order(ctx, order, created, user)

    ctx.schedule(receipt_day, receive)
    ctx.schedule(bill_day, bill_it)
    return order


def _write_order(ctx: BuildContext, order: PurchaseOrder, created: str, user: str) -> None:
    led, rng = ctx.ledger, ctx.rng
    uid = ctx.users[user]
    audit = {"create_uid": uid, "write_uid": uid, "create_date": created, "write_date": later(created, rng)}
    vendor = order.vendor
    # services are received as they are billed (no receipt); an RFQ is still a draft
    services = bool(order.extra.get("services"))
    state = order.extra.get("state", "purchase")
    received_any = order.receipt is not None or (services and order.bill is not None)
    billed = order.bill is not None
    bill_ids = order.extra.get("bill_ids") or ([order.bill.move.id] if billed else [])
    untaxed = tax = 0.0
    statuses = []
    for i, (line, line_id) in enumerate(zip(order.lines, order.line_ids)):
        sub = round(line.quantity * line.price_unit, 2)
        line_tax = round(sub * TAX_RATE, 2)
        untaxed, tax = untaxed + sub, tax + line_tax
        received = (line.quantity if line.received is None else line.received) if received_any else 0.0
        invoiced = (received if line.billed is None else line.billed) if billed else 0.0
        statuses.append((received, invoiced, line.quantity))
        led.add("purchase.order.line", {
            "id": line_id, "order_id": order.id, "product_id": line.product.id, "name": line.product.name,
            "sequence": (i + 1) * 10, "product_qty": line.quantity, "product_uom_qty": line.quantity,
            "price_unit": line.price_unit, "price_subtotal": sub, "price_tax": line_tax,
            "price_total": round(sub + line_tax, 2), "qty_received": received,
            "qty_received_method": "manual" if services else "stock_moves",
            "qty_received_manual": received if services else 0.0, "qty_invoiced": invoiced,
            "qty_to_invoice": round(received - invoiced, 2), "analytic_distribution": line.analytic,
            "date_planned": f"{order.extra['planned']} 12:00:00", "state": state, "partner_id": vendor.id,
            "currency_id": vendor.currency_id, "taxes_id": [ctx.taxes["purchase15"]], "company_id": COMPANY_ID,
            "discount": 0.0, "propagate_cancel": True, **audit})
    untaxed, tax = round(untaxed, 2), round(tax, 2)
    if not received_any:
        receipt_status = "pending"
    elif all(r >= q for r, _i, q in statuses):
        receipt_status = "full"
    else:
        receipt_status = "partial"
    if billed and all(i >= r for r, i, _q in statuses):
        invoice_status = "invoiced"
    elif any(r > i for r, i, _q in statuses):
        invoice_status = "to invoice"
    else:
        invoice_status = "no"
    led.add("purchase.order", {
        "id": order.id, "name": order.name, "partner_id": vendor.id, "date_order": created,
        "date_approve": later(created, rng, 30) if state != "draft" else None,
        "date_planned": f"{order.extra['planned']} 12:00:00",
        "effective_date": f"{order.extra['planned']} 15:00:00" if received_any else None, "state": state,
        "invoice_status": invoice_status, "receipt_status": receipt_status, "amount_untaxed": untaxed,
        "amount_tax": tax, "amount_total": round(untaxed + tax, 2), "currency_id": vendor.currency_id,
        "currency_rate": ctx.usd_rate(order.day) if vendor.currency_id != EUR_ID else 1.0,
        "payment_term_id": ctx.terms[vendor.term], "user_id": uid, "company_id": COMPANY_ID,
        "invoice_count": len(bill_ids), "priority": "0", "mail_reception_confirmed": False,
        "mail_reminder_confirmed": False, "picking_ids": [order.receipt.picking_id] if order.receipt else [],
        "invoice_ids": bill_ids, **audit})


def generate_purchases_month(ctx: BuildContext, month: dt.date, last: dt.date) -> None:
    """Replenish weekly: order the goods whose stock plus open orders fell below about a month of sales."""
    rng = ctx.rng
    days = [month + dt.timedelta(days=i) for i in range((last - month).days + 1)]
    days = [d for d in days if d.weekday() < 5] or [last]
    trade = ctx.partners["by_role"]["trade"]
    monthly = ctx.products["monthly_units"]
    for week_start in range(0, len(days), 5):
        week = days[week_start:week_start + 5]
        needed = []
        for product in ctx.products["goods"]:
            position = product.on_hand + product.on_order
            if position < 0.9 * monthly:
                qty = max(5.0, 5 * round((1.5 * monthly - position) / 5))
                needed.append((product, qty))
        rng.shuffle(needed)
        for start in range(0, len(needed), 3):
            vendor = rng.choice(trade)
            rate = ctx.usd_rate(week[0]) if vendor.currency_id != EUR_ID else 1.0
            lines = [PurchaseLine(p, q, round(p.cost * rng.uniform(0.98, 1.03) * rate, 2))
                     for p, q in needed[start:start + 3]]
            for line in lines:
                line.product.on_order += line.quantity
            buy(ctx, vendor, rng.choice(week), lines=lines)


def generate_expense_bills_month(ctx: BuildContext, month: dt.date, last: dt.date) -> None:
    """Couriers, supplies and advisory services billed by service vendors and trade vendors."""
    rng = ctx.rng
    days = [month + dt.timedelta(days=i) for i in range((last - month).days + 1)]
    days = [d for d in days if d.weekday() < 5] or [last]
    count = max(1, round(ctx.sizes.expense_bills_per_month * len(days) / 21.7))
    services = ctx.partners["by_role"]["services"]
    trade = [v for v in ctx.partners["by_role"]["trade"] if v.currency_id == EUR_ID]
    expense = ctx.products["expense"]
    for day in sorted(rng.choice(days) for _ in range(count)):
        vendor = rng.choice(services + trade[:3])
        key = {"Brightline Legal LLP": "legal", "Swiftmove Couriers": "courier"}.get(vendor.name, "supplies")
        product = expense[key]
        amount = round(rng.lognormvariate(5.3 if key != "legal" else 7.0, 0.45), 2)
        roll = rng.random()
        analytic = ({dept(ctx, rng.choice(DEPARTMENTS)): 100.0} if roll < 0.8 else
                    {dept(ctx, "Operations"): 50.0, dept(ctx, "Administration"): 50.0})
        items = [InvoiceItem(product.name, 1.0, amount, product.account, product.id, "purchase15", analytic)]
        user = rng.choice(("clerk", "clerk", "controller"))
        if day.weekday() == 0 and day - dt.timedelta(days=2) >= ctx.start and ctx.variety_rng.random() < 0.25:
            # the vendor dated its invoice on the weekend; the clerk enters it on Monday, in office hours
            dated = day - dt.timedelta(days=ctx.variety_rng.choice((1, 2)))
            ctx.truth.count("bills_dated_on_weekends")
            ctx.schedule(day, partial(add_bill, ctx, vendor, dated, items, user=user,
                                      created=office_time(ctx.variety_rng, day)))
        else:
            ctx.schedule(day, partial(add_bill, ctx, vendor, day, items, user=user))


def service_order(ctx: BuildContext, vendor: Vendor, day: dt.date, line: PurchaseLine,
                  bills: list[tuple[dt.date, float]], *, state: str = "purchase", term: str = "eofm",
                  user: str = "admin") -> PurchaseOrder:
    """A purchase order for a service (no receipt: received as billed), billed in parts on the
    given (day, quantity) pairs; the bills carry the line's analytic distribution and stay open
    until their due date (``term``). ``state='draft'`` writes a request for quotation."""
    led = ctx.ledger
    order = PurchaseOrder(led.reserve("purchase.order"), ctx.seq.next_plain("P"), vendor, day, [line],
                          [led.reserve("purchase.order.line")])
    order.extra.update(services=True, state=state, planned=shift_weekday(day + dt.timedelta(days=7)), bill_ids=[])
    billed = 0.0
    for bill_day, quantity in bills:
        item = InvoiceItem(f"{order.name}: {line.product.name}", quantity, line.price_unit, line.product.account,
                           line.product.id, "purchase15", line.analytic, {"purchase_line_id": order.line_ids[0]})
        order.bill = add_bill(ctx, vendor, bill_day, [item], origin=order.name, pay=False, term=term)
        order.extra["bill_ids"].append(order.bill.move.id)
        billed += quantity
    line.received = line.billed = billed
    _write_order(ctx, order, office_time(ctx.rng, day), user)
    return order
