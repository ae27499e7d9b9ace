"""Tables and JSON for ``ledgerpilot anomalies scan|show|dispose`` and the demo's anomalies (no computation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from ledgerpilot.channels.cli.console import print_proposals, safe
from ledgerpilot.channels.cli.tables import fit
from ledgerpilot.domain.money import format_amount
from ledgerpilot.tools.anomalies.scan import AnomalyDetail, DisposeOutcome, ScanItem, ScanOutcome

DEMO_ANOMALIES_SHOWN = 5
#: proposals listed per alert shown (an activity, a note, sometimes a payment hold)
PROPOSALS_PER_ALERT_SHOWN = 2
STATUS_STYLE = {"alert": "bold red", "investigating": "yellow", "suppressed": "dim", "dismissed": "dim",
                "closed": "green", "below_threshold": ""}


def _status(status: str) -> str:
    style = STATUS_STYLE.get(status, "")
    word = status.replace("_", " ")
    return f"[{style}]{word}[/]" if style else word


def _who(item: ScanItem) -> str:
    anomaly = item.anomaly
    return safe(anomaly.partner or anomaly.user or "")


def _amount(item: ScanItem) -> str:
    return "" if item.anomaly.amount is None else format_amount(item.anomaly.amount, 2)


def _table(title: str, items: Sequence[ScanItem], currency: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column, justify in (("id", "left"), ("risk", "right"), ("status", "left"), ("kind", "left"),
                            ("partner / user", "left"), (f"amount {currency}", "right"), ("record", "left"),
                            ("finding", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for item in items:
        primary = item.anomaly.primary
        status = _status(item.status) + (" (new)" if item.new and item.alerted else "")
        table.add_row(item.key, f"{item.shown_risk:.2f}", status, item.anomaly.kind.replace("_", " "),
                      _who(item), _amount(item), safe(primary.name or f"{primary.model} {primary.id}"),
                      safe(item.anomaly.title))
    return table


def scan_json(outcome: ScanOutcome, top: int | None = None) -> dict[str, Any]:
    return outcome.to_dict(top=top)


def render_scan(out: Console, outcome: ScanOutcome, top: int | None = 20) -> None:
    """The scan: what was read, the alerts (highest risk first), then what was held back and why."""
    scope = ""
    if outcome.scope_counts is not None:
        counts = outcome.scope_counts
        scope = (f" ({counts.get('moves', 0)} entries, {counts.get('payments', 0)} payments, "
                 f"{counts.get('layers', 0)} valuation layers, {counts.get('orders', 0)} purchase orders changed)")
    out.print(f"[bold]Anomalies of {safe(outcome.company)}[/] on {outcome.today.isoformat()}: "
              f"{safe(outcome.since_note)}{scope}. Threshold {outcome.threshold:.2f}; scan {outcome.scan_id}.")
    alerts = outcome.alerts
    if alerts:
        shown = alerts if top is None else alerts[:top]
        out.print(fit(_table(f"Alerts ({len(alerts)}, {len(outcome.new_alerts)} new"
                         f"{', top ' + str(len(shown)) if len(shown) < len(alerts) else ''})",
                         shown, outcome.currency), out))
        for item in shown:
            if item.last_time:
                out.print(f"  {item.key}: {safe(item.last_time)}")
    else:
        out.print("No alerts: nothing at or above the threshold that was not already dispositioned.")
    held = outcome.suppressed
    if held:
        out.print(f"[bold]Held back[/] ({len(held)}: suppressed by a false-positive rule, dismissed or closed)")
        for item in held[: (top or len(held))]:
            out.print(f"  {item.key}  {_status(item.status)}  {safe(item.anomaly.title)} - {safe(item.reason)}")
    below = [item for item in outcome.items if item.status == "below_threshold"]
    if below:
        out.print(f"{len(below)} finding(s) below the threshold (`--min-score` lowers it; `--json` lists them).")
    for name, reason in outcome.skipped.items():
        out.print(f"[dim]detector {safe(name)} skipped: {safe(reason)}[/]")
    if outcome.memory_note:
        out.print(f"[yellow]memory:[/] {safe(outcome.memory_note)}")
    proposals = list(outcome.proposals)
    limit = PROPOSALS_PER_ALERT_SHOWN * (top or len(proposals) or 1)
    print_proposals(out, proposals[:limit], outcome.new_proposals,
                    "no new alert calls for one (alerts already proposed are not proposed again)")
    if len(proposals) > limit:
        out.print(f"  ... and {len(proposals) - limit} more: `ledgerpilot proposals list --state proposed`")
    if alerts:
        out.print("Details: `ledgerpilot anomalies show ID`; verdict: `ledgerpilot anomalies dispose ID "
                  "false-positive|investigate|corrected --note TEXT`.")


def render_demo_anomalies(out: Console, outcome: ScanOutcome) -> None:
    """The demo's part: the five riskiest findings and how many alerts there are."""
    items = list(outcome.items[:DEMO_ANOMALIES_SHOWN])
    out.print(f"[bold]Anomalies[/]: {len(outcome.alerts)} alert(s) among {len(outcome.items)} finding(s) "
              f"(threshold {outcome.threshold:.2f}); the {len(items)} riskiest:")
    if items:
        out.print(fit(_table("Top anomalies", items, outcome.currency), out))
    if outcome.memory_note:
        out.print(f"[yellow]memory:[/] {safe(outcome.memory_note)}")
    out.print(f"{outcome.new_proposals} new proposal(s) (activities, notes, payment holds) stored as proposed. "
              "The full list: `ledgerpilot anomalies scan` against an Odoo (docs/anomalies-review.md).")


