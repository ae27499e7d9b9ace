"""The audit log: an append-only, keyed and anchored chain of what ledgerpilot read, proposed, decided and wrote.

Each entry is ``(seq, at, actor, action, subject, details, prev_hash, hash, scheme)`` in the state
database. ``hash`` is an HMAC-SHA256, under the **audit key**, of ``prev_hash`` and the canonical JSON
of the entry's content (seq, at, actor, action, subject, details, scheme); ``prev_hash`` is the hash of
the entry before it (64 zeros for the first one). So changing an entry breaks its own MAC, deleting one
breaks the next link, moving entries breaks the links where they were moved -- and nobody without the
key can recompute the chain after an edit. :meth:`AuditLog.verify` walks the chain and names the first
entry that does not hold, in words.

**The key lives outside the database**: ``LEDGERPILOT_AUDIT_KEY`` (at least 32 characters) when set,
else the file ``audit.key`` beside the database (``LEDGERPILOT_HOME``), created on first use with mode
0600 and refused when others can read it. ``scheme`` names the key by a short id
(``hmac-sha256:<key id>``), so an entry written under another key is reported as such, not as an edit.

**The head is anchored outside the database** (:meth:`AuditLog.anchor`): its ``(seq, hash)``, with the
time and a MAC of its own, is appended to ``audit-anchors.jsonl`` beside the database (or
``LEDGERPILOT_AUDIT_ANCHOR_FILE``, e.g. on another disk) at every write-back, every decision and daily
by ``serve``. Deleting entries at the end of the log -- which no chain can show by itself -- and
rewriting entries with the key in hand both disagree with an anchor. ``verify`` says up to which entry
the log is **proven** (the last anchor that matches); entries after it hold under the key but are not
anchored yet.

**Older logs.** Entries written before the log was keyed keep their plain SHA-256 chain (``scheme``
``sha256``) and are verified as such. The first keyed entry after them is an ``audit_keyed`` entry that
records how many there were, the hash of the last one and whether their chain held; its MAC covers that
hash, so a recomputed rewrite of the old entries no longer matches it.

SQLite triggers refuse UPDATE and DELETE on the table, so the product itself can only append. An entry
is appended in one ``BEGIN IMMEDIATE`` transaction that reads the last hash and inserts the new entry,
so several threads (the state database serialises them) and several processes (SQLite's write lock)
never fork the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.jsonsafe import json_safe
from ledgerpilot.memory.state import StateDB

GENESIS_HASH = "0" * 64
LEGACY_SCHEME = "sha256"
KEYED_SCHEME = "hmac-sha256"
AUDIT_KEY_ENV = "LEDGERPILOT_AUDIT_KEY"
ANCHOR_FILE_ENV = "LEDGERPILOT_AUDIT_ANCHOR_FILE"
KEY_FILE = "audit.key"
ANCHOR_FILE = "audit-anchors.jsonl"
MIN_KEY_LENGTH = 32

#: The actions the product records; others may be added (the log accepts any short word).
ACTIONS = ("pull", "proposal", "decision", "refusal", "write", "read_back", "apply", "llm_call", "tool_call")


class AuditKeyError(LedgerpilotError):
    """The audit key is missing, too short or readable by others."""

    exit_code = 2


class AuditAnchorError(LedgerpilotError):
    """The anchor file cannot be written (a full disk, a read-only place, missing rights)."""


@dataclass(frozen=True)
class AuditKey:
    secret: bytes = field(repr=False)
    source: str                                  # where it came from, in words

    @property
    def key_id(self) -> str:
        """A short public name of the key (never enough to recover it)."""
        return hmac.new(self.secret, b"ledgerpilot audit key id", hashlib.sha256).hexdigest()[:12]

    @property
    def scheme(self) -> str:
        return f"{KEYED_SCHEME}:{self.key_id}"

    def mac(self, text: str) -> str:
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()


_KEYS: dict[tuple[str, str | None], AuditKey] = {}
_KEYS_LOCK = threading.Lock()


def audit_key(home: Path, *, create: bool = True) -> AuditKey:
    """The audit key of the state database in ``home``: the environment's, else ``home/audit.key`` (made on
    first use, mode 0600, unless ``create`` is false). Read at call time, never at import."""
    from_env = os.environ.get(AUDIT_KEY_ENV)
    cache_key = (str(Path(home).resolve()), from_env)
    with _KEYS_LOCK:
        known = _KEYS.get(cache_key)
        if known is not None and (from_env or _key_file_unchanged(Path(home) / KEY_FILE)):
            return known
        key = _load_key(Path(home), from_env, create)
        _KEYS[cache_key] = key
        return key


def _key_file_unchanged(path: Path) -> bool:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return False
    return mode & 0o077 == 0


def _load_key(home: Path, from_env: str | None, create: bool) -> AuditKey:
    if from_env:
        if len(from_env.strip()) < MIN_KEY_LENGTH:
            raise AuditKeyError(f"{AUDIT_KEY_ENV} must be at least {MIN_KEY_LENGTH} characters long (a random "
                                "secret: `python -c 'import secrets; print(secrets.token_hex(32))'`)")
        return AuditKey(from_env.strip().encode(), f"the environment ({AUDIT_KEY_ENV})")
    path = home / KEY_FILE
    if not path.exists() and not create:
        raise AuditKeyError(f"the audit key {path} is missing (and {AUDIT_KEY_ENV} is not set): the keyed entries "
                            "cannot be verified; restore the key file from where it was kept")
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it a moment ago: read theirs
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
                out.flush()
                os.fsync(out.fileno())
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_text().strip()
    except OSError as exc:
        raise AuditKeyError(f"cannot read the audit key {path}: {exc}") from exc
    if mode & 0o077:
        raise AuditKeyError(f"the audit key {path} has mode {mode:04o}: others can read it; make it private "
                            f"with `chmod 600 {path}`")
    if len(text) < MIN_KEY_LENGTH:
        raise AuditKeyError(f"the audit key {path} is shorter than {MIN_KEY_LENGTH} characters; it was damaged")
    return AuditKey(text.encode(), str(path))


def anchor_path(home: Path) -> Path:
    """Where the anchors of the log in ``home`` are appended (``LEDGERPILOT_AUDIT_ANCHOR_FILE`` overrides)."""
    explicit = os.environ.get(ANCHOR_FILE_ENV)
    return Path(explicit) if explicit else Path(home) / ANCHOR_FILE


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same content always gives the same text."""
    return json.dumps(json_safe(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, subject: str, details_json: str) -> str:
    """The unkeyed SHA-256 of an entry written before the log was keyed (scheme ``sha256``)."""
    content = canonical({"seq": seq, "at": at, "actor": actor, "action": action, "subject": subject,
                         "details": json.loads(details_json)})
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def entry_mac(key: AuditKey, prev_hash: str, seq: int, at: str, actor: str, action: str, subject: str,
              details_json: str) -> str:
    """The keyed MAC of an entry (scheme ``hmac-sha256:<key id>``): nobody without the key can recompute it."""
    content = canonical({"seq": seq, "at": at, "actor": actor, "action": action, "subject": subject,
                         "details": json.loads(details_json), "scheme": key.scheme})
    return key.mac(f"{prev_hash}\n{content}")


@dataclass(frozen=True)
class Anchor:
    """The head of the log at one moment, kept outside the database."""

    seq: int
    hash: str
    at: str
    reason: str
    key_id: str
    mac: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "at": self.at, "reason": self.reason, "key_id": self.key_id,
                "mac": self.mac}


