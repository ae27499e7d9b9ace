"""Cash forecast orchestration: Odoo -> history -> books -> behaviour -> forecast -> stored run -> proposals.

The three entry points the CLI (and later the agent) call:

- :func:`run_forecast`: pull the books once, forecast from the as-of date (with any scenarios), save
  the run with its lineage, and store the proposals it calls for in the state ``proposed`` -- except a
  known finding (an invoice already followed up, the same bills already proposed for payment) and a
  payment of bills that an earlier payment proposal, still waiting or being written, already pays;
- :func:`run_backtest`: cut the same history at past dates and score the model against the two
  baselines; the result is saved as a run of kind ``backtest``;
- :func:`compare_run`: a stored forecast against what the bank did since (fresh pull).

Extraction and computation are timed separately: the first depends on Odoo and the network, the
second is ledgerpilot's own work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ledgerpilot.calc.cash.compare import ForecastComparison, compare_forecast
from ledgerpilot.calc.cash.forecast.params import ForecastParams, Scenario, parse_threshold
from ledgerpilot.calc.cash.forecast.results import BacktestResult, CashForecast, ScenarioResult
from ledgerpilot.calc.cash.history import CashHistory
from ledgerpilot.calc.cash.proposals import ProposalRules, cash_proposals
from ledgerpilot.domain.money import quantize
from ledgerpilot.domain.month import add_months
from ledgerpilot.domain.proposal import Proposal
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory import ForecastRun, ForecastRunStore, ProposalStore, StateDB
from ledgerpilot.tools import Timings

Progress = Callable[[str], None]


class ForecastUsageError(LedgerpilotError):
    """A forecast option is malformed (a bad date, step or range)."""

    exit_code = 2


class RunMismatchError(LedgerpilotError):
    """A stored run is compared against another Odoo database than the one it came from."""


class ForecastOutcome(BaseModel):
    """Everything one forecast run produced, for the CLI and the agent."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    company: str
    odoo_url: str
    odoo_db: str
    inputs_hash: str
    forecast: CashForecast
    scenarios: tuple[ScenarioResult, ...]
    proposals: tuple[Proposal, ...]
    new_proposals: int                 # how many were not already stored
    surplus_level: Decimal | None
    notes: tuple[str, ...]
    timings: Timings


class BacktestOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    company: str
    result: BacktestResult
    timings: Timings


class ComparisonOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    company: str
    comparison: ForecastComparison


@dataclass(frozen=True)
class ForecastRequest:
    """What the user asked for. ``threshold``/``surplus_level`` are text such as ``"50000 EUR"``
    or plain numbers, checked against the company currency once it is known."""

    as_of: dt.date | None = None
    weeks: int = 13
    threshold: str | float | None = None
    surplus_level: str | float | None = None
    scenarios: tuple[Scenario, ...] = ()
    simulations: int = 500
    seed: int = 0


def inputs_hash(history: CashHistory) -> str:
    """One hash of every extracted frame (the ``hash.*`` entries of ``CashHistory.source``)."""
    parts = sorted((k, v) for k, v in history.source.items() if k.startswith("hash."))
    return hashlib.sha256("\n".join(f"{k}={v}" for k, v in parts).encode()).hexdigest()


def _level(value: str | float | None, currency: str) -> float | None:
    if value is None or value == "":
        return None
    return parse_threshold(str(value), currency)


def check_levels(request: ForecastRequest, currency: str) -> tuple[float | None, float | None]:
    """The threshold and surplus level in the company currency, or ``ThresholdCurrencyError``."""
    return _level(request.threshold, currency), _level(request.surplus_level, currency)


def _company_currency(client) -> str:
    from ledgerpilot.tools.ledger.overview import company_info

    return company_info(client).currency


def load_history(client, today: dt.date | None, progress: Progress | None) -> tuple[CashHistory, float]:
    from ledgerpilot.tools.cash.history import load_cash_history

    started = time.perf_counter()
    history = load_cash_history(client, progress=progress, today=today)
    return history, time.perf_counter() - started


def forecast_history(history: CashHistory, as_of: dt.date, params: ForecastParams,
                     scenarios: Sequence[Scenario] = ()) -> tuple[Any, CashForecast, tuple[ScenarioResult, ...]]:
    """Books on ``as_of`` -> behaviour model -> base forecast and scenario results (pure)."""
    from ledgerpilot.calc.cash import forecast as cashflow
    from ledgerpilot.calc.cash.cut import books_as_of
    from ledgerpilot.calc.cash.payment_behaviour.model import fit_payment_behaviour

    books = books_as_of(history, as_of)
    behaviour = fit_payment_behaviour(books.paid_items, as_of, books.open_items)
    base = cashflow.forecast(books, behaviour, params)
    results = tuple(cashflow.run_scenario(books, behaviour, params, scenario, base=base) for scenario in scenarios)
    return books, base, results


