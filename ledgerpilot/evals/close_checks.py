"""How well the close checks find the close defects the demo company was built with.

The demo generator labels the defects it injects (``ground_truth.json``, ``close_defects``). The
score, over chosen periods (by default the demo's current month and the one before):

- **recall**: the share of labelled defects of those periods that were found. A defect is found
  when a finding of the check that looks for its kind, for the same period, cites at least one of
  the defect's records (for a defect about an account or a journal: cites that account or journal).
- **false share**: the share of findings (every finding of every check that ran, of those periods)
  whose records match no labelled defect at all (any kind, any period: the suspense account of
  October is the same account as November's).

Kinds no check looks for (``missing_accrual``, ``goods_received_not_billed``: those are the
accrual proposals' job) are not part of the recall; the score lists them as not scored. Goals:
recall at least 95%, false share at most 10%.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ledgerpilot.domain.findings import Finding
from ledgerpilot.domain.month import Month
from ledgerpilot.sandbox.generator.ground_truth import GroundTruth, load_ground_truth

#: labelled defect kind -> the check that looks for it
CHECK_OF_KIND: dict[str, str] = {
    "draft_move_in_period": "draft_moves",
    "missing_analytic_distribution": "missing_analytic",
    "unreconciled_bank_line": "unreconciled_bank_lines",
    "suspense_balance": "suspense_accounts",
    "journal_without_moves": "idle_journals",
    "receivable_subledger_difference": "subledger_control",
}
NOT_CHECKED = {"missing_accrual": "an accrual proposal, not a check, handles it",
               "goods_received_not_billed": "an accrual proposal, not a check, handles it"}
RECALL_GOAL = 0.95
FALSE_SHARE_GOAL = 0.10


@dataclass(frozen=True)
class DefectOutcome:
    kind: str
    period: str
    model: str
    ids: tuple[int, ...]
    description: str
    found: bool


@dataclass(frozen=True)
class CloseCheckScore:
    periods: tuple[str, ...]
    defects: list[DefectOutcome]
    findings: int
    false_findings: list[str]                 # "check: title" of each false finding
    not_scored: dict[str, str] = field(default_factory=dict)  # kind -> why it is not in the recall

    @property
    def found(self) -> int:
        return sum(d.found for d in self.defects)

    @property
    def recall(self) -> float:
        return self.found / len(self.defects) if self.defects else 1.0

    @property
    def false_share(self) -> float:
        return len(self.false_findings) / self.findings if self.findings else 0.0

    @property
    def missed(self) -> list[DefectOutcome]:
        return [d for d in self.defects if not d.found]

    @property
    def meets_goals(self) -> bool:
        return self.recall >= RECALL_GOAL and self.false_share <= FALSE_SHARE_GOAL

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """kind -> (found, labelled)."""
        out: dict[str, tuple[int, int]] = {}
        for d in self.defects:
            found, total = out.get(d.kind, (0, 0))
            out[d.kind] = (found + d.found, total + 1)
        return out


def default_periods(truth: GroundTruth) -> tuple[str, ...]:
    """The demo's current month and the one before."""
    current = Month.of(dt.date.fromisoformat(truth.today))
    return (current.previous().label, current.label)


def score_close_checks(data_dir: str | Path, findings: Iterable[Finding], *,
                       periods: Sequence[str] | None = None) -> CloseCheckScore:
    """Score ``findings`` against the close defects labelled beside the demo database in ``data_dir``."""
    truth = load_ground_truth(data_dir)
    periods = tuple(periods) if periods is not None else default_periods(truth)
    scored = [f for f in findings if f.period in periods]
    labelled = {(model, i) for d in truth.close_defects for model, i in ((d.model, i) for i in d.ids)}
    outcomes = []
    for defect in truth.close_defects:
        if defect.period not in periods or defect.kind not in CHECK_OF_KIND:
            continue
        wanted = {(defect.model, i) for i in defect.ids}
        found = any(f.check == CHECK_OF_KIND[defect.kind] and f.period == defect.period
                    and any((r.model, r.id) in wanted for r in f.records) for f in scored)
        outcomes.append(DefectOutcome(defect.kind, defect.period or "", defect.model, defect.ids, defect.description,
                                      found))
    false = [f"{f.check}: {f.title}" for f in scored if not any((r.model, r.id) in labelled for r in f.records)]
    not_scored = {d.kind: NOT_CHECKED.get(d.kind, "no check looks for this kind")
                  for d in truth.close_defects if d.period in periods and d.kind not in CHECK_OF_KIND}
    return CloseCheckScore(periods=periods, defects=outcomes, findings=len(scored), false_findings=false,
                           not_scored=not_scored)


def evaluate_close_checks(client, data_dir: str | Path, *, config=None,
                          periods: Sequence[str] | None = None) -> tuple[CloseCheckScore, list[Finding]]:
    """Load each period from ``client`` (the demo served from ``data_dir``), run the checks, score them.

    ``today`` is the demo's own day (from its ground truth), so the result does not depend on the clock.
    """
    from ledgerpilot.calc.close.checks import run_checks
    from ledgerpilot.calc.close.config import CloseConfig
    from ledgerpilot.tools.close.data import load_close_data

    config = config or CloseConfig()
    truth = load_ground_truth(data_dir)
    today = dt.date.fromisoformat(truth.today)
    periods = tuple(periods) if periods is not None else default_periods(truth)
    findings: list[Finding] = []
    for label in periods:
        data = load_close_data(client, Month.parse(label), today=today, history_months=config.history_months)
        findings.extend(run_checks(data, config).findings)
    return score_close_checks(data_dir, findings, periods=periods), findings
