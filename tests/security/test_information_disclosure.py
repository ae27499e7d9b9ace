"""Threat: anyone who can reach `serve` learns where the books are and what is pending.

The probe: /health and /metrics needed no sign-in and /health showed the Odoo URL, the database and the pending
count. Now /health answers liveness only; the details (/health/details) and /metrics need the bearer token
LEDGERPILOT_SERVE_STATUS_TOKEN, or, when no token is set, a request from this machine that came through no proxy.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from ledgerpilot.channels.serve.runner import ServeApp
from ledgerpilot.config import Settings
from tests.channels.web.conftest import ServedApp
from tests.conftest import DEMO_TODAY
from tests.security.conftest import connection

TOKEN = "status-token-for-tests-0123456789"


def _served(sandbox, home, host: str = "127.0.0.1", **settings) -> tuple[ServeApp, ServedApp]:
    app = ServeApp(settings=Settings(home=home, **settings), connection=connection(sandbox), cache_dir=home / "cache",
                   today=lambda: DEMO_TODAY)
    served = ServedApp(app.web)
    if host != "127.0.0.1":
        import uvicorn

        served.server = uvicorn.Server(uvicorn.Config(app.web, host=host, port=served.port, log_level="warning"))
        served.thread.__init__(target=served.server.run, daemon=True)
    return app, served.start()


def _outside_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_health_is_liveness_only(sandbox, tmp_path):
    app, served = _served(sandbox, tmp_path / "home")
    try:
        answer = httpx.get(served.url + "/health", headers={"X-Forwarded-For": "203.0.113.7"}, timeout=30)
        assert answer.status_code == 200 and answer.json() == {"status": "ok"}
        assert sandbox.url not in answer.text and "demo" not in answer.text
    finally:
        served.stop()


def test_details_and_metrics_are_refused_through_a_proxy_without_a_token(sandbox, tmp_path):
    app, served = _served(sandbox, tmp_path / "home")
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    try:
        for path in ("/health/details", "/metrics"):
            refused = httpx.get(served.url + path, headers=forwarded, timeout=30)
            assert refused.status_code == 403, (path, refused.text)
            assert refused.json()["error"].startswith("only from this machine") and sandbox.url not in refused.text
        local = httpx.get(served.url + "/health/details", timeout=30)
        assert local.status_code == 200 and local.json()["odoo"]["url"] == sandbox.url
        assert "ledgerpilot_pending_proposals" in httpx.get(served.url + "/metrics", timeout=30).text
    finally:
        served.stop()


def test_another_machine_is_refused_without_a_token(sandbox, tmp_path):
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no address other than loopback to come from")
    app, served = _served(sandbox, tmp_path / "home", host="0.0.0.0")
    try:
        url = f"http://{address}:{served.port}"
        assert httpx.get(url + "/health", timeout=30).json() == {"status": "ok"}
        assert httpx.get(url + "/health/details", timeout=30).status_code == 403
        assert httpx.get(url + "/metrics", timeout=30).status_code == 403
    finally:
        served.stop()


def test_with_a_token_every_caller_needs_it(sandbox, tmp_path):
    app, served = _served(sandbox, tmp_path / "home", serve_status_token=TOKEN)
    try:
        for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN}):
            answer = httpx.get(served.url + "/metrics", headers=headers, timeout=30)
            assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer", headers
        good = {"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": "203.0.113.7"}
        assert httpx.get(served.url + "/metrics", headers=good, timeout=30).status_code == 200
        assert httpx.get(served.url + "/health/details", headers=good, timeout=30).json()["status"] == "ok"
        entries = app.audit.entries(action="status_refused")
        assert len(entries) == 3 and all(e.details["path"] == "/metrics" for e in entries)
    finally:
        served.stop()
