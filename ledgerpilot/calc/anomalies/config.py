"""Per-company settings of the anomaly scan: the threshold, the detectors that run and their
parameters.

Built from :class:`ledgerpilot.config.Settings` (``anomaly_min_score``, ``anomaly_detectors``,
``anomaly_params``) by :meth:`AnomalyConfig.from_settings`, or directly. Pure data: the scan reads it
and nothing else. Names are checked against the registry when the scan runs, so a misspelt detector
or parameter fails with a message that lists the right ones instead of being silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

#: the default threshold: a risk at or above it is worth a person's look
DEFAULT_MIN_SCORE = 0.5


def _frozen_params(params: Mapping[str, Mapping[str, float]]) -> Mapping[str, Mapping[str, float]]:
    out: dict[str, Mapping[str, float]] = {}
    for detector, values in params.items():
        if not isinstance(values, Mapping):
            raise TypeError(f"parameters of detector {detector!r} must be a table of name = number, "
                             f"not {values!r}")
        out[str(detector)] = MappingProxyType(dict(values))
    return MappingProxyType(out)


@dataclass(frozen=True)
class AnomalyConfig:
    """What the scan runs and how it scores.

    - ``min_score``: findings whose risk is at or above it are "above threshold" (the ones
      that become alerts); the others are kept in the result for whoever wants to look further.
    - ``detectors``: the detector names to run; ``None`` runs every registered detector.
    - ``params``: detector name -> parameter name -> value, overriding the detector's defaults.
    """

    min_score: float = DEFAULT_MIN_SCORE
    detectors: tuple[str, ...] | None = None
    params: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.min_score <= 1:
            raise ValueError(f"min_score must be a score above 0 and at most 1, not {self.min_score}")
        if self.detectors is not None:
            object.__setattr__(self, "detectors", tuple(self.detectors))
        object.__setattr__(self, "params", _frozen_params(self.params))

    def overrides_for(self, detector: str) -> Mapping[str, float]:
        """The configured parameter overrides of ``detector`` (empty when there are none)."""
        return self.params.get(detector, {})

    @classmethod
    def from_settings(cls, settings: Any) -> AnomalyConfig:
        """The anomaly settings of ``settings`` (``anomaly_min_score``, ``anomaly_detectors``, ``anomaly_params``)."""
        detectors = settings.anomaly.detectors
        return cls(min_score=float(settings.anomaly.min_score),
                   detectors=tuple(detectors) if detectors is not None else None,
                   params={name: dict(values) for name, values in (settings.anomaly.params or {}).items()})
