"""Anomalies: what a detector found unusual in the books, scored, explained and citable.

An anomaly is advisory: it asks a person to look, it never blocks anything. Each one names its
detector and kind, a score between 0 and 1 (how strongly the detector believes it is worth a look),
the reason in words, and every record involved (the primary one first: the bill, entry, payment or
valuation layer a reviewer should open). Its ``key`` is stable across scans — the detector and the
records it cites — so a disposition made on one scan applies to the same anomaly found again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from ledgerpilot.domain.proposal import RecordRef, to_jsonable


def anomaly_key(detector: str, records: tuple[RecordRef, ...] | list[RecordRef]) -> str:
    """``detector`` + the records cited (order-free): 16 hex characters, the same on every scan."""
    cited = ",".join(sorted(f"{ref.model}:{ref.id}" for ref in records))
    return hashlib.sha256(f"{detector}|{cited}".encode()).hexdigest()[:16]


class Anomaly(BaseModel):
    """One finding of one detector."""

    model_config = ConfigDict(frozen=True)

    detector: str                               # e.g. "duplicate_bills"
    kind: str                                   # finer, e.g. "duplicate_bill_same_reference"
    score: float = Field(ge=0.0, le=1.0)
    title: str
    reason: str
    records: tuple[RecordRef, ...] = Field(min_length=1)   # primary record first
    amount: Decimal | None = None               # company currency, when money is at stake
    occurred_on: dt.date | None = None          # the accounting date of the primary record
    partner: str | None = None
    user: str | None = None                     # who created the primary record, when it matters
    figures: Mapping[str, Any] = Field(default_factory=dict)  # the detector's numbers (Decimal for money)

    @field_validator("score")
    @classmethod
    def _finite(cls, value: float) -> float:
        if math.isnan(value):
            raise ValueError("score must be a number between 0 and 1, not NaN")
        return float(value)

    @model_validator(mode="after")
    def _jsonable(self) -> Anomaly:
        to_jsonable(self.figures)
        return self

    @field_serializer("figures")
    def _ser(self, value: Any) -> Any:
        return to_jsonable(value)

    @property
    def key(self) -> str:
        return anomaly_key(self.detector, self.records)

    @property
    def primary(self) -> RecordRef:
        return self.records[0]

    def record_ids(self, model: str) -> list[int]:
        return [ref.id for ref in self.records if ref.model == model]
