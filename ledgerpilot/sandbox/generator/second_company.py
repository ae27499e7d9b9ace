"""A second company in the same database, as Odoo's own demo data has one.

Brightwave Logistics BV (EUR) keeps its own chart of accounts (the same codes), journals (the
same codes: its invoices are numbered ``INV/2026/00001`` too) and taxes, shares the payment terms
and the products, and has twelve months of books: the capital paid into its bank, customer invoices
paid by bank transfer, vendor bills paid on their due date, rent to the landlord the first company
also pays, and an unfinished current month (an open invoice and bill, a draft bill, a bank line not
yet matched), with an open sales order and a confirmed purchase order. It also sells to one of the
first company's customers, and holds a bill from the first company that the first company never
invoiced (one side of an intercompany flow).

Every one of these would change a figure of the first company if a read were not restricted to it:
the bank position, the receivables and payables, a customer's payment habits, the recurring rent,
the open orders, the close checks, the anomaly scan. The administrator, the controller and the
read-only user may work in both companies (``company_ids``); their current company stays the
first one.

Written after the first company is complete, with its own random source and document numbering:
the first company's books are the same with or without it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import defaultdict
from functools import partial

from ledgerpilot.sandbox.generator.bank import StatementBook, pay_vendor, receive_payment
from ledgerpilot.sandbox.generator.chart import company_row, seed_chart
from ledgerpilot.sandbox.generator.context import EUR_ID, BuildContext
from ledgerpilot.sandbox.generator.ground_truth import GroundTruthBuilder
from ledgerpilot.sandbox.generator.invoices import InvoiceItem, add_invoice
from ledgerpilot.sandbox.generator.moves import add_move
from ledgerpilot.sandbox.generator.sequences import Sequencer
from ledgerpilot.sandbox.generator.timestamps import (
    add_months,
    at,
    last_day,
    later,
    office_time,
    shift_weekday,
)

SECOND_COMPANY_ID = 2
SECOND_COMPANY_NAME = "Brightwave Logistics BV"
#: logins that may work in both companies (their current company stays the first)
MULTI_COMPANY_USERS = ("admin", "controller", "readonly")
HISTORY_MONTHS = 12
CUSTOMERS = ("Harbourline Freight BV", "Noordzee Retail NV", "Kempen Distribution BV", "Scheldt Marine NV")
VENDORS = ("Polder Fuel BV", "Delta Tyres NV", "Antwerp Port Services")
MONTHLY_RENT = 2400.0


def seed_second_company(ctx: BuildContext, seed: int) -> None:
    """Write the second company's frame and books (after the first company's are complete)."""
    two = dataclasses.replace(
        ctx, company_id=SECOND_COMPANY_ID, rng=random.Random(f"second-company-{seed}"), seq=Sequencer(),
        truth=GroundTruthBuilder(), accounts={}, account_reconcile={}, account_cash=set(), journals={}, taxes={},
        events=[], notes=defaultdict(list), partners={"names": dict(ctx.partners["names"])},
        tax_totals={}, inject_anomalies=False)
    _frame(two, ctx)
    _books(two, ctx)
    two.ledger.flush()


def _frame(two: BuildContext, first: BuildContext) -> None:
    led = two.ledger
    stamp = at(two.start, 8)
    admin = two.users["admin"]
    audit = {"create_date": stamp, "write_date": stamp, "create_uid": admin, "write_uid": admin}
    seed_chart(two, with_terms=False)
    partner_id = led.reserve("res.partner")
    led.add("res.partner", {
        "id": partner_id, "commercial_partner_id": partner_id, "name": SECOND_COMPANY_NAME, "complete_name": SECOND_COMPANY_NAME, "email": "info@brightwave-logistics.example",
        "email_normalized": "info@brightwave-logistics.example", "is_company": True, "active": True,
        "type": "contact", "company_id": None, "lang": "en_US", "tz": "Europe/Brussels", "customer_rank": 0,
        "supplier_rank": 0, "partner_share": False, "employee": False, **audit})
    two.partners["names"][partner_id] = SECOND_COMPANY_NAME
    two.notes["opening_move"].append(led.reserve("account.move"))
    users = [two.users[login] for login in MULTI_COMPANY_USERS]
    row = company_row(two, partner_id, name=SECOND_COMPANY_NAME, sequence=20, user_ids=users)
    row.update(email="accounting@brightwave-logistics.example", phone="+32 3 555 02 00")
    led.add("res.company", row)
    two.partners["customers"] = [_partner(two, name, customer=True) for name in CUSTOMERS]
    two.partners["vendors"] = [_partner(two, name, customer=False) for name in VENDORS]
    # shared with the first company: one of its customers, its landlord, and the first company itself
    two.partners["shared_customer"] = first.partners["customers"][0].id
    two.partners["landlord"] = first.partners["by_role"]["landlord"][0].id
    two.partners["first_company"] = 1
    for login in MULTI_COMPANY_USERS:
        two.notes["multi_company_users"].append(two.users[login])


def _partner(two: BuildContext, name: str, *, customer: bool) -> int:
    stamp = at(two.start, 9)
    slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
    pid = two.ledger.reserve("res.partner")
    two.ledger.add("res.partner", {
        "id": pid, "commercial_partner_id": pid, "name": name, "complete_name": name, "is_company": True,
        "active": True, "type": "contact", "email": f"accounts@{slug}.example",
        "email_normalized": f"accounts@{slug}.example", "city": "Antwerpen", "zip": "2000",
        "vat": f"BE0{two.rng.randint(100000000, 999999999)}", "customer_rank": 1 if customer else 0,
        "supplier_rank": 0 if customer else 1, "lang": "en_US", "tz": "Europe/Brussels", "partner_share": True,
        "employee": False, "company_id": SECOND_COMPANY_ID, "create_date": stamp, "write_date": stamp,
        "create_uid": two.users["admin"], "write_uid": two.users["admin"]})
    two.partners["names"][pid] = name
    return pid


def _customer_payer(two: BuildContext):
    rng = two.rng

    def payer(due: dt.date, amount: float) -> list[tuple]:
        return [(shift_weekday(due + dt.timedelta(days=rng.choice((0, 2, 5, 9, 16)))), amount)]

    return payer


def _vendor_payer(bill_day: dt.date):
    def payer(due: dt.date, amount: float) -> list[tuple]:
        return [(shift_weekday(max(due, bill_day)), amount)]

    return payer


def _books(two: BuildContext, first: BuildContext) -> None:
    start = add_months(two.current_month, -(HISTORY_MONTHS - 1))
    # Odoo's opening entry of the company (``account_opening_move_id``): the vans brought in
    add_move(two, journal="MISC", date=start - dt.timedelta(days=1), user="admin", ref="Opening Journal Entry",
             created=at(start, 9, 30), move_id=two.notes["opening_move"][0],
             lines=[{"account": "151000", "balance": 45000.0, "name": "Delivery vans"},
                    {"account": "301000", "balance": -45000.0, "name": "Contribution in kind"}])
    two.book = StatementBook(two, "BNK1", "101401", "101402")
    capital = 120000.0
    two.book.add_line(date=start, amount=capital, payment_ref="Capital contribution", partner_id=None,
                      counterpart={"account": "301000", "balance": -capital}, user="controller",
                      created=at(start, 9))
    month = start
    while month <= two.current_month:
        last = min(last_day(month), two.today)
        current = month == two.current_month
        _month(two, month, last, current)
        if current:
            _current_month(two)
        two.run_until(last)
        two.book.close_month(month)
        month = add_months(month, 1)
    _open_orders(two, first)
    two.ledger.flush()
    _multi_company_users(two)


def _invoice(two: BuildContext, partner_id: int, day: dt.date, amount: float, *, paid: bool = True) -> None:
    items = [InvoiceItem("Freight and handling", 1.0, amount, "400000", tax="sale15")]
    invoice = add_invoice(two, move_type="out_invoice", partner_id=partner_id, invoice_date=day, items=items,
                          term_key="30d", payer=_customer_payer(two) if paid else None, user="clerk")
    for plan in invoice.plans:
        for payment in plan.payments:
            label = f"{two.partners['names'][partner_id].upper()[:24]} {invoice.move.name}"
            two.schedule(payment.date, partial(receive_payment, two, plan, payment, label))


def _bill(two: BuildContext, partner_id: int, day: dt.date, amount: float, account: str, ref: str, *,
          term: str = "30d", paid: bool = True, state: str = "posted") -> None:
    items = [InvoiceItem("Services", 1.0, amount, account, tax="purchase15")]
    bill = add_invoice(two, move_type="in_invoice", partner_id=partner_id, invoice_date=day, items=items,
                       term_key=term, payer=_vendor_payer(day) if paid else None, ref=ref, user="clerk", state=state)
    for plan in bill.plans:
        for payment in plan.payments:
            two.schedule(payment.date, partial(pay_vendor, two, plan, payment, partner_id=partner_id,
                                               amount=payment.amount_currency, currency_id=EUR_ID,
                                               day=payment.date, ref=ref))


def _month(two: BuildContext, month: dt.date, last: dt.date, current: bool) -> None:
    rng = two.rng
    customers = [*two.partners["customers"], two.partners["shared_customer"]]
    days = sorted(month + dt.timedelta(days=rng.randint(0, (last - month).days)) for _ in range(4))
    for index, day in enumerate(days):
        day = shift_weekday(day)
        if day > two.today:
            continue
        _invoice(two, customers[index % len(customers)], day, round(rng.uniform(2500, 9500), -1),
                 paid=not (current and index == len(days) - 1))
    for index, vendor in enumerate(two.partners["vendors"][:2]):
        day = shift_weekday(month + dt.timedelta(days=5 + 9 * index))
        if day <= two.today:
            _bill(two, vendor, day, round(rng.uniform(1200, 4200), -1), "600000",
                  f"V{month:%y%m}-{index + 1:02d}", paid=not current)
    rent_day = month if month.weekday() < 5 else shift_weekday(month)
    if rent_day <= two.today:
        _bill(two, two.partners["landlord"], rent_day, MONTHLY_RENT, "611000", f"RENT-{month:%Y-%m}-L",
              term="immediate")


def _current_month(two: BuildContext) -> None:
    """The unfinished month: a draft bill, a bank line not yet matched, a bill from the first company."""
    today = two.today
    day = max(two.current_month, shift_weekday(today - dt.timedelta(days=3)))
    day = min(day, today)
    _bill(two, two.partners["vendors"][2], day, 1850.0, "600000", "APS-DRAFT-1", paid=False, state="draft")
    two.book.add_line(date=day, amount=640.0, payment_ref="UNKNOWN TRANSFER REF 88213", partner_id=None,
                      counterpart={"account": "101402", "balance": -640.0}, reconciled=False)
    # the first company's services, billed to the second: booked here, never invoiced there
    ic_day = min(today, max(two.current_month, shift_weekday(today - dt.timedelta(days=12))))
    _bill(two, two.partners["first_company"], ic_day, 3200.0, "600000", "BW-IC-0001", paid=False)


def _open_orders(two: BuildContext, first: BuildContext) -> None:
    """A confirmed sales order not yet invoiced and a confirmed purchase order not yet billed."""
    led, today = two.ledger, two.today
    product = first.products["services"][0]
    uid = two.users["admin"]
    created = office_time(two.rng, shift_weekday(today - dt.timedelta(days=6)))
    audit = {"create_uid": uid, "write_uid": uid, "create_date": created, "write_date": later(created, two.rng)}
    customer = two.partners["customers"][0]
    quantity, price = 10.0, 780.0
    sub = round(quantity * price, 2)
    tax = round(sub * 0.15, 2)
    order_id = led.reserve("sale.order")
    led.add("sale.order.line", {
        "order_id": order_id, "product_id": product.id, "name": product.name, "sequence": 10,
        "product_uom_qty": quantity, "price_unit": price, "price_subtotal": sub, "price_tax": tax,
        "price_total": round(sub + tax, 2), "qty_delivered": 0.0, "qty_delivered_method": "manual",
        "qty_invoiced": 0.0, "qty_to_invoice": quantity, "untaxed_amount_invoiced": 0.0,
        "untaxed_amount_to_invoice": sub, "invoice_status": "to invoice", "state": "sale", "currency_id": EUR_ID,
        "order_partner_id": customer, "company_id": SECOND_COMPANY_ID, "customer_lead": 0.0, "discount": 0.0,
        "is_service": True, "is_downpayment": False, "is_expense": False, "tax_id": [two.taxes["sale15"]],
        "salesman_id": uid, **audit})
    led.add("sale.order", {
        "id": order_id, "name": first.seq.next_plain("S"), "partner_id": customer, "partner_invoice_id": customer,
        "partner_shipping_id": customer, "date_order": created, "state": "sale", "currency_id": EUR_ID,
        "currency_rate": 1.0, "payment_term_id": two.terms["30d"], "amount_untaxed": sub, "amount_tax": tax,
        "amount_total": round(sub + tax, 2), "amount_to_invoice": round(sub + tax, 2), "invoice_status": "to invoice",
        "commitment_date": f"{today + dt.timedelta(days=10)} 10:00:00", "user_id": uid,
        "company_id": SECOND_COMPANY_ID, "picking_policy": "direct", "locked": False, "require_signature": False,
        "require_payment": False, "prepayment_percent": 1.0, "validity_date": today + dt.timedelta(days=30),
        **audit})
    vendor = two.partners["vendors"][0]
    quantity, price = 4.0, 1150.0
    sub = round(quantity * price, 2)
    tax = round(sub * 0.15, 2)
    planned = today + dt.timedelta(days=12)
    order_id = led.reserve("purchase.order")
    led.add("purchase.order.line", {
        "order_id": order_id, "product_id": product.id, "name": product.name, "sequence": 10,
        "product_qty": quantity, "product_uom_qty": quantity, "price_unit": price, "price_subtotal": sub,
        "price_tax": tax, "price_total": round(sub + tax, 2), "qty_received": 0.0, "qty_received_method": "manual",
        "qty_received_manual": 0.0, "qty_invoiced": 0.0, "qty_to_invoice": 0.0,
        "date_planned": f"{planned} 12:00:00", "state": "purchase", "partner_id": vendor, "currency_id": EUR_ID,
        "taxes_id": [two.taxes["purchase15"]], "company_id": SECOND_COMPANY_ID, "discount": 0.0,
        "propagate_cancel": True, **audit})
    led.add("purchase.order", {
        "id": order_id, "name": first.seq.next_plain("P"), "partner_id": vendor, "date_order": created,
        "date_approve": later(created, two.rng, 30), "date_planned": f"{planned} 12:00:00", "state": "purchase",
        "invoice_status": "no", "receipt_status": "pending", "amount_untaxed": sub, "amount_tax": tax,
        "amount_total": round(sub + tax, 2), "currency_id": EUR_ID, "currency_rate": 1.0,
        "payment_term_id": two.terms["30d"], "user_id": uid, "company_id": SECOND_COMPANY_ID, "invoice_count": 0,
        "priority": "0", **audit})


def _multi_company_users(two: BuildContext) -> None:
    """The users who may work in both companies get the second one too (``res.users.company_ids``)."""
    with two.store.transaction() as conn:
        conn.executemany('INSERT OR IGNORE INTO "rel__res_users__company_ids" (id1, id2) VALUES (?, ?)',
                         [(uid, SECOND_COMPANY_ID) for uid in two.notes["multi_company_users"]])
