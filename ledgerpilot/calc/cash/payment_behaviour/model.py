"""Payment behaviour: when each customer pays us and when we pay each vendor, in days after the due date.

Learned from cash settlements (``PAID_COLUMNS``: one row per payment, so a partial payment gives
several rows, each weighted by its share of the item) and, when given, the items still open, which
are censored observations ("not paid after d days"). Per kind (receivable/payable):

1. each observation is weighted by recency, ``0.5 ** (age / half_life_days)`` with the age counted
   from the invoice date (the due date when there is none) to ``as_of``;
2. a weighted Kaplan–Meier estimate gives the company's delay distribution and each partner's, so
   a customer with old unpaid items keeps a real probability of never paying;
3. a partner whose delays drift steadily (a little later every month) has its own distribution moved
   to ``as_of`` by the part of the trend its data supports (``payment_behaviour_trend``);
4. the company's distribution is shrunk towards "paid on the due date" and each partner's towards the
   company's, with ``own_weight = n_eff / (n_eff + prior_strength)`` where ``n_eff`` is the
   recency-weighted number of its items.

Distributions live on a grid of whole days (see ``payment_behaviour_curves``); sampling thousands of
items times hundreds of simulations is a vectorised inverse-CDF lookup. Pure and deterministic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from ledgerpilot.calc.cash.payment_behaviour.curves import (
    DelayGrid,
    cdf_at,
    conditional_mean,
    kaplan_meier_cdfs,
    point_mass_cdf,
    quantile,
    sample_from_rows,
)
from ledgerpilot.calc.cash.payment_behaviour.point import DelayPointModel, fit_point_model
from ledgerpilot.calc.cash.payment_behaviour.trend import delay_drift
from ledgerpilot.calc.cash.payment_behaviour.words import explain_behaviour

KINDS = ("receivable", "payable")
#: the move types whose open items are awaited payments (refunds and unmatched payments are not)
INVOICE_TYPES = ("out_invoice", "in_invoice")
#: the earliest payment the model represents, in days before the due date
EARLIEST_DELAY_DAYS = -120
#: horizon of ``PartnerBehaviour.prob_unpaid_90``
UNPAID_HORIZON_DAYS = 90
#: the columns the model reads (PAID_COLUMNS and open items may carry more)
_REQUIRED_PAID = ("item_id", "kind", "partner_id", "invoice_date", "due_date", "amount", "paid_date")
_REQUIRED_OPEN = ("id", "kind", "partner_id", "date_maturity", "balance", "residual")

Kind = Literal["receivable", "payable"]


class PartnerBehaviour(BaseModel):
    """One partner's (or, with ``partner_id`` None, the company's) payment delays, in days after due.

    Delays (median, p10, p90, mean) are among the items that get paid within the model's horizon;
    ``prob_unpaid_90`` is the probability that an item is still unpaid 90 days after its due date.
    """

    model_config = ConfigDict(frozen=True)

    kind: Kind
    partner_id: int | None
    partner_name: str
    invoices: int              # items (invoice installments) behind the estimate, paid or open
    payments: int              # cash settlements behind the estimate
    open_overdue_90: int       # open items more than 90 days past due on as_of
    own_weight: float          # 0..1: weight of its own history against the company's
    drift_days: float          # how far a trend in its delays moved its distribution (days, + later)
    median_delay: float
    p10_delay: float
    p90_delay: float
    mean_delay: float
    prob_unpaid_90: float
    explanation: str
    item_ids: tuple[int, ...]  # account.move.line ids of its items


@dataclass(frozen=True)
class _KindCurves:
    """The CDF rows of one kind: row 0 is the company, then one row per known partner."""

    cdfs: np.ndarray
    rows: Mapping[int, int]
    behaviours: Mapping[int | None, PartnerBehaviour]


@dataclass(frozen=True)
class PaymentBehaviourModel:
    """Immutable delay distributions per kind and partner, fitted on what was known at ``as_of``."""

    as_of: dt.date
    grid: DelayGrid
    half_life_days: float
    prior_strength: float
    _curves: Mapping[str, _KindCurves] = field(repr=False)
    point: DelayPointModel | None = field(default=None, repr=False)

    @property
    def max_delay_days(self) -> int:
        return self.grid.high

    @property
    def partners(self) -> tuple[PartnerBehaviour, ...]:
        """Every partner with history, customers first, each kind sorted by name."""
        out: list[PartnerBehaviour] = []
        for kind in KINDS:
            found = [b for pid, b in self._curves[kind].behaviours.items() if pid is not None]
            out.extend(sorted(found, key=lambda b: (b.partner_name.lower(), b.partner_id)))
        return tuple(out)

    def _kind(self, kind: str) -> _KindCurves:
        if kind not in self._curves:
            raise ValueError(f"unknown kind {kind!r}: expected 'receivable' or 'payable'")
        return self._curves[kind]

    def _row(self, kind: str, partner_id: int | None) -> int:
        curves = self._kind(kind)
        if partner_id is None or pd.isna(partner_id):
            return 0
        return curves.rows.get(int(partner_id), 0)

    def company(self, kind: str) -> PartnerBehaviour:
        return self._kind(kind).behaviours[None]

    def behaviour(self, kind: str, partner_id: int | None) -> PartnerBehaviour:
        """The partner's behaviour; an unknown partner gets the company's."""
        curves = self._kind(kind)
        if partner_id is None or pd.isna(partner_id):
            return curves.behaviours[None]
        return curves.behaviours.get(int(partner_id), curves.behaviours[None])

    def expected_delay(self, kind: str, partner_id: int | None) -> float:
        """Median delay in days after the due date, among items that get paid."""
        return self.behaviour(kind, partner_id).median_delay

    def predict_delays(self, kind: str, partner_ids, due_dates, amounts=None) -> np.ndarray:
        """How late each item will be paid (days after its due date, the amount-weighted mean of its
        settlements): the item-level predictor of ``payment_behaviour_point``; without one, each
        partner's median delay."""
        self._kind(kind)
        if self.point is None:
            return np.array([self.expected_delay(kind, p) for p in partner_ids], dtype="float64")
        return self.point.predict(kind, partner_ids, due_dates, amounts)

    def cdf(self, kind: str, partner_id: int | None) -> np.ndarray:
        """The partner's CDF over ``grid.days`` (read-only)."""
        return self._kind(kind).cdfs[self._row(kind, partner_id)]

    def sample_delays(self, kind: str, partner_ids: np.ndarray, n_sims: int, rng: np.random.Generator,
                      already_overdue: np.ndarray | None = None) -> np.ndarray:
        """Delays from the due date, shape ``(len(partner_ids), n_sims)``; ``np.inf``: not paid within
        ``max_delay_days``. With ``already_overdue`` (days past due per item, negative when not yet
        due) every draw is conditional on the item being unpaid so far, hence later than that."""
        curves = self._kind(kind)
        rows = _rows_of(pd.Series(partner_ids), curves.rows)
        if already_overdue is not None and len(already_overdue) != len(rows):
            raise ValueError(f"already_overdue has {len(already_overdue)} values for {len(rows)} partners")
        return sample_from_rows(self.grid, curves.cdfs, rows, int(n_sims), rng, already_overdue)

    def prob_unpaid_within(self, kind: str, partner_id: int | None, days_overdue: float,
                           horizon_days: float) -> float:
        """P(an item now ``days_overdue`` past due is still unpaid ``horizon_days`` later)."""
        cdf = self.cdf(kind, partner_id)
        survive_now = 1.0 - cdf_at(self.grid, cdf, days_overdue)
        if survive_now <= 1e-12:
            return 0.0
        survive_then = 1.0 - cdf_at(self.grid, cdf, days_overdue + horizon_days)
        return float(min(1.0, max(0.0, survive_then / survive_now)))

    def explain(self, kind: str, partner_id: int | None) -> str:
        return self.behaviour(kind, partner_id).explanation


