"""One risk score per journal entry: the rules' findings combined with an IsolationForest.

Two kinds of evidence, each answering a different question:

- **Rules** (the detectors) say *why* something is odd, in words, with a calibrated score: 0.5 means
  "worth a person's look", ~0.95 strong evidence. An entry cited by several findings collects them
  by **noisy-OR**: ``rule = 1 - prod(1 - score_i)`` — independent reasons to doubt the same entry
  add up, and no number of weak reasons reaches certainty.
- **The model** (scikit-learn's IsolationForest over :mod:`~ledgerpilot.calc.anomalies.features`)
  says *how unlike the rest* an entry is, without a reason. It is fitted on the history (a seeded
  subsample when there is a lot of it) and scores every entry. Its raw isolation score is turned
  into a model score between 0 and 1 by where it falls in the fitted distribution: entries outside
  the most isolated ``model_tail`` share get 0, the most isolated of all get 1.

The combined risk treats the model as one more, weaker, source in the same noisy-OR:
``risk = 1 - (1 - rule) * (1 - model_weight * model)``. Why this form: a strong rule finding stays
strong whatever the model says (a duplicate bill is a duplicate even if it looks ordinary — it
does, by construction); a weak rule finding on an entry the model also finds extreme is lifted
(two independent signals agreeing); and with ``model_weight`` below the threshold the model alone
never raises an alert — it ranks entries that no rule explains, which is what the per-entry scores
are for. Nothing here reads any evaluation label.

Findings are about bills, entries, payments, valuation layers or purchase orders; each is tied to
journal entries through :class:`EntryLinks` (a payment's entry, a layer's valuation entry, an
order's vendor bills).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from ledgerpilot.calc.anomalies.config import AnomalyConfig
from ledgerpilot.calc.anomalies.features import FEATURES
from ledgerpilot.calc.anomalies.frames import AnomalyData
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.proposal import RecordRef

#: fewer entries than this to learn from: the model abstains (every model score is 0)
MIN_FIT_ROWS = 32
#: records that are (part of) one journal entry; other records reach entries only as a finding's primary
DIRECT_MODELS = frozenset({"account.move", "account.move.line", "account.payment"})
#: how many samples each tree is grown on (scikit-learn's default, from the IsolationForest paper)
TREE_SAMPLES = 256


@dataclass(frozen=True)
class ModelScores:
    """The model's view of every entry: ``isolation`` (raw, higher = more isolated, 0-1) and
    ``model_score`` (0-1, calibrated on the fitted history), both indexed by move id."""

    isolation: pd.Series
    model_score: pd.Series
    fitted_on: int             # entries the forest was fitted on (0: too few, the model abstained)


@dataclass(frozen=True)
class FittedModel:
    """A fitted IsolationForest and the sorted isolation scores of the rows it learnt from (the
    distribution model scores are calibrated on). Kept between scans by a long-running scanner, so
    a scoped scan scores its few entries without fitting again."""

    forest: IsolationForest
    fitted: np.ndarray          # isolation scores of the fitted rows, ascending
    fitted_on: int


def feature_matrix(features: pd.DataFrame) -> np.ndarray:
    """The model's input: the :data:`FEATURES` columns, with missing and infinite values bounded."""
    return np.nan_to_num(features.loc[:, list(FEATURES)].to_numpy(dtype="float64", na_value=0.0),
                         nan=0.0, posinf=50.0, neginf=-50.0)


def fit_model(features: pd.DataFrame, config: AnomalyConfig, history: pd.Index | None = None,
              matrix: np.ndarray | None = None) -> FittedModel | None:
    """The forest fitted on ``history`` (default: every entry), at most ``config.model_fit_rows`` of
    them drawn with ``config.model_seed``; ``None`` when there are fewer than :data:`MIN_FIT_ROWS`."""
    index = features.index
    matrix = feature_matrix(features) if matrix is None else matrix
    rows = np.arange(len(index)) if history is None else np.flatnonzero(index.isin(history))
    if len(rows) < MIN_FIT_ROWS:
        return None
    if len(rows) > config.model_fit_rows:
        rows = np.sort(np.random.default_rng(config.model_seed).choice(rows, config.model_fit_rows, replace=False))
    forest = IsolationForest(n_estimators=config.model_trees, max_samples=min(TREE_SAMPLES, len(rows)),
                             random_state=config.model_seed, n_jobs=1)
    forest.fit(matrix[rows])
    fitted = np.sort(-forest.score_samples(matrix[rows]))   # the paper's anomaly score s(x) in (0, 1)
    return FittedModel(forest=forest, fitted=fitted, fitted_on=len(rows))


