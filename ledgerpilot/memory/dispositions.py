"""Anomalies found by past scans, the reviewers' dispositions of them, and when each source was scanned.

Three tables of the state database (see :mod:`ledgerpilot.memory.state`):

- ``anomalies``: every anomaly a scan found, by its stable key (detector + the records it cites), with
  its detector, kind, score, combined risk, the whole finding as JSON, when it was first and last seen
  and the proposals its alert made. A rescan refreshes score, risk and ``last_seen`` but keeps
  ``first_seen`` and the proposals, so ``anomalies show``/``dispose`` work on ids from any earlier scan
  and an alert is proposed once, not once per scan.
- ``anomaly_dispositions``: append-only. A reviewer marks an anomaly ``false_positive``,
  ``investigate`` or ``corrected`` with a note and their name; disposing again adds a row, and the
  latest one is the one that counts. Each disposition is written to the audit log in the same
  transaction (action ``disposition``).
- ``anomaly_scans``: one row per scan and source (the Odoo URL and database), so ``--since last``
  knows from when to read.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.audit import append_entry
from ledgerpilot.memory.state import StateDB

DispositionName = Literal["false_positive", "investigate", "corrected"]
DISPOSITIONS: tuple[str, ...] = ("false_positive", "investigate", "corrected")
#: The status each disposition gives the anomaly's entry in the exceptions memory.
MEMORY_STATUS = {"false_positive": "false_positive", "investigate": "open", "corrected": "resolved"}


class AnomalyNotFound(LedgerpilotError):
    """No stored anomaly has the given id."""


class AmbiguousAnomalyId(LedgerpilotError):
    """An id prefix matches several stored anomalies."""

    exit_code = 2


class DispositionError(LedgerpilotError):
    """A disposition that cannot be recorded as given (unknown word, no note, no reviewer)."""

    exit_code = 2


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def normalise_disposition(word: str) -> str:
    """``false-positive`` / ``False Positive`` / ``false_positive`` -> ``false_positive`` (or a clear error)."""
    value = "_".join((word or "").strip().lower().replace("-", " ").replace("_", " ").split())
    if value not in DISPOSITIONS:
        raise DispositionError(f"{word!r} is not a disposition; use one of "
                               f"{', '.join(d.replace('_', '-') for d in DISPOSITIONS)}")
    return value


@dataclass(frozen=True)
class Disposition:
    """A reviewer's verdict on one anomaly."""

    key: str
    disposition: str
    note: str
    by: str
    at: dt.datetime
    seq: int = 0

    def to_dict(self) -> dict:
        return {"key": self.key, "disposition": self.disposition, "note": self.note, "by": self.by,
                "at": self.at.isoformat(), "seq": self.seq}


@dataclass(frozen=True)
class StoredAnomaly:
    """An anomaly as the state database remembers it, with its latest disposition (if any)."""

    anomaly: Anomaly
    risk: float
    first_seen: dt.datetime
    last_seen: dt.datetime
    last_scan_id: str
    proposal_ids: tuple[str, ...]
    disposition: Disposition | None = None

    @property
    def key(self) -> str:
        return self.anomaly.key

    def to_dict(self) -> dict:
        return {"key": self.key, "risk": round(self.risk, 4), "first_seen": self.first_seen.isoformat(),
                "last_seen": self.last_seen.isoformat(), "last_scan_id": self.last_scan_id,
                "proposal_ids": list(self.proposal_ids),
                "disposition": self.disposition.to_dict() if self.disposition else None,
                "anomaly": self.anomaly.model_dump(mode="json")}


@dataclass(frozen=True)
class ScanRecord:
    """One finished scan of one source."""

    scan_id: str
    source: str
    started_at: dt.datetime
    finished_at: dt.datetime
    since: dt.datetime | None
    today: dt.date
    found: int
    alerted: int
    suppressed: int
    new_proposals: int


def source_of(url: str, db: str) -> str:
    """The name a scanned Odoo is remembered by: its URL and database."""
    return f"{url.rstrip('/')}#{db}"


