"""Rich output of the close commands (tables for people) and their ``--json`` form."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ledgerpilot.channels.cli.console import safe
from ledgerpilot.channels.cli.tables import fit
from ledgerpilot.domain.money import format_amount

STATUS_STYLE = {"passed": "[green]passed[/]", "failed": "[red]failed[/]", "pending": "[yellow]to finish[/]",
                "skipped": "[dim]skipped[/]"}


def render_checklist(out: Console, month: str, company: str, checklist: list[dict], findings: list[dict]) -> None:
    blocking = [f for f in findings if f.get("severity") == "blocking"]
    verdict = ("[green]ready to lock[/]" if not blocking else
               f"[red]{len(blocking)} blocking finding{'s' if len(blocking) != 1 else ''}[/]")
    table = Table(title=f"Close readiness of {safe(month)} — {safe(company)}: {verdict}", title_justify="left")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail")
    for item in checklist:
        status = STATUS_STYLE.get(item["status"], safe(item["status"]))
        if item["status"] == "failed" and not item.get("blocking"):
            status = "[yellow]warning[/]"
        table.add_row(safe(item["title"]), status, safe(item["detail"]))
    out.print(fit(table, out))
    for finding in blocking[:10]:
        out.print(f"  [red]blocking[/] {safe(finding['title'])}: {safe(finding['reason'])}")
    if len(blocking) > 10:
        out.print(f"  ... and {len(blocking) - 10} more blocking findings")


def render_run(out: Console, outcome, store) -> None:
    state = outcome.state
    render_checklist(out, outcome.month, state.get("company", ""), state.get("checklist", []),
                     state.get("findings", []))
    matches = state.get("matches") or {}
    if matches:
        out.print(f"Bank lines: {matches.get('bank_lines', 0)} unreconciled, {matches.get('high', 0)} with a "
                  f"high-confidence match, {matches.get('medium', 0)} medium, {matches.get('low', 0)} low, "
                  f"{matches.get('unmatched', 0)} without a candidate.")
    flagged = state.get("trial_balance") or []
    if flagged:
        out.print(f"Trial balance: {len(flagged)} account{'s' if len(flagged) != 1 else ''} moved unusually "
                  f"({', '.join(safe(r['code']) for r in flagged[:8])}).")
    if outcome.status == "waiting":
        out.print(f"\n[bold]Waiting for decisions[/] ({safe(outcome.waiting_for)}): "
                  f"{len(outcome.pending)} proposal{'s' if len(outcome.pending) != 1 else ''}")
        for pid in outcome.pending:
            proposal = store.get(pid)
            out.print(f"  {proposal.id[:12]}  {proposal.kind:<15} {safe(proposal.title)}")
        out.print("Approve or reject them (`ledgerpilot proposals approve ID --user LOGIN`, "
                  "`ledgerpilot proposals reject ID --user LOGIN --note ...`), then run "
                  f"`ledgerpilot close run --period {outcome.month}` again to go on.")
        return
    lock = state.get("lock") or {}
    if lock.get("proposed"):
        out.print(f"Lock date {lock.get('date')}: {safe(lock.get('state', 'proposed'))}.")
    elif lock:
        out.print(f"Lock date {lock.get('date')} not proposed: {safe('; '.join(lock.get('reasons', [])))}.")
    for applied in state.get("applied", []):
        line = f"Applied: {safe(applied['title'])} -> {safe(applied['state'])}"
        if applied.get("error"):
            line += f" ({safe(applied['error'])})"
        out.print(line)
        for difference in applied.get("differences", []):
            out.print(f"  [yellow]Odoo changed:[/] {safe(difference)}")
    report = state.get("report") or {}
    if report:
        out.print(f"Report: {safe(report.get('markdown'))} and {safe(report.get('html'))}")


def run_json(outcome) -> dict[str, Any]:
    return {"thread_id": outcome.thread_id, "month": outcome.month, "run_id": outcome.run_id,
            "status": outcome.status, "resumed": outcome.resumed, "waiting_for": outcome.waiting_for,
            "pending": outcome.pending, **outcome.state}


def render_status(out: Console, statuses) -> None:
    if not statuses:
        out.print("No close run yet: start one with `ledgerpilot close run --period YYYY-MM`.")
        return
    table = Table(title="Close runs", title_justify="left")
    for column in ("month", "run", "status", "stage", "pending", "blocking", "updated", "report"):
        table.add_column(column)
    for status in statuses:
        run = status.run
        table.add_row(run.month, run.run_id[:12], run.status, safe(status.stage), str(len(status.pending)),
                      str(status.blocking), run.updated_at, safe(status.report.get("markdown", "")))
    out.print(fit(table, out))


def status_json(statuses) -> list[dict[str, Any]]:
    return [{"month": s.run.month, "thread_id": s.run.thread_id, "run_id": s.run.run_id, "status": s.run.status,
             "detail": s.run.detail, "stage": s.stage, "pending": s.pending, "blocking": s.blocking,
             "started_at": s.run.started_at, "updated_at": s.run.updated_at, "report": s.report}
            for s in statuses]


def render_matches(out: Console, month: str, summary: dict) -> None:
    out.print(f"Bank lines up to the end of {safe(month)}: {summary['bank_lines']} unreconciled, {summary['high']} "
              f"with a high-confidence match, {summary['medium']} medium, {summary['low']} low, "
              f"{summary['unmatched']} without a candidate.")
    if not summary["rows"]:
        return
    table = Table()
    for column in ("date", "label", "amount", "best candidate", "confidence", "why"):
        table.add_column(column, justify="right" if column in ("amount", "confidence") else "left")
    for row in summary["rows"]:
        table.add_row(row["date"], safe(row["label"]), format_amount(row["amount"], 2), safe(row["candidate"]),
                      f"{row['confidence']:.0%} {row['level']}", safe(row["reason"]))
    out.print(fit(table, out))
    out.print("Matches are suggestions: reconcile them in Odoo's bank reconciliation, where the match is made.")
