"""What the agent, the commands and the schedules call: read Odoo through the gateway, run a calculator,
keep what is to be kept. Timing is measured here, never in the calculators."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import BaseModel, ConfigDict


class Timings(BaseModel):
    """How long a run spent reading Odoo and computing, in seconds (rounded to the millisecond)."""

    model_config = ConfigDict(frozen=True)

    extraction_seconds: float
    compute_seconds: float

    @classmethod
    def of(cls, extraction: float, compute: float) -> Timings:
        return cls(extraction_seconds=round(extraction, 3), compute_seconds=round(compute, 3))


class Stopwatch:
    """Seconds per named step: :meth:`step` is what a calculator that names its steps is given (as
    :func:`ledgerpilot.calc.anomalies.scan.run_scan`'s ``steps``), so the clock is read here."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - started
