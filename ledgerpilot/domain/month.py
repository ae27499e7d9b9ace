"""Accounting months and periods: the month a close works on ("2026-10"), the year, quarter or month a
budget covers ("2026", "2026-Q4", "2026-11"), and calendar-month arithmetic on days.

Every month step in ledgerpilot goes through this module: a day moved by whole months lands on the same
day of the month, or on the month's last day when that month is shorter (31 January + 1 month is
28 or 29 February), as ``dateutil.relativedelta`` does."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from ledgerpilot.errors import LedgerpilotError

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_PERIOD_YEAR = re.compile(r"^(\d{4})$")
_PERIOD_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_PERIOD_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def add_months(day: dt.date, months: int, *, day_of_month: int | None = None) -> dt.date:
    """``day`` moved by ``months`` calendar months (negative: back), on the same day of the month or
    on ``day_of_month`` when given, clamped to the target month's last day (31 March - 1 -> 28/29 Feb)."""
    if day_of_month is None:
        return day + relativedelta(months=months)
    return day + relativedelta(months=months, day=day_of_month)


def year_earlier(day: dt.date) -> dt.date:
    """The same calendar day one year earlier (29 February -> 28 February)."""
    return day - relativedelta(years=1)


def next_working_day(day: dt.date) -> dt.date:
    """``day``, or the Monday after it when it falls on a weekend (banks book on working days)."""
    return day + dt.timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month (28/29 February, 30 April, 31 December)."""
    return day + relativedelta(day=31)


def months_back_start(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` before ``day``'s month (0: ``day``'s own month)."""
    return month_start(day) - relativedelta(months=months)


class MonthError(LedgerpilotError):
    """A month written in a way that cannot be read."""

    exit_code = 2


@dataclass(frozen=True, order=True)
class Month:
    """One calendar month; ``start`` and ``end`` are its first and last day (inclusive)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise MonthError(f"{self.year}-{self.month:02d} is not a month")

    @classmethod
    def parse(cls, text: str) -> Month:
        """``"2026-10"`` -> October 2026 (years 1900-2999); anything else is a :class:`MonthError` naming the text."""
        match = _MONTH.match(text or "") if (text or "").isascii() else None
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise MonthError(f"period {text[:40]!r} is not a month written as YYYY-MM (such as 2026-10)")
        if not 1900 <= int(match.group(1)) <= 2999:
            raise MonthError(f"period {text!r}: the year must be between 1900 and 2999")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def end(self) -> dt.date:
        return month_end(self.start)

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def shift(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def next(self) -> Month:
        return self.shift(1)

    def previous(self) -> Month:
        return self.shift(-1)

    def __str__(self) -> str:
        return self.label


class PeriodError(MonthError):
    """A budget period written in a way that cannot be read. ``reason`` says what was wrong: ``"form"``
    (not YYYY, YYYY-Qn or YYYY-MM), ``"year"`` (outside 1900-2999) or ``"month"`` (YYYY-MM with no such
    month; ``bad_month`` is its number), so that callers can word the message their own way."""

    def __init__(self, message: str, reason: str = "form", bad_month: int | None = None):
        super().__init__(message)
        self.reason = reason
        self.bad_month = bad_month


@dataclass(frozen=True)
class Period:
    """A span of whole days: first and last day (inclusive) and how it is written ("2026-Q4")."""

    start: dt.date
    end: dt.date
    label: str

    @classmethod
    def parse(cls, text: str) -> Period:
        """``"2026"``, ``"2026-Q4"`` (or ``"2026Q4"``) or ``"2026-11"`` -> the period's first and last day
        (years 1900-2999); anything else is a :class:`PeriodError` naming the text."""
        value = (text or "").strip()
        match = None
        if value.isascii():
            match = _PERIOD_YEAR.match(value) or _PERIOD_QUARTER.match(value) or _PERIOD_MONTH.match(value)
        if match is None:
            raise PeriodError(f"period {text[:40]!r} is not a year (2026), a quarter (2026-Q4) or a month (2026-11)")
        year = int(match.group(1))
        if not 1900 <= year <= 2999:
            raise PeriodError(f"period {text!r}: the year must be between 1900 and 2999", reason="year")
        if match.re is _PERIOD_YEAR:
            return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), value)
        if match.re is _PERIOD_QUARTER:
            quarter = int(match.group(2))
            first = dt.date(year, 3 * (quarter - 1) + 1, 1)
            return cls(first, month_end(add_months(first, 2)), f"{year}-Q{quarter}")
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"period {text!r} is not a year (2026), a quarter (2026-Q4) or a month (2026-11)",
                              reason="month", bad_month=month)
        return cls(Month(year, month).start, Month(year, month).end, f"{year}-{month:02d}")
