"""The state database: one SQLite file under ``Settings.home`` holding what ledgerpilot remembers.

Proposals (with their decisions and applications), stored forecast runs and the audit log live
here. The file is created on first use; its schema carries a
version (``PRAGMA user_version``) and is migrated forward step by step, never backwards. Every write
is one transaction (WAL journal, ``synchronous=FULL``), so a crash leaves either the whole change or
none of it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Self

from ledgerpilot.errors import LedgerpilotError

STATE_FILE = "state.sqlite"

#: Each entry upgrades the schema from version i to i + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE proposals (
        id TEXT PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        run_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX proposals_run ON proposals(run_id);
    CREATE INDEX proposals_state ON proposals(state);
    CREATE TABLE forecast_runs (
        run_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        as_of TEXT NOT NULL,
        kind TEXT NOT NULL,
        params TEXT NOT NULL,
        inputs_hash TEXT NOT NULL,
        odoo_url TEXT NOT NULL,
        odoo_db TEXT NOT NULL,
        company TEXT NOT NULL,
        currency TEXT NOT NULL,
        result TEXT NOT NULL
    );
    CREATE INDEX forecast_runs_created ON forecast_runs(created_at);
    CREATE TRIGGER forecast_runs_no_update BEFORE UPDATE ON forecast_runs
        BEGIN SELECT RAISE(ABORT, 'forecast runs are append-only'); END;
    CREATE TRIGGER forecast_runs_no_delete BEFORE DELETE ON forecast_runs
        BEGIN SELECT RAISE(ABORT, 'forecast runs are append-only'); END;
    """,
    """
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_log_action ON audit_log(action);
    CREATE INDEX audit_log_subject ON audit_log(subject);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be changed'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be deleted'); END;
    CREATE TABLE proposal_decisions (
        proposal_id TEXT PRIMARY KEY REFERENCES proposals(id),
        decision TEXT NOT NULL,
        login TEXT NOT NULL,
        uid INTEGER,
        decided_at TEXT NOT NULL,
        post INTEGER NOT NULL DEFAULT 0,
        note TEXT NOT NULL DEFAULT '',
        required_group TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE proposal_applications (
        proposal_id TEXT PRIMARY KEY REFERENCES proposals(id),
        state TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        written_by TEXT NOT NULL,
        records TEXT NOT NULL,
        adopted INTEGER NOT NULL DEFAULT 0,
        differences TEXT NOT NULL,
        error TEXT
    );
    """,
    """
    CREATE TABLE anomalies (
        key TEXT PRIMARY KEY,
        detector TEXT NOT NULL,
        kind TEXT NOT NULL,
        score REAL NOT NULL,
        risk REAL NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        last_scan_id TEXT NOT NULL,
        proposal_ids TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX anomalies_last_seen ON anomalies(last_seen);
    CREATE INDEX anomalies_pattern ON anomalies(detector, kind);
    CREATE TABLE anomaly_dispositions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL REFERENCES anomalies(key),
        disposition TEXT NOT NULL,
        note TEXT NOT NULL,
        decided_by TEXT NOT NULL,
        decided_at TEXT NOT NULL
    );
    CREATE INDEX anomaly_dispositions_key ON anomaly_dispositions(key);
    CREATE TRIGGER anomaly_dispositions_no_update BEFORE UPDATE ON anomaly_dispositions
        BEGIN SELECT RAISE(ABORT, 'dispositions are append-only: dispose again to change one'); END;
    CREATE TRIGGER anomaly_dispositions_no_delete BEFORE DELETE ON anomaly_dispositions
        BEGIN SELECT RAISE(ABORT, 'dispositions are append-only: dispose again to change one'); END;
    CREATE TABLE anomaly_scans (
        scan_id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        since TEXT,
        today TEXT NOT NULL,
        found INTEGER NOT NULL,
        alerted INTEGER NOT NULL,
        suppressed INTEGER NOT NULL,
        new_proposals INTEGER NOT NULL
    );
    CREATE INDEX anomaly_scans_source ON anomaly_scans(source, started_at);
    """,
    """
    CREATE TABLE discuss_cursors (
        channel TEXT PRIMARY KEY,
        last_message_id INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # 5: claims (one applier at a time), who asked for each proposal, retries, one application per attempt,
    # and keyed audit entries (older entries keep their unkeyed scheme and are verified as such).
    """
    CREATE TABLE proposal_claims (
        proposal_id TEXT PRIMARY KEY REFERENCES proposals(id),
        owner TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        lease_until REAL NOT NULL,
        attempt INTEGER NOT NULL
    );
    CREATE TABLE proposal_requests (
        proposal_id TEXT NOT NULL REFERENCES proposals(id),
        requested_by TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        run_id TEXT NOT NULL,
        PRIMARY KEY (proposal_id, requested_by)
    );
    INSERT OR IGNORE INTO proposal_requests (proposal_id, requested_by, requested_at, run_id)
        SELECT id, json_extract(body, '$.evidence.figures.asked_by'), created_at, run_id FROM proposals
        WHERE json_extract(body, '$.evidence.figures.asked_by') IS NOT NULL
          AND json_extract(body, '$.evidence.figures.asked_by') != '';
    CREATE TABLE proposal_retries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        proposal_id TEXT NOT NULL REFERENCES proposals(id),
        login TEXT NOT NULL,
        uid INTEGER,
        retried_at TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        previous_error TEXT
    );
    CREATE INDEX proposal_retries_proposal ON proposal_retries(proposal_id);
    CREATE TABLE proposal_attempts (
        proposal_id TEXT NOT NULL REFERENCES proposals(id),
        attempt INTEGER NOT NULL,
        state TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        written_by TEXT NOT NULL,
        records TEXT NOT NULL,
        adopted INTEGER NOT NULL DEFAULT 0,
        differences TEXT NOT NULL,
        error TEXT,
        PRIMARY KEY (proposal_id, attempt)
    );
    INSERT INTO proposal_attempts (proposal_id, attempt, state, applied_at, written_by, records, adopted,
                                   differences, error)
        SELECT proposal_id, 1, state, applied_at, written_by, records, adopted, differences, error
        FROM proposal_applications;
    DROP TABLE proposal_applications;
    ALTER TABLE proposal_attempts RENAME TO proposal_applications;
    ALTER TABLE audit_log ADD COLUMN scheme TEXT NOT NULL DEFAULT 'sha256';
    """,
    # 6: the finding each proposal belongs to (the parts of one decision share it): an anomaly's proposals
    # by its key, a reversal with the accrual it reverses, any other proposal on its own.
    """
    ALTER TABLE proposals ADD COLUMN finding TEXT NOT NULL DEFAULT '';
    UPDATE proposals SET finding = 'anomaly:' || json_extract(body, '$.evidence.figures.anomaly_key')
        WHERE json_extract(body, '$.evidence.figures.anomaly_key') IS NOT NULL;
    UPDATE proposals SET finding = 'proposal:' || json_extract(body, '$.evidence.figures.reverses_proposal_id')
        WHERE finding = '' AND json_extract(body, '$.evidence.figures.reverses_proposal_id') IS NOT NULL;
    UPDATE proposals SET finding = 'proposal:' || id WHERE finding = '';
    CREATE INDEX proposals_finding ON proposals(finding);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StateError(LedgerpilotError):
    """The state database cannot be opened or is from a newer ledgerpilot."""


