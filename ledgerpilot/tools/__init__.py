"""What the agent, the commands and the schedules call: read Odoo through the gateway, run a calculator,
keep what is to be kept. Timing is measured here, never in the calculators."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Timings(BaseModel):
    """How long a run spent reading Odoo and computing, in seconds (rounded to the millisecond)."""

    model_config = ConfigDict(frozen=True)

    extraction_seconds: float
    compute_seconds: float

    @classmethod
    def of(cls, extraction: float, compute: float) -> Timings:
        return cls(extraction_seconds=round(extraction, 3), compute_seconds=round(compute, 3))
