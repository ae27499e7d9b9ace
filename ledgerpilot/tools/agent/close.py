"""The agent's close, anomaly and review-queue tools: close readiness of a month, the riskiest anomalies,
the proposals waiting for a controller.

Thin adapters: the close checks of :mod:`ledgerpilot.tools.close.review` (read only, once per month and
context), the stored close runs of :mod:`ledgerpilot.graphs.close_runner`, the anomaly scan of
:mod:`ledgerpilot.tools.anomalies.scan` (once per context) and the proposal store in the home folder.
"""

from __future__ import annotations

import typing
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ledgerpilot.domain.month import Month
from ledgerpilot.domain.proposal import Proposal, ProposalKind
from ledgerpilot.tools.agent.references import company_of
from ledgerpilot.tools.agent.toolkit import Citation, ToolContext, ToolError, ToolOutput, tool

FINDINGS_SHOWN = 8
RECORDS_CITED_PER_ITEM = 3
SUMMARY_LENGTH = 300
#: evidence figures that carry a proposal's key amount, in the order they are looked for
AMOUNT_FIGURES = ("amount", "total", "transfer_amount", "hold_order_amount", "residual")
ENTRY_KINDS = ("adjusting_entry", "accrual", "reversal")
#: anomaly statuses a reviewer already settled: never listed as risks
SETTLED = ("dismissed", "closed", "suppressed")
PROPOSAL_KINDS: tuple[str, ...] = typing.get_args(ProposalKind)


class CloseStatusArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str | None = Field(default=None, max_length=10,
                              description="the month to look at, YYYY-MM (e.g. 2026-10); omit for the current month")


class AnomaliesArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=10, ge=1, le=50, description="how many anomalies to list, riskiest first")
    min_score: float | None = Field(default=None, ge=0, le=1,
                                    description="only anomalies whose risk (0-1) is at least this; omit for the "
                                                "configured alert threshold")
    detector: str | None = Field(default=None, max_length=64,
                                 description="only this detector, e.g. duplicate_bills, amount_outliers, "
                                             "round_amounts, unit_cost_jumps")


class PendingProposalsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str | None = Field(default=None, max_length=32,
                             description=f"only this kind: {', '.join(PROPOSAL_KINDS)}")
    limit: int = Field(default=20, ge=1, le=100, description="how many to list, newest first")


def _cite_refs(ctx: ToolContext, refs: Any, cited: dict[tuple[str, int], Citation], limit: int) -> None:
    for ref in list(refs)[:limit]:
        key = (ref.model, int(ref.id))
        if key not in cited:
            named = ref.name if ref.name and ref.name != "/" else f"{ref.model} {ref.id}"   # drafts are named "/"
            cited[key] = ctx.cite(ref.model, ref.id, named)


# ---------------------------------------------------------------------------------------------- close


def _month(ctx: ToolContext, text: str | None) -> Month:
    month = Month.parse(text) if text else Month.of(ctx.today)     # MonthError says how to write it
    if month.start > ctx.today:
        raise ToolError(f"{month} has not started yet (today is {ctx.today.isoformat()}): there is nothing to "
                        "close; ask about the current or an earlier month")
    return month


def _checklist(ctx: ToolContext, month: Month):
    from ledgerpilot.calc.close.config import CloseConfig
    from ledgerpilot.tools.close.own_entries import approved_entries_in_home
    from ledgerpilot.tools.close.review import check_month

    return ctx.memo(("close_checklist", month.label, ctx.today),
                    lambda: check_month(ctx.client, month, today=ctx.today,
                                        config=CloseConfig.from_settings(ctx.settings),
                                        own_entries=approved_entries_in_home(ctx.settings.home)))


def _latest_run(settings: Any, month: Month) -> dict[str, Any] | None:
    """The newest stored close run of ``month`` and where it stands (None when it was never run here;
    nothing is created just to find that out)."""
    from ledgerpilot.memory.checkpoints import CHECKPOINT_FILE
    from ledgerpilot.memory.checkpoints import close_status as stored_runs

    if not (Path(settings.home) / CHECKPOINT_FILE).exists():
        return None
    runs = stored_runs(settings, month)
    if not runs:
        return None
    latest = runs[0]
    return {"status": latest.run.status, "stage": latest.stage, "detail": latest.run.detail,
            "pending_count": len(latest.pending), "blocking_count": latest.blocking,
            "started_at": latest.run.started_at, "updated_at": latest.run.updated_at}


