"""Realistic creation times: mostly office hours on the document's day (UTC)."""

from __future__ import annotations

import datetime as dt
import random

# the generator's month steps are ledgerpilot's own (re-exported under the names the generator uses)
from ledgerpilot.domain.month import add_months, month_start  # noqa: F401
from ledgerpilot.domain.month import month_end as last_day  # noqa: F401
from ledgerpilot.domain.month import next_working_day as shift_weekday  # noqa: F401


def office_time(rng: random.Random, day: dt.date) -> str:
    """A ``YYYY-MM-DD HH:MM:SS`` on ``day`` between 07:00 and 17:59, weighted to mid-morning."""
    hour = min(17, max(7, int(rng.gauss(11.5, 2.6))))
    return f"{day.isoformat()} {hour:02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"


def at(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> str:
    return f"{day.isoformat()} {hour:02d}:{minute:02d}:{second:02d}"


def later(stamp: str, rng: random.Random, max_minutes: int = 90) -> str:
    """A write time a little after ``stamp`` (never before it)."""
    t = dt.datetime(int(stamp[0:4]), int(stamp[5:7]), int(stamp[8:10]), int(stamp[11:13]), int(stamp[14:16]),
                    int(stamp[17:19])) + dt.timedelta(minutes=rng.randrange(0, max_minutes))
    return t.strftime("%Y-%m-%d %H:%M:%S")


