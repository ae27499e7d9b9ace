"""How well the anomaly scan finds the anomalies the demo company was built with.

The demo generator labels the anomalies it injects (``ground_truth.json``, ``anomalies``) and the
look-alikes that must not be flagged (``not_anomalies``: a credit note with its re-issued invoice,
the monthly rent). With K the number of injected anomalies, the score is:

- **top-2K recall**: the share of injected anomalies cited by at least one of the 2K findings of
  highest risk. A finding cites an anomaly when one of its records is one of the anomaly's records
  (the labelled ids, and the records its details name: the payment's entry, the bill of a
  three-way mismatch, the purchase order of a cost jump). Goal: at least 90%.
- **precision above the threshold**: among the findings whose risk is at or above the default
  threshold, the share that cite a labelled anomaly (an injected one, one of the novel kinds no rule
  looks for, or a planted close defect: a draft entry left in a closed month, a manual entry on the
  receivable account without a partner, which are irregular entries by construction; the findings
  citing only those are counted apart in ``defects_above_threshold``). Goal: at least 60%.
- **AUC-PR** (average precision) of the per-entry risk. An entry is positive when a labelled
  anomaly cites it (directly, or through its payment, valuation layer or purchase order, as the
  scan links them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ledgerpilot.calc.anomalies.frames import AnomalyData
from ledgerpilot.calc.anomalies.scan import ScanResult, ScoredAnomaly
from ledgerpilot.calc.anomalies.scoring import EntryLinks
from ledgerpilot.domain.proposal import RecordRef
from ledgerpilot.sandbox.generator.ground_truth import Finding, GroundTruth, load_ground_truth

TOP_RECALL_GOAL = 0.90
PRECISION_GOAL = 0.60
#: ground-truth detail -> the model of the record it names
DETAIL_MODELS: Mapping[str, str] = {
    "move_id": "account.move", "bill_id": "account.move", "purchase_order_id": "purchase.order",
    "sale_order_id": "sale.order", "stock_move_id": "stock.move", "picking_id": "stock.picking",
}

Record = tuple[str, int]


def labelled_records(finding: Finding) -> frozenset[Record]:
    """The records a labelled case is about: its ids and the records its details name."""
    records = {(finding.model, int(i)) for i in finding.ids}
    for name, model in DETAIL_MODELS.items():
        value = finding.details.get(name)
        if isinstance(value, int):
            records.add((model, value))
    return frozenset(records)


def defect_records(truth: GroundTruth, data: AnomalyData | None = None) -> frozenset[Record]:
    """The entries and journal items of the close defects planted in the books (irregular entries by
    construction: a finding citing one is not a false alarm); with ``data``, the entries of the
    planted journal items too."""
    records = {(d.model, int(i)) for d in truth.close_defects if d.model in ("account.move", "account.move.line")
               for i in d.ids}
    if data is not None:
        items = [i for model, i in records if model == "account.move.line"]
        moves = data.lines.loc[data.lines["id"].isin(items), "move_id"].dropna().astype("int64")
        records.update(("account.move", int(m)) for m in moves)
    return frozenset(records)


def _cites(anomaly: ScoredAnomaly, records: frozenset[Record]) -> bool:
    return any((ref.model, ref.id) in records for ref in anomaly.anomaly.records)


@dataclass(frozen=True)
class InjectedOutcome:
    """One injected anomaly: whether a top-2K finding cites it, the best rank, and by which detectors."""

    kind: str
    model: str
    ids: tuple[int, ...]
    description: str
    found: bool
    rank: int | None                 # 1-based rank of the best finding citing it (any rank), None: never cited
    found_by: tuple[str, ...]        # "detector/kind" of the top-2K findings citing it
    same_kind: bool                  # one of those findings has the labelled kind


@dataclass(frozen=True)
class AnomalyEvalScore:
    injected: list[InjectedOutcome]
    top_n: int
    findings: int
    above_threshold: int
    true_above_threshold: int
    false_above_threshold: list[str]          # "detector: title" of each false finding above the threshold
    defects_above_threshold: list[str]        # "detector: title" of the true ones citing only a planted close defect
    look_alikes_flagged: list[str]            # look-alike kinds cited by a finding above the threshold
    min_score: float
    entries: int
    positive_entries: int
    ap_risk: float
    not_scored: dict[str, str] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return len(self.injected)

    @property
    def found(self) -> int:
        return sum(o.found for o in self.injected)

    @property
    def top_recall(self) -> float:
        return self.found / self.k if self.k else 1.0

    @property
    def precision(self) -> float:
        return self.true_above_threshold / self.above_threshold if self.above_threshold else 1.0

    @property
    def missed(self) -> list[InjectedOutcome]:
        return [o for o in self.injected if not o.found]

    @property
    def meets_goals(self) -> bool:
        return self.top_recall >= TOP_RECALL_GOAL and self.precision >= PRECISION_GOAL

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """kind -> (found in the top 2K, injected)."""
        out: dict[str, tuple[int, int]] = {}
        for outcome in self.injected:
            found, total = out.get(outcome.kind, (0, 0))
            out[outcome.kind] = (found + outcome.found, total + 1)
        return out


def _entry_labels(truth: GroundTruth, links: EntryLinks) -> set[int]:
    positives: set[int] = set()
    for case in truth.anomalies:
        for model, record_id in labelled_records(case):
            positives.update(links.moves_of(RecordRef(model=model, id=record_id)))
    return positives


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Average precision (the area under the precision-recall curve as a step function): the mean,
    over the thresholds at each distinct score, of the precision there weighted by the recall it
    adds; tied scores enter together. NaN without a positive label."""
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype="float64")
    positives = int(labels.sum())
    if not positives:
        return float("nan")
    order = np.argsort(-scores, kind="mergesort")
    ranked, hits = scores[order], labels[order].astype("float64")
    last_of_tie = np.r_[ranked[1:] != ranked[:-1], True]
    true_pos = np.cumsum(hits)[last_of_tie]
    seen = (np.arange(len(ranked)) + 1.0)[last_of_tie]
    recall = true_pos / positives
    precision = true_pos / seen
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def score_anomaly_scan(truth: GroundTruth, result: ScanResult, data: AnomalyData) -> AnomalyEvalScore:
    """Score ``result`` (a full scan of ``data``, the demo's books) against the labels in ``truth``."""
    k = len(truth.anomalies)
    top_n = 2 * k
    ranked = result.anomalies
    top = ranked[:top_n]
    outcomes = []
    for case in truth.anomalies:
        records = labelled_records(case)
        citing_top = [a for a in top if _cites(a, records)]
        rank = next((index + 1 for index, a in enumerate(ranked) if _cites(a, records)), None)
        outcomes.append(InjectedOutcome(
            kind=case.kind, model=case.model, ids=case.ids, description=case.description,
            found=bool(citing_top), rank=rank,
            found_by=tuple(dict.fromkeys(f"{a.detector}/{a.kind}" for a in citing_top)),
            same_kind=any(a.kind == case.kind for a in citing_top)))

    cases = (*truth.anomalies, *truth.novel_anomalies)
    labelled: frozenset[Record] = frozenset().union(*(labelled_records(c) for c in cases)) if cases else frozenset()
    defects = defect_records(truth, data)
    look_alikes = {case.kind: labelled_records(case) for case in truth.not_anomalies}
    above = result.above_threshold
    true_above = [a for a in above if _cites(a, labelled) or _cites(a, defects)]
    false_above = [f"{a.detector}: {a.anomaly.title}" for a in above if not (_cites(a, labelled) or _cites(a, defects))]
    defects_above = [f"{a.detector}: {a.anomaly.title}" for a in above
                     if _cites(a, defects) and not _cites(a, labelled)]
    flagged_look_alikes = sorted({kind for kind, records in look_alikes.items()
                                  for a in above if _cites(a, records) and not _cites(a, labelled)})

    links = EntryLinks(data)
    positives = _entry_labels(truth, links)
    table = result.entry_scores
    labels = table["move_id"].isin(positives).to_numpy()
    return AnomalyEvalScore(
        injected=outcomes, top_n=top_n, findings=len(ranked), above_threshold=len(above),
        true_above_threshold=len(true_above), false_above_threshold=false_above,
        defects_above_threshold=defects_above,
        look_alikes_flagged=flagged_look_alikes, min_score=result.min_score, entries=len(table),
        positive_entries=int(labels.sum()),
        ap_risk=average_precision(labels, table["risk"].to_numpy()),
        not_scored=dict(result.skipped))


