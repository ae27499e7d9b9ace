"""Decisions and applications are stored with the proposal's state change, atomically; ids by prefix."""

from __future__ import annotations

import pytest

from ledgerpilot.domain.proposal import OdooCall, Proposal, ProposalTransitionError, RecordRef
from ledgerpilot.memory import (
    AmbiguousProposalId,
    Application,
    ApplyBusy,
    ClaimLost,
    ClaimRefused,
    Decision,
    ProposalNotFound,
    ProposalStore,
    Retry,
    StateDB,
)
from ledgerpilot.memory.audit import AuditLog


def _proposal(title: str = "Note", body: str = "<p>x</p>") -> Proposal:
    return Proposal(kind="note", title=title, summary="s",
                    payload=OdooCall(model="account.move", method="message_post", args=([1],), kwargs={"body": body}),
                    run_id="r1", created_by="ledgerpilot:budget")


@pytest.fixture()
def store(tmp_path):
    db = StateDB.in_home(tmp_path / "home")
    yield ProposalStore(db)
    db.close()


def test_decision_is_stored_with_the_state(store, tmp_path):
    proposal = store.add(_proposal()).proposal
    changed = store.decide(Decision(proposal_id=proposal.id, decision="approved", login="controller", uid=5,
                                    note="fine", required_group="account.group_account_manager"))
    assert changed.state == "approved"
    # a new process (new connection) sees the same
    with StateDB.in_home(tmp_path / "home") as other:
        again = ProposalStore(other)
        decision = again.decision(proposal.id)
        assert again.get(proposal.id).state == "approved"
    assert decision.login == "controller" and decision.uid == 5 and decision.note == "fine" and not decision.post
    assert store.decision(_proposal("other").id) is None


def test_a_refused_state_change_stores_no_decision(store):
    proposal = store.add(_proposal()).proposal
    store.decide(Decision(proposal_id=proposal.id, decision="rejected", login="controller", uid=5, note="no"))
    with pytest.raises(ProposalTransitionError, match="rejected"):
        store.decide(Decision(proposal_id=proposal.id, decision="approved", login="admin", uid=2))
    assert store.decision(proposal.id).decision == "rejected"
    assert store.decision(proposal.id).login == "controller"


def _approved(store, title: str = "Note") -> str:
    proposal = store.add(_proposal(title, f"<p>{title}</p>")).proposal
    store.decide(Decision(proposal_id=proposal.id, decision="approved", login="controller", uid=5))
    return proposal.id


def test_application_is_stored_with_the_state(store):
    proposal_id = _approved(store)
    claim = store.claim(proposal_id, "applier-1", 60)
    assert store.get(proposal_id).state == "applying" and claim.attempt == 1
    changed = store.record_application(Application(
        proposal_id=proposal_id, state="applied", written_by="admin",
        records=(RecordRef(model="mail.message", id=12),), adopted=True, differences=("date moved",)), claim)
    assert changed.state == "applied" and store.claim_of(proposal_id) is None
    application = store.application(proposal_id)
    assert application.record == RecordRef(model="mail.message", id=12)
    assert application.adopted and application.differences == ("date moved",) and application.error is None
    with pytest.raises(ClaimLost):
        store.record_application(Application(proposal_id=proposal_id, state="failed", written_by="admin",
                                             error="again"), claim)
    assert store.application(proposal_id).state == "applied"


def test_an_unapproved_proposal_cannot_be_claimed(store):
    proposal = store.add(_proposal()).proposal
    with pytest.raises(ClaimRefused, match="proposed"):
        store.claim(proposal.id, "applier-1", 60)
    assert store.get(proposal.id).state == "proposed" and store.application(proposal.id) is None


