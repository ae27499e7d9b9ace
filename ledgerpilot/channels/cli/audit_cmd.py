"""``ledgerpilot audit verify``, ``audit anchor`` and ``audit log``: the keyed, anchored audit log.

``verify`` exits 0 when every entry's MAC and link holds and the anchors outside the database agree,
and 1 when the log was tampered with, naming the first entry that does not hold; either way it says up
to which entry the log is proven by an anchor. ``anchor`` writes the head of the log to the anchor file
now (write-backs, decisions and serve's daily job do it on their own).
"""

from __future__ import annotations

import typer
from rich.table import Table

from ledgerpilot.channels.cli.console import console, json_option, print_json, safe
from ledgerpilot.channels.cli.tables import fit
from ledgerpilot.config import load_settings
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.state import StateDB

app = typer.Typer(help="The audit log of every pull, proposal, decision and write (keyed, anchored outside the "
                       "database).", no_args_is_help=True)

JsonOpt = json_option()


def _audit() -> AuditLog:
    return AuditLog(StateDB.in_home(load_settings().home))


@app.command("verify")
def verify(as_json: bool = JsonOpt) -> None:
    """Walk the keyed chain and hold it against its anchors: exit 0 if intact, 1 if an entry was edited, deleted
    or moved; says up to which entry the log is proven."""
    result = _audit().verify()
    if as_json:
        print_json(result.to_dict())
    else:
        out = console()
        out.print(safe(str(result)))
        for extra in result.problems[1:]:
            out.print(f"  also: {safe(extra)}")
    if not result.ok:
        raise typer.Exit(1)


@app.command("anchor")
def anchor(as_json: bool = JsonOpt) -> None:
    """Append the head of the log (its last entry and MAC) to the anchor file now."""
    audit = _audit()
    made = audit.anchor(reason="ledgerpilot audit anchor")
    if as_json:
        print_json({"anchor": made.to_dict() if made else None, "file": str(audit.anchor_file)})
    elif made is None:
        console().print("The audit log is empty: nothing to anchor.")
    else:
        console().print(f"anchored entry {made.seq} ({made.hash[:16]}...) in {safe(audit.anchor_file)}")


@app.command("log")
def log(limit: int = typer.Option(20, "--limit", min=1, max=1_000_000, help="how many of the latest entries"),
        action: str | None = typer.Option(None, "--action", help="only this action (pull, decision, write, ...)"),
        subject: str | None = typer.Option(None, "--subject", help="only entries about this subject (a "
                                                                      "proposal id, a model)"),
        as_json: bool = JsonOpt) -> None:
    """The latest audit entries, oldest of them first."""
    entries = _audit().entries(limit=limit, action=action, subject=subject)
    if as_json:
        print_json([entry.to_dict() for entry in entries])
        return
    out = console()
    if not entries:
        out.print("The audit log is empty." if action is None and subject is None else "No matching audit entry.")
        return
    table = Table()
    for column in ("seq", "at (UTC)", "actor", "action", "subject", "details"):
        table.add_column(column)
    for entry in entries:
        details = ", ".join(f"{k}={v}" for k, v in entry.details.items() if k not in ("read",))
        table.add_row(str(entry.seq), entry.at.strftime("%Y-%m-%d %H:%M:%S"), safe(entry.actor), entry.action,
                      safe(entry.subject[:16]), safe(details[:160]))
    out.print(fit(table, out))