def fit_payment_behaviour(paid_items: pd.DataFrame, as_of: dt.date, open_items: pd.DataFrame | None = None,
                          *, half_life_days: float = 180.0, prior_strength: float = 4.0,
                          max_delay_days: int = 365) -> PaymentBehaviourModel:
    """Fit the model on settlements paid on or before ``as_of`` (later rows are ignored: not known yet).

    ``paid_items``: PAID_COLUMNS. ``open_items``: items still open on ``as_of`` with at least ``id``,
    ``kind``, ``partner_id``, ``partner_name``, ``invoice_date``, ``date_maturity``, ``balance`` and
    ``residual`` (ITEM_COLUMNS + residual, as ``CashBooks.open_items``); the open share of each is
    censored at its days past due.
    """
    if half_life_days <= 0:
        raise ValueError(f"half_life_days must be positive, got {half_life_days}")
    if prior_strength < 0:
        raise ValueError(f"prior_strength must not be negative, got {prior_strength}")
    if max_delay_days < 1:
        raise ValueError(f"max_delay_days must be at least 1, got {max_delay_days}")
    _require(paid_items, _REQUIRED_PAID, "paid_items")
    if open_items is not None:
        _require(open_items, _REQUIRED_OPEN, "open_items")
    grid = DelayGrid(EARLIEST_DELAY_DAYS, int(max_delay_days))
    events, censored = _observations(paid_items, open_items, as_of, half_life_days)
    curves = {kind: _fit_kind(kind, events[events["kind"] == kind], censored[censored["kind"] == kind],
                              grid, prior_strength, as_of) for kind in KINDS}
    return PaymentBehaviourModel(as_of=as_of, grid=grid, half_life_days=float(half_life_days),
                                 prior_strength=float(prior_strength), _curves=MappingProxyType(curves),
                                 point=fit_point_model(paid_items, as_of, open_items, half_life_days=half_life_days))


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the columns {missing}")