def evaluate_anomalies(client, data_dir: str | Path, *, config=None) -> tuple[AnomalyEvalScore, ScanResult]:
    """Load the demo served from ``data_dir`` through ``client``, scan it in full and score the scan.

    ``today`` is the demo's own day (from its ground truth), so the result does not depend on the clock.
    """
    from ledgerpilot.calc.anomalies.config import AnomalyConfig
    from ledgerpilot.tools.anomalies.data import load_anomaly_data
    from ledgerpilot.tools.anomalies.scan import timed_scan

    truth = load_ground_truth(data_dir)
    data = load_anomaly_data(client, today=dt.date.fromisoformat(truth.today))
    result = timed_scan(data, config or AnomalyConfig())
    return score_anomaly_scan(truth, result, data), result


def describe(score: AnomalyEvalScore) -> Iterable[str]:
    """The score in lines of text (for the benchmark report and the CLI)."""
    yield (f"top-{score.top_n} recall: {score.found}/{score.k} = {score.top_recall:.0%} "
           f"(goal {TOP_RECALL_GOAL:.0%})")
    yield (f"precision at risk >= {score.min_score:g}: {score.true_above_threshold}/{score.above_threshold} = "
           f"{score.precision:.0%} (goal {PRECISION_GOAL:.0%})")
    yield f"AUC-PR over {score.entries} entries ({score.positive_entries} labelled): {score.ap_risk:.3f}"
