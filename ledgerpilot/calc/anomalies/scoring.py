"""One risk score per journal entry: the rules' findings, combined.

The detectors say *why* something is odd, in words, with a calibrated score: 0.5 means "worth a
person's look", ~0.95 strong evidence. An entry cited by several findings collects them by
**noisy-OR**: ``risk = 1 - prod(1 - score_i)`` — independent reasons to doubt the same entry add up,
and no number of weak reasons reaches certainty. Nothing here reads any evaluation label.

There is no unsupervised score any more: an IsolationForest over per-entry rarity features was
scored on four regimes of the demo company and two seed sets, on the injected anomalies and on
anomaly kinds no rule looks for, and never changed the top-2K recall; its AUC-PR alone was 0.03-0.10
(docs/benchmarks.md, "Anomaly detection across regimes"). It was removed with scikit-learn.

Findings are about bills, entries, payments, valuation layers or purchase orders; each is tied to
journal entries through :class:`EntryLinks` (a payment's entry, a layer's valuation entry, an
order's vendor bills).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.frames import AnomalyData
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.proposal import RecordRef

#: records that are (part of) one journal entry; other records reach entries only as a finding's primary
DIRECT_MODELS = frozenset({"account.move", "account.move.line", "account.payment"})


def noisy_or(scores: Iterable[float]) -> float:
    """1 - prod(1 - s): the chance at least one of several independent signals is right."""
    remaining = 1.0
    for score in scores:
        remaining *= 1.0 - min(max(float(score), 0.0), 1.0)
    return 1.0 - remaining


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


def entry_scores(move_ids: pd.Index, rules: pd.Series) -> pd.DataFrame:
    """The per-entry table: move_id, rule_score, risk (the same number: the noisy-OR of the findings
    citing the entry), sorted by risk."""
    rule = rules.reindex(move_ids, fill_value=0.0).to_numpy(dtype="float64")
    table = pd.DataFrame({"move_id": np.asarray(move_ids, dtype="int64"), "rule_score": rule, "risk": rule})
    return table.sort_values(["risk", "move_id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
