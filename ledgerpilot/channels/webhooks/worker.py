"""Works through the queue of webhook events, one at a time, in the order they came.

The receiver only validates and queues (it answers Odoo in milliseconds); this worker runs the
checks. An event is marked running before its check and done/failed after, so a stop in the middle
leaves it running and the next start queues it again (``ServeState.requeue_interrupted``): no event
is lost, and the checks themselves are idempotent (findings and proposals are keyed), so running one
twice after a crash changes nothing. Odoo being unreachable is retried (up to MAX_ATTEMPTS); an
event that calls for no check is done with the reason it was skipped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ledgerpilot.channels.webhooks.checks import EventSkipped
from ledgerpilot.memory.serve_state import ServeState, WebhookEvent
from ledgerpilot.odoo.errors import OdooConnectionError

log = logging.getLogger("ledgerpilot.webhooks")


class WebhookWorker:
    def __init__(self, state: ServeState, run_check: Callable[[WebhookEvent], dict[str, Any]], *,
                 on_done: Callable[[WebhookEvent, bool, float], None] | None = None):
        self.state = state
        self.run_check = run_check
        self.on_done = on_done
        self.wake = threading.Event()

    def drain(self, stop: threading.Event | None = None) -> int:
        """Handle queued events until the queue is empty (or ``stop`` is set); returns how many were handled."""
        handled = 0
        while stop is None or not stop.is_set():
            event = self.state.claim()
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
            self.state.finish(event.key, ok=True, result={"skipped": str(exc)})
            ok = True
            log.info("webhook event skipped", extra={"event": event.key, "reason": str(exc)})
        except OdooConnectionError as exc:
            self.state.finish(event.key, ok=False, error=str(exc), retry=True)
            log.warning("webhook event deferred: Odoo unreachable", extra={"event": event.key, "error": str(exc)})
        except Exception as exc:  # one bad event must not stop the worker; it is recorded as failed
            self.state.finish(event.key, ok=False, error=f"{type(exc).__name__}: {exc}")
            log.exception("webhook event failed", extra={"event": event.key})
        if self.on_done is not None:
            self.on_done(event, ok, time.perf_counter() - started)

    def run(self, stop: threading.Event, idle_seconds: float = 1.0) -> None:
        """Loop until ``stop``: drain the queue, then wait for a new event (or ``idle_seconds``)."""
        self.state.requeue_interrupted()
        while not stop.is_set():
            self.drain(stop)
            self.wake.wait(idle_seconds)
            self.wake.clear()
