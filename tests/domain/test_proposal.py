"""The proposal record: immutable, keyed by what it would do, and a strict life cycle."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from ledgerpilot.domain.proposal import (
    TRANSITIONS,
    Evidence,
    OdooCall,
    Proposal,
    ProposalTransitionError,
    RecordRef,
    can_transition,
    idempotency_key,
    transition,
)


def _activity(res_id: int = 42, amount: str = "1234.50") -> Proposal:
    values = {"res_model": "account.move", "res_id": res_id, "activity_type_id": "mail.mail_activity_data_todo",
              "summary": "Collect INV/2026/00042", "date_deadline": dt.date(2026, 11, 20)}
    return Proposal(kind="activity", title="Follow up INV/2026/00042", summary="overdue",
                    payload=OdooCall(model="mail.activity", method="create", args=(values,)),
                    evidence=Evidence(records=(RecordRef(model="account.move", id=res_id, name="INV/2026/00042"),),
                                      figures={"residual": Decimal(amount)}),
                    run_id="run1", created_by="ledgerpilot:forecast")


def test_defaults_and_required_group():
    proposal = _activity()
    assert proposal.state == "proposed"
    assert proposal.required_group == "account.group_account_manager"
    assert len(proposal.id) == 32 and int(proposal.id, 16) >= 0
    assert proposal.created_at.tzinfo is not None


def test_is_immutable():
    proposal = _activity()
    with pytest.raises(ValidationError):
        proposal.state = "approved"


def test_idempotency_key_depends_on_kind_and_payload_only():
    a, b = _activity(), _activity()
    assert a.id != b.id
    assert a.idempotency_key == b.idempotency_key
    assert _activity(res_id=43).idempotency_key != a.idempotency_key
    assert a.idempotency_key == idempotency_key("activity", a.payload.model_dump(mode="json"))


def test_a_key_that_does_not_match_the_payload_is_refused():
    a = _activity()
    data = json.loads(a.to_json())
    data["payload"]["args"][0]["res_id"] = 99
    with pytest.raises(ValidationError, match="idempotency_key does not match"):
        Proposal.model_validate(data)


def test_money_round_trips_as_exact_decimal_strings():
    a = _activity(amount="1234.50")
    data = json.loads(a.to_json())
    assert data["evidence"]["figures"]["residual"] == "1234.50"
    assert data["payload"]["args"][0]["date_deadline"] == "2026-11-20"
    back = Proposal.from_json(a.to_json())
    assert back.idempotency_key == a.idempotency_key and back.id == a.id
    assert Decimal(back.evidence.figures["residual"]) == Decimal("1234.50")


def test_float_money_is_refused():
    with pytest.raises(ValidationError, match="Decimal, not float"):
        OdooCall(model="account.payment", method="create", args=({"amount": 10.5},))


@pytest.mark.parametrize("path,final", [(["approved", "applying", "applied"], True),
                                        (["approved", "applying", "failed", "approved", "applying", "applied"], True),
                                        (["rejected"], True)])
def test_allowed_paths(path, final):
    """Applying goes through a claim (applying); a failure can be retried (approved again); applied and rejected
    are final."""
    proposal = _activity()
    for target in path:
        proposal = transition(proposal, target)
        assert proposal.state == target
    assert (TRANSITIONS[proposal.state] == frozenset()) == final


@pytest.mark.parametrize("start,target", [("proposed", "applied"), ("proposed", "failed"), ("proposed", "proposed"),
                                          ("rejected", "approved"), ("applied", "failed"), ("approved", "applied"),
                                          ("proposed", "applying"), ("applied", "approved")])
def test_other_transitions_are_refused_with_a_clear_message(start, target):
    proposal = _activity()
    if start == "rejected":
        proposal = transition(proposal, "rejected")
    elif start == "applied":
        proposal = transition(transition(transition(proposal, "approved"), "applying"), "applied")
    elif start == "approved":
        proposal = transition(proposal, "approved")
    with pytest.raises(ProposalTransitionError) as err:
        transition(proposal, target)
    assert f"is {start}" in str(err.value) and target in str(err.value)
    assert proposal.state == start


def test_unknown_state_is_named():
    with pytest.raises(ProposalTransitionError, match="unknown proposal state 'done'"):
        transition(_activity(), "done")
    assert can_transition("proposed", "approved") and not can_transition("approved", "rejected")
