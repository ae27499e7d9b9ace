"""Sales: orders -> deliveries -> customer invoices -> customer payments (and returns).

Each order decides its dates up front; the delivery and the invoice are written on the invoice
day (in date order with everything else), and the customer's payments are planned from its
payment behaviour and written on the days they arrive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import partial

from ledgerpilot.sandbox.generator.analytics import PROJECTS, dept, proj
from ledgerpilot.sandbox.generator.bank import receive_deposit, receive_payment, register_receipt
from ledgerpilot.sandbox.generator.bank_labels import receipt_label
from ledgerpilot.sandbox.generator.context import COMPANY_ID, EUR_ID, BuildContext
from ledgerpilot.sandbox.generator.invoices import TAX_RATE, Invoice, InvoiceItem, add_invoice
from ledgerpilot.sandbox.generator.partners import Customer
from ledgerpilot.sandbox.generator.products import Product
from ledgerpilot.sandbox.generator.reconcile import ItemPlan, PlannedPayment
from ledgerpilot.sandbox.generator.stock import StockLine, transfer
from ledgerpilot.sandbox.generator.timestamps import later, office_time, shift_weekday


@dataclass
class OrderLine:
    product: Product
    quantity: float
    price_unit: float  # in the order currency
    analytic: dict[str, float] | None


@dataclass
class SaleOrder:
    id: int
    name: str
    customer: Customer
    day: dt.date
    lines: list[OrderLine]
    line_ids: list[int]
    invoice: Invoice | None = None
    refund: Invoice | None = None
    extra: dict = field(default_factory=dict)


def pick_lines(ctx: BuildContext, customer: Customer, day: dt.date) -> list[OrderLine]:
    rng = ctx.rng
    goods, services = ctx.products["goods"], ctx.products["services"]
    rate = ctx.usd_rate(day) if customer.currency_id != EUR_ID else 1.0
    lines = []
    for _ in range(rng.choice((1, 1, 2, 2, 2, 3))):
        if rng.random() < 0.72:
            product = rng.choice(goods)
            qty = float(rng.choice((1, 1, 2, 3, 4, 5, 6, 8, 10, 12, 20)))
        else:
            product = rng.choice(services)
            qty = float(rng.randint(1, 12))
        roll = rng.random()
        if roll < 0.65:
            analytic = {dept(ctx, "Sales"): 100.0}
        elif roll < 0.85:
            analytic = {proj(ctx, rng.choice(PROJECTS)): 100.0}
        elif roll < 0.95:
            analytic = {dept(ctx, "Sales"): 60.0, dept(ctx, "Operations"): 40.0}
        else:
            analytic = None
        lines.append(OrderLine(product, qty, round(product.price * rate, 2), analytic))
    return lines


def payer_for(ctx: BuildContext, customer: Customer, invoice_day: dt.date, allow_partial: bool = True,
              refund: tuple[dt.date, float] | None = None):
    """How this customer settles each payment-term line (see ``reconcile.plan_item``)."""
    rng = ctx.rng

    def payer(due: dt.date, amount: float) -> list[tuple]:
        out: list[tuple] = []
        if refund is not None:
            out.append((refund[0], refund[1], "refund"))
            amount = round(amount - refund[1], 2)
        plan = customer.settlements(due, ctx.start, ctx.to_eur(amount, customer.currency_id, invoice_day))
        if plan is None or amount < 0.005:
            return out
        if len(plan) == 1:
            day = max(plan[0][0], invoice_day)
            if (allow_partial and customer.behaviour != "batch" and customer.currency_id == EUR_ID and amount > 200
                    and rng.random() < 0.06):
                first = round(amount * rng.choice((0.3, 0.5, 0.6)), 2)
                pays = [(day, first),
                        (shift_weekday(day + dt.timedelta(days=rng.randint(15, 40))), round(amount - first, 2))]
            else:
                pays = [(day, amount)]
        else:
            pays, left = [], amount
            for index, (day, share) in enumerate(plan):
                part = left if index == len(plan) - 1 else round(amount * share, 2)
                left = round(left - part, 2)
                pays.append((max(day, invoice_day), part))
        for d, a in pays:
            recent = d >= ctx.current_month and (ctx.today - d).days <= 6
            out.append((d, a, "unmatched") if recent and rng.random() < 0.6 else (d, a))
        return out

    return payer


def schedule_receipts(ctx: BuildContext, invoice: Invoice, customer: Customer) -> None:
    """Put each planned payment (and each unmatched transfer) on the bank statement on its day.

    A batch payer's payments of one day travel in one transfer (``deposit``); a share of the other
    customers' payments is registered from the invoice first (``bank.register_receipt``).
    """
    for plan in invoice.plans:
        for payment in plan.payments:
            if payment.source != "bank":
                continue
            if customer.behaviour == "batch" and customer.currency_id == EUR_ID:
                deposit(ctx, customer, plan, payment, invoice.move.name)
                continue
            label, names = receipt_label(ctx.variety_rng, ctx.label_number_share, customer.name, [invoice.move.name])
            if ctx.variety_rng.random() < ctx.regime.registered_receipts_share:
                ctx.truth.count("registered_receipts")
                ctx.schedule(payment.date, partial(register_receipt, ctx, plan, payment, label,
                                                   on_bank=partial(_count_transfer, ctx, names)))
            else:
                ctx.schedule(payment.date, partial(_counted, ctx, names, partial(
                    receive_payment, ctx, plan, payment, label)))
        for day, amount in plan.unmatched:
            label, names = receipt_label(ctx.variety_rng, ctx.label_number_share, customer.name, [invoice.move.name])
            ctx.schedule(day, partial(_counted, ctx, names, partial(suspense_receipt, ctx, plan, day, amount, label)))


def _count_transfer(ctx: BuildContext, names_invoice: bool) -> None:
    """Count a customer transfer written on the bank statement, and whether its label names an invoice."""
    ctx.truth.count("customer_transfers")
    if names_invoice:
        ctx.truth.count("customer_transfers_naming_the_invoice")


def _counted(ctx: BuildContext, names_invoice: bool, write) -> None:
    _count_transfer(ctx, names_invoice)
    write()


def deposit(ctx: BuildContext, customer: Customer, plan: ItemPlan, payment: PlannedPayment, invoice_name: str) -> None:
    """Add a payment to the customer's transfer of that day (the first one schedules the transfer)."""
    if "open_deposits" not in ctx.notes:
        ctx.notes["open_deposits"] = {}  # type: ignore[assignment]
    waiting = ctx.notes["open_deposits"]
    key = (customer.id, payment.date)
    if key in waiting:
        waiting[key]["parts"].append((plan, payment, invoice_name))
        return
    batch = waiting[key] = {"parts": [(plan, payment, invoice_name)]}

    def send() -> None:
        waiting.pop(key, None)  # later payments of that day (an invoice written the same day) start a new one
        parts = batch["parts"]
        label, names = receipt_label(ctx.variety_rng, ctx.label_number_share, customer.name,
                                     [name for _, _, name in parts])
        _count_transfer(ctx, names)
        if len(parts) > 1:
            ctx.truth.count("batch_deposits")
            ctx.truth.count("invoices_in_batch_deposits", len(parts))
        receive_deposit(ctx, [(p, pay) for p, pay, _ in parts], label)

    ctx.schedule(payment.date, send)


