"""What a forecast is asked to do: horizon, threshold, simulation size, and what it includes.

``ForecastParams`` is frozen and hashable so that a stored forecast records exactly how it was
made. ``Scenario`` describes one what-if; ``parse_scenario`` reads the compact text form the
CLI takes (``delay_collections:14``, ``customer_default:Acme Ltd``, ``sales_change:-10``,
``defer_po:P00042:2``).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ledgerpilot.calc.cash.forecast.errors import ScenarioError, ThresholdCurrencyError
from ledgerpilot.calc.cash.forecast.flows import ORDER_TIMING_SD_DAYS


class ForecastParams(BaseModel):
    """How to forecast. The defaults are the product's forecast; the backtest's baselines switch
    parts off (``use_behaviour=False``: every item lands on its due date)."""

    model_config = ConfigDict(frozen=True)

    weeks: int = Field(13, ge=1, le=104)
    #: safety threshold in the company currency (None: no threshold)
    threshold: float | None = None
    simulations: int = Field(500, ge=10, le=20000)
    seed: int = 0
    use_behaviour: bool = True
    include_orders: bool = True
    include_recurring: bool = True
    #: apply the partner's payment delay to orders once they are invoiced
    order_delays: bool = True
    #: project the collections and payments of invoices and bills not issued yet at their
    #: historical pace, net of what open orders already cover
    include_run_rate: bool = True
    #: spread (standard deviation, days) of an open order's invoice or bill date around its
    #: expected date in the simulation; 0: orders are invoiced exactly when expected
    order_timing_sd_days: float = Field(ORDER_TIMING_SD_DAYS, ge=0.0, le=60.0)

    @property
    def horizon_days(self) -> int:
        return 7 * self.weeks


ScenarioKind = Literal["delay_collections", "delay_customer", "customer_default", "sales_change", "defer_po"]
SCENARIO_KINDS: tuple[str, ...] = ("delay_collections", "delay_customer", "customer_default", "sales_change",
                                   "defer_po")

#: Bounds of the what-ifs: beyond them a scenario is a typo, and the arithmetic would overflow.
MAX_DELAY_DAYS = 3650
MAX_DEFER_WEEKS = 520
MAX_SALES_CHANGE_PERCENT = 1000.0
#: The largest threshold or surplus level taken (any real company's cash is far below).
MAX_LEVEL = 1e15


class Scenario(BaseModel):
    """A what-if applied to the base forecast's flows (see ``scenarios.apply_scenario``)."""

    model_config = ConfigDict(frozen=True)

    kind: ScenarioKind
    days: int = 0
    partner: str | int | None = None
    percent: float = 0.0
    order: str | None = None
    weeks: int = 0

    def label(self) -> str:
        if self.kind == "delay_collections":
            return f"all collections {self.days} days later"
        if self.kind == "delay_customer":
            return f"customer {self.partner} pays {self.days} days later"
        if self.kind == "customer_default":
            return f"customer {self.partner} does not pay"
        if self.kind == "sales_change":
            return f"sales {self.percent:+g}%"
        return f"purchase order {self.order} deferred by {self.weeks} weeks"


def _int(text: str, what: str, spec: str, highest: int) -> int:
    value = text.strip()
    if not (value.isascii() and value.lstrip("-").isdigit()) or len(value) > 12:
        raise ScenarioError(f"scenario {spec[:60]!r}: {what} must be a whole number up to {highest}, got {text[:20]!r}")
    number = int(value)
    if number > highest:
        raise ScenarioError(f"scenario {spec[:60]!r}: {what} must be at most {highest}, got {number}")
    return number


def _partner(text: str) -> int | str:
    """A customer given by id (digits) or by name."""
    value = text.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else value


