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


#: The years a date given to ledgerpilot may fall in (books older or newer are a typo, not a request).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def parse_day(text: str | None, option: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` command-line value (None stays None); a :class:`UsageError` naming the option."""
    from ledgerpilot.errors import UsageError

    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text.strip()) if text.strip().isascii() else None
    except ValueError:
        day = None
    if day is None:
        raise UsageError(f"{option} {text[:40]!r} is not a date such as 2026-11-18")
    return check_year(day, option)


def check_year(day, option: str):
    """``day`` (a date or date-time) when its year is between 1900 and 2999, else a :class:`UsageError`."""
    from ledgerpilot.errors import UsageError

    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise UsageError(f"{option} {day.isoformat()}: the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return day


def finite_number(option: str):
    """A typer callback refusing NaN and infinities (``nan``, ``inf``, ``1e309``) for a float option."""
    import math

    from ledgerpilot.errors import UsageError

    def check(value):
        if value is not None and not math.isfinite(value):
            raise UsageError(f"{option} must be a finite number, not {value}")
        return value

    return check


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
    """The proposals a run made (stored as proposed), or why there are none; one made before and no longer
    waiting says its state (a failed one, how to retry it)."""
    if not proposals:
        out.print(f"No proposals: {none_reason}")
        return
    out.print(f"[bold]Proposals[/] ({new_count} new, stored as proposed; "
              "they need a human approval before anything is written to Odoo)")
    for proposal in proposals:
        state = ""
        if proposal.state == "failed":
            state = (f"  [red]made before and its write failed[/]: `ledgerpilot proposals retry {proposal.id[:12]}` "
                     "once the cause is fixed")
        elif proposal.state != "proposed":
            state = f"  (made before: {proposal.state})"
        out.print(f"  {proposal.id[:12]}  {proposal.kind:<16} {safe(proposal.title)}{state}")
