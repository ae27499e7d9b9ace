"""Threat: malformed, oversized or hostile calls to the webhook receiver crash it, tie it up or slip through.

The probe: `_id: true` was accepted (record 1 processed), `_id: 2**70` gave a 500 HTML page, a timestamp of
Unicode digits or of 5,000 digits gave 500, and a 64 MiB unsigned body was read in full before the 401. Now the
body is typed strictly (`_id` a positive integer within Odoo's range, booleans refused), the timestamp is 1 to 12
ASCII digits, the signature headers are checked before any of the body is read, the body is capped before and
while it is read (Content-Length and streamed), and every refusal is a JSON 4xx -- on the whole `serve` app,
whose approval page otherwise answers in HTML.

Odoo's own rules cannot sign, so they post to ``/webhooks/odoo/<secret>``: the same strictness holds there, the
address allow-list and the secret are checked before a byte of the body is read, a guessed secret is a JSON 401,
and the secret never reaches the audit log, the queue or the logs (only its name does).
"""

from __future__ import annotations

import json
import logging
import socket
import time

import httpx
import pytest

from ledgerpilot.channels.serve.logs import RedactWebhookSecrets
from ledgerpilot.channels.serve.runner import ServeApp
from ledgerpilot.channels.webhooks import url_secret
from ledgerpilot.channels.webhooks.payload import MAX_BODY_BYTES
from ledgerpilot.channels.webhooks.signature import signed_headers
from ledgerpilot.config import Settings
from tests.channels.web.conftest import ServedApp
from tests.conftest import DEMO_TODAY
from tests.security.conftest import connection

SECRET = "hostile-webhook-secret"
ODOO_SECRET = "hN3kW8qZ1xV6bT4mR9cY2pL7fJ0dS5gA-eU_oI"
ODOO_PATH = f"/webhooks/odoo/{ODOO_SECRET}"


@pytest.fixture()
def serve_web(sandbox, tmp_path):
    home = tmp_path / "home"
    app = ServeApp(settings=Settings(home=home, webhook_secret=SECRET, webhook_odoo_secrets={"bills": ODOO_SECRET}),
                   connection=connection(sandbox), cache_dir=home / "cache", today=lambda: DEMO_TODAY)
    served = ServedApp(app.web).start()
    yield served, app
    served.stop()
    app.receiver.close()
    app.state.close()
    app.db.close()


def _post(served, body: bytes, nonce: str, **header_changes: str) -> httpx.Response:
    headers = signed_headers(SECRET, body, timestamp=int(time.time()), nonce=nonce)
    headers.update(header_changes)
    return httpx.post(served.url + "/webhooks/odoo", content=body, headers=headers, timeout=30)


@pytest.mark.parametrize("record_id", [True, False, 2**70, 2**31, 0, -3, 1.0, 1.5, "7", None, [1], {"id": 1}])
def test_an_id_that_is_not_a_positive_odoo_integer_is_refused_in_json(serve_web, record_id):
    served, app = serve_web
    body = json.dumps({"_model": "account.move", "_id": record_id}).encode()
    answer = _post(served, body, nonce=f"bad-id-{abs(hash(repr(record_id)))}-nonce")
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/json" and "_id" in answer.json()["error"]
    assert app.state.event_counts() == {}


@pytest.mark.parametrize("model", [7, True, None, ["account.move"], "x" * 200])
def test_a_model_that_is_not_a_handled_name_is_refused_in_json(serve_web, model):
    served, _app = serve_web
    answer = _post(served, json.dumps({"_model": model, "_id": 5}).encode(), nonce=f"bad-model-{abs(hash(repr(model)))}")
    assert answer.status_code == 400 and "_model" in answer.json()["error"]