def run_forecast(client, home: Path, request: ForecastRequest, *, today: dt.date | None = None,
                 progress: Progress | None = None) -> ForecastOutcome:
    """Forecast the connected company, save the run and its proposals; see the module docstring."""
    step = progress or (lambda _message: None)
    threshold, surplus = check_levels(request, _company_currency(client))   # fail before the long pull
    history, extraction = load_history(client, today, step)
    as_of = request.as_of or history.extracted_on
    if as_of > history.extracted_on:
        raise ForecastUsageError(f"--as-of {as_of} is after the day the books were read ({history.extracted_on}): "
                                 "a forecast starts from what is known")
    params = ForecastParams(weeks=request.weeks, threshold=threshold, simulations=request.simulations,
                            seed=request.seed)
    step("forecasting")
    started = time.perf_counter()
    books, base, scenario_results = forecast_history(history, as_of, params, request.scenarios)
    rules = ProposalRules(threshold=None if threshold is None else quantize(threshold, history.digits),
                          surplus_level=None if surplus is None else quantize(surplus, history.digits))
    run = ForecastRun(kind="forecast", as_of=as_of,
                      params={**params.model_dump(mode="json"),
                              "surplus_level": None if surplus is None else str(rules.surplus_level),
                              "scenarios": [s.model_dump(mode="json") for s in request.scenarios]},
                      inputs_hash=inputs_hash(history), odoo_url=history.source.get("url", ""),
                      odoo_db=history.source.get("db", ""), company=history.company_name,
                      currency=history.currency, result=base.model_dump(mode="json"))
    proposals = cash_proposals(base, books.open_items, rules, run.run_id)
    compute = time.perf_counter() - started
    step("saving the run")
    stored: list[Proposal] = []
    created = 0
    with StateDB.in_home(home) as db:
        ForecastRunStore(db).save(run)
        store = ProposalStore(db)
        for proposal in proposals:
            waiting = open_payments_of_the_same_bills(store, proposal)
            if waiting:
                stored.extend(waiting)
                continue
            for outcome in store.add_finding([proposal]):
                stored.append(outcome.proposal)
                created += outcome.created
    notes = tuple(n for n in (history.source.get("notes"),) if n)
    return ForecastOutcome(run_id=run.run_id, company=history.company_name, odoo_url=run.odoo_url,
                           odoo_db=run.odoo_db, inputs_hash=run.inputs_hash, forecast=base,
                           scenarios=scenario_results, proposals=tuple(stored), new_proposals=created,
                           surplus_level=rules.surplus_level, notes=notes,
                           timings=Timings.of(extraction, compute))


OPEN_STATES = ("proposed", "approved", "applying")


def open_payments_of_the_same_bills(store: ProposalStore, proposal: Proposal) -> list[Proposal]:
    """For a payment proposal: the payment proposals not yet decided or written that pay one of its bills.

    A forecast a day later may choose another set of bills (one more due, one fewer); while an earlier
    payment of some of them waits for a decision or its write, proposing them again could pay a bill twice.
    So nothing new is proposed until that one is decided and written (the paid bills then leave the books)
    or rejected."""
    if proposal.kind != "payment_proposal":
        return []
    bills = {ref.id for ref in proposal.evidence.records if ref.model == "account.move"}
    found = []
    for state in OPEN_STATES:
        for other in store.list(state=state, kind="payment_proposal"):
            if bills & {ref.id for ref in other.evidence.records if ref.model == "account.move"}:
                found.append(other)
    return found


# ------------------------------------------------------------------------------------------- backtest

_STEP = re.compile(r"^\s*([0-9]{1,4})\s*([dwm])\s*$", re.IGNORECASE)


def parse_step(text: str) -> tuple[int, str]:
    """``"1m"``, ``"2w"``, ``"10d"`` -> (count, unit); at most 9999 of the unit."""
    match = _STEP.match(text or "")
    if not match or int(match.group(1)) < 1:
        raise ForecastUsageError(f"step {text!r} is not a period such as 1m (a month), 2w (two weeks) or 10d")
    return int(match.group(1)), match.group(2).lower()