def test_a_claim_keeps_other_appliers_out_until_its_lease_runs_out(store, tmp_path):
    proposal_id = _approved(store)
    first = store.claim(proposal_id, "applier-1", 30, now=1000.0)
    with StateDB.in_home(tmp_path / "home") as other_db:          # another process
        other = ProposalStore(other_db)
        with pytest.raises(ApplyBusy, match="being applied by applier-1") as busy:
            other.claim(proposal_id, "applier-2", 30, now=1029.0)
        assert busy.value.owner == "applier-1"
        renewed = store.renew(first, 30, now=1020.0)               # the owner's heartbeat
        with pytest.raises(ApplyBusy):
            other.claim(proposal_id, "applier-2", 30, now=1049.0)
        assert other.claimable(now=1049.0) == [] and other.claimable(now=1051.0) == [proposal_id]
        taken = other.claim(proposal_id, "applier-2", 30, now=1051.0)   # the owner died: lease ran out
        assert taken.taken_over_from == "applier-1" and taken.attempt == 1
    assert not store.holds(renewed)
    with pytest.raises(ClaimLost):
        store.renew(renewed, 30, now=1052.0)
    with pytest.raises(ClaimLost):
        store.record_application(Application(proposal_id=proposal_id, state="applied", written_by="x"), renewed)
    audit = AuditLog(store.db)
    assert [e.action for e in audit.entries(subject=proposal_id)][-2:] == ["apply_claimed", "apply_takeover"]


def test_a_held_claim_lapses_early_and_a_failure_can_be_retried(store):
    proposal_id = _approved(store)
    claim = store.claim(proposal_id, "applier-1", 300, now=1000.0)
    store.hold(claim, 5, reason="connection lost", now=1001.0)         # outcome unknown: kept 5 s, not 300
    with pytest.raises(ApplyBusy):
        store.claim(proposal_id, "applier-2", 300, now=1005.0)
    claim = store.claim(proposal_id, "applier-2", 60, now=1006.5)
    assert claim.attempt == 1 and claim.taken_over_from == "applier-1"   # nothing was recorded: still attempt 1
    store.record_application(Application(proposal_id=proposal_id, state="failed", written_by="admin",
                                         error="AccessError"), claim)
    again = store.add(_proposal("Note", "<p>Note</p>"))
    assert not again.created and again.previous_failure.error == "AccessError"
    assert store.retry(Retry(proposal_id=proposal_id, login="controller", uid=5, note="rights fixed",
                             previous_error="AccessError")).state == "approved"
    claim = store.claim(proposal_id, "applier-3", 60)
    assert claim.attempt == 2
    store.record_application(Application(proposal_id=proposal_id, state="applied", written_by="admin"), claim)
    assert [a.state for a in store.applications(proposal_id)] == ["failed", "applied"]
    assert store.application(proposal_id).state == "applied"
    assert [r.login for r in store.retries(proposal_id)] == ["controller"]
    with pytest.raises(ProposalTransitionError):
        store.retry(Retry(proposal_id=proposal_id, login="controller", uid=5))


def test_every_requester_is_remembered(store):
    first = store.add(_proposal().model_copy(update={"requested_by": "alice"}))
    again = store.add(_proposal().model_copy(update={"requested_by": "bob"}))
    store.add(_proposal().model_copy(update={"requested_by": "alice"}))
    assert first.created and not again.created
    assert store.requesters(first.proposal.id) == ["alice", "bob"]
    assert store.get(first.proposal.id).requested_by == "alice"


def test_ids_by_unique_prefix(store):
    first = store.add(_proposal("a", "<p>a</p>")).proposal
    second = store.add(_proposal("b", "<p>b</p>")).proposal
    assert store.resolve_id(first.id) == first.id
    assert store.resolve_id(first.id[:10].upper()) == first.id
    common = 0
    while first.id[common] == second.id[common]:
        common += 1
    if common:
        with pytest.raises(AmbiguousProposalId, match="several"):
            store.resolve_id(first.id[:common])
    with pytest.raises(ProposalNotFound, match="no proposal with an id starting"):
        store.resolve_id("zz")
    with pytest.raises(ProposalNotFound):
        store.resolve_id("")


def test_an_ambiguous_prefix_is_refused(store):
    proposals = [store.add(_proposal(str(i), f"<p>{i}</p>")).proposal for i in range(40)]
    by_first = {}
    for p in proposals:
        by_first.setdefault(p.id[0], []).append(p)
    shared = next(ps for ps in by_first.values() if len(ps) > 1)
    with pytest.raises(AmbiguousProposalId, match="give more characters"):
        store.resolve_id(shared[0].id[0])
