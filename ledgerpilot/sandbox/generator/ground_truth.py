"""What the generator put in the books on purpose: behaviours, anomalies, close defects.

Written as ``ground_truth.json`` beside the database (never served over RPC) so that the payment
behaviour, anomaly and close calculators can be scored against known answers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

GROUND_TRUTH_FILENAME = "ground_truth.json"

ANOMALY_KINDS = (
    "duplicate_bill_same_reference", "duplicate_bill_same_amount", "duplicate_bill_reference_variant",
    "payment_without_open_bill", "bill_amount_outlier", "payment_amount_outlier", "large_credit_note",
    "round_amount_manual_entry", "posting_at_odd_hour", "posting_on_weekend", "posting_by_unusual_user",
    "rare_account_combination", "unit_cost_jump", "quantity_mismatch",
)
#: anomalies no rule looks for, injected to judge what the unsupervised score adds on its own
NOVEL_ANOMALY_KINDS = ("bill_on_unusual_account", "split_manual_entry", "invoice_price_cut")
NOT_ANOMALY_KINDS = ("credit_note_and_reissue", "monthly_rent_same_amount")
DEFECT_KINDS = (
    "draft_move_in_period", "missing_analytic_distribution", "unreconciled_bank_line", "suspense_balance",
    "journal_without_moves", "missing_accrual", "goods_received_not_billed", "receivable_subledger_difference",
)

#: budget situations the demo sets up on purpose (projects budgets and the purchase orders behind them)
BUDGET_CASE_KINDS = ("budget_within", "budget_drift", "budget_medium_overspend", "budget_high_overspend",
                     "po_exceeds_remaining_budget")


@dataclass(frozen=True)
class Finding:
    """One labelled case: its kind, the records involved and a description in words."""

    kind: str
    model: str
    ids: tuple[int, ...]
    description: str
    period: str | None = None  # YYYY-MM for close defects
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomerTruth:
    partner_id: int
    name: str
    behaviour: str
    currency: str
    payment_term: str
    params: dict[str, Any]


@dataclass(frozen=True)
class GroundTruth:
    seed: int
    scale: float
    today: str
    customers: tuple[CustomerTruth, ...]
    anomalies: tuple[Finding, ...]
    not_anomalies: tuple[Finding, ...]
    close_defects: tuple[Finding, ...]
    counts: dict[str, int]
    budget_cases: tuple[Finding, ...] = ()
    regime: str = "standard"
    novel_anomalies: tuple[Finding, ...] = ()
    #: facts about the books as generated: how many receipts, how many name their invoice, ...
    stats: dict[str, Any] = field(default_factory=dict)
    #: statement lines still unreconciled (id as text) -> the open items (journal item ids) they pay;
    #: a line absent here (a card settlement, a fee) pays no open item
    bank_line_items: dict[str, list[int]] = field(default_factory=dict)

    def anomalies_of(self, kind: str) -> list[Finding]:
        return [a for a in self.anomalies if a.kind == kind]

    def defects_of(self, kind: str) -> list[Finding]:
        return [d for d in self.close_defects if d.kind == kind]

    def behaviour_of(self, partner_id: int) -> str | None:
        return next((c.behaviour for c in self.customers if c.partner_id == partner_id), None)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroundTruth:
        def findings(items: list[dict[str, Any]]) -> tuple[Finding, ...]:
            return tuple(Finding(**{**item, "ids": tuple(item["ids"])}) for item in items)

        return cls(
            seed=data["seed"], scale=data["scale"], today=data["today"],
            customers=tuple(CustomerTruth(**c) for c in data["customers"]),
            anomalies=findings(data["anomalies"]), not_anomalies=findings(data["not_anomalies"]),
            close_defects=findings(data["close_defects"]), counts=dict(data["counts"]),
            budget_cases=findings(data.get("budget_cases", [])), regime=data.get("regime", "standard"),
            novel_anomalies=findings(data.get("novel_anomalies", [])), stats=dict(data.get("stats", {})),
            bank_line_items={str(k): [int(i) for i in v] for k, v in data.get("bank_line_items", {}).items()},
        )


class GroundTruthBuilder:
    """Collects findings while the books are generated."""

    def __init__(self) -> None:
        self.customers: list[CustomerTruth] = []
        self.anomalies: list[Finding] = []
        self.not_anomalies: list[Finding] = []
        self.defects: list[Finding] = []
        self.budget_cases: list[Finding] = []
        self.novel_anomalies: list[Finding] = []
        self.stats: dict[str, Any] = {}
        self.bank_line_items: dict[str, list[int]] = {}

    def count(self, key: str, by: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + by

    def customer(self, partner_id: int, name: str, behaviour: str, currency: str, term: str,
                 params: dict[str, Any]) -> None:
        self.customers.append(CustomerTruth(partner_id, name, behaviour, currency, term, dict(params)))

    def anomaly(self, kind: str, model: str, ids: list[int], description: str, **details: Any) -> None:
        if kind in NOVEL_ANOMALY_KINDS:
            self.novel_anomalies.append(Finding(kind, model, tuple(ids), description, details=details))
            return
        if kind not in ANOMALY_KINDS:
            raise ValueError(f"unknown anomaly kind {kind!r}")
        self.anomalies.append(Finding(kind, model, tuple(ids), description, details=details))

    def not_anomaly(self, kind: str, model: str, ids: list[int], description: str, **details: Any) -> None:
        if kind not in NOT_ANOMALY_KINDS:
            raise ValueError(f"unknown look-alike kind {kind!r}")
        self.not_anomalies.append(Finding(kind, model, tuple(ids), description, details=details))

    def defect(self, kind: str, period: str, model: str, ids: list[int], description: str, **details: Any) -> None:
        if kind not in DEFECT_KINDS:
            raise ValueError(f"unknown close defect kind {kind!r}")
        self.defects.append(Finding(kind, model, tuple(ids), description, period=period, details=details))

    def budget_case(self, kind: str, model: str, ids: list[int], description: str, **details: Any) -> None:
        if kind not in BUDGET_CASE_KINDS:
            raise ValueError(f"unknown budget case kind {kind!r}")
        self.budget_cases.append(Finding(kind, model, tuple(ids), description, details=details))

    def build(self, seed: int, scale: float, today: str, counts: dict[str, int],
              regime: str = "standard") -> GroundTruth:
        return GroundTruth(seed, scale, today, tuple(self.customers), tuple(self.anomalies),
                           tuple(self.not_anomalies), tuple(self.defects), dict(sorted(counts.items())),
                           tuple(self.budget_cases), regime, tuple(self.novel_anomalies),
                           dict(sorted(self.stats.items())), dict(self.bank_line_items))


def write_ground_truth(data_dir: str | Path, truth: GroundTruth) -> Path:
    path = Path(data_dir) / GROUND_TRUTH_FILENAME
    path.write_text(truth.to_json() + "\n", encoding="utf-8")
    return path


def load_ground_truth(data_dir: str | Path) -> GroundTruth:
    """Read the ground truth written beside a demo database."""
    path = Path(data_dir) / GROUND_TRUTH_FILENAME
    if not path.exists():
        raise FileNotFoundError(f"no ground truth at {path}: build the demo company first")
    return GroundTruth.from_dict(json.loads(path.read_text(encoding="utf-8")))
