"""Start, resume and inspect close runs: the close graph wired to Odoo, the stores and the checkpointer.

``run_close`` is what ``ledgerpilot close run`` (and later the scheduler) calls. For a month it

- resumes the latest run when that run is waiting for decisions or stopped on an error (an Odoo
  outage, a killed process): LangGraph's SQLite checkpointer has every finished step, so the run
  picks up at the step that did not finish;
- starts a new run otherwise (the month was never closed here, its last run finished, or ``new``).

It returns where the run stands: waiting (with the proposals that need a decision) or finished
(with the report's paths).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.types import Command

from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.config import OdooConnection, Settings
from ledgerpilot.domain.month import Month
from ledgerpilot.graphs.close import CloseDeps, build_close_graph
from ledgerpilot.memory.checkpoints import open_checkpoints

REPORT_DIR = "reports"


@dataclass(frozen=True)
class CloseRunOutcome:
    thread_id: str
    month: str
    run_id: str
    status: str                       # "waiting" | "finished"
    resumed: bool
    waiting_for: str = ""             # "proposals" | "lock_date" when waiting
    pending: list[str] = field(default_factory=list)
    state: dict = field(default_factory=dict)


def report_dir(settings: Settings) -> Path:
    return settings.home / REPORT_DIR


@contextmanager
def _client(connection: OdooConnection, cache_dir: Path, audit) -> Iterator[Any]:
    from ledgerpilot.odoo.connection import connect

    client = connect(connection, cache_dir=cache_dir)
    client.pull_hook = audit.pull_hook(connection.user)
    try:
        yield client
    finally:
        client.close()


def run_close(settings: Settings, month: Month, *, connection: OdooConnection, write_connection: OdooConnection,
              today: dt.date | None = None, new: bool = False,
              progress: Callable[[str, float | None], None] | None = None) -> CloseRunOutcome:
    """Run (or resume) the close of ``month`` until it waits for a person or finishes."""
    from ledgerpilot.memory.audit import AuditLog
    from ledgerpilot.memory.proposal_store import ProposalStore
    from ledgerpilot.memory.state import StateDB

    today = today or dt.date.today()
    db = StateDB.in_home(settings.home)
    audit = AuditLog(db)
    deps = CloseDeps(read_client=lambda: _client(connection, settings.cache_dir, audit),
                     write_client=lambda: _client(write_connection, settings.cache_dir, audit),
                     store=ProposalStore(db), audit=audit, config=CloseConfig.from_settings(settings),
                     report_dir=report_dir(settings), progress=progress)
    try:
        with open_checkpoints(settings.home) as (saver, runs):
            graph = build_close_graph(deps, saver)
            latest = None if new else runs.latest(month.label)
            resumed = latest is not None and latest.status != "finished"
            if resumed:
                row = latest
                config = {"configurable": {"thread_id": row.thread_id}}
                snapshot = graph.get_state(config)
                waiting = any(task.interrupts for task in snapshot.tasks)
                command: Any = Command(resume="continue") if waiting else None
                audit.record("close_run", actor="ledgerpilot", subject=row.thread_id,
                             details={"month": month.label, "event": "resumed", "from": row.status})
            else:
                row = runs.start(month.label, uuid.uuid4().hex)
                config = {"configurable": {"thread_id": row.thread_id}}
                command = {"month": month.label, "today": today.isoformat(), "run_id": row.run_id,
                           "stage": "started"}
                audit.record("close_run", actor="ledgerpilot", subject=row.thread_id,
                             details={"month": month.label, "event": "started", "today": today.isoformat()})
            runs.set_status(row.thread_id, "running")
            try:
                result = graph.invoke(command, config)
            except Exception as exc:
                runs.set_status(row.thread_id, "failed", str(exc)[:500])
                raise
            interrupts = result.get("__interrupt__") or []
            state = {k: v for k, v in result.items() if k != "__interrupt__"}
            if interrupts:
                value = interrupts[0].value
                pending = list(value.get("pending", []))
                runs.set_status(row.thread_id, "waiting", f"{len(pending)} proposal(s) wait for a decision "
                                                          f"({value.get('stage')})")
                return CloseRunOutcome(row.thread_id, month.label, row.run_id, "waiting", resumed,
                                       waiting_for=str(value.get("stage", "")), pending=pending, state=state)
            runs.set_status(row.thread_id, "finished", state.get("stage", ""))
            audit.record("close_run", actor="ledgerpilot", subject=row.thread_id,
                         details={"month": month.label, "event": "finished", "report": state.get("report", {})})
            return CloseRunOutcome(row.thread_id, month.label, row.run_id, "finished", resumed, state=state)
    finally:
        db.close()
