"""The forecast's typed, frozen results. Amounts are exact ``Decimal`` in the company currency;
every flow names the Odoo record it comes from, so each figure can be traced."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from ledgerpilot.calc.cash.forecast.params import ForecastParams, Scenario

FlowCategory = Literal["receivable", "payable", "sale_order", "purchase_order", "recurring"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Flow(_Frozen):
    """One expected movement of cash: + money in, - money out."""

    category: FlowCategory
    source_model: str            # account.move.line, sale.order.line, purchase.order.line, account.move
    source_id: int | None        # the record (None for a recurring flow: see ``source_ids``)
    source_name: str             # INV/2026/00042, S00123, "Salaries Payable (230000), monthly"
    partner_id: int | None
    partner_name: str
    due_date: dt.date | None     # due date (orders: of the invoice they will become)
    #: the typical landing day (due date + the partner's median delay); None: beyond the horizon
    expected_date: dt.date | None
    amount: Decimal              # the record's open amount (order: its not-invoiced remainder)
    #: what the expected path counts, in total over the horizon: for items timed by the
    #: payment-behaviour model the mean over the simulations of what lands within the horizon
    #: (about ``amount`` x ``probability``, spread over the days it lands on), else ``amount`` on
    #: ``expected_date`` (0 when outside the horizon); defaults to ``amount`` when not given
    expected_amount: Decimal = None  # type: ignore[assignment]
    probability: float           # share of the simulations in which it lands inside the horizon
    #: the records behind a recurring flow (the past bank lines it was learned from)
    source_ids: tuple[int, ...] = ()

    @model_validator(mode="after")
    def _expected_defaults_to_amount(self) -> Flow:
        if self.expected_amount is None:
            object.__setattr__(self, "expected_amount", self.amount)
        return self


class WeekDriver(Flow):
    """A flow as it drives one week: the flow, and the part of it the expected path counts in that week."""

    #: what the expected path counts for this flow in the week (signed: + in, - out); a document expected
    #: over several weeks drives each of them for its part, never for its whole ``amount``
    week_amount: Decimal


class DayRow(_Frozen):
    date: dt.date
    opening: Decimal
    inflows: Decimal
    outflows: Decimal            # positive: money out
    net: Decimal
    closing: Decimal
    p10: Decimal
    p50: Decimal
    p90: Decimal


class WeekRow(_Frozen):
    index: int                   # 1-based
    start: dt.date
    end: dt.date
    opening: Decimal
    inflows: Decimal
    outflows: Decimal
    net: Decimal
    closing: Decimal
    p10: Decimal
    p50: Decimal
    p90: Decimal
    drivers: tuple[WeekDriver, ...]
    below_threshold: bool


class CashForecast(_Frozen):
    as_of: dt.date
    currency: str
    digits: int
    weeks: int
    opening_balance: Decimal
    threshold: Decimal | None
    days: tuple[DayRow, ...]
    weeks_rows: tuple[WeekRow, ...]
    lowest_balance: Decimal
    lowest_date: dt.date
    lowest_p10: Decimal
    lowest_p10_date: dt.date
    breaches: tuple[WeekRow, ...]
    flows: tuple[Flow, ...]
    assumptions: tuple[str, ...]
    params: ForecastParams
    scenario: Scenario | None = None


class WeekDiff(_Frozen):
    index: int
    start: dt.date
    end: dt.date
    base_net: Decimal
    scenario_net: Decimal
    net_difference: Decimal
    base_closing: Decimal
    scenario_closing: Decimal
    closing_difference: Decimal
    p10_difference: Decimal


class ScenarioResult(_Frozen):
    scenario: Scenario
    description: str
    base: CashForecast
    forecast: CashForecast
    weeks: tuple[WeekDiff, ...]
    lowest_difference: Decimal      # scenario lowest balance - base lowest balance
    ending_difference: Decimal      # closing of the last week
    affected: tuple[Flow, ...]      # the base flows the scenario changed


class VariantMetrics(_Frozen):
    """Scores of one forecast variant over every cut and week of a backtest."""

    variant: str
    description: str
    wape: float | None                      # sum|actual - forecast| / sum|actual| of weekly net flow
    ending_balance_mae: float | None        # mean |actual - forecast| closing balance at the horizon
    band_coverage: float | None             # share of actual weekly closings inside P10-P90
    weeks_scored: int


class BacktestWeek(_Frozen):
    cut: dt.date
    index: int
    start: dt.date
    end: dt.date
    actual_net: Decimal
    actual_closing: Decimal
    forecasts: dict[str, Decimal]           # variant -> forecast net flow of the week
    model_p10: Decimal
    model_p90: Decimal
    model_closing: Decimal


class BacktestResult(_Frozen):
    cuts: tuple[dt.date, ...]
    weeks: int
    currency: str
    variants: tuple[VariantMetrics, ...]
    rows: tuple[BacktestWeek, ...]
    params: ForecastParams
    skipped_cuts: tuple[str, ...] = ()      # cuts that could not be scored, with the reason

    def metrics(self, variant: str) -> VariantMetrics:
        for item in self.variants:
            if item.variant == variant:
                return item
        raise KeyError(variant)
