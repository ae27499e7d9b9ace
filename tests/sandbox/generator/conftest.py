"""A demo company (seed 7, scale 0.2) as generated, one copy per test module, and read-only SQL access to it.

The generator's tests read a copy of the session's pristine build (``tests.demo_builds``) rather than
the shared demo database: other tests serve and write to that one, and these tests check the books
exactly as generated.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import DEMO_SCALE, DEMO_SEED, DEMO_TODAY
from tests.demo_builds import copy_of_demo_company


@pytest.fixture(scope="module")
def built_dir(demo_cache_root, tmp_path_factory):
    return copy_of_demo_company(demo_cache_root, tmp_path_factory.mktemp("generated") / "company", seed=DEMO_SEED,
                                scale=DEMO_SCALE, today=DEMO_TODAY)


@pytest.fixture(scope="module")
def built_db_path(built_dir):
    from ledgerpilot.sandbox.store import database_path

    return database_path(built_dir)


@pytest.fixture(scope="module")
def db(built_db_path):
    conn = sqlite3.connect(f"file:{built_db_path}?mode=ro", uri=True)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def truth(built_dir):
    from ledgerpilot.sandbox.generator import load_ground_truth

    return load_ground_truth(built_dir)


def account_id(db, code: str) -> int:
    return db.execute("SELECT id FROM account_account WHERE code = ? AND company_id = 1", (code,)).fetchone()[0]
