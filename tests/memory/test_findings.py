"""Findings in the proposal store: the parts of one finding are stored, read and decided together; a known
finding adds nothing; a state database from before findings gets them by migration."""

from __future__ import annotations

import json
import sqlite3

import pytest

from ledgerpilot.domain.proposal import Evidence, OdooCall, Proposal, ProposalTransitionError
from ledgerpilot.memory import Application, Decision, ProposalStore, StateDB


def _note(title: str, finding: str = "", record: int = 1, **figures) -> Proposal:
    return Proposal(kind="note", title=title, summary="s", finding=finding,
                    payload=OdooCall(model="account.move", method="message_post", args=([record],),
                                     kwargs={"body": f"<p>{title}</p>"}),
                    evidence=Evidence(figures=figures), run_id="r1", created_by="ledgerpilot:anomalies")


def _activity(title: str, finding: str = "", record: int = 1) -> Proposal:
    return Proposal(kind="activity", title=title, summary="s", finding=finding,
                    payload=OdooCall(model="mail.activity", method="create",
                                     args=({"res_model": "account.move", "res_id": record, "summary": title},)),
                    run_id="r1", created_by="ledgerpilot:anomalies")


@pytest.fixture()
def store(tmp_path):
    db = StateDB.in_home(tmp_path / "home")
    yield ProposalStore(db)
    db.close()


def test_a_findings_parts_are_stored_together_and_a_known_finding_adds_nothing(store):
    parts = [_activity("Review", "anomaly:k1"), _note("Note", "anomaly:k1")]
    made = store.add_finding(parts)
    assert [m.created for m in made] == [True, True]
    assert [p.id for p in store.by_finding("anomaly:k1")] == [p.id for p in parts]
    # found again with other figures (another wording, a later deadline): nothing new, the stored parts come back
    again = store.add_finding([_activity("Review, risk 0.97", "anomaly:k1"), _note("Note, risk 0.97", "anomaly:k1")])
    assert [m.created for m in again] == [False, False]
    assert [m.proposal.id for m in again] == [p.id for p in parts]
    assert store.count() == 2
    # ... whatever became of it: decided, the finding is still known
    store.decide(Decision(proposal_id=parts[0].id, decision="rejected", login="controller", uid=5, note="no"))
    assert [m.created for m in store.add_finding([_note("Note, later", "anomaly:k1")])] == [False, False]
    # another finding is stored
    assert store.add_finding([_note("Other", "anomaly:k2", record=2)])[0].created
    with pytest.raises(ValueError, match="parts of one finding"):
        store.add_finding([_note("a", "x:1"), _note("b", "x:2")])


def test_a_failed_finding_found_again_points_to_its_failure(store):
    [made] = store.add_finding([_note("Note", "budget:1")])
    store.decide(Decision(proposal_id=made.proposal.id, decision="approved", login="controller", uid=5))
    claim = store.claim(made.proposal.id, "applier", 60)
    store.record_application(Application(proposal_id=made.proposal.id, state="failed", written_by="w",
                                         error="AccessError: no rights"), claim)
    [again] = store.add_finding([_note("Note, a day later", "budget:1")])
    assert not again.created and again.proposal.state == "failed"
    assert again.previous_failure.error == "AccessError: no rights"


def test_a_proposal_without_a_finding_is_its_own_and_a_reversal_joins_its_accrual(store):
    alone = store.add(_note("Alone")).proposal
    assert alone.finding == f"proposal:{alone.id}" == store.get(alone.id).finding
    accrual = store.add(_note("Accrue", record=7)).proposal
    reversal = store.add(_note("Reverse", record=8, reverses_proposal_id=accrual.id)).proposal
    assert reversal.finding == accrual.finding == f"proposal:{accrual.id}"
    assert [p.id for p in store.by_finding(accrual.finding)] == [accrual.id, reversal.id]
    assert store.by_finding(accrual.finding, state="approved") == []


def test_decide_all_stores_every_decision_or_none(store):
    parts = [p.proposal for p in store.add_finding([_activity("A", "f:1"), _note("N", "f:1")])]
    # someone decided the note a moment ago: the decision of both parts is refused as a whole
    store.decide(Decision(proposal_id=parts[1].id, decision="approved", login="other", uid=6))
    with pytest.raises(ProposalTransitionError):
        store.decide_all([Decision(proposal_id=p.id, decision="rejected", login="controller", uid=5, note="no")
                          for p in parts])
    assert store.get(parts[0].id).state == "proposed" and store.decision(parts[0].id) is None
    assert store.decision(parts[1].id).login == "other"
    fresh = [p.proposal for p in store.add_finding([_activity("A", "f:2", 2), _note("N", "f:2", 2)])]
    decided = store.decide_all([Decision(proposal_id=p.id, decision="approved", login="controller", uid=5)
                                for p in fresh])
    assert [p.state for p in decided] == ["approved", "approved"]
    assert {store.decision(p.id).login for p in fresh} == {"controller"}


def test_an_older_state_database_gets_findings_by_migration(tmp_path):
    """Proposals stored before findings: an anomaly's parts by its key, a reversal with its accrual."""
    from ledgerpilot.memory.state import MIGRATIONS, _statements

    path = tmp_path / "state.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    for version in range(5):
        for statement in _statements(MIGRATIONS[version]):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 5")
    old = {"activity": _activity("Review", record=3), "note": _note("Note", record=3, anomaly_key="a1b2"),
           "accrual": _note("Accrue", record=4), "other": _note("Other", record=5)}
    old["activity"] = old["activity"].model_copy(update={"evidence": Evidence(figures={"anomaly_key": "a1b2"})})
    old["reversal"] = _note("Reverse", record=6, reverses_proposal_id=old["accrual"].id)
    for proposal in old.values():
        body = json.loads(proposal.to_json())
        body.pop("finding")                       # as an older ledgerpilot wrote it
        conn.execute("INSERT INTO proposals (id, idempotency_key, kind, state, run_id, created_at, created_by, title,"
                     " body) VALUES (?, ?, ?, 'proposed', 'r0', ?, 'ledgerpilot', ?, ?)",
                     (proposal.id, proposal.idempotency_key, proposal.kind, proposal.created_at.isoformat(),
                      proposal.title, json.dumps(body)))
    conn.close()
    with StateDB(path) as db:
        store = ProposalStore(db)
        assert store.get(old["activity"].id).finding == store.get(old["note"].id).finding == "anomaly:a1b2"
        assert store.get(old["reversal"].id).finding == store.get(old["accrual"].id).finding
        assert store.get(old["other"].id).finding == f"proposal:{old['other'].id}"
        assert len(store.by_finding("anomaly:a1b2")) == 2
        assert store.get(old["note"].id).evidence.figures["anomaly_key"] == "a1b2"
