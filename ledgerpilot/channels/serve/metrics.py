"""The metrics ``serve`` exposes at ``/metrics`` (Prometheus text format).

- ``ledgerpilot_job_runs_total{job,status}`` and ``ledgerpilot_job_duration_seconds{job}``: scheduled jobs;
- ``ledgerpilot_webhook_events_total{model,outcome}``: webhook events handled;
- ``ledgerpilot_odoo_calls_total{method,outcome}`` and ``ledgerpilot_odoo_call_seconds{method}``: every
  Odoo RPC the process makes (latency and errors);
- ``ledgerpilot_pending_proposals`` and ``ledgerpilot_webhook_queue``: read when scraped.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "ServeMetrics"]


class ServeMetrics:
    def __init__(self, *, pending_proposals: Callable[[], int], webhook_queue: Callable[[], int]):
        self.registry = CollectorRegistry()
        self.job_runs = Counter("ledgerpilot_job_runs", "Scheduled job runs", ["job", "status"],
                                registry=self.registry)
        self.job_seconds = Histogram("ledgerpilot_job_duration_seconds", "Scheduled job duration", ["job"],
                                     buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800), registry=self.registry)
        self.webhook_events = Counter("ledgerpilot_webhook_events", "Webhook events handled", ["model", "outcome"],
                                      registry=self.registry)
        self.odoo_calls = Counter("ledgerpilot_odoo_calls", "Odoo RPC calls", ["method", "outcome"],
                                  registry=self.registry)
        self.odoo_seconds = Histogram("ledgerpilot_odoo_call_seconds", "Odoo RPC latency", ["method"],
                                      buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 120),
                                      registry=self.registry)
        Gauge("ledgerpilot_pending_proposals", "Proposals waiting for a decision",
              registry=self.registry).set_function(pending_proposals)
        Gauge("ledgerpilot_webhook_queue", "Webhook events queued or running",
              registry=self.registry).set_function(webhook_queue)

    def odoo_call(self, model: str, method: str, seconds: float, error: Exception | None) -> None:
        """The gateway's ``call_hook``."""
        self.odoo_calls.labels(method=method, outcome="error" if error is not None else "ok").inc()
        self.odoo_seconds.labels(method=method).observe(seconds)

    def job_done(self, job: str, status: str, seconds: float) -> None:
        self.job_runs.labels(job=job, status=status).inc()
        self.job_seconds.labels(job=job).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
