"""The incremental write_date cache, against a private sandbox that the tests write to."""

from __future__ import annotations

import json

import pytest

from ledgerpilot.odoo import connect

from .conftest import FAST_RETRY, make_connection

FIELDS = ["name", "email", "city"]
DOMAIN = [("city", "=", "Gateway City")]


@pytest.fixture()
def client(fresh_sandbox, tmp_path):
    client = connect(make_connection(fresh_sandbox, transport="jsonrpc"), cache_dir=tmp_path / "cache",
                     retry=FAST_RETRY)
    client.create("res.partner", [{"name": f"Incremental {n}", "city": "Gateway City",
                                   "email": f"p{n}@example.com"} for n in range(6)])
    yield client
    client.close()


def run(client):
    frame = client.extract("res.partner", FIELDS, DOMAIN, batch_size=4, incremental=True)
    plain = client.extract("res.partner", FIELDS, DOMAIN)
    assert frame.reset_index(drop=True).equals(plain), "the cached result must equal a fresh extraction"
    return frame, client.last_sync


def test_second_run_fetches_nothing_new(client):
    first, stats = run(client)
    assert stats.mode == "full" and stats.rows == 6 == len(first)
    assert list(first.columns) == ["id", "name", "email", "city"]
    again, stats = run(client)
    assert stats.mode == "unchanged" and stats.changed == 0 and stats.removed == 0
    assert again.equals(first)


def test_a_write_fetches_only_that_record(client):
    first, _ = run(client)
    target = int(first["id"].iloc[2])
    client.write("res.partner", [target], {"email": "changed@example.com"})
    after, stats = run(client)
    assert stats.mode == "incremental" and stats.changed == 1 and stats.removed == 0
    assert after.set_index("id").loc[target, "email"] == "changed@example.com"


def test_an_unlinked_record_is_gone(client):
    first, _ = run(client)
    target = int(first["id"].iloc[0])
    client.unlink("res.partner", [target])
    after, stats = run(client)
    assert stats.removed == 1 and target not in after["id"].tolist() and len(after) == 5


def test_a_record_that_leaves_the_domain_is_dropped(client):
    first, _ = run(client)
    target = int(first["id"].iloc[-1])
    client.write("res.partner", [target], {"city": "Elsewhere"})
    after, stats = run(client)
    assert stats.removed == 1 and target not in after["id"].tolist()


def test_new_records_arrive(client):
    run(client)
    new_id = client.create("res.partner", {"name": "Late arrival", "city": "Gateway City"})
    after, stats = run(client)
    assert new_id in after["id"].tolist() and stats.changed == 1


def test_cache_files_are_complete_and_replaced(client, tmp_path):
    run(client)
    folder = tmp_path / "cache" / "extracts"
    manifests = list(folder.glob("*.json"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text())
    assert manifest["rows"] == 6 and manifest["max_write_date"]
    client.write("res.partner", client.search("res.partner", DOMAIN, limit=1), {"email": "again@example.com"})
    run(client)
    parquet = list(folder.glob("*.parquet"))
    assert [p.name for p in parquet] == [json.loads(manifests[0].read_text())["data_file"]]
    assert not list(folder.glob(".*.tmp"))
