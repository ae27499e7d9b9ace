"""The detector protocol: what every anomaly detector module exposes as ``DETECTOR``.

A detector is a pure function from the books (:class:`~ledgerpilot.calc.anomalies.frames.AnomalyData`)
and its numeric parameters to a list of findings. Its parameters have defaults; configuration may
override some of them, and :meth:`Detector.params` merges the two, refusing a name the detector does
not know (a misspelt threshold must fail loudly rather than silently keep the default).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledgerpilot.calc.anomalies.frames import AnomalyData
    from ledgerpilot.domain.anomaly import Anomaly

DetectorRun = Callable[["AnomalyData", Mapping[str, float]], "list[Anomaly]"]


class UnknownParameterError(ValueError):
    """A parameter override names something the detector does not have."""


@dataclass(frozen=True)
class Detector:
    """One detector: its name, the anomaly kinds it reports, the frames it reads, its run and defaults.

    ``needs`` names frames of :data:`~ledgerpilot.calc.anomalies.frames.FRAMES`; when one of them is
    unavailable in the data (a module not installed) or empty, the scan skips the detector and says why.
    ``also_reads`` names frames it reads that may well be empty (the other side of intercompany flows):
    only their unavailability skips it.
    """

    name: str
    kinds: tuple[str, ...]
    needs: tuple[str, ...]
    run: DetectorRun
    defaults: Mapping[str, float] = field(default_factory=dict)
    also_reads: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        from ledgerpilot.calc.anomalies.frames import FRAMES

        if not self.name:
            raise ValueError("a detector needs a name")
        unknown = [frame for frame in (*self.needs, *self.also_reads) if frame not in FRAMES]
        if unknown:
            raise ValueError(f"detector {self.name!r} needs unknown frame(s) {', '.join(unknown)}; "
                             f"known: {', '.join(FRAMES)}")
        object.__setattr__(self, "kinds", tuple(self.kinds))
        object.__setattr__(self, "needs", tuple(self.needs))
        object.__setattr__(self, "also_reads", tuple(self.also_reads))
        object.__setattr__(self, "defaults", MappingProxyType({k: float(v) for k, v in self.defaults.items()}))

    def params(self, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
        """The defaults with ``overrides`` applied; an override the detector does not know is an error."""
        merged = dict(self.defaults)
        if not overrides:
            return merged
        unknown = sorted(set(overrides) - set(self.defaults))
        if unknown:
            known = ", ".join(sorted(self.defaults)) or "none"
            raise UnknownParameterError(f"detector {self.name!r} has no parameter(s) {', '.join(unknown)} "
                                        f"(its parameters: {known})")
        for name, value in overrides.items():
            try:
                merged[name] = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"detector {self.name!r} parameter {name!r} must be a number, "
                                 f"not {value!r}") from None
        return merged

    def missing(self, data: AnomalyData) -> dict[str, str]:
        """The frames this detector needs that ``data`` could not provide, with the reason for each."""
        return {frame: data.unavailable[frame] for frame in (*self.needs, *self.also_reads)
                if frame in data.unavailable}

    def __call__(self, data: AnomalyData, overrides: Mapping[str, float] | None = None) -> list[Anomaly]:
        """Run on ``data`` with the defaults and ``overrides``."""
        return self.run(data, self.params(overrides))