def suspense_receipt(ctx: BuildContext, plan: ItemPlan, day: dt.date, amount: float, label: str) -> None:
    """Money arrived but nobody matched it yet: the counterpart waits on the suspense account."""
    value = ctx.to_eur(amount, plan.currency_id, day)
    foreign = plan.currency_id if plan.currency_id != EUR_ID else None
    _move, st_id = ctx.book.add_line(date=day, amount=plan.sign * value, payment_ref=label, partner_id=plan.partner_id,
                                     counterpart={"balance": -plan.sign * value}, reconciled=False,
                                     foreign_currency_id=foreign,
                                     amount_currency=plan.sign * amount if foreign else None)
    ctx.notes["unreconciled_bank_lines"].append(st_id)
    ctx.truth.bank_line_items[str(st_id)] = [plan.line_id]


def sell(ctx: BuildContext, customer: Customer, day: dt.date, *, invoice_after_days: int | None = None,
         commitment: dt.date | None = None, refund_share: float | None = None,
         lines: list[OrderLine] | None = None, user: str = "admin", invoice_user: str = "clerk",
         refund_after_days: int | None = None) -> SaleOrder:
    """A confirmed sales order; delivered and invoiced ``invoice_after_days`` later (if by today)."""
    rng, led = ctx.rng, ctx.ledger
    lines = lines or pick_lines(ctx, customer, day)
    order = SaleOrder(led.reserve("sale.order"), ctx.seq.next_plain("S"), customer, day, lines,
                      [led.reserve("sale.order.line") for _ in lines])
    if invoice_after_days is None:
        invoice_after_days = rng.choice((0, 1, 1, 2, 3, 5))
    invoice_day = shift_weekday(day + dt.timedelta(days=invoice_after_days))
    created = office_time(rng, day)
    if invoice_day > ctx.today:
        _write_order(ctx, order, created, invoiced=False, commitment=commitment or invoice_day, user=user)
        return order

    def invoice_it() -> None:
        goods = [(i, ln) for i, ln in enumerate(lines) if ln.product.kind == "goods"]
        cogs_lines = []
        if goods:
            delivery = transfer(ctx, incoming=False, day=invoice_day, partner_id=customer.id, origin=order.name,
                                lines=[StockLine(ln.product, ln.quantity, order.line_ids[i]) for i, ln in goods])
            order.extra["delivery"] = delivery.picking_id
            for (i, ln), value in zip(goods, delivery.values):
                common = {"display_type": "cogs", "product_id": ln.product.id, "quantity": ln.quantity,
                          "name": ln.product.name, "partner_id": customer.id}
                cogs_lines.append({"account": "500000", "balance": value, **common})
                cogs_lines.append({"account": "110300", "balance": -value, **common})
        items = [InvoiceItem(ln.product.name, ln.quantity, ln.price_unit, "400000", ln.product.id, "sale15",
                             ln.analytic, {"sale_line_ids": [order.line_ids[i]]}) for i, ln in enumerate(lines)]
        refund = None
        if refund_share is not None and customer.currency_id == EUR_ID:
            base = lines[0]
            qty = max(1.0, round(base.quantity * refund_share))
            sub = round(qty * base.price_unit, 2)
            total = round(sub + round(sub * TAX_RATE, 2), 2)
            rday = shift_weekday(invoice_day + dt.timedelta(days=refund_after_days or rng.randint(5, 20)))
            refund = (rday, total, qty)
        payer = payer_for(ctx, customer, invoice_day, refund=(refund[0], refund[1]) if refund else None)
        term = customer.term if refund is None else "30d"
        inv = add_invoice(ctx, move_type="out_invoice", partner_id=customer.id, invoice_date=invoice_day, items=items,
                          term_key=term, payer=payer, currency_id=customer.currency_id, origin=order.name,
                          user=invoice_user, extra_lines=cogs_lines)
        order.invoice = inv
        _account_tax(ctx, invoice_day, inv, "sale")
        _write_order(ctx, order, created, invoiced=True, commitment=commitment, user=user)
        schedule_receipts(ctx, inv, customer)
        if refund is not None:
            plan = inv.plans[0]
            pay = next((p for p in plan.payments if p.source == "refund"), None)
            if pay is not None:
                ctx.schedule(pay.date, partial(_credit_note, ctx, order, plan, pay, refund[2]))

    ctx.schedule(invoice_day, invoice_it)
    return order