def score_model(model: FittedModel | None, features: pd.DataFrame, config: AnomalyConfig,
                score: pd.Index | None = None, matrix: np.ndarray | None = None) -> ModelScores:
    """``model``'s view of the ``score`` rows of ``features`` (default: all); zeros without a model."""
    index = features.index
    wanted = index if score is None else index[index.isin(score)]
    if model is None:
        zeros = pd.Series(np.zeros(len(wanted)), index=wanted, dtype="float64")
        return ModelScores(isolation=zeros, model_score=zeros.copy(), fitted_on=0)
    if len(wanted):
        rows = index.get_indexer(wanted)
        chosen = matrix[rows] if matrix is not None else feature_matrix(features.iloc[rows])
        isolation = -model.forest.score_samples(chosen)
    else:
        isolation = np.zeros(0)
    share_below = np.searchsorted(model.fitted, isolation, side="right") / len(model.fitted)
    tail = config.model_tail
    scores = np.clip((share_below - (1.0 - tail)) / tail, 0.0, 1.0)
    return ModelScores(isolation=pd.Series(isolation, index=wanted, dtype="float64"),
                       model_score=pd.Series(scores, index=wanted, dtype="float64"), fitted_on=model.fitted_on)


def fit_and_score(features: pd.DataFrame, config: AnomalyConfig, history: pd.Index | None = None,
                  score: pd.Index | None = None) -> ModelScores:
    """Fit an IsolationForest on ``history`` (default: every entry) and score the ``score`` rows (default: all).

    At most ``config.model_fit_rows`` history rows are used, drawn with ``config.model_seed``; the
    forest is seeded too, so the same books give the same scores. The model score is calibrated on
    the fitted rows, so scoring only some entries (an incremental scan) gives them the same scores
    as a full scan would.
    """
    matrix = feature_matrix(features)
    return score_model(fit_model(features, config, history, matrix), features, config, score, matrix)


def noisy_or(scores: Iterable[float]) -> float:
    """1 - prod(1 - s): the chance at least one of several independent signals is right."""
    remaining = 1.0
    for score in scores:
        remaining *= 1.0 - min(max(float(score), 0.0), 1.0)
    return 1.0 - remaining


def combine(rule: np.ndarray | pd.Series | float, model: np.ndarray | pd.Series | float,
            weight: float) -> np.ndarray | pd.Series | float:
    """The combined risk: rule and weighted model score, noisy-OR'ed."""
    return 1.0 - (1.0 - rule) * (1.0 - weight * model)


class EntryLinks:
    """Which journal entries a cited record stands for.

    ``account.move`` is itself; ``account.move.line`` its entry; ``account.payment`` the payment's
    entry; ``stock.valuation.layer`` its valuation entry (when the layer has one); ``purchase.order``
    the vendor bills whose lines come from the order's lines. Built once per scan from the frames.
    """

    def __init__(self, data: AnomalyData) -> None:
        self._data = data
        self._moves: pd.Index | None = None
        # built on first use: a scoped scan resolves a few records and should not index a million items
        self._by_model: dict[str, pd.Series | dict[int, tuple[int, ...]]] = {}

    def _lookup(self, model: str) -> pd.Series | dict[int, tuple[int, ...]] | None:
        if model not in self._by_model:
            data = self._data
            if model == "account.move.line":
                self._by_model[model] = _single(data.lines, "id", "move_id")
            elif model == "account.payment":
                self._by_model[model] = _single(data.payments, "id", "move_id")
            elif model == "stock.valuation.layer":
                self._by_model[model] = _single(data.valuation_layers, "id", "account_move_id")
            elif model == "purchase.order":
                self._by_model[model] = _order_bills(data)
            else:
                return None
        return self._by_model[model]

    def moves_of(self, ref: RecordRef) -> tuple[int, ...]:
        """The entries ``ref`` stands for (empty when it has none in the books read)."""
        if ref.model == "account.move":
            if self._moves is None:
                self._moves = pd.Index(self._data.moves["id"].dropna().astype("int64").to_numpy())
            return (ref.id,) if ref.id in self._moves else ()
        lookup = self._lookup(ref.model)
        if lookup is None:
            return ()
        if isinstance(lookup, dict):
            return lookup.get(ref.id, ())
        found = lookup.get(ref.id)
        return () if found is None else (int(found),)

    def cited_moves(self, records: Sequence[RecordRef]) -> tuple[int, ...]:
        """The entries a finding citing ``records`` (primary first) is evidence against.

        The primary record's entries, and the entries the other records *are* (an entry, one of its
        items, a payment's entry). A purchase order or valuation layer cited as context does not
        implicate every bill of the order: a unit-cost jump is about the receipt, not the bill
        charged at the ordered price.
        """
        seen: dict[int, None] = {}
        for position, ref in enumerate(records):
            if position and ref.model not in DIRECT_MODELS:
                continue
            for move in self.moves_of(ref):
                seen.setdefault(move, None)
        return tuple(seen)


