"""Walk-forward evaluation of the payment-behaviour model against two simple baselines.

Each paid invoice (one receivable/payable item: an invoice installment with its own due date) is
predicted only from what was known before its invoice date:

- **model**: ``fit_payment_behaviour`` refitted once per calendar month, on the settlements made up
  to the day before the month starts and the items open on that day (censored); the prediction is the
  model's item-level point prediction (``PaymentBehaviourModel.predict_delays``: the partner's
  recency-weighted median item delay with its trend, shrunk by empirical Bayes, its payment run, the
  amount effect; see ``calc.cash.payment_behaviour.point``). Refitting monthly rather than per invoice keeps the evaluation fast; it
  only ever uses less information than was available on the invoice date, never more.
- **due date**: the invoice is paid on its due date (delay 0).
- **running mean**: the mean delay of the partner's invoices fully paid before the invoice date;
  the company's (same kind) when the partner has none; 0 when nothing was paid yet.

The actual delay of an invoice paid in several parts is the amount-weighted mean of its settlements'
delays (equivalently of their paid dates). Invoices not fully paid by the end of the history are not
scored (they still inform the model as open items). Metrics: MAE in days, share of invoices predicted
within ±7 days, mean signed error (bias), count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from ledgerpilot.calc.cash.payment_behaviour.model import (
    INVOICE_TYPES,
    KINDS,
    PaymentBehaviourModel,
    fit_payment_behaviour,
)
from ledgerpilot.errors import LedgerpilotError

#: months of history before the first scored invoice (by default)
WARM_UP_MONTHS = 3
WITHIN_DAYS = 7

METHOD_LABELS = {
    "model": "payment-behaviour model",
    "due_date": "paid on the due date",
    "running_mean": "partner's running mean delay",
}


class NotEnoughHistoryError(LedgerpilotError):
    """Nothing to score: no invoice paid in the evaluation window."""


class MethodScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    method: str
    label: str
    mae_days: float
    within_7_days: float   # share of invoices predicted within ±7 days
    bias_days: float       # mean of (predicted - actual): positive predicts too late
    invoices: int


class PaymentDelayEvaluation(BaseModel):
    """The model and the two baselines scored on the same invoices."""

    model_config = ConfigDict(frozen=True)

    source: str
    kinds: tuple[str, ...]
    start: dt.date          # first invoice date scored
    end: dt.date            # last invoice date scored
    invoices: int
    partners: int
    refits: int
    half_life_days: float
    prior_strength: float
    methods: tuple[MethodScore, ...]

    def score(self, method: str) -> MethodScore:
        return next(m for m in self.methods if m.method == method)

    @property
    def best(self) -> str:
        return min(self.methods, key=lambda m: (m.mae_days, m.method)).method


def _items(paid: pd.DataFrame, open_items: pd.DataFrame | None) -> pd.DataFrame:
    """One row per item: dates, total, what was left open at the end, and when it was fully paid."""
    paid = paid.assign(paid_date=pd.to_datetime(paid["paid_date"]), due_date=pd.to_datetime(paid["due_date"]),
                       invoice_date=pd.to_datetime(paid["invoice_date"]), amount=paid["amount"].astype("float64"))
    paid = paid[paid["amount"] > 0]
    delay = (paid["paid_date"] - paid["due_date"]).dt.days.astype("float64")
    grouped = paid.assign(weighted=delay * paid["amount"]).groupby("item_id")
    items = grouped.agg(kind=("kind", "first"), partner_id=("partner_id", "first"),
                        partner_name=("partner_name", "first"), invoice_date=("invoice_date", "first"),
                        due_date=("due_date", "first"), paid_total=("amount", "sum"),
                        weighted=("weighted", "sum"), last_paid=("paid_date", "max"))
    items["actual_delay"] = items["weighted"] / items["paid_total"]
    items["open_left"] = 0.0
    items["total"] = items["paid_total"]
    if open_items is not None and "move_type" in open_items.columns:
        open_items = open_items[open_items["move_type"].isin(INVOICE_TYPES)]
    if open_items is not None and len(open_items):
        extra = pd.DataFrame({
            "item_id": open_items["id"].astype("int64").to_numpy(), "kind": open_items["kind"].to_numpy(),
            "partner_id": pd.array(open_items["partner_id"], dtype="Int64"),
            "partner_name": open_items["partner_name"].to_numpy(),
            "invoice_date": pd.to_datetime(open_items["invoice_date"]).to_numpy(),
            "due_date": pd.to_datetime(open_items["date_maturity"]).to_numpy(),
            "open_left": open_items["residual"].astype("float64").abs().to_numpy(),
            "balance": open_items["balance"].astype("float64").abs().to_numpy(),
        }).set_index("item_id")
        known = extra.index.intersection(items.index)
        items.loc[known, "open_left"] = extra.loc[known, "open_left"]
        items.loc[known, "total"] = np.maximum(extra.loc[known, "balance"],
                                               items.loc[known, "paid_total"] + extra.loc[known, "open_left"])
        never_paid = extra.drop(index=known)
        never_paid = never_paid.assign(paid_total=0.0, weighted=0.0, last_paid=pd.NaT, actual_delay=np.nan,
                                       total=np.maximum(never_paid["balance"], never_paid["open_left"]))
        items = pd.concat([items, never_paid.drop(columns="balance")])
    items["invoice_date"] = items["invoice_date"].fillna(items["due_date"])
    items["fully_paid"] = items["open_left"] <= 0.005
    items.index.name = "item_id"
    return items.reset_index()


def _known_on(paid: pd.DataFrame, items: pd.DataFrame, cut: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the books showed at the end of ``cut``: settlements so far and the items still open."""
    known_paid = paid[pd.to_datetime(paid["paid_date"]) <= cut]
    invoiced = items[items["invoice_date"] <= cut]
    paid_by_cut = known_paid.groupby("item_id")["amount"].sum()
    left = invoiced["total"].to_numpy() - paid_by_cut.reindex(invoiced["item_id"]).fillna(0.0).to_numpy()
    still_open = invoiced[left > 0.005]
    open_items = pd.DataFrame({
        "id": still_open["item_id"].astype("int64"), "kind": still_open["kind"],
        "partner_id": pd.array(still_open["partner_id"], dtype="Int64"), "partner_name": still_open["partner_name"],
        "invoice_date": still_open["invoice_date"], "date_maturity": still_open["due_date"],
        "balance": still_open["total"], "residual": left[left > 0.005],
    })
    return known_paid, open_items


