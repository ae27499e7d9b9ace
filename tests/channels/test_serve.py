"""``ledgerpilot serve`` as a real subprocess against the sandbox: jobs on a shortened schedule, the webhook
receiver, health and metrics, and a clean stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest

from ledgerpilot.channels.webhooks.signature import signed_headers
from tests.channels.conftest import odoo_env_for
from tests.channels.web.conftest import free_port
from tests.conftest import DEMO_TODAY

pytestmark = pytest.mark.slow

SECRET = "serve-test-secret"
ODOO_SECRET = "Kx7Qm2Lp9Vt4Rz8Wn1Bc6Hy3Jd0Fs5Ga-Ue_Oi"


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@pytest.fixture()
def serve(fresh_sandbox, tmp_path):
    port = free_port()
    env = odoo_env_for(fresh_sandbox, tmp_path / "home")
    env.update(LEDGERPILOT_SERVE_ANOMALY_INTERVAL_MINUTES="0.04", LEDGERPILOT_SERVE_BUDGET_INTERVAL_MINUTES="0.04",
               LEDGERPILOT_SERVE_DIGEST_INTERVAL_MINUTES="0.06", LEDGERPILOT_WEBHOOK_SECRET=SECRET,
               LEDGERPILOT_SERVE_APPLY_INTERVAL_MINUTES="0.04",
               LEDGERPILOT_WEBHOOK_ODOO_SECRETS=json.dumps({"bills": ODOO_SECRET}),
               LEDGERPILOT_WEBHOOK_SETTLE_SECONDS="0.5",
               LEDGERPILOT_DISCUSS_POLL_SECONDS="1")
    process = subprocess.Popen([sys.executable, "-m", "ledgerpilot.channels.cli.app", "serve", "--port", str(port),
                                "--today", DEMO_TODAY.isoformat()], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(url + "/health", timeout=30).status_code == 200, 60, "serve to answer /health")
        yield process, url, tmp_path / "home"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_runs_its_jobs_takes_webhooks_and_stops_cleanly_on_sigterm(serve, fresh_sandbox):
    process, url, home = serve

    def all_jobs_ran():
        jobs = httpx.get(url + "/health/details", timeout=30).json()["jobs"]
        finished = {name: run for name, run in jobs.items() if run["last_status"] != "running"}
        return finished if {"digest", "budget_watch", "anomaly_scan", "apply_approved"} <= set(finished) else None

    jobs = _wait(all_jobs_ran, 300, "every job to finish once")
    assert all(run["last_status"] == "ok" for run in jobs.values()), jobs

    with httpx.Client(timeout=30) as http:
        body = json.dumps({"_model": "purchase.order", "_id": 1, "_action": "PO confirmed(#3)"}).encode()
        sent = http.post(url + "/webhooks/odoo", content=body,
                         headers=signed_headers(SECRET, body, timestamp=int(time.time()), nonce="serve-test-nonce-01"))
        assert sent.status_code == 202
        forged = http.post(url + "/webhooks/odoo", content=body,
                           headers=signed_headers("wrong", body, timestamp=int(time.time()), nonce="serve-test-nonce-02"))
        assert forged.status_code == 401
        # Odoo's own rule: unsigned, the secret in the URL
        from_odoo = http.post(f"{url}/webhooks/odoo/{ODOO_SECRET}", json={"_model": "purchase.order", "_id": 2,
                                                                          "_action": "PO confirmed(#4)"})
        assert from_odoo.status_code == 202
        guessed = http.post(f"{url}/webhooks/odoo/{ODOO_SECRET[:-2]}xx", json={"_model": "purchase.order", "_id": 2})
        assert guessed.status_code == 401
        handled = 'ledgerpilot_webhook_events_total{model="purchase.order",outcome="ok"} 2.0'

        def metrics_once_handled():
            text = http.get(url + "/metrics").text
            return text if handled in text else None

        metrics = _wait(metrics_once_handled, 60, "the webhook to be handled")
        assert http.get(url + "/health/details").json()["webhook_queue"] == 0
        assert http.get(url + "/health").json() == {"status": "ok"}
        assert 'ledgerpilot_job_runs_total{job="anomaly_scan",status="ok"}' in metrics
        assert "ledgerpilot_odoo_call_seconds_bucket" in metrics and "ledgerpilot_pending_proposals" in metrics
        assert http.get(url + "/login").status_code == 200

    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-3000:]
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert lines[-1]["message"] == "serve stopped"
    assert any(line["message"] == "job finished" and line["job"] == "digest" for line in lines)
    with sqlite3.connect(home / "serve.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM job_runs WHERE status = 'running'").fetchone()[0] == 0
        statuses = db.execute("SELECT status FROM webhook_events").fetchall()
    assert statuses == [("done",), ("done",)]
    assert ODOO_SECRET not in err and ODOO_SECRET[:-2] not in err     # the URL's secret is never logged
    assert list((home / "digests").glob("digest-*.html"))
