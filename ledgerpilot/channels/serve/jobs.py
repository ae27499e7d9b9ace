"""The scheduled jobs of ``serve``: each connects to Odoo, runs one capability, and says what it did.

- ``digest``: the weekly digest (saved; mailed when SMTP and recipients are set; posted to Discuss
  when a channel is set);
- ``budget_watch``: the budget status of the current period (risks and the proposals they call for);
- ``anomaly_scan``: an incremental anomaly scan (what changed since the last scan; alerts as proposals);
- ``apply_approved``: writes the approved proposals the approval page did not write (it was off, or Odoo
  was down) and takes over those whose applier died -- each claimed first, so it never races the page,
  the CLI or another serve (docs/approvals.md);
- ``audit_anchor``: anchors the audit log's head outside the database, daily (and at start and stop).

Every job opens its own client (Odoo calls feed the metrics), closes it after, and records its run
(start, end, outcome) in the serve state; a job that fails is logged and runs again on schedule.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ledgerpilot.channels.serve.metrics import ServeMetrics
from ledgerpilot.memory.serve_state import ServeState

log = logging.getLogger("ledgerpilot.serve")

JOB_NAMES = ("digest", "budget_watch", "anomaly_scan", "apply_approved", "audit_anchor")


@dataclass
class JobContext:
    settings: Any
    connection: Any                       # OdooConnection the jobs read with
    cache_dir: Any
    metrics: ServeMetrics
    today: Callable[[], dt.date]
    audit: Any
    write_connection: Any = None          # OdooConnection that writes approved proposals (None: ``connection``)
    store: Any = None                     # ProposalStore of the state database
    _watch: Any = None

    def connect(self) -> Any:
        from ledgerpilot.odoo.connection import connect

        client = connect(self.connection, cache_dir=self.cache_dir)
        client.call_hook = self.metrics.odoo_call
        client.pull_hook = self.audit.pull_hook(self.connection.user)
        return client

    @contextmanager
    def client(self) -> Iterator[Any]:
        client = self.connect()
        try:
            yield client
        finally:
            client.close()

    def anomaly_watch(self) -> Any:
        """The long-running anomaly scanner (its own connection), made on first use."""
        from ledgerpilot.tools.anomalies.watch import AnomalyWatch

        if self._watch is None:
            self._watch = AnomalyWatch(self.connect(), self.settings.home, self.settings, today=self.today)
        return self._watch

    def drop_anomaly_watch(self) -> None:
        if self._watch is not None:
            self._watch.client.close()
            self._watch = None


def run_digest(job: JobContext) -> str:
    from ledgerpilot.agent.agent import open_agent
    from ledgerpilot.channels.digest.run import make_digest

    settings = job.settings
    with job.client() as client, open_agent(client, settings, today=job.today(), actor="ledgerpilot-serve",
                                            audit=job.audit) as agent:
        send = bool(settings.smtp.host and settings.digest.to)
        outcome = make_digest(agent, settings, out=settings.home / "digests", send=send,
                              recipients=list(settings.digest.to), channel=settings.digest.channel)
    sent = f"sent to {len(outcome.sent_to)}" if outcome.sent_to else "not mailed (no SMTP or recipients)"
    return f"saved {outcome.saved.html.name}; {sent}" + (f"; problems: {'; '.join(outcome.problems)}"
                                                         if outcome.problems else "")


def run_budget_watch(job: JobContext) -> str:
    from ledgerpilot.tools.budget.watch import budget_request, run_budget

    day = job.today()
    with job.client() as client:
        outcome = run_budget(client, job.settings.home, budget_request(job.settings, as_of=day), today=day)
    return f"{outcome.period}: {len(outcome.at_risk)} budget lines at risk, {outcome.new_proposals} new proposals"


def run_anomaly_scan(job: JobContext) -> str:
    """Through the long-running scanner: the books stay in memory between runs and each run reads and
    scans only what changed (docs/anomalies.md); a lost connection starts a new scanner next time."""
    from ledgerpilot.odoo.errors import OdooConnectionError

    watch = job.anomaly_watch()
    try:
        outcome = watch.scan(since="last")
    except OdooConnectionError:
        job.drop_anomaly_watch()
        raise
    new = sum(1 for item in outcome.items if item.new)
    return f"{outcome.since_note}; {len(outcome.items)} findings ({new} new), {outcome.new_proposals} new proposals"


def run_apply_approved(job: JobContext) -> str:
    """Apply what may be applied now; a proposal another applier holds is skipped (it is theirs)."""
    from ledgerpilot.approvals.apply import Skipped, apply_claimable
    from ledgerpilot.odoo.connection import connect

    if not job.store.claimable():
        return "nothing approved to write"
    connection = job.write_connection or job.connection
    client = connect(connection, cache_dir=job.cache_dir)
    client.call_hook = job.metrics.odoo_call
    client.pull_hook = job.audit.pull_hook(connection.user)
    try:
        done = apply_claimable(client, job.store, job.audit, lease_seconds=job.settings.apply.lease_seconds)
    finally:
        client.close()
    applied = sum(1 for r in done if not isinstance(r, Skipped) and r.ok)
    failed = sum(1 for r in done if not isinstance(r, Skipped) and not r.ok)
    skipped = sum(1 for r in done if isinstance(r, Skipped))
    return f"{applied} applied, {failed} failed, {skipped} left to other appliers"


def run_audit_anchor(job: JobContext) -> str:
    made = job.audit.anchor(reason="daily anchor (serve)")
    return f"anchored entry {made.seq}" if made else "the audit log is empty"


JOBS: dict[str, Callable[[JobContext], str]] = {
    "digest": run_digest, "budget_watch": run_budget_watch, "anomaly_scan": run_anomaly_scan,
    "apply_approved": run_apply_approved, "audit_anchor": run_audit_anchor}


class JobRunner:
    """Runs a job by name, one run at a time per job, recording it in the state and the metrics."""

    def __init__(self, job: JobContext, state: ServeState):
        self.job = job
        self.state = state
        self._busy: dict[str, threading.Lock] = {name: threading.Lock() for name in JOBS}

    def __call__(self, name: str) -> None:
        lock = self._busy[name]
        if not lock.acquire(blocking=False):
            log.info("job still running; this run is skipped", extra={"job": name})
            return
        try:
            run_id = self.state.job_started(name)
            started = time.perf_counter()
            log.info("job started", extra={"job": name, "run": run_id})
            try:
                detail = JOBS[name](self.job)
                status = "ok"
            except Exception as exc:  # a failed run is recorded and logged; the schedule goes on
                detail = f"{type(exc).__name__}: {exc}"
                status = "failed"
                log.exception("job failed", extra={"job": name, "run": run_id})
            seconds = time.perf_counter() - started
            self.state.job_finished(run_id, status=status, seconds=seconds, detail=detail)
            self.job.metrics.job_done(name, status, seconds)
            log.info("job finished", extra={"job": name, "run": run_id, "status": status,
                                            "seconds": round(seconds, 3), "detail": detail})
        finally:
            lock.release()