@tool(kind="read")
def close_status(ctx: ToolContext, args: CloseStatusArgs) -> ToolOutput:
    """Month-end close readiness: the close checklist (drafts, unreconciled bank lines, suspense balances,
    subledger vs control account, idle journals, missing analytics and taxes, unusual amounts), how many checks
    failed, the blocking findings with their amounts, whether the month is ready to lock, and where the stored
    close run of the month stands. Use it for "can we close October?", "what blocks the close?".
    """
    month = _month(ctx, args.month)
    checklist = _checklist(ctx, month)
    statuses = [item.status for item in checklist.items]
    findings = list(checklist.findings)
    cited: dict[tuple[str, int], Citation] = {}
    for finding in findings[:FINDINGS_SHOWN]:
        _cite_refs(ctx, finding.records, cited, RECORDS_CITED_PER_ITEM)
    data = {
        "month": month.label, "as_of": ctx.today, "currency": company_of(ctx).currency,
        "ready_to_lock": checklist.ready_to_lock,
        "check_count": len(checklist.items), "passed_count": statuses.count("passed"),
        "failed_count": statuses.count("failed"), "pending_count": statuses.count("pending"),
        "skipped_count": statuses.count("skipped"),
        "finding_count": len(findings), "blocking_count": len(checklist.blocking),
        "checks": [{"check": item.check, "title": item.title, "status": item.status,
                    "finding_count": item.finding_count, "blocking": item.blocking,
                    **({"detail": item.detail} if item.status != "passed" else {})} for item in checklist.items],
        "findings": [{"check": f.check, "severity": f.severity, "title": f.title, "amount": f.amount,
                      "record_count": len(f.records), "reason": f.reason} for f in findings[:FINDINGS_SHOWN]],
        "more_findings": max(0, len(findings) - FINDINGS_SHOWN),
        "close_run": _latest_run(ctx.settings, month),
    }
    return ToolOutput(data=data, citations=tuple(cited.values()))


# ------------------------------------------------------------------------------------------- anomalies


def _scan(ctx: ToolContext):
    from ledgerpilot.tools.anomalies.scan import scan_anomalies

    return ctx.memo(("anomaly_scan", ctx.today),
                    lambda: scan_anomalies(ctx.client, ctx.home, today=ctx.today, settings=ctx.settings,
                                           propose=False))


def _detector(name: str | None) -> str | None:
    from ledgerpilot.calc.anomalies.detectors import DETECTORS

    if name is None or not name.strip():
        return None
    wanted = name.strip().lower().replace(" ", "_").replace("-", "_")
    if wanted not in DETECTORS:
        raise ToolError(f"there is no anomaly detector {name!r}; the detectors are: {', '.join(DETECTORS)}")
    return wanted


