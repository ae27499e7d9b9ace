"""Accounting months: the period a close works on ("2026-10")."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from ledgerpilot.errors import LedgerpilotError

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


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
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

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
