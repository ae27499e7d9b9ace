"""The books the agent's cash and ledger tools read, loaded once per context and shared.

A conversation asks many questions of the same books: the cash history is pulled once, cut at
today and the payment behaviour of every partner is fitted once (:func:`cash_books`); forecasts
are then computed once per (horizon, threshold) on those books. Open receivable and payable items
and the company are read once too. Everything goes through ``ctx.memo``, so a warm context answers
from memory; the keys name what each result depends on (the day, and for derived results the
hash of the extracted books), so a refreshed history never meets a stale forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import pandas as pd

from ledgerpilot.calc.cash.forecast.params import ForecastParams
from ledgerpilot.calc.cash.forecast.results import CashForecast, Flow
from ledgerpilot.calc.cash.history import CashBooks, CashHistory
from ledgerpilot.calc.cash.payment_behaviour.model import PaymentBehaviourModel
from ledgerpilot.config import setting_value
from ledgerpilot.domain.money import quantize
from ledgerpilot.tools.agent.toolkit import Citation, ToolContext
from ledgerpilot.tools.ledger.overview import CompanyInfo

LedgerKind = Literal["receivable", "payable"]
ACCOUNT_TYPES: dict[str, str] = {"receivable": "asset_receivable", "payable": "liability_payable"}


@dataclass(frozen=True)
class CashBooksToday:
    """The cash history, the books cut at the context's day and the payment behaviour fitted on them."""

    history: CashHistory
    books: CashBooks
    behaviour: PaymentBehaviourModel
    inputs_hash: str

    @property
    def currency(self) -> str:
        return self.history.currency

    @property
    def digits(self) -> int:
        return self.history.digits


def company(ctx: ToolContext) -> CompanyInfo:
    """The connected company and its currency."""
    from ledgerpilot.tools.ledger.overview import company_info

    return ctx.memo(("company", ctx.client.url, ctx.client.db), lambda: company_info(ctx.client))


def cash_books(ctx: ToolContext) -> CashBooksToday:
    """History -> books on ``ctx.today`` -> payment behaviour, as ``forecast_history`` builds them."""

    def load() -> CashBooksToday:
        from ledgerpilot.calc.cash.cut import books_as_of
        from ledgerpilot.calc.cash.payment_behaviour.model import fit_payment_behaviour
        from ledgerpilot.tools.cash.forecast import inputs_hash, load_history

        history, _seconds = load_history(ctx.client, ctx.today, None)
        books = books_as_of(history, ctx.today)
        behaviour = fit_payment_behaviour(books.paid_items, ctx.today, books.open_items)
        return CashBooksToday(history=history, books=books, behaviour=behaviour, inputs_hash=inputs_hash(history))

    return ctx.memo(("cash_books", ctx.today), load)


def forecast_params(weeks: int, threshold: Decimal | None) -> ForecastParams:
    """The product's forecast (the CLI's defaults) for a horizon and a safety threshold."""
    return ForecastParams(weeks=weeks, threshold=None if threshold is None else float(threshold))


def base_forecast(ctx: ToolContext, weeks: int, threshold: Decimal | None) -> CashForecast:
    """The base forecast of today's books, once per (books, weeks, threshold)."""
    from ledgerpilot.calc.cash import forecast as cashflow

    loaded = cash_books(ctx)
    params = forecast_params(weeks, threshold)
    return ctx.memo(("cash_forecast", ctx.today, loaded.inputs_hash, params),
                    lambda: cashflow.forecast(loaded.books, loaded.behaviour, params))


def threshold_level(ctx: ToolContext, value: float | None) -> Decimal | None:
    """The safety threshold asked for, else the configured one, rounded to the company currency."""
    if value is None:
        value = setting_value(ctx.settings, "cash_threshold")
    if value is None:
        return None
    return quantize(value, company(ctx).currency_digits)


def open_items(ctx: ToolContext, kind: LedgerKind) -> pd.DataFrame:
    """Open receivable or payable journal items on ``ctx.today``, as the overview's ageing reads them."""
    from ledgerpilot.tools.ledger.overview import open_items as read_open_items

    return ctx.memo(("open_items", kind, ctx.today),
                    lambda: read_open_items(ctx.client, ACCOUNT_TYPES[kind], ctx.today))


