"""Proposals: the only way ledgerpilot suggests a change to the books.

A proposal is an immutable record of one Odoo call a human may approve: what kind of change it
is, the exact call (model, method, args, kwargs), the evidence behind it, and which run made it.
Its state moves only along the transitions in :data:`TRANSITIONS`: proposed -> approved | rejected;
approved -> applying (one applier has claimed it, see ``ProposalStore.claim``; a dead applier's claim
is taken over, the proposal staying applying); applying -> applied | failed; failed -> approved when an
approver retries it once the cause is fixed. :func:`transition` is the single place that enforces them, so an
approval can never be skipped, two appliers never hold one proposal, and an applied or rejected
proposal never changes again.

``created_by`` is what made the proposal (a calculator, the agent); ``requested_by`` is the person who
asked for it (a chat user, a Discuss author, the login a CLI run acted as), empty when nobody asked.
Neither may approve it (``ledgerpilot.approvals.decide``).

``finding`` names what the proposal is about, the same every time a watcher finds it again
(``anomaly:<key>``, a budget line at a tier, an overdue invoice to collect). The proposals of one
finding are the parts of one decision -- an anomaly's note, activity and payment hold; an accrual and
its reversal -- shown as one item in the approval queue and decided together; and a finding already
stored is not proposed again (``ProposalStore.add_finding``). A proposal made without one gets its
own when stored (its id; a reversal, the finding of the accrual it reverses).

Money inside the payload and evidence is ``Decimal`` and serialised as a string, so a proposal read
back from storage carries exactly the amounts that were proposed. The ``idempotency_key`` is a hash
of the kind and the payload: proposing the same thing twice yields the same key, and the store
returns the existing proposal instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

from ledgerpilot.errors import LedgerpilotError

ProposalKind = Literal["adjusting_entry", "accrual", "reversal", "lock_date", "budget_transfer",
                       "payment_proposal", "po_hold", "activity", "note"]
ProposalState = Literal["proposed", "approved", "rejected", "applying", "applied", "failed"]

DEFAULT_REQUIRED_GROUP = "account.group_account_manager"

#: state -> the states it may move to. Terminal states map to nothing.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "proposed": frozenset({"approved", "rejected"}),
    "approved": frozenset({"applying"}),
    "applying": frozenset({"applied", "failed"}),
    "rejected": frozenset(),
    "applied": frozenset(),
    "failed": frozenset({"approved"}),
}


class ProposalTransitionError(LedgerpilotError):
    """A state change the proposal life cycle does not allow."""


def to_jsonable(value: Any) -> Any:
    """Payload/evidence values -> JSON-safe values: Decimal as string, dates ISO, tuples as lists."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float):
        raise ValueError("money in a proposal must be Decimal, not float "
                        f"(got {value!r}); convert with domain.money.quantize")
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def idempotency_key(kind: str, payload: Mapping[str, Any]) -> str:
    """Stable hash of what would be done: the same kind and payload always give the same key."""
    return hashlib.sha256(f"{kind}\n{canonical_json(payload)}".encode()).hexdigest()


class OdooCall(BaseModel):
    """The exact call the proposal would make once approved."""

    model_config = ConfigDict(frozen=True)

    model: str
    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _jsonable(self) -> OdooCall:
        to_jsonable(self.args)   # refuses floats in money: fail at creation, not when stored
        to_jsonable(self.kwargs)
        return self

    @field_serializer("args", "kwargs")
    def _ser(self, value: Any) -> Any:
        return to_jsonable(value)


class RecordRef(BaseModel):
    """A record the proposal is about or relies on."""

    model_config = ConfigDict(frozen=True)

    model: str
    id: int
    name: str = ""


class Evidence(BaseModel):
    """Why the proposal was made: the records and the figures of the calculation."""

    model_config = ConfigDict(frozen=True)

    records: tuple[RecordRef, ...] = ()
    figures: Mapping[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _jsonable(self) -> Evidence:
        to_jsonable(self.figures)
        return self

    @field_serializer("figures")
    def _ser(self, value: Any) -> Any:
        return to_jsonable(value)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class Proposal(BaseModel):
    """One suggested change, immutable; a state change makes a new copy via :func:`transition`."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    kind: ProposalKind
    title: str
    summary: str
    payload: OdooCall
    evidence: Evidence = Field(default_factory=Evidence)
    run_id: str
    created_at: dt.datetime = Field(default_factory=_utcnow)
    created_by: str
    requested_by: str = ""
    finding: str = ""
    required_group: str = DEFAULT_REQUIRED_GROUP
    idempotency_key: str = ""
    state: ProposalState = "proposed"

    @model_validator(mode="after")
    def _key(self) -> Proposal:
        expected = idempotency_key(self.kind, self.payload.model_dump(mode="json"))
        if not self.idempotency_key:
            object.__setattr__(self, "idempotency_key", expected)
        elif self.idempotency_key != expected:
            raise ValueError(f"proposal {self.id}: idempotency_key does not match its kind and payload "
                             "(the payload was changed after the key was made)")
        return self

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> Proposal:
        return cls.model_validate_json(text)


def allowed_transitions(state: str) -> frozenset[str]:
    if state not in TRANSITIONS:
        raise ProposalTransitionError(f"unknown proposal state {state!r}; states are {', '.join(TRANSITIONS)}")
    return TRANSITIONS[state]


def can_transition(current: str, target: str) -> bool:
    return target in allowed_transitions(current)


def transition(proposal: Proposal, target: str) -> Proposal:
    """The proposal in state ``target``, or a clear error when its life cycle does not allow it."""
    allowed = allowed_transitions(proposal.state)
    if target not in TRANSITIONS:
        raise ProposalTransitionError(f"unknown proposal state {target!r}; states are {', '.join(TRANSITIONS)}")
    if target not in allowed:
        after = ", ".join(sorted(allowed)) if allowed else "nothing (it is final)"
        raise ProposalTransitionError(f"proposal {proposal.id} ({proposal.kind}) is {proposal.state}: it cannot "
                                      f"become {target}; from {proposal.state} it can only become {after}")
    return proposal.model_copy(update={"state": target})
