"""When each flow lands: a seeded Monte Carlo of landing days and amounts, and the expected path.

The simulation: receivables and payables (and, once invoiced, open orders) land at due date + a
delay drawn from the payment-behaviour model (``np.inf``: not paid within the model's reach),
conditional on the item being unpaid on ``as_of`` (``overdue``: days past due then, negative when
not yet due), plus a delay shift shared by every item of a kind in a simulation (customers pay
late together), plus the flow's own timing noise (orders, recurring flows, bank lag); recurring
and run-rate flows also get relative amount noise. Nothing lands before the first forecast day
(day 1): an item expected "before as_of" but still open is paid on day 1 at the earliest.

The expected path (``expected_path``) is, for every flow timed by the payment-behaviour model,
the mean over the simulations of what it brings each day: such a flow is spread over the days it
lands on, for the share of the simulations landing there, so the path is the mean of the
simulated paths for these flows and lies inside the P10-P90 band but in rare edge cases (a
customer that pays either on time or two months late brings part of each invoice on each date;
at the median date alone the path would leave the band). Every other flow counts in full on its
expected day. Amounts are whole minor units: each flow's cumulative expectation is rounded day by
day, so its daily amounts add up exactly to its expected amount within the horizon, and the
path adds those up exactly. With delays that have no spread and no timing noise, every flow lands
on one day in every simulation and the path is exactly the hand-computed one.

``Landing.expected`` is each flow's typical landing day (due date + the partner's median delay;
for an item already overdue, the median of its simulated delays): it dates the record in the
flow list, it does not place cash on the path.

Random numbers come from streams spawned from the seed in a fixed order, and scenarios keep the
same rows, so a scenario and its base share every draw: flows a scenario leaves alone keep their
expected amounts to the cent, and the difference is the scenario's own effect (exact for flows
with a known landing day; for modelled flows, the difference of their expected amounts).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: landing day used for "not within the horizon"
BEYOND = np.iinfo(np.int32).max


@dataclass(frozen=True)
class Landing:
    """``expected``: each flow's typical landing day offset (BEYOND: not paid within the model's
    reach); ``days``: simulated day offsets (flows x simulations); ``amounts``: simulated amounts
    in minor units."""

    expected: np.ndarray
    days: np.ndarray
    amounts: np.ndarray
    #: rows whose timing and payment come from the payment-behaviour model
    modelled: np.ndarray


def _partner_array(partner_ids: pd.Series) -> np.ndarray:
    return partner_ids.astype("Int64").fillna(-1).to_numpy(dtype="int64")


def draw_landings(table: pd.DataFrame, behaviour, *, use_behaviour: bool, simulations: int, seed: int,
                  common_spread: dict[str, float] | None = None) -> Landing:
    """Simulated landing days and amounts of every flow of ``table`` (FLOW_COLUMNS), and each
    flow's typical landing day; ``common_spread``: per kind, the spread (days) of the shared shift."""
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


@dataclass(frozen=True)
class ExpectedPath:
    """The expected path, flow by flow, in integer minor units.

    ``daily`` (flows x horizon): each flow's expected amount per day; its rows add up exactly to
    ``amounts`` (the expected amount within the horizon). ``probability``: the share of the
    simulations in which the flow lands within the horizon."""

    probability: np.ndarray
    amounts: np.ndarray
    daily: np.ndarray


def expected_path(landing: Landing, nominal: np.ndarray, horizon: int) -> ExpectedPath:
    """Each flow's expected cash per day (the expected path is their sum).

    A flow timed by the payment-behaviour model counts on every day it lands on in the
    simulations, for the mean of what lands there (total over the simulations / their number):
    the expected path is the mean of the simulated paths for these flows. A customer that pays
    either on time or two months late brings part of the invoice on each date, so the path stays
    inside the band where the median date would put it outside. Its cumulative expectation is
    rounded to the minor unit day by day and the daily amounts are the differences, so they are
    integers that add up exactly to the flow's expected amount.

    Every other flow (recurring, run-rate, payments on their way to the bank, items on their due
    date when no behaviour is used) counts its ``nominal`` amount in full on its expected day when
    that day is inside the horizon: its timing and amount noise widen the band only.
    """
    n, sims = landing.days.shape
    daily = np.zeros((n, horizon), dtype="int64")
    if n == 0:
        return ExpectedPath(np.zeros(0), np.zeros(0, dtype="int64"), daily)
    probability = ((landing.days >= 1) & (landing.days <= horizon)).mean(axis=1)
    modelled = np.flatnonzero(landing.modelled)
    if len(modelled):
        width = horizon + 2  # day 0 unused, days 1..horizon, then "beyond"
        days = np.clip(landing.days[modelled], 0, horizon + 1)
        flat = (np.arange(len(modelled), dtype="int64")[:, None] * width + days).ravel()
        # sums of whole minor units stay exact in float64 (far below 2**53)
        totals = np.bincount(flat, weights=landing.amounts[modelled].ravel(),
                             minlength=len(modelled) * width).reshape(len(modelled), width)
        cumulative = np.rint(np.cumsum(totals[:, 1:horizon + 1], axis=1) / sims).astype("int64")
        daily[modelled] = np.diff(cumulative, axis=1, prepend=0)
    fixed = np.flatnonzero(~landing.modelled & (landing.expected >= 1) & (landing.expected <= horizon))
    daily[fixed, landing.expected[fixed] - 1] = nominal[fixed]
    return ExpectedPath(probability=probability, amounts=daily.sum(axis=1), daily=daily)


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
