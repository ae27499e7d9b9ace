"""The books as the cash calculators see them: every frame they need, extracted once.

``CashHistory`` is the whole history the gateway pulled (see ``tools/cash/history.py``). The pure
function ``calc.cash.cut.books_as_of(history, as_of)`` turns it into ``CashBooks``: what was known
at ``as_of`` (open items with their residual on that day, orders not yet invoiced on that day, the
bank balance on that day). The forecast works from ``CashBooks``; the backtest cuts the same
history at many past dates and compares with what the bank did afterwards.

All amounts are in the company currency, as Odoo's ``balance``/``amount`` fields hold them
(floats already rounded to the currency's decimals; sum them in minor units, see
``domain.money.to_minor``). Dates are ``datetime64[ns]`` (NaT when empty); many2one ids ``Int64``;
text ``string``. Column lists below are the contract: extraction fills exactly these columns and
the calculators rely on nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

#: Receivable/payable journal items of posted moves: the invoices, bills, refunds and payments.
ITEM_COLUMNS = (
    "id",             # account.move.line id
    "move_id",        # account.move id
    "move_name",      # e.g. INV/2026/00042
    "move_type",      # out_invoice, out_refund, in_invoice, in_refund, entry
    "journal_type",   # sale, purchase, bank, cash, general
    "kind",           # "receivable" or "payable"
    "partner_id",
    "partner_name",
    "date",           # accounting date
    "invoice_date",   # NaT for payments and entries
    "date_maturity",  # due date of this installment (NaT -> use date)
    "balance",        # company currency; receivable + / payable - for invoices and bills
    "currency",       # ISO code of the document
    "amount_currency",
    "origin",         # invoice_origin (the SO/PO name) or ""
    "payment_term_id",
)

#: account.partial.reconcile rows: who settled what, when (max_date), for how much.
RECONCILE_COLUMNS = (
    "id",
    "debit_move_id",      # account.move.line id of the debit side
    "credit_move_id",     # account.move.line id of the credit side
    "amount",             # company currency, positive
    "max_date",           # the date the match took effect
    "debit_move_type",    # move_type of the debit line's move
    "credit_move_type",   # move_type of the credit line's move
    "debit_journal_type",
    "credit_journal_type",
)

#: Posted journal items on bank and cash accounts (account_type asset_cash): what the bank did.
BANK_COLUMNS = (
    "id",
    "move_id",
    "move_name",
    "date",
    "amount",                    # balance: + money in, - money out
    "partner_id",
    "partner_name",
    "label",                     # the line's name / payment reference
    "journal_id",
    "counterpart_account_id",    # the main other line of the same move
    "counterpart_account_code",
    "counterpart_account_name",  # e.g. "Salaries Payable": how a recurring flow without a partner is named
    "counterpart_account_type",  # e.g. asset_receivable, liability_payable, expense, liability_current
)

#: Lines of confirmed sale orders (state sale/done), with what was invoiced and when.
SALE_LINE_COLUMNS = (
    "id",
    "order_id",
    "order_name",
    "partner_id",
    "partner_name",
    "date_order",        # confirmation
    "commitment_date",   # promised delivery (NaT when none)
    "payment_term_id",
    "product_uom_qty",
    "qty_delivered",
    "qty_invoiced",
    "price_total",       # taxed total of the line, company currency (foreign orders at the rate of date_order)
    "currency",
)

#: Lines of confirmed purchase orders (state purchase/done).
PURCHASE_LINE_COLUMNS = (
    "id",
    "order_id",
    "order_name",
    "partner_id",
    "partner_name",
    "date_order",
    "date_planned",
    "payment_term_id",
    "product_qty",
    "qty_received",
    "qty_invoiced",
    "price_total",
    "currency",
)

#: Invoice/bill product lines linked to order lines: when each order line was invoiced.
ORDER_INVOICING_COLUMNS = (
    "order_line_id",    # sale.order.line or purchase.order.line id
    "order_kind",       # "sale" or "purchase"
    "invoice_date",
    "quantity",         # signed: a refund reduces the invoiced quantity
)

#: Payment term lines (account.payment.term.line), to date the installments of future invoices.
PAYMENT_TERM_COLUMNS = (
    "payment_term_id",
    "value",           # "percent" or "fixed"
    "value_amount",
    "nb_days",
    "delay_type",      # days_after, days_after_end_of_month, days_after_end_of_next_month, ...
)

#: Currency rates (res.currency.rate): Odoo's rate = units of the currency per 1 company-currency unit.
RATE_COLUMNS = (
    "currency",
    "date",
    "rate",
)

#: One row per cash settlement of an invoice/bill installment (built by calc.cash.cut from items and
#: reconciliations; credit notes and other non-cash matches are left out). Partial payments give
#: several rows for one item; ``amount`` weights them.
PAID_COLUMNS = (
    "item_id",        # the invoice's receivable/payable account.move.line
    "move_id",
    "move_name",
    "kind",           # receivable / payable
    "partner_id",
    "partner_name",
    "invoice_date",
    "due_date",       # date_maturity of the item
    "amount",         # settled by this payment, company currency, positive
    "paid_date",      # max_date of the partial reconcile
    "delay_days",     # paid_date - due_date, in days (negative = early)
)

#: CashBooks.open_items: the items open on ``as_of`` (built by calc.cash.cut).
OPEN_ITEM_COLUMNS = ITEM_COLUMNS + (
    "residual_booked",  # open amount at the booking rates, signed like balance (Odoo's amount_residual)
    "residual",         # what it is worth in cash on as_of: foreign items revalued at the latest rate
)

#: CashBooks.open_order_lines: sale and purchase lines together (the other kind's own columns empty).
OPEN_ORDER_COLUMNS = (
    "kind",              # "sale" or "purchase"
    "id", "order_id", "order_name", "partner_id", "partner_name", "date_order",
    "commitment_date",   # sale lines only
    "date_planned",      # purchase lines only
    "payment_term_id",
    "product_uom_qty", "qty_delivered",  # sale lines only (delivered: as on the extraction day)
    "product_qty", "qty_received",       # purchase lines only
    "ordered_qty",       # product_uom_qty or product_qty
    "qty_invoiced",      # invoiced by as_of (refunds deducted), not Odoo's current figure
    "remaining_qty",
    "price_total", "currency",
    "remaining_amount",  # taxed, company currency, > 0: price_total x remaining_qty / ordered_qty
)

FRAMES = {
    "items": ITEM_COLUMNS,
    "reconciliations": RECONCILE_COLUMNS,
    "bank": BANK_COLUMNS,
    "sale_lines": SALE_LINE_COLUMNS,
    "purchase_lines": PURCHASE_LINE_COLUMNS,
    "order_invoicing": ORDER_INVOICING_COLUMNS,
    "payment_terms": PAYMENT_TERM_COLUMNS,
    "rates": RATE_COLUMNS,
}


@dataclass(frozen=True)
class CashHistory:
    """Everything the cash calculators read, pulled once from Odoo."""

    company_name: str
    currency: str
    digits: int
    extracted_on: dt.date          # "today" for the books: nothing is known after it
    items: pd.DataFrame
    reconciliations: pd.DataFrame
    bank: pd.DataFrame
    sale_lines: pd.DataFrame
    purchase_lines: pd.DataFrame
    order_invoicing: pd.DataFrame
    payment_terms: pd.DataFrame
    rates: pd.DataFrame
    #: lineage: Odoo url, database, server version, and a hash of every frame's content
    source: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        for name, columns in FRAMES.items():
            frame = getattr(self, name)
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise ValueError(f"CashHistory.{name} lacks the columns {missing}")


@dataclass(frozen=True)
class CashBooks:
    """What was known on ``as_of``: the forecast's whole input (see ``calc.cash.cut``)."""

    as_of: dt.date
    currency: str
    digits: int
    opening_balance: float            # bank + cash balance at the end of ``as_of``
    #: open receivable/payable items on ``as_of``: OPEN_ITEM_COLUMNS (ITEM_COLUMNS + "residual_booked"
    #: and "residual", signed like balance)
    open_items: pd.DataFrame
    #: order lines not (fully) invoiced on ``as_of``: OPEN_ORDER_COLUMNS (the line columns +
    #: "remaining_amount" (taxed, company currency, positive) and "kind" ("sale"/"purchase"))
    open_order_lines: pd.DataFrame
    #: bank movements up to ``as_of`` (BANK_COLUMNS), for recurring flows
    bank_history: pd.DataFrame
    #: cash settlements known on ``as_of`` (PAID_COLUMNS), for the payment-behaviour model
    paid_items: pd.DataFrame
    payment_terms: pd.DataFrame
    #: rates known on ``as_of`` (RATE_COLUMNS); open items are already converted with the latest
    rates: pd.DataFrame
