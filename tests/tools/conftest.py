"""Fixtures of the tool tests: a read-only client of the shared demo sandbox, and a progress recorder."""

from __future__ import annotations

import pytest

from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection


@pytest.fixture(scope="module")
def client(sandbox):
    """The read-only integration user, as ledgerpilot's tools log in on a real Odoo."""
    with connect(demo_connection(sandbox.url, "readonly")) as odoo:
        yield odoo


@pytest.fixture(scope="module")
def stages():
    """Collects the progress messages a loader reports."""
    return []
