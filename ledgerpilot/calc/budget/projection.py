"""Projection of a budget line's actual to the end of its period (pure, Decimal in, Decimal out).

Days: ``as_of`` itself counts as not yet elapsed (the day is still running), so on the first day of
a period no day is behind it and there is no burn rate yet; anything already posted on ``as_of``
still counts as actual. ``elapsed_days`` is the number of whole days of the period before
``as_of``; ``remaining_days`` the rest.

Methods, in the order they are tried:

- ``period_over`` (``as_of`` after the last day): the projection is the actual.
- ``not_started`` / ``no_burn_*`` (no day behind ``as_of``): there is no run-rate. With last year's
  spending in the same period, the projection is last year's total (its shape); without history,
  the "planned pace": the line is assumed to spend its plan, so only commitments beyond the plan
  make it drift (projection = max(planned - committed, 0)). Never below the actual already booked.
- ``seasonal`` (last year had spending in the same period before and after the same day): the
  remaining spending is the actual times (last year's spending after that day / before it), so a
  line that spends most in its last month is not projected as linear.
- ``linear``: actual per elapsed day times the remaining days.

A negative actual (refunds above costs) never projects negative future spending.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ledgerpilot.domain.money import format_amount, quantize
from ledgerpilot.domain.month import year_earlier  # noqa: F401  (re-exported: last year's span)


@dataclass(frozen=True)
class LastYear:
    """Last year's actual in the same period (in the budget's direction)."""

    total: Decimal
    before: Decimal          # the part dated before the same day of last year's period

    @property
    def after(self) -> Decimal:
        return self.total - self.before


@dataclass(frozen=True)
class Projection:
    elapsed_days: int
    total_days: int
    burn_rate: Decimal | None
    projected_end: Decimal
    method: str
    words: str


def _pct(value: Decimal) -> str:
    return f"{value * 100:.0f}%"


def project(actual: Decimal, planned: Decimal, committed: Decimal, date_from: dt.date, date_to: dt.date,
            as_of: dt.date, last_year: LastYear | None, digits: int = 2) -> Projection:
    """The actual projected to ``date_to`` as seen on ``as_of``, with the method in words."""
    total_days = (date_to - date_from).days + 1
    zero = Decimal(0)
    if as_of > date_to:
        burn = quantize(actual / total_days, digits) if total_days > 0 else None
        return Projection(total_days, total_days, burn, actual, "period_over",
                          f"the period ended on {date_to}: the projection is the actual")
    elapsed = max((as_of - date_from).days, 0)
    remaining_days = total_days - elapsed
    has_history = last_year is not None and last_year.total > 0
    if elapsed == 0:
        started = "the period has not started" if as_of < date_from else "this is the first day of the period"
        method_prefix = "not_started" if as_of < date_from else None
        if has_history:
            shape = last_year.total
            end = max(actual, shape)
            return Projection(0, total_days, None, end, method_prefix or "no_burn_history",
                              f"{started}, no burn rate yet: projected like last year's same period "
                              f"({format_amount(shape)} spent)")
        pace = max(planned - committed, zero)
        end = max(actual, pace)
        return Projection(0, total_days, None, end, method_prefix or "no_burn_planned_pace",
                          f"{started}, no burn rate and no history: projected at the planned pace "
                          f"(the plan less what is already committed)")
    burn = quantize(actual / elapsed, digits)
    burning = max(actual, zero)
    if has_history and last_year.before > 0:
        after = max(last_year.after, zero)
        extra = quantize(burning * after / last_year.before, digits)
        share_after = after / last_year.total
        return Projection(elapsed, total_days, burn, actual + extra, "seasonal",
                          f"run-rate shaped like last year: {_pct(share_after)} of last year's spending in the "
                          f"same period came after this day")
    extra = quantize(burning * remaining_days / elapsed, digits)
    why = "no spending in the same period last year" if not has_history else \
        "last year spent nothing before this day of the period"
    return Projection(elapsed, total_days, burn, actual + extra, "linear",
                      f"linear run-rate over the {remaining_days} remaining days ({why})")
