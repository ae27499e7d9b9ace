"""The webhook receiver over real HTTP (uvicorn), its queue in SQLite and the checks on the sandbox."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from fastapi import FastAPI

from ledgerpilot.channels.webhooks.checks import WebhookChecks
from ledgerpilot.channels.webhooks.receiver import WEBHOOK_PATH, add_webhook_routes
from ledgerpilot.channels.webhooks.signature import signed_headers
from ledgerpilot.channels.webhooks.worker import WebhookWorker
from ledgerpilot.config import Settings
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.serve_state import ServeState
from ledgerpilot.memory.state import StateDB
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from tests.channels.web.conftest import ServedApp
from tests.channels.web.webhook_helpers import TestClock, drain_all, wait_for
from tests.conftest import DEMO_TODAY
from tests.tools.anomalies.bill_entry import enter_duplicate_bill

SECRET = "s3cret-for-tests-only"


@pytest.fixture()
def receiver(fresh_sandbox, tmp_path):
    home = tmp_path / "home"
    state = ServeState.in_home(home)
    db = StateDB.in_home(home)
    audit = AuditLog(db)
    app = FastAPI()
    clock = TestClock()
    hooks = add_webhook_routes(app, secret=SECRET, max_age_seconds=300, state=state, audit=audit, clock=clock)
    settings = Settings(home=home)
    checks = WebhookChecks(client_factory=lambda: connect(demo_connection(fresh_sandbox.url, "readonly"),
                                                          cache_dir=tmp_path / "cache"),
                           home=home, settings=settings, today=lambda: DEMO_TODAY, versions=state)
    runs = []

    def run_check(event):
        runs.append(event.key)
        return checks.run(event)

    served = ServedApp(app).start()
    try:
        yield served, state, WebhookWorker(state, run_check, clock=clock), runs, audit
    finally:
        served.stop()
        hooks.close()
        state.close()
        db.close()


def _post(served, body: bytes, *, nonce: str, secret: str = SECRET, timestamp: int | None = None,
          headers: dict | None = None) -> httpx.Response:
    sent = headers if headers is not None else signed_headers(secret, body, timestamp=timestamp or int(time.time()),
                                                               nonce=nonce)
    return httpx.post(served.url + WEBHOOK_PATH, content=body, headers=sent, timeout=30)


def _body(model: str, record_id: int, **extra) -> bytes:
    return json.dumps({"_model": model, "_id": record_id, "_action": "Vendor bill posted(#12)", **extra}).encode()


def test_forged_replayed_and_malformed_calls_are_refused(receiver):
    served, state, _worker, runs, audit = receiver
    body = _body("account.move", 1)
    assert _post(served, body, nonce="n" * 20, secret="wrong-secret").status_code == 401
    stale = _post(served, body, nonce="s" * 20, timestamp=int(time.time()) - 3600)
    assert stale.status_code == 401 and "timestamp" in stale.json()["error"]
    tampered = signed_headers(SECRET, body, timestamp=int(time.time()), nonce="t" * 20)
    assert _post(served, body + b" ", nonce="", headers=tampered).status_code == 401
    assert _post(served, body, nonce="", headers={"Content-Type": "application/json"}).status_code == 401

    first = signed_headers(SECRET, body, timestamp=int(time.time()), nonce="r" * 20)
    assert _post(served, body, nonce="", headers=first).status_code == 202
    replay = _post(served, body, nonce="", headers=first)
    assert replay.status_code == 409 and "replay" in replay.json()["error"]

    for index, bad in enumerate((b"not json", b"[1, 2]", _body("res.partner", 3), json.dumps({"_model": "account.move",
                                                                                              "_id": -4}).encode())):
        answer = _post(served, bad, nonce=f"malformed-{index:012d}")
        assert answer.status_code == 400, bad
    assert len(state.events()) == 1 and runs == []
    wait_for(lambda: {e.details["status"] for e in audit.entries(action="webhook_refused")} == {400, 401, 409},
             "the refusals to be audited")


def test_a_posted_duplicate_bill_is_checked_once(receiver, fresh_sandbox):
    served, state, worker, runs, _audit = receiver
    with connect(demo_connection(fresh_sandbox.url, "clerk")) as clerk:
        duplicate, _original = enter_duplicate_bill(clerk, same_reference=True)
    body = _body("account.move", duplicate)
    assert _post(served, body, nonce="first-delivery-0001").status_code == 202
    again = _post(served, body, nonce="second-delivery-002")      # Odoo (or a relay) sent the same event again
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert worker.drain() == 1
    assert worker.drain() == 0
    [event] = state.events()
    assert runs == [event.key] and event.status == "done"
    assert "duplicate_bills" in {finding["detector"] for finding in event.result["findings"]}, event.result
    assert event.result["scope"]["moves"] >= 1


def test_events_that_call_for_no_check_are_skipped_with_the_reason(receiver, fresh_sandbox):
    served, state, worker, _runs, _audit = receiver
    with connect(demo_connection(fresh_sandbox.url, "readonly")) as reader:
        invoice = reader.search("account.move", [("move_type", "=", "out_invoice"), ("state", "=", "posted")],
                                limit=1)[0]
        draft_po = reader.search("purchase.order", [("state", "in", ["draft", "sent"])], limit=1)
    assert _post(served, _body("account.move", invoice), nonce="invoice-event-0001").status_code == 202
    if draft_po:
        assert _post(served, _body("purchase.order", draft_po[0]), nonce="po-event-00000001").status_code == 202
    assert _post(served, _body("account.move", 10**9), nonce="gone-event-000001").status_code == 202
    worker.drain()
    gone = state.events()[-1]
    assert gone.status == "queued" and "does not exist" in gone.error     # perhaps not committed yet: tried again
    drain_all(worker, worker.clock)
    results = [e.result["skipped"] for e in state.events()]
    assert "is not a vendor bill (out_invoice)" in results[0]
    assert "does not exist" in results[-1] and "given up after 5 tries" in results[-1]
    assert state.events()[-1].attempts == 5
    assert all(e.status == "done" for e in state.events())


def test_a_confirmed_purchase_order_is_checked_against_its_budget(receiver, fresh_sandbox):
    served, state, worker, _runs, _audit = receiver
    with connect(demo_connection(fresh_sandbox.url, "readonly")) as reader:
        [order] = reader.search_read("purchase.order", [("state", "=", "purchase")], ["name"], limit=1)
    assert _post(served, _body("purchase.order", order["id"]), nonce="po-confirmed-00001").status_code == 202
    worker.drain()
    [event] = state.events()
    assert event.status == "done" and event.result["check"] == "purchase order budget"
    assert event.result["record"] == order["name"] and event.result["fits"] in (True, False, None)
