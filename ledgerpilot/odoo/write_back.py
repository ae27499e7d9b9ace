"""Applying an approved proposal to Odoo: the one path by which ledgerpilot writes.

:func:`apply_proposal` takes a proposal in state ``approved`` and makes its call in Odoo exactly
once: each writer first looks for the record by the proposal's idempotency marker (see
:mod:`ledgerpilot.odoo.write_common`) and adopts it when it is already there, so an apply that was
killed after Odoo committed but before the local state changed, or whose answer was lost, never
creates a second record when run again. Then the record is read back and compared with what was
approved; every difference is stored with the proposal and audited.

Outcomes:
- Odoo wrote it: the proposal becomes ``applied`` with its records, ``adopted`` and the differences;
- Odoo refused it (AccessError, UserError, ValidationError, RedirectWarning, a server error) or the
  payload cannot be made into the call: ``failed`` with the reason in words;
- the connection failed with the outcome unknown (a timeout, a dropped answer): the proposal stays
  ``approved`` and :class:`ApplyInterrupted` says to run apply again, which will adopt what was written.

Writes use the configured write user (``LEDGERPILOT_ODOO_WRITE_USER``) when there is one
(``Settings.odoo_write_connection()``), otherwise the main connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledgerpilot.domain.proposal import Proposal, RecordRef
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.proposal_store import Application, ProposalStore
from ledgerpilot.odoo.client import OdooClient
from ledgerpilot.odoo.errors import OdooConnectionError, OdooError, OdooRedirectWarning, OdooSessionExpired
from ledgerpilot.odoo.write_common import PayloadError, WriteContext, WriteOutcome
from ledgerpilot.odoo.write_mail import write_activity, write_note
from ledgerpilot.odoo.write_moves import write_moves
from ledgerpilot.odoo.write_payments import write_payments
from ledgerpilot.odoo.write_updates import write_budget_transfer, write_lock_date

Writer = Callable[[WriteContext], WriteOutcome]

#: proposal kind -> the writer that applies it
WRITERS: dict[str, Writer] = {
    "adjusting_entry": write_moves,
    "accrual": write_moves,
    "reversal": write_moves,
    "lock_date": write_lock_date,
    "activity": write_activity,
    "po_hold": write_activity,
    "note": write_note,
    "budget_transfer": write_budget_transfer,
    "payment_proposal": write_payments,
}


class ApplyRefused(LedgerpilotError):
    """The proposal cannot be applied in its state (not approved, or already applied/failed)."""


class ApplyInterrupted(LedgerpilotError):
    """The connection to Odoo failed with the outcome unknown; the proposal stays approved."""

    exit_code = 3


@dataclass(frozen=True)
class ApplyResult:
    proposal: Proposal                 # now applied or failed
    record: RecordRef | None           # the (first) record written or adopted
    adopted: bool                      # found already in Odoo by its idempotency key: nothing created
    differences: list[str] = field(default_factory=list)   # what Odoo changed vs what was approved
    error: str | None = None
    records: tuple[RecordRef, ...] = ()

    @property
    def ok(self) -> bool:
        return self.proposal.state == "applied"

    def to_dict(self) -> dict[str, Any]:
        return {"proposal_id": self.proposal.id, "kind": self.proposal.kind, "state": self.proposal.state,
                "record": self.record.model_dump() if self.record else None,
                "records": [r.model_dump() for r in self.records], "adopted": self.adopted,
                "differences": list(self.differences), "error": self.error}


def apply_proposal(client: OdooClient, store: ProposalStore, audit: AuditLog, proposal_id: str) -> ApplyResult:
    """Write the approved proposal ``proposal_id`` to Odoo exactly once and check what Odoo made of it."""
    proposal = store.get(proposal_id)
    actor = client.connection.user
    if proposal.state != "approved":
        application = store.application(proposal.id)
        detail = ""
        if application is not None and application.record is not None:
            detail = f" ({application.record.model} {application.record.id})"
        message = (f"proposal {proposal.id[:12]} ({proposal.kind}: {proposal.title}) is {proposal.state}{detail}; "
                   "only an approved proposal can be applied")
        audit.record("refusal", actor=actor, subject=proposal.id, details={"action": "apply", "message": message})
        raise ApplyRefused(message)
    decision = store.decision(proposal.id)
    if decision is None or decision.decision != "approved":
        raise ApplyRefused(f"proposal {proposal.id[:12]} is marked approved but no approval is on record; "
                           "it cannot be applied")
    writer = WRITERS.get(proposal.kind)
    audit.record("apply", actor=actor, subject=proposal.id,
                 details={"kind": proposal.kind, "approved_by": decision.login, "post": decision.post,
                          "idempotency_key": proposal.idempotency_key, "odoo_url": client.url, "odoo_db": client.db})
    error: str | None = None
    outcome: WriteOutcome | None = None
    context = WriteContext(client=client, proposal=proposal, decision=decision, audit=audit)
    try:
        if writer is None:
            raise PayloadError(f"no way to apply a {proposal.kind} proposal is known")
        outcome = writer(context)
    except (OdooConnectionError, OdooSessionExpired) as exc:
        audit.record("apply_interrupted", actor=actor, subject=proposal.id, details={"error": str(exc)})
        raise ApplyInterrupted(f"applying proposal {proposal.id[:12]} was interrupted: {exc}. Odoo may or may not "
                               "have written it; the proposal stays approved, and applying it again finds what "
                               "was written instead of writing it twice.") from exc
    except OdooRedirectWarning as exc:
        error = _redirect_words(proposal, exc)
    except OdooError as exc:
        error = f"Odoo refused {proposal.payload.model}.{proposal.payload.method}: {exc.odoo_message or exc}"
    except PayloadError as exc:
        error = str(exc)
    if outcome is not None:
        application = Application(proposal_id=proposal.id, state="applied", written_by=actor,
                                  records=tuple(outcome.records), adopted=outcome.adopted,
                                  differences=tuple(outcome.differences))
    else:
        application = Application(proposal_id=proposal.id, state="failed", written_by=actor, error=error,
                                  records=tuple(context.written))
    changed = store.record_application(application)
    audit.record("applied" if outcome is not None else "failed", actor=actor, subject=proposal.id,
                 details=application.to_dict())
    return ApplyResult(proposal=changed, record=application.record, adopted=application.adopted,
                       differences=list(application.differences), error=application.error,
                       records=application.records)


def _redirect_words(proposal: Proposal, exc: OdooRedirectWarning) -> str:
    """A RedirectWarning (e.g. a lock date over unreconciled bank lines) as a sentence with its records."""
    action = exc.action or {}
    count = ""
    for leaf in action.get("domain") or []:
        if isinstance(leaf, (list, tuple)) and len(leaf) == 3 and leaf[0] == "id" and isinstance(leaf[2], list):
            count = f" ({len(leaf[2])} {action.get('res_model', 'record')} record{'s' if len(leaf[2]) != 1 else ''}:" \
                    f" ids {', '.join(str(i) for i in leaf[2][:10])}{', ...' if len(leaf[2]) > 10 else ''})"
    said = exc.arguments[0] if exc.arguments and isinstance(exc.arguments[0], str) else (exc.odoo_message or str(exc))
    return f"Odoo refused {proposal.payload.model}.{proposal.payload.method}: {said}{count}"


def apply_all_approved(client: OdooClient, store: ProposalStore, audit: AuditLog) -> list[ApplyResult]:
    """Apply every approved proposal, oldest first; an interrupted one stops the run (the rest wait)."""
    return [apply_proposal(client, store, audit, proposal.id) for proposal in store.list(state="approved")]
