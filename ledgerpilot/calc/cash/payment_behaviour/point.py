"""When will this invoice be paid: one number of days after its due date, per item.

The delay distributions of ``payment_behaviour`` describe settlements (cash in parts, for the
forecast's simulations). Answering "how late will this invoice be" asks something else: the
amount-weighted mean date of the invoice's settlements. A customer who pays 40% on the due date and
the rest a month later pays its invoices about 18 days late, although most of its settlements
(by count) are on time. So this predictor learns from **items**, not settlements:

1. **Per item**, the amount-weighted mean delay of its settlements (items fully paid by ``as_of``).
2. **Partner centre**: the recency-weighted median of its items' delays (half-life
   ``half_life_days``; the median resists erratic payers), moved by the trend of its delays
   (``payment_behaviour_trend``, shrunk by its evidence).
3. **Shrinkage, empirical Bayes**: the partner's centre is pulled towards the company's median with
   ``own = n / (n + k)``, where ``n`` is its recency-weighted number of items and ``k`` the ratio of
   its own spread (squared median absolute deviation, pooled with the typical partner's as if that
   were ``PRIOR_ITEMS`` items) to the spread of the partners' centres: a steady payer is trusted
   after two invoices, an erratic one needs many; where customers are all alike, the company's
   median wins.
4. **Payment runs**: a partner that pays on a fixed day of the month (a monthly payment run) pays an
   invoice on the first run on or after its due date plus a lag; when that rule explains the
   partner's history much better than its centre does (half the absolute error or less, on at least
   ``MIN_RUN_ITEMS`` items), it predicts with the rule.
5. **Amount**: one company-wide slope of the delay against ``log2(amount / partner's median amount)``
   (residuals from the centres), kept in proportion to its evidence as the trend is: large invoices
   paid later where the books show it, nothing where they do not.

Pure and deterministic; vectorised per partner.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ledgerpilot.calc.cash.payment_behaviour.trend import delay_drift

MIN_RUN_ITEMS = 5
#: weight (in items) of the typical partner's spread in a partner's own spread
PRIOR_ITEMS = 2.0
#: lags tried, smallest first: among lags that explain the history equally, the one nearest the due date
RUN_LAGS = sorted(range(-5, 31), key=lambda lag: (abs(lag), lag))
Z_KEEP = 2.0


@dataclass(frozen=True)
class _Partner:
    centre: float
    own_weight: float
    median_amount: float
    run_day: int | None = None
    run_lag: int = 0


@dataclass(frozen=True)
class DelayPointModel:
    """Point predictions of item delays (days after the due date) per kind and partner."""

    company: dict[str, float]
    amount_slope: dict[str, float]
    partners: dict[tuple[str, int], _Partner] = field(repr=False)

    def predict(self, kind: str, partner_ids, due_dates, amounts=None) -> np.ndarray:
        """Delay in days for each item (``amounts`` in the company currency; None: no amount effect)."""
        ids = pd.array(partner_ids, dtype="Int64")
        dues = pd.to_datetime(pd.Series(due_dates)).dt.date.to_numpy()
        amount = np.full(len(ids), np.nan) if amounts is None else np.asarray(amounts, dtype="float64")
        out = np.empty(len(ids))
        base = self.company.get(kind, 0.0)
        slope = self.amount_slope.get(kind, 0.0)
        for i, (pid, due) in enumerate(zip(ids, dues)):
            partner = None if pd.isna(pid) else self.partners.get((kind, int(pid)))
            if partner is None:
                out[i] = base
                continue
            if partner.run_day is not None:
                out[i] = (_next_run(due + dt.timedelta(days=partner.run_lag), partner.run_day) - due).days
                continue
            value = partner.centre
            if slope and np.isfinite(amount[i]) and amount[i] > 0 and partner.median_amount > 0:
                value += slope * np.log2(amount[i] / partner.median_amount)
            out[i] = value
        return out


def _next_run(ready: dt.date, run_day: int) -> dt.date:
    """The first working day on or after day ``run_day`` of a month that is on or after ``ready``."""
    month = ready.replace(day=1)
    while True:
        run = month.replace(day=min(run_day, 28))
        while run.weekday() >= 5:
            run += dt.timedelta(days=1)
        if run >= ready:
            return run
        month = (month + dt.timedelta(days=32)).replace(day=1)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cumulative = np.cumsum(w)
    return float(v[np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def _grouped_weighted_median(rows: np.ndarray, values: np.ndarray, weights: np.ndarray, n_rows: int) -> np.ndarray:
    """:func:`_weighted_median` of each row's values at once (0 for a row without values)."""
    out = np.zeros(n_rows)
    if not len(rows):
        return out
    order = np.lexsort((values, rows))
    r, v, w = rows[order], values[order], weights[order]
    total = np.bincount(r, w, n_rows)
    cumulative = np.cumsum(w)
    before = np.concatenate([[0.0], np.cumsum(total)])[r]
    share = (cumulative - before) / np.where(total[r] > 0, total[r], 1.0)
    key = r + np.minimum(share, 1.0)
    present = np.flatnonzero(np.bincount(r, minlength=n_rows) > 0)
    at = np.searchsorted(key, present + 0.5 - 1e-12, side="left")
    out[present] = v[np.minimum(at, len(v) - 1)]
    return out