@pytest.mark.parametrize("stamp", ["١٧٩٥٠٠٠٠٠٠", "¹²³", "1" * 5000, "12.5", "-1", "0x6B0D1F00", "", "1e9"])
def test_a_timestamp_that_is_not_ascii_digits_of_bounded_length_is_401_in_json(serve_web, stamp):
    served, _app = serve_web
    body = json.dumps({"_model": "account.move", "_id": 5}).encode()
    headers = signed_headers(SECRET, body, timestamp=int(time.time()), nonce="stamp-check-nonce-1")
    raw = [(k.encode(), v.encode()) for k, v in headers.items() if k != "X-Ledgerpilot-Timestamp"]
    raw.append((b"X-Ledgerpilot-Timestamp", stamp.encode()))
    answer = httpx.post(served.url + "/webhooks/odoo", content=body, headers=raw, timeout=30)
    assert answer.status_code == 401, answer.text
    assert "timestamp" in answer.json()["error"].lower() or "missing" in answer.json()["error"]


def _raw_request(served, head: str, first: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    sock.sendall(head.encode() + first)
    return sock


def _read_answer(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), head + b"\r\n\r\n" + rest


def test_a_huge_unsigned_body_is_refused_before_it_is_read(serve_web):
    """64 MiB announced, 1 KiB sent: the 401 comes back at once, the rest is never waited for."""
    served, _app = serve_web
    head = ("POST /webhooks/odoo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {64 * 1024 * 1024}\r\n\r\n")
    sock = _raw_request(served, head, b"{" + b" " * 1023)
    try:
        status, answer = _read_answer(sock)
    finally:
        sock.close()
    assert status == 401 and b"application/json" in answer


def test_a_body_announced_over_the_cap_is_413_before_it_is_read(serve_web):
    served, _app = serve_web
    headers = signed_headers(SECRET, b"{}", timestamp=int(time.time()), nonce="too-long-body-nonce")
    head = "POST /webhooks/odoo HTTP/1.1\r\nHost: x\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n"
    sock = _raw_request(served, head, b"{")
    try:
        status, answer = _read_answer(sock)
    finally:
        sock.close()
    assert status == 413 and b'"error"' in answer


def test_a_streamed_body_without_length_is_cut_off_at_the_cap(serve_web):
    """Chunked, no Content-Length: the receiver stops reading past the cap and answers 413."""
    served, _app = serve_web
    headers = signed_headers(SECRET, b"{}", timestamp=int(time.time()), nonce="streamed-body-nonce")
    head = "POST /webhooks/odoo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock = _raw_request(served, head, b"")
    sent = 0
    chunk = b" " * 65536
    try:
        sock.settimeout(0.05)
        status = None
        while sent < 16 * 1024 * 1024:
            try:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
            except OSError:
                break
            try:
                peek = sock.recv(65536, socket.MSG_PEEK)
            except (TimeoutError, BlockingIOError):
                continue
            if peek:
                break
        sock.settimeout(10)
        status, answer = _read_answer(sock)
    finally:
        sock.close()
    assert status == 413 and b'"error"' in answer
    assert sent < 4 * 1024 * 1024, sent                     # refused long before the sender was done


def test_every_error_of_the_receiver_is_json(serve_web):
    served, _app = serve_web
    for method, path in (("GET", "/webhooks/odoo"), ("POST", "/webhooks/nothing"), ("PUT", "/webhooks/odoo")):
        answer = httpx.request(method, served.url + path, timeout=30)
        assert 400 <= answer.status_code < 500, (method, path, answer.status_code)
        assert answer.headers["content-type"] == "application/json" and "error" in answer.json(), answer.text
    not_json = _post(served, b"\xff\xfe not json", nonce="not-json-body-nonce")
    assert not_json.status_code == 400 and "JSON" in not_json.json()["error"]
    good = _post(served, json.dumps({"_model": "account.move", "_id": 5}).encode(), nonce="good-call-nonce-01")
    assert good.status_code == 202


# ------------------------------------------------------------------ Odoo's own rules: the secret in the URL


@pytest.mark.parametrize("record_id", [True, 2**31, 0, 1.0, "7", None])
def test_odoos_route_types_the_body_as_strictly(serve_web, record_id):
    served, app = serve_web
    answer = httpx.post(served.url + ODOO_PATH, json={"_model": "account.move", "_id": record_id}, timeout=30)
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/json"
    assert "_id" in answer.json()["error"] and app.state.event_counts() == {}


@pytest.mark.parametrize("guess", ["x", ODOO_SECRET[:-1], ODOO_SECRET + "x", ODOO_SECRET.upper(), "%00" * 20,
                                   "é" * 40, "A" * 5000])
def test_a_guessed_secret_is_a_json_401_and_queues_nothing(serve_web, guess):
    served, app = serve_web
    answer = httpx.post(f"{served.url}/webhooks/odoo/{guess}", json={"_model": "account.move", "_id": 5}, timeout=30)
    assert answer.status_code == 401 and "unknown webhook secret" in answer.json()["error"]
    assert app.state.event_counts() == {}


def test_a_huge_body_with_a_wrong_secret_is_refused_before_it_is_read(serve_web):
    served, _app = serve_web
    head = (f"POST /webhooks/odoo/{ODOO_SECRET[:-1]}Q HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {64 * 1024 * 1024}\r\n\r\n")
    sock = _raw_request(served, head, b"{" + b" " * 1023)
    try:
        status, answer = _read_answer(sock)
    finally:
        sock.close()
    assert status == 401 and b"application/json" in answer


def test_odoos_route_caps_the_body_before_and_while_reading(serve_web):
    served, _app = serve_web
    head = (f"POST {ODOO_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n")
    sock = _raw_request(served, head, b"{")
    try:
        status, _answer = _read_answer(sock)
    finally:
        sock.close()
    assert status == 413
    streamed = httpx.post(served.url + ODOO_PATH, content=iter([b"{" + b" " * 65536] * 8),
                          headers={"Content-Type": "application/json"}, timeout=30)
    assert streamed.status_code == 413 and "larger than" in streamed.json()["error"]


def test_the_secret_is_never_stored_only_its_name(serve_web):
    served, app = serve_web
    assert httpx.post(served.url + ODOO_PATH, json={"_model": "account.move", "_id": 5}, timeout=30).status_code == 202
    wrong = f"/webhooks/odoo/{ODOO_SECRET[:-3]}abc"
    assert httpx.post(served.url + wrong, json={"_model": "account.move", "_id": 5}, timeout=30).status_code == 401
    deadline = time.monotonic() + 20
    while len(app.audit.entries(action="webhook")) + len(app.audit.entries(action="webhook_refused")) < 2:
        assert time.monotonic() < deadline, "the calls were not audited"
        time.sleep(0.05)
    [entry] = app.audit.entries(action="webhook")
    assert entry.details["secret"] == "bills" and entry.details["via"] == "odoo rule"
    [refusal] = app.audit.entries(action="webhook_refused")
    assert refusal.subject == "/webhooks/odoo/<secret>" and refusal.details["status"] == 401
    for path in (app.db.path, app.state.path):
        for name in (path.name, path.name + "-wal"):
            stored = (path.parent / name).read_bytes() if (path.parent / name).exists() else b""
            assert ODOO_SECRET[:-3].encode() not in stored, name


def test_a_request_line_with_the_secret_is_logged_without_it():
    """uvicorn's access log (when turned on) writes the path: serve's log handler rewrites it."""
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("10.0.0.5:4321", "POST", f"/webhooks/odoo/{ODOO_SECRET}?x=1", "1.1", 202), None)
    assert RedactWebhookSecrets().filter(record)
    line = record.getMessage()
    assert ODOO_SECRET not in line and "/webhooks/odoo/<secret>?x=1" in line


def test_every_configured_secret_is_compared_whichever_matches(monkeypatch):
    """No early exit: the time of an answer does not tell which secret, if any, a guess was close to."""
    calls = []
    real = url_secret.hmac.compare_digest
    monkeypatch.setattr(url_secret.hmac, "compare_digest", lambda a, b: calls.append(len(a + b)) or real(a, b))
    secrets = {f"rule{n}": f"{n}" * 40 for n in range(5)}
    assert url_secret.matching_secret("0" * 40, secrets) == "rule0"
    assert url_secret.matching_secret("nothing", secrets) is None
    assert len(calls) == 10 and len(set(calls)) == 1         # every secret, each time; digests of one length
