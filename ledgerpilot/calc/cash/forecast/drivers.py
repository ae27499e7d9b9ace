"""The records that move each week most: the flows with the largest expected cash in it.

A flow timed by the payment-behaviour model may be spread over several weeks of the expected
path; it drives a week for the part of its expected amount that lands in that week, so the
drivers named for a week are the records behind that week's net flow, each with that part (not
the document's full amount, which would be counted again in every week it touches).
"""

from __future__ import annotations

import numpy as np

#: how many records are named per week
TOP_DRIVERS = 5


def week_drivers(daily: np.ndarray, weeks: int, top: int = TOP_DRIVERS) -> list[list[tuple[int, int]]]:
    """``(row index, minor units expected in the week)`` of the ``top`` flows by absolute expected amount
    in each week (days 1-7, 8-14...), largest first (ties: table order). ``daily``: flows x days, minor
    units; the amounts are signed (+ in, - out) and exact (they add up to the flow's expected amount)."""
    n = daily.shape[0]
    if n == 0:
        return [[] for _ in range(weeks)]
    in_week = daily[:, :7 * weeks].reshape(n, weeks, 7).sum(axis=2)
    per_week = np.abs(in_week)
    rows = np.arange(n)
    out: list[list[tuple[int, int]]] = []
    for week in range(weeks):
        magnitude = per_week[:, week]
        moving = rows[magnitude > 0]
        order = moving[np.lexsort((moving, -magnitude[moving]))]
        out.append([(int(i), int(in_week[i, week])) for i in order[:top]])
    return out
