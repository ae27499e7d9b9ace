"""The records that move each week most: the flows landing in it, largest first."""

from __future__ import annotations

import numpy as np

#: how many records are named per week
TOP_DRIVERS = 5


def week_drivers(expected: np.ndarray, amounts: np.ndarray, weeks: int, top: int = TOP_DRIVERS) -> list[list[int]]:
    """Row indices of the ``top`` flows by absolute amount landing in each week (days 1-7, 8-14...)."""
    out: list[list[int]] = []
    week_of = (expected - 1) // 7
    magnitude = np.abs(amounts)
    for week in range(weeks):
        rows = np.flatnonzero((week_of == week) & (expected >= 1) & (magnitude > 0))
        order = rows[np.lexsort((rows, -magnitude[rows]))]
        out.append([int(i) for i in order[:top]])
    return out
