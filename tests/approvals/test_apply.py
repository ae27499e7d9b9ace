"""Applying approved proposals to the real sandbox over HTTP: exactly once, read back, failures in words."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal

import pytest

from ledgerpilot.approvals.apply import ApplyBusy, ApplyRefused, apply_proposal
from ledgerpilot.approvals.decide import approve, approver_connection
from ledgerpilot.approvals.writers.common import marker
from ledgerpilot.calc.budget.proposals import NOTE_SUBTYPE, TODO_ACTIVITY
from ledgerpilot.config import OdooConnection
from ledgerpilot.domain.proposal import OdooCall, Proposal
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.odoo import connect

AGENT = {"admin"}
EXPENSE, REVENUE, MISC = 27, 23, 3  # demo accounts 600000 and 400000, journal MISC


def _connection(handle, user: str = "admin") -> OdooConnection:
    return OdooConnection(url=handle.url, db=handle.db, user=user, password=user, transport="jsonrpc")


@pytest.fixture()
def env(fresh_sandbox, tmp_path):
    db = StateDB.in_home(tmp_path / "home")
    client = connect(_connection(fresh_sandbox))
    yield fresh_sandbox, client, ProposalStore(db), AuditLog(db)
    client.close()
    db.close()


def _entry(date: str = "2026-10-31", ref: str = "Accrual October", amount: str = "250.00",
           kind: str = "accrual") -> Proposal:
    values = {"move_type": "entry", "journal_id": MISC, "date": date, "ref": ref,
              "line_ids": [(0, 0, {"account_id": EXPENSE, "name": ref, "debit": Decimal(amount),
                                   "credit": Decimal(0), "partner_id": None, "analytic_distribution": None}),
                           (0, 0, {"account_id": REVENUE, "name": ref, "debit": Decimal(0),
                                   "credit": Decimal(amount)})]}
    return Proposal(kind=kind, title=f"{kind} {ref}", summary="calculation in words",
                    payload=OdooCall(model="account.move", method="create", args=([values],)), run_id="close-1",
                    created_by="ledgerpilot:close")


def _approved(env, proposal: Proposal, post: bool = False) -> Proposal:
    handle, _client, store, audit = env
    stored = store.add(proposal).proposal
    approve(store, audit, approver_connection(_connection(handle), "controller", "controller"), stored.id,
            post=post, agent_logins=AGENT)
    return stored


def _moves_marked(client, proposal: Proposal) -> list[dict]:
    return client.search_read("account.move", [("ref", "ilike", marker(proposal))], ["id", "state", "date", "ref"])


def _approval_notes(client, model: str, record_id: int) -> list[dict]:
    return client.search_read("mail.message", [("model", "=", model), ("res_id", "=", record_id),
                                               ("body", "ilike", "Approved in ledgerpilot")],
                              ["body", "message_type", "subtype_id", "author_id"])


def test_an_approved_entry_is_created_posted_and_read_back(env):
    _handle, client, store, audit = env
    proposal = _approved(env, _entry(), post=True)
    result = apply_proposal(client, store, audit, proposal.id)
    assert result.ok and not result.adopted and result.differences == [] and result.error is None
    assert result.record.model == "account.move" and result.record.name.startswith("MISC/2026/10/")
    [move] = _moves_marked(client, proposal)
    assert move["state"] == "posted" and move["date"] == "2026-10-31"
    assert move["ref"] == f"Accrual October {marker(proposal)}"
    lines = client.search_read("account.move.line", [("move_id", "=", move["id"])], ["debit", "credit"])
    assert sorted((line["debit"], line["credit"]) for line in lines) == [(0.0, 250.0), (250.0, 0.0)]
    assert store.application(proposal.id).record == result.record
    [note] = _approval_notes(client, "account.move", move["id"])      # Odoo's chatter says who approved it
    assert note["body"].startswith("<p>Approved in ledgerpilot by controller (Odoo user ")
    assert ", to be posted." in note["body"] and f"Proposal {proposal.id} (accrual: " in note["body"]
    assert "Written by admin." in note["body"] and marker(proposal) in note["body"]
    assert note["message_type"] == "comment" and note["subtype_id"][0] == 2     # mail.mt_note: internal
    assert result.record.id and _read_back_note(store, audit, proposal) == note["id"]
    actions = [e.action for e in audit.entries(subject=proposal.id)]
    assert actions[:4] == ["proposal", "decision", "apply_claimed", "apply"] and actions[-1] == "applied"
    assert "write" in actions and "read_back" in actions
    with pytest.raises(ApplyRefused, match="is applied"):
        apply_proposal(client, store, audit, proposal.id)
    assert len(_moves_marked(client, proposal)) == 1
    assert audit.verify().ok


def _read_back_note(store, audit, proposal: Proposal) -> int:
    """The approval note's message id as the read-back audited it."""
    [entry] = [e for e in audit.entries(action="read_back", subject=proposal.id) if e.details["model"] == "account.move"]
    return entry.details["read"]["approval_note"]


