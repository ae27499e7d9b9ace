"""Fixtures for the gateway tests: connections and clients against the real sandbox server."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerpilot.config import OdooConnection
from ledgerpilot.odoo import RetryPolicy, connect

#: Fast backoff so that fault-injection tests stay quick.
FAST_RETRY = RetryPolicy(attempts=8, initial_wait=0.01, max_wait=0.05, jitter=0.01)


def make_connection(handle, user: str = "admin", password: str | None = None, **extra: Any) -> OdooConnection:
    if password is None and "api_key" not in extra:
        password = user
    return OdooConnection(url=handle.url, db=handle.db, user=user, password=password, **extra)


def uid_of(handle, login: str) -> int:
    uid = handle.service.login(handle.db, login, login)
    assert uid, f"demo user {login} cannot log in with its password"
    return uid


@pytest.fixture(scope="module")
def admin(sandbox, tmp_path_factory):
    """An admin client over /jsonrpc (odoorpc) with a cache folder, shared by a test module."""
    client = connect(make_connection(sandbox, transport="jsonrpc"), cache_dir=tmp_path_factory.mktemp("cache"),
                     retry=FAST_RETRY)
    yield client
    client.close()


@pytest.fixture()
def reset_faults(sandbox):
    """Leave the shared server without faults whatever the test did."""
    yield sandbox.faults
    sandbox.faults.reset()
