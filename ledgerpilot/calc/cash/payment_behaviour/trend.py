"""Drift of a partner's delays over time: a customer who pays a little later every month.

A recency-weighted distribution still lags behind such a partner (its weighted median sits some
months in the past). For each partner this fits a weighted least-squares line of the item's delay
against its due date and keeps the slope only in the measure that the data supports it: the slope is
multiplied by ``max(0, 1 - (z / t)^2)`` where ``t`` is its t-statistic and ``z = 2``, so a noisy slope
(an erratic or punctual payer) shrinks to nothing while a steady drift survives almost whole. The
returned shift (days) moves the partner's own distribution from the weighted mean due date of its
history to ``as_of``; it is bounded by ``MAX_SHIFT_DAYS``.
"""

from __future__ import annotations

import numpy as np

MIN_ITEMS = 6
Z_KEEP = 2.0
MAX_SLOPE_DAYS_PER_DAY = 0.25
MAX_SHIFT_DAYS = 60.0


def delay_drift(partner_rows: np.ndarray, due_days: np.ndarray, delays: np.ndarray, weights: np.ndarray,
                n_rows: int, as_of_day: float) -> np.ndarray:
    """Shift in days per row (0 for row 0, the company, and for rows without a supported trend).

    Inputs are per paid item: the partner's row, the due date as a day number, the item's delay and its
    recency weight. Vectorised over partners with weighted sums per row.
    """
    rows = np.asarray(partner_rows, dtype=np.int64)
    keep = np.asarray(weights) > 0
    rows, x, y, w = rows[keep], np.asarray(due_days)[keep], np.asarray(delays)[keep], np.asarray(weights)[keep]
    if len(rows) == 0:
        return np.zeros(n_rows)

    def per_row(values: np.ndarray) -> np.ndarray:
        return np.bincount(rows, values, n_rows)

    count = np.bincount(rows, minlength=n_rows)
    sw = per_row(w)
    safe_sw = np.where(sw > 0, sw, 1.0)
    n_eff = sw * sw / np.where(per_row(w * w) > 0, per_row(w * w), 1.0)
    x_mean = per_row(w * x) / safe_sw
    y_mean = per_row(w * y) / safe_sw
    dx = x - x_mean[rows]
    dy = y - y_mean[rows]
    sxx = per_row(w * dx * dx)
    usable = (count >= MIN_ITEMS) & (n_eff > 3) & (sxx > 1e-9)
    usable[0] = False
    safe_sxx = np.where(usable, sxx, 1.0)
    slope = np.where(usable, per_row(w * dx * dy) / safe_sxx, 0.0)
    residual = dy - slope[rows] * dx
    s2 = per_row(w * residual * residual) / safe_sw * n_eff / np.where(n_eff > 2, n_eff - 2, 1.0)
    se2 = s2 / (safe_sxx / safe_sw * np.where(n_eff > 0, n_eff, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        keep_share = np.where(slope != 0, np.maximum(0.0, 1.0 - Z_KEEP**2 * se2 / (slope * slope)), 0.0)
    slope = np.clip(slope * keep_share, -MAX_SLOPE_DAYS_PER_DAY, MAX_SLOPE_DAYS_PER_DAY)
    shifts = np.where(usable, np.clip(slope * (as_of_day - x_mean), -MAX_SHIFT_DAYS, MAX_SHIFT_DAYS), 0.0)
    return shifts