def _credit_note(ctx: BuildContext, order: SaleOrder, plan: ItemPlan, pay: PlannedPayment, qty: float) -> None:
    base = order.lines[0]
    inv = order.invoice
    refund = add_invoice(
        ctx, move_type="out_refund", partner_id=order.customer.id, invoice_date=pay.date,
        items=[InvoiceItem(base.product.name, qty, base.price_unit, "400000", base.product.id, "sale15", base.analytic)],
        term_key="immediate", payer=None, currency_id=order.customer.currency_id, origin=order.name,
        ref=f"Reversal of: {inv.move.name}, goods returned", settles=(plan, pay),
        extra_fields={"reversed_entry_id": inv.move.id})
    order.refund = refund
    _account_tax(ctx, pay.date, refund, "sale")


def _account_tax(ctx: BuildContext, day: dt.date, inv: Invoice, side: str) -> None:
    """Remember the VAT of the quarter for the quarterly VAT return (refunds count negatively
    because their tax lines carry the opposite sign)."""
    tax = sum(row["balance"] for row in inv.move.rows if row.get("display_type") == "tax")
    totals = ctx.tax_totals.setdefault((day.year, (day.month - 1) // 3 + 1), [0.0, 0.0])
    totals[0 if side == "sale" else 1] = round(totals[0 if side == "sale" else 1] + tax, 2)


def _write_order(ctx: BuildContext, order: SaleOrder, created: str, *, invoiced: bool, commitment: dt.date | None,
                 user: str) -> None:
    led, rng = ctx.ledger, ctx.rng
    customer = order.customer
    uid = ctx.users[user]
    audit = {"create_uid": uid, "write_uid": uid, "create_date": created, "write_date": later(created, rng)}
    untaxed = tax = 0.0
    invoice_lines = order.invoice.product_line_ids if order.invoice else []
    for i, (line, line_id) in enumerate(zip(order.lines, order.line_ids)):
        sub = round(line.quantity * line.price_unit, 2)
        line_tax = round(sub * TAX_RATE, 2)
        untaxed, tax = untaxed + sub, tax + line_tax
        goods = line.product.kind == "goods"
        led.add("sale.order.line", {
            "id": line_id, "order_id": order.id, "product_id": line.product.id, "name": line.product.name,
            "sequence": (i + 1) * 10, "product_uom_qty": line.quantity, "price_unit": line.price_unit,
            "price_subtotal": sub, "price_tax": line_tax, "price_total": round(sub + line_tax, 2),
            "price_reduce_taxexcl": line.price_unit, "price_reduce_taxinc": round(line.price_unit * (1 + TAX_RATE), 2),
            "qty_delivered": line.quantity if invoiced or not goods else 0.0,
            "qty_delivered_method": "stock_move" if goods else "manual",
            "qty_invoiced": line.quantity if invoiced else 0.0, "qty_to_invoice": 0.0 if invoiced else (
                0.0 if goods else line.quantity),
            "untaxed_amount_invoiced": sub if invoiced else 0.0, "untaxed_amount_to_invoice": 0.0 if invoiced else sub,
            "invoice_status": "invoiced" if invoiced else ("no" if goods else "to invoice"), "state": "sale",
            "currency_id": customer.currency_id, "order_partner_id": customer.id, "company_id": COMPANY_ID,
            "customer_lead": 0.0, "discount": 0.0, "is_service": not goods, "is_downpayment": False,
            "is_expense": False, "analytic_distribution": line.analytic, "tax_id": [ctx.taxes["sale15"]],
            "salesman_id": uid, "invoice_lines": invoice_lines[i:i + 1] if invoiced else [], **audit})
    untaxed, tax = round(untaxed, 2), round(tax, 2)
    goods_any = any(ln.product.kind == "goods" for ln in order.lines)
    led.add("sale.order", {
        "id": order.id, "name": order.name, "partner_id": customer.id, "partner_invoice_id": customer.id,
        "partner_shipping_id": customer.id, "date_order": created, "state": "sale", "currency_id": customer.currency_id,
        "currency_rate": ctx.usd_rate(order.day) if customer.currency_id != EUR_ID else 1.0,
        "payment_term_id": ctx.terms[customer.term], "amount_untaxed": untaxed, "amount_tax": tax,
        "amount_total": round(untaxed + tax, 2), "amount_to_invoice": 0.0 if invoiced else round(untaxed + tax, 2),
        "invoice_status": "invoiced" if invoiced else "to invoice",
        "delivery_status": ("full" if invoiced else "pending") if goods_any else None,
        "commitment_date": f"{commitment} 10:00:00" if commitment else None, "effective_date": None,
        "user_id": uid, "company_id": COMPANY_ID, "picking_policy": "direct", "locked": False,
        "require_signature": False, "require_payment": False, "prepayment_percent": 1.0,
        "validity_date": order.day + dt.timedelta(days=30), "client_order_ref": None,
        "origin": None, "reference": None, **audit})


def generate_sales_month(ctx: BuildContext, month: dt.date, last: dt.date) -> None:
    """This month's orders, spread over its working days up to ``last``."""
    rng = ctx.rng
    days = [month + dt.timedelta(days=i) for i in range((last - month).days + 1)]
    days = [d for d in days if d.weekday() < 5] or [last]
    season = 1.0 + ctx.regime.seasonality * ((month.month in (3, 4, 5, 9, 10, 11)) - (month.month in (7, 8, 12)))
    full_month_days = 21.7
    count = max(1, round(ctx.sizes.sale_orders_per_month * season * len(days) / full_month_days))
    candidates = []
    for c in ctx.partners["customers"]:
        if c.behaviour == "defaulting":
            stop = dt.date.fromisoformat(c.params["stops_paying_from"])
            if month > stop + dt.timedelta(days=20):
                continue
        candidates.append(c)
    weights = [c.weight for c in candidates]
    picks = sorted(rng.choice(days) for _ in range(count))
    chosen = rng.choices(candidates, weights=weights, k=count)
    for day, customer in zip(picks, chosen):
        refund_share = rng.uniform(0.1, 0.35) if rng.random() < 0.03 else None
        sell(ctx, customer, day, refund_share=refund_share, user="admin",
             invoice_user=rng.choice(("clerk", "clerk", "clerk", "admin")))
