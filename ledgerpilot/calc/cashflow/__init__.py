"""Cash-flow forecasting: the 13-week forecast with bands, scenarios and the backtest.

Pure: books in (``calc.cash_history.CashBooks``), typed frozen results out; no I/O, no clock.
"""

from ledgerpilot.calc.cashflow.backtest import backtest, cut_dates, default_cuts
from ledgerpilot.calc.cashflow.engine import forecast
from ledgerpilot.calc.cashflow.errors import ForecastError, ScenarioError, ThresholdCurrencyError
from ledgerpilot.calc.cashflow.params import ForecastParams, Scenario, parse_scenario, parse_threshold
from ledgerpilot.calc.cashflow.results import (
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
from ledgerpilot.calc.cashflow.scenarios import run_scenario

__all__ = [
    "BacktestResult", "BacktestWeek", "CashForecast", "DayRow", "Flow", "ForecastError", "ForecastParams",
    "Scenario", "ScenarioError", "ScenarioResult", "ThresholdCurrencyError", "VariantMetrics", "WeekDiff",
    "WeekRow", "backtest", "cut_dates", "default_cuts", "forecast", "parse_scenario", "parse_threshold",
    "run_scenario",
]
