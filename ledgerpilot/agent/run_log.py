"""The run log: every model call, as it was sent and answered, in plain JSON Lines files.

The audit log says *that* a model was called (who, which model, tokens, whether it worked); the run
log keeps *what* was said — the prompt, the tools offered, the reply — so an answer can be replayed,
debugged or evaluated later. Prompts can be large and hold business data, which is why they live here
and not in the hash-chained audit log.

Files live under ``<home>/runs/``, one per UTC day (``2026-11-18.jsonl``), one JSON object per line.
A line is appended with a single ``write`` on a file opened for appending, under a thread lock and
(where the platform has one) an exclusive ``flock``, so threads and processes sharing a home never
interleave half lines. Nothing is ever rewritten; old days can be archived or deleted by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.jsonsafe import json_safe

try:  # POSIX advisory locks keep several processes from interleaving lines
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock and O_APPEND still hold within a process
    fcntl = None  # type: ignore[assignment]

RUNS_FOLDER = "runs"


class RunLogError(LedgerpilotError):
    """The run log cannot be written or read (a full disk, a folder without permission, a damaged line)."""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _day_of(at: Any) -> dt.date:
    """The UTC day an event belongs to, from its ``at`` (ISO text or datetime)."""
    if isinstance(at, str):
        try:
            at = dt.datetime.fromisoformat(at)
        except ValueError as exc:
            raise RunLogError(f"a run log event's 'at' must be an ISO timestamp, not {at!r}") from exc
    if not isinstance(at, dt.datetime):
        raise RunLogError(f"a run log event's 'at' must be a timestamp, not {at!r}")
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).date()


class RunLog:
    """Append-only JSONL files of model calls, one file per UTC day."""

    _locks: ClassVar[dict[Path, threading.Lock]] = {}
    _locks_guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        with RunLog._locks_guard:  # one lock per folder, shared by every RunLog over it in this process
            self._lock = RunLog._locks.setdefault(self.folder.resolve(), threading.Lock())

    @classmethod
    def in_home(cls, home: Path) -> RunLog:
        """The run log of a ledgerpilot home (``<home>/runs``)."""
        return cls(Path(home) / RUNS_FOLDER)

    def path_for(self, day: dt.date) -> Path:
        return self.folder / f"{day.isoformat()}.jsonl"

    def write(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Append one event; ``at`` (UTC, ISO) is added when missing. Returns the event as written."""
        entry = json_safe(dict(event))
        entry.setdefault("at", _utc_now().isoformat(timespec="milliseconds"))
        path = self.path_for(_day_of(entry["at"]))
        line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self._lock, _locked_append(path) as fd:
                os.write(fd, line)
        except OSError as exc:
            raise RunLogError(f"cannot append to the run log {path}: {exc.strerror or exc}") from exc
        return entry

    def files(self) -> list[Path]:
        """The day files, oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.glob("*.jsonl") if p.is_file())

    def entries(self, run_id: str | None = None, *, day: dt.date | None = None) -> list[dict[str, Any]]:
        """Every event, oldest first; only one run's with ``run_id``, only one UTC day's with ``day``."""
        paths = [self.path_for(day)] if day is not None else self.files()
        found = []
        for path in paths:
            for entry in self._read(path):
                if run_id is None or entry.get("run_id") == run_id:
                    found.append(entry)
        return found

    def _read(self, path: Path) -> Iterator[dict[str, Any]]:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise RunLogError(f"cannot read the run log {path}: {exc.strerror or exc}") from exc
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise RunLogError(f"line {number} of the run log {path} is not JSON: {exc}") from exc


@contextmanager
def _locked_append(path: Path) -> Iterator[int]:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # closing releases the flock
