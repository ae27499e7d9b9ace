"""Stored proposals: idempotent insert, lookup and listing; their decisions and applications.

Inserting a proposal whose ``idempotency_key`` is already stored returns the stored one: a forecast
re-run that reaches the same conclusion does not pile up duplicate proposals. A new proposal is
written to the audit log in the same transaction. State changes go
through :func:`ledgerpilot.domain.proposal.transition`, so the store cannot be used to skip one.

A decision (who approved or rejected, when, whether an entry is to be posted, the note) is stored in
the same transaction as the state change it causes, and so is an application (the records written in
Odoo, whether they were adopted, what Odoo changed, or why it failed): a proposal is never approved
without its approver on record, nor applied without its records.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from ledgerpilot.domain.proposal import Proposal, RecordRef, transition
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.audit import append_entry
from ledgerpilot.memory.state import StateDB


class ProposalNotFound(LedgerpilotError):
    """No stored proposal has the given id."""


class AmbiguousProposalId(LedgerpilotError):
    """An id prefix matches several stored proposals."""

    exit_code = 2


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Decision:
    """A human's decision on a proposal, as checked against Odoo."""

    proposal_id: str
    decision: Literal["approved", "rejected"]
    login: str
    uid: int | None
    decided_at: dt.datetime = field(default_factory=_utcnow)
    post: bool = False
    note: str = ""
    required_group: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"proposal_id": self.proposal_id, "decision": self.decision, "login": self.login, "uid": self.uid,
                "decided_at": self.decided_at.isoformat(), "post": self.post, "note": self.note,
                "required_group": self.required_group}


