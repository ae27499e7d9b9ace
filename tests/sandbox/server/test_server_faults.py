"""Fault injection: latency, proxy error statuses, dropped connections, scope, determinism."""

from __future__ import annotations

import http.client
import time
import xmlrpc.client

import httpx
import odoorpc
import pytest

from ledgerpilot.sandbox.server.faults import FaultConfig

VERSION = {"jsonrpc": "2.0", "method": "call", "params": {"service": "common", "method": "version", "args": []},
           "id": 1}


def _version(server) -> httpx.Response:
    return httpx.post(server.url + "/jsonrpc", json=VERSION, timeout=10)


def test_latency_is_measurable(server):
    started = time.perf_counter()
    _version(server)
    baseline = time.perf_counter() - started
    server.faults.update(latency_ms=150, jitter_ms=50)
    started = time.perf_counter()
    assert _version(server).status_code == 200
    delayed = time.perf_counter() - started
    assert delayed >= 0.15
    assert delayed - baseline < 1.0


@pytest.mark.parametrize("status, title", [(502, "502 Bad Gateway"),
                                           (503, "503 Service Temporarily Unavailable"),
                                           (504, "504 Gateway Time-out")])
def test_error_statuses_look_like_a_proxy(server, status, title):
    server.faults.update(error_rate=1.0, error_statuses=[status])
    response = _version(server)
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html"
    assert f"<title>{title}</title>" in response.text and "nginx" in response.text


def test_clients_see_the_proxy_errors(server):
    server.faults.update(error_rate=1.0, error_statuses=[502])
    with pytest.raises(xmlrpc.client.ProtocolError) as xml_error:
        xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/common").version()
    assert xml_error.value.errcode == 502
    server.faults.reset()
    odoo = odoorpc.ODOO(server.host, port=server.port)
    server.faults.update(error_rate=1.0, error_statuses=[503])
    with pytest.raises(Exception) as odoorpc_error:  # urllib's HTTPError, as odoorpc does not wrap it
        odoo.db.list()
    assert "503" in str(odoorpc_error.value)


def test_error_rate_is_a_share_and_the_seed_repeats_it(server):
    def outcomes():
        with httpx.Client() as client:
            return [client.post(server.url + "/jsonrpc", json=VERSION).status_code for _ in range(40)]

    server.faults.update(error_rate=0.5, seed=11)
    first = outcomes()
    server.faults.update(seed=None)
    server.faults.update(seed=11)  # reseeding restarts the same sequence
    second = outcomes()
    assert first == second
    failures = sum(code != 200 for code in first)
    assert 5 <= failures <= 35
    assert set(first) <= {200, 502, 503, 504}


def test_dropped_connection_is_seen_by_the_clients(server):
    server.faults.update(drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        _version(server)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/common").version()
    server.faults.reset()
    assert _version(server).status_code == 200  # the server itself is unharmed


def test_scope_limits_the_faults_to_some_paths(server):
    server.faults.update(error_rate=1.0, scope=["/xmlrpc/"])
    assert _version(server).status_code == 200
    response = httpx.post(server.url + "/xmlrpc/2/common", content=b"<x/>", headers={"Content-Type": "text/xml"})
    assert response.status_code in (502, 503, 504)


def test_override_restores_the_previous_settings(server):
    with server.faults.override(error_rate=1.0):
        assert _version(server).status_code != 200
    assert _version(server).status_code == 200
    assert server.faults.error_rate == 0.0


def test_config_validation_names_the_problem():
    with pytest.raises(ValueError, match="error_rate"):
        FaultConfig(error_rate=2)
    with pytest.raises(ValueError, match="unknown fault setting"):
        FaultConfig.from_dict({"latency": 5})
    with pytest.raises(ValueError, match="error_statuses"):
        FaultConfig.from_dict({"error_statuses": [500]})
    config = FaultConfig.from_dict({"latency_ms": 5, "scope": ["/jsonrpc"]})
    with pytest.raises(ValueError):
        config.update(drop_rate=-1)
    assert config.drop_rate == 0.0  # a refused change leaves the settings as they were
    assert FaultConfig.from_dict(config.to_dict()) == config
