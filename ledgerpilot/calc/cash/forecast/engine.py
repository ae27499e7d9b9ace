"""The 13-week forecast: flows -> expected daily path, simulated bands, weeks, drivers.

``forecast(books, behaviour, params)`` builds the flow table (open items, open orders, payments
recorded but not on the bank yet, recurring flows, the run-rate of business not booked yet),
lands every flow on a day (``simulate``), and adds them up exactly in minor units: for every day
opening + inflows - outflows = closing.

The expected path (``closing``, hence ``lowest_balance``, the chart line and the proposals) is
the expected cash position: an item timed by the payment-behaviour model counts on every day it
lands on in the simulations, for the mean of what lands there, so for these items the path is the
mean of the simulated paths (``simulate.expected_path``) and stays inside the P10-P90 band but in
rare edge cases; the other flows (recurring, run-rate, payments on their way to the bank, items on
their due date in the due-date variant) count in full on their expected day. Everything is in
whole minor units and exact: each flow's daily amounts add up to its ``expected_amount``, and
every day opening + inflows - outflows = closing. When delays have no spread and no timing noise,
every flow lands on a single day and the path is the hand-computed one to the cent.
P10/P50/P90 are percentiles of the simulated closing balances. A week's drivers are the flows with
the most expected cash in that week, each with the part of it expected in that week (``week_amount``). Each flow's ``expected_date`` is its typical landing day
(due date + the partner's median delay), ``expected_amount`` what it brings within the horizon on
average and ``probability`` the share of simulations in which it lands within the horizon.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from ledgerpilot.calc.cash.forecast.assumptions import describe
from ledgerpilot.calc.cash.forecast.bank_lag import bank_lags, in_transit
from ledgerpilot.calc.cash.forecast.common_shift import common_delay_spread
from ledgerpilot.calc.cash.forecast.drivers import week_drivers
from ledgerpilot.calc.cash.forecast.errors import ForecastError
from ledgerpilot.calc.cash.forecast.flows import concat_flows, open_item_flows, order_flows, transit_flows
from ledgerpilot.calc.cash.forecast.params import ForecastParams, Scenario
from ledgerpilot.calc.cash.forecast.recurring import detect_recurring, recurring_flows
from ledgerpilot.calc.cash.forecast.results import CashForecast, DayRow, Flow, WeekDriver, WeekRow
from ledgerpilot.calc.cash.forecast.run_rate import run_rate_flows
from ledgerpilot.calc.cash.forecast.simulate import (
    Landing,
    band,
    draw_landings,
    expected_path,
    simulated_closings,
)
from ledgerpilot.calc.cash.forecast.terms import PaymentTerms
from ledgerpilot.calc.cash.history import CashBooks
from ledgerpilot.domain.money import minor_to_decimal


class FlowPlan:
    """The flow table of a forecast with what was learned to build it (for the assumptions)."""

    def __init__(self, table: pd.DataFrame, patterns: list, notes: list[str]):
        self.table = table
        self.patterns = patterns
        self.notes = notes


def build_flows(books: CashBooks, params: ForecastParams) -> FlowPlan:
    """Every flow the forecast projects, before any delay is applied."""
    use_delay = params.use_behaviour
    parts = [open_item_flows(books.open_items, books.as_of, books.digits, use_delay)]
    if params.include_orders:
        terms = PaymentTerms(books.payment_terms)
        parts.append(order_flows(books.open_order_lines, terms, books.as_of, books.digits,
                                 use_delay and params.order_delays, params.order_timing_sd_days))
    known = concat_flows(parts)
    lags = bank_lags(books.paid_items, books.bank_history, books.as_of, books.digits) if use_delay else {}
    parts = [_with_lag(known, lags)]
    if lags:
        parts.append(transit_flows(in_transit(books.paid_items, books.bank_history, books.as_of, books.digits, lags),
                                   books.as_of, books.digits, lags))
    notes = [f"{'Customer receipts' if kind == 'receivable' else 'Vendor payments'} show on the bank {lag.days} "
             f"day(s) after they are recorded (median of {lag.matches} recent payments)"
             for kind, lag in lags.items() if lag.days]
    patterns: list = []
    if params.include_recurring:
        patterns = detect_recurring(books.bank_history, books.as_of, books.digits)
        covered = known[known["category"].isin(["payable", "purchase_order"])]
        parts.append(recurring_flows(patterns, books.as_of, params.horizon_days, covered))
    if params.include_run_rate:
        recurring_partners = frozenset(p.partner_id for p in patterns if p.partner_id is not None)
        rate_rows, rate_notes = run_rate_flows(books, params.horizon_days, known, recurring_partners)
        notes.extend(rate_notes)
        parts.append(rate_rows)
    return FlowPlan(concat_flows(parts), patterns, notes)


def _with_lag(table: pd.DataFrame, lags: dict) -> pd.DataFrame:
    """Open items and orders land when the bank shows the payment, not when it is entered."""
    if not lags or not len(table):
        return table
    table = table.copy()
    for kind, lag in lags.items():
        rows = (table["behaviour_kind"] == kind).to_numpy()
        if lag.days:
            table.loc[rows, "due"] = table.loc[rows, "due"] + lag.days
        table.loc[rows, "timing_sd"] = np.sqrt(table.loc[rows, "timing_sd"] ** 2 + lag.spread ** 2)
    return table


def forecast(books: CashBooks, behaviour, params: ForecastParams | None = None) -> CashForecast:
    """The forecast from ``books`` (what was known on ``books.as_of``) and a payment-behaviour
    model (None: every item on its due date). Deterministic for ``params.seed``."""
    params = params or ForecastParams()
    _check(books, params)
    plan = build_flows(books, params)
    return project(books, behaviour, params, plan)


def _check(books: CashBooks, params: ForecastParams) -> None:
    if books.opening_balance is None or (isinstance(books.opening_balance, float) and np.isnan(books.opening_balance)):
        raise ForecastError("the opening bank balance is unknown: the books have no bank or cash account")
    if params.threshold is not None and not np.isfinite(params.threshold):
        raise ForecastError(f"the threshold {params.threshold!r} is not a number")


def project(books: CashBooks, behaviour, params: ForecastParams, plan: FlowPlan,
            scenario: Scenario | None = None) -> CashForecast:
    """Land the flows of ``plan`` and add them up into days and weeks."""
    table = plan.table
    digits, horizon = books.digits, params.horizon_days
    common = common_delay_spread(books.paid_items, books.as_of) if params.use_behaviour else {}
    landing = draw_landings(table, behaviour, use_behaviour=params.use_behaviour,
                            simulations=params.simulations, seed=params.seed, common_spread=common)
    opening = round(float(books.opening_balance) * 10**digits)
    nominal = table["amount_minor"].to_numpy(dtype="int64")
    path = expected_path(landing, nominal, horizon)
    inflow = path.daily[nominal > 0].sum(axis=0).astype("int64")
    outflow = -path.daily[nominal < 0].sum(axis=0).astype("int64")
    net = inflow - outflow
    closing = opening + np.cumsum(net)
    closing_open = np.concatenate([[opening], closing[:-1]])
    closings = simulated_closings(landing, opening, horizon)
    bands = band(closings).astype("int64")

    def dec(minor) -> Decimal:
        return minor_to_decimal(int(minor), digits)

    days = tuple(
        DayRow(date=books.as_of + dt.timedelta(days=i + 1), opening=dec(closing_open[i]), inflows=dec(inflow[i]),
               outflows=dec(outflow[i]), net=dec(net[i]), closing=dec(closing[i]), p10=dec(bands[0, i]),
               p50=dec(bands[1, i]), p90=dec(bands[2, i]))
        for i in range(horizon))
    flows = _flows(table, landing, path.probability, path.amounts, books.as_of, horizon, digits)
    threshold = None if params.threshold is None else Decimal(str(params.threshold)).quantize(Decimal(1).scaleb(-digits))
    threshold_minor = None if params.threshold is None else round(params.threshold * 10**digits)
    drivers = week_drivers(path.daily, params.weeks)
    weeks: list[WeekRow] = []
    for w in range(params.weeks):
        lo, hi = 7 * w, 7 * w + 7
        below = threshold_minor is not None and bool(
            closing[lo:hi].min() < threshold_minor or bands[0, lo:hi].min() < threshold_minor)
        weeks.append(WeekRow(
            index=w + 1, start=days[lo].date, end=days[hi - 1].date, opening=dec(closing_open[lo]),
            inflows=dec(inflow[lo:hi].sum()), outflows=dec(outflow[lo:hi].sum()), net=dec(net[lo:hi].sum()),
            closing=dec(closing[hi - 1]), p10=dec(bands[0, hi - 1]), p50=dec(bands[1, hi - 1]),
            p90=dec(bands[2, hi - 1]), below_threshold=below,
            drivers=tuple(WeekDriver.model_construct(**dict(flows[i]), week_amount=dec(minor))
                          for i, minor in drivers[w])))
    low = int(np.argmin(closing))
    low_p10 = int(np.argmin(bands[0]))
    foreign = _foreign(books)
    notes = list(plan.notes) + [
        f"In the bands, {'customers' if kind == 'receivable' else 'the company'} may pay late or early together: "
        f"a shared shift of about {spread:.0f} days (the month-to-month spread of the mean delay)"
        for kind, spread in common.items() if spread >= 0.5 and behaviour is not None]
    assumptions = describe(table, behaviour, params, plan.patterns, notes, books.currency, digits, foreign)
    return CashForecast(
        as_of=books.as_of, currency=books.currency, digits=digits, weeks=params.weeks,
        opening_balance=dec(opening), threshold=threshold, days=days, weeks_rows=tuple(weeks),
        lowest_balance=dec(closing[low]), lowest_date=days[low].date, lowest_p10=dec(bands[0, low_p10]),
        lowest_p10_date=days[low_p10].date, breaches=tuple(w for w in weeks if w.below_threshold),
        flows=tuple(f for f in flows if f.amount != 0), assumptions=assumptions, params=params, scenario=scenario)


def _foreign(books: CashBooks) -> list[str]:
    items = books.open_items
    if not len(items) or "currency" not in items:
        return []
    codes = {str(c) for c in items["currency"].dropna().unique()}
    return sorted(codes - {books.currency})


def _flows(table: pd.DataFrame, landing: Landing, probability: np.ndarray, expected_amounts: np.ndarray,
           as_of: dt.date, horizon: int, digits: int) -> list[Flow]:
    """One ``Flow`` per table row (same order), with its expected date, amount and probability."""
    if not len(table):
        return []
    base = np.datetime64(as_of, "D")
    out: list[Flow] = []
    for i, row in enumerate(table.itertuples(index=False)):
        exp = int(landing.expected[i])
        out.append(Flow.model_construct(
            category=row.category, source_model=row.source_model,
            source_id=None if pd.isna(row.source_id) else int(row.source_id), source_name=row.source_name,
            partner_id=None if pd.isna(row.partner_id) else int(row.partner_id), partner_name=row.partner_name,
            due_date=(base + np.timedelta64(int(row.due), "D")).astype(dt.date),
            expected_date=None if exp > horizon else (base + np.timedelta64(exp, "D")).astype(dt.date),
            amount=minor_to_decimal(int(row.amount_minor), digits),
            expected_amount=minor_to_decimal(int(expected_amounts[i]), digits),
            probability=round(float(probability[i]), 4),
            source_ids=tuple(row.source_ids)))
    return out
