"""Odoo's own "Send Webhook Notification", as Odoo 17 sends it, over real HTTP: the recorded call replayed byte for
byte, the record read back from the sandbox, one check per version, the change Odoo had not committed yet,
secrets rotated, sources allowed, and an answer that never waits for the audit database."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from ledgerpilot.channels.webhooks.checks import WebhookChecks
from ledgerpilot.channels.webhooks.receiver import ODOO_WEBHOOK_PATH, add_webhook_routes
from ledgerpilot.channels.webhooks.url_secret import parse_networks
from ledgerpilot.channels.webhooks.worker import WebhookWorker
from ledgerpilot.config import Settings
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.serve_state import ServeState
from ledgerpilot.memory.state import StateDB
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from tests.channels.web.conftest import ServedApp
from tests.channels.web.webhook_helpers import TestClock, drain_all, exchange, wait_for
from tests.conftest import DEMO_TODAY
from tests.tools.anomalies.bill_entry import enter_duplicate_bill

RECORDING = Path(__file__).parents[2] / "fixtures" / "odoo17_protocol" / "odoo_webhook_send_notification.json"
#: the recording's URL is /webhooks/odoo/SECRET: the rule's secret there is the word SECRET
RECORDED_SECRET = "SECRET"
OLD_SECRET = "Zr4tY8uI0oP2aS6dF1gH5jK9lQ3wE7xC-vB_nM"
NEW_SECRET = "q3J8v2bZk9XrT1mW7cLp0sHd4fNa6yGe5uQiOjKx"
SETTLE = 2.0


def _recording() -> dict:
    if not RECORDING.exists():
        pytest.skip(f"the recorded Odoo 17 webhook is not at {RECORDING}")
    return json.loads(RECORDING.read_text())


def odoo_body(values: dict) -> bytes:
    """The body as Odoo's server action makes it: ``json.dumps(vals, sort_keys=True, default=str)``."""
    return json.dumps(values, sort_keys=True, default=str).encode()


