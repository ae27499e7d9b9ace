"""``ledgerpilot anomalies scan|show|dispose``: find anomalies, look at one, record a reviewer's verdict.

Exit codes: 0 success; 1 a reported error; 2 bad usage (an unknown disposition, an ambiguous id,
a malformed --since); 3 Odoo unreachable.
"""

from __future__ import annotations

import datetime as dt
import getpass

import typer

from ledgerpilot.channels.cli.console import console, finite_number, json_option, parse_day, print_json
from ledgerpilot.config import load_settings

app = typer.Typer(help="Anomalies: scan the books, show a finding, record a reviewer's disposition.",
                  no_args_is_help=True)

JsonOpt = json_option()




@app.command("scan")
def scan(since: str | None = typer.Option(None, "--since", help="only what changed since this ISO date or "
                                                                  "date-time (UTC), or 'last' (since the last scan "
                                                                  "of this Odoo); default: the whole history"),
         min_score: float | None = typer.Option(None, "--min-score", callback=finite_number("--min-score"), help="alert threshold (0-1) for this scan; "
                                                                            "default: LEDGERPILOT_ANOMALY_MIN_SCORE"),
         today: str | None = typer.Option(None, "--today", help="the day of the scan (YYYY-MM-DD); default: today"),
         top: int = typer.Option(20, "--top", min=1, help="alerts shown in the table"),
         no_memory: bool = typer.Option(False, "--no-memory", help="do not look up similar past findings"),
         as_json: bool = JsonOpt) -> None:
    """Scan the books for anomalies, alert on the new ones and propose activities and notes for them."""
    from ledgerpilot.channels.cli.console import connected_client
    from ledgerpilot.channels.cli.render_anomalies import render_scan, scan_json
    from ledgerpilot.tools.anomalies.scan import AnomalyUsageError, parse_since, scan_anomalies

    day = parse_day(today, "--today") or dt.date.today()
    chosen = parse_since(since)
    if min_score is not None and not 0 < min_score <= 1:
        raise AnomalyUsageError(f"--min-score must be above 0 and at most 1, not {min_score}")
    settings = load_settings()
    with connected_client(settings.odoo.connection(), settings.cache_dir, not as_json) as (client, step):
        outcome = scan_anomalies(client, settings.home, today=day, since=chosen, min_score=min_score,
                                 progress=lambda message: step(f"anomalies: {message}"), settings=settings,
                                 use_memory=not no_memory)
    if as_json:
        print_json(scan_json(outcome))
    else:
        render_scan(console(), outcome, top=top)


@app.command("show")
def show(anomaly_id: str = typer.Argument(..., help="the anomaly's id (or its first characters)"),
         as_json: bool = JsonOpt) -> None:
    """One anomaly from any earlier scan: its reason, figures, records, dispositions and proposals."""
    from ledgerpilot.channels.cli.render_anomalies import render_detail
    from ledgerpilot.tools.anomalies.scan import show_anomaly

    detail = show_anomaly(load_settings().home, anomaly_id)
    if as_json:
        print_json(detail.to_dict())
    else:
        render_detail(console(), detail)


@app.command("dispose")
def dispose(anomaly_id: str = typer.Argument(..., help="the anomaly's id (or its first characters)"),
            disposition: str = typer.Argument(..., help="false-positive, investigate or corrected"),
            note: str = typer.Option(..., "--note", help="why: what was found, what was done"),
            by: str | None = typer.Option(None, "--by", help="the reviewer's name; default: the system user"),
            no_memory: bool = typer.Option(False, "--no-memory", help="do not record it in the exceptions memory"),
            as_json: bool = JsonOpt) -> None:
    """Record a reviewer's verdict: a false positive is not alerted again (nor its pattern), investigate keeps
    it alerted without new proposals, corrected closes it."""
    from ledgerpilot.channels.cli.render_anomalies import render_disposed
    from ledgerpilot.memory.dispositions import normalise_disposition
    from ledgerpilot.tools.anomalies.scan import dispose_anomaly

    word = normalise_disposition(disposition)
    reviewer = by if by is not None else getpass.getuser()
    outcome = dispose_anomaly(load_settings().home, anomaly_id, word, note=note, by=reviewer,
                              use_memory=not no_memory)
    if as_json:
        print_json(outcome.to_dict())
    else:
        render_disposed(console(), outcome)