# ------------------------------------------------------------------------------------------ citations


def _order_of_line(history: CashHistory) -> dict[tuple[str, int], tuple[int, str]]:
    """(order line model, line id) -> (order id, order name) for every confirmed order line."""
    out: dict[tuple[str, int], tuple[int, str]] = {}
    for model, lines in (("sale.order.line", history.sale_lines), ("purchase.order.line", history.purchase_lines)):
        for line_id, order_id, order_name in zip(lines["id"], lines["order_id"], lines["order_name"]):
            if pd.notna(line_id) and pd.notna(order_id):
                out[(model, int(line_id))] = (int(order_id), str(order_name))
    return out


def flow_citations(ctx: ToolContext, loaded: CashBooksToday, flows: tuple[Flow, ...] | list[Flow]) -> list[Citation]:
    """The Odoo documents behind forecast flows: an open item cites its invoice or bill, an order
    line its order, a recurring flow its partner (when it has one). Duplicates are dropped."""
    items = loaded.history.items
    move_of_item = dict(zip(items["id"].astype("int64"), items["move_id"].astype("Int64")))
    orders: dict[tuple[str, int], tuple[int, str]] | None = None
    seen: set[tuple[str, int]] = set()
    out: list[Citation] = []
    for flow in flows:
        target: tuple[str, int, str] | None = None
        if flow.source_model == "account.move.line" and flow.source_id is not None:
            move_id = move_of_item.get(int(flow.source_id))
            if move_id is not None and not pd.isna(move_id):
                target = ("account.move", int(move_id), flow.source_name)
        elif flow.source_model in ("sale.order.line", "purchase.order.line") and flow.source_id is not None:
            orders = orders if orders is not None else _order_of_line(loaded.history)
            found = orders.get((flow.source_model, int(flow.source_id)))
            if found is not None:
                target = (flow.source_model.removesuffix(".line"), found[0], found[1])
        elif flow.source_model == "account.move" and flow.source_id is not None:
            target = ("account.move", int(flow.source_id), flow.source_name)
        if target is None and flow.partner_id is not None:
            target = ("res.partner", int(flow.partner_id), flow.partner_name)
        if target is not None and (target[0], target[1]) not in seen:
            seen.add((target[0], target[1]))
            out.append(ctx.cite(*target))
    return out


def flow_rows(flows: tuple[Flow, ...] | list[Flow], top: int,
              by: Literal["expected_amount", "amount", "week_amount"] = "expected_amount") -> list[dict[str, Any]]:
    """The ``top`` records behind ``flows`` as the model reads them, largest first by ``by`` (the cash
    expected within the horizon, the open amount, or -- for a week's drivers -- the cash expected in that
    week): the lines of one document (an order's lines, an invoice's installments) are summed into one row.
    A week's drivers (:class:`~ledgerpilot.calc.cash.forecast.results.WeekDriver`) also get ``week_amount``."""
    groups: dict[tuple[str, str, str], list[Flow]] = {}
    for flow in flows:
        groups.setdefault((flow.category, flow.source_name, flow.partner_name), []).append(flow)
    rows = []
    for (category, record, partner), members in groups.items():
        amount = sum((f.amount for f in members), Decimal(0))
        expected = sum((f.expected_amount for f in members), Decimal(0))
        weight = sum(abs(f.amount) for f in members)
        share = (sum(abs(f.amount) * Decimal(str(f.probability)) for f in members) / weight) if weight else Decimal(0)
        dues = [f.due_date for f in members if f.due_date is not None]
        landings = [f.expected_date for f in members if f.expected_date is not None]
        row = {"record": record, "partner": partner or None, "category": category, "amount": amount,
               "expected_amount": expected, "due_date": min(dues) if dues else None,
               "expected_date": min(landings) if landings else None,
               "landing_share": round(float(share), 4), "lines": len(members)}
        if all(hasattr(f, "week_amount") for f in members):
            row["week_amount"] = sum((f.week_amount for f in members), Decimal(0))
        rows.append(row)
    other = "amount" if by != "amount" else "expected_amount"
    rows.sort(key=lambda r: (-abs(r[by]), -abs(r[other]), r["record"]))
    return rows[:top]