def demo_json(outcome: ScanOutcome) -> dict[str, Any]:
    return outcome.to_dict(top=DEMO_ANOMALIES_SHOWN)


def render_detail(out: Console, detail: AnomalyDetail) -> None:
    stored = detail.stored
    anomaly = stored.anomaly
    out.print(f"[bold]{safe(anomaly.title)}[/]  (id {stored.key})")
    out.print(f"{safe(anomaly.reason)}")
    rows = [("detector / kind", f"{anomaly.detector} / {anomaly.kind}"), ("score", f"{anomaly.score:.2f}"),
            ("risk (last scan)", f"{stored.risk:.2f}"),
            ("amount", "" if anomaly.amount is None else format_amount(anomaly.amount, 2)),
            ("date", anomaly.occurred_on.isoformat() if anomaly.occurred_on else ""),
            ("partner", anomaly.partner or ""), ("user", anomaly.user or ""),
            ("first seen / last seen", f"{stored.first_seen.isoformat(sep=' ')} / {stored.last_seen.isoformat(sep=' ')}"),
            ("status", stored.disposition.disposition.replace("_", " ") if stored.disposition else "not dispositioned")]
    table = Table(show_header=False)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for name, value in rows:
        table.add_row(name, safe(value))
    for name, value in anomaly.figures.items():
        table.add_row(f"  {safe(name)}", safe(value))
    out.print(fit(table, out))
    out.print("[bold]Records[/] (the first is the one to open)")
    for ref in anomaly.records:
        out.print(f"  {ref.model} {ref.id}  {safe(ref.name)}")
    if detail.history:
        out.print("[bold]Dispositions[/]")
        for item in detail.history:
            out.print(f"  {item.at.isoformat(sep=' ')}  {item.disposition.replace('_', ' '):<15} by {safe(item.by)}: "
                      f"{safe(item.note)}")
    if detail.proposals:
        out.print("[bold]Proposals[/]")
        for proposal in detail.proposals:
            out.print(f"  {proposal.id[:12]}  {proposal.kind:<9} {proposal.state:<9} {safe(proposal.title)}")


def render_disposed(out: Console, outcome: DisposeOutcome) -> None:
    item = outcome.disposition
    out.print(f"Anomaly {item.key} ({safe(outcome.stored.anomaly.title)}) marked "
              f"[bold]{item.disposition.replace('_', ' ')}[/] by {safe(item.by)}: {safe(item.note)}")
    effect = {"false_positive": "it will not be alerted again, nor findings of the same pattern "
                                "(same detector, kind and subject)",
              "investigate": "it stays among the alerts, without new proposals",
              "corrected": "it is closed: it will not be alerted again"}[item.disposition]
    out.print(f"From the next scan on, {effect}.")
    if outcome.memory_note:
        out.print(f"[yellow]memory:[/] {safe(outcome.memory_note)}")
    else:
        out.print("Remembered in the exceptions memory: similar findings will say how this one ended.")
