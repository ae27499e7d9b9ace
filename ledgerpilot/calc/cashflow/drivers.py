"""The records that move each week most: the flows with the largest expected cash in it.

A flow timed by the payment-behaviour model may be spread over several weeks of the expected
path; it drives a week for the part of its expected amount that lands in that week, so the
drivers named for a week are the records behind that week's net flow.
"""

from __future__ import annotations

import numpy as np

#: how many records are named per week
TOP_DRIVERS = 5


def week_drivers(daily: np.ndarray, weeks: int, top: int = TOP_DRIVERS) -> list[list[int]]:
    """Row indices of the ``top`` flows by absolute expected amount in each week (days 1-7,
    8-14...), largest first (ties: table order). ``daily``: flows x days, minor units."""
    n = daily.shape[0]
    if n == 0:
        return [[] for _ in range(weeks)]
    per_week = np.abs(daily[:, :7 * weeks].reshape(n, weeks, 7).sum(axis=2))
    rows = np.arange(n)
    out: list[list[int]] = []
    for week in range(weeks):
        magnitude = per_week[:, week]
        moving = rows[magnitude > 0]
        order = moving[np.lexsort((moving, -magnitude[moving]))]
        out.append([int(i) for i in order[:top]])
    return out
