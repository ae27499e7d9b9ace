"""The close graph: review a month, wait for the controller, apply what was approved, then the lock.

    review -> decide -> apply -> recheck -> decide_lock -> apply_lock -> report
                 ^ interrupt()                  ^ interrupt()

- ``review`` runs the close checks, the trial-balance review, bank matching and the adjusting-entry
  proposals (tools/close/review.py), and stores the proposals (idempotently: a re-run that reaches
  the same conclusion finds the stored ones).
- ``decide`` pauses with ``interrupt()`` while proposals of the run wait for a decision. Decisions
  are made outside the graph (``ledgerpilot proposals approve|reject``, the approval page), by a
  named person checked against Odoo; resuming the graph only says "go on". Anything still
  undecided stays pending and is reported.
- ``apply`` writes the approved proposals through the one write path (approvals/apply.py).
- ``recheck`` reads the books again and proposes the lock date only when no blocking finding is
  left, nothing Odoo would refuse lies before the date, and no proposal of the month is undecided
  (calc/close/lock_date.py); ``decide_lock``/``apply_lock`` do for it what decide/apply did above.
- ``report`` writes the close report (Markdown and HTML).

State is plain JSON (findings, checklist, summaries, proposal ids), saved by LangGraph's SQLite
checkpointer after every step, so a run interrupted by a restart resumes where it stopped. The
Odoo clients, stores and settings are not state: they come from :class:`CloseDeps`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.calc.close.lock_date import decide_lock_date
from ledgerpilot.domain.findings import Finding
from ledgerpilot.domain.month import Month
from ledgerpilot.graphs.close_report import build_close_report, write_close_report
from ledgerpilot.graphs.close_summary import (
    applied_summary,
    checklist_summary,
    match_summary,
    proposal_summary,
    trial_balance_summary,
)
from ledgerpilot.tools.close.lock_guard import load_lock_guard
from ledgerpilot.tools.close.own_entries import approved_entries
from ledgerpilot.tools.close.review import check_month, review_month

ClientFactory = Callable[[], AbstractContextManager[Any]]


class CloseState(TypedDict, total=False):
    month: str
    today: str
    run_id: str
    company: str
    currency: str
    checklist: list[dict]
    findings: list[dict]
    trial_balance: list[dict]
    matches: dict
    skipped: list[str]
    proposal_ids: list[str]
    applied: list[dict]
    lock: dict
    stage: str            # where the run stands, in words for `close status`
    report: dict          # paths of the written report


@dataclass
class CloseDeps:
    """What the nodes use but the state does not hold."""

    read_client: ClientFactory       # opens a connected client (the configured, read-capable user)
    write_client: ClientFactory      # opens a client of the user that writes approved proposals
    store: Any                       # memory.proposal_store.ProposalStore
    audit: Any                       # memory.audit.AuditLog
    config: CloseConfig
    report_dir: Path
    progress: Callable[[str, float | None], None] | None = None


def build_close_graph(deps: CloseDeps, checkpointer) -> Any:
    """The compiled close graph; run it with ``{"configurable": {"thread_id": ...}}``."""
    graph = StateGraph(CloseState)
    graph.add_node("review", lambda state: _review(deps, state))
    graph.add_node("decide", lambda state: _decide(deps, state, "proposal_ids", "proposals"))
    graph.add_node("apply", lambda state: _apply(deps, state, state.get("proposal_ids", []), "applied"))
    graph.add_node("recheck", lambda state: _recheck(deps, state))
    graph.add_node("decide_lock", lambda state: _decide_lock(deps, state))
    graph.add_node("apply_lock", lambda state: _apply_lock(deps, state))
    graph.add_node("report", lambda state: _report(deps, state))
    graph.add_edge(START, "review")
    graph.add_edge("review", "decide")
    graph.add_edge("decide", "apply")
    graph.add_edge("apply", "recheck")
    graph.add_edge("recheck", "decide_lock")
    graph.add_edge("decide_lock", "apply_lock")
    graph.add_edge("apply_lock", "report")
    graph.add_edge("report", END)
    return graph.compile(checkpointer=checkpointer)


# -- nodes ----------------------------------------------------------------------------------------

def _review(deps: CloseDeps, state: CloseState) -> CloseState:
    month = Month.parse(state["month"])
    today = dt.date.fromisoformat(state["today"])
    with deps.read_client() as client:
        review = review_month(client, month, today=today, config=deps.config, run_id=state["run_id"],
                              progress=deps.progress, own_entries=approved_entries(deps.store))
    ids = []
    for proposal in review.proposals:
        stored = deps.store.add(proposal)
        ids.append(stored.proposal.id)
        if stored.created:
            deps.audit.record("proposal", actor="ledgerpilot", subject=f"proposal:{stored.proposal.id}",
                              details={"kind": proposal.kind, "title": proposal.title, "run_id": state["run_id"],
                                       "idempotency_key": proposal.idempotency_key})
    checklist = review.checklist
    return {
        "company": review.company_name, "currency": review.currency,
        "checklist": checklist_summary(checklist),
        "findings": [f.model_dump(mode="json") for f in checklist.findings],
        "trial_balance": trial_balance_summary(review.trial_balance),
        "matches": match_summary(review.matches, review.bank_lines),
        "skipped": list(review.skipped), "proposal_ids": ids, "applied": [],
        "stage": "reviewed",
    }


def _undecided(deps: CloseDeps, ids: list[str]) -> list[str]:
    return [pid for pid in ids if deps.store.get(pid).state == "proposed"]


def _decide(deps: CloseDeps, state: CloseState, key: str, what: str) -> CloseState:
    pending = _undecided(deps, state.get(key, []))
    if pending:
        interrupt({"stage": what, "month": state["month"], "pending": pending})
    return {"stage": f"{what} decided"}


def _apply(deps: CloseDeps, state: CloseState, ids: list[str], key: str) -> CloseState:
    """Apply what is approved; one another applier (the page, serve, the CLI) took first is left to it."""
    from ledgerpilot.approvals.apply import ApplyBusy, ApplyRefused, apply_proposal

    approved = [pid for pid in ids if deps.store.get(pid).state == "approved"]
    done = list(state.get(key, []))
    if approved:
        with deps.write_client() as client:
            for pid in approved:
                try:
                    done.append(applied_summary(apply_proposal(client, deps.store, deps.audit, pid)))
                except (ApplyBusy, ApplyRefused):
                    continue   # claimed or finished by another applier meanwhile: its outcome is on the proposal
    return {key: done, "stage": "applied"}


def _recheck(deps: CloseDeps, state: CloseState) -> CloseState:
    month = Month.parse(state["month"])
    today = dt.date.fromisoformat(state["today"])
    with deps.read_client() as client:
        checklist = check_month(client, month, today=today, config=deps.config,
                                own_entries=approved_entries(deps.store))
        guard = load_lock_guard(client, month)
    blocking = [f for f in checklist.findings if f.blocking]
    undecided = len(_undecided(deps, state.get("proposal_ids", [])))
    decision = decide_lock_date(month, guard, blocking, run_id=state["run_id"], undecided=undecided)
    lock: dict[str, Any] = {"date": decision.lock_date.isoformat(), "proposed": decision.proposed,
                            "reasons": list(decision.reasons), "proposal_id": None}
    if decision.proposal is not None:
        stored = deps.store.add(decision.proposal)
        lock["proposal_id"] = stored.proposal.id
        if stored.created:
            deps.audit.record("proposal", actor="ledgerpilot", subject=f"proposal:{stored.proposal.id}",
                              details={"kind": "lock_date", "title": decision.proposal.title,
                                       "run_id": state["run_id"]})
    return {"checklist": checklist_summary(checklist),
            "findings": [f.model_dump(mode="json") for f in checklist.findings],
            "lock": lock, "stage": "rechecked"}


def _decide_lock(deps: CloseDeps, state: CloseState) -> CloseState:
    lock = state.get("lock") or {}
    if lock.get("proposal_id") and _undecided(deps, [lock["proposal_id"]]):
        interrupt({"stage": "lock_date", "month": state["month"], "pending": [lock["proposal_id"]]})
    return {"stage": "lock date decided" if lock.get("proposal_id") else "no lock date proposed"}


def _apply_lock(deps: CloseDeps, state: CloseState) -> CloseState:
    lock = dict(state.get("lock") or {})
    if not lock.get("proposal_id"):
        return {}
    update = _apply(deps, state, [lock["proposal_id"]], "applied")
    lock["state"] = deps.store.get(lock["proposal_id"]).state
    return {**update, "lock": lock}


def _report(deps: CloseDeps, state: CloseState) -> CloseState:
    proposals = [proposal_summary(deps.store, pid) for pid in _all_proposal_ids(state)]
    report = build_close_report(state, proposals, generated_at=dt.datetime.now(dt.UTC))
    paths = write_close_report(report, deps.report_dir)
    return {"report": {name: str(path) for name, path in paths.items()}, "stage": "finished"}


def _all_proposal_ids(state: CloseState) -> list[str]:
    ids = list(state.get("proposal_ids", []))
    lock_id = (state.get("lock") or {}).get("proposal_id")
    if lock_id and lock_id not in ids:
        ids.append(lock_id)
    return ids


def blocking_findings(state: CloseState) -> list[Finding]:
    return [f for f in (Finding.model_validate(item) for item in state.get("findings", [])) if f.blocking]
