"""Delay distributions on a grid of whole days: weighted Kaplan–Meier, shrinkage, quantiles, sampling.

A distribution is the row of a CDF matrix over ``DelayGrid.days`` (``F[k] = P(delay <= days[k])``).
Mass that never reaches 1 is the probability of not being paid within the grid's last day. Keeping
every partner on the same grid turns shrinkage into a weighted average of rows and sampling into an
inverse-CDF lookup (``searchsorted``), vectorised over items and simulations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DelayGrid:
    """Whole days from ``low`` (paid early) to ``high`` (the longest delay the model represents)."""

    low: int
    high: int

    @property
    def days(self) -> np.ndarray:
        return np.arange(self.low, self.high + 1, dtype=np.float64)

    @property
    def size(self) -> int:
        return self.high - self.low + 1

    def index_of(self, delays: np.ndarray) -> np.ndarray:
        """Grid index of each delay, rounded to the nearest day and clipped into the grid."""
        return np.clip(np.rint(delays).astype(np.int64) - self.low, 0, self.size - 1)


def kaplan_meier_cdfs(grid: DelayGrid, groups: np.ndarray, n_groups: int,
                      event_delays: np.ndarray, event_weights: np.ndarray,
                      censored_groups: np.ndarray, censored_after: np.ndarray,
                      censored_weights: np.ndarray) -> np.ndarray:
    """Weighted Kaplan–Meier CDF of each group, shape ``(n_groups, grid.size)``.

    ``groups``/``event_delays``/``event_weights``: paid observations (a delay beyond the grid counts
    as "not paid within the grid": censored at its end). ``censored_*``: items still open, known only
    to be paid later than ``censored_after`` days after their due date. A group without any
    observation gets an all-zero row (the caller shrinks it towards something else).
    """
    size = grid.size
    events = np.zeros((n_groups, size))
    exits = np.zeros((n_groups, size))  # weight leaving the risk set after each grid day
    beyond = event_delays > grid.high
    ev_idx = grid.index_of(event_delays)
    np.add.at(events, (groups[~beyond], ev_idx[~beyond]), event_weights[~beyond])
    np.add.at(exits, (groups[~beyond], ev_idx[~beyond]), event_weights[~beyond])
    # paid too late for the grid, or still open: survives to (at least) the censoring day
    cens_groups = np.concatenate([groups[beyond], censored_groups])
    cens_days = np.concatenate([np.full(int(beyond.sum()), float(grid.high)), censored_after])
    cens_weights = np.concatenate([event_weights[beyond], censored_weights])
    # "delay > c": at risk up to and including day floor(c); leaves the risk set after it
    cens_idx = np.floor(cens_days).astype(np.int64) - grid.low
    below = cens_idx < 0  # open but not yet due beyond the grid's start: tells nothing
    keep = ~below
    np.add.at(exits, (cens_groups[keep], np.minimum(cens_idx[keep], size - 1)), cens_weights[keep])
    total = exits.sum(axis=1, keepdims=True)
    # at risk on day k: everything that has not left before k
    left_before = np.cumsum(exits, axis=1) - exits
    at_risk = total - left_before
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 1e-12, events / at_risk, 0.0)
    survival = np.cumprod(1.0 - np.clip(hazard, 0.0, 1.0), axis=1)
    cdf = 1.0 - survival
    cdf[total[:, 0] <= 1e-12] = 0.0
    return np.clip(cdf, 0.0, 1.0)


def point_mass_cdf(grid: DelayGrid, day: int = 0) -> np.ndarray:
    """All the mass on one day (by default: paid exactly on the due date)."""
    row = np.zeros(grid.size)
    row[grid.index_of(np.array([day]))[0]:] = 1.0
    return row


def cdf_at(grid: DelayGrid, cdf: np.ndarray, delay: float) -> float:
    """P(delay <= x) for a row; 0 before the grid, the row's last value after it."""
    if delay < grid.low:
        return 0.0
    return float(cdf[min(int(np.floor(delay)) - grid.low, grid.size - 1)])


def quantile(grid: DelayGrid, cdf: np.ndarray, q: float, conditional: bool = True) -> float | None:
    """The q-quantile in days; ``conditional``: among items paid within the grid. None if no mass."""
    paid = float(cdf[-1])
    if paid <= 1e-12:
        return None
    target = q * paid if conditional else q
    if target > paid:
        return None
    k = int(np.searchsorted(cdf, target - 1e-12, side="left"))
    return float(grid.low + min(k, grid.size - 1))


def conditional_mean(grid: DelayGrid, cdf: np.ndarray) -> float | None:
    """Mean delay among the items paid within the grid."""
    paid = float(cdf[-1])
    if paid <= 1e-12:
        return None
    pmf = np.diff(cdf, prepend=0.0)
    return float((pmf * grid.days).sum() / paid)


def sample_from_rows(grid: DelayGrid, cdfs: np.ndarray, rows: np.ndarray, n_sims: int,
                     rng: np.random.Generator, already_overdue: np.ndarray | None) -> np.ndarray:
    """Inverse-CDF draws: ``rows`` picks each item's CDF; ``np.inf`` means not paid within the grid.

    With ``already_overdue`` (days past due, per item), u is drawn from U(F(d), 1): the draw is
    conditional on "not paid after d days" and is always later than d.
    """
    n = len(rows)
    u = rng.random((n, n_sims))
    if already_overdue is not None:
        overdue = np.asarray(already_overdue, dtype=np.float64)
        idx = np.floor(overdue).astype(np.int64) - grid.low
        floor_f = np.where(idx < 0, 0.0, cdfs[rows, np.clip(idx, 0, grid.size - 1)])
        u = floor_f[:, None] + u * (1.0 - floor_f[:, None])
        # the distribution says "paid by now" for sure, yet the item is open: beyond what it knows
        u[floor_f >= 1.0 - 1e-12] = np.inf
    out = np.empty((n, n_sims))
    days = grid.days
    for row in np.unique(rows):
        members = np.flatnonzero(rows == row)
        cdf = cdfs[row]
        k = np.searchsorted(cdf, u[members], side="left")
        # u strictly above F at the grid's end (or u == F(end) < 1 on ties): not paid within the grid
        not_paid = (k >= grid.size) | (u[members] > cdf[-1])
        draws = days[np.minimum(k, grid.size - 1)]
        draws[not_paid] = np.inf
        out[members] = draws
    if already_overdue is not None:
        # rounding of u at a CDF step can land on day floor(d); the item is known unpaid then
        minimum = np.floor(overdue) + 1.0
        out = np.where(np.isfinite(out), np.maximum(out, minimum[:, None]), out)
    return out