def _add(day: dt.date, count: int, unit: str) -> dt.date:
    if unit == "d":
        return day + dt.timedelta(days=count)
    if unit == "w":
        return day + dt.timedelta(weeks=count)
    return add_months(day, count)


def cut_dates(start: dt.date, end: dt.date, step: str) -> list[dt.date]:
    """Cut dates from ``start`` to ``end`` inclusive, every ``step``."""
    if end < start:
        raise ForecastUsageError(f"the backtest range is empty: --from {start} is after --to {end}")
    count, unit = parse_step(step)
    cuts, day, i = [], start, 0
    while day <= end:
        cuts.append(day)
        i += 1
        day = _add(start, count * i, unit)
    return cuts


def default_backtest_range(today: dt.date, weeks: int) -> tuple[dt.date, dt.date]:
    """The last 12 months of cuts whose whole horizon has already happened."""
    end = today - dt.timedelta(days=7 * weeks)
    return _add(end, -12, "m"), end


def run_backtest(client, home: Path, *, start: dt.date | None = None, end: dt.date | None = None,
                 step: str = "1m", weeks: int = 13, simulations: int = 300, seed: int = 0,
                 today: dt.date | None = None, progress: Progress | None = None) -> BacktestOutcome:
    """Backtest the forecast over past cut dates against the due-date baselines; save the run."""
    from ledgerpilot.calc.cash import forecast as cashflow

    parse_step(step)
    say = progress or (lambda _message: None)
    history, extraction = load_history(client, today, say)
    default_start, default_end = default_backtest_range(history.extracted_on, weeks)
    start, end = start or default_start, end or default_end
    if end >= history.extracted_on:
        raise ForecastUsageError(f"--to {end} must be before the day the books were read ({history.extracted_on}): "
                                 "a backtest needs what happened after each cut")
    cuts = cut_dates(start, end, step)
    params = ForecastParams(weeks=weeks, simulations=simulations, seed=seed)
    say(f"backtesting {len(cuts)} cut dates")
    started = time.perf_counter()
    result = cashflow.backtest(history, cuts, params)
    compute = time.perf_counter() - started
    run = ForecastRun(kind="backtest", as_of=cuts[-1],
                      params={**params.model_dump(mode="json"), "from": start.isoformat(), "to": end.isoformat(),
                              "step": step},
                      inputs_hash=inputs_hash(history), odoo_url=history.source.get("url", ""),
                      odoo_db=history.source.get("db", ""), company=history.company_name,
                      currency=history.currency, result=result.model_dump(mode="json"))
    with StateDB.in_home(home) as db:
        ForecastRunStore(db).save(run)
    return BacktestOutcome(run_id=run.run_id, company=history.company_name, result=result,
                           timings=Timings.of(extraction, compute))


# -------------------------------------------------------------------------------------------- compare


def compare_run(client, home: Path, run_id: str, *, today: dt.date | None = None,
                progress: Progress | None = None) -> ComparisonOutcome:
    """A stored forecast run against what happened since, read fresh from the same Odoo."""
    from ledgerpilot.calc.cash.cut import actual_bank_flows, paid_items_as_of

    with StateDB.in_home(home) as db:
        run = ForecastRunStore(db).get(run_id)
    if run.kind != "forecast":
        raise ForecastUsageError(f"run {run.run_id} is a {run.kind}, not a forecast: only forecasts can be compared")
    if client.db != run.odoo_db:
        raise RunMismatchError(f"run {run.run_id} was made on {run.odoo_url} database {run.odoo_db}, but the "
                               f"connected Odoo is {client.url} database {client.db}")
    scope = getattr(client, "company", None)
    if scope is not None and run.company and run.company != scope.name:
        raise RunMismatchError(f"run {run.run_id} forecasts the cash of {run.company}, but the connection reads the books "
                               f"of {scope.name}: set LEDGERPILOT_ODOO_COMPANY to {run.company!r} to compare it")
    history, _seconds = load_history(client, today, progress)
    weeks = run.result.get("weeks_rows") or []
    horizon_end = dt.date.fromisoformat(weeks[-1]["end"]) if weeks else run.as_of
    through = history.extracted_on
    if through <= run.as_of:
        raise ForecastUsageError(f"run {run.run_id} forecasts from {run.as_of}; the books are read on {through}, "
                                 "so nothing has happened yet to compare with")
    flows = actual_bank_flows(history, run.as_of, min(through, horizon_end))
    paid = paid_items_as_of(history, through)
    comparison = compare_forecast(run.result, flows, paid, through, run_id=run.run_id)
    return ComparisonOutcome(run_id=run.run_id, company=run.company, comparison=comparison)
