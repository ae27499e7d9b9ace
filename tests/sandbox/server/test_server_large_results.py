"""Long results are streamed in chunks, byte-identical to one ``json.dumps`` / ``xmlrpc.client.dumps``."""

from __future__ import annotations

import json
import shutil
import xmlrpc.client

import httpx
import pytest

from ledgerpilot.sandbox.server import encoding
from ledgerpilot.sandbox.server.runner import running_sandbox
from ledgerpilot.sandbox.store import Store, database_path

LINES = 12_000


@pytest.fixture(scope="module")
def big_server(server_data_dir, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("big") / "sandbox"
    shutil.copytree(server_data_dir, data_dir)
    store = Store(database_path(data_dir))
    rows = []
    for i in range(LINES):
        amount = round(1 + (i % 997) * 1.37, 2)
        rows.append({"move_id": 1 + i % 2, "account_id": 2 if i % 2 else 3, "name": f"bulk line {i} ü",
                     "debit": amount if i % 2 else 0.0, "credit": 0.0 if i % 2 else amount,
                     "balance": amount if i % 2 else -amount, "date": "2026-10-05", "journal_id": 3,
                     "company_id": 1, "parent_state": "posted"})
    store.bulk_insert("account.move.line", rows)
    store.close()
    with running_sandbox(data_dir) as handle:
        yield handle


def test_json_chunks_equal_one_dumps():
    items = [{"id": i, "name": f"n{i} é", "v": [i, "x"], "f": i / 3} for i in range(encoding.SLICE * 2 + 7)]
    envelope = {"jsonrpc": "2.0", "id": 5, "result": items}
    streamed = b"".join(encoding.json_chunks(envelope, ("result",)))
    assert streamed == json.dumps(envelope, ensure_ascii=False).encode()
    assert b"".join(encoding.json_chunks(items)) == json.dumps(items, ensure_ascii=False).encode()
    small = {"jsonrpc": "2.0", "id": 1, "result": [1, 2]}
    assert list(encoding.json_chunks(small, ("result",))) == [json.dumps(small).encode()]


def test_xmlrpc_chunks_equal_one_dumps():
    items = [{"id": i, "name": f"n{i} <&>", "ok": bool(i % 2)} for i in range(encoding.SLICE + 3)]
    streamed = b"".join(encoding.xmlrpc_response_chunks(items))
    assert streamed == xmlrpc.client.dumps((items,), methodresponse=True, allow_none=False).encode()


def test_large_search_read_over_jsonrpc_is_streamed(big_server):
    fields = ["move_id", "account_id", "name", "debit", "credit", "balance", "date", "parent_state"]
    payload = {"jsonrpc": "2.0", "method": "call", "id": 3, "params": {
        "service": "object", "method": "execute_kw",
        "args": ["demo", 2, "admin", "account.move.line", "search_read", [[]], {"fields": fields}]}}
    response = httpx.post(big_server.url + "/jsonrpc", json=payload, timeout=60)
    assert response.status_code == 200
    assert response.headers.get("transfer-encoding") == "chunked"
    body = response.json()
    assert list(body) == ["jsonrpc", "id", "result"]
    expected = big_server.service.execute_kw("demo", 2, "admin", "account.move.line", "search_read", [[]],
                                             {"fields": fields})
    assert len(body["result"]) == LINES + 4
    assert response.content == json.dumps({"jsonrpc": "2.0", "id": 3, "result": expected},
                                          ensure_ascii=False).encode()


def test_large_results_over_xmlrpc_and_json2(big_server):
    models = xmlrpc.client.ServerProxy(f"{big_server.url}/xmlrpc/2/object")
    ids = models.execute_kw("demo", 2, "admin", "account.move.line", "search", [[]])
    assert len(ids) == LINES + 4
    key = big_server.service.create_api_key(2, "big")
    response = httpx.post(big_server.url + "/json/2/account.move.line/search_read",
                          json={"domain": [], "fields": ["balance"]}, headers={"Authorization": f"bearer {key}"},
                          timeout=60)
    assert response.headers.get("transfer-encoding") == "chunked"
    expected = big_server.service.call(2, "account.move.line", "search_read", [], {"domain": [], "fields": ["balance"]})
    assert response.json() == expected and len(expected) == LINES + 4