@dataclass(frozen=True)
class Application:
    """What applying a proposal did in Odoo (state ``applied``) or why it could not (``failed``)."""

    proposal_id: str
    state: Literal["applied", "failed"]
    written_by: str
    records: tuple[RecordRef, ...] = ()
    adopted: bool = False
    differences: tuple[str, ...] = ()
    error: str | None = None
    applied_at: dt.datetime = field(default_factory=_utcnow)

    @property
    def record(self) -> RecordRef | None:
        return self.records[0] if self.records else None

    def to_dict(self) -> dict[str, Any]:
        return {"proposal_id": self.proposal_id, "state": self.state, "written_by": self.written_by,
                "records": [r.model_dump() for r in self.records], "adopted": self.adopted,
                "differences": list(self.differences), "error": self.error,
                "applied_at": self.applied_at.isoformat()}


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
            append_entry(conn, "proposal", actor=proposal.created_by, subject=proposal.id,
                         details={"kind": proposal.kind, "title": proposal.title, "run_id": proposal.run_id,
                                  "idempotency_key": proposal.idempotency_key,
                                  "call": f"{proposal.payload.model}.{proposal.payload.method}",
                                  "required_group": proposal.required_group})
        return StoredProposal(proposal, created=True)

    def resolve_id(self, prefix: str) -> str:
        """The full id of the one proposal whose id starts with ``prefix`` (ids are shown shortened)."""
        prefix = (prefix or "").strip().lower()
        if not prefix:
            raise ProposalNotFound("no proposal id given")
        rows = self.db.query("SELECT id FROM proposals WHERE id LIKE ? ORDER BY created_at LIMIT 6",
                             (prefix.replace("%", "").replace("_", "") + "%",))
        exact = [row["id"] for row in rows if row["id"] == prefix]
        if exact:
            return exact[0]
        if not rows:
            raise ProposalNotFound(f"no proposal with an id starting {prefix!r} in {self.db.path} "
                                   "(`ledgerpilot proposals list` shows them)")
        if len(rows) > 1:
            shown = ", ".join(row["id"][:16] for row in rows[:5])
            raise AmbiguousProposalId(f"{prefix!r} matches several proposals ({shown}{', ...' if len(rows) > 5 else ''});"
                                      " give more characters of the id")
        return rows[0]["id"]

    def get(self, proposal_id: str) -> Proposal:
        rows = self.db.query("SELECT body FROM proposals WHERE id = ?", (proposal_id,))
        if not rows:
            raise ProposalNotFound(f"no proposal with id {proposal_id!r} in {self.db.path}")
        return Proposal.from_json(rows[0]["body"])

    def list(self, *, state: str | None = None, run_id: str | None = None, kind: str | None = None,
             newest_first: bool = False, limit: int | None = None, offset: int = 0) -> list[Proposal]:
        """Proposals, oldest first (or newest first), optionally only one state, run or kind, one page."""
        where, params = self._where(state=state, run_id=run_id, kind=kind)
        order = "created_at DESC, rowid DESC" if newest_first else "created_at, rowid"
        page = f" LIMIT {int(limit)} OFFSET {max(0, int(offset))}" if limit is not None else ""
        rows = self.db.query(f"SELECT body FROM proposals{where} ORDER BY {order}{page}", tuple(params))
        return [Proposal.from_json(row["body"]) for row in rows]

    def count(self, *, state: str | None = None, kind: str | None = None) -> int:
        where, params = self._where(state=state, kind=kind)
        return int(self.db.query(f"SELECT COUNT(*) AS n FROM proposals{where}", tuple(params))[0]["n"])

    def kinds(self, *, state: str | None = None) -> list[str]:
        """The kinds that occur (in ``state``), for filters."""
        where, params = self._where(state=state)
        return [row["kind"] for row in self.db.query(f"SELECT DISTINCT kind FROM proposals{where} ORDER BY kind",
                                                     tuple(params))]

    @staticmethod
    def _where(**filters: str | None) -> tuple[str, list[str]]:
        clauses, params = [], []
        for column, value in filters.items():
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params

    def set_state(self, proposal_id: str, target: str) -> Proposal:
        """Move a stored proposal to ``target`` if its life cycle allows it (atomic)."""
        with self.db.transaction() as conn:
            return self._transition(conn, proposal_id, target)

    def _transition(self, conn, proposal_id: str, target: str) -> Proposal:
        """Inside the caller's transaction: move the proposal to ``target`` (the life cycle permitting)."""
        row = conn.execute("SELECT body FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
        if row is None:
            raise ProposalNotFound(f"no proposal with id {proposal_id!r} in {self.db.path}")
        changed = transition(Proposal.from_json(row["body"]), target)
        conn.execute("UPDATE proposals SET state = ?, body = ? WHERE id = ?",
                     (changed.state, changed.to_json(), proposal_id))
        return changed

    # ------------------------------------------------------------------ decisions and applications

    def decide(self, decision: Decision) -> Proposal:
        """Approve or reject: the state change and the decision are stored together, or neither."""
        with self.db.transaction() as conn:
            changed = self._transition(conn, decision.proposal_id, decision.decision)
            conn.execute(
                "INSERT INTO proposal_decisions (proposal_id, decision, login, uid, decided_at, post, note,"
                " required_group) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (decision.proposal_id, decision.decision, decision.login, decision.uid,
                 decision.decided_at.isoformat(), int(decision.post), decision.note, decision.required_group))
        return changed

    def decision(self, proposal_id: str) -> Decision | None:
        rows = self.db.query("SELECT * FROM proposal_decisions WHERE proposal_id = ?", (proposal_id,))
        if not rows:
            return None
        row = rows[0]
        return Decision(proposal_id=row["proposal_id"], decision=row["decision"], login=row["login"],
                        uid=row["uid"], decided_at=dt.datetime.fromisoformat(row["decided_at"]),
                        post=bool(row["post"]), note=row["note"], required_group=row["required_group"])

    def record_application(self, application: Application) -> Proposal:
        """Mark an approved proposal applied or failed, with what happened in Odoo (atomic)."""
        with self.db.transaction() as conn:
            changed = self._transition(conn, application.proposal_id, application.state)
            conn.execute(
                "INSERT INTO proposal_applications (proposal_id, state, applied_at, written_by, records, adopted,"
                " differences, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (application.proposal_id, application.state, application.applied_at.isoformat(),
                 application.written_by, json.dumps([r.model_dump() for r in application.records]),
                 int(application.adopted), json.dumps(list(application.differences)), application.error))
        return changed

    def application(self, proposal_id: str) -> Application | None:
        rows = self.db.query("SELECT * FROM proposal_applications WHERE proposal_id = ?", (proposal_id,))
        if not rows:
            return None
        row = rows[0]
        return Application(proposal_id=row["proposal_id"], state=row["state"], written_by=row["written_by"],
                           records=tuple(RecordRef(**r) for r in json.loads(row["records"])),
                           adopted=bool(row["adopted"]), differences=tuple(json.loads(row["differences"])),
                           error=row["error"], applied_at=dt.datetime.fromisoformat(row["applied_at"]))