def _single(frame: pd.DataFrame, key: str, value: str) -> pd.Series:
    """``key`` -> ``value`` for the rows that have both (the first row of a repeated key)."""
    pairs = frame.loc[frame[key].notna() & frame[value].notna(), [key, value]]
    series = pd.Series(pairs[value].to_numpy(dtype="int64"), index=pairs[key].to_numpy(dtype="int64"))
    return series[~series.index.duplicated(keep="last")]


def _order_bills(data: AnomalyData) -> dict[int, tuple[int, ...]]:
    lines = data.lines.loc[data.lines["purchase_line_id"].notna(), ["move_id", "purchase_line_id"]]
    if not len(lines) or not len(data.purchase_lines):
        return {}
    orders = data.purchase_lines[["id", "order_id"]].rename(columns={"id": "purchase_line_id"})
    pairs = lines.merge(orders, on="purchase_line_id").merge(
        data.moves.loc[data.moves["origin"].isin(("bill", "vendor_refund")), ["id"]].rename(columns={"id": "move_id"}),
        on="move_id")
    pairs = pairs[["order_id", "move_id"]].dropna().astype("int64").drop_duplicates().sort_values(["order_id", "move_id"])
    return {int(order): tuple(int(m) for m in group["move_id"]) for order, group in pairs.groupby("order_id")}


def rule_scores(anomalies: Sequence[Anomaly], links: EntryLinks) -> pd.Series:
    """Per entry (index move id), the noisy-OR of the scores of every finding citing it."""
    moves: list[int] = []
    scores: list[float] = []
    for anomaly in anomalies:
        for move in links.cited_moves(anomaly.records):
            moves.append(move)
            scores.append(anomaly.score)
    if not moves:
        return pd.Series([], dtype="float64", index=pd.Index([], dtype="int64", name="move_id"))
    frame = pd.DataFrame({"move_id": moves, "doubt": 1.0 - np.clip(scores, 0.0, 1.0)})
    # noisy-OR as 1 - exp(sum(log(1 - s))): one vectorised group sum, exact for scores below 1
    with np.errstate(divide="ignore"):
        logs = np.log(frame["doubt"].to_numpy())
    return (1.0 - np.exp(pd.Series(logs).groupby(frame["move_id"].to_numpy()).sum())).rename_axis("move_id")


def entry_scores(move_ids: pd.Index, rules: pd.Series, model: ModelScores, weight: float) -> pd.DataFrame:
    """The per-entry table: move_id, rule_score, model_score, isolation, risk (sorted by risk)."""
    rule = rules.reindex(move_ids, fill_value=0.0).to_numpy(dtype="float64")
    model_score = model.model_score.reindex(move_ids, fill_value=0.0).to_numpy(dtype="float64")
    isolation = model.isolation.reindex(move_ids, fill_value=0.0).to_numpy(dtype="float64")
    table = pd.DataFrame({"move_id": np.asarray(move_ids, dtype="int64"), "rule_score": rule,
                          "model_score": model_score, "isolation": isolation,
                          "risk": combine(rule, model_score, weight)})
    return table.sort_values(["risk", "isolation", "move_id"], ascending=[False, False, True],
                             kind="mergesort").reset_index(drop=True)
