"""Applying an approved proposal to Odoo: the one path by which ledgerpilot writes.

:func:`apply_proposal` takes a proposal in state ``approved`` and makes its call in Odoo exactly
once: each writer first looks for the record by the proposal's idempotency marker (see
:mod:`ledgerpilot.approvals.writers.common`) and adopts it when it is already there, so an apply that was
killed after Odoo committed but before the local state changed, or whose answer was lost, never
creates a second record when run again. Then the record is read back and compared with what was
approved; every difference is stored with the proposal and audited.

**One applier at a time.** Before touching Odoo the applier claims the proposal in the state store
(``approved -> applying`` with an owner and a lease, one atomic step: see
:meth:`~ledgerpilot.memory.proposal_store.ProposalStore.claim`), so the marker search and the create
happen only under the claim: the CLI, the approval page, serve's scheduled apply and any number of
processes sharing the state database never write one proposal twice, however slow Odoo is. A second
applier is told who holds it (:class:`ApplyBusy`). While it works the owner renews its lease from a
heartbeat thread, and before every write it checks it still holds the claim; an applier that died
(kill -9) stops renewing, and once its lease has run out the next applier takes the claim over and
adopts whatever the marker finds in Odoo. The lease (``LEDGERPILOT_APPLY_LEASE_SECONDS``, 300 s by
default) only has to outlive a dead owner's last heartbeat: a live owner keeps its claim however long
Odoo takes.

Outcomes:
- Odoo wrote it: the proposal becomes ``applied`` with its records, ``adopted`` and the differences;
- Odoo refused it (AccessError, UserError, ValidationError, RedirectWarning, a server error) or the
  payload cannot be made into the call: ``failed`` with the reason in words (an approver may send it
  back to ``approved`` with ``ledgerpilot proposals retry`` once the cause is fixed);
- the connection failed with the outcome unknown (a timeout, a dropped answer), or the apply was
  interrupted (Ctrl-C, an unexpected error): the applier keeps its claim for one more request timeout
  of its connection (Odoo may still be finishing the call it sent) and stops renewing it;
  :class:`ApplyInterrupted` says to run apply again after that, which takes the claim over and adopts
  what was written.

After each apply the audit log's head is anchored outside the database (``AuditLog.anchor``).

Writes use the configured write user (``LEDGERPILOT_ODOO_WRITE_USER``) when there is one
(``Settings.odoo.write_connection()``), otherwise the main connection.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledgerpilot.approvals.writers.common import PayloadError, WriteContext, WriteOutcome
from ledgerpilot.approvals.writers.mail import write_activity, write_note
from ledgerpilot.approvals.writers.moves import write_moves
from ledgerpilot.approvals.writers.payments import write_payments
from ledgerpilot.approvals.writers.updates import write_budget_transfer, write_lock_date
from ledgerpilot.domain.proposal import Proposal, RecordRef
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.proposal_store import (
    Application,
    ApplyBusy,
    Claim,
    ClaimLost,
    ClaimRefused,
    ProposalStore,
)
from ledgerpilot.odoo.client import OdooClient
from ledgerpilot.odoo.errors import OdooConnectionError, OdooError, OdooRedirectWarning, OdooSessionExpired

log = logging.getLogger(__name__)

Writer = Callable[[WriteContext], WriteOutcome]

#: How long a claim holds without a heartbeat: the time after which a dead applier's claim is taken over.
DEFAULT_LEASE_SECONDS = 300.0

__all__ = ["DEFAULT_LEASE_SECONDS", "ApplyBusy", "ApplyInterrupted", "ApplyRefused", "ApplyResult", "WRITERS",
           "apply_claimable", "apply_proposal", "applier_name"]

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


def applier_name(client: OdooClient) -> str:
    """Who holds a claim: the machine, the process and thread, the Odoo login, and a random tag (unique per
    attempt, so an applier never mistakes another's claim for its own)."""
    return (f"{socket.gethostname()}:{os.getpid()}/{threading.get_native_id()} as {client.connection.user} "
            f"#{secrets.token_hex(4)}")


def apply_proposal(client: OdooClient, store: ProposalStore, audit: AuditLog, proposal_id: str, *,
                   lease_seconds: float | None = None) -> ApplyResult:
    """Write the approved proposal ``proposal_id`` to Odoo exactly once and check what Odoo made of it."""
    lease = float(lease_seconds or DEFAULT_LEASE_SECONDS)
    proposal = store.get(proposal_id)
    actor = client.connection.user
    if proposal.state not in ("approved", "applying"):
        raise _refused(store, audit, actor, proposal)
    decision = store.decision(proposal.id)
    if decision is None or decision.decision != "approved":
        raise ApplyRefused(f"proposal {proposal.id[:12]} is marked approved but no approval is on record; "
                           "it cannot be applied")
    owner = applier_name(client)
    try:
        claim = store.claim(proposal.id, owner, lease)
    except ApplyBusy as exc:
        audit.record("refusal", actor=actor, subject=proposal.id,
                     details={"action": "apply", "reason": "busy", "message": str(exc), "holder": exc.owner})
        raise
    except ClaimRefused:
        raise _refused(store, audit, actor, store.get(proposal.id)) from None
    with _Heartbeat(store, claim, lease) as heartbeat:
        result = _apply_claimed(client, store, audit, proposal, decision, heartbeat)
    audit.anchor_quietly(reason=f"apply {proposal.id[:12]}: {result.proposal.state}", log=log)
    return result


def _refused(store: ProposalStore, audit: AuditLog, actor: str, proposal: Proposal) -> ApplyRefused:
    application = store.application(proposal.id)
    detail = ""
    if application is not None and application.record is not None:
        detail = f" ({application.record.model} {application.record.id})"
    message = (f"proposal {proposal.id[:12]} ({proposal.kind}: {proposal.title}) is {proposal.state}{detail}; "
               "only an approved proposal can be applied")
    if proposal.state == "failed":
        message += f" (a failed one can be sent back with `ledgerpilot proposals retry {proposal.id[:12]}`)"
    audit.record("refusal", actor=actor, subject=proposal.id,
                 details={"action": "apply", "reason": proposal.state, "message": message})
    return ApplyRefused(message)


def _apply_claimed(client: OdooClient, store: ProposalStore, audit: AuditLog, proposal: Proposal, decision,
                   heartbeat: _Heartbeat) -> ApplyResult:
    actor = client.connection.user
    claim = heartbeat.claim
    writer = WRITERS.get(proposal.kind)
    audit.record("apply", actor=actor, subject=proposal.id,
                 details={"kind": proposal.kind, "approved_by": decision.login, "post": decision.post,
                          "idempotency_key": proposal.idempotency_key, "odoo_url": client.url, "odoo_db": client.db,
                          **claim.to_dict()})
    error: str | None = None
    outcome: WriteOutcome | None = None
    context = WriteContext(client=FencedClient(client, heartbeat.check), proposal=proposal, decision=decision,
                           audit=audit)
    try:
        if writer is None:
            raise PayloadError(f"no way to apply a {proposal.kind} proposal is known")
        outcome = writer(context)
    except ClaimLost as exc:
        audit.record("apply_abandoned", actor=actor, subject=proposal.id, details={"error": str(exc)})
        raise ApplyBusy(f"applying proposal {proposal.id[:12]} was taken over by another applier after this "
                        f"one's lease ran out; it stopped before writing anything more ({exc})",
                        owner="another applier", lease_until=0.0) from exc
    except (OdooConnectionError, OdooSessionExpired) as exc:
        until = _hold(client, store, audit, heartbeat, proposal, str(exc))
        raise ApplyInterrupted(f"applying proposal {proposal.id[:12]} was interrupted: {exc}. Odoo may or may not "
                               f"have written it; the proposal stays claimed by this applier until {until} (Odoo may "
                               "still be finishing the call), and applying it again after that finds what was "
                               "written instead of writing it twice.") from exc
    except OdooRedirectWarning as exc:
        error = _redirect_words(proposal, exc)
    except OdooError as exc:
        error = f"Odoo refused {proposal.payload.model}.{proposal.payload.method}: {exc.odoo_message or exc}"
    except PayloadError as exc:
        error = str(exc)
    except BaseException as exc:   # Ctrl-C, an unexpected error: the same unknown outcome
        _hold(client, store, audit, heartbeat, proposal, f"{type(exc).__name__}: {exc}")
        raise
    if outcome is not None:
        application = Application(proposal_id=proposal.id, state="applied", written_by=actor,
                                  records=tuple(outcome.records), adopted=outcome.adopted,
                                  differences=tuple(outcome.differences))
    else:
        application = Application(proposal_id=proposal.id, state="failed", written_by=actor, error=error,
                                  records=tuple(context.written))
    try:
        changed = store.record_application(application, heartbeat.claim)
    except ClaimLost as exc:
        audit.record("apply_abandoned", actor=actor, subject=proposal.id, details={"error": str(exc)})
        raise ApplyBusy(f"proposal {proposal.id[:12]} was taken over by another applier before this one could "
                        f"record its outcome ({exc})", owner="another applier", lease_until=0.0) from exc
    audit.record("applied" if outcome is not None else "failed", actor=actor, subject=proposal.id,
                 details=application.to_dict())
    return ApplyResult(proposal=changed, record=application.record, adopted=application.adopted,
                       differences=list(application.differences), error=application.error,
                       records=application.records)


def _hold(client: OdooClient, store: ProposalStore, audit: AuditLog, heartbeat: _Heartbeat, proposal: Proposal,
          error: str) -> str:
    """Stop renewing and keep the claim one request timeout more; the time it lapses, in words."""
    heartbeat.stop()
    seconds = min(heartbeat.lease, float(getattr(client.connection, "timeout", heartbeat.lease)))
    until = "its lease runs out"
    try:
        held = store.hold(heartbeat.claim, seconds, reason=error)
        until = _iso_time(held.lease_until)
    except ClaimLost:
        pass  # taken over meanwhile: the new owner adopts what was written
    audit.record("apply_interrupted", actor=client.connection.user, subject=proposal.id,
                 details={"error": error, "claim_held_until": until})
    return until


def _iso_time(seconds: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


class _Heartbeat:
    """Renews the claim's lease every third of it while the apply runs; :meth:`check` is the fence before writes."""

    def __init__(self, store: ProposalStore, claim: Claim, lease_seconds: float):
        self.store = store
        self.claim = claim
        self.lease = lease_seconds
        self.lost: ClaimLost | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{claim.proposal_id[:8]}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """No more renewals (idempotent)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(max(0.2, self.lease / 3)):
            try:
                self.claim = self.store.renew(self.claim, self.lease)
            except ClaimLost as exc:
                self.lost = exc
                return
            except Exception as exc:  # noqa: BLE001 - a busy database: try again at the next beat
                log.warning("could not renew the claim on %s: %s", self.claim.proposal_id[:12], exc)

    def check(self) -> None:
        """Raise :class:`ClaimLost` unless this applier still holds the claim (called before every write)."""
        if self.lost is not None:
            raise self.lost
        if not self.store.holds(self.claim):
            self.lost = ClaimLost(f"the claim on proposal {self.claim.proposal_id[:12]} held by {self.claim.owner} "
                                  "was taken over by another applier")
            raise self.lost


class FencedClient:
    """An Odoo client whose writing calls first run ``fence()`` (the claim check); everything else is the client's."""

    WRITING = frozenset({"create", "write", "unlink", "call"})

    def __init__(self, client: OdooClient, fence: Callable[[], None]):
        self._client = client
        self._fence = fence

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name not in self.WRITING:
            return attribute

        def fenced(*args: Any, **kwargs: Any) -> Any:
            self._fence()
            return attribute(*args, **kwargs)

        return fenced


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


@dataclass(frozen=True)
class Skipped:
    """A proposal an apply run left alone: another applier holds it, or finished it first."""

    proposal_id: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"proposal_id": self.proposal_id, "skipped": True, "reason": self.reason}


def apply_claimable(client: OdooClient, store: ProposalStore, audit: AuditLog, *, lease_seconds: float | None = None,
                    on_start: Callable[[str, int, int], None] | None = None) -> list[ApplyResult | Skipped]:
    """Apply every proposal that may be applied now, oldest first: the approved ones and those whose applier
    died (lease run out). One another applier holds or finished meanwhile is skipped, with why; an
    interrupted one (:class:`ApplyInterrupted`) stops the run (the rest wait for the next)."""
    ids = store.claimable()
    done: list[ApplyResult | Skipped] = []
    for index, proposal_id in enumerate(ids, start=1):
        if on_start is not None:
            on_start(proposal_id, index, len(ids))
        try:
            done.append(apply_proposal(client, store, audit, proposal_id, lease_seconds=lease_seconds))
        except (ApplyBusy, ApplyRefused) as exc:
            done.append(Skipped(proposal_id, str(exc)))
    return done
