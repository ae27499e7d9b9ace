"""``ledgerpilot memory ...``: the memory of past exceptions (search, and add/resolve/delete by hand).

The memory lives in ``$LEDGERPILOT_HOME/memory``; budget runs record their risks there, and people
record what they did about them (``memory resolve``) so that the next similar risk says what
happened last time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Optional

import typer
from pydantic import ValidationError

from ledgerpilot.channels.cli.console import console, json_option, parse_day, print_json, safe
from ledgerpilot.channels.cli.render_budget import memory_hits_json, render_memory_hits
from ledgerpilot.config import load_settings
from ledgerpilot.errors import LedgerpilotError, UsageError
from ledgerpilot.tools.budget.watch import MEMORY_FOLDER

app = typer.Typer(help="The memory of past exceptions and how they were resolved.", no_args_is_help=True)

JsonOpt = json_option()


class MemoryUsageError(LedgerpilotError):
    """A memory option is malformed (a date or an amount)."""

    exit_code = 2


class ExceptionNotFound(LedgerpilotError):
    """No exception with the id asked for is in the memory."""


def memory_path() -> Path:
    return load_settings().home / MEMORY_FOLDER


def open_memory():
    """The exceptions memory of the configured home (the model loads on first use, offline)."""
    from ledgerpilot.memory.exceptions import ExceptionMemory

    return ExceptionMemory(memory_path())


def _get(memory, exception_id: str):
    try:
        found = memory.get(exception_id)
    except LedgerpilotError:
        found = None
    if found is None:
        raise ExceptionNotFound(f"no exception with id {exception_id!r} in the memory at {memory_path()}")
    return found


@app.command("search")
def search(text: str = typer.Argument(..., help="what happened, in words"),
           k: int = typer.Option(3, "--k", min=1, max=100, help="how many past exceptions to show"),
           kind: Optional[str] = typer.Option(None, "--kind", help="only this kind (budget_overrun, anomaly, "
                                                                   "close_finding, ...)"),
           as_json: bool = JsonOpt) -> None:
    """The past exceptions most similar to TEXT, with how they were resolved."""
    hits = open_memory().search(text, k=k, kind=kind)
    if as_json:
        print_json({"query": text, "kind": kind, "results": memory_hits_json(hits)})
    else:
        render_memory_hits(console(), text, hits)


@app.command("add")
def add(kind: str = typer.Option(..., "--kind", help="budget_overrun, anomaly, close_finding, ..."),
        category: str = typer.Option(..., "--category", help="a short category, e.g. 'duplicate vendor bill'"),
        title: str = typer.Option(..., "--title", help="one line"),
        text: str = typer.Option(..., "--text", help="what happened, with the figures"),
        resolution: Optional[str] = typer.Option(None, "--resolution", help="what was done about it (marks it "
                                                                             "resolved)"),
        partner: str = typer.Option("", "--partner", help="the partner concerned, if any"),
        amount: Optional[str] = typer.Option(None, "--amount", help="the amount at stake, e.g. 1250.00"),
        occurred_on: Optional[str] = typer.Option(None, "--date", help="when it happened (YYYY-MM-DD); default: "
                                                                       "today"),
        exception_id: Optional[str] = typer.Option(None, "--id", help="an id of your own (default: generated); "
                                                                      "adding the same id again replaces it"),
        as_json: bool = JsonOpt) -> None:
    """Record a past exception by hand (for example from before ledgerpilot was used)."""
    from ledgerpilot.memory.exceptions import PastException

    try:
        day = parse_day(occurred_on, "--date") if occurred_on else dt.date.today()
    except UsageError as exc:
        raise MemoryUsageError(str(exc)) from None
    try:
        value = None if amount is None else Decimal(amount.replace(",", ""))
    except InvalidOperation:
        raise MemoryUsageError(f"--amount {amount[:40]!r} is not a number such as 1250.00") from None
    if value is not None and (not value.is_finite() or abs(value) > Decimal(10) ** 15):
        raise MemoryUsageError(f"--amount {amount[:40]!r} is not an amount such as 1250.00")
    try:
        item = PastException(id=exception_id or f"manual:{uuid.uuid4().hex[:16]}", kind=kind, category=category,
                             title=title, text=text, occurred_on=day, partner=partner, amount=value,
                             resolution=resolution, status="resolved" if resolution else "open", metadata={})
    except ValidationError as exc:
        problems = "; ".join(f"--{'-'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors(include_input=False))
        raise MemoryUsageError(problems) from None
    memory = open_memory()
    memory.add([item])
    if as_json:
        print_json(item.model_dump(mode="json"))
    else:
        console().print(f"added {safe(item.id)} ({item.status}); the memory holds {memory.count()} exception(s)")


@app.command("resolve")
def resolve(exception_id: str = typer.Argument(..., help="the exception's id (see `memory search`)"),
            resolution: str = typer.Option(..., "--resolution", help="what was done about it"),
            status: str = typer.Option("resolved", "--status", help="resolved, false_positive, ..."),
            as_json: bool = JsonOpt) -> None:
    """Record how an exception was resolved; the next similar risk will say so."""
    memory = open_memory()
    _get(memory, exception_id)
    item = memory.resolve(exception_id, resolution, status=status)
    if as_json:
        print_json(item.model_dump(mode="json"))
    else:
        console().print(f"{safe(item.id)} is now {safe(item.status)}: {safe(item.resolution)}")


@app.command("delete")
def delete(exception_id: str = typer.Argument(..., help="the exception's id"),
           as_json: bool = JsonOpt) -> None:
    """Remove an exception from the memory."""
    memory = open_memory()
    _get(memory, exception_id)
    memory.delete(exception_id)
    if as_json:
        print_json({"deleted": exception_id, "count": memory.count()})
    else:
        console().print(f"deleted {safe(exception_id)}; the memory holds {memory.count()} exception(s)")
