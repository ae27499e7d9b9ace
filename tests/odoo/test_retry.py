"""Retries under the sandbox's fault injection: transient faults are survived, verdicts are not retried."""

from __future__ import annotations

import pytest

from ledgerpilot.odoo import (
    NO_RETRY,
    OdooAccessError,
    OdooServiceUnavailable,
    OdooUnreachable,
    RetryPolicy,
    connect,
)
from ledgerpilot.odoo.errors import OdooSessionExpired, OdooUserError
from ledgerpilot.odoo.retry import is_retryable

from .conftest import FAST_RETRY, make_connection

FIELDS = ["name", "email", "is_company"]


@pytest.fixture()
def baseline(admin):
    return admin.extract("res.partner", FIELDS)


@pytest.mark.parametrize("transport", ["jsonrpc", "xmlrpc"])
def test_proxy_errors_are_retried(sandbox, reset_faults, baseline, transport):
    client = connect(make_connection(sandbox, transport=transport), retry=FAST_RETRY)
    reset_faults.update(error_rate=0.4, error_statuses=(502, 503, 504), seed=11)
    calls = client.rpc_count
    frame = client.extract("res.partner", FIELDS, batch_size=5)
    reset_faults.reset()
    assert frame.equals(baseline)
    pages = -(-len(baseline) // 5)
    assert client.rpc_count - calls > pages  # some calls failed and were repeated
    client.close()


@pytest.mark.parametrize("transport", ["jsonrpc", "xmlrpc"])
def test_dropped_connections_are_retried(sandbox, reset_faults, baseline, transport):
    client = connect(make_connection(sandbox, transport=transport), retry=FAST_RETRY)
    reset_faults.update(drop_rate=0.3, seed=5)
    frame = client.extract("res.partner", FIELDS, batch_size=5)
    reset_faults.reset()
    assert frame.equals(baseline)
    client.close()


def test_latency_below_the_timeout_is_fine_and_above_it_times_out(sandbox, reset_faults):
    client = connect(make_connection(sandbox, transport="jsonrpc", timeout=0.5), retry=NO_RETRY)
    reset_faults.update(latency_ms=100)
    assert client.search_count("res.partner") > 0
    reset_faults.update(latency_ms=1200)
    with pytest.raises(OdooUnreachable, match="timed out") as caught:
        client.search_count("res.partner")
    assert caught.value.request_sent is True
    reset_faults.reset()
    client.close()


def test_retries_are_bounded(sandbox, reset_faults):
    client = connect(make_connection(sandbox, transport="jsonrpc"),
                     retry=RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, jitter=0))
    reset_faults.update(error_rate=1.0, error_statuses=(503,))
    calls = client.rpc_count
    with pytest.raises(OdooServiceUnavailable, match="503"):
        client.search_count("res.partner")
    assert client.rpc_count - calls == 3
    reset_faults.reset()
    client.close()


def test_a_write_that_may_have_reached_odoo_is_not_repeated(sandbox, reset_faults):
    client = connect(make_connection(sandbox, transport="jsonrpc"), retry=FAST_RETRY)
    client.fields_get("res.partner")  # the schema check before a write is a read, and may be retried
    reset_faults.update(error_rate=1.0, error_statuses=(502,))
    calls = client.rpc_count
    with pytest.raises(OdooServiceUnavailable):
        client.write("res.partner", [client.uid], {"email": "x@example.com"})
    assert client.rpc_count - calls == 1
    reset_faults.reset()
    client.close()


def test_access_error_is_not_retried(sandbox, reset_faults):
    client = connect(make_connection(sandbox, user="demo", transport="jsonrpc"), retry=FAST_RETRY)
    calls = client.rpc_count
    with pytest.raises(OdooAccessError, match="account.move"):
        client.execute("account.move", "search_count", [])
    assert client.rpc_count - calls == 1
    client.close()


def test_retry_decision():
    dropped = OdooUnreachable("http://x", "connection dropped", request_sent=True)
    refused = OdooUnreachable("http://x", "connection refused", request_sent=False)
    busy = OdooServiceUnavailable("http://x", 503)
    expired = OdooSessionExpired("expired")
    verdict = OdooUserError("no")
    assert is_retryable(dropped, write=False) and is_retryable(busy, write=False)
    assert not is_retryable(dropped, write=True) and not is_retryable(busy, write=True)
    assert is_retryable(refused, write=True) and is_retryable(expired, write=True)
    assert not is_retryable(verdict, write=False) and not is_retryable(ValueError("x"), write=False)
