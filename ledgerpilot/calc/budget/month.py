"""One month of longer budget lines (a quarter's, a year's): the month's share, consistent with the line (pure).

A department budgets by quarter; its head asks about November. Every budget line that overlaps the
month gives the month:

- ``planned``: the line's plan times the share of the line's days that fall in the month;
- ``actual``: what was booked on the line (its analytic account and budgetary position) *in the month*,
  up to the as-of day;
- ``projected``: the month's actual, plus its share of what the line's own projection still expects
  after the as-of day. The line expects ``projected_end - actual`` more spending and its open
  commitments; both are spread evenly over the line's days after the as-of day, and the month gets
  the days it has among them. A month that is over keeps its actual; a month still ahead gets only
  its share.

So the months of a quarter add up to the quarter view -- plan, projection and commitments alike (to
the cent, up to the rounding of each month) -- and a month is judged with the same thresholds as
its line: the adverse drift is ``projected + committed - planned`` for spending (``planned -
projected`` for income), tiered by :func:`~ledgerpilot.calc.budget.status.tier_for`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from ledgerpilot.calc.budget.match import ActualIndex
from ledgerpilot.calc.budget.status import BudgetThresholds, tier_for
from ledgerpilot.domain.money import minor_to_decimal, quantize
from ledgerpilot.domain.month import Month


class MonthLine(BaseModel):
    """One budget line's share of a month (module docstring)."""

    model_config = ConfigDict(frozen=True)

    key: str
    analytic_account_name: str
    position_name: str
    budget_name: str
    direction: str
    line_from: dt.date
    line_to: dt.date
    month: str
    share: float                  # the line's days in the month / the line's days
    planned: Decimal
    actual: Decimal
    committed: Decimal            # the month's share of the line's open commitments
    projected: Decimal            # actual + the month's share of the line's projected further spending
    projected_total: Decimal      # projected + committed
    line_planned: Decimal
    line_projected_total: Decimal
    tier: str


def _days(start: dt.date, end: dt.date) -> int:
    return max(0, (end - start).days + 1)


def month_lines(lines: Iterable, actuals: ActualIndex, month: Month, as_of: dt.date, digits: int,
                thresholds: BudgetThresholds | None = None) -> tuple[MonthLine, ...]:
    """The month's share of every line (a ``BudgetLineStatus``) that overlaps it, in the lines' order."""
    thresholds = thresholds or BudgetThresholds()
    out = []
    for line in lines:
        start, end = max(line.date_from, month.start), min(line.date_to, month.end)
        if end < start:
            continue
        line_days = _days(line.date_from, line.date_to)
        share = Decimal(_days(start, end)) / Decimal(line_days)
        planned = quantize(line.planned * share, digits)
        sign = 1 if line.direction == "income" else -1
        booked = actuals.select(line.analytic_account_id, start, min(end, as_of), tuple(line.position_account_ids))
        actual = minor_to_decimal(sign * booked.minor, digits)
        after = max(as_of + dt.timedelta(days=1), line.date_from)
        remaining_days = _days(after, line.date_to)
        month_after = _days(max(after, start), end)
        if remaining_days and month_after:
            part = Decimal(month_after) / Decimal(remaining_days)
            further = quantize((line.projected_end - line.actual) * part, digits)
            committed = quantize(line.committed * part, digits)
        else:
            further = committed = quantize(0, digits)
        projected = actual + further
        adverse = projected + committed - planned if line.direction == "expense" else planned - projected
        out.append(MonthLine(
            key=line.key, analytic_account_name=line.analytic_account_name, position_name=line.position_name,
            budget_name=line.budget_name, direction=line.direction, line_from=line.date_from, line_to=line.date_to,
            month=month.label, share=round(float(share), 4), planned=planned, actual=actual, committed=committed,
            projected=projected, projected_total=projected + committed, line_planned=line.planned,
            line_projected_total=line.projected_total, tier=tier_for(adverse, planned, thresholds)))
    return tuple(out)