def _anchor_text(seq: int, digest: str, at: str, reason: str) -> str:
    return f"anchor\n{seq}\n{digest}\n{at}\n{reason}"


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
    scheme: str = LEGACY_SCHEME

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "subject": self.subject, "details": json_safe(self.details), "prev_hash": self.prev_hash,
                "hash": self.hash, "scheme": self.scheme}


@dataclass(frozen=True)
class AuditVerification:
    """The result of walking the chain: ``ok``, how many entries, the first problem in words, and how far
    the log is proven: ``proven_up_to`` is the last entry an anchor outside the database vouches for."""

    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None
    problems: list[str] = field(default_factory=list)
    last_seq: int = 0
    proven_up_to: int | None = None
    proven_at: str | None = None        # when that anchor was written
    anchors: int = 0                     # anchors read (and checked)
    anchor_file: str = ""
    keyed_from: int | None = None        # the first entry under the key (earlier ones predate keying)

    def __str__(self) -> str:
        if not self.ok:
            return f"audit log TAMPERED: {self.problem}"
        if not self.entries:
            return "audit log empty: nothing to verify"
        text = f"audit log intact: {self.entries} entries, every MAC and link holds"
        if self.keyed_from is None:
            text += "; no entry is keyed yet (entries predate the audit key)"
        elif self.keyed_from > 1:
            text += (f"; entries 1 to {self.keyed_from - 1} predate the audit key (plain SHA-256 chain, vouched for "
                     f"by keyed entry {self.keyed_from})")
        if self.proven_up_to is None:
            text += f"; NOT proven: no anchor outside the database yet ({self.anchor_file})"
        else:
            text += f"; proven up to entry {self.proven_up_to} (anchored {self.proven_at} in {self.anchor_file})"
            if self.last_seq > self.proven_up_to:
                first = self.proven_up_to + 1
                span = f"entry {first}" if first == self.last_seq else f"entries {first} to {self.last_seq}"
                text += f"; {span} hold under the key but are not anchored yet"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "first_bad_seq": self.first_bad_seq, "problem": self.problem,
                "problems": list(self.problems), "last_seq": self.last_seq, "proven_up_to": self.proven_up_to,
                "proven_at": self.proven_at, "anchors": self.anchors, "anchor_file": self.anchor_file,
                "keyed_from": self.keyed_from}


