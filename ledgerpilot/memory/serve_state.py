"""What the long-running ``serve`` process must not forget: webhook nonces, queued webhook events, job runs.

Kept in ``Settings.home / "serve.sqlite"`` (WAL, one connection per process, used under a lock):
- ``webhook_nonces``: every nonce accepted within the replay window, so a replayed call is refused;
- ``webhook_events``: one row per distinct Odoo event (model, record, action, the record's
  ``write_date``): a second delivery of the same event is acknowledged but never queued again, and a
  queued event survives a stop or a crash (``running`` rows go back to ``queued`` at start);
- ``job_runs``: each scheduled job's runs (start, end, outcome), for ``/metrics`` and ``/health``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledgerpilot.errors import LedgerpilotError

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

MAX_ATTEMPTS = 3


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
        except (OSError, sqlite3.Error) as exc:
            raise ServeStateError(f"cannot open the serve state database {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    @classmethod
    def in_home(cls, home: Path) -> ServeState:
        return cls(Path(home) / SERVE_FILE)

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

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

    def enqueue(self, key: str, model: str, record_id: int, action: str, payload: Mapping[str, Any]) -> tuple[bool, str]:
        """Queue an event once: ``(True, "queued")`` when new, else ``(False, its status)``."""
        with self._tx() as conn:
            row = conn.execute("SELECT status FROM webhook_events WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return False, row["status"]
            conn.execute("INSERT INTO webhook_events (key, model, record_id, action, payload, status, received_at) "
                         "VALUES (?, ?, ?, ?, ?, 'queued', ?)",
                         (key, model, int(record_id), action, json.dumps(payload, default=str), _now()))
        return True, "queued"

    def claim(self) -> WebhookEvent | None:
        """The oldest queued event, now marked running; None when the queue is empty."""
        with self._tx() as conn:
            row = conn.execute("SELECT * FROM webhook_events WHERE status = 'queued' ORDER BY received_at, rowid "
                               "LIMIT 1").fetchone()
            if row is None:
                return None
            conn.execute("UPDATE webhook_events SET status = 'running', attempts = attempts + 1 WHERE key = ?",
                         (row["key"],))
        return _event(row, status="running", attempts=row["attempts"] + 1)

    def finish(self, key: str, *, ok: bool, result: Mapping[str, Any] | None = None, error: str | None = None,
               retry: bool = False) -> None:
        """Mark an event done or failed; a retryable failure under MAX_ATTEMPTS goes back to the queue."""
        with self._tx() as conn:
            attempts = conn.execute("SELECT attempts FROM webhook_events WHERE key = ?", (key,)).fetchone()
            status = "done" if ok else ("queued" if retry and attempts and attempts[0] < MAX_ATTEMPTS else "failed")
            conn.execute("UPDATE webhook_events SET status = ?, finished_at = ?, result = ?, error = ? WHERE key = ?",
                         (status, _now(), json.dumps(result, default=str) if result is not None else None, error,
                          key))

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
