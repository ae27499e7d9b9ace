"""Shared pieces of the security tests: approved proposals of every shape on a writable sandbox, and counting
what reached Odoo by each proposal's idempotency marker (the truth is read from Odoo, not from our state)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgerpilot.approvals.decide import approve, approver_connection
from ledgerpilot.approvals.writers.common import marker
from ledgerpilot.calc.budget.proposals import NOTE_SUBTYPE, TODO_ACTIVITY
from ledgerpilot.config import OdooConnection
from ledgerpilot.domain.proposal import OdooCall, Proposal
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.odoo import connect

EXPENSE, REVENUE, MISC = 27, 23, 3      # demo accounts 600000 and 400000, journal MISC
AGENT = {"admin"}                       # the agent's own login in these tests


def connection(handle, user: str = "admin") -> OdooConnection:
    return OdooConnection(url=handle.url, db=handle.db, user=user, password=user, transport="jsonrpc")


def entry(ref: str, amount: str = "250.00", created_by: str = "ledgerpilot:close") -> Proposal:
    value = Decimal(amount)
    values = {"move_type": "entry", "journal_id": MISC, "date": "2026-10-31", "ref": ref,
              "line_ids": [(0, 0, {"account_id": EXPENSE, "name": ref, "debit": value, "credit": Decimal(0)}),
                           (0, 0, {"account_id": REVENUE, "name": ref, "debit": Decimal(0), "credit": value})]}
    return Proposal(kind="accrual", title=f"Accrual {ref}", summary="s", run_id="sec",
                    payload=OdooCall(model="account.move", method="create", args=([values],)), created_by=created_by)


def activity(summary: str) -> Proposal:
    values = {"res_model": "crossovered.budget", "res_id": 1, "activity_type_id": TODO_ACTIVITY,
              "summary": summary, "note": f"<p>{summary}</p>", "date_deadline": "2026-11-25"}
    return Proposal(kind="activity", title=summary, summary="s", run_id="sec", created_by="ledgerpilot:budget",
                    payload=OdooCall(model="mail.activity", method="create", args=(values,)))


def note(text: str) -> Proposal:
    return Proposal(kind="note", title=text, summary="s", run_id="sec", created_by="ledgerpilot:budget",
                    payload=OdooCall(model="crossovered.budget", method="message_post", args=([1],),
                                     kwargs={"body": f"<p>{text}</p>", "message_type": "comment",
                                             "subtype_xmlid": NOTE_SUBTYPE, "body_is_html": True}))


def records_in_odoo(client, proposal: Proposal) -> int:
    """How many Odoo records carry ``proposal``'s idempotency marker."""
    mark = marker(proposal)
    if proposal.kind in ("accrual", "adjusting_entry", "reversal"):
        return client.search_count("account.move", [("ref", "ilike", mark)])
    if proposal.kind in ("activity", "po_hold"):
        return client.search_count("mail.activity", [("note", "ilike", mark)])
    if proposal.kind == "note":
        return client.search_count("mail.message", [("body", "ilike", mark)])
    raise AssertionError(f"no count for {proposal.kind}")


def approve_all(handle, store: ProposalStore, audit: AuditLog, proposals: list[Proposal],
                approver: str = "controller") -> list[Proposal]:
    stored = []
    for proposal in proposals:
        kept = store.add(proposal).proposal
        approve(store, audit, approver_connection(connection(handle), approver, approver), kept.id,
                agent_logins=AGENT)
        stored.append(kept)
    return stored


@pytest.fixture()
def state(tmp_path):
    """(home, store, audit) of a private LEDGERPILOT_HOME."""
    home = tmp_path / "home"
    db = StateDB.in_home(home)
    yield home, ProposalStore(db), AuditLog(db)
    db.close()


@pytest.fixture()
def admin_client(fresh_sandbox):
    client = connect(connection(fresh_sandbox))
    yield client
    client.close()
