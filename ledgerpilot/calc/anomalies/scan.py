"""The anomaly scan: every enabled detector over the books, then one risk score per finding and entry.

:func:`run_scan` runs the detectors the configuration enables (a detector whose frames are missing
or empty is skipped and the result says why), scores every journal entry (rules + IsolationForest,
see :mod:`~ledgerpilot.calc.anomalies.scoring`), and ranks the findings by risk. In an incremental
scan (``data.scope`` set) detectors still see the whole history — baselines need it — and the
model is fitted on the entries outside the scope; only the findings that cite a record in scope,
and the entries in scope, are reported.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from ledgerpilot.calc.anomalies.config import AnomalyConfig
from ledgerpilot.calc.anomalies.detector import Detector
from ledgerpilot.calc.anomalies.detectors import enabled_detectors
from ledgerpilot.calc.anomalies.features import entry_features
from ledgerpilot.calc.anomalies.frames import AnomalyData, Scope
from ledgerpilot.calc.anomalies.scoring import (
    MIN_FIT_ROWS,
    EntryLinks,
    combine,
    entry_scores,
    fit_and_score,
    rule_scores,
)
from ledgerpilot.domain.anomaly import Anomaly

#: what each frame holds, in words (for the reason a detector was skipped)
FRAME_WORDS: Mapping[str, str] = {
    "moves": "journal entries", "lines": "journal items", "payments": "payments",
    "partials": "reconciliations", "purchase_lines": "purchase order lines",
    "valuation_layers": "stock valuation layers", "receipts": "receipts from purchase orders",
    "companies": "companies", "users": "users",
}


@dataclass(frozen=True)
class ScoredAnomaly:
    """A finding with its place in the ranking.

    - ``rule_score``: the detector's own score.
    - ``entry_id``: the journal entry the risk is taken from (the primary record's entry: a bill or
      entry itself, a payment's or valuation layer's entry, the riskiest bill of a purchase order);
      ``None`` when the primary record has no entry in the books read.
    - ``model_score``: that entry's model score (``None`` without an entry).
    - ``risk``: the combined risk of that entry (every finding citing it, noisy-OR'ed, lifted by
      the model); without an entry, the rule score.
    """

    anomaly: Anomaly
    rule_score: float
    model_score: float | None
    risk: float
    above_threshold: bool
    entry_id: int | None = None

    @property
    def key(self) -> str:
        return self.anomaly.key

    @property
    def detector(self) -> str:
        return self.anomaly.detector

    @property
    def kind(self) -> str:
        return self.anomaly.kind


@dataclass(frozen=True)
class ScanResult:
    """What a scan found.

    ``anomalies`` sorted by risk (highest first); ``entry_scores`` one row per entry (in scope)
    with ``move_id, rule_score, model_score, isolation, risk``, highest risk first; ``skipped``
    detector -> why it did not run; ``timings`` step -> seconds (``detector:<name>``,
    ``features``, ``model``, ``scoring``, ``total``).
    """

    anomalies: list[ScoredAnomaly]
    entry_scores: pd.DataFrame
    skipped: dict[str, str]
    timings: dict[str, float]
    min_score: float
    detectors_run: tuple[str, ...] = ()
    model_fitted_on: int = 0
    scope: Scope | None = None
    found_before_scope: int = 0           # findings of every detector before keeping those in scope
    counts: dict[str, int] = field(default_factory=dict)  # detector -> findings reported

    @property
    def above_threshold(self) -> list[ScoredAnomaly]:
        return [a for a in self.anomalies if a.above_threshold]

    def top(self, count: int) -> list[ScoredAnomaly]:
        return self.anomalies[:count]

    def by_key(self, key: str) -> ScoredAnomaly | None:
        return next((a for a in self.anomalies if a.key == key), None)


def skip_reason(detector: Detector, data: AnomalyData) -> str | None:
    """Why ``detector`` cannot run on ``data`` (a needed frame unavailable or empty), or ``None``."""
    missing = detector.missing(data)
    if missing:
        return "; ".join(f"no {FRAME_WORDS.get(frame, frame)}: {reason}" for frame, reason in missing.items())
    empty = [frame for frame in detector.needs if not len(data.frame(frame))]
    if empty:
        return "no " + " and no ".join(FRAME_WORDS.get(frame, frame) for frame in empty) + " in the books"
    return None


def run_detectors(data: AnomalyData, config: AnomalyConfig) -> tuple[list[Anomaly], dict[str, str],
                                                                      dict[str, float], tuple[str, ...]]:
    """Every enabled detector on ``data``: all findings, the skipped detectors, timings, those run."""
    found: list[Anomaly] = []
    skipped: dict[str, str] = {}
    timings: dict[str, float] = {}
    ran: list[str] = []
    for detector in enabled_detectors(config):
        reason = skip_reason(detector, data)
        if reason is not None:
            skipped[detector.name] = reason
            continue
        started = time.perf_counter()
        results = detector(data, config.overrides_for(detector.name))
        timings[f"detector:{detector.name}"] = time.perf_counter() - started
        for item in results:
            if not isinstance(item, Anomaly):
                raise TypeError(f"detector {detector.name!r} returned {type(item).__name__}, not an Anomaly")
        found.extend(results)
        ran.append(detector.name)
    return found, skipped, timings, tuple(ran)


def run_scan(data: AnomalyData, config: AnomalyConfig | None = None) -> ScanResult:
    """Run the enabled detectors on ``data``, score every entry and rank the findings by risk."""
    config = config or AnomalyConfig()
    started = time.perf_counter()
    found, skipped, timings, ran = run_detectors(data, config)

    scope = data.scope
    links = EntryLinks(data)
    reported = [a for a in found if scope is None or scope.touches(a)]

    step = time.perf_counter()
    features = entry_features(data)
    timings["features"] = time.perf_counter() - step

    step = time.perf_counter()
    history = scored_moves = None
    if scope is not None:
        # fit on what came before; score only what is reported (the entries in scope and the
        # primary entries of the findings kept), which keeps a scan every 15 minutes cheap
        outside = features.index[~features.index.isin(scope.move_ids)]
        history = outside if len(outside) >= MIN_FIT_ROWS else None
        primaries = {move for a in reported for move in links.moves_of(a.primary)}
        scored_moves = pd.Index(sorted(set(scope.move_ids) | primaries), dtype="int64")
    model = fit_and_score(features, config, history=history, score=scored_moves)
    timings["model"] = time.perf_counter() - step

    step = time.perf_counter()
    rules = rule_scores(found, links)          # every finding counts as evidence, in scope or not
    move_ids = features.index if scored_moves is None else features.index[features.index.isin(scored_moves)]
    table = entry_scores(move_ids, rules, model, config.model_weight)
    risk_of = pd.Series(table["risk"].to_numpy(), index=table["move_id"].to_numpy())
    model_of = pd.Series(table["model_score"].to_numpy(), index=table["move_id"].to_numpy())
    scored = [_score(anomaly, links, risk_of, model_of, config) for anomaly in reported]
    scored.sort(key=lambda s: (-s.risk, -s.rule_score, s.anomaly.detector, s.key))
    if scope is not None:
        table = table[table["move_id"].isin(scope.move_ids)].reset_index(drop=True)
    timings["scoring"] = time.perf_counter() - step
    timings["total"] = time.perf_counter() - started

    counts: dict[str, int] = {name: 0 for name in ran}
    for item in scored:
        counts[item.detector] = counts.get(item.detector, 0) + 1
    return ScanResult(anomalies=scored, entry_scores=table, skipped=skipped, timings=timings,
                      min_score=config.min_score, detectors_run=ran, model_fitted_on=model.fitted_on,
                      scope=scope, found_before_scope=len(found), counts=counts)


def _score(anomaly: Anomaly, links: EntryLinks, risk_of: pd.Series, model_of: pd.Series,
           config: AnomalyConfig) -> ScoredAnomaly:
    entries = [move for move in links.moves_of(anomaly.primary) if move in risk_of.index]
    if entries:
        entry = max(entries, key=lambda move: (float(risk_of[move]), -move))
        risk = float(risk_of[entry])
        model_score: float | None = float(model_of[entry])
    else:
        entry, model_score = None, None
        risk = float(combine(anomaly.score, 0.0, config.model_weight))
    risk = round(min(max(risk, anomaly.score), 1.0), 6)
    return ScoredAnomaly(anomaly=anomaly, rule_score=anomaly.score, model_score=model_score, risk=risk,
                         above_threshold=risk >= config.min_score, entry_id=entry)
