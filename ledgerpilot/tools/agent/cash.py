"""The agent's cash tools: cash position today, the 13-week forecast and what-if scenarios.

Read-only: they compute from the books and never store a forecast run or a proposal (that is what
``ledgerpilot forecast`` does). The forecast and the scenarios are the calculators' own
(``calc.cash.forecast``) on the books loaded once per context (``tools.agent.books``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ledgerpilot.calc.cash.forecast.params import Scenario
from ledgerpilot.calc.cash.forecast.results import CashForecast, WeekRow
from ledgerpilot.tools.agent.books import (
    base_forecast,
    cash_books,
    company,
    flow_citations,
    flow_rows,
    forecast_params,
    threshold_level,
)
from ledgerpilot.tools.agent.names import resolve_partner
from ledgerpilot.tools.agent.toolkit import NoArgs, ToolContext, ToolError, ToolOutput, tool

#: how many records are named as drivers or affected flows
TOP_RECORDS = 5
#: how many assumptions (in words) the forecast hands over
ASSUMPTIONS_SHOWN = 6
#: a customer expected to pay at most this share of what it owes within the horizon is already treated as unpaid
ALREADY_UNPAID_SHARE = Decimal("0.01")
#: the parameters each scenario kind needs (and the only ones it takes)
SCENARIO_PARAMETERS: dict[str, tuple[str, ...]] = {
    "delay_collections": ("days",), "delay_customer": ("customer", "days"), "customer_default": ("customer",),
    "sales_change": ("percent",), "defer_po": ("purchase_order", "weeks")}


class ForecastArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weeks: int = Field(13, ge=1, le=26, description="horizon in weeks (1 to 26; 13 unless the user asks otherwise)")
    threshold: float | None = Field(None, ge=0, description="safety cash level in the company currency; weeks "
                                                          "closing below it are breaches (default: the configured "
                                                          "level, if any)")


class ScenarioArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["delay_collections", "delay_customer", "customer_default", "sales_change", "defer_po"] = Field(
        description="delay_collections: every customer pays `days` later; delay_customer: one `customer` pays "
                    "`days` later; customer_default: `customer` never pays its open invoices and orders; "
                    "sales_change: open sales and future sales change by `percent`; defer_po: purchase order "
                    "`purchase_order` is paid `weeks` weeks later")
    days: int | None = Field(None, ge=1, le=180, description="delay_collections, delay_customer: how many days later "
                                                          "the customers (or the one customer) pay")
    customer: str | None = Field(None, min_length=1, max_length=200,
                                 description="customer_default, delay_customer: the customer's name")
    percent: float | None = Field(None, gt=-100, le=500,
                                  description="sales_change: change of sales in percent, e.g. -20 for a 20% drop")
    purchase_order: str | None = Field(None, min_length=1, max_length=100,
                                       description="defer_po: the purchase order's reference, e.g. P00042")
    weeks: int | None = Field(None, ge=1, le=26, description="defer_po: by how many weeks its payment is deferred")


# ------------------------------------------------------------------------------------------- position


@tool(kind="read")
def cash_position(ctx: ToolContext, args: NoArgs) -> ToolOutput:
    """Cash in the bank today: the balance of each bank and cash account and their total. Use for "how much
    cash do we have", "bank balance", "cash position".

    Balances are the posted journal items on the bank and cash accounts dated up to today.
    """
    from ledgerpilot.calc.ledger.overview import bank_position

    info = company(ctx)
    groups = ctx.memo(("bank_balances", ctx.today), lambda: ctx.client.read_group_df(
        "account.move.line",
        [("parent_state", "=", "posted"), ("account_type", "=", "asset_cash"), ("date", "<=", ctx.today.isoformat())],
        ["balance:sum"], ["account_id"], lazy=False))
    position = bank_position(groups, ctx.today, info.currency, info.currency_digits)
    data = {"as_of": position.as_of, "currency": position.currency, "total": position.total,
            "account_count": len(position.accounts),
            "accounts": [{"account": a.account_name, "balance": a.balance} for a in position.accounts]}
    citations = tuple(ctx.cite("account.account", a.account_id, a.account_name) for a in position.accounts)
    return ToolOutput(data=data, citations=citations)


# ------------------------------------------------------------------------------------------- forecast


def _lowest_week(forecast: CashForecast) -> WeekRow:
    for week in forecast.weeks_rows:
        if week.start <= forecast.lowest_date <= week.end:
            return week
    return min(forecast.weeks_rows, key=lambda w: (w.closing, w.index))


def _assumptions(forecast: CashForecast, low: WeekRow) -> list[str]:
    """The forecast's method first, then what it assumes about the partners behind the lowest week, then
    the others, up to ``ASSUMPTIONS_SHOWN``."""
    partners = {f.partner_name for f in low.drivers if f.partner_name}
    about = [a for a in forecast.assumptions if any(name in a for name in partners)]
    general = [a for a in forecast.assumptions[:2] if a not in about]
    rest = [a for a in forecast.assumptions if a not in about and a not in general]
    return (general + about + rest)[:ASSUMPTIONS_SHOWN]


@tool(kind="read")
def cash_forecast(ctx: ToolContext, args: ForecastArgs) -> ToolOutput:
    """Cash forecast for the coming weeks (13 by default): the lowest expected balance with its date and week,
    weeks below the safety threshold, each week's expected closing balance with its P10-P90 band, the records
    driving the lowest week, and the assumptions. Use for "lowest cash point", "cash outlook", "will we run
    short", "13-week forecast".

    Opening balance, open invoices and bills at their predicted payment dates, open orders, recurring flows.
    """
    threshold = threshold_level(ctx, args.threshold)
    loaded = cash_books(ctx)
    forecast = base_forecast(ctx, args.weeks, threshold)
    low = _lowest_week(forecast)
    drivers = flow_rows(low.drivers, TOP_RECORDS, by="week_amount")
    cited = [f for f in low.drivers if f.source_name in {row["record"] for row in drivers}]
    notes = [n for n in (loaded.history.source.get("notes"),) if n]
    data = {
        "as_of": forecast.as_of, "currency": forecast.currency, "weeks": forecast.weeks,
        "opening_balance": forecast.opening_balance, "threshold": forecast.threshold,
        "lowest": {"amount": forecast.lowest_balance, "date": forecast.lowest_date, "week": low.index},
        "lowest_p10": {"amount": forecast.lowest_p10, "date": forecast.lowest_p10_date},
        "ending_balance": forecast.weeks_rows[-1].closing,
        "breach_count": len(forecast.breaches),
        "breaches": [{"week": w.index, "start": w.start, "closing": w.closing} for w in forecast.breaches],
        "weekly": [{"week": w.index, "start": w.start, "end": w.end, "net": w.net, "closing": w.closing,
                    "p10": w.p10, "p90": w.p90} for w in forecast.weeks_rows],
        "lowest_week_drivers": drivers,
        "assumptions": _assumptions(forecast, low),
        "notes": notes,
    }
    return ToolOutput(data=data, citations=tuple(flow_citations(ctx, loaded, cited)))


# ------------------------------------------------------------------------------------------- scenario


def _check_parameters(args: ScenarioArgs) -> None:
    """Each kind needs its own parameters and takes no other one: say which is missing or stray."""
    needs = SCENARIO_PARAMETERS[args.kind]
    missing = [name for name in needs if getattr(args, name) is None]
    if missing:
        raise ToolError(f"scenario {args.kind} needs {' and '.join(missing)}"
                        + {"delay_collections": " (how many days later customers pay)",
                           "delay_customer": " (which customer, and how many days later it pays)",
                           "customer_default": " (which customer does not pay)",
                           "sales_change": " (the change in percent, e.g. -20)",
                           "defer_po": " (which purchase order, and by how many weeks)"}[args.kind])
    stray = [name for name in ("days", "customer", "percent", "purchase_order", "weeks")
             if name not in needs and getattr(args, name) is not None]
    if stray:
        raise ToolError(f"scenario {args.kind} does not use {', '.join(stray)}; it takes only {', '.join(needs)}")


def _customer_id(ctx: ToolContext, forecast: CashForecast, name: str, what: str = "default on") -> int:
    """The customer with open invoices or sale orders in the forecast that ``name`` means."""
    in_forecast = {int(f.partner_id): f.partner_name for f in forecast.flows
                   if f.category in ("receivable", "sale_order") and f.partner_id is not None and f.amount > 0}
    history = cash_books(ctx).history.items
    customers = history[(history["kind"] == "receivable").fillna(False).to_numpy() & history["partner_id"].notna()]
    known = {int(pid): str(pname) for pid, pname in zip(customers["partner_id"], customers["partner_name"])
             if int(pid) not in in_forecast}
    return resolve_partner(name, in_forecast, role="customer", scope=" with an open invoice or sale order",
                           known_elsewhere=known, missing=f"has no open invoice or sale order to {what}")


def _scenario(ctx: ToolContext, args: ScenarioArgs, base: CashForecast) -> Scenario:
    if args.kind == "delay_collections":
        return Scenario(kind="delay_collections", days=args.days)
    if args.kind == "delay_customer":
        return Scenario(kind="delay_customer", partner=_customer_id(ctx, base, args.customer or "", "pay late"),
                        days=args.days)
    if args.kind == "customer_default":
        return Scenario(kind="customer_default", partner=_customer_id(ctx, base, args.customer or ""))
    if args.kind == "sales_change":
        return Scenario(kind="sales_change", percent=args.percent)
    return Scenario(kind="defer_po", order=(args.purchase_order or "").strip(), weeks=args.weeks)


def _customer_name(scenario: Scenario, base: CashForecast) -> str | None:
    """The customer's name in a one-customer scenario (the scenario holds its id)."""
    if scenario.kind not in ("customer_default", "delay_customer"):
        return None
    return next((f.partner_name for f in base.flows if f.partner_id == scenario.partner), str(scenario.partner))