def parse_scenario(spec: str) -> Scenario:
    """``kind:arguments`` -> Scenario, with a message naming the expected form when it is wrong."""
    kind, sep, rest = spec.strip().partition(":")
    kind = kind.strip().lower().replace("-", "_")
    forms = ("delay_collections:DAYS, delay_customer:NAME_OR_ID:DAYS, customer_default:NAME_OR_ID, "
             "sales_change:PERCENT, defer_po:ORDER:WEEKS")
    if kind not in SCENARIO_KINDS or not sep or not rest.strip():
        raise ScenarioError(f"unknown scenario {spec!r}; use one of {forms}")
    if kind == "delay_collections":
        days = _int(rest, "the delay in days", spec, MAX_DELAY_DAYS)
        if days < 0:
            raise ScenarioError(f"scenario {spec!r}: the delay must not be negative")
        return Scenario(kind=kind, days=days)
    if kind == "delay_customer":
        who, sep2, days_text = rest.rpartition(":")
        if not sep2 or not who.strip():
            raise ScenarioError(f"scenario {spec!r}: use delay_customer:NAME_OR_ID:DAYS, e.g. delay_customer:Acme Ltd:30")
        days = _int(days_text, "the delay in days", spec, MAX_DELAY_DAYS)
        if days < 0:
            raise ScenarioError(f"scenario {spec!r}: the delay must not be negative")
        return Scenario(kind=kind, partner=_partner(who), days=days)
    if kind == "customer_default":
        return Scenario(kind=kind, partner=_partner(rest))
    if kind == "sales_change":
        try:
            percent = float(rest.strip().rstrip("%"))
        except ValueError:
            raise ScenarioError(f"scenario {spec[:60]!r}: the change must be a percentage such as -10 or 5") from None
        if not math.isfinite(percent):
            raise ScenarioError(f"scenario {spec[:60]!r}: the change must be a finite percentage such as -10 or 5")
        if percent <= -100:
            raise ScenarioError(f"scenario {spec!r}: sales cannot fall by 100% or more")
        if percent > MAX_SALES_CHANGE_PERCENT:
            raise ScenarioError(f"scenario {spec[:60]!r}: a sales change above +{MAX_SALES_CHANGE_PERCENT:g}% is "
                                "not a scenario")
        return Scenario(kind=kind, percent=percent)
    order, sep2, weeks = rest.rpartition(":")
    if not sep2 or not order.strip():
        raise ScenarioError(f"scenario {spec!r}: use defer_po:ORDER:WEEKS, e.g. defer_po:P00042:2")
    n = _int(weeks, "the number of weeks", spec, MAX_DEFER_WEEKS)
    if n < 0:
        raise ScenarioError(f"scenario {spec!r}: the number of weeks must not be negative")
    return Scenario(kind=kind, order=order.strip(), weeks=n)


_THRESHOLD = re.compile(r"^\s*(?P<amount>-?[\d.,_ ]+?)\s*(?P<currency>[A-Za-z]{3})?\s*$")


def parse_threshold(text: str, company_currency: str) -> float:
    """``"25000"`` or ``"25000 EUR"`` -> 25000.0; a different currency code is refused, since the
    forecast is in the company currency and a silent conversion would hide a mistake."""
    match = _THRESHOLD.match(text or "")
    if not match:
        raise ThresholdCurrencyError(f"threshold {text!r} is not an amount such as 25000 or 25000 {company_currency}")
    currency = (match.group("currency") or company_currency).upper()
    if currency != company_currency.upper():
        raise ThresholdCurrencyError(
            f"threshold {text!r} is in {currency}, but the forecast is in the company currency "
            f"{company_currency.upper()}; give the threshold in {company_currency.upper()}")
    raw = match.group("amount").replace(",", "").replace("_", "").replace(" ", "")
    try:
        value = float(Decimal(raw))
    except InvalidOperation:
        raise ThresholdCurrencyError(f"threshold {text[:40]!r} is not a number") from None
    if not math.isfinite(value) or abs(value) > MAX_LEVEL:
        raise ThresholdCurrencyError(f"threshold {text[:40]!r} is beyond any cash level (at most {MAX_LEVEL:,.0f})")
    return value
