"""Findings: what a check found wrong (or worth a look) in the books, typed and citable.

Close checks return findings (and anomaly detection will too). A finding names the check that
made it, how serious it is, why in words, the period, the records behind it, and the figures of
the check, so a report, a narrative or a proposal can cite it without recomputing anything.

Severity:
- ``blocking``: the period must not be locked while it is there (drafts in the period,
  unreconciled bank lines, a suspense balance, a subledger that does not tie to its control account);
- ``warning``: needs a person's look before closing, but does not stop the lock;
- ``info``: worth knowing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

from ledgerpilot.domain.proposal import RecordRef, to_jsonable

Severity = Literal["blocking", "warning", "info"]
SEVERITY_ORDER: Mapping[str, int] = {"blocking": 0, "warning": 1, "info": 2}


class Finding(BaseModel):
    """One thing a check found, with the records that show it."""

    model_config = ConfigDict(frozen=True)

    check: str                                   # the check's name, e.g. "draft_moves"
    severity: Severity
    title: str                                   # one line, e.g. "3 draft entries dated in 2026-11"
    reason: str                                  # why it matters and what to do, in words
    period: str = ""                             # "YYYY-MM" when the finding is about a period
    records: tuple[RecordRef, ...] = ()          # the Odoo records behind it (all of them)
    amount: Decimal | None = None                # the money at stake, company currency, when there is one
    figures: Mapping[str, Any] = Field(default_factory=dict)  # the check's numbers (Decimal for money)

    @model_validator(mode="after")
    def _jsonable(self) -> Finding:
        to_jsonable(self.figures)  # refuses floats for money, as proposals do
        return self

    @field_serializer("figures")
    def _ser(self, value: Any) -> Any:
        return to_jsonable(value)

    @property
    def blocking(self) -> bool:
        return self.severity == "blocking"

    def record_ids(self, model: str) -> list[int]:
        return [ref.id for ref in self.records if ref.model == model]


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Blocking first, then warnings, then information; within a severity by check name."""
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.check, f.title))
