"""The audit log: append-only, hash-chained, tampering named in words, safe under concurrency."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import threading
from decimal import Decimal

import pytest

from ledgerpilot.domain.proposal import OdooCall, Proposal
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.memory.audit import GENESIS_HASH, AuditLog


@pytest.fixture()
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture()
def audit(home):
    log = AuditLog.in_home(home)
    yield log
    log.db.close()


def _fill(audit: AuditLog, n: int = 5) -> None:
    for i in range(n):
        audit.record("pull", actor="admin", subject="account.move", details={"method": "search_read", "rows": i})


def _raw(home) -> sqlite3.Connection:
    conn = sqlite3.connect(home / "state.sqlite", isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    return conn


def test_entries_are_chained_and_verify(audit):
    first = audit.record("decision", actor="controller", subject="p1",
                         details={"post": True, "amount": Decimal("10.50"), "on": dt.date(2026, 10, 31)})
    second = audit.record("write", actor="admin", subject="p1", details={"model": "account.move", "ids": [7]})
    assert first.seq == 1 and first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash and second.hash != first.hash
    assert first.details == {"post": True, "amount": "10.50", "on": "2026-10-31"}
    result = audit.verify()
    assert result.ok and result.entries == 2 and result.problem is None
    assert [e.action for e in audit.entries()] == ["decision", "write"]
    assert [e.seq for e in audit.entries(limit=1)] == [2]
    assert [e.seq for e in audit.entries(action="decision")] == [1]


def test_the_product_cannot_change_or_delete_entries(audit):
    _fill(audit, 2)
    with audit.db.transaction() as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1")
    with audit.db.transaction() as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_log WHERE seq = 2")
    assert audit.verify().ok


def test_an_edited_entry_is_named(audit, home):
    _fill(audit)
    conn = _raw(home)
    conn.execute("""UPDATE audit_log SET details = '{"method":"search_read","rows":999}' WHERE seq = 3""")
    conn.close()
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == 3
    assert "entry 3" in result.problem and "edited" in result.problem
    assert "TAMPERED" in str(result)


def test_an_edit_rehashed_without_the_key_is_named(audit, home):
    """Recomputing an edited entry's hash without the key (plain SHA-256) does not make it hold."""
    from ledgerpilot.memory.audit import entry_hash

    _fill(audit)
    conn = _raw(home)
    row = conn.execute("SELECT prev_hash, seq, at, action, subject, details FROM audit_log WHERE seq = 2").fetchone()
    conn.execute("UPDATE audit_log SET actor = 'mallory', hash = ? WHERE seq = 2",
                 (entry_hash(row[0], row[1], row[2], "mallory", row[3], row[4], row[5]),))
    conn.close()
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == 2 and "edited" in result.problem


def test_an_edit_rehashed_with_the_key_breaks_the_next_link(audit, home):
    """Even with the key in hand, an edited entry's new MAC breaks the link of the entry after it."""
    from ledgerpilot.memory.audit import entry_mac

    _fill(audit)
    conn = _raw(home)
    row = conn.execute("SELECT prev_hash, seq, at, action, subject, details FROM audit_log WHERE seq = 2").fetchone()
    conn.execute("UPDATE audit_log SET actor = 'mallory', hash = ? WHERE seq = 2",
                 (entry_mac(audit.key(), row[0], row[1], row[2], "mallory", row[3], row[4], row[5]),))
    conn.close()
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == 3
    assert "broken before entry 3" in result.problem


def test_a_deleted_entry_is_named(audit, home):
    _fill(audit)
    conn = _raw(home)
    conn.execute("DELETE FROM audit_log WHERE seq = 2")
    conn.close()
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == 3
    assert "entry 2" in result.problem and "deleted" in result.problem


def test_deleting_the_last_entries_is_named(audit, home):
    _fill(audit)
    conn = _raw(home)
    conn.execute("DELETE FROM audit_log WHERE seq >= 4")
    conn.close()
    result = audit.verify()
    assert not result.ok and "entries 4 to 5" in result.problem and "end of the log" in result.problem


def test_deleting_the_first_entry_is_named(audit, home):
    _fill(audit)
    conn = _raw(home)
    conn.execute("DELETE FROM audit_log WHERE seq = 1")
    conn.close()
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == 2 and "before 2" in result.problem


def test_reordered_entries_are_detected(audit, home):
    _fill(audit)
    conn = _raw(home)
    conn.execute("UPDATE audit_log SET seq = 100 WHERE seq = 2")
    conn.execute("UPDATE audit_log SET seq = 2 WHERE seq = 3")
    conn.execute("UPDATE audit_log SET seq = 3 WHERE seq = 100")
    conn.close()
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == 2


def test_threads_share_one_log_without_forking_the_chain(audit):
    def work():
        for i in range(25):
            audit.record("tool_call", actor="agent", subject="t", details={"i": i})

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = audit.verify()
    assert result.ok and result.entries == 150


def test_processes_append_to_the_same_chain(audit, home):
    script = ("import sys; from pathlib import Path; from ledgerpilot.memory.audit import AuditLog\n"
              "log = AuditLog.in_home(Path(sys.argv[1]))\n"
              "for i in range(30): log.record('pull', actor=sys.argv[2], subject='m', details={'i': i})\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(home), f"p{n}"]) for n in range(2)]
    for i in range(30):
        audit.record("pull", actor="main", subject="m", details={"i": i})
    assert all(p.wait(timeout=60) == 0 for p in procs)
    result = audit.verify()
    assert result.ok and result.entries == 90
    assert {e.actor for e in audit.entries()} == {"main", "p0", "p1"}


def test_a_stored_proposal_is_audited_with_it(home):
    db = StateDB.in_home(home)
    store, audit = ProposalStore(db), AuditLog(db)
    proposal = Proposal(kind="lock_date", title="Lock October", summary="all clear",
                        payload=OdooCall(model="res.company", method="write",
                                         args=([1], {"fiscalyear_lock_date": "2026-10-31"})),
                        run_id="close-1", created_by="ledgerpilot:close")
    store.add(proposal)
    store.add(proposal)  # the same proposal again: not stored twice, not audited twice
    entries = audit.entries(action="proposal")
    assert len(entries) == 1 and entries[0].subject == proposal.id and entries[0].actor == "ledgerpilot:close"
    assert entries[0].details["call"] == "res.company.write"
    db.close()


def test_record_needs_an_action_and_an_actor(audit):
    with pytest.raises(ValueError, match="action"):
        audit.record("", actor="x")
    with pytest.raises(ValueError, match="actor"):
        audit.record("pull", actor="")
