"""When each flow lands: the expected path and a seeded Monte Carlo of landing days and amounts.

Receivables and payables land at due date + the partner's delay. The expected path uses the
partner's median delay (for an item already overdue, the median of its delay given that it is
still unpaid and gets paid), weighted by the item's probability of being paid within the horizon
(``expected_minor``: a customer that pays one invoice in five not at all brings four fifths of
it); the simulation draws delays from the payment-behaviour model (``np.inf``: not paid
within the model's reach) plus the flow's own timing noise (orders, recurring flows), and
relative amount noise for recurring flows. Nothing lands before the first forecast day (day 1):
an item expected "before as_of" but still open is paid on day 1 at the earliest.

Random numbers come from streams spawned from the seed in a fixed order, and scenarios keep the
same rows, so a scenario and its base share every draw (their difference is the scenario's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: landing day used for "not within the horizon"
BEYOND = np.iinfo(np.int32).max


@dataclass(frozen=True)
class Landing:
    """``expected``: day offset per flow (BEYOND: not expected in the horizon); ``days``: simulated
    day offsets (flows x simulations); ``amounts``: simulated amounts in minor units."""

    expected: np.ndarray
    days: np.ndarray
    amounts: np.ndarray
    #: rows whose timing and payment come from the payment-behaviour model
    modelled: np.ndarray


def _partner_array(partner_ids: pd.Series) -> np.ndarray:
    return partner_ids.astype("Int64").fillna(-1).to_numpy(dtype="int64")


def draw_landings(table: pd.DataFrame, behaviour, *, use_behaviour: bool, simulations: int, seed: int,
                  common_spread: dict[str, float] | None = None) -> Landing:
    n, sims = len(table), simulations
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    due = table["due"].to_numpy(dtype="int64")
    overdue = table["overdue"].to_numpy(dtype="float64")
    delays = np.zeros((n, sims), dtype="float64")
    with_delay = np.zeros(n, dtype=bool)
    expected_delay = np.zeros(n, dtype="float64")
    if use_behaviour and behaviour is not None:
        with_delay = table["use_delay"].to_numpy(dtype=bool)
        partners = _partner_array(table["partner_id"])
        kinds = table["behaviour_kind"].to_numpy(dtype=object)
        for stream, kind in zip(streams[:2], ("receivable", "payable")):
            rows = np.flatnonzero(with_delay & (kinds == kind))
            if not len(rows):
                continue
            sample = np.asarray(behaviour.sample_delays(kind, partners[rows], sims, stream,
                                                        already_overdue=overdue[rows]), dtype="float64")
            if sample.shape != (len(rows), sims):
                raise ValueError(f"the payment-behaviour model returned delays of shape {sample.shape}, "
                                 f"expected {(len(rows), sims)}")
            spread = (common_spread or {}).get(kind, 0.0)
            if spread > 0:
                sample = sample + np.rint(streams[4].standard_normal(sims) * spread)[None, :]
            delays[rows] = sample
            fresh = overdue[rows] <= 0
            with np.errstate(all="ignore"):  # rows never paid in any simulation have no median
                finite = np.where(np.isfinite(sample), sample, np.nan)
                medians = np.where(np.isfinite(finite).any(axis=1),
                                   np.nanmedian(np.where(np.isfinite(finite).any(axis=1)[:, None], finite, 0.0),
                                                axis=1), np.inf)
            typical = {}
            for i, (row, is_fresh) in enumerate(zip(rows, fresh)):
                if is_fresh:
                    key = int(partners[row])
                    if key not in typical:
                        typical[key] = float(behaviour.expected_delay(kind, None if key < 0 else key))
                    expected_delay[row] = typical[key]
                else:
                    expected_delay[row] = medians[i]
    timing_sd = table["timing_sd"].to_numpy(dtype="float64")
    noise = np.rint(streams[2].standard_normal((n, sims)) * timing_sd[:, None]) if n else np.zeros((0, sims))
    shift = table["shift"].to_numpy(dtype="int64")

    with np.errstate(invalid="ignore"):
        landed = due[:, None] + np.rint(delays) + noise
    unpaid = ~np.isfinite(landed)
    landed = np.where(unpaid, 0, np.maximum(landed, 1)).astype("int64") + shift[:, None]
    landed[unpaid] = BEYOND

    exp = due + np.rint(expected_delay)
    exp_unpaid = ~np.isfinite(exp)
    expected = np.where(exp_unpaid, 0, np.maximum(np.nan_to_num(exp, posinf=0), 1)).astype("int64") + shift
    expected[exp_unpaid] = BEYOND

    amount = table["amount_minor"].to_numpy(dtype="int64")
    amounts = np.broadcast_to(amount[:, None].astype("float64"), (n, sims)).copy()
    cv = table["amount_cv"].to_numpy(dtype="float64")
    noisy = np.flatnonzero(cv > 0)
    if len(noisy):
        factor = np.maximum(0.0, 1.0 + cv[noisy, None] * streams[3].standard_normal((len(noisy), sims)))
        amounts[noisy] = np.rint(amount[noisy, None] * factor)
    level_cv = table["level_cv"].to_numpy(dtype="float64")
    stream_names = table["stream"].to_numpy(dtype=object)
    for name in ("sales", "purchases"):  # fixed order: same draws whatever rows exist
        level = streams[5].standard_normal(sims)
        rows = np.flatnonzero((stream_names == name) & (level_cv > 0))
        if len(rows):
            amounts[rows] = np.rint(amounts[rows] * np.maximum(0.0, 1.0 + level_cv[rows, None] * level[None, :]))
    modelled = with_delay if use_behaviour and behaviour is not None else np.zeros(n, dtype=bool)
    return Landing(expected=expected, days=landed, amounts=amounts, modelled=modelled)


def expected_minor(landing: Landing, amounts: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(probability of landing within the horizon, expected amount in minor units) per flow.

    Modelled flows count for their probability; the others (recurring, run-rate, items on their
    due date) in full when their expected day is inside the horizon."""
    if not len(amounts):
        return np.zeros(0), np.zeros(0, dtype="int64")
    probability = ((landing.days >= 1) & (landing.days <= horizon)).mean(axis=1)
    inside = (landing.expected >= 1) & (landing.expected <= horizon)
    weight = np.where(landing.modelled, probability, 1.0) * inside
    return probability, np.rint(amounts * weight).astype("int64")


def simulated_closings(landing: Landing, opening_minor: int, horizon: int) -> np.ndarray:
    """Closing balance per simulation and day (simulations x horizon), minor units."""
    n, sims = landing.days.shape
    width = horizon + 2  # day 0 unused, days 1..horizon, then "beyond"
    if n == 0:
        return np.full((sims, horizon), float(opening_minor))
    days = np.clip(landing.days, 0, horizon + 1)
    flat = (np.arange(sims, dtype="int64")[None, :] * width + days).ravel()
    totals = np.bincount(flat, weights=landing.amounts.ravel(), minlength=sims * width).reshape(sims, width)
    return opening_minor + np.cumsum(totals[:, 1:horizon + 1], axis=1)


def band(closings: np.ndarray) -> np.ndarray:
    """P10, P50, P90 of the closing balance per day (3 x horizon), minor units."""
    return np.rint(np.percentile(closings, [10, 50, 90], axis=0))
