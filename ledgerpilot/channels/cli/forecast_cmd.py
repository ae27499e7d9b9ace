"""``ledgerpilot forecast`` (and ``forecast backtest``, ``forecast compare``): the cash forecast."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Optional

import typer

from ledgerpilot.calc.cash.forecast.errors import ScenarioError, ThresholdCurrencyError
from ledgerpilot.calc.cash.forecast.params import Scenario, parse_scenario
from ledgerpilot.channels.cli.console import connected_client, console, json_option, parse_day, print_json
from ledgerpilot.channels.cli.render_forecast import (
    backtest_json,
    compare_json,
    forecast_json,
    render_backtest,
    render_compare,
    render_forecast,
)
from ledgerpilot.config import OdooConnection, Settings, load_settings
from ledgerpilot.tools.cash.forecast import (
    ForecastOutcome,
    ForecastRequest,
    ForecastUsageError,
    compare_run,
    parse_step,
    run_backtest,
    run_forecast,
)

app = typer.Typer(help="13-week cash forecast with bands, scenarios, backtest and stored runs.",
                  invoke_without_command=True, no_args_is_help=False)

JsonOpt = json_option()




def parse_scenarios(specs: list[str] | None) -> tuple[Scenario, ...]:
    try:
        return tuple(parse_scenario(spec) for spec in specs or ())
    except ScenarioError as exc:
        raise ForecastUsageError(str(exc)) from exc


def _level(cli_value: str | None, setting: float | None) -> str | None:
    if cli_value is not None:
        return cli_value
    return None if setting is None else repr(setting)


def forecast_with(connection: OdooConnection, settings: Settings, request: ForecastRequest, *,
                  cache_dir: Path, today: dt.date | None, show_progress: bool) -> ForecastOutcome:
    """Connect, forecast, store; a threshold in another currency is a usage error (exit 2)."""
    with connected_client(connection, cache_dir, show_progress) as (client, step):
        try:
            return run_forecast(client, settings.home, request, today=today,
                                progress=lambda msg: step(f"cash forecast: {msg}"))
        except ThresholdCurrencyError as exc:
            raise ForecastUsageError(str(exc)) from exc


def write_chart(outcome: ForecastOutcome, path: Path) -> str:
    from ledgerpilot.channels.charts import cash_forecast_chart

    return str(cash_forecast_chart(outcome.forecast, path, title=f"{outcome.company}: cash forecast from "
                                                                 f"{outcome.forecast.as_of}"))


@app.callback()
def forecast(ctx: typer.Context,
             weeks: int = typer.Option(13, "--weeks", min=1, max=104, help="horizon in weeks"),
             as_of: Optional[str] = typer.Option(None, "--as-of", help="forecast from this day (YYYY-MM-DD); "
                                                                      "default: today"),
             threshold: Optional[str] = typer.Option(None, "--threshold",
                                                     help='safety level in the company currency, e.g. "50000 EUR" '
                                                          "(default: LEDGERPILOT_CASH_THRESHOLD)"),
             surplus_level: Optional[str] = typer.Option(None, "--surplus-level",
                                                         help="cash above this at the lowest point is a surplus "
                                                              "(default: LEDGERPILOT_CASH_SURPLUS_LEVEL)"),
             scenario: Optional[list[str]] = typer.Option(None, "--scenario",
                                                          help="what-if, repeatable: delay_collections:DAYS, "
                                                               "delay_customer:NAME:DAYS, customer_default:NAME, "
                                                               "sales_change:PERCENT, defer_po:ORDER:WEEKS"),
             simulations: int = typer.Option(500, "--simulations", min=10, max=20000,
                                             help="simulations behind the P10-P90 band"),
             seed: int = typer.Option(0, "--seed", help="seed of the simulations (same seed, same bands)"),
             as_json: bool = JsonOpt,
             chart: Optional[Path] = typer.Option(None, "--chart", help="also write a PNG chart to this path")) -> None:
    """Forecast cash for the coming weeks from the configured Odoo, save the run and its proposals."""
    if ctx.invoked_subcommand is not None:
        return
    request = ForecastRequest(as_of=parse_day(as_of, "--as-of"), weeks=weeks, scenarios=parse_scenarios(scenario),
                              simulations=simulations, seed=seed)
    settings = load_settings()
    connection = settings.odoo.connection()
    request = replace(request, threshold=_level(threshold, settings.cash.threshold),
                      surplus_level=_level(surplus_level, settings.cash.surplus_level))
    outcome = forecast_with(connection, settings, request, cache_dir=settings.cache_dir, today=None,
                            show_progress=not as_json)
    written = write_chart(outcome, chart) if chart is not None else None
    if as_json:
        print_json(forecast_json(outcome, written))
    else:
        render_forecast(console(), outcome, written)


@app.command("backtest")
def backtest(start: Optional[str] = typer.Option(None, "--from", help="first cut date (default: 12 months "
                                                                       "before the last one)"),
             end: Optional[str] = typer.Option(None, "--to", help="last cut date (default: the last day whose "
                                                                  "whole horizon has passed)"),
             step: str = typer.Option("1m", "--step", help="time between cuts: 1m, 2w, 10d ..."),
             weeks: int = typer.Option(13, "--weeks", min=1, max=104, help="horizon in weeks"),
             simulations: int = typer.Option(300, "--simulations", min=10, max=20000),
             as_json: bool = JsonOpt) -> None:
    """Forecast from past dates with what was known then and score it against what the bank did."""
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    parse_step(step)
    settings = load_settings()
    with connected_client(settings.odoo.connection(), settings.cache_dir, not as_json) as (client, progress):
        outcome = run_backtest(client, settings.home, start=first, end=last, step=step, weeks=weeks,
                               simulations=simulations, progress=lambda msg: progress(f"backtest: {msg}"))
    if as_json:
        print_json(backtest_json(outcome))
    else:
        render_backtest(console(), outcome)


@app.command("compare")
def compare(run_id: str = typer.Argument(..., help="the id of a stored forecast run"),
            as_json: bool = JsonOpt) -> None:
    """A stored forecast against what actually happened since, with the records behind the misses."""
    settings = load_settings()
    with connected_client(settings.odoo.connection(), settings.cache_dir, not as_json) as (client, progress):
        outcome = compare_run(client, settings.home, run_id, progress=lambda msg: progress(f"pulling {msg}"))
    if as_json:
        print_json(compare_json(outcome))
    else:
        render_compare(console(), outcome)
