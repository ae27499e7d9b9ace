"""The anomaly scan: every enabled detector over the books, then one risk score per finding and entry.

:func:`run_scan` runs the detectors the configuration enables (a detector whose frames are missing
or empty is skipped and the result says why), scores every journal entry (the noisy-OR of the
findings citing it, see :mod:`~ledgerpilot.calc.anomalies.scoring`), and ranks the findings by
risk. In an incremental scan (``data.scope`` set) detectors still see the whole history — baselines
need it —; only the findings that cite a record in scope, and the entries in scope, are reported. Detectors read only the part of the books that decides
their findings about the scope (:mod:`~ledgerpilot.calc.anomalies.scoped`).

A long-running scanner passes ``keep_baselines=True`` to a full scan and gets
:class:`~ledgerpilot.calc.anomalies.scoped.ScanBaselines` in the result (the account-pair counts
and the findings); given back with ``baselines=`` to a
scoped scan, they spare it the baselines over all history: the scan then reads the few entries in
scope and the books of their partners and journals.

The scan never reads the clock: it names its steps (``detector:<name>``, ``baselines``, ``scoring``)
to the ``steps`` a caller passes in, and the caller measures them
(:func:`ledgerpilot.tools.anomalies.scan.timed_scan`); untimed, the result has no timings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

import pandas as pd

from ledgerpilot.calc.anomalies.config import AnomalyConfig
from ledgerpilot.calc.anomalies.detector import Detector
from ledgerpilot.calc.anomalies.detectors import enabled_detectors
from ledgerpilot.calc.anomalies.detectors.rare_accounts import PairCounts
from ledgerpilot.calc.anomalies.frames import AnomalyData, Scope
from ledgerpilot.calc.anomalies.scoped import BookCuts, ScanBaselines, run_scoped
from ledgerpilot.calc.anomalies.scoring import DIRECT_MODELS, EntryLinks, entry_scores, rule_scores
from ledgerpilot.domain.anomaly import Anomaly

#: what each frame holds, in words (for the reason a detector was skipped)
FRAME_WORDS: Mapping[str, str] = {
    "moves": "journal entries", "lines": "journal items", "payments": "payments",
    "partials": "reconciliations", "purchase_lines": "purchase order lines",
    "valuation_layers": "stock valuation layers", "receipts": "receipts from purchase orders",
    "companies": "companies", "users": "users", "counterparts": "entries of the other companies",
}

#: ``steps(name)`` is entered around each step of a scan, so that a caller can time it
StepTimer = Callable[[str], AbstractContextManager[object]]


def untimed(_name: str) -> AbstractContextManager[object]:
    """The steps of a scan nobody times."""
    return nullcontext()


@dataclass(frozen=True)
class ScoredAnomaly:
    """A finding with its place in the ranking.

    - ``rule_score``: the detector's own score.
    - ``entry_id``: the journal entry the risk is taken from (the primary record's entry: a bill or
      entry itself, a payment's or valuation layer's entry, the riskiest bill of a purchase order);
      ``None`` when the primary record has no entry in the books read.
    - ``risk``: the risk of that entry (every finding citing it, noisy-OR'ed); without an entry,
      the rule score.
    """

    anomaly: Anomaly
    rule_score: float
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
    with ``move_id, rule_score, risk``, highest risk first; ``skipped`` detector -> why it did not
    run; ``timings`` step -> seconds (``detector:<name>``, ``baselines``, ``scoring``, ``total``),
    measured by the caller that timed the scan, empty when nobody did.
    """

    anomalies: list[ScoredAnomaly]
    entry_scores: pd.DataFrame
    skipped: dict[str, str]
    min_score: float
    timings: dict[str, float] = field(default_factory=dict)
    detectors_run: tuple[str, ...] = ()
    scope: Scope | None = None
    found_before_scope: int = 0           # findings of every detector before keeping those in scope
    counts: dict[str, int] = field(default_factory=dict)  # detector -> findings reported
    baselines: ScanBaselines | None = None  # what a later scoped scan can reuse (when asked for)

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


def run_detectors(data: AnomalyData, config: AnomalyConfig, baselines: ScanBaselines | None = None,
                  steps: StepTimer = untimed) -> tuple[list[Anomaly], dict[str, str], tuple[str, ...]]:
    """Every enabled detector on ``data``, each one a step ``detector:<name>`` of ``steps``: all
    findings, the skipped detectors, those run.

    With a scope, each detector reports only its findings that cite a record in scope, reading only
    the part of the books that decides them (see :mod:`~ledgerpilot.calc.anomalies.scoped`).
    """
    found: list[Anomaly] = []
    skipped: dict[str, str] = {}
    ran: list[str] = []
    cuts = BookCuts(data) if data.scope is not None else None
    for detector in enabled_detectors(config):
        reason = skip_reason(detector, data)
        if reason is not None:
            skipped[detector.name] = reason
            continue
        with steps(f"detector:{detector.name}"):
            if data.scope is None:
                results = detector(data, config.overrides_for(detector.name))
            else:
                results = run_scoped(detector, data, config.overrides_for(detector.name), baselines, cuts)
        for item in results:
            if not isinstance(item, Anomaly):
                raise TypeError(f"detector {detector.name!r} returned {type(item).__name__}, not an Anomaly")
        found.extend(results)
        ran.append(detector.name)
    return found, skipped, tuple(ran)


def run_scan(data: AnomalyData, config: AnomalyConfig | None = None, *, baselines: ScanBaselines | None = None,
             keep_baselines: bool = False, steps: StepTimer = untimed) -> ScanResult:
    """Run the enabled detectors on ``data``, score every entry and rank the findings by risk.

    ``keep_baselines`` (a full scan) puts in the result the baselines a later scoped scan can reuse;
    ``baselines`` (a scoped scan, ``data.scope`` set) are those, kept current by the caller. The
    result of a scoped scan with baselines carries them updated with its findings. ``steps`` is
    entered around each step, for a caller that times them.
    """
    config = config or AnomalyConfig()
    if data.scope is not None and baselines is not None:
        return _scoped_scan(data, config, baselines, steps)
    found, skipped, ran = run_detectors(data, config, steps=steps)

    scope = data.scope
    links = EntryLinks(data)
    reported = found if scope is None else list(found)   # scoped detectors report only what is in scope

    kept = None
    if keep_baselines and scope is None:
        with steps("baselines"):
            kept = ScanBaselines(pair_counts=PairCounts.of(data.lines, data.moves, data.digits),
                                 findings=tuple(found), entries=len(data.moves))

    all_moves = pd.Index(data.moves["id"].dropna().astype("int64").unique())
    scored_moves = None
    if scope is not None:
        # score only what is reported: the entries in scope and the primary entries of the findings kept
        primaries = {move for a in reported for move in links.moves_of(a.primary)}
        scored_moves = pd.Index(sorted(set(scope.move_ids) | primaries), dtype="int64")

    with steps("scoring"):
        rules = rule_scores(found, links)          # every finding counts as evidence, in scope or not
        move_ids = all_moves if scored_moves is None else all_moves[all_moves.isin(scored_moves)]
        result = _ranked(data, config, reported, links, rules, move_ids)
    return dataclasses.replace(result, skipped=skipped, detectors_run=ran, found_before_scope=len(found),
                               counts=_counts(ran, result.anomalies), baselines=kept)


def _scoped_scan(data: AnomalyData, config: AnomalyConfig, baselines: ScanBaselines,
                 steps: StepTimer) -> ScanResult:
    """A scoped scan against ``baselines``: the detectors on the scope, the entries in scope and the
    primary entries of the findings scored with the findings kept from the last full scan."""
    scope = data.scope
    found, skipped, ran = run_detectors(data, config, baselines, steps)
    links = EntryLinks(data)
    primaries = {move for a in found for move in links.moves_of(a.primary)}
    known = pd.Index(data.moves["id"].dropna().astype("int64").unique())
    scored_moves = pd.Index(sorted(set(scope.move_ids) | primaries), dtype="int64")
    scored_moves = scored_moves[scored_moves.isin(known)]

    with steps("scoring"):
        evidence = list(found) + _evidence_for(data, baselines.findings, scope, scored_moves)
        rules = rule_scores(evidence, links)
        result = _ranked(data, config, found, links, rules, scored_moves)
    return dataclasses.replace(result, skipped=skipped, detectors_run=ran, found_before_scope=len(found),
                               counts=_counts(ran, result.anomalies),
                               baselines=baselines.with_findings(scope, found))


def _evidence_for(data: AnomalyData, findings: Sequence[Anomaly], scope: Scope, moves: pd.Index) -> list[Anomaly]:
    """The earlier findings outside ``scope`` that may cite one of the entries ``moves`` (their
    entries, those entries' items or payments): evidence the scoped detectors did not recompute."""
    lines = data.lines
    items = frozenset(lines.loc[lines["move_id"].isin(moves), "id"].astype("int64").tolist())
    payments = data.payments
    paid = frozenset(payments.loc[payments["move_id"].isin(moves), "id"].astype("int64").tolist())
    wanted = {"account.move": frozenset(moves.tolist()), "account.move.line": items, "account.payment": paid}
    out = []
    for anomaly in findings:
        if scope.touches(anomaly):
            continue
        if any(ref.id in wanted.get(ref.model, ()) for position, ref in enumerate(anomaly.records)
               if position == 0 or ref.model in DIRECT_MODELS):
            out.append(anomaly)
    return out


def _ranked(data: AnomalyData, config: AnomalyConfig, reported: Sequence[Anomaly], links: EntryLinks,
            rules: pd.Series, move_ids: pd.Index) -> ScanResult:
    scope = data.scope
    table = entry_scores(move_ids, rules)
    risk_of = pd.Series(table["risk"].to_numpy(), index=table["move_id"].to_numpy())
    scored = [_score(anomaly, links, risk_of, config) for anomaly in reported]
    scored.sort(key=lambda s: (-s.risk, -s.rule_score, s.anomaly.detector, s.key))
    if scope is not None:
        table = table[table["move_id"].isin(scope.move_ids)].reset_index(drop=True)
    return ScanResult(anomalies=scored, entry_scores=table, skipped={}, min_score=config.min_score, scope=scope)


def _counts(ran: Sequence[str], scored: Sequence[ScoredAnomaly]) -> dict[str, int]:
    counts: dict[str, int] = {name: 0 for name in ran}
    for item in scored:
        counts[item.detector] = counts.get(item.detector, 0) + 1
    return counts


def _score(anomaly: Anomaly, links: EntryLinks, risk_of: pd.Series, config: AnomalyConfig) -> ScoredAnomaly:
    entries = [move for move in links.moves_of(anomaly.primary) if move in risk_of.index]
    if entries:
        entry = max(entries, key=lambda move: (float(risk_of[move]), -move))
        risk = float(risk_of[entry])
    else:
        entry, risk = None, float(anomaly.score)
    risk = round(min(max(risk, anomaly.score), 1.0), 6)
    return ScoredAnomaly(anomaly=anomaly, rule_score=anomaly.score, risk=risk,
                         above_threshold=risk >= config.min_score, entry_id=entry)
