"""Helpers for the CLI tests: run the real ``ledgerpilot`` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO_SCALE, DEMO_SEED, DEMO_TODAY
from tests.demo_builds import copy_of_demo_company


def run_cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ledgerpilot.channels.cli.app", *args], check=False, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture()
def cli_env(tmp_path) -> dict[str, str]:
    """The caller's environment without any LEDGERPILOT_ setting, and a private home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERPILOT_")}
    env["LEDGERPILOT_HOME"] = str(tmp_path / "home")
    env["COLUMNS"] = "160"
    return env


@pytest.fixture()
def own_demo_data_dir(demo_cache_root, tmp_path) -> Path:
    """A private copy of the demo company, for a test that serves it from another process.

    No other process may open the database of the worker's session servers (``demo_data_dir``): SQLite's
    locks are per process and the worker's own file copies release them, so the other process can take the
    database for unused, delete its write-ahead log under the servers and leave them with "disk I/O error".
    """
    return copy_of_demo_company(demo_cache_root, tmp_path / "demo", seed=DEMO_SEED, scale=DEMO_SCALE,
                                today=DEMO_TODAY)


def odoo_env_for(handle, home: Path) -> dict[str, str]:
    """The environment of a ``ledgerpilot`` run against sandbox ``handle`` as admin, state in ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERPILOT_")}
    env.update(LEDGERPILOT_HOME=str(home), COLUMNS="200", LEDGERPILOT_ODOO_URL=handle.url,
               LEDGERPILOT_ODOO_DB=handle.db, LEDGERPILOT_ODOO_USER="admin", LEDGERPILOT_ODOO_PASSWORD="admin")
    return env
