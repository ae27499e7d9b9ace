"""Stored proposals: idempotent insert, lookup and listing.

Inserting a proposal whose ``idempotency_key`` is already stored returns the stored one: a forecast
re-run that reaches the same conclusion does not pile up duplicate proposals. State changes go
through :func:`ledgerpilot.domain.proposal.transition`, so the store cannot be used to skip one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerpilot.domain.proposal import Proposal, transition
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.state import StateDB


class ProposalNotFound(LedgerpilotError):
    """No stored proposal has the given id."""


@dataclass(frozen=True)
class StoredProposal:
    proposal: Proposal
    created: bool  # False when an identical proposal was already stored


class ProposalStore:
    def __init__(self, db: StateDB):
        self.db = db

    def add(self, proposal: Proposal) -> StoredProposal:
        """Store ``proposal``, or return the stored one with the same idempotency key."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT body FROM proposals WHERE idempotency_key = ?",
                               (proposal.idempotency_key,)).fetchone()
            if row is not None:
                return StoredProposal(Proposal.from_json(row["body"]), created=False)
            conn.execute(
                "INSERT INTO proposals (id, idempotency_key, kind, state, run_id, created_at, created_by, title, body)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (proposal.id, proposal.idempotency_key, proposal.kind, proposal.state, proposal.run_id,
                 proposal.created_at.isoformat(), proposal.created_by, proposal.title, proposal.to_json()))
        return StoredProposal(proposal, created=True)

    def get(self, proposal_id: str) -> Proposal:
        rows = self.db.query("SELECT body FROM proposals WHERE id = ?", (proposal_id,))
        if not rows:
            raise ProposalNotFound(f"no proposal with id {proposal_id!r} in {self.db.path}")
        return Proposal.from_json(rows[0]["body"])

    def list(self, *, state: str | None = None, run_id: str | None = None, kind: str | None = None) -> list[Proposal]:
        """Proposals, oldest first, optionally only one state, run or kind."""
        clauses, params = [], []
        for column, value in (("state", state), ("run_id", run_id), ("kind", kind)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.query(f"SELECT body FROM proposals{where} ORDER BY created_at, rowid", tuple(params))
        return [Proposal.from_json(row["body"]) for row in rows]

    def set_state(self, proposal_id: str, target: str) -> Proposal:
        """Move a stored proposal to ``target`` if its life cycle allows it (atomic)."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT body FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
            if row is None:
                raise ProposalNotFound(f"no proposal with id {proposal_id!r} in {self.db.path}")
            changed = transition(Proposal.from_json(row["body"]), target)
            conn.execute("UPDATE proposals SET state = ?, body = ? WHERE id = ?",
                         (changed.state, changed.to_json(), proposal_id))
        return changed
