"""Shadow mode: forecast from what was known at past dates and score it against the bank.

For each cut date the books are cut (``cash_cut.books_as_of``), the payment-behaviour model is
fitted on what was known then, and three forecasts are made in the same run:
- ``model``: the product's forecast (delays, orders, recurring flows, run-rate, bands);
- ``due_date``: every open item paid on its due date; no orders, no recurring flows;
- ``due_date_orders``: the same plus open orders on their terms, without delays;
- ``due_date_recurring``: everything the product forecasts (orders, recurring flows, run-rate)
  except the payment-behaviour model: open items on their due dates. The model's own gain is its
  improvement over this one; the gain over ``due_date`` also counts adding payroll, rent and taxes.
Each is compared week by week with what the bank did (``cash_cut.actual_bank_flows``). Metrics over
all cuts and weeks: WAPE of the weekly net flow (sum |actual - forecast| / sum |actual|), the mean
absolute error of the closing balance at the horizon, and for the model the share of actual weekly
closing balances inside its P10-P90 band.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np

from ledgerpilot.calc.cash.cut import actual_bank_flows, books_as_of
from ledgerpilot.calc.cash.forecast.engine import forecast
from ledgerpilot.calc.cash.forecast.errors import ForecastError
from ledgerpilot.calc.cash.forecast.params import ForecastParams
from ledgerpilot.calc.cash.forecast.results import BacktestResult, BacktestWeek, VariantMetrics
from ledgerpilot.calc.cash.history import CashHistory
from ledgerpilot.calc.cash.payment_behaviour.model import fit_payment_behaviour
from ledgerpilot.domain.money import minor_to_decimal
from ledgerpilot.domain.month import add_months

#: simulations for the baselines, whose bands are not scored
BASELINE_SIMULATIONS = 10

VARIANTS = {
    "model": "payment behaviour, orders, recurring flows and run-rate",
    "due_date": "open items on their due dates, nothing else",
    "due_date_orders": "open items on their due dates plus open orders on their terms, no delays",
    "due_date_recurring": "open items on their due dates plus orders, recurring flows and run-rate, no delay model",
}


def variant_params(params: ForecastParams) -> dict[str, ForecastParams]:
    sims = min(params.simulations, BASELINE_SIMULATIONS)
    return {
        "model": params,
        "due_date": params.model_copy(update={"use_behaviour": False, "include_orders": False,
                                              "include_recurring": False, "include_run_rate": False,
                                              "simulations": sims}),
        "due_date_orders": params.model_copy(update={"use_behaviour": False, "include_orders": True,
                                                     "order_delays": False, "include_recurring": False,
                                                     "include_run_rate": False, "simulations": sims}),
        "due_date_recurring": params.model_copy(update={"use_behaviour": False, "order_delays": False,
                                                        "simulations": sims}),
    }


def default_cuts(today: dt.date, months: int = 12, weeks: int = 13) -> list[dt.date]:
    """Monthly cut dates over the last ``months`` months whose whole horizon lies before ``today``."""
    start = add_months(today, -months)
    cuts, n = [], 0
    while True:
        cut = add_months(start, n)
        if cut + dt.timedelta(days=7 * weeks) > today:
            return cuts
        cuts.append(cut)
        n += 1


def cut_dates(start: dt.date, end: dt.date, step_days: int) -> list[dt.date]:
    """Every ``step_days`` from ``start`` to ``end`` included."""
    if step_days < 1:
        raise ForecastError(f"the backtest step must be at least one day, got {step_days}")
    if end < start:
        raise ForecastError(f"the backtest ends ({end}) before it starts ({start})")
    return [start + dt.timedelta(days=d) for d in range(0, (end - start).days + 1, step_days)]


def backtest(history: CashHistory, cut_dates: Sequence[dt.date], params: ForecastParams | None = None,
             fit: Callable = fit_payment_behaviour) -> BacktestResult:
    params = params or ForecastParams()
    digits, horizon = history.digits, params.horizon_days
    variants = variant_params(params)
    errors = {name: [] for name in variants}       # per week |actual - forecast| (minor)
    actual_abs: list[int] = []
    ending = {name: [] for name in variants}
    inside: list[bool] = []
    rows: list[BacktestWeek] = []
    skipped: list[str] = []
    scored: list[dt.date] = []
    for cut in sorted(set(cut_dates)):
        if cut + dt.timedelta(days=horizon) > history.extracted_on:
            skipped.append(f"{cut.isoformat()}: its {params.weeks} weeks end after the books "
                           f"({history.extracted_on.isoformat()})")
            continue
        books = books_as_of(history, cut)
        if not len(books.bank_history):
            skipped.append(f"{cut.isoformat()}: no bank movement before it")
            continue
        behaviour = fit(books.paid_items, cut, books.open_items)
        results = {name: forecast(books, behaviour if name == "model" else None, p) for name, p in variants.items()}
        actual = actual_bank_flows(history, cut, cut + dt.timedelta(days=horizon))
        daily = np.rint(actual["amount"].to_numpy(dtype="float64") * 10**digits).astype("int64")
        weekly = daily.reshape(params.weeks, 7).sum(axis=1)
        opening = int(results["model"].opening_balance.scaleb(digits))
        closing = opening + np.cumsum(weekly)
        scored.append(cut)
        for w in range(params.weeks):
            nets = {name: int(r.weeks_rows[w].net.scaleb(digits)) for name, r in results.items()}
            for name, value in nets.items():
                errors[name].append(abs(int(weekly[w]) - value))
            actual_abs.append(abs(int(weekly[w])))
            model_week = results["model"].weeks_rows[w]
            inside.append(bool(model_week.p10.scaleb(digits) <= int(closing[w]) <= model_week.p90.scaleb(digits)))
            rows.append(BacktestWeek(
                cut=cut, index=w + 1, start=model_week.start, end=model_week.end,
                actual_net=minor_to_decimal(int(weekly[w]), digits),
                actual_closing=minor_to_decimal(int(closing[w]), digits),
                forecasts={name: minor_to_decimal(v, digits) for name, v in nets.items()},
                model_p10=model_week.p10, model_p90=model_week.p90, model_closing=model_week.closing))
        for name, r in results.items():
            ending[name].append(abs(int(closing[-1]) - int(r.weeks_rows[-1].closing.scaleb(digits))))
    denominator = sum(actual_abs)
    metrics = tuple(VariantMetrics(
        variant=name, description=VARIANTS[name],
        wape=None if not denominator else round(sum(errors[name]) / denominator, 4),
        ending_balance_mae=None if not ending[name] else round(float(np.mean(ending[name])) / 10**digits, digits),
        band_coverage=(round(float(np.mean(inside)), 4) if inside else None) if name == "model" else None,
        weeks_scored=len(errors[name])) for name in variants)
    return BacktestResult(cuts=tuple(scored), weeks=params.weeks, currency=history.currency, variants=metrics,
                          rows=tuple(rows), params=params, skipped_cuts=tuple(skipped))
