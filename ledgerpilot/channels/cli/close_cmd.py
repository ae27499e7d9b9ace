"""``ledgerpilot close run|status|checks``: the month-end close.

``close run`` reviews a month (checks, trial balance, bank matches, adjusting entries), stores the
proposals and waits for decisions; run it again after approving or rejecting to apply what was
approved and reach the lock date. Exit codes: 0 finished or waiting for decisions (the JSON says
which), 1 a reported error, 2 bad usage, 3 Odoo unreachable.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

import typer

from ledgerpilot.channels.cli.console import console, json_option, parse_day, print_json, progress_steps
from ledgerpilot.channels.cli.render_close import (
    render_checklist,
    render_run,
    render_status,
    run_json,
    status_json,
)
from ledgerpilot.config import load_settings
from ledgerpilot.domain.month import Month
from ledgerpilot.errors import UsageError

app = typer.Typer(help="Month-end close: checks, bank matches, accruals, approvals, lock date, report.",
                  no_args_is_help=True)

JsonOpt = json_option()
PeriodOpt = typer.Option(None, "--period", help="the month to close, YYYY-MM; default: last month")
TodayOpt = typer.Option(None, "--today", help="the day the close is done (YYYY-MM-DD); default: today")


def _month(period: str | None, today: dt.date) -> Month:
    return Month.parse(period) if period is not None else Month.of(today).previous()


def _close_config(settings):
    """The configured close settings, the check names checked before anything connects."""
    from ledgerpilot.calc.close.checks import enabled_checks
    from ledgerpilot.calc.close.config import CloseConfig

    config = CloseConfig.from_settings(settings)
    enabled_checks(config)
    return config




@app.command("run")
def run(period: Optional[str] = PeriodOpt, today: Optional[str] = TodayOpt,
        new: bool = typer.Option(False, "--new", help="start a new run even if the last one is unfinished"),
        as_json: bool = JsonOpt) -> None:
    """Review the month and wait for decisions; run again to apply the approved proposals and go on."""
    from ledgerpilot.graphs.close_runner import run_close
    from ledgerpilot.memory.proposal_store import ProposalStore
    from ledgerpilot.memory.state import StateDB

    day = parse_day(today, "--today") or dt.date.today()
    month = _month(period, day)
    settings = load_settings()
    _close_config(settings)
    connection = settings.odoo.connection()
    write_connection = settings.odoo.write_connection()
    with progress_steps(not as_json) as step:
        outcome = run_close(settings, month, connection=connection, write_connection=write_connection, today=day,
                            new=new, progress=lambda message, fraction=None: step(f"close {month}: {message}",
                                                                                  fraction))
    if as_json:
        print_json(run_json(outcome))
        return
    with StateDB.in_home(settings.home) as db:
        render_run(console(), outcome, ProposalStore(db))


@app.command("status")
def status(period: Optional[str] = typer.Option(None, "--period", help="only this month (YYYY-MM)"),
           as_json: bool = JsonOpt) -> None:
    """The close runs: which month, where each stands, what waits for a decision, the report."""
    from ledgerpilot.memory.checkpoints import close_status

    month = Month.parse(period) if period is not None else None
    statuses = close_status(load_settings(), month)
    if as_json:
        print_json(status_json(statuses))
    else:
        render_status(console(), statuses)


@app.command("checks")
def checks(period: Optional[str] = PeriodOpt, today: Optional[str] = TodayOpt, as_json: bool = JsonOpt) -> None:
    """Only the close checks of a month (read-only: nothing is proposed or stored)."""
    from ledgerpilot.channels.cli.console import connected_client
    from ledgerpilot.graphs.close_summary import checklist_summary
    from ledgerpilot.tools.close.own_entries import approved_entries_in_home
    from ledgerpilot.tools.close.review import check_month

    day = parse_day(today, "--today") or dt.date.today()
    month = _month(period, day)
    settings = load_settings()
    config = _close_config(settings)
    with connected_client(settings.odoo.connection(), settings.cache_dir, not as_json) as (client, step):
        step(f"close checks of {month}")
        checklist = check_month(client, month, today=day, config=config,
                                own_entries=approved_entries_in_home(settings.home))
        company = client.company.name if client.company is not None else ""
    items = checklist_summary(checklist)
    findings = [f.model_dump(mode="json") for f in checklist.findings]
    if as_json:
        print_json({"company": company, "month": month.label, "checklist": items, "findings": findings})
    else:
        render_checklist(console(), month.label, company, items, findings)


@app.command("matches")
def matches(period: Optional[str] = PeriodOpt, today: Optional[str] = TodayOpt,
            level: Optional[str] = typer.Option(None, "--level", help="only matches of this confidence: high, medium "
                                                                      "or low"),
            as_json: bool = JsonOpt) -> None:
    """Candidate matches of the unreconciled bank lines up to the month's end (read-only)."""
    from ledgerpilot.calc.close.matching import MatchConfig, match_bank_lines
    from ledgerpilot.channels.cli.console import connected_client
    from ledgerpilot.channels.cli.render_close import render_matches
    from ledgerpilot.graphs.close_summary import match_summary
    from ledgerpilot.tools.close.reconciliation import load_reconciliation_data

    if level is not None and level not in ("high", "medium", "low"):
        raise UsageError(f"--level {level!r} is not one of high, medium, low")
    month = _month(period, parse_day(today, "--today") or dt.date.today())
    settings = load_settings()
    with connected_client(settings.odoo.connection(), settings.cache_dir, not as_json) as (client, step):
        step(f"bank lines up to {month.end}")
        data = load_reconciliation_data(client, as_of=month.end)
        result = match_bank_lines(data.bank_lines, data.open_items, config=MatchConfig.from_settings(settings))
        company = client.company.name if client.company is not None else ""
    summary = match_summary(result, data.bank_lines, limit=None)
    if level is not None:
        summary["rows"] = [row for row in summary["rows"] if row["level"] == level]
    if as_json:
        print_json({"company": company, "month": month.label, **summary})
    else:
        render_matches(console(), f"{month.label} — {company}" if company else month.label, summary)
