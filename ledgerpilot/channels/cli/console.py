"""Rich consoles and progress display shared by the CLI commands."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


def console() -> Console:
    return Console(highlight=False)


def error_console() -> Console:
    return Console(stderr=True, highlight=False)


def safe(text: Any) -> str:
    """Text from Odoo (partner names, labels) is data: never let it be read as Rich markup."""
    return escape(str(text))


def parse_day(text: str | None, option: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` command-line value (None stays None); a :class:`UsageError` naming the option."""
    from ledgerpilot.errors import UsageError

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date such as 2026-11-18") from None


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


@contextmanager
def progress_steps(enabled: bool = True) -> Iterator[Callable[..., None]]:
    """A progress display on stderr; yields ``step(message, fraction=None)``."""
    if not enabled:
        yield lambda *_a, **_k: None
        return
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                        console=error_console(), transient=True)
    with progress:
        task = progress.add_task("starting", total=1.0)

        def step(message: str, fraction: float | None = None) -> None:
            progress.update(task, description=safe(message),
                            completed=fraction if fraction is not None else progress.tasks[0].completed)

        yield step


@contextmanager
def connected_client(connection, cache_dir, show_progress: bool = True) -> Iterator[tuple[Any, Callable[..., None]]]:
    """Connect to ``connection`` under a progress display; yields ``(client, step)``, closes after.

    Every read the client makes is recorded in the audit log of LEDGERPILOT_HOME (one entry per call).
    """
    from ledgerpilot.config import load_settings
    from ledgerpilot.memory.audit import AuditLog
    from ledgerpilot.odoo.connection import connect

    with progress_steps(show_progress) as step:
        step(f"connecting to {connection.url}")
        client = connect(connection, cache_dir=cache_dir)
        audit = AuditLog.in_home(load_settings().home)
        client.pull_hook = audit.pull_hook(connection.user)
        try:
            yield client, step
        finally:
            client.close()
            audit.db.close()


def json_option():
    """The ``--json`` option every reporting command offers."""
    import typer

    return typer.Option(False, "--json", help="print machine-readable JSON instead of tables")


def print_proposals(out: Console, proposals, new_count: int, none_reason: str) -> None:
    """The proposals a run made (stored as proposed), or why there are none."""
    if not proposals:
        out.print(f"No proposals: {none_reason}")
        return
    out.print(f"[bold]Proposals[/] ({new_count} new, stored as proposed; "
              "they need a human approval before anything is written to Odoo)")
    for proposal in proposals:
        out.print(f"  {proposal.id[:12]}  {proposal.kind:<16} {safe(proposal.title)}")
