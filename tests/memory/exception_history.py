"""A seeded generator of realistic past exceptions in known categories (for retrieval tests and benchmarks).

Each category has two sets of sentence templates: ``history`` (how past exceptions were written up)
and ``fresh`` (new exceptions, worded differently), filled with partners, departments, amounts,
dates and document numbers drawn from a seeded random generator.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from ledgerpilot.memory.exceptions import PastException

DEPARTMENTS = ("Marketing", "Sales", "R&D", "Operations", "IT", "Human Resources", "Finance", "Logistics")
VENDORS = ("Acme Industrial Supplies", "Nordwind Logistik GmbH", "Bureau Vallée Pro", "Delta Office Furniture",
           "Kappa Software Ltd", "Brightline Print Services", "Orion Packaging SA", "Verdi Facility Services",
           "Helios Energy", "Quantum Cloud Hosting")
CUSTOMERS = ("Azure Interior", "Deco Addict", "Gemini Furniture", "Lumber Inc", "Ready Mat", "The Jackson Group",
             "Wood Corner", "Ohana Retail", "Brandt & Söhne", "Maison Lefèvre")
DRIVERS = ("a trade fair stand", "extra contractor days", "cloud licences renewed early", "a recruiting campaign",
           "overtime in the warehouse", "an unplanned hardware refresh", "consulting fees", "travel to customers")
PRODUCTS = ("oak desk top", "steel cabinet frame", "LED panel 60x60", "office chair base", "acoustic foam panel",
            "cable tray 2m", "printer toner", "packaging carton XL")
BANKS = ("BNP Paribas current account", "Deutsche Bank EUR account", "ING business account", "Rabobank USD account")
ACCOUNTS = ("6100 Office supplies", "6230 Consulting fees", "6400 Rent", "6510 Software subscriptions",
            "6600 Travel", "6810 Utilities")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@dataclass(frozen=True)
class Category:
    name: str
    kind: str
    history: tuple[str, ...]
    fresh: tuple[str, ...]
    resolutions: tuple[str, ...]
    subject: str  # the placeholder naming what the exception is about, used in its title


CATEGORIES: tuple[Category, ...] = (
    Category(
        "budget overrun by department", "budget_overrun",
        history=(
            "{dept} department over budget in Q{q} {year}: actual spending {amount} EUR against a plan of {plan} EUR, "
            "mostly because of {driver}.",
            "The {dept} budget for {month} {year} was exceeded by {pct}% ({amount} EUR spent); the overspend came "
            "from {driver}.",
            "Budget alert: {dept} used {pct}% more than planned this quarter, {amount} EUR in total, driven by "
            "{driver}.",
            "{dept} cost centre exceeded its quarterly budget of {plan} EUR; committed purchase orders for {driver} "
            "pushed it to {amount} EUR.",
        ),
        fresh=(
            "Spending of the {dept} team is running {pct}% above its allocation for Q{q}; {driver} cost {amount} EUR.",
            "Projected overspend on the {dept} analytic account: {amount} EUR expected against {plan} EUR budgeted "
            "after {driver}.",
        ),
        resolutions=("Transferred {plan} EUR from the Sales budget after approval by the CFO.",
                     "Put the purchase order for {driver} on hold until next quarter.",
                     "Budget owner accepted the overrun; the forecast was raised for the rest of the year."),
        subject="dept",
    ),
    Category(
        "duplicate vendor bill", "anomaly",
        history=(
            "Vendor bill {bill} from {vendor} for {amount} EUR was recorded twice, once on {date} and again two days "
            "later with the same reference.",
            "Duplicate supplier invoice: {vendor} invoice {ref} entered as {bill} and {bill2}, same amount {amount} "
            "EUR.",
            "{vendor} billed {amount} EUR under reference {ref}; the same bill already existed as {bill}.",
            "Possible double entry of a purchase invoice from {vendor}: two bills of {amount} EUR dated {date} with "
            "identical lines.",
        ),
        fresh=(
            "The same {vendor} invoice ({ref}, {amount} EUR) seems to have been booked two times.",
            "Two identical bills from {vendor} for {amount} EUR are waiting for payment; one is probably a copy.",
        ),
        resolutions=("Cancelled {bill2} and asked {vendor} for a credit note.",
                     "The second bill was reset to draft and deleted before payment.",
                     "Not a duplicate: {vendor} delivers twice a month at the same price."),
        subject="vendor",
    ),
    Category(
        "late customer payment", "anomaly",
        history=(
            "{customer} paid invoice {inv} of {amount} EUR {days} days after its due date of {date}.",
            "Customer {customer} is {days} days overdue on {amount} EUR (invoice {inv}); reminders sent twice.",
            "Receivable from {customer} of {amount} EUR still open {days} days past due; usually they pay on time.",
            "Payment delay: {customer} settled {inv} for {amount} EUR only after the second dunning letter.",
        ),
        fresh=(
            "{customer} has not settled {amount} EUR that fell due on {date}; it is now {days} days late.",
            "Overdue receivable: {customer} still owes {amount} EUR on {inv}, well beyond the payment terms.",
        ),
        resolutions=("Called the accountant of {customer}; paid the following week.",
                     "Agreed a payment plan in three instalments with {customer}.",
                     "Credit hold placed on {customer} until the balance was cleared."),
        subject="customer",
    ),
    Category(
        "missing accrual", "close_finding",
        history=(
            "No accrual booked at month end for the {vendor} services of {month} ({amount} EUR); the bill arrived "
            "in the next month.",
            "{month} {year} close: expenses for {driver} were not accrued, {amount} EUR received without an invoice.",
            "Goods received from {vendor} worth {amount} EUR but not billed at period end and no accrual entry was "
            "made.",
            "Missing accrual for {amount} EUR of {vendor} costs incurred in {month}; invoice expected later.",
        ),
        fresh=(
            "Services from {vendor} delivered in {month} ({amount} EUR) have no bill yet and nothing was provisioned "
            "for them at closing.",
            "At period end the {amount} EUR cost of {driver} was neither invoiced nor accrued.",
        ),
        resolutions=("Booked an accrual of {amount} EUR, reversed on the first day of the next month.",
                     "Added {vendor} to the recurring accruals checklist.",
                     "Amount below materiality; no accrual, noted in the close file."),
        subject="vendor",
    ),
    Category(
        "unreconciled bank line", "close_finding",
        history=(
            "Bank statement line of {amount} EUR on {date} on the {bank} is still unreconciled, label '{label}'.",
            "Unmatched bank transaction: {amount} EUR received on {date} with reference '{label}' has no matching "
            "invoice.",
            "{bank}: {n} statement lines older than 30 days are not reconciled, the largest {amount} EUR.",
            "Bank line '{label}' ({amount} EUR, {date}) could not be matched to any payment or open item.",
        ),
        fresh=(
            "An incoming transfer of {amount} EUR on the {bank} dated {date} is sitting in the suspense account "
            "with no match.",
            "Statement entry '{label}' for {amount} EUR remains open in the bank reconciliation.",
        ),
        resolutions=("Matched to invoice {inv} of {customer} after checking the remittance advice.",
                     "Bank fee; booked to 6270 Bank charges and reconciled.",
                     "Refund sent back to the payer; line reconciled with the outgoing transfer."),
        subject="bank",
    ),
    Category(
        "round-amount manual entry", "anomaly",
        history=(
            "Manual journal entry {move} of exactly {round} EUR posted by {user} on {date} to {account}, with no "
            "supporting document.",
            "Round-number miscellaneous entry: {round} EUR debited to {account} on {date}, label '{label}'.",
            "Journal entry {move} for a round {round} EUR posted on a Sunday by {user}.",
            "Unusual manual posting of {round} EUR to {account} outside the normal closing entries.",
        ),
        fresh=(
            "{user} posted a hand-made entry of {round} EUR to {account} without an attachment.",
            "A miscellaneous operation for a flat {round} EUR hit {account} on {date}.",
        ),
        resolutions=("Supported by the board decision on bonuses; attachment added.",
                     "Posted in error; reversed by {move}-R.",
                     "Estimate for the year-end audit fee; documented in the close file."),
        subject="account",
    ),
    Category(
        "inventory cost jump", "anomaly",
        history=(
            "Unit cost of {product} jumped from {cost} EUR to {cost2} EUR after the receipt from {vendor} on {date}.",
            "Stock valuation of {product} rose {pct}% in one receipt; {vendor} invoiced a higher price.",
            "Average cost of {product} changed abruptly to {cost2} EUR per unit following a purchase from {vendor}.",
            "Inventory valuation layer for {product}: {cost2} EUR per unit against a usual {cost} EUR.",
        ),
        fresh=(
            "The {product} we buy from {vendor} now costs {cost2} EUR per unit, {pct}% more than before.",
            "Sudden increase in the valued cost of {product} in stock ({cost} to {cost2} EUR a unit).",
        ),
        resolutions=("Price error on the vendor bill; {vendor} issued a credit note.",
                     "Real price increase from {vendor}; sales prices updated.",
                     "Landed costs were allocated to the wrong product; corrected."),
        subject="product",
    ),
    Category(
        "VAT mismatch on vendor bill", "close_finding",
        history=(
            "Vendor bill {bill} from {vendor} charges {rate}% VAT but the product is taxed at {rate2}%.",
            "VAT amount on the {vendor} invoice {ref} ({amount} EUR) does not match the tax rate of the lines.",
            "Tax return check: input VAT of {amount} EUR on {bill} uses the wrong tax code.",
            "{vendor} invoice {ref} shows a VAT of {amount} EUR that differs from what Odoo computed.",
        ),
        fresh=(
            "The sales tax on the bill from {vendor} looks wrong: {rate}% applied where {rate2}% is expected.",
            "Input tax on {bill} ({amount} EUR) was computed with a tax code that does not fit the purchase.",
        ),
        resolutions=("Asked {vendor} for a corrected invoice with the right VAT rate.",
                     "Tax code corrected before the VAT return was filed.",
                     "Reverse charge applies; the bill was re-entered with the intra-EU tax."),
        subject="vendor",
    ),
)
USERS = ("Anita Oliver", "Marc Demo", "Joel Willis", "Beth Evans", "Ronnie Hart")


def _fill(template: str, rng: random.Random, year: int) -> str:
    date = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
    amount = Decimal(rng.randrange(20_000, 9_000_000)) / 100
    plan = Decimal(rng.randrange(10, 400)) * 1000
    cost = Decimal(rng.randrange(500, 50_000)) / 100
    values = {
        "dept": rng.choice(DEPARTMENTS), "vendor": rng.choice(VENDORS), "customer": rng.choice(CUSTOMERS),
        "driver": rng.choice(DRIVERS), "product": rng.choice(PRODUCTS), "bank": rng.choice(BANKS),
        "account": rng.choice(ACCOUNTS), "user": rng.choice(USERS), "month": MONTHS[date.month - 1],
        "year": year, "q": (date.month - 1) // 3 + 1, "date": date.isoformat(), "amount": f"{amount:,.2f}",
        "plan": f"{plan:,.0f}", "pct": rng.randrange(6, 60), "days": rng.randrange(12, 120),
        "bill": f"BILL/{year}/{rng.randrange(1, 9999):05d}", "bill2": f"BILL/{year}/{rng.randrange(1, 9999):05d}",
        "inv": f"INV/{year}/{rng.randrange(1, 9999):05d}", "ref": f"{rng.choice('ABFKRX')}{rng.randrange(10**5, 10**6)}",
        "move": f"MISC/{year}/{rng.randrange(1, 999):04d}", "round": f"{rng.choice((5, 10, 20, 25, 50, 100)) * 1000:,}",
        "label": rng.choice(("VIR SEPA", "CB 4411 TRANSFER", "REMITTANCE 7781", "SEPA CT REF 2291", "CHQ 000812")),
        "n": rng.randrange(3, 40), "cost": f"{cost:,.2f}", "cost2": f"{cost * Decimal(rng.randrange(14, 30)) / 10:,.2f}",
        "rate": rng.choice((20, 19, 21)), "rate2": rng.choice((5.5, 7, 10)),
    }
    return template.format(**values), date, amount, values


def history(per_category: int, seed: int = 11, *, year: int = 2025) -> list[tuple[PastException, str]]:
    """``per_category`` past exceptions of each category (with resolutions), and their category names."""
    rng = random.Random(seed)
    out = []
    for category in CATEGORIES:
        for i in range(per_category):
            text, date, amount, values = _fill(rng.choice(category.history), rng, year)
            resolution = rng.choice(category.resolutions).format(**values)
            partner = values["customer"] if "customer" in text or "{customer}" in resolution else values["vendor"]
            item = PastException(
                id=f"{category.kind}-{category.name.replace(' ', '-')}-{seed}-{i}", kind=category.kind,
                category=category.name, title=f"{category.name.capitalize()}: {values[category.subject]}",
                text=text, occurred_on=date, partner=partner, amount=amount, resolution=resolution,
                status="resolved", metadata={"seed": seed})
            out.append((item, category.name))
    return out


def fresh(per_category: int, seed: int = 99, *, year: int = 2026) -> list[tuple[str, str]]:
    """``per_category`` new exception texts of each category, worded unlike the history: (text, category)."""
    rng = random.Random(seed)
    out = []
    for category in CATEGORIES:
        for i in range(per_category):
            text, *_ = _fill(category.fresh[i % len(category.fresh)], rng, year)
            out.append((text, category.name))
    return out
