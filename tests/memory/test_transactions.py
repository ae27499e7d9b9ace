"""The one SQLite transaction helper: all or nothing, the write lock taken at once, on real files."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from ledgerpilot.memory.state import immediate_transaction


def _connect(path, isolation_level=None) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=isolation_level, timeout=0.2, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


@pytest.mark.parametrize("isolation_level", [None, ""])        # autocommit, and sqlite3's default mode
def test_commits_everything_or_nothing(tmp_path, isolation_level):
    conn = _connect(tmp_path / "t.sqlite", isolation_level)
    conn.execute("CREATE TABLE t (x INTEGER)")
    if conn.in_transaction:
        conn.commit()
    with immediate_transaction(conn) as inside:
        inside.execute("INSERT INTO t VALUES (1)")
        inside.execute("INSERT INTO t VALUES (2)")
    for interruption in (ValueError("bad"), KeyboardInterrupt()):
        with pytest.raises(type(interruption)):
            with immediate_transaction(conn, threading.Lock()) as inside:
                inside.execute("INSERT INTO t VALUES (3)")
                raise interruption
    assert not conn.in_transaction
    other = _connect(tmp_path / "t.sqlite")
    assert [row[0] for row in other.execute("SELECT x FROM t ORDER BY x")] == [1, 2]


def test_the_write_lock_is_taken_at_begin(tmp_path):
    first, second = _connect(tmp_path / "t.sqlite"), _connect(tmp_path / "t.sqlite")
    first.execute("CREATE TABLE t (x INTEGER)")
    with immediate_transaction(first):
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            with immediate_transaction(second):        # refused at BEGIN, before it could read anything
                pass
        assert not second.in_transaction
    with immediate_transaction(second) as conn:      # free again once the first committed
        conn.execute("INSERT INTO t VALUES (1)")
