"""Recurring flows: payroll, rent, subscriptions, utilities (with month-end accruals), the
quarterly VAT return and its payment, bank fees, depreciation and petty cash."""

from __future__ import annotations

import datetime as dt
from functools import partial

from ledgerpilot.sandbox.generator.analytics import DEPARTMENTS, dept
from ledgerpilot.sandbox.generator.context import EUR_ID, BuildContext
from ledgerpilot.sandbox.generator.invoices import InvoiceItem
from ledgerpilot.sandbox.generator.moves import add_move
from ledgerpilot.sandbox.generator.purchases import add_bill
from ledgerpilot.sandbox.generator.timestamps import add_months, last_day, shift_weekday

RENT = 5000.00
#: gross monthly salaries per department at scale 1 (the headcount follows the volume)
SALARIES = {"Sales": 22000.0, "Operations": 30000.0, "Administration": 14000.0, "Research & Development": 19000.0}
SUBSCRIPTIONS = {"CloudStack Software Inc.": (1200.00, None), "Ledgerly SaaS BV": (149.00, "purchase15")}


def _vendor(ctx: BuildContext, name: str):
    return next(v for v in ctx.partners["vendors"] if v.name == name)


def salary_scale(ctx: BuildContext) -> float:
    return max(0.15, ctx.sizes.scale)


def generate_recurring_month(ctx: BuildContext, month: dt.date, last: dt.date) -> None:
    """Schedule this month's recurring documents that fall on or before ``last``."""
    rng = ctx.rng
    current = month == ctx.current_month
    expense = ctx.products["expense"]
    # rent: billed on the 1st, paid on the 3rd working day, always exactly 5,000.00
    landlord = ctx.partners["by_role"]["landlord"][0]
    rent_day = shift_weekday(month)
    ctx.schedule(rent_day, partial(
        _rent, ctx, landlord, rent_day, [InvoiceItem(f"Office rent {month:%B %Y}", 1.0, RENT, "611000",
                                                      expense["rent"].id, None, {dept(ctx, "Administration"): 100.0})]))
    # subscriptions: monthly software bills
    for name, (amount, tax) in SUBSCRIPTIONS.items():
        vendor = _vendor(ctx, name)
        day = shift_weekday(month + dt.timedelta(days=4 if vendor.currency_id == EUR_ID else 1))
        items = [InvoiceItem(f"Subscription {month:%B %Y}", 1.0, amount, "613000", expense["software"].id, tax,
                             {dept(ctx, "Research & Development"): 70.0, dept(ctx, "Administration"): 30.0})]
        ctx.schedule(day, partial(add_bill, ctx, vendor, day, items, user="clerk"))
    # utilities: billed around the 12th for the previous month; accrued at month end, reversed on the 1st
    utilities = ctx.partners["by_role"]["utilities"][0]
    util_day = shift_weekday(month + dt.timedelta(days=11))
    amount = round(rng.gauss(1450, 120) * (1.25 if month.month in (1, 2, 12) else 1.0), 2)
    if current:
        ctx.notes["missing_accrual_vendor"].append(utilities.id)
    else:
        items = [InvoiceItem(f"Electricity & water {add_months(month, -1):%B %Y}", 1.0, amount, "612000",
                             expense["utilities"].id, "purchase15", {dept(ctx, "Operations"): 100.0})]
        ctx.schedule(util_day, partial(add_bill, ctx, utilities, util_day, items, user="clerk"))
        month_end = last_day(month)
        if month_end <= ctx.today:
            estimate = round(amount * rng.uniform(0.95, 1.05), 2)
            ctx.schedule(month_end, partial(_accrual, ctx, month_end, estimate))
    # payroll: posted on the 25th, paid on the 28th
    pay_day = shift_weekday(month + dt.timedelta(days=24))
    ctx.schedule(pay_day, partial(_payroll, ctx, pay_day))
    # bank fees at month end
    fee_day = shift_weekday(last_day(month) - dt.timedelta(days=3))
    ctx.schedule(fee_day, partial(_bank_fee, ctx, fee_day))
    # depreciation at month end
    month_end = last_day(month)
    ctx.schedule(month_end, partial(_depreciation, ctx, month_end))
    # quarterly VAT return at quarter end, paid on the 20th of the next month
    if month.month in (3, 6, 9, 12):
        ctx.schedule(month_end, partial(_vat_return, ctx, month_end))
    # petty cash: small cash sales and expenses, none in the current month so far
    if not current:
        for _ in range(ctx.sizes.petty_cash_per_month):
            day = shift_weekday(month + dt.timedelta(days=rng.randint(0, 24)))
            ctx.schedule(day, partial(_petty_cash, ctx, day))


def _rent(ctx: BuildContext, landlord, day: dt.date, items: list[InvoiceItem]) -> None:
    bill = add_bill(ctx, landlord, day, items, ref=f"RENT-{day:%Y-%m}", user="clerk")
    ctx.notes["rent_bills"].append(bill.move.id)


