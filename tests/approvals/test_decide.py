"""Approvals against the real sandbox over HTTP: Odoo checks the credentials and the groups.

Demo users (password = login): admin and controller are accounting managers (Billing Administrator),
clerk has Billing only, readonly and demo have no accounting write rights.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgerpilot.approvals.decide import ApprovalRefused, approve, approver_connection, reject
from ledgerpilot.config import OdooConnection
from ledgerpilot.domain.proposal import OdooCall, Proposal
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.memory.audit import AuditLog

AGENT = {"admin"}


@pytest.fixture()
def books(sandbox, tmp_path):
    db = StateDB.in_home(tmp_path / "home")
    base = OdooConnection(url=sandbox.url, db=sandbox.db, user="admin", password="admin", transport="jsonrpc")
    yield base, ProposalStore(db), AuditLog(db)
    db.close()


def _entry(created_by: str = "ledgerpilot:close", ref: str = "Accrual October") -> Proposal:
    values = {"move_type": "entry", "journal_id": 3, "date": "2026-10-31", "ref": ref,
              "line_ids": [(0, 0, {"account_id": 27, "name": "accrual", "debit": Decimal("250.00"),
                                   "credit": Decimal(0)}),
                           (0, 0, {"account_id": 23, "name": "accrual", "debit": Decimal(0),
                                   "credit": Decimal("250.00")})]}
    return Proposal(kind="accrual", title=f"Accrue {ref}", summary="goods received, not billed",
                    payload=OdooCall(model="account.move", method="create", args=([values],)), run_id="close-1",
                    created_by=created_by)


def _refused(books, login: str, secret: str, proposal: Proposal, reason: str, **kw) -> ApprovalRefused:
    base, store, audit = books
    with pytest.raises(ApprovalRefused) as info:
        approve(store, audit, approver_connection(base, login, secret), proposal.id, agent_logins=AGENT, **kw)
    assert info.value.reason == reason and info.value.login == login
    assert store.get(proposal.id).state == "proposed" and store.decision(proposal.id) is None
    refusal = audit.entries(action="refusal")[-1]
    assert refusal.subject == proposal.id and refusal.actor == login and refusal.details["reason"] == reason
    return info.value


def test_an_accounting_manager_approves(books):
    base, store, audit = books
    proposal = store.add(_entry()).proposal
    decision = approve(store, audit, approver_connection(base, "controller", "controller"), proposal.id, post=True,
                       note="checked the receipts", agent_logins=AGENT)
    assert decision.login == "controller" and decision.uid == 5 and decision.post
    assert store.get(proposal.id).state == "approved"
    assert store.decision(proposal.id) == decision
    entry = audit.entries(action="decision")[-1]
    assert entry.actor == "controller" and entry.details["post"] is True
    assert entry.details["idempotency_key"] == proposal.idempotency_key


def test_the_proposer_cannot_approve(books):
    proposal = books[1].add(_entry(created_by="controller")).proposal
    error = _refused(books, "controller", "controller", proposal, "proposer")
    assert "controller proposed" in str(error) and "someone else" in str(error)


def test_the_agent_can_never_approve(books):
    proposal = books[1].add(_entry()).proposal
    error = _refused(books, "admin", "admin", proposal, "agent")
    assert "agent can never approve" in str(error)
    # the same, whatever the case of the login
    _refused(books, "ADMIN", "admin", proposal, "agent")


def test_a_user_without_the_group_cannot_approve(books):
    proposal = books[1].add(_entry()).proposal
    error = _refused(books, "clerk", "clerk", proposal, "missing_group")
    assert "account.group_account_manager" in str(error) and "clerk (Odoo user id 6)" in str(error)
    _refused(books, "demo", "demo", proposal, "missing_group")


def test_wrong_credentials_are_refused(books):
    proposal = books[1].add(_entry()).proposal
    error = _refused(books, "controller", "not-the-password", proposal, "wrong_credentials")
    assert "Odoo refused the login of 'controller'" in str(error)
    _refused(books, "nobody", "x", proposal, "wrong_credentials")


def test_the_group_can_be_configured_per_kind(books):
    base, store, audit = books
    proposal = store.add(_entry()).proposal
    decision = approve(store, audit, approver_connection(base, "clerk", "clerk"), proposal.id, agent_logins=AGENT,
                       approval_groups={"accrual": "account.group_account_invoice"})
    assert decision.required_group == "account.group_account_invoice" and decision.login == "clerk"


def test_only_a_proposed_proposal_can_be_decided(books):
    base, store, audit = books
    proposal = store.add(_entry()).proposal
    approve(store, audit, approver_connection(base, "controller", "controller"), proposal.id, agent_logins=AGENT)
    with pytest.raises(ApprovalRefused, match="already approved") as info:
        reject(store, audit, approver_connection(base, "controller", "controller"), proposal.id, note="changed my mind",
               agent_logins=AGENT)
    assert info.value.reason == "not_proposed"
    assert store.decision(proposal.id).decision == "approved"


def test_a_rejection_needs_a_note_and_is_stored(books):
    base, store, audit = books
    proposal = store.add(_entry()).proposal
    with pytest.raises(ApprovalRefused, match="without a note"):
        reject(store, audit, approver_connection(base, "controller", "controller"), proposal.id, note=" ",
               agent_logins=AGENT)
    decision = reject(store, audit, approver_connection(base, "controller", "controller"), proposal.id,
                      note="the receipt was returned", agent_logins=AGENT)
    assert decision.decision == "rejected" and store.get(proposal.id).state == "rejected"


def test_post_is_only_for_journal_entries(books):
    base, store, audit = books
    note = store.add(Proposal(kind="note", title="n", summary="s", run_id="r", created_by="ledgerpilot:budget",
                              payload=OdooCall(model="account.move", method="message_post", args=([1],),
                                               kwargs={"body": "x"}))).proposal
    with pytest.raises(ApprovalRefused, match="only to journal entries"):
        approve(store, audit, approver_connection(base, "controller", "controller"), note.id, post=True,
                agent_logins=AGENT)
    assert audit.verify().ok


@pytest.mark.parametrize("transport", ["xmlrpc", "jsonrpc"])
def test_an_api_key_works_as_the_secret_over_each_transport(books, sandbox, transport):
    base, store, audit = books
    key = sandbox.service.create_api_key(5, "approvals test")
    try:
        proposal = store.add(_entry(ref=f"key {transport}")).proposal
        connection = approver_connection(base.model_copy(update={"transport": transport}), "controller", key)
        decision = approve(store, audit, connection, proposal.id, agent_logins=AGENT)
        assert decision.uid == 5
    finally:
        sandbox.service.revoke_api_key(key)