class StateDB:
    """An open state database. Use :meth:`transaction` for every write.

    One object may be shared by several threads: its connection is used under a lock, so a
    transaction is never interleaved with another thread's statements. Several processes are kept
    apart by SQLite itself (``BEGIN IMMEDIATE`` takes the write lock, others wait up to 30 s).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open the state database {self.path}: {exc}") from exc
        self._lock = threading.RLock()
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    @classmethod
    def in_home(cls, home: Path) -> StateDB:
        """The state database of a ledgerpilot home folder (``Settings.home``)."""
        return cls(Path(home) / STATE_FILE)

    @property
    def version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.version
        if current > SCHEMA_VERSION:
            raise StateError(f"the state database {self.path} has schema version {current}, newer than this "
                             f"ledgerpilot understands ({SCHEMA_VERSION}); upgrade ledgerpilot")
        for version in range(current, SCHEMA_VERSION):
            with self.transaction() as conn:
                for statement in _statements(MIGRATIONS[version]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; any exception rolls the whole change back."""
        return immediate_transaction(self._conn, self._lock)

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextmanager
def immediate_transaction(conn: sqlite3.Connection,
                          lock: AbstractContextManager | None = None) -> Iterator[sqlite3.Connection]:
    """Every write ledgerpilot makes to one of its SQLite files: ``BEGIN IMMEDIATE`` (the file's write
    lock is taken at once, so two processes never both read-then-write; the other waits for the
    connection's timeout) ... ``COMMIT``, and ``ROLLBACK`` on any exception, ``KeyboardInterrupt``
    included, so that nothing is half-written. ``lock`` (a ``threading`` lock) keeps the threads that
    share ``conn`` from interleaving their statements with the transaction's."""
    with lock if lock is not None else nullcontext():
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _statements(script: str) -> list[str]:
    """Split a migration into statements (triggers keep their inner ``;`` inside BEGIN ... END)."""
    statements, buffer = [], ""
    for line in script.strip().splitlines():
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
