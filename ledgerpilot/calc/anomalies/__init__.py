"""Anomaly detection over journal entries, bills, payments, refunds and inventory valuation.

The data contract is :mod:`ledgerpilot.calc.anomalies.frames` (filled from Odoo by
:mod:`ledgerpilot.tools.anomalies.data`, or built by hand); each detector module
``detectors/<name>.py`` exposes a :class:`ledgerpilot.calc.anomalies.detector.Detector` that reads
those frames and returns :class:`ledgerpilot.domain.anomaly.Anomaly` findings. Everything here is
pure: no Odoo, no clock, no files.
"""
