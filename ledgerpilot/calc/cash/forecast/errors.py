"""Errors of the cash-flow forecast: each names what was wrong and what would fix it."""

from __future__ import annotations

from ledgerpilot.errors import LedgerpilotError


class ForecastError(LedgerpilotError):
    """The forecast cannot be computed from what it was given."""


class ScenarioError(ForecastError):
    """A scenario is malformed or names a customer or order that the books do not hold."""


class ThresholdCurrencyError(ForecastError):
    """A safety threshold was given in a currency other than the company's."""
