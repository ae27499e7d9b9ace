"""Cash-flow forecasting: the 13-week forecast with bands, scenarios and the backtest.

Pure: books in (``calc.cash.history.CashBooks``), typed frozen results out; no I/O, no clock.
"""

from ledgerpilot.calc.cash.forecast.backtest import backtest, cut_dates, default_cuts
from ledgerpilot.calc.cash.forecast.engine import forecast
from ledgerpilot.calc.cash.forecast.errors import ForecastError, ScenarioError, ThresholdCurrencyError
from ledgerpilot.calc.cash.forecast.params import ForecastParams, Scenario, parse_scenario, parse_threshold
from ledgerpilot.calc.cash.forecast.results import (
    BacktestResult,
    BacktestWeek,
    CashForecast,
    DayRow,
    Flow,
    ScenarioResult,
    VariantMetrics,
    WeekDiff,
    WeekRow,
)
from ledgerpilot.calc.cash.forecast.scenarios import run_scenario

__all__ = [
    "BacktestResult", "BacktestWeek", "CashForecast", "DayRow", "Flow", "ForecastError", "ForecastParams",
    "Scenario", "ScenarioError", "ScenarioResult", "ThresholdCurrencyError", "VariantMetrics", "WeekDiff",
    "WeekRow", "backtest", "cut_dates", "default_cuts", "forecast", "parse_scenario", "parse_threshold",
    "run_scenario",
]
