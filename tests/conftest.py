"""Shared fixtures: a demo company built once per test session and sandbox servers over it.

- ``demo_db_path``: the SQLite file of a small demo company (seed 7), built once per session.
- ``sandbox``: a sandbox server over that database, shared by the session: read-only tests only.
- ``fresh_sandbox``: a server over a private copy of the database, for tests that write.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

DEMO_SEED = 7
DEMO_SCALE = 0.2
DEMO_TODAY = dt.date(2026, 11, 18)


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory) -> Path:
    from ledgerpilot.sandbox.generator import build_demo_company

    data_dir = tmp_path_factory.mktemp("demo")
    build_demo_company(data_dir, seed=DEMO_SEED, scale=DEMO_SCALE, today=DEMO_TODAY)
    return data_dir


@pytest.fixture(scope="session")
def demo_db_path(demo_data_dir) -> Path:
    from ledgerpilot.sandbox.store import database_path

    return database_path(demo_data_dir)


@pytest.fixture(scope="session")
def sandbox(demo_data_dir):
    from ledgerpilot.sandbox.server.runner import running_sandbox

    with running_sandbox(demo_data_dir) as handle:
        yield handle


@pytest.fixture()
def fresh_sandbox(demo_data_dir, tmp_path):
    from ledgerpilot.sandbox.server.runner import running_sandbox

    copy = tmp_path / "sandbox"
    shutil.copytree(demo_data_dir, copy)
    with running_sandbox(copy) as handle:
        yield handle
