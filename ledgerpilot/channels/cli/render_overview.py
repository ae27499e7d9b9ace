"""Rich tables for the company overview."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.table import Table

from ledgerpilot.calc.overview import Ageing, OpenOrders
from ledgerpilot.channels.cli.console import safe
from ledgerpilot.tools.overview import CompanyOverview


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _ageing_table(title: str, ageing: Ageing) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("days past due")
    table.add_column("items", justify="right")
    table.add_column("amount", justify="right")
    for bucket in ageing.buckets:
        table.add_row(bucket.label, f"{bucket.count:,}", money(bucket.amount, ageing.currency))
    table.add_row("[bold]total[/]", f"{sum(b.count for b in ageing.buckets):,}",
                  f"[bold]{money(ageing.total, ageing.currency)}[/]")
    if ageing.top_partners:
        table.add_section()
        for partner in ageing.top_partners:
            table.add_row(f"  {safe(partner.partner_name)}", f"{len(partner.record_ids):,}",
                          money(partner.amount, ageing.currency))
    return table


def _orders_table(title: str, orders: OpenOrders) -> Table:
    table = Table(title=f"{title}: {orders.count:,} orders, {money(orders.amount, orders.currency)} untaxed",
                  title_justify="left")
    table.add_column("order")
    table.add_column("partner")
    table.add_column("still to invoice", justify="right")
    for order in orders.largest:
        table.add_row(safe(order.order_name), safe(order.partner_name), money(order.amount, orders.currency))
    return table


def render_overview(out: Console, result: CompanyOverview) -> None:
    cur = result.company.currency
    out.print(f"[bold]{safe(result.company.name)}[/] — overview as of {result.as_of.isoformat()}")
    out.print(f"Odoo {safe(result.odoo_version)} at {safe(result.odoo_url)} (database {safe(result.odoo_db)}, "
              f"transport {safe(result.transport)}); {result.journal_items:,} journal items")
    bank = Table(title=f"Bank and cash: {money(result.bank.total, cur)}", title_justify="left")
    bank.add_column("account")
    bank.add_column("balance", justify="right")
    for account in result.bank.accounts:
        bank.add_row(safe(account.account_name), money(account.balance, cur))
    out.print(bank)
    out.print(_ageing_table(f"Receivables: {money(result.receivables.total, cur)} "
                            f"({money(result.receivables.overdue, cur)} overdue)", result.receivables))
    out.print(_ageing_table(f"Payables: {money(result.payables.total, cur)} "
                            f"({money(result.payables.overdue, cur)} overdue)", result.payables))
    if result.open_sales is not None:
        out.print(_orders_table("Open sales orders", result.open_sales))
    if result.open_purchases is not None:
        out.print(_orders_table("Open purchase orders", result.open_purchases))
    for note in result.notes:
        out.print(f"[yellow]note:[/] {safe(note)}")
