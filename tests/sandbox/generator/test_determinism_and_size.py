"""Same seed, same books; another seed, other books; the default scale has the promised size."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from ledgerpilot.sandbox.generator import build_demo_company
from ledgerpilot.sandbox.store import database_path
from tests.conftest import DEMO_SCALE, DEMO_SEED, DEMO_TODAY


def table_hashes(path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'sandbox_user_passwords' ORDER BY name")]
        out = {}
        for table in tables:
            digest = hashlib.sha256()
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1, 2'):
                digest.update(repr(row).encode())
            out[table] = digest.hexdigest()
        return out
    finally:
        conn.close()


def test_same_seed_gives_identical_tables(built_db_path, tmp_path):
    build_demo_company(tmp_path, seed=DEMO_SEED, scale=DEMO_SCALE, today=DEMO_TODAY)
    first, second = table_hashes(built_db_path), table_hashes(database_path(tmp_path))
    assert first == second
    truth_a = (built_db_path.parent / "ground_truth.json").read_text()
    truth_b = (tmp_path / "ground_truth.json").read_text()
    assert truth_a == truth_b


def test_another_seed_gives_other_books(built_db_path, tmp_path):
    reports: list[tuple[str, float]] = []
    build_demo_company(tmp_path, seed=DEMO_SEED + 1, scale=DEMO_SCALE, today=DEMO_TODAY,
                       progress=lambda stage, fraction: reports.append((stage, fraction)))
    assert reports[-1] == ("done", 1.0)
    assert all(0.0 <= fraction <= 1.0 for _, fraction in reports)
    books = [fraction for stage, fraction in reports if stage == "books"]
    assert len(books) == 24 and books == sorted(books)
    first, other = table_hashes(built_db_path), table_hashes(database_path(tmp_path))
    assert first["account_move_line"] != other["account_move_line"]
    assert first["res_partner"] != other["res_partner"]
    assert first["account_account"] == other["account_account"]  # the chart does not depend on the seed


@pytest.mark.slow
def test_default_scale_has_about_fifty_thousand_journal_items(tmp_path):
    truth = build_demo_company(tmp_path, seed=DEMO_SEED, scale=1.0, today=DEMO_TODAY)
    assert 42_000 <= truth.counts["account.move.line"] <= 62_000
    assert truth.counts["res.partner"] > 100


def test_first_day_of_a_month_still_has_every_defect(tmp_path):
    """On a Sunday the 1st, the current month has almost nothing: the defects must still be there."""
    import datetime as dt

    from ledgerpilot.sandbox.generator import DEFECT_KINDS

    today = dt.date(2026, 3, 1)
    truth = build_demo_company(tmp_path, seed=3, scale=DEMO_SCALE, today=today)
    current = [d for d in truth.close_defects if d.period == "2026-03"]
    assert {d.kind for d in current} == set(DEFECT_KINDS)
    assert all(d.ids for d in (*truth.close_defects, *truth.anomalies, *truth.not_anomalies))
    conn = sqlite3.connect(database_path(tmp_path))
    try:
        assert conn.execute("SELECT COUNT(*) FROM account_move WHERE date > ?", (today.isoformat(),)).fetchone()[0] == 0
    finally:
        conn.close()


def test_the_first_company_is_the_same_with_or_without_the_second(built_db_path, tmp_path):
    """The second company is written after the first, from its own random source: every row of the
    first company (and every shared row) is the same as in a build without it."""
    truth = build_demo_company(tmp_path, seed=DEMO_SEED, scale=DEMO_SCALE, today=DEMO_TODAY, second_company=False)
    alone = sqlite3.connect(database_path(tmp_path))
    both = sqlite3.connect(built_db_path)
    try:
        for table in ("account_move", "account_move_line", "account_payment", "account_partial_reconcile",
                      "account_bank_statement_line", "account_account", "account_journal", "sale_order",
                      "purchase_order", "res_partner", "res_company"):
            columns = ", ".join(f'"{r[1]}"' for r in alone.execute(f'PRAGMA table_info("{table}")'))
            rows = alone.execute(f'SELECT {columns} FROM "{table}" ORDER BY id').fetchall()
            ids = [row[0] for row in rows]
            marks = ",".join("?" * len(ids))
            same = both.execute(f'SELECT {columns} FROM "{table}" WHERE id IN ({marks}) ORDER BY id', ids).fetchall()
            assert rows and same == rows, table
        assert alone.execute("SELECT COUNT(*) FROM res_company").fetchone()[0] == 1
        assert both.execute("SELECT name FROM res_company WHERE id = 2").fetchone()[0] == "Brightwave Logistics BV"
        assert truth.counts["res.company"] == 1
    finally:
        alone.close()
        both.close()
