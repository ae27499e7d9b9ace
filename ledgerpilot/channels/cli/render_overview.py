"""Rich tables for the company overview."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.table import Table

from ledgerpilot.calc.ledger.overview import Ageing, OpenOrders
from ledgerpilot.channels.cli.console import safe
from ledgerpilot.channels.cli.tables import fit
from ledgerpilot.domain.money import format_amount
from ledgerpilot.tools.ledger.overview import CompanyOverview


def money(amount: Decimal, currency: str) -> str:
    return format_amount(amount, 2, currency)


def _ageing_table(ageing: Ageing) -> Table:
    table = Table()
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


def _orders_table(orders: OpenOrders) -> Table:
    table = Table()
    table.add_column("order")
    table.add_column("customer" if orders.kind == "sale" else "vendor")
    table.add_column("still to invoice" if orders.kind == "sale" else "still to be billed", justify="right")
    for order in orders.largest:
        table.add_row(safe(order.order_name), safe(order.partner_name), money(order.amount, orders.currency))
    return table


def _section(out: Console, heading: str, table: Table) -> None:
    out.print()
    out.print(f"[bold]{heading}[/]")
    out.print(fit(table, out))


def render_overview(out: Console, result: CompanyOverview) -> None:
    cur = result.company.currency
    out.print(f"[bold]{safe(result.company.name)}[/] — overview as of {result.as_of.isoformat()}")
    out.print(f"Odoo {safe(result.odoo_version)} at {safe(result.odoo_url)} (database {safe(result.odoo_db)}, "
              f"transport {safe(result.transport)}); {result.journal_items:,} journal items")
    bank = Table()
    bank.add_column("account")
    bank.add_column("balance", justify="right")
    for account in result.bank.accounts:
        bank.add_row(safe(account.account_name), money(account.balance, cur))
    _section(out, f"Bank and cash: {money(result.bank.total, cur)}", bank)
    for title, ageing in (("Receivables", result.receivables), ("Payables", result.payables)):
        credits = f"; {money(ageing.credits, cur)} unapplied credits" if ageing.credits else ""
        _section(out, f"{title}: {money(ageing.total, cur)} ({money(ageing.overdue, cur)} overdue{credits})",
                 _ageing_table(ageing))
    for title, orders in (("Open sales orders", result.open_sales), ("Open purchase orders", result.open_purchases)):
        if orders is not None:
            _section(out, f"{title}: {orders.count:,} orders, {money(orders.amount, orders.currency)} untaxed",
                     _orders_table(orders))
    for note in result.notes:
        out.print(f"[yellow]note:[/] {safe(note)}")
