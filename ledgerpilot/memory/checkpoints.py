"""Where interrupted graph runs wait: LangGraph's SQLite checkpointer, and the list of close runs.

A graph that pauses for a person's decision (the close waits for the controller) is saved after
every step in ``Settings.home / "checkpoints.sqlite"``; a later process (after a restart, a crash
or simply the next command) picks it up where it stopped. The same file keeps one row per close run
(which month, which LangGraph thread, where it stands) so ``close status`` can list them and
``close run`` knows whether to resume or start.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.state import immediate_transaction

CHECKPOINT_FILE = "checkpoints.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS close_runs (
    thread_id  TEXT PRIMARY KEY,
    month      TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    status     TEXT NOT NULL,          -- running | waiting | finished | failed
    detail     TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS close_runs_month ON close_runs(month, started_at);
"""


class CheckpointError(LedgerpilotError):
    """The checkpoint database cannot be opened."""


@dataclass(frozen=True)
class CloseRunRow:
    thread_id: str
    month: str
    run_id: str
    status: str
    detail: str
    started_at: str
    updated_at: str


@contextmanager
def open_checkpoints(home: Path) -> Iterator[tuple[object, CloseRuns]]:
    """``(saver, runs)``: a LangGraph ``SqliteSaver`` and the close-run list, on one SQLite file."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = Path(home) / CHECKPOINT_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
    except (OSError, sqlite3.Error) as exc:
        raise CheckpointError(f"cannot open the checkpoint database {path}: {exc}") from exc
    try:
        yield SqliteSaver(conn), CloseRuns(conn)
    finally:
        conn.close()


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class CloseRuns:
    """One row per close run; the LangGraph thread holds the run itself."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def start(self, month: str, run_id: str) -> CloseRunRow:
        thread_id = f"close-{month}-{run_id[:12]}"
        now = _now()
        with immediate_transaction(self._conn):
            self._conn.execute("INSERT INTO close_runs (thread_id, month, run_id, status, started_at, updated_at)"
                               " VALUES (?, ?, ?, 'running', ?, ?)", (thread_id, month, run_id, now, now))
        return self.get(thread_id)

    def set_status(self, thread_id: str, status: str, detail: str = "") -> None:
        with immediate_transaction(self._conn):
            self._conn.execute("UPDATE close_runs SET status = ?, detail = ?, updated_at = ? WHERE thread_id = ?",
                               (status, detail, _now(), thread_id))

    def get(self, thread_id: str) -> CloseRunRow:
        row = self._conn.execute("SELECT thread_id, month, run_id, status, detail, started_at, updated_at "
                                 "FROM close_runs WHERE thread_id = ?", (thread_id,)).fetchone()
        if row is None:
            raise CheckpointError(f"no close run {thread_id!r}")
        return CloseRunRow(*row)

    def latest(self, month: str) -> CloseRunRow | None:
        row = self._conn.execute("SELECT thread_id, month, run_id, status, detail, started_at, updated_at "
                                 "FROM close_runs WHERE month = ? ORDER BY started_at DESC, rowid DESC LIMIT 1",
                                 (month,)).fetchone()
        return CloseRunRow(*row) if row else None

    def all(self) -> list[CloseRunRow]:
        rows = self._conn.execute("SELECT thread_id, month, run_id, status, detail, started_at, updated_at "
                                  "FROM close_runs ORDER BY month DESC, started_at DESC, rowid DESC").fetchall()
        return [CloseRunRow(*row) for row in rows]


@dataclass(frozen=True)
class CloseRunStatus:
    """A stored close run and where it stands: its stage, the proposals it waits on, its blocking findings."""

    run: CloseRunRow
    stage: str
    pending: list[str]
    blocking: int
    report: dict


def close_status(settings: Any, month: Any = None) -> list[CloseRunStatus]:
    """The close runs (of one month, a :class:`~ledgerpilot.domain.month.Month`, or all), newest first, with
    where each stands (read from the checkpoints the close graph left; ``settings.home`` locates them)."""
    out = []
    with open_checkpoints(settings.home) as (saver, runs):
        rows = runs.all() if month is None else [r for r in runs.all() if r.month == month.label]
        for row in rows:
            checkpoint = saver.get_tuple({"configurable": {"thread_id": row.thread_id}})
            values = dict(checkpoint.checkpoint.get("channel_values", {})) if checkpoint else {}
            pending: list[str] = []
            for write in (checkpoint.pending_writes or []) if checkpoint else []:
                if write[1] == "__interrupt__":
                    for item in write[2] or []:
                        pending.extend(getattr(item, "value", {}).get("pending", []))
            blocking = sum(1 for f in values.get("findings", []) if f.get("severity") == "blocking")
            out.append(CloseRunStatus(row, str(values.get("stage", row.status)), pending, blocking,
                                      dict(values.get("report") or {})))
    return out