class AuditLog:
    """Append, anchor, read and verify audit entries in a state database."""

    def __init__(self, db: StateDB):
        self.db = db

    @property
    def home(self) -> Path:
        return self.db.path.parent

    @property
    def anchor_file(self) -> Path:
        return anchor_path(self.home)

    def key(self, *, create: bool = True) -> AuditKey:
        return audit_key(self.home, create=create)

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

    def anchor(self, *, reason: str) -> Anchor | None:
        """Append the head of the log (its last entry's seq and MAC) to the anchor file; None when empty."""
        key = self.key()
        rows = self.db.query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        if not rows:
            return None
        seq, digest = int(rows[0]["seq"]), str(rows[0]["hash"])
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        reason = " ".join(str(reason).split())[:200]
        made = Anchor(seq=seq, hash=digest, at=at, reason=reason, key_id=key.key_id,
                      mac=key.mac(_anchor_text(seq, digest, at, reason)))
        path = self.anchor_file
        line = (json.dumps(made.to_dict(), separators=(",", ":"), ensure_ascii=True) + "\n").encode()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise AuditAnchorError(f"cannot append the audit anchor to {path}: {exc.strerror or exc}") from exc
        return made

    def anchor_quietly(self, *, reason: str, log) -> Anchor | None:
        """:meth:`anchor` after a change that already happened: a failure is logged and audited, not raised
        (the change stands; ``audit verify`` will show the log as not proven that far)."""
        try:
            return self.anchor(reason=reason)
        except AuditAnchorError as exc:
            log.warning("%s", exc)
            self.record("anchor_failed", actor="ledgerpilot", subject="audit_log",
                        details={"reason": reason, "error": str(exc)})
            return None

    def anchors(self) -> tuple[list[Anchor], list[str]]:
        """The anchors in the anchor file and, in words, the lines that are not valid anchors."""
        path = self.anchor_file
        if not path.exists():
            return [], []
        key = self.key()
        found, problems = [], []
        try:
            text = path.read_text(errors="replace")
        except OSError as exc:
            return [], [f"the anchor file {path} cannot be read ({exc.strerror or exc}): the log cannot be held "
                        "against its anchors"]
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                anchor = Anchor(seq=int(data["seq"]), hash=str(data["hash"]), at=str(data["at"]),
                                reason=str(data.get("reason", "")), key_id=str(data.get("key_id", "")),
                                mac=str(data["mac"]))
            except (ValueError, KeyError, TypeError):
                problems.append(f"line {number} of the anchor file {path} is not an anchor (the file was edited)")
                continue
            if anchor.key_id != key.key_id:
                problems.append(f"line {number} of the anchor file {path} was made with another audit key "
                                f"(id {anchor.key_id}, now {key.key_id})")
                continue
            expected = key.mac(_anchor_text(anchor.seq, anchor.hash, anchor.at, anchor.reason))
            if not hmac.compare_digest(expected, anchor.mac):
                problems.append(f"line {number} of the anchor file {path} does not carry the audit key's MAC: it "
                                "was forged or edited")
                continue
            found.append(anchor)
        return found, problems

    def verify(self) -> AuditVerification:
        """Walk the chain from the first entry, then hold it against the anchors; report the first problem and
        how far the log is proven."""
        rows = self.db.query("SELECT * FROM audit_log ORDER BY seq")
        key, key_problem = None, None
        if any((row["scheme"] or LEGACY_SCHEME) != LEGACY_SCHEME for row in rows) or self.anchor_file.exists():
            try:
                key = self.key(create=False)
            except AuditKeyError as exc:
                key_problem = str(exc)
        by_hash = {row["hash"]: row["seq"] for row in rows}
        problems: list[tuple[int, str]] = []
        previous = None
        keyed_from: int | None = None
        for row in rows:
            seq = row["seq"]
            expected_prev = previous["hash"] if previous is not None else GENESIS_HASH
            scheme = row["scheme"] or LEGACY_SCHEME
            details = _details_text(row["details"])
            problem = None
            if scheme == LEGACY_SCHEME:
                if keyed_from is not None:
                    problem = (f"entry {seq} ({row['action']} by {row['actor']}) claims the unkeyed scheme after keyed "
                               f"entry {keyed_from}: it was rewritten without the key")
                elif entry_hash(row["prev_hash"], seq, row["at"], row["actor"], row["action"], row["subject"],
                                details) != row["hash"]:
                    problem = _edited(row)
            elif scheme.startswith(KEYED_SCHEME + ":"):
                keyed_from = seq if keyed_from is None else keyed_from
                if key is not None and scheme != key.scheme:
                    problem = (f"entry {seq} was written with another audit key (id {scheme.split(':', 1)[1]}; "
                               f"the key now in use, from {key.source}, is {key.key_id}): it cannot be verified")
                elif key is not None and not hmac.compare_digest(
                        entry_mac(key, row["prev_hash"], seq, row["at"], row["actor"], row["action"], row["subject"],
                                  details), row["hash"]):
                    problem = _edited(row)
            else:
                problem = f"entry {seq} has an unknown scheme {scheme!r}"
            if problem is None and row["prev_hash"] != expected_prev:
                problem = _link_problem(row, previous, by_hash)
            elif problem is None and previous is not None and seq != previous["seq"] + 1:
                problem = f"entries {previous['seq'] + 1} to {seq - 1} are missing"
            if problem is not None:
                problems.append((seq, problem))
            previous = row
        problems.extend(self._tail_problem(rows))
        last_seq = rows[-1]["seq"] if rows else 0
        if key_problem is not None:
            problems.append((keyed_from or 1, key_problem))
        anchors, anchor_problems = self.anchors() if key is not None else ([], [])
        problems.extend((last_seq + 1, text) for text in anchor_problems)
        hashes = {row["seq"]: row["hash"] for row in rows}
        proven: Anchor | None = None
        for anchor in anchors:
            if anchor.seq > last_seq:
                missing = f"entry {anchor.seq}" if anchor.seq == last_seq + 1 else \
                    f"entries {last_seq + 1} to {anchor.seq}"
                problems.append((last_seq + 1, f"{missing} at the end of the log were deleted: the anchor of "
                                               f"{anchor.at} ({anchor.reason}) shows the log reached entry "
                                               f"{anchor.seq}, but it now ends at entry {last_seq}"))
            elif anchor.seq not in hashes:
                problems.append((anchor.seq, f"entry {anchor.seq} was deleted: the anchor of {anchor.at} "
                                             f"({anchor.reason}) vouches for it"))
            elif not hmac.compare_digest(hashes[anchor.seq], anchor.hash):
                problems.append((anchor.seq, f"entry {anchor.seq} does not match its anchor of {anchor.at} "
                                             f"({anchor.reason}): the log up to it was rewritten"))
            elif proven is None or anchor.seq >= proven.seq:
                proven = anchor
        problems.sort(key=lambda item: item[0])
        first_bad = problems[0][0] if problems else None
        proven_up_to = proven.seq if proven is not None and (first_bad is None or proven.seq < first_bad) else None
        common = {"entries": len(rows), "last_seq": last_seq, "proven_up_to": proven_up_to,
                  "proven_at": proven.at if proven_up_to is not None and proven is not None else None,
                  "anchors": len(anchors), "anchor_file": str(self.anchor_file), "keyed_from": keyed_from}
        if not problems:
            return AuditVerification(ok=True, **common)
        return AuditVerification(ok=False, first_bad_seq=first_bad, problem=problems[0][1],
                                 problems=[text for _seq, text in problems], **common)

    def _tail_problem(self, rows) -> list[tuple[int, str]]:
        rows_seq = self.db.query("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'")
        given = int(rows_seq[0]["seq"]) if rows_seq else 0
        last = rows[-1]["seq"] if rows else 0
        if given > last:
            missing = f"entry {given}" if given == last + 1 else f"entries {last + 1} to {given}"
            return [(last + 1, f"{missing} at the end of the log were deleted (the log had numbered up to {given})")]
        return []


