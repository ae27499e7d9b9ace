"""The audit log: an append-only, hash-chained record of what ledgerpilot read, proposed, decided and wrote.

Each entry is ``(seq, at, actor, action, subject, details, prev_hash, hash)`` in the state database.
``hash`` is the SHA-256 of ``prev_hash`` and the canonical JSON of the entry's content (seq, at,
actor, action, subject, details), and ``prev_hash`` is the hash of the entry before it (64 zeros for
the first one). So changing an entry's content breaks its own hash, deleting an entry breaks the link
of the next one, and moving entries around breaks the links where they were moved: :meth:`AuditLog.verify`
walks the chain and names the first entry that does not hold, in words.

SQLite triggers refuse UPDATE and DELETE on the table, so the product itself can only append; the
chain is what shows tampering by anyone who drops the triggers and edits the file. An entry is
appended in one ``BEGIN IMMEDIATE`` transaction that reads the last hash and inserts the new entry,
so several threads (the state database serialises them) and several processes (SQLite's write lock)
never fork the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledgerpilot.jsonsafe import json_safe
from ledgerpilot.memory.state import StateDB

GENESIS_HASH = "0" * 64

#: The actions the product records; others may be added (the log accepts any short word).
ACTIONS = ("pull", "proposal", "decision", "refusal", "write", "read_back", "apply", "llm_call", "tool_call")


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same content always gives the same text."""
    return json.dumps(json_safe(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, subject: str, details_json: str) -> str:
    content = canonical({"seq": seq, "at": at, "actor": actor, "action": action, "subject": subject,
                         "details": json.loads(details_json)})
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: dt.datetime
    actor: str
    action: str
    subject: str
    details: Mapping[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "subject": self.subject, "details": json_safe(self.details), "prev_hash": self.prev_hash,
                "hash": self.hash}


@dataclass(frozen=True)
class AuditVerification:
    """The result of walking the chain: ``ok``, how many entries, and the first problem in words."""

    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if self.ok:
            return f"audit log intact: {self.entries} entries, every hash and link holds"
        return f"audit log TAMPERED: {self.problem}"


class AuditLog:
    """Append and read audit entries in a state database."""

    def __init__(self, db: StateDB):
        self.db = db

    @classmethod
    def in_home(cls, home: Path) -> AuditLog:
        return cls(StateDB.in_home(home))

    def record(self, action: str, *, actor: str, subject: str = "", details: Mapping[str, Any] | None = None
               ) -> AuditEntry:
        """Append one entry (atomically, chained to the last one) and return it."""
        if not action or not isinstance(action, str):
            raise ValueError("an audit entry needs an action (pull, proposal, decision, write, ...)")
        if not actor:
            raise ValueError(f"the audit entry {action!r} needs an actor (who did it)")
        with self.db.transaction() as conn:
            return append_entry(conn, action, actor=actor, subject=subject, details=details)

    def pull_hook(self, actor: str):
        """A ``pull_hook`` for an :class:`~ledgerpilot.odoo.client.OdooClient` (see :func:`pull_hook`)."""
        return pull_hook(self, actor)

    def entries(self, *, limit: int | None = None, action: str | None = None, subject: str | None = None,
                newest_first: bool = False) -> list[AuditEntry]:
        """Entries, oldest first (or newest first), optionally only one action or subject."""
        clauses, params = [], []
        for column, value in (("action", action), ("subject", subject)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "DESC" if newest_first or limit is not None else "ASC"
        sql = f"SELECT * FROM audit_log{where} ORDER BY seq {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self.db.query(sql, tuple(params))
        found = [_entry(row) for row in rows]
        if limit is not None and not newest_first:
            found.reverse()
        return found

    def verify(self) -> AuditVerification:
        """Walk the chain from the first entry; report the first entry that does not hold."""
        rows = self.db.query("SELECT * FROM audit_log ORDER BY seq")
        by_hash = {row["hash"]: row["seq"] for row in rows}
        problems: list[tuple[int, str]] = []
        previous = None
        for row in rows:
            seq = row["seq"]
            expected_prev = previous["hash"] if previous is not None else GENESIS_HASH
            own = entry_hash(row["prev_hash"], seq, row["at"], row["actor"], row["action"], row["subject"],
                             _details_text(row["details"]))
            if own != row["hash"]:
                problems.append((seq, (f"entry {seq} ({row['action']} by {row['actor']} at {row['at']}) was edited: "
                                      "its content no longer matches its hash")))
            elif row["prev_hash"] != expected_prev:
                problems.append((seq, _link_problem(row, previous, by_hash)))
            elif previous is not None and seq != previous["seq"] + 1:
                problems.append((seq, f"entries {previous['seq'] + 1} to {seq - 1} are missing"))
            previous = row
        problems.extend(self._tail_problem(rows))
        if not problems:
            return AuditVerification(ok=True, entries=len(rows))
        first_seq, first = problems[0]
        return AuditVerification(ok=False, entries=len(rows), first_bad_seq=first_seq, problem=first,
                                 problems=[text for _seq, text in problems])

    def _tail_problem(self, rows) -> list[tuple[int, str]]:
        rows_seq = self.db.query("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'")
        given = int(rows_seq[0]["seq"]) if rows_seq else 0
        last = rows[-1]["seq"] if rows else 0
        if given > last:
            missing = f"entry {given}" if given == last + 1 else f"entries {last + 1} to {given}"
            return [(last + 1, f"{missing} at the end of the log were deleted (the log had numbered up to {given})")]
        return []


def append_entry(conn, action: str, *, actor: str, subject: str = "", details: Mapping[str, Any] | None = None
                 ) -> AuditEntry:
    """Append one entry on ``conn``, inside a transaction the caller holds (``BEGIN IMMEDIATE``).

    The state database's own writes (a proposal stored) use this to be audited atomically with the
    change they record.
    """
    if not action or not isinstance(action, str):
        raise ValueError("an audit entry needs an action (pull, proposal, decision, write, ...)")
    if not actor:
        raise ValueError(f"the audit entry {action!r} needs an actor (who did it)")
    details_json = canonical(dict(details or {}))
    at = dt.datetime.now(dt.UTC)
    at_text = at.isoformat(timespec="microseconds")
    last = conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    prev_hash = last[0] if last is not None else GENESIS_HASH
    seq = _next_seq(conn)
    digest = entry_hash(prev_hash, seq, at_text, actor, action, subject, details_json)
    conn.execute("INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (seq, at_text, actor, action, subject, details_json, prev_hash, digest))
    return AuditEntry(seq, at, actor, action, subject, json.loads(details_json), prev_hash, digest)


def _next_seq(conn) -> int:
    """One more than the highest number ever given (kept by AUTOINCREMENT even when rows vanish)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
    highest = conn.execute("SELECT MAX(seq) FROM audit_log").fetchone()[0] or 0
    return max(int(row[0]) if row is not None else 0, int(highest)) + 1


def _details_text(text: str) -> str:
    try:
        json.loads(text)
    except (TypeError, ValueError):
        return json.dumps(str(text))
    return text


def _link_problem(row, previous, by_hash: Mapping[str, int]) -> str:
    seq = row["seq"]
    if previous is None:
        return (f"entries before {seq} were deleted: entry {seq} is the first one left but it follows "
                "an earlier entry")
    linked = by_hash.get(row["prev_hash"])
    if linked is not None and linked != previous["seq"]:
        return (f"entries were reordered: entry {seq} was written after entry {linked}, but now follows "
                f"entry {previous['seq']}")
    if seq != previous["seq"] + 1:
        gap = f"entry {previous['seq'] + 1}" if seq == previous["seq"] + 2 else \
            f"entries {previous['seq'] + 1} to {seq - 1}"
        return f"{gap} deleted: entry {seq} does not follow entry {previous['seq']}"
    return (f"the chain is broken before entry {seq}: it does not follow entry {previous['seq']} "
            "(an entry was deleted, replaced or inserted)")


def _entry(row) -> AuditEntry:
    try:
        details = json.loads(row["details"])
    except (TypeError, ValueError):
        details = {"unreadable": str(row["details"])}
    return AuditEntry(seq=row["seq"], at=dt.datetime.fromisoformat(row["at"]), actor=row["actor"],
                      action=row["action"], subject=row["subject"], details=details,
                      prev_hash=row["prev_hash"], hash=row["hash"])


def pull_hook(audit: AuditLog, actor: str):
    """A ``pull_hook`` for :class:`ledgerpilot.odoo.client.OdooClient`: one ``pull`` entry per read call."""
    def hook(model: str, method: str, rows: int) -> None:
        audit.record("pull", actor=actor, subject=model, details={"method": method, "rows": int(rows)})
    return hook