def _running_mean(items: pd.DataFrame, scored: pd.DataFrame) -> np.ndarray:
    """Mean delay of the partner's items fully paid before each scored invoice date (see module doc)."""
    done = items[items["fully_paid"] & items["last_paid"].notna()].sort_values("last_paid")
    out = np.zeros(len(scored))
    when = scored["invoice_date"].to_numpy(dtype="datetime64[ns]")

    def prefix_means(known: pd.DataFrame, dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        known_dates = known["last_paid"].to_numpy(dtype="datetime64[ns]")
        sums = np.concatenate([[0.0], np.cumsum(known["actual_delay"].to_numpy())])
        counts = np.searchsorted(known_dates, dates, side="left")
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, sums[counts] / np.maximum(counts, 1), np.nan), counts

    for kind in scored["kind"].unique():
        in_kind = (scored["kind"] == kind).to_numpy()
        company_mean, _ = prefix_means(done[done["kind"] == kind], when[in_kind])
        partner_mean = np.full(in_kind.sum(), np.nan)
        kind_scored = scored[in_kind]
        kind_done = done[done["kind"] == kind]
        by_partner = dict(tuple(kind_done.dropna(subset=["partner_id"]).groupby("partner_id")))
        positions = np.arange(len(kind_scored))
        for pid, members in kind_scored.groupby("partner_id").indices.items():
            if pid in by_partner:
                partner_mean[positions[members]], _ = prefix_means(by_partner[pid], when[in_kind][members])
        out[in_kind] = np.where(np.isnan(partner_mean), np.nan_to_num(company_mean, nan=0.0), partner_mean)
    return out


def _score(method: str, predicted: np.ndarray, actual: np.ndarray) -> MethodScore:
    error = predicted - actual
    return MethodScore(method=method, label=METHOD_LABELS[method], mae_days=round(float(np.abs(error).mean()), 2),
                       within_7_days=round(float((np.abs(error) <= WITHIN_DAYS + 1e-9).mean()), 4),
                       bias_days=round(float(error.mean()), 2), invoices=len(actual))


