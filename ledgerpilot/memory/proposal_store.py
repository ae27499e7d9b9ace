"""Stored proposals: idempotent insert, lookup and listing; their decisions and applications.

Inserting a proposal whose ``idempotency_key`` is already stored returns the stored one: a forecast
re-run that reaches the same conclusion does not pile up duplicate proposals. A new proposal is
written to the audit log in the same transaction. State changes go
through :func:`ledgerpilot.domain.proposal.transition`, so the store cannot be used to skip one.

A decision (who approved or rejected, when, whether an entry is to be posted, the note) is stored in
the same transaction as the state change it causes, and so is an application (the records written in
Odoo, whether they were adopted, what Odoo changed, or why it failed): a proposal is never approved
without its approver on record, nor applied without its records.

Who asked for a proposal (``Proposal.requested_by``) is kept in ``proposal_requests``, one row per
person: the same proposal asked for again by someone else adds them, and none of them may approve it.

**Findings.** Each stored proposal belongs to a finding (``Proposal.finding``; when the proposal names
none, its own id, or for a reversal the finding of the accrual it reverses). The parts of one finding
are read together (:meth:`ProposalStore.by_finding`) and decided together, all or none
(:meth:`ProposalStore.decide_all`). Watchers store a finding's parts with :meth:`add_finding`: a
finding already stored, whatever became of it, adds nothing -- an anomaly, a budget line at the same
tier or an overdue invoice found again on the next run does not queue a second decision.

**One applier at a time.** Applying starts with :meth:`ProposalStore.claim`: in one ``BEGIN IMMEDIATE``
transaction (SQLite's write lock, so it holds across threads and processes) an ``approved`` proposal
becomes ``applying`` with an owner and a lease (``lease_until``, Unix seconds). Another applier finds it
``applying`` and is told who holds it (:class:`ApplyBusy`), unless the lease has run out -- the owner
died (kill -9, a power cut) without finishing -- in which case the claim is taken over and the new owner
adopts whatever the old one wrote (the write-back searches Odoo by the idempotency marker first). The
owner renews its lease while it works (:meth:`renew`), checks it still holds the claim before each write
(:meth:`holds`), and ends it with :meth:`record_application` (``applied``/``failed``); when it stops with
the outcome in Odoo unknown (a lost answer, an interruption) it keeps the claim for a short while only
(:meth:`hold`: Odoo may still be finishing the call), after which the next applier takes it over.
Each attempt keeps its own application row;
a ``failed`` proposal goes back to ``approved`` through :meth:`retry`, stored with who retried it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
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


class ClaimRefused(LedgerpilotError):
    """The proposal cannot be claimed for applying: it is not approved (``state`` says what it is)."""

    def __init__(self, message: str, *, state: str):
        super().__init__(message)
        self.state = state


class ApplyBusy(ClaimRefused):
    """Another applier holds the proposal's claim and its lease has not run out."""

    def __init__(self, message: str, *, owner: str, lease_until: float):
        super().__init__(message, state="applying")
        self.owner = owner
        self.lease_until = lease_until


class ClaimLost(LedgerpilotError):
    """The claim was taken over by another applier (this one's lease had run out): stop writing."""


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
    #: when the identical proposal already stored had failed: its last application (the reason), so the
    #: caller can point to it (``ledgerpilot proposals retry ID``) instead of proposing it again
    previous_failure: Application | None = None


@dataclass(frozen=True)
class Claim:
    """The right to apply one proposal, held by ``owner`` until ``lease_until`` (Unix seconds) unless renewed."""

    proposal_id: str
    owner: str
    attempt: int
    lease_until: float
    taken_over_from: str | None = None   # the previous owner, whose lease had run out

    def to_dict(self) -> dict[str, Any]:
        return {"owner": self.owner, "attempt": self.attempt, "lease_until": _iso(self.lease_until),
                "taken_over_from": self.taken_over_from}