def test_a_deleted_approval_note_is_reported_as_a_difference(env):
    _handle, client, store, audit = env
    proposal = _approved(env, _entry(ref="Note removed", kind="adjusting_entry"))
    hook_calls = []
    original = client.call

    def call(model, method, ids, *args, **kwargs):        # someone deletes the note right after it is posted
        result = original(model, method, ids, *args, **kwargs)
        if method == "message_post":
            hook_calls.append(result)
            client.execute("mail.message", "unlink", [result])
        return result

    client.call = call
    try:
        result = apply_proposal(client, store, audit, proposal.id)
    finally:
        client.call = original
    assert result.ok and hook_calls
    assert result.differences == [f"entry {result.record.id}: the approval note is not in its chatter (deleted in "
                                  "Odoo?)"]


def test_without_post_the_entry_stays_a_draft(env):
    _handle, client, store, audit = env
    proposal = _approved(env, _entry(kind="reversal", date="2026-11-01", ref="Reversal of accrual"))
    result = apply_proposal(client, store, audit, proposal.id)
    assert result.ok and result.differences == []
    assert [m["state"] for m in _moves_marked(client, proposal)] == ["draft"]


def test_an_unapproved_proposal_is_not_applied(env):
    _handle, client, store, audit = env
    proposal = store.add(_entry()).proposal
    with pytest.raises(ApplyRefused, match="only an approved proposal"):
        apply_proposal(client, store, audit, proposal.id)
    assert _moves_marked(client, proposal) == []
    assert audit.entries(action="refusal")[-1].subject == proposal.id