class AnomalyStore:
    """Anomalies, dispositions and scan times in a state database."""

    def __init__(self, db: StateDB):
        self.db = db

    # ------------------------------------------------------------------ anomalies

    def record(self, found: Sequence[tuple[Anomaly, float]], *, scan_id: str,
               seen_at: dt.datetime | None = None) -> dict[str, StoredAnomaly]:
        """Store (or refresh) the anomalies of one scan in one transaction; key -> what is now stored."""
        at = (seen_at or _now()).isoformat()
        with self.db.transaction() as conn:
            for anomaly, risk in found:
                conn.execute(
                    "INSERT INTO anomalies (key, detector, kind, score, risk, title, body, first_seen, last_seen,"
                    " last_scan_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET detector = excluded.detector, kind = excluded.kind,"
                    " score = excluded.score, risk = excluded.risk, title = excluded.title, body = excluded.body,"
                    " last_seen = excluded.last_seen, last_scan_id = excluded.last_scan_id",
                    (anomaly.key, anomaly.detector, anomaly.kind, float(anomaly.score), float(risk), anomaly.title,
                     anomaly.model_dump_json(), at, at, scan_id))
        return self.get_many([anomaly.key for anomaly, _risk in found])

    def set_proposals(self, key: str, proposal_ids: Sequence[str]) -> None:
        """Remember the proposals an anomaly's alert made (added to those it already has)."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT proposal_ids FROM anomalies WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise AnomalyNotFound(f"no anomaly {key!r} in {self.db.path}")
            known = list(json.loads(row["proposal_ids"]))
            known.extend(pid for pid in proposal_ids if pid not in known)
            conn.execute("UPDATE anomalies SET proposal_ids = ? WHERE key = ?", (json.dumps(known), key))

    def resolve_id(self, prefix: str) -> str:
        """The full key of the one stored anomaly whose key starts with ``prefix``."""
        text = (prefix or "").strip().lower()
        if not text:
            raise AnomalyNotFound("no anomaly id given")
        if any(ch not in "0123456789abcdef" for ch in text):
            raise AnomalyNotFound(f"{prefix!r} is not an anomaly id (ids are hexadecimal, as "
                                  "`ledgerpilot anomalies scan` shows them)")
        rows = self.db.query("SELECT key FROM anomalies WHERE key LIKE ? ORDER BY first_seen, key LIMIT 6",
                             (text + "%",))
        if not rows:
            raise AnomalyNotFound(f"no anomaly with an id starting {prefix!r} in {self.db.path} "
                                  "(`ledgerpilot anomalies scan` lists them)")
        exact = [row["key"] for row in rows if row["key"] == text]
        if exact:
            return exact[0]
        if len(rows) > 1:
            shown = ", ".join(row["key"] for row in rows[:5])
            raise AmbiguousAnomalyId(f"{prefix!r} matches several anomalies ({shown}"
                                     f"{', ...' if len(rows) > 5 else ''}); give more characters of the id")
        return rows[0]["key"]

    def get(self, key: str) -> StoredAnomaly:
        found = self.get_many([key])
        if key not in found:
            raise AnomalyNotFound(f"no anomaly {key!r} in {self.db.path}")
        return found[key]

    def get_many(self, keys: Sequence[str]) -> dict[str, StoredAnomaly]:
        """The stored anomalies among ``keys`` (with their latest dispositions), by key."""
        unique = list(dict.fromkeys(keys))
        rows = []
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            rows.extend(self.db.query(f"SELECT * FROM anomalies WHERE key IN ({','.join('?' * len(chunk))})",
                                      tuple(chunk)))
        latest = self.latest_dispositions([row["key"] for row in rows])
        return {row["key"]: _stored(row, latest.get(row["key"])) for row in rows}

    def recent(self, limit: int = 50) -> list[StoredAnomaly]:
        """The anomalies seen most recently, highest risk first among them."""
        rows = self.db.query("SELECT * FROM anomalies ORDER BY last_seen DESC, risk DESC LIMIT ?", (int(limit),))
        latest = self.latest_dispositions([row["key"] for row in rows])
        return [_stored(row, latest.get(row["key"])) for row in rows]

    # ------------------------------------------------------------------ dispositions

    def dispose(self, key: str, disposition: str, *, note: str, by: str,
                at: dt.datetime | None = None) -> Disposition:
        """Record a reviewer's disposition of the stored anomaly ``key`` and audit it, atomically."""
        word = normalise_disposition(disposition)
        note = (note or "").strip()
        by = (by or "").strip()
        if not note:
            raise DispositionError(f"a disposition needs a note saying why (anomaly {key[:12]})")
        if not by:
            raise DispositionError("a disposition needs the name of the reviewer who made it")
        when = at or _now()
        with self.db.transaction() as conn:
            row = conn.execute("SELECT detector, kind, title FROM anomalies WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise AnomalyNotFound(f"no anomaly {key!r} in {self.db.path}")
            cursor = conn.execute("INSERT INTO anomaly_dispositions (key, disposition, note, decided_by, decided_at)"
                                  " VALUES (?, ?, ?, ?, ?)", (key, word, note, by, when.isoformat()))
            append_entry(conn, "disposition", actor=by, subject=key,
                         details={"disposition": word, "note": note, "detector": row["detector"],
                                  "kind": row["kind"], "title": row["title"]})
        return Disposition(key=key, disposition=word, note=note, by=by, at=when, seq=int(cursor.lastrowid))

    def history(self, key: str) -> list[Disposition]:
        """Every disposition of ``key``, oldest first."""
        rows = self.db.query("SELECT * FROM anomaly_dispositions WHERE key = ? ORDER BY seq", (key,))
        return [_disposition(row) for row in rows]

    def latest_dispositions(self, keys: Sequence[str] | None = None) -> dict[str, Disposition]:
        """The latest disposition of each anomaly (of ``keys``, or of all that have one)."""
        sql = ("SELECT d.* FROM anomaly_dispositions d JOIN (SELECT key, MAX(seq) AS seq FROM anomaly_dispositions"
               " GROUP BY key) last ON last.seq = d.seq")
        if keys is None:
            rows = self.db.query(sql)
        else:
            unique = list(dict.fromkeys(keys))
            rows = []
            for start in range(0, len(unique), 500):
                chunk = unique[start:start + 500]
                rows.extend(self.db.query(f"{sql} WHERE d.key IN ({','.join('?' * len(chunk))})", tuple(chunk)))
        return {row["key"]: _disposition(row) for row in rows}

    def disposed(self) -> list[StoredAnomaly]:
        """Every anomaly that has a disposition, with its latest one (what suppression is built from)."""
        latest = self.latest_dispositions()
        return list(self.get_many(list(latest)).values())

    # ------------------------------------------------------------------ scans

    def record_scan(self, record: ScanRecord) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO anomaly_scans (scan_id, source, started_at, finished_at, since, today, found, alerted,"
                " suppressed, new_proposals) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.scan_id, record.source, record.started_at.isoformat(), record.finished_at.isoformat(),
                 record.since.isoformat() if record.since else None, record.today.isoformat(), record.found,
                 record.alerted, record.suppressed, record.new_proposals))

    def last_scan(self, source: str) -> ScanRecord | None:
        """The latest finished scan of ``source`` (see :func:`source_of`), or None."""
        rows = self.db.query("SELECT * FROM anomaly_scans WHERE source = ? ORDER BY started_at DESC LIMIT 1",
                             (source,))
        if not rows:
            return None
        row = rows[0]
        return ScanRecord(scan_id=row["scan_id"], source=row["source"],
                          started_at=dt.datetime.fromisoformat(row["started_at"]),
                          finished_at=dt.datetime.fromisoformat(row["finished_at"]),
                          since=dt.datetime.fromisoformat(row["since"]) if row["since"] else None,
                          today=dt.date.fromisoformat(row["today"]), found=row["found"], alerted=row["alerted"],
                          suppressed=row["suppressed"], new_proposals=row["new_proposals"])


def new_scan_id() -> str:
    return f"scan-{uuid.uuid4().hex[:16]}"


def _disposition(row) -> Disposition:
    return Disposition(key=row["key"], disposition=row["disposition"], note=row["note"], by=row["decided_by"],
                       at=dt.datetime.fromisoformat(row["decided_at"]), seq=int(row["seq"]))


def _stored(row, disposition: Disposition | None) -> StoredAnomaly:
    return StoredAnomaly(anomaly=Anomaly.model_validate_json(row["body"]), risk=float(row["risk"]),
                         first_seen=dt.datetime.fromisoformat(row["first_seen"]),
                         last_seen=dt.datetime.fromisoformat(row["last_seen"]), last_scan_id=row["last_scan_id"],
                         proposal_ids=tuple(json.loads(row["proposal_ids"])), disposition=disposition)
