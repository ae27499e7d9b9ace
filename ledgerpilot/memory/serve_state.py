"""What the long-running ``serve`` process must not forget: webhook nonces, queued webhook events, job runs.

Kept in ``Settings.home / "serve.sqlite"`` (WAL, one connection per process, used under a lock):
- ``webhook_nonces``: every nonce accepted within the replay window, so a replayed call is refused;
- ``webhook_events``: one row per distinct Odoo event (model, record, the record's ``write_date``): a
  second delivery of the same event is acknowledged but never queued again; an event whose body does not
  say the ``write_date`` joins one of the same record still waiting in the queue. A queued event
  survives a stop or a crash (``running`` rows go back to ``queued`` at start); ``due_at`` (Unix
  seconds) is when it may run: a moment after it came (Odoo 17 sends before it commits), later again
  when a try must be repeated;
- ``webhook_checked``: each version of a record (model, id, ``write_date`` read back from Odoo) that was
  checked, and by which event: the same version is never checked twice, whatever announced it;
- ``job_runs``: each scheduled job's runs (start, end, outcome), for ``/metrics`` and ``/health``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.state import immediate_transaction

SERVE_FILE = "serve.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_nonces (
    nonce       TEXT PRIMARY KEY,
    received_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_nonces_received ON webhook_nonces(received_at);
CREATE TABLE IF NOT EXISTS webhook_events (
    key         TEXT PRIMARY KEY,
    model       TEXT NOT NULL,
    record_id   INTEGER NOT NULL,
    action      TEXT NOT NULL,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL,          -- queued | running | done | failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    finished_at TEXT,
    result      TEXT,
    error       TEXT
);
CREATE INDEX IF NOT EXISTS webhook_events_status ON webhook_events(status, received_at);
CREATE TABLE IF NOT EXISTS webhook_checked (
    model       TEXT NOT NULL,
    record_id   INTEGER NOT NULL,
    version     TEXT NOT NULL,          -- the record's write_date as read back from Odoo
    event_key   TEXT NOT NULL,
    checked_at  TEXT NOT NULL,
    PRIMARY KEY (model, record_id, version)
);
CREATE TABLE IF NOT EXISTS job_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job         TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,          -- running | ok | failed | interrupted
    seconds     REAL,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS job_runs_job ON job_runs(job, id);
"""

#: tries of one event before it is given up (Odoo unreachable, the change not committed yet)
MAX_ATTEMPTS = 5
#: seconds before the next try, by the number of tries made so far
RETRY_DELAYS = (2.0, 5.0, 15.0, 60.0)


class ServeStateError(LedgerpilotError):
    """The serve state database cannot be opened or used."""