def _accrual(ctx: BuildContext, day: dt.date, estimate: float) -> None:
    """Accrue the utilities of the month (billed next month) and reverse on the 1st."""
    lines = [{"account": "612000", "balance": estimate, "name": f"Utilities accrual {day:%B %Y}",
              "analytic_distribution": {dept(ctx, "Operations"): 100.0}},
             {"account": "212000", "balance": -estimate, "name": f"Utilities accrual {day:%B %Y}"}]
    move = add_move(ctx, journal="MISC", date=day, lines=lines, ref=f"Accrual utilities {day:%Y-%m}", user="controller")
    reverse_day = day + dt.timedelta(days=1)
    rev_lines = [{**line, "balance": -line["balance"], "name": f"Reversal of accrual {day:%B %Y}"} for line in lines]

    def reverse() -> None:
        add_move(ctx, journal="MISC", date=reverse_day, lines=rev_lines, ref=f"Reversal of: {move.name}",
                 user="controller", fields={"reversed_entry_id": move.id})

    ctx.schedule(reverse_day, reverse)


def _payroll(ctx: BuildContext, day: dt.date) -> None:
    rng = ctx.rng
    factor = salary_scale(ctx)
    lines, total = [], 0.0
    for department in DEPARTMENTS:
        gross = round(SALARIES[department] * factor * rng.uniform(0.98, 1.03), 2)
        total = round(total + gross, 2)
        lines.append({"account": "630000", "balance": gross, "name": f"Salaries {day:%B %Y} - {department}",
                      "analytic_distribution": {dept(ctx, department): 100.0}})
    lines.append({"account": "230000", "balance": -total, "name": f"Net salaries payable {day:%B %Y}"})
    add_move(ctx, journal="MISC", date=day, lines=lines, ref=f"Payroll {day:%Y-%m}", user="controller")
    bank_day = shift_weekday(day + dt.timedelta(days=3))

    def pay() -> None:
        ctx.book.add_line(date=bank_day, amount=-total, payment_ref=f"SALARIES {day:%m/%Y}", partner_id=None,
                          counterpart={"account": "230000", "balance": total})

    ctx.schedule(bank_day, pay)


def _bank_fee(ctx: BuildContext, day: dt.date) -> None:
    fee = round(12.5 + 0.0025 * ctx.rng.randint(1000, 9000), 2)
    ctx.book.add_line(date=day, amount=-fee, payment_ref=f"Account maintenance fee {day:%m/%Y}", partner_id=None,
                      counterpart={"account": "620000", "balance": fee,
                                   "analytic_distribution": {dept(ctx, "Administration"): 100.0}})


def _depreciation(ctx: BuildContext, day: dt.date) -> None:
    amount = round(2150.0 * salary_scale(ctx), 2)
    add_move(ctx, journal="MISC", date=day, ref=f"Depreciation {day:%Y-%m}", user="controller", lines=[
        {"account": "681000", "balance": amount, "name": f"Depreciation {day:%B %Y}",
         "analytic_distribution": {dept(ctx, "Administration"): 100.0}},
        {"account": "151900", "balance": -amount, "name": f"Depreciation {day:%B %Y}"}])


def _vat_return(ctx: BuildContext, day: dt.date) -> None:
    """Clear the quarter's VAT accounts into Tax Payable; pay (or recover) it the next month."""
    sale_tax, purchase_tax = ctx.tax_totals.get((day.year, (day.month - 1) // 3 + 1), [0.0, 0.0])
    collected, paid = round(-sale_tax, 2), round(purchase_tax, 2)  # both positive in a normal quarter
    net = round(collected - paid, 2)
    add_move(ctx, journal="MISC", date=day, ref=f"VAT return Q{(day.month - 1) // 3 + 1} {day.year}", user="controller",
             lines=[{"account": "251000", "balance": collected, "name": "VAT collected"},
                    {"account": "131000", "balance": -paid, "name": "VAT deductible"},
                    {"account": "252000", "balance": -net, "name": "VAT payable"}])
    pay_day = shift_weekday(day + dt.timedelta(days=20))

    def pay() -> None:
        ctx.book.add_line(date=pay_day, amount=-net, payment_ref=f"VAT Q{(day.month - 1) // 3 + 1} {day.year}",
                          partner_id=None, counterpart={"account": "252000", "balance": net})

    ctx.schedule(pay_day, pay)


def _petty_cash(ctx: BuildContext, day: dt.date) -> None:
    rng = ctx.rng
    if rng.random() < 0.5:
        amount = round(rng.uniform(40, 260), 2)
        ctx.cash_book.add_line(date=day, amount=amount, payment_ref="Counter sale (cash)", partner_id=None,
                               counterpart={"account": "400000", "balance": -amount,
                                            "analytic_distribution": {dept(ctx, "Sales"): 100.0}})
    else:
        amount = round(rng.uniform(8, 90), 2)
        ctx.cash_book.add_line(date=day, amount=-amount, payment_ref=rng.choice(
            ("Coffee & supplies", "Parking", "Postage", "Taxi")), partner_id=None,
            counterpart={"account": "600000", "balance": amount,
                         "analytic_distribution": {dept(ctx, "Administration"): 100.0}})