def raw_request(recording: dict, body: bytes, path: str | None = None) -> bytes:
    """The HTTP/1.1 request as Odoo's python-requests put it on the wire: request line, the recorded headers in
    their order (Content-Length set to the body's), the body."""
    request = recording["request"]
    lines = [f"{request['method']} {path or request['path']} HTTP/1.1"]
    for name, value in request["headers"].items():
        lines.append(f"{name}: {len(body) if name.lower() == 'content-length' else value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def send_raw(served: ServedApp, data: bytes) -> tuple[int, dict, bytes]:
    """Send ``data`` on a fresh connection; (status, headers, body) of the answer."""
    return exchange(served.port, data)


class OdooReceiver:
    """The receiver with Odoo's route on, its queue, the worker on the sandbox, and a clock the test moves."""

    def __init__(self, sandbox, home: Path, *, secrets: dict[str, str], sources: list[str] | None = None):
        self.state = ServeState.in_home(home)
        self.db = StateDB.in_home(home)
        self.audit = AuditLog(self.db)
        self.clock = TestClock()
        app = FastAPI()
        self.hooks = add_webhook_routes(app, secret=None, max_age_seconds=300, state=self.state, audit=self.audit,
                           clock=self.clock, odoo_secrets=secrets, odoo_sources=parse_networks(sources or []),
                           settle_seconds=SETTLE)
        checks = WebhookChecks(client_factory=lambda: connect(demo_connection(sandbox.url, "readonly"),
                                                              cache_dir=home / "cache"),
                               home=home, settings=Settings(home=home), today=lambda: DEMO_TODAY,
                               versions=self.state)
        self.checked: list[str] = []

        def run_check(event):
            self.checked.append(event.key)
            return checks.run(event)

        self.worker = WebhookWorker(self.state, run_check, clock=self.clock)
        self.served = ServedApp(app).start()

    def settle(self) -> int:
        """Let the settle time pass and run what is due."""
        self.clock.advance(SETTLE)
        return self.worker.drain()

    def close(self) -> None:
        self.served.stop()
        self.hooks.close()
        self.state.close()
        self.db.close()


@pytest.fixture()
def odoo_receiver(fresh_sandbox, tmp_path):
    receivers: list[OdooReceiver] = []

    def make(**kwargs) -> OdooReceiver:
        kwargs.setdefault("secrets", {"recorded": RECORDED_SECRET})
        receiver = OdooReceiver(fresh_sandbox, tmp_path / f"home{len(receivers)}", **kwargs)
        receivers.append(receiver)
        return receiver

    yield make
    for receiver in receivers:
        receiver.close()


def test_the_recorded_odoo_17_call_replayed_byte_for_byte_is_queued_then_read_back(odoo_receiver, sandbox):
    recording = _recording()
    body = odoo_body(recording["request"]["body"])
    assert len(body) == int(recording["request"]["headers"]["Content-Length"])   # Odoo's bytes, exactly
    receiver = odoo_receiver()

    status, headers, answer = send_raw(receiver.served, raw_request(recording, body))
    assert status == recording["response"]["status"] == 202
    assert headers["content-type"] == "application/json" and json.loads(answer)["status"] == "queued"
    [event] = receiver.state.events()
    assert (event.model, event.record_id, event.action) == ("account.move", 5, "ledgerpilot re-check(#536)")
    assert event.payload == recording["request"]["body"]            # the body is kept, only as a hint

    assert receiver.worker.drain() == 0                             # not before the settle time
    assert receiver.settle() == 1
    [event] = receiver.state.events()
    with connect(demo_connection(sandbox.url, "readonly")) as reader:
        [move] = reader.read("account.move", [5], ["name", "move_type", "write_date"])
    # the body says BILL/2026/12/0001, a posted vendor bill; Odoo (the sandbox) says what record 5 really is
    assert event.status == "done"
    assert event.result["skipped"] == f"{move['name']} is not a vendor bill ({move['move_type']})"
    assert event.result["version"] == move["write_date"]

    wait_for(lambda: receiver.audit.entries(action="webhook"), "the call to be audited")
    [entry] = receiver.audit.entries(action="webhook")
    assert entry.subject == "account.move:5" and entry.details["via"] == "odoo rule"
    assert entry.details["secret"] == "recorded" and RECORDED_SECRET not in json.dumps(entry.details)


def test_repeats_of_the_recorded_call_are_harmless(odoo_receiver):
    recording = _recording()
    data = raw_request(recording, odoo_body(recording["request"]["body"]))
    receiver = odoo_receiver()
    first = send_raw(receiver.served, data)
    again = send_raw(receiver.served, data)                         # a second rule on the same change
    assert first[0] == 202 and again[0] == 200 and json.loads(again[2])["duplicate"] is True
    assert len(receiver.state.events()) == 1                        # joined the event still waiting
    receiver.settle()
    later = send_raw(receiver.served, data)                         # the same, once the first was checked
    assert later[0] == 202
    receiver.settle()
    first_event, later_event = receiver.state.events()
    assert later_event.result["duplicate_of"] == first_event.key    # the same version: not checked twice
    assert "already checked at this version" in later_event.result["skipped"]


def test_odoos_call_for_a_posted_duplicate_bill_runs_the_anomaly_scan_once_per_version(odoo_receiver,
                                                                                       fresh_sandbox):
    recording = _recording()
    with connect(demo_connection(fresh_sandbox.url, "clerk")) as clerk:
        duplicate, _original = enter_duplicate_bill(clerk, same_reference=True)
        [bill] = clerk.read("account.move", [duplicate], ["name", "state", "move_type", "amount_total", "partner_id",
                                                          "invoice_date", "write_date"])
    # what Odoo's rule sends for this bill: the recorded fields plus Last Updated on, many2one as a bare id
    values = {"_action": "ledgerpilot re-check(#536)", "_id": duplicate, "_model": "account.move",
              "id": duplicate, "name": bill["name"], "state": bill["state"], "move_type": bill["move_type"],
              "amount_total": bill["amount_total"], "partner_id": bill["partner_id"][0],
              "invoice_date": bill["invoice_date"], "write_date": bill["write_date"]}
    receiver = odoo_receiver()
    data = raw_request(recording, odoo_body(values))
    assert send_raw(receiver.served, data)[0] == 202
    receiver.settle()
    assert send_raw(receiver.served, data)[0] == 200                 # the same version, announced again
    [event] = receiver.state.events()
    assert event.status == "done" and event.result["check"] == "anomaly scan" and event.result["record"] == bill["name"]
    assert "duplicate_bills" in {f["detector"] for f in event.result["findings"]}, event.result
    assert receiver.checked == [event.key]


def test_a_change_odoo_has_not_committed_yet_is_read_again_later(odoo_receiver, fresh_sandbox):
    """Odoo 17 sends from inside the transaction that posts the bill: the first read back still sees the draft."""
    recording = _recording()
    with connect(demo_connection(fresh_sandbox.url, "clerk")) as clerk:
        duplicate, _original = enter_duplicate_bill(clerk, same_reference=True)
        clerk.call("account.move", "button_draft", [duplicate])
        [draft] = clerk.read("account.move", [duplicate], ["write_date"])
        if dt.datetime.fromisoformat(draft["write_date"]) > dt.datetime.now(dt.UTC).replace(tzinfo=None):
            pytest.skip("the sandbox stamps writes with the demo's day, later than this machine's clock")
        announced = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)).replace(tzinfo=None, microsecond=0)
        values = {"_action": "Vendor bill posted(#12)", "_id": duplicate, "_model": "account.move",
                  "state": "posted", "write_date": announced.strftime("%Y-%m-%d %H:%M:%S")}
        receiver = odoo_receiver()
        assert send_raw(receiver.served, raw_request(recording, odoo_body(values)))[0] == 202
        receiver.settle()
        [event] = receiver.state.events()
        assert event.status == "queued" and "not committed yet" in event.error and event.attempts == 1
        while dt.datetime.now(dt.UTC).replace(tzinfo=None) < announced + dt.timedelta(seconds=1):
            time.sleep(0.1)
        clerk.call("account.move", "action_post", [duplicate])       # Odoo commits the posting
    drain_all(receiver.worker, receiver.clock)
    [event] = receiver.state.events()
    assert event.status == "done" and event.attempts == 2 and event.result["check"] == "anomaly scan"
    assert "duplicate_bills" in {f["detector"] for f in event.result["findings"]}


