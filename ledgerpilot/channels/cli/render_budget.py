"""Tables and JSON for the budget, check-po, burn and memory commands (no computation here)."""

from __future__ import annotations

from typing import Any, Sequence

from rich.console import Console
from rich.table import Table

from ledgerpilot.channels.cli.console import print_proposals, safe
from ledgerpilot.channels.cli.tables import fit
from ledgerpilot.domain.money import format_amount
from ledgerpilot.tools.budget.watch import (
    BudgetOutcome,
    BurnOutcome,
    PoCheckOutcome,
    SimilarCase,
    line_key,
    risk_id,
)

TIER_STYLE = {"high": "bold red", "medium": "yellow", "note": "cyan", "ok": "green"}
DEMO_RISKS_SHOWN = 5


def _m(value: Any) -> str:
    return "-" if value is None else format_amount(value, 2)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _tier(tier: str) -> str:
    return f"[{TIER_STYLE.get(tier, '')}]{tier}[/]"


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json") if hasattr(model, "model_dump") else model


# ---------------------------------------------------------------------------------------------- status


def budget_json(outcome: BudgetOutcome, top: int | None = None) -> dict[str, Any]:
    """The machine form: summary first, then every line (or only the ``top`` risks, worst first, without
    the per-account and per-plan totals) with the past cases like each."""
    report = _dump(outcome.report)
    lines = outcome.at_risk[:top] if top is not None else list(outcome.report.lines)
    return {
        "run_id": outcome.run_id,
        "company": outcome.company,
        "currency": outcome.currency,
        "period": outcome.period,
        "period_start": outcome.period_start.isoformat(),
        "period_end": outcome.period_end.isoformat(),
        "as_of": outcome.as_of.isoformat(),
        "source": {"kind": outcome.source_kind, "reason": outcome.source_reason},
        "tiers": tier_counts(outcome),
        "findings": list(outcome.report.findings),
        "lines": [{**_dump(line),
                   "memory_id": risk_id(outcome.source_kind, line) if line.tier != "ok" else None,
                   "similar": [c.model_dump(mode="json") for c in outcome.similar.get(line_key(line), ())]}
                  for line in lines],
        "proposals": [p.model_dump(mode="json") for p in outcome.proposals],
        "new_proposals": outcome.new_proposals,
        "memory": {"used": outcome.memory_note is None, "note": outcome.memory_note,
                   "recorded_exceptions": outcome.recorded_exceptions},
        "timings": outcome.timings.model_dump(mode="json"),
        "accounts": report["accounts"] if top is None else [],
        "plans": report["plans"] if top is None else [],
    }


def tier_counts(outcome: BudgetOutcome) -> dict[str, int]:
    counts = {tier: 0 for tier in ("high", "medium", "note", "ok")}
    for line in outcome.report.lines:
        counts[line.tier] = counts.get(line.tier, 0) + 1
    return counts


def _line_table(title: str, lines: Sequence[Any]) -> Table:
    table = Table(title=title, title_justify="left")
    for name in ("Account", "Position", "Period", "Planned", "Actual", "Committed", "Available", "Used",
                 "Projected", "Overspend", "Tier"):
        table.add_column(name, justify="left" if name in ("Account", "Position", "Period", "Tier") else "right")
    for line in lines:
        table.add_row(safe(line.analytic_account_name), safe(line.position_name or "-"),
                      f"{line.date_from} to {line.date_to}", _m(line.planned), _m(line.actual), _m(line.committed),
                      _m(line.available), _pct(line.utilisation), _m(line.projected_end),
                      _pct(line.projected_overspend_pct), _tier(line.tier))
    return table


def _similar(out: Console, cases: Sequence[SimilarCase]) -> None:
    for case in cases:
        done = f"resolved: {safe(case.resolution)}" if case.resolution else f"{case.status}, no resolution recorded"
        out.print(f"      similar ({case.similarity:.2f}) {case.occurred_on} {safe(case.title)} - {done}")


def render_risks(out: Console, outcome: BudgetOutcome, limit: int | None = None) -> None:
    """The lines at risk (worst first) with their reasons and the past cases like them."""
    risks = outcome.at_risk[:limit] if limit is not None else outcome.at_risk
    if not risks:
        out.print("No budget line at risk: every line is on track.")
        return
    out.print(fit(_line_table("Budget lines at risk (worst first)", risks), out))
    for line in risks:
        out.print(f"  {_tier(line.tier)} {safe(line.reason)}")
        if outcome.memory_note is None:
            out.print(f"      memory id: {safe(risk_id(outcome.source_kind, line))}")
        _similar(out, outcome.similar.get(line_key(line), ()))


def render_proposals(out: Console, outcome: BudgetOutcome) -> None:
    print_proposals(out, outcome.proposals, outcome.new_proposals, "no budget line calls for one.")
    if outcome.memory_note:
        out.print(f"Note: {safe(outcome.memory_note)}")
    elif outcome.recorded_exceptions:
        out.print(f"{outcome.recorded_exceptions} risk(s) recorded in the exceptions memory as open "
                  "(resolve them with `ledgerpilot memory resolve ID --resolution ...`).")