@tool(kind="read")
def cash_scenario(ctx: ToolContext, args: ScenarioArgs) -> ToolOutput:
    """What-if on the 13-week cash forecast: customers paying N days later, one customer paying N days later, a
    customer defaulting, sales up or down by a percentage, or a purchase order deferred by some weeks. Returns
    the base and the scenario's lowest cash point and the difference, the ending balance difference, and the
    records it changes. Use for "what if X doesn't pay", "what if X pays a month late", "what if collections
    slip 2 weeks", "what if sales drop 20%".

    The scenario changes only the flows it names; everything else is the base forecast. When a customer
    in a one-customer scenario adds (next to) nothing to the base forecast's expected path within the horizon
    (its open items are already expected not to be paid in time), ``already_unpaid`` says so, and a
    difference near zero is explained by it rather than reported as if the customer did not matter.
    """
    from ledgerpilot.calc.cash import forecast as cashflow

    _check_parameters(args)
    threshold = threshold_level(ctx, None)
    loaded = cash_books(ctx)
    base = base_forecast(ctx, 13, threshold)
    scenario = _scenario(ctx, args, base)
    params = forecast_params(13, threshold)
    result = ctx.memo(("cash_scenario", ctx.today, loaded.inputs_hash, params, scenario),
                      lambda: cashflow.run_scenario(loaded.books, loaded.behaviour, params, scenario, base=base))
    changed = result.forecast
    customer = _customer_name(scenario, base)
    description = scenario.label() if customer is None else (
        f"customer {customer} does not pay" if scenario.kind == "customer_default"
        else f"customer {customer} pays {scenario.days} days later")
    affected = flow_rows(result.affected, TOP_RECORDS, by="amount")
    cited = [f for f in result.affected if f.source_name in {row["record"] for row in affected}]
    data = {
        "kind": args.kind, "description": description, "currency": base.currency,
        "weeks": base.weeks, "as_of": base.as_of,
        "base_lowest": {"amount": base.lowest_balance, "date": base.lowest_date},
        "scenario_lowest": {"amount": changed.lowest_balance, "date": changed.lowest_date},
        "lowest_difference": result.lowest_difference,
        "base_ending": base.weeks_rows[-1].closing, "scenario_ending": changed.weeks_rows[-1].closing,
        "ending_difference": result.ending_difference,
        "threshold": base.threshold, "base_breach_count": len(base.breaches),
        "scenario_breach_count": len(changed.breaches),
        "affected_count": len(result.affected),
        "affected_amount": sum((f.amount for f in result.affected), Decimal(0)),
        "affected_records": affected,
    }
    if customer is not None:
        data["customer"] = customer
        own = [f for f in base.flows if f.partner_id == scenario.partner and f.amount > 0
               and f.category in ("receivable", "sale_order")]
        data["customer_open_amount"] = sum((f.amount for f in own), Decimal(0))
        data["customer_expected_in_horizon"] = sum((f.expected_amount for f in own), Decimal(0))
        # 1% or less of what it owes expected in the horizon: the base already treats it as not paying
        data["already_unpaid"] = bool(own) and (data["customer_expected_in_horizon"]
                                                <= data["customer_open_amount"] * ALREADY_UNPAID_SHARE)
    return ToolOutput(data=data, citations=tuple(flow_citations(ctx, loaded, cited)))
