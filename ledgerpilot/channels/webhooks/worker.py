"""Works through the queue of webhook events, one at a time, in the order they are due.

The receiver only validates and queues (it answers Odoo in milliseconds); this worker runs the
checks. An event is marked running before its check and done/failed after, so a stop in the middle
leaves it running and the next start queues it again (``ServeState.requeue_interrupted``): no event
is lost, and the checks themselves are idempotent (findings and proposals are keyed, and a version of
a record already checked is not checked again), so running one twice after a crash changes nothing.

An event becomes due a moment after it came (``LEDGERPILOT_WEBHOOK_SETTLE_SECONDS``): Odoo 17 sends
its notification from inside the transaction that made the change, before committing it. When the
record read back is still older than the version the body announced (not committed yet), or Odoo is
unreachable, the event is tried again later (``RETRY_DELAYS``, up to ``MAX_ATTEMPTS``); an event that
calls for no check is done with the reason it was skipped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ledgerpilot.channels.webhooks.checks import EventSkipped, NotCommittedYet
from ledgerpilot.memory.serve_state import MAX_ATTEMPTS, ServeState, WebhookEvent
from ledgerpilot.odoo.errors import OdooConnectionError

log = logging.getLogger("ledgerpilot.webhooks")


class WebhookWorker:
    def __init__(self, state: ServeState, run_check: Callable[[WebhookEvent], dict[str, Any]], *,
                 on_done: Callable[[WebhookEvent, bool, float], None] | None = None,
                 clock: Callable[[], float] = time.time):
        self.state = state
        self.run_check = run_check
        self.on_done = on_done
        self.clock = clock
        self.wake = threading.Event()

    def drain(self, stop: threading.Event | None = None) -> int:
        """Handle the events that are due until none is (or ``stop`` is set); returns how many were handled."""
        handled = 0
        while stop is None or not stop.is_set():
            event = self.state.claim(self.clock())
            if event is None:
                return handled
            self._handle(event)
            handled += 1
        return handled

    def _handle(self, event: WebhookEvent) -> None:
        started = time.perf_counter()
        ok = False
        try:
            result = self.run_check(event)
            self.state.finish(event.key, ok=True, result=result)
            ok = True
            log.info("webhook event handled", extra={"event": event.key, "model": event.model,
                                                     "record_id": event.record_id, "result": result})
        except EventSkipped as exc:
            self.state.finish(event.key, ok=True, result={"skipped": str(exc), **exc.details})
            ok = True
            log.info("webhook event skipped", extra={"event": event.key, "reason": str(exc)})
        except NotCommittedYet as exc:
            if event.attempts >= MAX_ATTEMPTS:   # never committed: Odoo rolled the change back
                self.state.finish(event.key, ok=True, result={
                    "skipped": f"{exc}; given up after {event.attempts} tries (the record was deleted, or Odoo "
                               "rolled the change back)"})
                ok = True
                log.info("webhook event skipped: the change never reached Odoo's books",
                         extra={"event": event.key, "reason": str(exc)})
            else:
                self.state.finish(event.key, ok=False, error=str(exc), retry=True, now=self.clock())
                log.info("webhook event deferred: the change is not committed in Odoo yet",
                         extra={"event": event.key, "reason": str(exc)})
        except OdooConnectionError as exc:
            self.state.finish(event.key, ok=False, error=str(exc), retry=True, now=self.clock())
            log.warning("webhook event deferred: Odoo unreachable", extra={"event": event.key, "error": str(exc)})
        except Exception as exc:  # one bad event must not stop the worker; it is recorded as failed
            self.state.finish(event.key, ok=False, error=f"{type(exc).__name__}: {exc}")
            log.exception("webhook event failed", extra={"event": event.key})
        if self.on_done is not None:
            self.on_done(event, ok, time.perf_counter() - started)

    def run(self, stop: threading.Event, idle_seconds: float = 1.0) -> None:
        """Loop until ``stop``: handle what is due, then wait for a new event, the next due time or
        ``idle_seconds``, whichever comes first."""
        self.state.requeue_interrupted()
        while not stop.is_set():
            self.drain(stop)
            due = self.state.next_due()
            wait = idle_seconds if due is None else min(idle_seconds, max(0.0, due - self.clock()))
            self.wake.wait(wait)
            self.wake.clear()
