"""Shared fixtures: a demo company built once per test session and sandbox servers over it.

- ``demo_db_path``: the SQLite file of a small demo company (seed 7), built once per session.
- ``sandbox``: a sandbox server over that database, shared by the session: read-only tests only.
- ``fresh_sandbox``: a server over a private copy of the database, for tests that write.
- ``sandbox19``: a server over the same database playing Odoo 19 (its schemas and field names) with
  ``/jsonrpc`` and ``/xmlrpc`` switched off, read-only tests only; ``fresh_sandbox19`` over a copy.
  ``api_key_19(login)`` gives an API key of a demo user for them (JSON-2 needs one).

The demo database holds two companies (the second is ``Brightwave Logistics BV``): every test that
reads through the gateway reads one of them.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.demo_builds import copy_of_demo_company, session_cache_root

DEMO_SEED = 7
DEMO_SCALE = 0.2
DEMO_TODAY = dt.date(2026, 11, 18)


@pytest.fixture(scope="session")
def demo_cache_root(tmp_path_factory) -> Path:
    """Where this session's demo companies are built, once for all the workers."""
    return session_cache_root(tmp_path_factory)


@pytest.fixture(scope="session")
def demo_data_dir(demo_cache_root, tmp_path_factory) -> Path:
    # the worker's own copy: the session's servers run over it and tests add API keys to it
    return copy_of_demo_company(demo_cache_root, tmp_path_factory.mktemp("demo") / "company", seed=DEMO_SEED,
                                scale=DEMO_SCALE, today=DEMO_TODAY)


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


@pytest.fixture(scope="session")
def sandbox19(demo_data_dir):
    from ledgerpilot.sandbox.server.runner import running_sandbox

    with running_sandbox(demo_data_dir, serie="19.0", legacy_rpc=False) as handle:
        yield handle


@pytest.fixture()
def fresh_sandbox19(demo_data_dir, tmp_path):
    from ledgerpilot.sandbox.server.runner import running_sandbox

    copy = tmp_path / "sandbox19"
    shutil.copytree(demo_data_dir, copy)
    with running_sandbox(copy, serie="19.0", legacy_rpc=False) as handle:
        yield handle


def api_key_for(handle, login: str = "admin") -> str:
    """A new API key of a demo user on a running sandbox (JSON-2 authenticates with one)."""
    uid = handle.service.login(handle.db, login, login)
    assert uid, f"demo user {login} cannot log in"
    return handle.service.create_api_key(uid, f"tests of {login}")


def pytest_collection_modifyitems(config, items):
    """The files holding slow tests run first, the others after them, each file's tests in their order.

    ``--dist loadfile`` hands each pytest-xdist worker one file at a time in this order (with
    ``--no-loadscope-reorder``, set in pyproject.toml; xdist would otherwise put the files with the most
    tests first, and a long file of one test last, running alone at the end): the long files start early
    and the many short ones even out the workers at the end.
    """
    slow_files: dict[Path, int] = {}
    for item in items:
        if item.get_closest_marker("slow") is not None:
            slow_files.setdefault(item.path, len(slow_files))
    items[:] = sorted(items, key=lambda item: slow_files.get(item.path, len(slow_files)))