@dataclass(frozen=True)
class Retry:
    """An approver sent a failed proposal back to ``approved`` (the cause fixed)."""

    proposal_id: str
    login: str
    uid: int | None
    note: str = ""
    previous_error: str | None = None
    retried_at: dt.datetime = field(default_factory=_utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {"proposal_id": self.proposal_id, "login": self.login, "uid": self.uid, "note": self.note,
                "previous_error": self.previous_error, "retried_at": self.retried_at.isoformat()}


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


class ProposalStore:
    def __init__(self, db: StateDB):
        self.db = db

    def add(self, proposal: Proposal) -> StoredProposal:
        """Store ``proposal``, or return the stored one with the same idempotency key.

        Who asked (``requested_by``) is remembered either way: a second person asking for the same thing
        is added to the requesters, and none of them may approve it. When the stored one had failed, the
        result carries that failure (``previous_failure``) so the caller points to it.
        """
        with self.db.transaction() as conn:
            return self._add(conn, proposal)

    def _add(self, conn, proposal: Proposal) -> StoredProposal:
        row = conn.execute("SELECT body, finding FROM proposals WHERE idempotency_key = ?",
                           (proposal.idempotency_key,)).fetchone()
        if row is not None:
            stored = _loaded(row)
            if proposal.requested_by and self._add_requester(conn, stored.id, proposal.requested_by,
                                                             proposal.run_id):
                append_entry(conn, "proposal_requested", actor=proposal.requested_by, subject=stored.id,
                             details={"run_id": proposal.run_id, "state": stored.state,
                                      "why": "the same proposal was asked for again"})
            return StoredProposal(stored, created=False, previous_failure=self._failure(conn, stored))
        proposal = proposal.model_copy(update={"finding": _finding_of(conn, proposal)})
        conn.execute(
            "INSERT INTO proposals (id, idempotency_key, kind, state, run_id, created_at, created_by, title, body,"
            " finding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (proposal.id, proposal.idempotency_key, proposal.kind, proposal.state, proposal.run_id,
             proposal.created_at.isoformat(), proposal.created_by, proposal.title, proposal.to_json(),
             proposal.finding))
        append_entry(conn, "proposal", actor=proposal.created_by, subject=proposal.id,
                     details={"kind": proposal.kind, "title": proposal.title, "run_id": proposal.run_id,
                              "idempotency_key": proposal.idempotency_key,
                              "call": f"{proposal.payload.model}.{proposal.payload.method}",
                              "required_group": proposal.required_group,
                              "requested_by": proposal.requested_by, "finding": proposal.finding})
        if proposal.requested_by:
            self._add_requester(conn, proposal.id, proposal.requested_by, proposal.run_id)
        return StoredProposal(proposal, created=True)

    def add_finding(self, proposals: Sequence[Proposal]) -> list[StoredProposal]:
        """Store the parts of one finding together (one transaction) -- unless the finding is known.

        When a proposal of the same finding is already stored, in whatever state (waiting, decided, written,
        failed), nothing is added and the stored parts are returned (``created`` False; a failed one carries
        its failure): a watcher that finds the same thing again does not queue it twice, even when its
        figures moved (a budget line a day later, an anomaly's risk after a rescan). Without a finding,
        each proposal is added as :meth:`add` does.
        """
        proposals = list(proposals)
        findings = {p.finding for p in proposals}
        if len(findings) > 1:
            raise ValueError(f"add_finding takes the parts of one finding, not {sorted(findings)}")
        finding = findings.pop() if findings else ""
        with self.db.transaction() as conn:
            if finding:
                rows = conn.execute("SELECT body, finding FROM proposals WHERE finding = ? ORDER BY created_at, rowid",
                                    (finding,)).fetchall()
                if rows:
                    return [StoredProposal(stored, created=False, previous_failure=self._failure(conn, stored))
                            for stored in map(_loaded, rows)]
            return [self._add(conn, proposal) for proposal in proposals]

    @staticmethod
    def _failure(conn, stored: Proposal) -> Application | None:
        if stored.state != "failed":
            return None
        return _application(conn.execute("SELECT * FROM proposal_applications WHERE proposal_id = ? "
                                          "ORDER BY attempt DESC LIMIT 1", (stored.id,)).fetchone())

    def by_finding(self, finding: str, *, state: str | None = None) -> list[Proposal]:
        """The parts of ``finding`` (optionally only those in ``state``), first stored first."""
        where = " AND state = ?" if state is not None else ""
        rows = self.db.query(f"SELECT body, finding FROM proposals WHERE finding = ?{where} ORDER BY created_at, rowid",
                             (finding, *((state,) if state is not None else ())))
        return [_loaded(row) for row in rows]

    @staticmethod
    def _add_requester(conn, proposal_id: str, requested_by: str, run_id: str) -> bool:
        cursor = conn.execute("INSERT OR IGNORE INTO proposal_requests (proposal_id, requested_by, requested_at, run_id)"
                              " VALUES (?, ?, ?, ?)", (proposal_id, requested_by.strip(), _utcnow().isoformat(),
                                                       run_id))
        return cursor.rowcount > 0

    def requesters(self, proposal_id: str) -> list[str]:
        """Everyone who asked for the proposal, first asker first."""
        rows = self.db.query("SELECT requested_by FROM proposal_requests WHERE proposal_id = ? "
                             "ORDER BY requested_at, rowid", (proposal_id,))
        return [row["requested_by"] for row in rows]

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
        rows = self.db.query("SELECT body, finding FROM proposals WHERE id = ?", (proposal_id,))
        if not rows:
            raise ProposalNotFound(f"no proposal with id {proposal_id!r} in {self.db.path}")
        return _loaded(rows[0])

    def list(self, *, state: str | None = None, run_id: str | None = None, kind: str | None = None,
             newest_first: bool = False, limit: int | None = None, offset: int = 0) -> list[Proposal]:
        """Proposals, oldest first (or newest first), optionally only one state, run or kind, one page."""
        where, params = self._where(state=state, run_id=run_id, kind=kind)
        order = "created_at DESC, rowid DESC" if newest_first else "created_at, rowid"
        page = f" LIMIT {int(limit)} OFFSET {max(0, int(offset))}" if limit is not None else ""
        rows = self.db.query(f"SELECT body, finding FROM proposals{where} ORDER BY {order}{page}", tuple(params))
        return [_loaded(row) for row in rows]

    def ids(self, *, state: str | None = None) -> list[str]:
        """The ids of the stored proposals (in ``state``), oldest first."""
        where, params = self._where(state=state)
        return [row["id"] for row in self.db.query(f"SELECT id FROM proposals{where} ORDER BY created_at, rowid",
                                                   tuple(params))]

    def get_many(self, ids: Sequence[str]) -> list[Proposal]:
        """The proposals with these ids (unknown ids left out), in no particular order."""
        found: list[Proposal] = []
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            found.extend(_loaded(row) for row in self.db.query(
                f"SELECT body, finding FROM proposals WHERE id IN ({marks})", tuple(chunk)))
        return found

    def count(self, *, state: str | None = None, kind: str | None = None) -> int:
        where, params = self._where(state=state, kind=kind)
        return int(self.db.query(f"SELECT COUNT(*) AS n FROM proposals{where}", tuple(params))[0]["n"])

    def count_findings(self, *, state: str | None = None) -> int:
        """How many findings have proposals (in ``state``): the items of the approval queue."""
        where, params = self._where(state=state)
        return int(self.db.query(f"SELECT COUNT(DISTINCT finding) AS n FROM proposals{where}", tuple(params))[0]["n"])

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
        row = conn.execute("SELECT body, finding FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
        if row is None:
            raise ProposalNotFound(f"no proposal with id {proposal_id!r} in {self.db.path}")
        changed = transition(_loaded(row), target)
        conn.execute("UPDATE proposals SET state = ?, body = ? WHERE id = ?",
                     (changed.state, changed.to_json(), proposal_id))
        return changed

    # ------------------------------------------------------------------ decisions and applications

    def decide(self, decision: Decision) -> Proposal:
        """Approve or reject: the state change and the decision are stored together, or neither."""
        with self.db.transaction() as conn:
            changed = self._transition(conn, decision.proposal_id, decision.decision)
            self._insert_decision(conn, decision)
        return changed

    def decide_all(self, decisions: Sequence[Decision]) -> list[Proposal]:
        """Decide several proposals (the parts of one finding) in one transaction: every state change and
        decision is stored, or -- when one of them is refused (someone decided it first) -- none."""
        with self.db.transaction() as conn:
            changed = []
            for decision in decisions:
                changed.append(self._transition(conn, decision.proposal_id, decision.decision))
                self._insert_decision(conn, decision)
        return changed

    @staticmethod
    def _insert_decision(conn, decision: Decision) -> None:
        conn.execute(
            "INSERT INTO proposal_decisions (proposal_id, decision, login, uid, decided_at, post, note,"
            " required_group) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (decision.proposal_id, decision.decision, decision.login, decision.uid,
             decision.decided_at.isoformat(), int(decision.post), decision.note, decision.required_group))

    def decision(self, proposal_id: str) -> Decision | None:
        rows = self.db.query("SELECT * FROM proposal_decisions WHERE proposal_id = ?", (proposal_id,))
        if not rows:
            return None
        row = rows[0]
        return Decision(proposal_id=row["proposal_id"], decision=row["decision"], login=row["login"],
                        uid=row["uid"], decided_at=dt.datetime.fromisoformat(row["decided_at"]),
                        post=bool(row["post"]), note=row["note"], required_group=row["required_group"])

    # ------------------------------------------------------------------ claims: one applier at a time

    def claim(self, proposal_id: str, owner: str, lease_seconds: float, *, now: float | None = None) -> Claim:
        """Claim an approved proposal for applying (approved -> applying), or take over a claim whose lease
        has run out. Atomic across threads and processes; audited in the same transaction."""
        now = time.time() if now is None else now
        with self.db.transaction() as conn:
            row = conn.execute("SELECT body FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
            if row is None:
                raise ProposalNotFound(f"no proposal with id {proposal_id!r} in {self.db.path}")
            proposal = Proposal.from_json(row["body"])
            what = f"proposal {proposal.id[:12]} ({proposal.kind}: {proposal.title})"
            if proposal.state == "approved":
                attempt = int(conn.execute("SELECT COUNT(*) FROM proposal_applications WHERE proposal_id = ?",
                                           (proposal_id,)).fetchone()[0]) + 1
                self._transition(conn, proposal_id, "applying")
                conn.execute("INSERT OR REPLACE INTO proposal_claims (proposal_id, owner, claimed_at, lease_until,"
                             " attempt) VALUES (?, ?, ?, ?, ?)",
                             (proposal_id, owner, _iso(now), now + lease_seconds, attempt))
                made = Claim(proposal_id, owner, attempt, now + lease_seconds)
                append_entry(conn, "apply_claimed", actor=owner, subject=proposal_id, details=made.to_dict())
                return made
            if proposal.state != "applying":
                raise ClaimRefused(f"{what} is {proposal.state}; only an approved proposal can be applied",
                                   state=proposal.state)
            held = conn.execute("SELECT * FROM proposal_claims WHERE proposal_id = ?", (proposal_id,)).fetchone()
            if held is not None and held["lease_until"] > now:
                raise ApplyBusy(f"{what} is being applied by {held['owner']} (since {held['claimed_at']}, its "
                                f"lease runs until {_iso(held['lease_until'])}); nothing was done",
                                owner=held["owner"], lease_until=held["lease_until"])
            previous = held["owner"] if held is not None else "an unknown applier"
            attempt = held["attempt"] if held is not None else 1
            conn.execute("INSERT OR REPLACE INTO proposal_claims (proposal_id, owner, claimed_at, lease_until, attempt)"
                         " VALUES (?, ?, ?, ?, ?)", (proposal_id, owner, _iso(now), now + lease_seconds, attempt))
            made = Claim(proposal_id, owner, attempt, now + lease_seconds, taken_over_from=previous)
            append_entry(conn, "apply_takeover", actor=owner, subject=proposal_id,
                         details={**made.to_dict(), "why": "the previous applier's lease ran out without it "
                                                           "finishing; what it wrote is found by the marker"})
            return made

    def renew(self, claim: Claim, lease_seconds: float, *, now: float | None = None) -> Claim:
        """Extend the lease of a claim still held; :class:`ClaimLost` when another applier took it over."""
        now = time.time() if now is None else now
        with self.db.transaction() as conn:
            cursor = conn.execute("UPDATE proposal_claims SET lease_until = ? WHERE proposal_id = ? AND owner = ?",
                                  (now + lease_seconds, claim.proposal_id, claim.owner))
            if cursor.rowcount == 0:
                raise ClaimLost(f"the claim on proposal {claim.proposal_id[:12]} held by {claim.owner} was taken "
                                "over by another applier")
        return Claim(claim.proposal_id, claim.owner, claim.attempt, now + lease_seconds, claim.taken_over_from)

    def holds(self, claim: Claim) -> bool:
        """Is ``claim`` still the proposal's claim (nobody took it over)?"""
        rows = self.db.query("SELECT owner FROM proposal_claims WHERE proposal_id = ?", (claim.proposal_id,))
        return bool(rows) and rows[0]["owner"] == claim.owner

    def claim_of(self, proposal_id: str) -> Claim | None:
        rows = self.db.query("SELECT * FROM proposal_claims WHERE proposal_id = ?", (proposal_id,))
        if not rows:
            return None
        row = rows[0]
        return Claim(row["proposal_id"], row["owner"], row["attempt"], row["lease_until"])

    def hold(self, claim: Claim, seconds: float, *, reason: str, now: float | None = None) -> Claim:
        """Keep the claim, but only ``seconds`` more, without a heartbeat: the applier stopped with the outcome
        unknown (Odoo may still be finishing the call); after that the next applier takes it over and adopts."""
        now = time.time() if now is None else now
        with self.db.transaction() as conn:
            self._check_claim(conn, claim)
            conn.execute("UPDATE proposal_claims SET lease_until = ? WHERE proposal_id = ?",
                         (now + seconds, claim.proposal_id))
            append_entry(conn, "apply_held", actor=claim.owner, subject=claim.proposal_id,
                         details={"attempt": claim.attempt, "reason": reason, "until": _iso(now + seconds)})
        return Claim(claim.proposal_id, claim.owner, claim.attempt, now + seconds, claim.taken_over_from)

    def claimable(self, *, now: float | None = None) -> list[str]:
        """Ids an applier may take now, oldest first: approved ones, and applying ones whose lease ran out."""
        now = time.time() if now is None else now
        rows = self.db.query(
            "SELECT p.id FROM proposals p LEFT JOIN proposal_claims c ON c.proposal_id = p.id "
            "WHERE p.state = 'approved' OR (p.state = 'applying' AND (c.lease_until IS NULL OR c.lease_until <= ?)) "
            "ORDER BY p.created_at, p.rowid", (now,))
        return [row["id"] for row in rows]

    def _check_claim(self, conn, claim: Claim) -> None:
        row = conn.execute("SELECT owner FROM proposal_claims WHERE proposal_id = ?", (claim.proposal_id,)).fetchone()
        if row is None or row["owner"] != claim.owner:
            holder = row["owner"] if row is not None else "nobody"
            raise ClaimLost(f"proposal {claim.proposal_id[:12]} is no longer claimed by {claim.owner} (now: "
                            f"{holder}); this applier's outcome is not recorded")

    def record_application(self, application: Application, claim: Claim) -> Proposal:
        """End ``claim`` with what happened in Odoo: applying -> applied or failed (atomic)."""
        with self.db.transaction() as conn:
            self._check_claim(conn, claim)
            changed = self._transition(conn, application.proposal_id, application.state)
            conn.execute("DELETE FROM proposal_claims WHERE proposal_id = ?", (claim.proposal_id,))
            conn.execute(
                "INSERT INTO proposal_applications (proposal_id, attempt, state, applied_at, written_by, records,"
                " adopted, differences, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (application.proposal_id, claim.attempt, application.state, application.applied_at.isoformat(),
                 application.written_by, json.dumps([r.model_dump() for r in application.records]),
                 int(application.adopted), json.dumps(list(application.differences)), application.error))
        return changed

    def application(self, proposal_id: str) -> Application | None:
        """The latest attempt's application (None before the first one ended)."""
        rows = self.db.query("SELECT * FROM proposal_applications WHERE proposal_id = ? ORDER BY attempt DESC LIMIT 1",
                             (proposal_id,))
        return _application(rows[0]) if rows else None

    def applications(self, proposal_id: str) -> list[Application]:
        """Every attempt's application, first attempt first."""
        rows = self.db.query("SELECT * FROM proposal_applications WHERE proposal_id = ? ORDER BY attempt",
                             (proposal_id,))
        return [_application(row) for row in rows]

    # ------------------------------------------------------------------ retries

    def retry(self, retry: Retry) -> Proposal:
        """A failed proposal back to approved, with who sent it back (atomic; audited by the caller)."""
        with self.db.transaction() as conn:
            changed = self._transition(conn, retry.proposal_id, "approved")
            conn.execute("INSERT INTO proposal_retries (proposal_id, login, uid, retried_at, note, previous_error)"
                         " VALUES (?, ?, ?, ?, ?, ?)", (retry.proposal_id, retry.login, retry.uid,
                                                        retry.retried_at.isoformat(), retry.note,
                                                        retry.previous_error))
        return changed

    def retries(self, proposal_id: str) -> list[Retry]:
        rows = self.db.query("SELECT * FROM proposal_retries WHERE proposal_id = ? ORDER BY seq", (proposal_id,))
        return [Retry(proposal_id=row["proposal_id"], login=row["login"], uid=row["uid"], note=row["note"],
                      previous_error=row["previous_error"], retried_at=dt.datetime.fromisoformat(row["retried_at"]))
                for row in rows]


def _loaded(row) -> Proposal:
    """A stored proposal, its finding as stored (older bodies do not carry it)."""
    proposal = Proposal.from_json(row["body"])
    finding = row["finding"]
    return proposal if proposal.finding == finding else proposal.model_copy(update={"finding": finding})


def _finding_of(conn, proposal: Proposal) -> str:
    """The finding a proposal is stored under: its own, else (a reversal) its accrual's, else its id."""
    if proposal.finding:
        return proposal.finding
    reverses = proposal.evidence.figures.get("reverses_proposal_id")
    if reverses:
        row = conn.execute("SELECT finding FROM proposals WHERE id = ?", (str(reverses),)).fetchone()
        return row["finding"] if row is not None else f"proposal:{reverses}"
    return f"proposal:{proposal.id}"


def _application(row) -> Application | None:
    if row is None:
        return None
    return Application(proposal_id=row["proposal_id"], state=row["state"], written_by=row["written_by"],
                       records=tuple(RecordRef(**r) for r in json.loads(row["records"])),
                       adopted=bool(row["adopted"]), differences=tuple(json.loads(row["differences"])),
                       error=row["error"], applied_at=dt.datetime.fromisoformat(row["applied_at"]))