def _days(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    return ((pd.to_datetime(later) - pd.to_datetime(earlier)).dt.days).to_numpy(dtype=np.float64)


def _observations(paid: pd.DataFrame, open_items: pd.DataFrame | None, as_of: dt.date,
                  half_life: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events (paid shares) and censored shares, each weighted by share of item x recency."""
    cut = pd.Timestamp(as_of)
    paid = paid[pd.to_datetime(paid["paid_date"]) <= cut]
    paid = paid[paid["due_date"].notna() & (paid["amount"].astype("float64") > 0)]
    due = pd.to_datetime(paid["due_date"])
    events = pd.DataFrame({
        "item_id": paid["item_id"].astype("int64").to_numpy(),
        "kind": paid["kind"].astype(str).to_numpy(),
        "partner_id": pd.array(paid["partner_id"], dtype="Int64"),
        "partner_name": _names(paid),
        "ref_date": pd.to_datetime(paid["invoice_date"]).fillna(due).to_numpy(),
        "due": due.to_numpy(),
        "delay": _days(paid["paid_date"], due),
        "amount": paid["amount"].astype("float64").to_numpy(),
    })
    if open_items is not None and len(open_items):
        items = open_items[open_items["date_maturity"].notna() & (open_items["residual"].astype("float64") != 0)]
        if "move_type" in items.columns:  # unreconciled payments and refunds are not awaited payments
            items = items[items["move_type"].isin(INVOICE_TYPES)]
        item_due = pd.to_datetime(items["date_maturity"])
        censored = pd.DataFrame({
            "item_id": items["id"].astype("int64").to_numpy(),
            "kind": items["kind"].astype(str).to_numpy(),
            "partner_id": pd.array(items["partner_id"], dtype="Int64"),
            "partner_name": _names(items),
            "ref_date": pd.to_datetime(items.get("invoice_date", item_due)).fillna(item_due).to_numpy(),
            "after": (cut - item_due).dt.days.to_numpy(dtype=np.float64),
            "amount": items["residual"].astype("float64").abs().to_numpy(),
            "total": items["balance"].astype("float64").abs().to_numpy(),
        })
    else:
        censored = pd.DataFrame({"item_id": pd.Series(dtype="int64"), "kind": pd.Series(dtype=str),
                                 "partner_id": pd.Series(dtype="Int64"), "partner_name": pd.Series(dtype=str),
                                 "ref_date": pd.Series(dtype="datetime64[ns]"), "after": pd.Series(dtype=float),
                                 "amount": pd.Series(dtype=float), "total": pd.Series(dtype=float)})
    # share of each item: the item's size is its balance when open, else the sum of its settlements
    paid_sum = events.groupby("item_id")["amount"].sum()
    open_total = censored.groupby("item_id")["total"].max()
    open_left = censored.groupby("item_id")["amount"].sum()
    item_size = paid_sum.reindex(paid_sum.index.union(open_total.index), fill_value=0.0)
    if len(open_total):
        paid_of_open = item_size.reindex(open_total.index).to_numpy()
        item_size.loc[open_total.index] = np.maximum(open_total.to_numpy(), paid_of_open + open_left.to_numpy())
    for frame in (events, censored):
        size = item_size.reindex(frame["item_id"]).to_numpy()
        share = np.where(size > 0, frame["amount"].to_numpy() / np.where(size > 0, size, 1.0), 0.0)
        age = (cut - pd.to_datetime(frame["ref_date"])).dt.days.to_numpy(dtype=np.float64)
        frame["weight"] = np.clip(share, 0.0, 1.0) * np.power(0.5, np.maximum(age, 0.0) / half_life)
    return events, censored


def _names(frame: pd.DataFrame) -> np.ndarray:
    if "partner_name" in frame.columns:
        return frame["partner_name"].astype("string").fillna("").to_numpy(dtype=object)
    return np.full(len(frame), "", dtype=object)


def _fit_kind(kind: str, events: pd.DataFrame, censored: pd.DataFrame, grid: DelayGrid,
              prior_strength: float, as_of: dt.date) -> _KindCurves:
    partner_ids = sorted({int(p) for p in pd.concat([events["partner_id"], censored["partner_id"]]).dropna()})
    rows = {pid: i + 1 for i, pid in enumerate(partner_ids)}
    n_rows = len(partner_ids) + 1

    ev_rows, ce_rows = _rows_of(events["partner_id"], rows), _rows_of(censored["partner_id"], rows)
    ev_delay, ev_w = events["delay"].to_numpy(), events["weight"].to_numpy()
    ce_after, ce_w = censored["after"].to_numpy(), censored["weight"].to_numpy()
    # the company: every observation of the kind in one group
    company_km = kaplan_meier_cdfs(grid, np.zeros(len(ev_rows), np.int64), 1, ev_delay, ev_w,
                                   np.zeros(len(ce_rows), np.int64), ce_after, ce_w)[0]
    # observation weights are shares of items, so their sum is the recency-weighted number of items
    n_eff_company = float(ev_w.sum() + ce_w.sum())
    company_w = n_eff_company / (n_eff_company + prior_strength) if n_eff_company + prior_strength > 0 else 0.0
    company = company_w * company_km + (1.0 - company_w) * point_mass_cdf(grid, 0)
    own = kaplan_meier_cdfs(grid, ev_rows, n_rows, ev_delay, ev_w, ce_rows, ce_after, ce_w)
    n_eff = np.bincount(ev_rows, ev_w, n_rows) + np.bincount(ce_rows, ce_w, n_rows)
    drift = _drift(events, rows, n_rows, grid, as_of)
    own = _shift_rows(own, drift)
    own_weight = np.where(n_eff + prior_strength > 0, n_eff / (n_eff + prior_strength), 0.0)
    own_weight[0] = company_w
    cdfs = own_weight[:, None] * own + (1.0 - own_weight[:, None]) * company[None, :]
    cdfs[0] = company
    cdfs = np.maximum.accumulate(np.clip(cdfs, 0.0, 1.0), axis=1)
    cdfs.setflags(write=False)
    behaviours = _behaviours(kind, grid, cdfs, rows, own_weight, np.rint(drift * own_weight), events, censored,
                             ev_rows, ce_rows)
    return _KindCurves(cdfs=cdfs, rows=MappingProxyType(rows), behaviours=MappingProxyType(behaviours))


def _drift(events: pd.DataFrame, rows: Mapping[int, int], n_rows: int, grid: DelayGrid,
           as_of: dt.date) -> np.ndarray:
    """Per row, the days by which a supported trend in the partner's delays moves it (see trend module)."""
    known = events.dropna(subset=["partner_id"])
    if known.empty:
        return np.zeros(n_rows)
    per_item = known.assign(weighted=known["delay"] * known["weight"]).groupby("item_id").agg(
        partner_id=("partner_id", "first"), due=("due", "first"), weighted=("weighted", "sum"),
        weight=("weight", "sum"))
    per_item = per_item[per_item["weight"] > 0]
    epoch = pd.Timestamp("1970-01-01")
    due_days = ((pd.to_datetime(per_item["due"]) - epoch).dt.days).to_numpy(dtype=np.float64)
    partner_rows = _rows_of(per_item["partner_id"], rows)
    return delay_drift(partner_rows, due_days, (per_item["weighted"] / per_item["weight"]).to_numpy(),
                       per_item["weight"].to_numpy(), n_rows, float((pd.Timestamp(as_of) - epoch).days))


def _shift_rows(cdfs: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Move each CDF row later (positive) or earlier by whole days along the grid."""
    out = cdfs.copy()
    size = cdfs.shape[1]
    index = np.arange(size)
    for row in np.flatnonzero(np.rint(shifts) != 0):
        step = int(np.rint(shifts[row]))
        source = index - step
        shifted = cdfs[row, np.clip(source, 0, size - 1)]
        shifted[source < 0] = 0.0
        out[row] = shifted
    return out


def _rows_of(partner_ids: pd.Series, rows: Mapping[int, int]) -> np.ndarray:
    """CDF row of each partner id (0, the company, for no partner)."""
    mapped = pd.Series(pd.array(partner_ids, dtype="Int64")).map(dict(rows))
    return mapped.fillna(0).to_numpy(dtype=np.int64)


def _behaviours(kind: str, grid: DelayGrid, cdfs: np.ndarray, rows: Mapping[int, int], own_weight: np.ndarray,
                drift: np.ndarray, events: pd.DataFrame, censored: pd.DataFrame, ev_rows: np.ndarray,
                ce_rows: np.ndarray) -> dict[int | None, PartnerBehaviour]:
    """The company's behaviour (key None) and each partner's, with counts and record ids per row."""
    n_rows = cdfs.shape[0]
    pairs = pd.DataFrame({"row": np.concatenate([ev_rows, ce_rows]),
                          "item": np.concatenate([events["item_id"].to_numpy(dtype=np.int64),
                                                  censored["item_id"].to_numpy(dtype=np.int64)])})
    pairs = pairs.drop_duplicates().sort_values(["row", "item"])
    pair_rows, pair_items = pairs["row"].to_numpy(), pairs["item"].to_numpy()
    starts = np.searchsorted(pair_rows, np.arange(n_rows), side="left")
    ends = np.searchsorted(pair_rows, np.arange(n_rows), side="right")
    payments = np.bincount(ev_rows, minlength=n_rows)
    late = censored["after"].to_numpy() > UNPAID_HORIZON_DAYS
    late_pairs = pd.DataFrame({"row": ce_rows[late], "item": censored["item_id"].to_numpy()[late]}).drop_duplicates()
    overdue_90 = np.bincount(late_pairs["row"].to_numpy(dtype=np.int64), minlength=n_rows)
    named = pd.concat([events[["partner_id", "partner_name"]], censored[["partner_id", "partner_name"]]])
    named = named[named["partner_id"].notna() & (named["partner_name"].astype(str) != "")]
    names = dict(zip(named["partner_id"].astype(int), named["partner_name"].astype(str)))
    out: dict[int | None, PartnerBehaviour] = {}
    for pid, row in [(None, 0), *rows.items()]:
        cdf = cdfs[row]
        if pid is None:
            item_ids = tuple(int(i) for i in np.unique(pair_items))
            name = "all customers" if kind == "receivable" else "all vendors"
            paid_count, overdue = len(ev_rows), len(late_pairs)
        else:
            item_ids = tuple(int(i) for i in pair_items[starts[row]:ends[row]])
            name = names.get(pid, f"partner #{pid}")
            paid_count, overdue = int(payments[row]), int(overdue_90[row])
        values = {
            "kind": kind, "partner_id": pid, "partner_name": name, "invoices": len(item_ids),
            "payments": paid_count, "open_overdue_90": overdue, "own_weight": round(float(own_weight[row]), 4),
            "drift_days": float(drift[row]), "median_delay": _or_zero(quantile(grid, cdf, 0.5)),
            "p10_delay": _or_zero(quantile(grid, cdf, 0.1)), "p90_delay": _or_zero(quantile(grid, cdf, 0.9)),
            "mean_delay": round(_or_zero(conditional_mean(grid, cdf)), 2),
            "prob_unpaid_90": round(1.0 - cdf_at(grid, cdf, UNPAID_HORIZON_DAYS), 4),
            "item_ids": item_ids,
        }
        out[pid] = PartnerBehaviour(explanation=explain_behaviour(**values), **values)
    return out


def _or_zero(value: float | None) -> float:
    """Quantiles are always defined here (the shrinkage keeps some paid mass); 0 = the due date."""
    return 0.0 if value is None else float(value)