@tool(kind="read")
def anomalies(ctx: ToolContext, args: AnomaliesArgs) -> ToolOutput:
    """The riskiest anomalies in the books (duplicate bills, payments without a bill, unusual amounts, large
    credit notes, round manual entries, odd posting times, rare account pairs, unit-cost jumps, PO/receipt/bill
    mismatches): risk 0-1, reason, amount, partner and the records, riskiest first. Use it for "anything
    suspicious?", "any duplicate bills?".

    Read-only: the first call of a session scans the books and keeps the findings (so their ids can be
    looked up), but proposes nothing; the scheduled scan and `ledgerpilot anomalies scan` propose the
    review activities and notes. Nothing is written to Odoo.
    """
    detector = _detector(args.detector)
    outcome = _scan(ctx)
    threshold = outcome.threshold if args.min_score is None else float(args.min_score)
    matching = [item for item in outcome.items
                if item.status not in SETTLED and item.shown_risk >= threshold
                and (detector is None or item.anomaly.detector == detector)]
    shown = matching[:args.limit]
    cited: dict[tuple[str, int], Citation] = {}
    for item in shown:
        _cite_refs(ctx, item.anomaly.records, cited, RECORDS_CITED_PER_ITEM)
    data = {
        "company": outcome.company, "currency": outcome.currency, "as_of": outcome.today,
        "threshold": round(threshold, 4), "detector": detector, "found_count": len(outcome.items),
        "alert_count": len(outcome.alerts), "new_alert_count": len(outcome.new_alerts),
        "settled_count": sum(1 for item in outcome.items if item.status in SETTLED),
        "matching_count": len(matching), "shown_count": len(shown),
        "anomalies": [{"id": item.key, "detector": item.anomaly.detector, "kind": item.anomaly.kind,
                       "risk": round(item.shown_risk, 4), "status": item.status, "new": item.new,
                       "title": item.anomaly.title, "reason": item.anomaly.reason, "amount": item.anomaly.amount,
                       "partner": item.anomaly.partner, "occurred_on": item.anomaly.occurred_on,
                       "record": item.anomaly.primary.name or f"{item.anomaly.primary.model} {item.anomaly.primary.id}",
                       "proposal_count": len(item.proposal_ids)} for item in shown],
        "skipped_detectors": dict(outcome.skipped),
    }
    return ToolOutput(data=data, citations=tuple(cited.values()))


# ----------------------------------------------------------------------------------------- proposals


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def key_amount(proposal: Proposal) -> Decimal | None:
    """The amount a reader weighs a proposal by: an entry's total debit, else the evidence's main amount."""
    if proposal.kind in ENTRY_KINDS and proposal.payload.args:
        entries = proposal.payload.args[0]
        entries = [entries] if isinstance(entries, dict) else list(entries or [])
        total = Decimal(0)
        for entry in entries:
            for command in entry.get("line_ids") or []:
                if isinstance(command, (list, tuple)) and len(command) == 3 and isinstance(command[2], dict):
                    total += _decimal(command[2].get("debit")) or Decimal(0)
        return total
    figures = proposal.evidence.figures or {}
    for name in AMOUNT_FIGURES:
        amount = _decimal(figures.get(name))
        if amount is not None:
            return amount
    return None


def _short(text: str) -> str:
    """A summary cut to what a reader takes in at a glance (the full text is in `ledgerpilot proposals show`)."""
    return text if len(text) <= SUMMARY_LENGTH else text[:SUMMARY_LENGTH - 3].rstrip() + "..."


def _kind(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    kind = text.strip().lower().replace(" ", "_").replace("-", "_")
    if kind not in PROPOSAL_KINDS:
        raise ToolError(f"there is no proposal kind {text!r}; the kinds are: {', '.join(PROPOSAL_KINDS)}")
    return kind


@tool(kind="read")
def pending_proposals(ctx: ToolContext, args: PendingProposalsArgs) -> ToolOutput:
    """Proposals waiting for a controller's approval (adjusting entries, accruals, lock dates, budget transfers,
    payment proposals, PO holds, activities, notes), newest first: id, kind, title, summary, key amount, when
    and by whom proposed. Use it for "what is waiting for approval?".
    """
    from ledgerpilot.memory.proposal_store import ProposalStore
    from ledgerpilot.memory.state import StateDB

    kind = _kind(args.kind)
    with StateDB.in_home(ctx.home) as db:
        store = ProposalStore(db)
        pending_count = store.count(state="proposed", kind=kind)
        shown = store.list(state="proposed", kind=kind, newest_first=True, limit=args.limit)
    cited: dict[tuple[str, int], Citation] = {}
    for proposal in shown:
        _cite_refs(ctx, proposal.evidence.records, cited, 2)
    data = {"kind": kind, "pending_count": pending_count, "shown_count": len(shown),
            "proposals": [{"id": p.id[:12], "kind": p.kind, "title": p.title, "summary": _short(p.summary),
                           "amount": key_amount(p), "created_at": p.created_at, "created_by": p.created_by,
                           "required_group": p.required_group} for p in shown]}
    return ToolOutput(data=data, citations=tuple(cited.values()))