@dataclass(frozen=True)
class WebhookEvent:
    key: str
    model: str
    record_id: int
    action: str
    payload: Mapping[str, Any]
    status: str
    attempts: int
    result: Mapping[str, Any] | None = None
    error: str | None = None


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class ServeState:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0, isolation_level=None)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(_SCHEMA)
            columns = {row["name"] for row in self._conn.execute("PRAGMA table_info(webhook_events)")}
            if "due_at" not in columns:   # a serve.sqlite from before events had a due time
                self._conn.execute("ALTER TABLE webhook_events ADD COLUMN due_at REAL NOT NULL DEFAULT 0")
        except (OSError, sqlite3.Error) as exc:
            raise ServeStateError(f"cannot open the serve state database {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    @classmethod
    def in_home(cls, home: Path) -> ServeState:
        return cls(Path(home) / SERVE_FILE)

    def close(self) -> None:
        self._conn.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate_transaction(self._conn, self._lock)

    # ------------------------------------------------------------------ webhooks

    def accept_nonce(self, nonce: str, now: float, window_seconds: float) -> bool:
        """Record ``nonce``; False when it was already used within the replay window (a replay)."""
        with self._tx() as conn:
            conn.execute("DELETE FROM webhook_nonces WHERE received_at < ?", (now - 2 * window_seconds,))
            try:
                conn.execute("INSERT INTO webhook_nonces (nonce, received_at) VALUES (?, ?)", (nonce, now))
            except sqlite3.IntegrityError:
                return False
        return True

    def enqueue(self, key: str, model: str, record_id: int, action: str, payload: Mapping[str, Any], *,
                versioned: bool = True, due_at: float = 0.0) -> tuple[bool, str, str]:
        """Queue an event once: ``(True, "queued", key)`` when new, else ``(False, its status, its key)``.

        ``versioned``: the key names a version of the record (the body said its ``write_date``); when not,
        an event of the same record still waiting in the queue takes this one in (nothing new to check
        yet), else it is queued under ``key`` (which the caller makes unique). ``due_at``: not before."""
        with self._tx() as conn:
            row = conn.execute("SELECT key, status FROM webhook_events WHERE key = ?", (key,)).fetchone()
            if row is None and not versioned:
                row = conn.execute("SELECT key, status FROM webhook_events WHERE model = ? AND record_id = ? "
                                   "AND status = 'queued' ORDER BY rowid LIMIT 1", (model, int(record_id))).fetchone()
            if row is not None:
                return False, row["status"], row["key"]
            conn.execute("INSERT INTO webhook_events (key, model, record_id, action, payload, status, received_at, "
                         "due_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
                         (key, model, int(record_id), action, json.dumps(payload, default=str), _now(),
                          float(due_at)))
        return True, "queued", key

    def claim(self, now: float | None = None) -> WebhookEvent | None:
        """The oldest queued event that is due, now marked running; None when none is due."""
        moment = time.time() if now is None else now
        with self._tx() as conn:
            row = conn.execute("SELECT * FROM webhook_events WHERE status = 'queued' AND due_at <= ? "
                               "ORDER BY due_at, received_at, rowid LIMIT 1", (moment,)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE webhook_events SET status = 'running', attempts = attempts + 1 WHERE key = ?",
                         (row["key"],))
        return _event(row, status="running", attempts=row["attempts"] + 1)

    def next_due(self) -> float | None:
        """When the next queued event is due (Unix seconds), None when the queue is empty."""
        with self._lock:
            row = self._conn.execute("SELECT MIN(due_at) AS due FROM webhook_events WHERE status = 'queued'"
                                     ).fetchone()
        return None if row is None or row["due"] is None else float(row["due"])

    def finish(self, key: str, *, ok: bool, result: Mapping[str, Any] | None = None, error: str | None = None,
               retry: bool = False, now: float | None = None) -> str:
        """Mark an event done or failed; a retryable failure under MAX_ATTEMPTS goes back to the queue, due
        after :data:`RETRY_DELAYS`. Returns the status it got."""
        moment = time.time() if now is None else now
        with self._tx() as conn:
            row = conn.execute("SELECT attempts FROM webhook_events WHERE key = ?", (key,)).fetchone()
            attempts = int(row[0]) if row else MAX_ATTEMPTS
            again = not ok and retry and attempts < MAX_ATTEMPTS
            status = "done" if ok else ("queued" if again else "failed")
            due = moment + RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1] if again else None
            conn.execute("UPDATE webhook_events SET status = ?, finished_at = ?, result = ?, error = ?, "
                         "due_at = COALESCE(?, due_at) WHERE key = ?",
                         (status, _now(), json.dumps(result, default=str) if result is not None else None, error,
                          due, key))
        return status

    def checked_by(self, model: str, record_id: int, version: str) -> str | None:
        """The event that already checked this version of the record, if one did."""
        with self._lock:
            row = self._conn.execute("SELECT event_key FROM webhook_checked WHERE model = ? AND record_id = ? AND "
                                     "version = ?", (model, int(record_id), version)).fetchone()
        return None if row is None else str(row["event_key"])

    def mark_checked(self, model: str, record_id: int, version: str, event_key: str) -> None:
        """Remember that ``event_key`` checked this version of the record (the first one to do so is kept)."""
        with self._tx() as conn:
            conn.execute("INSERT OR IGNORE INTO webhook_checked (model, record_id, version, event_key, checked_at) "
                         "VALUES (?, ?, ?, ?, ?)", (model, int(record_id), version, event_key, _now()))

    def requeue_interrupted(self) -> int:
        """Events left running by a stopped or crashed process go back to the queue."""
        with self._tx() as conn:
            return conn.execute("UPDATE webhook_events SET status = 'queued' WHERE status = 'running'").rowcount

    def event(self, key: str) -> WebhookEvent | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM webhook_events WHERE key = ?", (key,)).fetchone()
        return _event(row) if row is not None else None

    def events(self) -> list[WebhookEvent]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM webhook_events ORDER BY received_at, rowid").fetchall()
        return [_event(r) for r in rows]

    def event_counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._conn.execute("SELECT status, COUNT(*) AS n FROM webhook_events GROUP BY status").fetchall()
        return {r["status"]: int(r["n"]) for r in rows}

    # ------------------------------------------------------------------ job runs

    def job_started(self, job: str) -> int:
        with self._tx() as conn:
            return int(conn.execute("INSERT INTO job_runs (job, started_at, status) VALUES (?, ?, 'running')",
                                    (job, _now())).lastrowid)

    def job_finished(self, run_id: int, *, status: str, seconds: float, detail: str = "") -> None:
        with self._tx() as conn:
            conn.execute("UPDATE job_runs SET finished_at = ?, status = ?, seconds = ?, detail = ? WHERE id = ?",
                         (_now(), status, round(seconds, 3), detail[:2000], run_id))

    def interrupt_running_jobs(self) -> int:
        """Job runs a stopped process left open are marked interrupted (they run again on schedule)."""
        with self._tx() as conn:
            return conn.execute("UPDATE job_runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'",
                                (_now(),)).rowcount

    def last_runs(self) -> dict[str, dict[str, Any]]:
        """Each job's latest run."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM job_runs WHERE id IN (SELECT MAX(id) FROM job_runs GROUP BY job) ORDER BY job").fetchall()
        return {r["job"]: dict(r) for r in rows}

    def runs(self, job: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if job is None:
                rows = self._conn.execute("SELECT * FROM job_runs ORDER BY id").fetchall()
            else:
                rows = self._conn.execute("SELECT * FROM job_runs WHERE job = ? ORDER BY id", (job,)).fetchall()
        return [dict(r) for r in rows]


def _event(row: sqlite3.Row, **override: Any) -> WebhookEvent:
    values = {"key": row["key"], "model": row["model"], "record_id": row["record_id"], "action": row["action"],
              "payload": json.loads(row["payload"]), "status": row["status"], "attempts": row["attempts"],
              "result": json.loads(row["result"]) if row["result"] else None, "error": row["error"]}
    values.update(override)
    return WebhookEvent(**values)