def test_apply_is_exactly_once_when_killed_after_odoo_committed(env, tmp_path):
    """The apply process dies after Odoo committed the create but before it heard back: its claim stays until
    its lease runs out, then a second apply takes it over, finds the entry by its key and adopts it."""
    handle, client, store, audit = env
    proposal = _approved(env, _entry(ref="Crash test"), post=True)
    handle.faults.update(answer_delay_ms=60_000, answer_delay_calls=["account.move.create"])
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERPILOT_")}
    child_env.update(LEDGERPILOT_HOME=str(tmp_path / "home"), LEDGERPILOT_ODOO_URL=handle.url,
                     LEDGERPILOT_ODOO_DB=handle.db, LEDGERPILOT_ODOO_USER="admin", LEDGERPILOT_ODOO_PASSWORD="admin",
                     LEDGERPILOT_APPLY_LEASE_SECONDS="2")
    child = subprocess.Popen([sys.executable, "-m", "ledgerpilot.channels.cli.app", "proposals", "apply",
                              proposal.id[:12], "--json"], env=child_env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not _moves_marked(client, proposal):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the entry never reached Odoo"
            time.sleep(0.05)
    finally:
        child.kill()
        child.wait()
        handle.faults.reset()
    [created] = _moves_marked(client, proposal)
    assert created["state"] == "draft"            # killed before it could post
    assert store.get(proposal.id).state == "applying" and store.application(proposal.id) is None
    assert f":{child.pid}/" in store.claim_of(proposal.id).owner

    time.sleep(2.5)                               # the dead applier's lease runs out
    result = apply_proposal(client, store, audit, proposal.id)
    assert result.ok and result.adopted and result.record.id == created["id"]
    assert audit.entries(action="apply_takeover", subject=proposal.id)
    moves = _moves_marked(client, proposal)
    assert len(moves) == 1 and moves[0]["state"] == "posted"  # adopted, then posted as approved
    assert len(_approval_notes(client, "account.move", moves[0]["id"])) == 1
    assert any(e.details.get("method") == "adopt" for e in audit.entries(action="write", subject=proposal.id))
    assert audit.verify().ok


def test_an_entry_posted_into_a_locked_period_is_redated_and_reported(env):
    _handle, client, store, audit = env
    client.write("res.company", [1], {"fiscalyear_lock_date": "2026-09-30"})
    proposal = _approved(env, _entry(date="2026-09-15", ref="Late September accrual"), post=True)
    result = apply_proposal(client, store, audit, proposal.id)
    assert result.ok
    [move] = _moves_marked(client, proposal)
    assert move["state"] == "posted" and move["date"] > "2026-09-30"
    [difference] = result.differences
    assert "date approved 2026-09-15" in difference and f"Odoo has {move['date']}" in difference
    assert "locked up to 2026-09-30" in difference
    assert store.application(proposal.id).differences == (difference,)
    read_back = [e for e in audit.entries(action="read_back", subject=proposal.id)]
    assert read_back and read_back[-1].details["differences"] == [difference]


def _lock(date: str) -> Proposal:
    return Proposal(kind="lock_date", title=f"Lock up to {date}", summary="no blocking finding",
                    payload=OdooCall(model="res.company", method="write", args=([1], {"fiscalyear_lock_date": date})),
                    run_id="close-1", created_by="ledgerpilot:close")


def test_a_lock_date_refused_by_odoo_fails_with_the_reason(env):
    _handle, client, store, audit = env
    proposal = _approved(env, _lock("2026-10-20"))   # an unreconciled bank line lies on 2026-10-19
    result = apply_proposal(client, store, audit, proposal.id)
    assert not result.ok and result.proposal.state == "failed" and result.record is None
    assert "unreconciled bank statement lines" in result.error
    assert "account.bank.statement.line" in result.error
    assert store.application(proposal.id).error == result.error
    assert client.read("res.company", [1], ["fiscalyear_lock_date"])[0]["fiscalyear_lock_date"] is False
    assert audit.entries(subject=proposal.id)[-1].action == "failed"


def test_a_lock_date_is_set_once(env):
    _handle, client, store, audit = env
    proposal = _approved(env, _lock("2026-09-30"))
    result = apply_proposal(client, store, audit, proposal.id)
    assert result.ok and not result.adopted and result.differences == []
    assert client.read("res.company", [1], ["fiscalyear_lock_date"])[0]["fiscalyear_lock_date"] == "2026-09-30"


def _other_kinds() -> list[Proposal]:
    activity = {"res_model": "crossovered.budget", "res_id": 1, "activity_type_id": TODO_ACTIVITY,
                "summary": "Review marketing budget", "note": "<p>projected 12% over</p>",
                "date_deadline": "2026-11-25", "user_id": 5}
    hold = {"res_model": "purchase.order", "res_id": 1, "activity_type_id": TODO_ACTIVITY,
            "summary": "Hold the order", "note": "<p>please hold</p>", "date_deadline": "2026-11-23"}
    payment = {"payment_type": "outbound", "partner_type": "supplier", "partner_id": 10,
               "amount": Decimal("1234.56"), "date": "2026-11-18", "ref": "BILL/2026/00001"}
    return [
        Proposal(kind="activity", title="Activity", summary="s", run_id="b", created_by="ledgerpilot:budget",
                 payload=OdooCall(model="mail.activity", method="create", args=(activity,))),
        Proposal(kind="po_hold", title="Hold", summary="s", run_id="b", created_by="ledgerpilot:budget",
                 payload=OdooCall(model="mail.activity", method="create", args=(hold,))),
        Proposal(kind="note", title="Note", summary="s", run_id="b", created_by="ledgerpilot:budget",
                 payload=OdooCall(model="crossovered.budget", method="message_post", args=([1],),
                                  kwargs={"body": "<p>small drift</p>", "message_type": "comment",
                                          "subtype_xmlid": NOTE_SUBTYPE, "body_is_html": True})),
        Proposal(kind="budget_transfer", title="Transfer", summary="s", run_id="b", created_by="ledgerpilot:budget",
                 payload=OdooCall(model="crossovered.budget", method="write", args=(
                     [1], {"crossovered_budget_line_ids": [(1, 1, {"planned_amount": Decimal("-2000.00")}),
                                                           (1, 2, {"planned_amount": Decimal("-3000.00")})]}))),
        Proposal(kind="payment_proposal", title="Pay", summary="s", run_id="f", created_by="ledgerpilot:forecast",
                 payload=OdooCall(model="account.payment", method="create", args=([payment],))),
    ]


def test_every_other_kind_applies_once_and_reads_back(env, tmp_path):
    handle, client, store, audit = env
    results = {}
    for proposal in _other_kinds():
        stored = _approved(env, proposal)
        results[proposal.kind] = apply_proposal(client, store, audit, stored.id)
    for kind, result in results.items():
        assert result.ok, (kind, result.error)
        assert result.differences == [], (kind, result.differences)
        assert not result.adopted, kind

    activity = client.read("mail.activity", [results["activity"].record.id],
                           ["res_model", "res_id", "activity_type_id", "user_id", "note"])[0]
    assert activity["res_model"] == "crossovered.budget" and activity["res_id"] == 1
    assert activity["activity_type_id"][1] == "To-Do" and activity["user_id"][0] == 5
    assert results["po_hold"].record.model == "mail.activity"
    message = client.read("mail.message", [results["note"].record.id], ["model", "res_id", "body"])[0]
    assert message["model"] == "crossovered.budget" and "small drift" in message["body"]
    lines = client.read("crossovered.budget.lines", [1, 2], ["planned_amount"])
    assert {row["id"]: row["planned_amount"] for row in lines} == {1: -2000.0, 2: -3000.0}
    payment = client.read("account.payment", [results["payment_proposal"].record.id], ["amount", "state", "ref"])[0]
    assert payment["amount"] == 1234.56 and payment["state"] == "draft"
    [note] = _approval_notes(client, "account.payment", payment["id"])
    assert "Approved in ledgerpilot by controller" in note["body"] and "payment_proposal: Pay" in note["body"]

    # The same proposals approved and applied again from another state database (another machine, a
    # lost state file): everything is found in Odoo and adopted, nothing is written twice.
    other_db = StateDB.in_home(tmp_path / "other-home")
    other_store, other_audit = ProposalStore(other_db), AuditLog(other_db)
    for proposal in _other_kinds():
        stored = other_store.add(proposal).proposal
        approve(other_store, other_audit, approver_connection(_connection(handle), "controller", "controller"),
                stored.id, agent_logins=AGENT)
        again = apply_proposal(client, other_store, other_audit, stored.id)
        assert again.ok and again.adopted, proposal.kind
        assert again.record == results[proposal.kind].record, proposal.kind
    assert client.search_count("mail.activity", [("note", "ilike", marker(_other_kinds()[0]))]) == 1
    assert client.search_count("account.payment", [("ref", "ilike", marker(_other_kinds()[4], 1))]) == 1
    assert len(_approval_notes(client, "account.payment", payment["id"])) == 1     # found again, not posted twice
    other_db.close()


def test_odoo_refusing_the_write_fails_in_words(env, fresh_sandbox):
    """The write user lacks the rights: Odoo's AccessError is the reason, nothing is written."""
    _handle, _client, store, audit = env
    proposal = _approved(env, _entry(ref="No rights"), post=True)
    with connect(_connection(fresh_sandbox, "demo")) as weak:
        result = apply_proposal(weak, store, audit, proposal.id)
    assert result.proposal.state == "failed" and "access" in result.error.lower()
    assert store.application(proposal.id).written_by == "demo"


def test_a_lost_answer_leaves_the_proposal_approved_and_the_retry_adopts(env):
    """The client gives up waiting (timeout) after Odoo committed: apply says so, and applying again adopts."""
    from ledgerpilot.approvals.apply import ApplyInterrupted

    handle, client, store, audit = env
    proposal = _approved(env, _entry(ref="Lost answer", kind="adjusting_entry"))
    impatient = connect(_connection(handle).model_copy(update={"timeout": 1.0}))
    handle.faults.update(answer_delay_ms=5_000, answer_delay_calls=["account.move.create"])
    try:
        with pytest.raises(ApplyInterrupted, match="stays claimed by this applier until"):
            apply_proposal(impatient, store, audit, proposal.id)
    finally:
        handle.faults.reset()
        impatient.close()
    assert store.get(proposal.id).state == "applying"          # held for one request timeout (1 s here)
    assert audit.entries(subject=proposal.id)[-1].action == "apply_interrupted"
    with pytest.raises(ApplyBusy):
        apply_proposal(client, store, audit, proposal.id)      # Odoo may still be finishing the call
    time.sleep(1.2)
    result = apply_proposal(client, store, audit, proposal.id)
    assert result.ok and result.adopted and len(_moves_marked(client, proposal)) == 1
