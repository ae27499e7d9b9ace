"""Company overview: pulls what the overview needs through the gateway, then runs the calculators."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from ledgerpilot.calc.ledger.overview import (
    Ageing,
    BankPosition,
    OpenOrders,
    ageing,
    bank_position,
    open_orders,
)

Progress = Callable[[str], None]

OPEN_ITEM_FIELDS = ["id", "move_id", "partner_id", "account_id", "date", "date_maturity", "amount_residual"]
SALE_LINE_FIELDS = ["order_id", "order_partner_id", "product_uom_qty", "qty_invoiced", "price_unit", "discount"]
PURCHASE_LINE_FIELDS = ["order_id", "partner_id", "product_qty", "qty_invoiced", "price_unit", "discount"]


class CompanyInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    currency: str
    currency_digits: int


class CompanyOverview(BaseModel):
    model_config = ConfigDict(frozen=True)

    company: CompanyInfo
    as_of: dt.date
    odoo_url: str
    odoo_db: str
    odoo_version: str
    transport: str
    journal_items: int
    bank: BankPosition
    receivables: Ageing
    payables: Ageing
    open_sales: OpenOrders | None
    open_purchases: OpenOrders | None
    notes: tuple[str, ...] = ()


def company_info(client) -> CompanyInfo:
    """The analysed company (the client's: the one configured, else the user's current one) and its
    currency (with its decimal places)."""
    scope = getattr(client, "company", None)
    if scope is not None:
        company_id = scope.id
    else:
        company_id = client.read("res.users", [client.uid], ["company_id"])[0]["company_id"][0]
    company = client.read("res.company", [company_id], ["name", "currency_id"])[0]
    currency = client.read("res.currency", [company["currency_id"][0]], ["name", "decimal_places"])[0]
    return CompanyInfo(id=company["id"], name=company["name"], currency=currency["name"],
                       currency_digits=int(currency["decimal_places"]))


def open_items(client, account_type: str, as_of: dt.date):
    domain = [("parent_state", "=", "posted"), ("account_type", "=", account_type),
              ("reconciled", "=", False), ("amount_residual", "!=", 0), ("date", "<=", as_of.isoformat())]
    return client.extract("account.move.line", OPEN_ITEM_FIELDS, domain)


def company_overview(client, as_of: dt.date, progress: Progress | None = None) -> CompanyOverview:
    """Everything ``ledgerpilot overview`` shows, computed from the connected Odoo."""
    step = progress or (lambda _msg: None)
    notes: list[str] = []

    step("company")
    company = company_info(client)
    cur, digits = company.currency, company.currency_digits

    step("bank balances")
    bank_groups = client.read_group_df(
        "account.move.line",
        [("parent_state", "=", "posted"), ("account_type", "=", "asset_cash"), ("date", "<=", as_of.isoformat())],
        ["balance:sum"], ["account_id"], lazy=False)
    bank = bank_position(bank_groups, as_of, cur, digits)

    step("open receivables")
    receivables = ageing(open_items(client, "asset_receivable", as_of), as_of, "receivable", cur, digits)
    step("open payables")
    payables = ageing(open_items(client, "liability_payable", as_of), as_of, "payable", cur, digits)

    open_sales = open_purchases = None
    if client.has_model("sale.order.line"):
        step("open sales orders")
        lines = client.extract("sale.order.line", SALE_LINE_FIELDS,
                               [("state", "=", "sale"), ("display_type", "=", False)])
        lines["partner_name"] = lines["order_partner_id_name"]
        open_sales = open_orders(lines, "sale", cur, digits)
    else:
        notes.append("Sales is not installed: open sales orders are not shown.")
    if client.has_model("purchase.order.line"):
        step("open purchase orders")
        lines = client.extract("purchase.order.line", PURCHASE_LINE_FIELDS,
                               [("state", "in", ["purchase", "done"]), ("display_type", "=", False)])
        lines["partner_name"] = lines["partner_id_name"]
        open_purchases = open_orders(lines, "purchase", cur, digits)
    else:
        notes.append("Purchase is not installed: open purchase orders are not shown.")

    step("journal items")
    count = client.search_count("account.move.line", [])
    return CompanyOverview(
        company=company, as_of=as_of, odoo_url=client.url, odoo_db=client.db,
        odoo_version=client.server_version, transport=client.transport_name, journal_items=count,
        bank=bank, receivables=receivables, payables=payables, open_sales=open_sales,
        open_purchases=open_purchases, notes=tuple(notes))
