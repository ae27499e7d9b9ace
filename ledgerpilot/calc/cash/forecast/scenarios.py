"""What-ifs on the base forecast's flows, and their difference from the base.

A scenario changes amounts or landing days of existing flow rows and never adds or removes one,
so it draws the same random numbers as the base and the difference is its own effect:
- ``delay_collections``: every inflow from customers (open receivables, sale orders, the sales
  run-rate) lands ``days`` later;
- ``delay_customer``: one customer's open invoices and orders land ``days`` later (its credit notes
  keep their dates);
- ``customer_default``: a customer's open invoices and orders are never paid (its credit notes
  still go out);
- ``sales_change``: open sale orders and the sales run-rate change by ``percent``;
- ``defer_po``: a purchase order's outflows land ``weeks`` weeks later.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ledgerpilot.calc.cash.forecast.engine import FlowPlan, build_flows, project
from ledgerpilot.calc.cash.forecast.errors import ScenarioError
from ledgerpilot.calc.cash.forecast.params import ForecastParams, Scenario
from ledgerpilot.calc.cash.forecast.results import CashForecast, ScenarioResult, WeekDiff
from ledgerpilot.calc.cash.history import CashBooks

CUSTOMER_CATEGORIES = ("receivable", "sale_order")


def resolve_customer(table: pd.DataFrame, partner: str | int | None) -> int:
    """A customer's id from its id or name (exact, else a unique case-insensitive part)."""
    customers = table[table["category"].isin(CUSTOMER_CATEGORIES) & table["partner_id"].notna()]
    names = customers.drop_duplicates("partner_id").set_index("partner_id")["partner_name"]
    if partner is None or (isinstance(partner, str) and not partner.strip()):
        raise ScenarioError("the scenario needs a customer name or id")
    if isinstance(partner, int) or str(partner).isdigit():
        pid = int(partner)
        if pid in names.index:
            return pid
        raise ScenarioError(f"customer id {pid} has no open invoice or sale order in the forecast")
    text = str(partner).strip().lower()
    exact = [int(pid) for pid, name in names.items() if str(name).strip().lower() == text]
    if len(exact) == 1:
        return exact[0]
    partial = [int(pid) for pid, name in names.items() if text in str(name).lower()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        found = ", ".join(sorted(str(names[p]) for p in partial)[:8])
        raise ScenarioError(f"customer {partner!r} is ambiguous: it matches {found}; give the full name or the id")
    raise ScenarioError(f"no customer named {partner!r} has an open invoice or sale order in the forecast")


def apply_scenario(table: pd.DataFrame, scenario: Scenario, digits: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The scenario's flow table and the mask of the rows it changed."""
    out = table.copy()
    inflow_customer = out["category"].isin(CUSTOMER_CATEGORIES) | (out["stream"] == "sales")
    if scenario.kind == "delay_collections":
        mask = (inflow_customer & (out["amount_minor"] > 0)).to_numpy()
        out.loc[mask, "shift"] = out.loc[mask, "shift"] + scenario.days
    elif scenario.kind in ("customer_default", "delay_customer"):
        pid = resolve_customer(out, scenario.partner)
        mask = (out["category"].isin(CUSTOMER_CATEGORIES) & (out["partner_id"] == pid).fillna(False)
                & (out["amount_minor"] > 0)).to_numpy()
        if scenario.kind == "customer_default":
            out.loc[mask, "amount_minor"] = 0
        else:
            out.loc[mask, "shift"] = out.loc[mask, "shift"] + scenario.days
    elif scenario.kind == "sales_change":
        mask = ((out["category"] == "sale_order") | (out["stream"] == "sales")).to_numpy()
        factor = 1.0 + scenario.percent / 100.0
        out.loc[mask, "amount_minor"] = np.rint(out.loc[mask, "amount_minor"].to_numpy(dtype="float64")
                                                * factor).astype("int64")
    else:
        name = (scenario.order or "").strip()
        orders = out["category"] == "purchase_order"
        mask = (orders & (out["source_name"].str.lower() == name.lower())).to_numpy()
        if not name or not mask.any():
            known = sorted(set(out.loc[orders, "source_name"]))
            hint = f" (open purchase orders: {', '.join(known[:10])}{'...' if len(known) > 10 else ''})" if known else \
                " (there is no open purchase order)"
            raise ScenarioError(f"no open purchase order named {name!r}{hint}")
        out.loc[mask, "shift"] = out.loc[mask, "shift"] + 7 * scenario.weeks
    out["amount_minor"] = out["amount_minor"].astype("int64")
    out["shift"] = out["shift"].astype("int64")
    return out, mask


def _diff(base: CashForecast, other: CashForecast) -> tuple[WeekDiff, ...]:
    return tuple(WeekDiff(
        index=b.index, start=b.start, end=b.end, base_net=b.net, scenario_net=s.net, net_difference=s.net - b.net,
        base_closing=b.closing, scenario_closing=s.closing, closing_difference=s.closing - b.closing,
        p10_difference=s.p10 - b.p10) for b, s in zip(base.weeks_rows, other.weeks_rows))


def run_scenario(books: CashBooks, behaviour, params: ForecastParams, scenario: Scenario,
                 base: CashForecast | None = None) -> ScenarioResult:
    """The scenario's forecast beside the base one, week by week."""
    plan = build_flows(books, params)
    if base is None:
        base = project(books, behaviour, params, plan)
    table, mask = apply_scenario(plan.table, scenario, books.digits)
    changed = project(books, behaviour, params, FlowPlan(table, plan.patterns, plan.notes), scenario)
    affected_keys = {(r.source_model, r.source_name, r.due, r.amount_minor) for r in plan.table[mask].itertuples()}
    affected = tuple(f for f in base.flows
                     if (f.source_model, f.source_name, (f.due_date - base.as_of).days,
                         int(f.amount.scaleb(books.digits))) in affected_keys)
    weeks = _diff(base, changed)
    return ScenarioResult(
        scenario=scenario, description=scenario.label(), base=base, forecast=changed, weeks=weeks,
        lowest_difference=changed.lowest_balance - base.lowest_balance,
        ending_difference=changed.weeks_rows[-1].closing - base.weeks_rows[-1].closing, affected=affected)
