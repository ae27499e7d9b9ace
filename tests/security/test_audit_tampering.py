"""Threat: someone with write access to the state database rewrites history and covers their tracks.

The probe: deleting the last entry and fixing SQLite's sequence counter, or rewriting an actor and recomputing
every later hash with the project's own function, passed `audit verify`. Now every entry carries a keyed MAC
(the key lives outside the database: a 0600 file in LEDGERPILOT_HOME or LEDGERPILOT_AUDIT_KEY) and the head of
the chain is anchored outside the database at every write-back (an append-only file), so truncation, deletion
and recomputed rewrites are caught, and `audit verify` says up to where the log is proven.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import pytest

from ledgerpilot.approvals.apply import apply_proposal
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.memory.audit import AuditLog, entry_hash
from tests.channels.conftest import odoo_env_for, run_cli
from tests.security.conftest import approve_all, note


def _raw(home) -> sqlite3.Connection:
    conn = sqlite3.connect(home / "state.sqlite", isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    return conn


@pytest.fixture()
def written(fresh_sandbox, state, admin_client):
    """A home whose log holds a proposal, its approval and its write-back to Odoo."""
    home, store, audit = state
    [proposal] = approve_all(fresh_sandbox, store, audit, [note("Anchored note")])
    result = apply_proposal(admin_client, store, audit, proposal.id)
    assert result.ok, result.error
    assert audit.verify().ok
    return home, audit, fresh_sandbox


def test_deleting_the_last_entry_and_fixing_the_sequence_is_caught(written):
    home, audit, _sandbox = written
    conn = _raw(home)
    last = conn.execute("SELECT MAX(seq) FROM audit_log").fetchone()[0]
    conn.execute("DELETE FROM audit_log WHERE seq = ?", (last,))
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_log'", (last - 1,))
    conn.close()
    result = audit.verify()
    assert not result.ok
    assert f"entry {last}" in result.problem or f"to {last}" in result.problem
    assert "anchor" in result.problem


def test_a_rewritten_actor_with_recomputed_hashes_is_caught(written):
    """The attacker edits the approver's name and recomputes every later link with the project's own hash."""
    home, audit, _sandbox = written
    conn = _raw(home)
    rows = conn.execute("SELECT seq, at, actor, action, subject, details FROM audit_log ORDER BY seq").fetchall()
    decision_seq = next(seq for seq, _at, _actor, action, _s, _d in rows if action == "decision")
    previous = None
    for seq, at, actor, action, subject, details in rows:
        prev_hash = previous if previous is not None else "0" * 64
        if seq == decision_seq:
            actor = "mallory"
        digest = entry_hash(prev_hash, seq, at, actor, action, subject, details)
        conn.execute("UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                     (actor, prev_hash, digest, seq))
        previous = digest
    conn.close()
    result = audit.verify()
    assert not result.ok and result.first_bad_seq is not None and result.first_bad_seq <= decision_seq


def test_verify_says_up_to_where_the_log_is_proven(written):
    home, audit, _sandbox = written
    anchored = audit.verify()
    assert anchored.ok and anchored.proven_up_to == anchored.entries
    audit.record("pull", actor="admin", subject="account.move", details={"rows": 3})
    later = audit.verify()
    assert later.ok and later.proven_up_to == anchored.entries and later.entries == anchored.entries + 1
    assert f"proven up to entry {anchored.entries}" in str(later)
    assert "not anchored yet" in str(later)


def test_the_key_lives_outside_the_database_in_a_private_file(written):
    home, _audit, _sandbox = written
    key_file = home / "audit.key"
    assert key_file.is_file() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) >= 32 and key.encode() not in (home / "state.sqlite").read_bytes()


def test_a_key_readable_by_others_is_refused(written):
    home, audit, _sandbox = written
    os.chmod(home / "audit.key", 0o644)
    from ledgerpilot.memory.audit import AuditKeyError

    with pytest.raises(AuditKeyError, match="0644"):
        audit.record("pull", actor="admin", subject="x")


def test_the_key_from_the_environment_is_used_and_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGERPILOT_AUDIT_KEY", "k" * 40)
    with StateDB.in_home(tmp_path) as db:
        audit = AuditLog(db)
        audit.record("pull", actor="admin", subject="x")
        assert audit.verify().ok and not (tmp_path / "audit.key").exists()
        monkeypatch.setenv("LEDGERPILOT_AUDIT_KEY", "z" * 40)
        result = audit.verify()
        assert not result.ok and "another audit key" in result.problem


def test_audit_verify_on_the_command_line_names_the_proof(written):
    home, audit, sandbox = written
    env = odoo_env_for(sandbox, home)
    done = run_cli("audit", "verify", "--json", env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["ok"] and data["proven_up_to"] == data["entries"] and data["anchors"] >= 1
    conn = _raw(home)
    conn.execute("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
    conn.execute("UPDATE sqlite_sequence SET seq = seq - 1 WHERE name = 'audit_log'")
    conn.close()
    tampered = run_cli("audit", "verify", env=env)
    assert tampered.returncode == 1 and "TAMPERED" in tampered.stdout


def test_an_old_unkeyed_log_is_migrated_and_stays_verifiable(tmp_path):
    """A log written before keying: its entries keep their SHA-256 chain, the first keyed entry records the
    switch and vouches for everything before it; a recomputed rewrite of an old entry is caught."""
    import hashlib

    home = tmp_path
    conn = sqlite3.connect(home / "state.sqlite", isolation_level=None)
    from ledgerpilot.memory.state import MIGRATIONS, _statements

    for version in range(4):
        for statement in _statements(MIGRATIONS[version]):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    previous = "0" * 64
    for seq in range(1, 4):
        at, details = f"2026-10-0{seq}T10:00:00.000000+00:00", json.dumps({"rows": seq}, separators=(",", ":"))
        digest = entry_hash(previous, seq, at, "admin", "pull", "account.move", details)
        conn.execute("INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash)"
                     " VALUES (?, ?, 'admin', 'pull', 'account.move', ?, ?, ?)", (seq, at, details, previous, digest))
        previous = digest
    conn.close()
    assert hashlib  # the legacy chain above is plain SHA-256

    with StateDB.in_home(home) as db:
        audit = AuditLog(db)
        audit.record("pull", actor="admin", subject="account.move", details={"rows": 4})
        entries = audit.entries()
        assert [e.action for e in entries] == ["pull", "pull", "pull", "audit_keyed", "pull"]
        assert entries[3].details["legacy_entries"] == 3 and entries[3].details["legacy_chain_ok"] is True
        result = audit.verify()
        assert result.ok and result.keyed_from == 4, str(result)

    conn = _raw(home)
    previous = "0" * 64
    for seq, at, actor, action, subject, details in conn.execute(
            "SELECT seq, at, actor, action, subject, details FROM audit_log WHERE seq <= 3 ORDER BY seq").fetchall():
        actor = "mallory" if seq == 2 else actor
        digest = entry_hash(previous, seq, at, actor, action, subject, details)
        conn.execute("UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                     (actor, previous, digest, seq))
        previous = digest
    conn.close()
    with StateDB.in_home(home) as db:
        result = AuditLog(db).verify()
        assert not result.ok and result.first_bad_seq == 4


def test_an_anchor_that_cannot_be_written_leaves_the_write_standing_and_says_so(fresh_sandbox, state, admin_client,
                                                                               monkeypatch, tmp_path):
    """The anchor file's place is unusable (here a folder stands where the file should be): the write to Odoo
    stands, the failure is audited, and verify says the log is not proven."""
    home, store, audit = state
    unusable = tmp_path / "anchors-folder"
    unusable.mkdir()
    monkeypatch.setenv("LEDGERPILOT_AUDIT_ANCHOR_FILE", str(unusable))
    [proposal] = approve_all(fresh_sandbox, store, audit, [note("Unanchored note")])
    result = apply_proposal(admin_client, store, audit, proposal.id)
    assert result.ok and audit.entries(action="anchor_failed")
    assert "cannot append the audit anchor" in audit.entries(action="anchor_failed")[-1].details["error"]
    verified = audit.verify()
    assert not verified.ok and "cannot be read" in verified.problem and verified.proven_up_to is None