def test_secrets_rotate_and_a_wrong_one_is_refused_without_being_recorded(odoo_receiver):
    recording = _recording()
    body = odoo_body(recording["request"]["body"])
    during = odoo_receiver(secrets={"bills-2026": OLD_SECRET, "bills-2027": NEW_SECRET})
    assert send_raw(during.served, raw_request(recording, body, f"/webhooks/odoo/{OLD_SECRET}"))[0] == 202
    assert send_raw(during.served, raw_request(recording, body, f"/webhooks/odoo/{NEW_SECRET}"))[0] == 200
    wait_for(lambda: len(during.audit.entries(action="webhook")) == 2, "both calls to be audited")
    assert [e.details["secret"] for e in during.audit.entries(action="webhook")] == ["bills-2026", "bills-2027"]

    after = odoo_receiver(secrets={"bills-2027": NEW_SECRET})        # the old secret removed
    status, _headers, answer = send_raw(after.served, raw_request(recording, body, f"/webhooks/odoo/{OLD_SECRET}"))
    assert status == 401 and "unknown webhook secret" in json.loads(answer)["error"]
    near = NEW_SECRET[:-1] + ("A" if NEW_SECRET[-1] != "A" else "B")
    assert send_raw(after.served, raw_request(recording, body, f"/webhooks/odoo/{near}"))[0] == 401
    assert after.state.events() == []
    refusals = wait_for(lambda: after.audit.entries(action="webhook_refused"), "the refusals to be audited")
    assert {e.subject for e in refusals} == {ODOO_WEBHOOK_PATH}
    stored = json.dumps([e.details for e in refusals])
    assert OLD_SECRET not in stored and near not in stored


def test_only_the_allowed_sources_may_call(odoo_receiver):
    recording = _recording()
    data = raw_request(recording, odoo_body(recording["request"]["body"]))
    elsewhere = odoo_receiver(sources=["10.0.0.0/8", "2001:db8::/32"])
    status, _headers, answer = send_raw(elsewhere.served, data)
    assert status == 403 and "127.0.0.1 is not an allowed source" in json.loads(answer)["error"]
    assert elsewhere.state.events() == []
    local = odoo_receiver(sources=["10.0.0.0/8", "127.0.0.1"])
    assert send_raw(local.served, data)[0] == 202


def test_calls_that_are_not_odoos_json_are_refused(odoo_receiver):
    recording = _recording()
    receiver = odoo_receiver()
    url = receiver.served.url + f"/webhooks/odoo/{RECORDED_SECRET}"
    form = httpx.post(url, data={"_model": "account.move", "_id": "5"}, timeout=30)
    assert form.status_code == 415 and "application/json" in form.json()["error"]
    bad_id = httpx.post(url, json={"_model": "account.move", "_id": True}, timeout=30)
    assert bad_id.status_code == 400 and "_id" in bad_id.json()["error"]
    bad_date = httpx.post(url, json={"_model": "account.move", "_id": 5, "write_date": "yesterday"}, timeout=30)
    assert bad_date.status_code == 400 and "write_date" in bad_date.json()["error"]
    off = odoo_receiver(secrets={})
    closed = httpx.post(off.served.url + f"/webhooks/odoo/{RECORDED_SECRET}", json={"_model": "account.move",
                                                                                    "_id": 5}, timeout=30)
    assert closed.status_code == 503 and "LEDGERPILOT_WEBHOOK_ODOO_SECRETS" in closed.json()["error"]
    assert receiver.state.events() == [] and off.state.events() == []


def test_the_answer_does_not_wait_for_a_busy_audit_database(odoo_receiver, tmp_path):
    """Odoo gives up after one second: the event is queued and answered while another writer holds state.sqlite;
    its audit entry follows once the database is free."""
    recording = _recording()
    receiver = odoo_receiver()
    holder = sqlite3.connect(receiver.db.path, timeout=1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")                                # another process writing proposals, say
    try:
        status, _headers, _answer = send_raw(receiver.served, raw_request(recording,
                                                                          odoo_body(recording["request"]["body"])))
        assert status == 202 and len(receiver.state.events()) == 1
        with sqlite3.connect(receiver.db.path) as reader:             # a reader is not held up by the writer
            assert reader.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'webhook'").fetchone() == (0,)
    finally:
        holder.execute("COMMIT")
        holder.close()
    wait_for(lambda: receiver.audit.entries(action="webhook"), "the call to be audited once the database is free")
