"""Replaying the recorded Odoo 17 exchanges (tests/fixtures/odoo17_protocol) against the sandbox.

The recordings were made on a database named ``fin17``; the test database is ``demo``. Both have
the administrator as uid 2 with password ``admin``, so requests replay unchanged apart from the
database name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "odoo17_protocol"
RECORDED_DB = "fin17"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def _swap_db(value: Any, db: str) -> Any:
    if isinstance(value, str):
        return value.replace(RECORDED_DB, db)
    if isinstance(value, list):
        return [_swap_db(v, db) for v in value]
    if isinstance(value, dict):
        return {k: _swap_db(v, db) for k, v in value.items()}
    return value


def replay(url: str, name: str, db: str = "demo", cookies: httpx.Cookies | None = None) -> tuple[dict, httpx.Response]:
    """Send the recorded request of ``name`` to ``url``; return (recording, response)."""
    recording = load(name)
    request = recording["request"]
    body = request["body"]
    if isinstance(body, (dict, list)):
        content = json.dumps(_swap_db(body, db)).encode()
    else:
        content = _swap_db(body, db).encode()
    headers = {k: v for k, v in request["headers"].items()
               if k.lower() in ("content-type", "accept-encoding", "user-agent")}
    with httpx.Client(cookies=cookies) as client:
        response = client.request(request["method"], url + request["path"], content=content or None,
                                  headers=headers)
    return recording, response


def recorded_body(recording: dict, db: str = "demo") -> Any:
    return _swap_db(recording["response"]["body"], db)


def assert_same_error_shape(recording: dict, response: httpx.Response) -> dict:
    """Status, content type, envelope keys, error code and data.name as recorded. Returns data."""
    expected = recording["response"]
    assert response.status_code == expected["status"]
    assert response.headers["content-type"] == expected["headers"]["content-type"]
    body = response.json()
    want = expected["body"]
    assert list(body) == list(want), "envelope keys (and their order) differ"
    assert body["id"] == want["id"]
    assert list(body["error"]) == list(want["error"])
    assert body["error"]["code"] == want["error"]["code"]
    assert body["error"]["message"] == want["error"]["message"]
    data, want_data = body["error"]["data"], want["error"]["data"]
    assert list(data) == list(want_data)
    assert data["name"] == want_data["name"]
    assert data["debug"].startswith("Traceback (most recent call last):\n")
    assert data["context"] == {}
    return data