def walk_forward_predictions(paid: pd.DataFrame, open_items: pd.DataFrame | None = None, *,
                             kinds: Sequence[str] = ("receivable",), start: dt.date | None = None,
                             end: dt.date | None = None, as_of: dt.date | None = None, source: str = "",
                             fit: Callable[..., PaymentBehaviourModel] = fit_payment_behaviour,
                             half_life_days: float = 180.0, prior_strength: float = 4.0) -> tuple[pd.DataFrame, int]:
    """Every scored invoice with its actual delay and each method's prediction, and the refit count.

    Columns: item_id, kind, partner_id, partner_name, invoice_date, due_date, actual_delay, and one
    column per method (``model``, ``due_date_baseline``, ``running_mean``). See module doc.
    """
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"kinds must be among {KINDS}, got {list(kinds)}")
    if paid.empty:
        raise NotEnoughHistoryError(f"{source or 'the history'}: no paid invoice to learn from or to score")
    items = _items(paid, open_items)
    if as_of is not None:  # forget what happened after as_of: later settlements leave items open
        paid, open_items = _known_on(paid, items, pd.Timestamp(as_of))
        if paid.empty:
            raise NotEnoughHistoryError(f"{source or 'the history'}: no invoice paid on or before {as_of}")
        items = _items(paid, open_items)
        end = min(end, as_of) if end is not None else as_of
    first = items["invoice_date"].min()
    if start is None:
        start = (first.to_period("M") + WARM_UP_MONTHS).to_timestamp().date()
    scored = items[items["fully_paid"] & items["kind"].isin(list(kinds))
                   & (items["invoice_date"] >= pd.Timestamp(start))]
    if end is not None:
        scored = scored[scored["invoice_date"] <= pd.Timestamp(end)]
    if scored.empty:
        raise NotEnoughHistoryError(
            f"{source or 'the history'}: no {'/'.join(kinds)} invoice fully paid and dated from {start}"
            f"{f' to {end}' if end else ''}; choose an earlier start (the history begins {first.date()})")
    scored = scored.sort_values(["invoice_date", "item_id"]).reset_index(drop=True)
    predicted = np.zeros(len(scored))
    months = scored["invoice_date"].dt.to_period("M")
    refits = 0
    for month, positions in scored.groupby(months).indices.items():
        cut = month.to_timestamp() - pd.Timedelta(days=1)
        known_paid, known_open = _known_on(paid, items, cut)
        model = fit(known_paid, cut.date(), known_open, half_life_days=half_life_days,
                    prior_strength=prior_strength)
        refits += 1
        batch = scored.iloc[positions]
        for kind, members in batch.groupby("kind").indices.items():
            rows = batch.iloc[members]
            predicted[positions[members]] = model.predict_delays(kind, rows["partner_id"], rows["due_date"],
                                                                 rows["total"].to_numpy())
    out = scored[["item_id", "kind", "partner_id", "partner_name", "invoice_date", "due_date",
                  "actual_delay"]].copy()
    out["model"] = predicted
    out["due_date_baseline"] = 0.0
    out["running_mean"] = _running_mean(items, scored)
    return out, refits


def evaluate_payment_delays(paid: pd.DataFrame, open_items: pd.DataFrame | None = None, *,
                            kinds: Sequence[str] = ("receivable",), start: dt.date | None = None,
                            end: dt.date | None = None, as_of: dt.date | None = None, source: str = "",
                            fit: Callable[..., PaymentBehaviourModel] = fit_payment_behaviour,
                            half_life_days: float = 180.0, prior_strength: float = 4.0) -> PaymentDelayEvaluation:
    """Score the model and both baselines walking forward over ``paid`` (PAID_COLUMNS).

    ``open_items``: items still unpaid at the end of the history (id, kind, partner_id, partner_name,
    invoice_date, date_maturity, balance, residual). ``start``/``end`` bound the invoice dates scored
    (default: from the first month after a three-month warm-up to the last paid invoice). ``as_of``
    evaluates the history as it was known that day.
    """
    scored, refits = walk_forward_predictions(paid, open_items, kinds=kinds, start=start, end=end, as_of=as_of,
                                              source=source,
                                              fit=fit, half_life_days=half_life_days,
                                              prior_strength=prior_strength)
    actual = scored["actual_delay"].to_numpy(dtype=np.float64)
    methods = (_score("model", scored["model"].to_numpy(), actual),
               _score("due_date", scored["due_date_baseline"].to_numpy(), actual),
               _score("running_mean", scored["running_mean"].to_numpy(), actual))
    return PaymentDelayEvaluation(
        source=source, kinds=tuple(kinds), start=scored["invoice_date"].min().date(),
        end=scored["invoice_date"].max().date(), invoices=len(scored), partners=int(scored["partner_id"].nunique()),
        refits=refits, half_life_days=half_life_days, prior_strength=prior_strength, methods=methods)


def evaluate_on_history(history, as_of: dt.date | None = None, *, kinds: Sequence[str] = ("receivable",),
                        start: dt.date | None = None, source: str = "") -> PaymentDelayEvaluation:
    """The evaluation on books extracted from Odoo (a ``CashHistory``), as known on ``as_of``.

    Settlements come from ``calc.cash.cut.paid_items_as_of`` and the items still open on ``as_of``
    from ``calc.cash.cut.books_as_of`` (default ``as_of``: the day the history was extracted).
    """
    from ledgerpilot.calc.cash.cut import books_as_of, paid_items_as_of

    day = as_of or history.extracted_on
    paid = paid_items_as_of(history, day)
    open_items = books_as_of(history, day).open_items
    return evaluate_payment_delays(paid, open_items, kinds=kinds, start=start, end=day,
                                   source=source or history.company_name)
