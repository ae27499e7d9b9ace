"""The audit entries of webhook calls, written to the state database by one background thread.

Odoo's webhook waits one second for its answer. The receiver therefore never writes the audit log itself: it
puts each entry here and answers; one thread writes them in the order they came. A state database held by
another writer delays the entries, never the answers. A flood of more than :data:`OUTBOX_LIMIT` entries waiting
at once is counted and logged, not kept.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from ledgerpilot.memory.audit import AuditLog

log = logging.getLogger("ledgerpilot.webhooks")

#: audit entries waiting for the state database, at most (a flood beyond it is counted and logged, not kept)
OUTBOX_LIMIT = 10_000


class AuditOutbox:
    """Audit entries of webhook calls, written to the state database by one thread, in the order they came.

    ``put`` never waits: the receiver answers Odoo whatever the state database is doing. ``close`` writes what
    is left (``serve`` calls it when it stops)."""

    def __init__(self, audit: AuditLog, limit: int = OUTBOX_LIMIT):
        self.audit = audit
        self.dropped = 0
        self._queue: queue.Queue = queue.Queue(maxsize=limit)
        self._thread = threading.Thread(target=self._run, name="webhook-audit", daemon=True)
        self._thread.start()

    def put(self, action: str, subject: str, details: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait((action, subject, details))
        except queue.Full:
            self.dropped += 1
            log.error("webhook audit outbox full: an entry was dropped", extra={"action": action, "subject": subject,
                                                                               "dropped": self.dropped})

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                action, subject, details = item
                try:
                    self.audit.record(action, actor="odoo-webhook", subject=subject, details=details)
                except Exception:  # noqa: BLE001 - the call was answered and queued; only its audit entry is lost
                    log.exception("could not audit a webhook call", extra={"action": action, "subject": subject})
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every entry put so far is written."""
        self._queue.join()

    def close(self, timeout: float = 60.0) -> None:
        """Write what is left (waiting at most ``timeout`` seconds), then stop the thread."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            log.error("the webhook audit outbox could not be emptied before stopping",
                      extra={"left": self._queue.qsize()})
            return
        self._thread.join(timeout)
