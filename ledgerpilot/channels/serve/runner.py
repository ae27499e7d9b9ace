"""``ledgerpilot serve``: the schedule, the Discuss bot, the webhook receiver and the approval page in one process.

Threads: uvicorn serves the web app (approval page, ``/webhooks/odoo/<secret>`` and ``/webhooks/odoo``,
``/health``, ``/health/details``, ``/metrics``) on the main thread; APScheduler runs the jobs (digest weekly,
budget watch hourly, anomaly scan every 15 minutes, writing approved proposals every 5 minutes,
anchoring the audit log daily by default; ``LEDGERPILOT_SERVE_*``); one thread works through the
webhook queue; one runs the Discuss bot. ``/health`` answers liveness only; the details and the
metrics need a token or a local request (``status_access``).

Stopping (SIGTERM or Ctrl-C) loses no work: the web server stops taking requests and finishes the
ones in flight, the scheduler starts nothing new and waits for running jobs to end, the webhook
worker finishes its current event (queued ones stay queued in SQLite for the next start), the bot
finishes the message it is answering (its cursor moves only after it answered). Then everything is
closed and the process exits 0 with a final ``serve stopped`` log line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from ledgerpilot.channels.serve.jobs import JOB_NAMES, JobContext, JobRunner
from ledgerpilot.channels.serve.metrics import CONTENT_TYPE_LATEST, ServeMetrics
from ledgerpilot.channels.serve.status_access import status_refusal
from ledgerpilot.errors import ConfigError, LedgerpilotError
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.proposal_store import ProposalStore
from ledgerpilot.memory.serve_state import ServeState
from ledgerpilot.memory.state import StateDB

log = logging.getLogger("ledgerpilot.serve")

def digest_trigger(settings) -> Any:
    """``serve_digest_interval_minutes`` when set, else ``serve_digest_cron`` read by APScheduler's
    ``CronTrigger``: a weekday and a time ("mon 07:00"; days as cron writes them: "mon-fri 07:00",
    "mon,thu 18:30") or a whole crontab line ("0 7 * * mon"). Anything else is a one-line ``ConfigError``."""
    if settings.serve.digest_interval_minutes:
        return IntervalTrigger(minutes=settings.serve.digest_interval_minutes)
    raw = settings.serve.digest_cron.strip()
    parts = raw.lower().split()
    try:
        if len(parts) == 5:
            return CronTrigger.from_crontab(raw)
        if len(parts) == 2 and ":" in parts[1]:
            hour, _, minute = parts[1].partition(":")
            if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
                raise ConfigError(f"LEDGERPILOT_SERVE_DIGEST_CRON: {parts[1]!r} is not a time of day (HH:MM)")
            days = parts[0][:3] if parts[0].isalpha() else parts[0]     # "monday" -> "mon"; "mon-fri" as is
            return CronTrigger(day_of_week=days, hour=int(hour), minute=int(minute))
    except ValueError as error:
        raise ConfigError(f"LEDGERPILOT_SERVE_DIGEST_CRON {raw!r}: {error}") from None
    raise ConfigError(f"LEDGERPILOT_SERVE_DIGEST_CRON must be a weekday and a time such as 'mon 07:00' (or a crontab "
                      f"line such as '0 7 * * mon'), not {settings.serve.digest_cron!r}")


def enabled_jobs(settings) -> tuple[str, ...]:
    wanted = tuple(settings.serve.jobs) if settings.serve.jobs is not None else JOB_NAMES
    unknown = [name for name in wanted if name not in JOB_NAMES]
    if unknown:
        raise ConfigError(f"LEDGERPILOT_SERVE_JOBS: unknown job(s) {', '.join(unknown)}; jobs are "
                          f"{', '.join(JOB_NAMES)}")
    return wanted


@dataclass
class ServeApp:
    """Everything ``serve`` runs, built (and checked) before anything starts."""

    settings: Any
    connection: Any
    cache_dir: Any
    today: Callable[[], dt.date]
    write_connection: Any = None          # who writes approved proposals (None: ``connection``)
    state: ServeState = field(init=False)
    db: StateDB = field(init=False)
    stop: threading.Event = field(default_factory=threading.Event)
    started_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self.jobs = enabled_jobs(self.settings)
        self.triggers = {"digest": digest_trigger(self.settings),
                         "budget_watch": IntervalTrigger(minutes=self.settings.serve.budget_interval_minutes),
                         "anomaly_scan": IntervalTrigger(minutes=self.settings.serve.anomaly_interval_minutes),
                         "apply_approved": IntervalTrigger(minutes=self.settings.serve.apply_interval_minutes),
                         "audit_anchor": IntervalTrigger(days=1)}
        self.state = ServeState.in_home(self.settings.home)
        self.db = StateDB.in_home(self.settings.home)
        self.store = ProposalStore(self.db)
        self.audit = AuditLog(self.db)
        self.metrics = ServeMetrics(pending_proposals=lambda: self.store.count(state="proposed"),
                                    webhook_queue=self._queue_length)
        self.runner = JobRunner(JobContext(settings=self.settings, connection=self.connection,
                                           cache_dir=self.cache_dir, metrics=self.metrics, today=self.today,
                                           audit=self.audit, write_connection=self.write_connection,
                                           store=self.store), self.state)
        self.scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1,
                                                           "misfire_grace_time": 300})
        self.threads: list[threading.Thread] = []
        self.web = self._web_app()

    def _queue_length(self) -> int:
        counts = self.state.event_counts()
        return counts.get("queued", 0) + counts.get("running", 0)

    # ------------------------------------------------------------------ web

    def _web_app(self) -> FastAPI:
        from ledgerpilot.channels.web.approval_app import ApprovalPageConfig, create_approval_app
        from ledgerpilot.channels.web.similar_cases import SimilarCasesFromMemory
        from ledgerpilot.channels.webhooks.receiver import add_webhook_routes

        app = FastAPI(title="ledgerpilot", docs_url=None, redoc_url=None, openapi_url=None)

        token = self.settings.serve.status_token.get_secret_value() if self.settings.serve.status_token else None

        @app.get("/health")
        def health():
            return JSONResponse({"status": "ok"})

        @app.get("/health/details")
        def health_details(request: Request):
            return status_refusal(request, token, self.audit) or JSONResponse(self.health())

        @app.get("/metrics")
        def metrics(request: Request):
            return status_refusal(request, token, self.audit) or Response(self.metrics.render(),
                                                                          media_type=CONTENT_TYPE_LATEST)

        from ledgerpilot.channels.webhooks.url_secret import parse_networks

        secret = self.settings.webhook.secret.get_secret_value() if self.settings.webhook.secret else None
        self.worker = self._webhook_worker()
        self.receiver = add_webhook_routes(
            app, secret=secret, max_age_seconds=self.settings.webhook.max_age_seconds, state=self.state,
            audit=self.audit, queued=self.worker.wake.set,
            odoo_secrets={name: value.get_secret_value() for name, value in self.settings.webhook.odoo_secrets.items()},
            odoo_sources=parse_networks(self.settings.webhook.odoo_sources),
            settle_seconds=self.settings.webhook.settle_seconds)
        create_approval_app(ApprovalPageConfig.from_settings(self.settings, odoo=self.connection,
                                                             writer=self.write_connection),
                            self.store, self.audit, app=app,
                            similar_cases=SimilarCasesFromMemory(self.settings.home))
        return app

    def _webhook_worker(self):
        from ledgerpilot.channels.webhooks.checks import WebhookChecks
        from ledgerpilot.channels.webhooks.worker import WebhookWorker

        def client_factory():
            from ledgerpilot.odoo.connection import connect

            client = connect(self.connection, cache_dir=self.cache_dir)
            client.call_hook = self.metrics.odoo_call
            return client

        checks = WebhookChecks(client_factory=client_factory, home=self.settings.home, settings=self.settings,
                               today=self.today, versions=self.state)

        def done(event, ok: bool, _seconds: float) -> None:
            self.metrics.webhook_events.labels(model=event.model, outcome="ok" if ok else "failed").inc()

        return WebhookWorker(self.state, checks.run, on_done=done)

    def health(self) -> dict[str, Any]:
        runs = self.state.last_runs()
        failing = sorted(job for job, run in runs.items() if run["status"] == "failed")
        return {"status": "degraded" if failing else "ok", "uptime_seconds": round(time.time() - self.started_at, 1),
                "odoo": {"url": self.connection.url, "db": self.connection.db},
                "jobs": {job: {"last_status": run["status"], "last_started_at": run["started_at"],
                               "last_finished_at": run["finished_at"], "last_seconds": run["seconds"],
                               "last_detail": run["detail"]} for job, run in runs.items()},
                "scheduled": {job.id: job.next_run_time.isoformat() if job.next_run_time else None
                              for job in self.scheduler.get_jobs()},
                "failing_jobs": failing, "webhook_queue": self._queue_length(),
                "pending_proposals": self.store.count(state="proposed"),
                "discuss_bot": any(t.name == "discuss-bot" and t.is_alive() for t in self.threads)}

    # ------------------------------------------------------------------ lifecycle

    def _start_background(self) -> None:
        self.audit.anchor_quietly(reason="serve started", log=log)
        requeued = self.state.requeue_interrupted()
        interrupted = self.state.interrupt_running_jobs()
        if requeued or interrupted:
            log.info("recovered from the last stop", extra={"requeued_events": requeued,
                                                            "interrupted_job_runs": interrupted})
        for name in self.jobs:
            self.scheduler.add_job(self.runner, self.triggers[name], args=[name], id=name, name=name)
        self.scheduler.start()
        self._thread("webhook-worker", lambda: self.worker.run(self.stop))
        if self.settings.serve.discuss:
            self._thread("discuss-bot", self._discuss)

    def _thread(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=False)
        thread.start()
        self.threads.append(thread)

    def _discuss(self) -> None:
        from ledgerpilot.agent.agent import open_agent
        from ledgerpilot.channels.discuss import DiscussBot, DiscussError
        from ledgerpilot.memory.discuss_cursors import DiscussCursors
        from ledgerpilot.odoo.connection import connect

        try:
            client = connect(self.connection, cache_dir=self.cache_dir)
        except LedgerpilotError as exc:
            log.error("the Discuss bot cannot connect; it is off", extra={"error": str(exc)})
            return
        client.call_hook = self.metrics.odoo_call
        try:
            with open_agent(client, self.settings, today=self.today, actor=self.connection.user,
                            audit=self.audit) as agent:
                bot = DiscussBot(client, agent, channel_name=self.settings.discuss.channel,
                                 cursor_store=DiscussCursors(self.db), poll_seconds=self.settings.discuss.poll_seconds)
                log.info("Discuss bot watching", extra={"channel": self.settings.discuss.channel})
                bot.run(self.stop)
        except (DiscussError, LedgerpilotError) as exc:
            log.error("the Discuss bot stopped", extra={"error": str(exc)})
        finally:
            client.close()

    def shutdown(self) -> None:
        log.info("serve stopping: finishing running work")
        self.stop.set()
        self.worker.wake.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        for thread in self.threads:
            thread.join()
        self.runner.job.drop_anomaly_watch()
        self.receiver.close()                  # the audit entries of the last webhook calls are written
        self.audit.anchor_quietly(reason="serve stopped", log=log)
        self.state.close()
        self.db.close()
        log.info("serve stopped")

    def run(self, host: str, port: int) -> None:
        """Serve until SIGTERM/SIGINT, then stop gracefully."""
        server = _Server(uvicorn.Config(self.web, host=host, port=port, log_config=None,
                                        timeout_graceful_shutdown=30))
        previous = {sig: signal.signal(sig, lambda *_: server.stop_serving()) for sig in (signal.SIGTERM,
                                                                                          signal.SIGINT)}
        self._start_background()
        log.info("serve started", extra={"url": f"http://{host}:{port}", "jobs": list(self.jobs),
                                         "discuss": self.settings.serve.discuss})
        try:
            server.run()
        finally:
            self.shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class _Server(uvicorn.Server):
    """uvicorn, but the signals are ours: uvicorn re-raises a captured SIGTERM when it stops, which would end
    the process before the scheduler, the webhook worker and the bot have finished their work."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield

    def stop_serving(self) -> None:
        log.info("signal received: stopping")
        self.should_exit = True
