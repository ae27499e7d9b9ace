"""Deciding queue items on the page: every waiting part of an item at once, then writing what was approved.

One item (a finding's parts) is decided by :func:`ledgerpilot.approvals.decide.decide_finding`: all its
waiting parts or none, each part under the same rules as the command line. A batch decides its items
one after the other with one Odoo check of the approver (:class:`~ledgerpilot.approvals.decide.OdooCheck`)
and one write connection; an item that is refused (someone decided it first, a rule) does not stop the
others, but Odoo refusing the approver's login or being unreachable stops the batch there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ledgerpilot.approvals.decide import CONFLICT_REASONS, ApprovalRefused, OdooCheck, decide_finding
from ledgerpilot.domain.proposal import Proposal
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.proposal_store import ProposalStore
from ledgerpilot.odoo.errors import OdooError

log = logging.getLogger("ledgerpilot.web")

#: refusals after which a batch stops: the approver's login or Odoo itself, not the item, is the problem
STOPPING_REASONS = frozenset({"wrong_credentials", "group_check_failed"})
#: the outcome of writing an item's approved parts, worst first
WRITE_OUTCOMES = ("apply-failed", "approved-not-written", "approved-written-elsewhere", "approved", "applied")


@dataclass
class ItemOutcome:
    """What happened to one item: ``done`` (a notice key) or ``refused``/``unreachable``."""

    proposal_id: str
    headline: str
    parts: int = 0
    done: str = ""
    refused: ApprovalRefused | None = None
    unreachable: str = ""
    missing: bool = False          # no proposal has this id (a stale page, a hand-made form)

    @property
    def conflict(self) -> bool:
        return self.refused is not None and self.refused.reason in CONFLICT_REASONS

    @property
    def stops(self) -> bool:
        return bool(self.unreachable) or (self.refused is not None and self.refused.reason in STOPPING_REASONS)


class Writer:
    """Writes approved proposals through the write connection, connected once for a batch."""

    def __init__(self, connection, store: ProposalStore, audit: AuditLog, lease_seconds: float | None):
        self.connection = connection
        self.store, self.audit, self.lease_seconds = store, audit, lease_seconds
        self._client = None
        self._unreachable = False

    def write(self, proposal_id: str) -> str:
        """One approved proposal written: a :data:`WRITE_OUTCOMES` key."""
        from ledgerpilot.approvals.apply import ApplyBusy, ApplyRefused, apply_proposal
        from ledgerpilot.odoo.connection import connect

        if self.connection is None:
            return "approved"
        if self._unreachable:
            return "approved-not-written"
        if self._client is None:
            try:
                self._client = connect(self.connection)
            except (OdooError, LedgerpilotError) as exc:
                log.warning("approved %s but could not connect to write it: %s", proposal_id, exc)
                self._unreachable = True
                return "approved-not-written"
        try:
            result = apply_proposal(self._client, self.store, self.audit, proposal_id,
                                    lease_seconds=self.lease_seconds)
        except (ApplyBusy, ApplyRefused) as exc:
            log.info("approved %s; another applier is writing (or wrote) it: %s", proposal_id, exc)
            return "approved-written-elsewhere"
        except LedgerpilotError as exc:
            log.warning("approved %s but writing it failed: %s", proposal_id, exc)
            return "approved-not-written"
        return "applied" if result.ok else "apply-failed"

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def decide_item(store: ProposalStore, audit: AuditLog, approver, proposal_id: str, action: str, *,
                note: str, post: bool | None, agent_logins, approval_groups, check: OdooCheck,
                writer: Writer | None, headline: str = "",
                post_for: Callable[[list[Proposal]], bool] | None = None) -> ItemOutcome:
    """Approve or reject every waiting part of the item ``proposal_id`` belongs to; write what was approved.

    ``post_for`` (a batch) decides from the waiting parts whether ``post`` applies to this item."""
    outcome = ItemOutcome(proposal_id=proposal_id, headline=headline)
    decision = "approved" if action == "approve" else "rejected"
    if post and post_for is not None:
        proposal = store.get(proposal_id)
        post = post_for(store.by_finding(proposal.finding, state="proposed"))
    try:
        made = decide_finding(store, audit, approver, proposal_id, decision, post=post, note=note,
                              agent_logins=agent_logins, approval_groups=approval_groups, check=check)
    except ApprovalRefused as exc:
        outcome.refused = exc
        return outcome
    except OdooError as exc:
        outcome.unreachable = f"Odoo cannot be reached: {exc}"
        return outcome
    outcome.parts = len(made)
    if decision == "rejected":
        outcome.done = "rejected"
        return outcome
    results = [writer.write(d.proposal_id) if writer is not None else "approved" for d in made]
    outcome.done = min(results, key=WRITE_OUTCOMES.index)
    return outcome


@dataclass
class BatchOutcome:
    outcomes: list[ItemOutcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)     # items not reached: the batch stopped before them

    @property
    def decided(self) -> list[ItemOutcome]:
        return [o for o in self.outcomes if o.done]

    @property
    def refused(self) -> list[ItemOutcome]:
        return [o for o in self.outcomes if not o.done]

    @property
    def status(self) -> int:
        """200 when every item was decided; 409 when someone decided one first; 502 when Odoo could not be
        reached; 404 when the only trouble is ids no proposal has; else 403 (a rule refused one)."""
        if not self.refused and not self.skipped:
            return 200
        if any(o.conflict for o in self.refused):
            return 409
        if any(o.unreachable for o in self.refused):
            return 502
        if all(o.missing for o in self.refused) and not self.skipped:
            return 404
        return 403