def item_delays(paid: pd.DataFrame, as_of: dt.date, open_items: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per item fully paid on or before ``as_of`` (not among ``open_items``, the items still
    open then): kind, partner, due date, amount, amount-weighted mean delay. A partly paid item is
    left out: its delay so far is only that of its first settlements."""
    paid = paid[pd.to_datetime(paid["paid_date"]) <= pd.Timestamp(as_of)]
    if open_items is not None and len(open_items):
        still_open = open_items.loc[open_items["residual"].astype("float64").abs() > 0.005, "id"].astype("int64")
        paid = paid[~paid["item_id"].astype("int64").isin(still_open)]
    paid = paid[paid["due_date"].notna() & (paid["amount"].astype("float64") > 0)]
    if paid.empty:
        return pd.DataFrame(columns=["kind", "partner_id", "due", "ref", "paid", "amount", "delay"])
    due = pd.to_datetime(paid["due_date"])
    amount = paid["amount"].astype("float64")
    delay = (pd.to_datetime(paid["paid_date"]) - due).dt.days.astype("float64")
    frame = pd.DataFrame({"item_id": paid["item_id"].to_numpy(), "kind": paid["kind"].astype(str).to_numpy(),
                          "partner_id": pd.array(paid["partner_id"], dtype="Int64"), "due": due.to_numpy(),
                          "ref": pd.to_datetime(paid["invoice_date"]).fillna(due).to_numpy(),
                          "paid": pd.to_datetime(paid["paid_date"]).to_numpy(),
                          "amount": amount.to_numpy(), "weighted": (delay * amount).to_numpy()})
    items = frame.groupby("item_id").agg(kind=("kind", "first"), partner_id=("partner_id", "first"),
                                         due=("due", "first"), ref=("ref", "first"), paid=("paid", "max"),
                                         amount=("amount", "sum"), weighted=("weighted", "sum"))
    items["delay"] = items["weighted"] / items["amount"]
    return items.drop(columns="weighted").reset_index()


def fit_point_model(paid: pd.DataFrame, as_of: dt.date, open_items: pd.DataFrame | None = None, *,
                    half_life_days: float = 180.0) -> DelayPointModel:
    """Fit the point predictor on the settlements known on ``as_of`` (PAID_COLUMNS); ``open_items``
    (``id``, ``residual``): the items still open then."""
    items = item_delays(paid, as_of, open_items)
    company: dict[str, float] = {}
    slopes: dict[str, float] = {}
    partners: dict[tuple[str, int], _Partner] = {}
    cut = pd.Timestamp(as_of)
    for kind, group in items.groupby("kind"):
        group = group.reset_index(drop=True)
        age = (cut - pd.DatetimeIndex(group["ref"])).days.to_numpy(dtype="float64")
        weight = np.power(0.5, np.maximum(age, 0.0) / half_life_days)
        delays = group["delay"].to_numpy(dtype="float64")
        company[kind] = _weighted_median(delays, weight) if len(group) else 0.0
        known = group["partner_id"].notna().to_numpy()
        codes, uniques = pd.factorize(group.loc[known, "partner_id"].astype("int64"))
        if not len(uniques):
            continue
        kw, kd = weight[known], delays[known]
        n_rows = len(uniques) + 1
        rows = codes + 1
        n_eff = np.bincount(rows, kw, n_rows)
        centres = _grouped_weighted_median(rows, kd, kw, n_rows)
        epoch = pd.Timestamp("1970-01-01")
        due_days = (pd.DatetimeIndex(group.loc[known, "due"]) - epoch).days.to_numpy(dtype="float64")
        drift = delay_drift(rows, due_days, kd, kw, n_rows, float((cut - epoch).days))
        centres = centres + drift
        # empirical Bayes: each partner's own spread against the spread of the partners' centres
        # (spread: the squared weighted median absolute deviation, as robust as the centre it measures)
        residual = np.abs(kd - centres[rows])
        spread = (1.4826 * _grouped_weighted_median(rows, residual, kw, n_rows)) ** 2
        many = n_eff[1:] >= 3
        if many.sum() < 3:
            many = n_eff[1:] > 0
        typical = float(np.median(spread[1:][many]))
        spread = (spread * n_eff + PRIOR_ITEMS * typical) / (n_eff + PRIOR_ITEMS)
        between = float(np.var(centres[1:][many])) if many.sum() >= 2 else 0.0
        k = np.clip(spread / between, 0.05, 20.0) if between > 1e-9 else np.full(n_rows, 4.0)
        own = n_eff / (n_eff + k)
        shrunk = own * centres + (1 - own) * company[kind]
        amounts = group.loc[known, "amount"].to_numpy(dtype="float64")
        median_amount = _grouped_weighted_median(rows, amounts, np.ones(len(amounts)), n_rows)
        slopes[kind] = _amount_slope(kd - shrunk[rows], np.log2(np.maximum(amounts, 1e-9)
                                                                 / np.maximum(median_amount[rows], 1e-9)), kw)
        paid_days = pd.DatetimeIndex(group.loc[known, "paid"]).day.to_numpy()
        due_dates = group.loc[known, "due"].to_numpy(dtype="datetime64[D]")
        order = np.argsort(rows, kind="stable")
        bounds = np.searchsorted(rows[order], np.arange(n_rows + 1))
        for row, pid in enumerate(uniques, start=1):
            members = order[bounds[row]:bounds[row + 1]]
            run = _payment_run(due_dates[members], paid_days[members], kd[members], shrunk[row])
            partners[(kind, int(pid))] = _Partner(centre=float(shrunk[row]), own_weight=float(own[row]),
                                                  median_amount=float(median_amount[row]),
                                                  run_day=run[0] if run else None, run_lag=run[1] if run else 0)
    return DelayPointModel(company=company, amount_slope=slopes, partners=partners)


def _amount_slope(residual: np.ndarray, x: np.ndarray, w: np.ndarray) -> float:
    """Weighted least-squares slope through the origin, kept by ``max(0, 1 - (z/t)^2)``."""
    sxx = float((w * x * x).sum())
    if sxx <= 1e-9 or len(x) < 20:
        return 0.0
    slope = float((w * x * residual).sum()) / sxx
    n_eff = float(w.sum() ** 2 / max((w * w).sum(), 1e-12))
    s2 = float((w * (residual - slope * x) ** 2).sum() / w.sum()) * n_eff / max(n_eff - 1, 1.0)
    se2 = s2 / (sxx / w.sum() * n_eff)
    keep = max(0.0, 1.0 - Z_KEEP**2 * se2 / (slope * slope)) if slope else 0.0
    return slope * keep


def _next_runs(ready: np.ndarray, run_day: int) -> np.ndarray:
    """:func:`_next_run` of many days (``datetime64[D]``) at once: a table of each month's run (moved
    to a working day) and, per day, its month's run or the next month's."""
    months = ready.astype("datetime64[M]")
    first, last = months.min(), months.max() + 1
    table_months = np.arange(first, last + 1, dtype="datetime64[M]")
    runs = table_months.astype("datetime64[D]") + (min(run_day, 28) - 1)
    runs = np.busday_offset(runs, 0, roll="forward")
    index = (months - first).astype("int64")
    this = runs[index]
    return np.where(this >= ready, this, runs[index + 1])


def _payment_run(dues: np.ndarray, days: np.ndarray, delays: np.ndarray, centre: float) -> tuple[int, int] | None:
    """(run day, lag) when "the first run on or after due + lag" explains the history at half the
    error of the centre or better; None otherwise. ``dues``: due dates (``datetime64[D]``); ``days``:
    the day of the month each item was paid."""
    if len(dues) < MIN_RUN_ITEMS:
        return None
    days = np.asarray(days, dtype="int64")
    values, counts = np.unique(days, return_counts=True)
    if counts.max() < 0.5 * len(days):
        # a run moved by weekends lands on the day or up to two days after: look at a 3-day window
        window = np.bincount(days, minlength=34)[1:32]
        window = window + np.roll(window, -1) + np.roll(window, -2)
        if window.max() < 0.7 * len(days):
            return None
        run_day = int(np.argmax(window)) + 1
    else:
        run_day = int(values[np.argmax(counts)])
    centre_error = float(np.abs(delays - centre).mean())
    due_days = np.asarray(dues, dtype="datetime64[D]")
    best = None
    for lag in RUN_LAGS:
        predicted = (_next_runs(due_days + lag, run_day) - due_days).astype("int64")
        error = float(np.abs(predicted - delays).mean())
        if best is None or error < best[0]:
            best = (error, int(lag))
    if best is None or best[0] > 0.5 * centre_error:
        return None
    return run_day, best[1]