def render_budget(out: Console, outcome: BudgetOutcome) -> None:
    counts = tier_counts(outcome)
    out.print(f"[bold]Budget[/] {safe(outcome.company)}: period {outcome.period} ({outcome.period_start} to "
              f"{outcome.period_end}), as of {outcome.as_of}, {outcome.currency}")
    out.print(f"Source: {outcome.source_kind} - {safe(outcome.source_reason)}")
    out.print(f"Lines: {len(outcome.report.lines)}; high {counts['high']}, medium {counts['medium']}, "
              f"note {counts['note']}, ok {counts['ok']}")
    for finding in outcome.report.findings:
        out.print(f"Note: {safe(finding)}")
    if outcome.report.lines:
        out.print(fit(_line_table("Budget vs actual vs committed (spending budgets as positive amounts)",
                              outcome.report.lines), out))
    render_risks(out, outcome)
    out.print("")
    render_proposals(out, outcome)
    out.print(f"Extraction {outcome.timings.extraction_seconds:.2f}s, computation "
              f"{outcome.timings.compute_seconds:.2f}s.")


def render_demo_budget(out: Console, outcome: BudgetOutcome) -> None:
    """The budget part of ``ledgerpilot demo``: the top risks of the current period and the proposals."""
    counts = tier_counts(outcome)
    out.print(f"[bold]Budget risks[/] {outcome.period} ({outcome.period_start} to {outcome.period_end}): "
              f"high {counts['high']}, medium {counts['medium']}, note {counts['note']}, ok {counts['ok']} "
              f"(source: {outcome.source_kind})")
    render_risks(out, outcome, limit=DEMO_RISKS_SHOWN)
    render_proposals(out, outcome)


# -------------------------------------------------------------------------------------------- check-po


def check_po_json(outcome: PoCheckOutcome) -> dict[str, Any]:
    return {"company": outcome.company, "period": outcome.period, "source": outcome.source_kind,
            **_dump(outcome.check)}


def _verdict(fits: bool | None) -> str:
    if fits is None:
        return "[yellow]cannot be checked[/]"
    return "[green]fits the budget[/]" if fits else "[bold red]does NOT fit the budget[/]"


def render_check_po(out: Console, outcome: PoCheckOutcome) -> None:
    check = outcome.check
    out.print(f"[bold]Purchase order {safe(check.order_name)}[/] ({safe(check.order_state)}, "
              f"{safe(check.partner_name)}): {_verdict(check.fits)}; {_m(check.total)} {check.currency} still to "
              f"be billed, as of {check.as_of}")
    if check.accounts:
        table = Table(title="Per analytic account", title_justify="left")
        for name in ("Account", "Budget line", "Period", "Order share", "Planned", "Available before",
                     "Available after", "Fits"):
            table.add_column(name, justify="left" if name in ("Account", "Budget line", "Period", "Fits") else "right")
        for row in check.accounts:
            line = f"{row.budget_name} / {row.position_name}" if row.line_key else "no budget line"
            period = f"{row.date_from} to {row.date_to}" if row.date_from else "-"
            fits = "-" if row.fits is None else ("yes" if row.fits else "[red]no[/]")
            table.add_row(safe(row.analytic_account_name), safe(line), period, _m(row.amount), _m(row.planned),
                          _m(row.available_before), _m(row.available_after), fits)
        out.print(fit(table, out))
        for row in check.accounts:
            out.print(f"  {safe(row.analytic_account_name)}: {safe(row.reason)}")
    if check.unallocated:
        lines = ", ".join(str(i) for i in check.unallocated_po_line_ids)
        out.print(f"{_m(check.unallocated)} {check.currency} of the order has no analytic distribution "
                  f"(lines {lines}): not checked against any budget.")
    out.print(safe(check.reason))


# ------------------------------------------------------------------------------------------------ burn


def burn_json(outcome: BurnOutcome) -> dict[str, Any]:
    return {"company": outcome.company, "currency": outcome.currency, "as_of": outcome.as_of.isoformat(),
            "period": outcome.period, "source": outcome.source_kind, **_dump(outcome.burn)}


def render_burn(out: Console, outcome: BurnOutcome) -> None:
    b = outcome.burn
    out.print(f"[bold]Project {safe(b.project_name)}[/] (analytic account {safe(b.analytic_account_name)}), "
              f"as of {outcome.as_of}, {outcome.currency}")
    table = Table(show_header=False)
    table.add_column("", justify="left")
    table.add_column("", justify="right")
    for label, value in (("Budget", _m(b.budget)), ("Cost to date", _m(b.cost_to_date)),
                         ("Committed (open purchase orders)", _m(b.committed)),
                         ("Projected final cost", _m(b.projected_final_cost)),
                         ("Burn rate per day", _m(b.burn_rate)),
                         ("Budget runs out on", str(b.runout_date) if b.runout_date else "not at the current rate")):
        table.add_row(label, value)
    out.print(fit(table, out))
    out.print(safe(b.reason))


# ---------------------------------------------------------------------------------------------- memory


def memory_hits_json(hits: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"similarity": round(float(h.similarity), 4), **h.exception.model_dump(mode="json")} for h in hits]


def render_memory_hits(out: Console, query: str, hits: Sequence[Any]) -> None:
    if not hits:
        out.print(f"No past exception in the memory resembles {safe(query)!r}.")
        return
    table = Table(title=f"Past exceptions most similar to {safe(query)!r}", title_justify="left")
    for name in ("Similarity", "Id", "Date", "Kind", "Category", "Title", "Status", "Resolution"):
        table.add_column(name, justify="right" if name == "Similarity" else "left")
    for h in hits:
        e = h.exception
        table.add_row(f"{h.similarity:.2f}", safe(e.id), str(e.occurred_on), safe(e.kind), safe(e.category),
                      safe(e.title), safe(e.status), safe(e.resolution or "-"))
    out.print(fit(table, out))
