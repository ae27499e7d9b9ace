"""The registry of anomaly detectors and the choice of which ones a scan runs.

Each detector lives in its own module ``detectors/<name>.py`` and exposes ``DETECTOR`` (a
:class:`~ledgerpilot.calc.anomalies.detector.Detector`); :data:`DETECTORS` lists them all
explicitly, in the order a report shows them. :func:`enabled_detectors` picks the ones a
configuration enables and checks the configured names and parameters before anything runs.
"""

from __future__ import annotations

from ledgerpilot.calc.anomalies.config import AnomalyConfig
from ledgerpilot.calc.anomalies.detector import Detector
from ledgerpilot.calc.anomalies.detectors import (
    amount_outliers,
    duplicate_bills,
    intercompany,
    large_credit_notes,
    payments_without_open_bill,
    posting_patterns,
    rare_accounts,
    round_amounts,
    three_way_match,
    unit_cost_jumps,
)
from ledgerpilot.errors import LedgerpilotError


class AnomalyConfigError(LedgerpilotError):
    """A configured detector or parameter that does not exist, or a bad parameter value."""

    exit_code = 2


def _registry(detectors: tuple[Detector, ...]) -> dict[str, Detector]:
    registry: dict[str, Detector] = {}
    for detector in detectors:
        if detector.name in registry:
            raise ValueError(f"two anomaly detectors are named {detector.name!r}")
        registry[detector.name] = detector
    return registry


#: name -> detector, in report order: bills and payments, credit notes, entries, inventory, groups
DETECTORS: dict[str, Detector] = _registry((
    duplicate_bills.DETECTOR,
    payments_without_open_bill.DETECTOR,
    amount_outliers.DETECTOR,
    large_credit_notes.DETECTOR,
    round_amounts.DETECTOR,
    posting_patterns.DETECTOR,
    rare_accounts.DETECTOR,
    unit_cost_jumps.DETECTOR,
    three_way_match.DETECTOR,
    intercompany.DETECTOR,
))


def enabled_detectors(config: AnomalyConfig) -> list[Detector]:
    """The detectors ``config`` enables, in registry order; unknown names are an error listing the known ones.

    Parameter overrides are checked here too (before anything runs), so a typo in the configuration
    stops the scan with a clear message instead of silently keeping a default.
    """
    known = ", ".join(DETECTORS) or "none"
    if config.detectors is not None:
        unknown = [name for name in config.detectors if name not in DETECTORS]
        if unknown:
            raise AnomalyConfigError(f"unknown anomaly detector(s) {', '.join(map(repr, unknown))}; "
                                     f"the detectors are: {known}")
    unknown_params = [name for name in config.params if name not in DETECTORS]
    if unknown_params:
        raise AnomalyConfigError(f"anomaly parameters given for unknown detector(s) "
                                 f"{', '.join(map(repr, unknown_params))}; the detectors are: {known}")
    for name, overrides in config.params.items():
        try:
            DETECTORS[name].params(overrides)
        except ValueError as error:
            raise AnomalyConfigError(str(error)) from None
    chosen = DETECTORS if config.detectors is None else {n: d for n, d in DETECTORS.items() if n in config.detectors}
    return list(chosen.values())
