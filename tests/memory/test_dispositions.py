"""Stored anomalies, dispositions (append-only, audited) and scan times in a real state database."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import pytest

from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.proposal import RecordRef
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.dispositions import (
    AmbiguousAnomalyId,
    AnomalyNotFound,
    AnomalyStore,
    DispositionError,
    ScanRecord,
    normalise_disposition,
    source_of,
)
from ledgerpilot.memory.state import SCHEMA_VERSION, StateDB


def finding(first: int, second: int, score: float = 0.9) -> Anomaly:
    return Anomaly(detector="duplicate_bills", kind="duplicate_bill_same_amount", score=score,
                   title=f"Bills {first} and {second}: same amount", reason="Same vendor, same amount, 3 days apart.",
                   records=(RecordRef(model="account.move", id=second), RecordRef(model="account.move", id=first)),
                   amount=Decimal("3033.07"), occurred_on=dt.date(2026, 7, 15), partner="Golden Trading")


@pytest.fixture()
def db(tmp_path):
    with StateDB.in_home(tmp_path) as state:
        yield state


def test_a_rescan_refreshes_risk_but_keeps_first_seen_and_proposals(db):
    store = AnomalyStore(db)
    one, two = finding(1, 2), finding(3, 4)
    first = dt.datetime(2026, 11, 18, 9, 0)
    stored = store.record([(one, 0.8), (two, 0.6)], scan_id="scan-a", seen_at=first)
    assert stored[one.key].first_seen == first and stored[one.key].risk == 0.8
    store.set_proposals(one.key, ["p1", "p2"])
    store.set_proposals(one.key, ["p2", "p3"])
    later = first + dt.timedelta(minutes=15)
    again = store.record([(finding(1, 2, score=0.95), 0.9)], scan_id="scan-b", seen_at=later)[one.key]
    assert (again.first_seen, again.last_seen, again.last_scan_id) == (first, later, "scan-b")
    assert again.risk == 0.9 and again.anomaly.score == 0.95
    assert again.proposal_ids == ("p1", "p2", "p3")
    assert store.get(two.key).last_seen == first
    assert store.recent(5)[0].key == one.key


def test_ids_resolve_by_unique_prefix(db):
    store = AnomalyStore(db)
    items = [finding(i, i + 1) for i in range(0, 40, 2)]
    store.record([(item, 0.5) for item in items], scan_id="scan-a")
    key = items[0].key
    assert store.resolve_id(key) == key and store.resolve_id(key[:10].upper()) == key
    by_first = {}
    for item in items:
        by_first.setdefault(item.key[0], []).append(item.key)
    shared = next(letter for letter, keys in by_first.items() if len(keys) > 1)
    with pytest.raises(AmbiguousAnomalyId, match="several anomalies"):
        store.resolve_id(shared)
    with pytest.raises(AnomalyNotFound, match="not an anomaly id"):
        store.resolve_id("zz-top")
    missing = next(c for c in "0123456789abcdef" if c not in by_first)
    with pytest.raises(AnomalyNotFound, match="anomalies scan"):
        store.resolve_id(missing)


def test_dispositions_are_append_only_audited_and_the_latest_counts(db):
    store = AnomalyStore(db)
    item = finding(1, 2)
    store.record([(item, 0.9)], scan_id="scan-a")
    first = store.dispose(item.key, "false-positive", note="Weekly delivery at a fixed price", by="Marie")
    second = store.dispose(item.key, "Investigate", note="The vendor confirmed only one delivery", by="Paul")
    assert (first.disposition, second.disposition) == ("false_positive", "investigate")
    assert [d.disposition for d in store.history(item.key)] == ["false_positive", "investigate"]
    assert store.latest_dispositions()[item.key].by == "Paul"
    assert store.get(item.key).disposition.note == "The vendor confirmed only one delivery"
    assert [d.key for d in store.disposed()] == [item.key]
    entries = AuditLog(db).entries(action="disposition")
    assert [(e.actor, e.subject, e.details["disposition"]) for e in entries] == [
        ("Marie", item.key, "false_positive"), ("Paul", item.key, "investigate")]
    assert AuditLog(db).verify().ok
    with pytest.raises(sqlite3.DatabaseError, match="append-only"), db.transaction() as conn:
        conn.execute("UPDATE anomaly_dispositions SET note = 'edited'")


def test_bad_dispositions_are_refused_with_words(db):
    store = AnomalyStore(db)
    item = finding(1, 2)
    store.record([(item, 0.9)], scan_id="scan-a")
    with pytest.raises(DispositionError, match="false-positive, investigate, corrected"):
        normalise_disposition("ignore")
    with pytest.raises(DispositionError, match="needs a note"):
        store.dispose(item.key, "corrected", note="  ", by="Marie")
    with pytest.raises(DispositionError, match="name of the reviewer"):
        store.dispose(item.key, "corrected", note="fixed", by="")
    with pytest.raises(AnomalyNotFound):
        store.dispose("0" * 16, "corrected", note="fixed", by="Marie")
    assert store.history(item.key) == []


def test_last_scan_is_kept_per_odoo(db, tmp_path):
    store = AnomalyStore(db)
    here, there = source_of("http://localhost:8069/", "demo"), source_of("https://acme.odoo.com", "acme")
    assert store.last_scan(here) is None
    for minute in (0, 15):
        store.record_scan(ScanRecord(scan_id=f"scan-{minute}", source=here,
                                     started_at=dt.datetime(2026, 11, 18, 9, minute),
                                     finished_at=dt.datetime(2026, 11, 18, 9, minute, 5), since=None,
                                     today=dt.date(2026, 11, 18), found=3, alerted=1, suppressed=0, new_proposals=2))
    assert store.last_scan(here).scan_id == "scan-15" and store.last_scan(there) is None
    assert db.version == SCHEMA_VERSION
    with StateDB.in_home(tmp_path) as reopened:                      # durable: another connection sees it
        assert AnomalyStore(reopened).last_scan(here).started_at == dt.datetime(2026, 11, 18, 9, 15)