def _edited(row) -> str:
    return (f"entry {row['seq']} ({row['action']} by {row['actor']} at {row['at']}) was edited: its content no longer "
            "matches its MAC")


def append_entry(conn, action: str, *, actor: str, subject: str = "", details: Mapping[str, Any] | None = None
                 ) -> AuditEntry:
    """Append one entry on ``conn``, inside a transaction the caller holds (``BEGIN IMMEDIATE``).

    The state database's own writes (a proposal stored) use this to be audited atomically with the
    change they record. The key is that of the database ``conn`` is open on (see :func:`audit_key`).
    """
    if not action or not isinstance(action, str):
        raise ValueError("an audit entry needs an action (pull, proposal, decision, write, ...)")
    if not actor:
        raise ValueError(f"the audit entry {action!r} needs an actor (who did it)")
    key = audit_key(_home_of(conn))
    last = conn.execute("SELECT seq, hash, scheme FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    if last is not None and (last[2] or LEGACY_SCHEME) == LEGACY_SCHEME:
        _insert(conn, key, "audit_keyed", actor="ledgerpilot", subject="audit_log", details=_legacy_summary(conn))
    return _insert(conn, key, action, actor=actor, subject=subject, details=details)


def _insert(conn, key: AuditKey, action: str, *, actor: str, subject: str, details: Mapping[str, Any] | None
            ) -> AuditEntry:
    details_json = canonical(dict(details or {}))
    at = dt.datetime.now(dt.UTC)
    at_text = at.isoformat(timespec="microseconds")
    last = conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    prev_hash = last[0] if last is not None else GENESIS_HASH
    seq = _next_seq(conn)
    digest = entry_mac(key, prev_hash, seq, at_text, actor, action, subject, details_json)
    conn.execute("INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash, scheme)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (seq, at_text, actor, action, subject, details_json, prev_hash, digest, key.scheme))
    return AuditEntry(seq, at, actor, action, subject, json.loads(details_json), prev_hash, digest, key.scheme)


def _home_of(conn) -> Path:
    """The folder of the database ``conn`` is open on (where its key and anchors live)."""
    for row in conn.execute("PRAGMA database_list").fetchall():
        if row[1] == "main" and row[2]:
            return Path(row[2]).parent
    raise AuditKeyError("the audit log needs a state database on disk (its key lives beside it)")


def _legacy_summary(conn) -> dict[str, Any]:
    """What the entries written before keying are: how many, their last hash, whether their chain holds."""
    previous = GENESIS_HASH
    ok, count, last_seq = True, 0, 0
    for row in conn.execute("SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_log "
                            "ORDER BY seq").fetchall():
        count += 1
        last_seq = row[0]
        if row[6] != previous or entry_hash(row[6], row[0], row[1], row[2], row[3], row[4],
                                            _details_text(row[5])) != row[7]:
            ok = False
        previous = row[7]
    return {"legacy_entries": count, "legacy_last_seq": last_seq, "legacy_head": previous, "legacy_chain_ok": ok,
            "why": "the audit log is keyed from here on; this entry's MAC vouches for the entries before it"}


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
                      prev_hash=row["prev_hash"], hash=row["hash"], scheme=row["scheme"] or LEGACY_SCHEME)


def pull_hook(audit: AuditLog, actor: str):
    """A ``pull_hook`` for :class:`ledgerpilot.odoo.client.OdooClient`: one ``pull`` entry per read call."""
    def hook(model: str, method: str, rows: int) -> None:
        audit.record("pull", actor=actor, subject=model, details={"method": method, "rows": int(rows)})
    return hook
