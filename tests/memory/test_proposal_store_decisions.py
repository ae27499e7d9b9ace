"""Decisions and applications are stored with the proposal's state change, atomically; ids by prefix."""

from __future__ import annotations

import pytest

from ledgerpilot.domain.proposal import OdooCall, Proposal, ProposalTransitionError, RecordRef
from ledgerpilot.memory import (
    AmbiguousProposalId,
    Application,
    Decision,
    ProposalNotFound,
    ProposalStore,
    StateDB,
)


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


def test_application_is_stored_with_the_state(store):
    proposal = store.add(_proposal()).proposal
    store.decide(Decision(proposal_id=proposal.id, decision="approved", login="controller", uid=5))
    changed = store.record_application(Application(
        proposal_id=proposal.id, state="applied", written_by="admin",
        records=(RecordRef(model="mail.message", id=12),), adopted=True, differences=("date moved",)))
    assert changed.state == "applied"
    application = store.application(proposal.id)
    assert application.record == RecordRef(model="mail.message", id=12)
    assert application.adopted and application.differences == ("date moved",) and application.error is None
    with pytest.raises(ProposalTransitionError):
        store.record_application(Application(proposal_id=proposal.id, state="failed", written_by="admin",
                                             error="again"))
    assert store.application(proposal.id).state == "applied"


def test_an_unapproved_proposal_cannot_be_marked_applied(store):
    proposal = store.add(_proposal()).proposal
    with pytest.raises(ProposalTransitionError, match="proposed"):
        store.record_application(Application(proposal_id=proposal.id, state="applied", written_by="admin"))
    assert store.application(proposal.id) is None


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
