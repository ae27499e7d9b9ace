"""The anomaly scan end to end on the real sandbox: alerts, idempotent proposals, dispositions, suppression,
the exceptions memory and the incremental scan of a duplicate bill entered through the sandbox."""

from __future__ import annotations

import datetime as dt

import pytest

from ledgerpilot.calc.anomalies.config import AnomalyConfig
from ledgerpilot.calc.anomalies.scan import run_scan
from ledgerpilot.config import Settings
from ledgerpilot.errors import ConfigError
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.dispositions import AnomalyStore
from ledgerpilot.memory.proposal_store import ProposalStore
from ledgerpilot.memory.state import StateDB
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.tools.anomalies.scan import (
    AnomalyUsageError,
    dispose_anomaly,
    parse_since,
    scan_anomalies,
    show_anomaly,
    timed_scan,
)
from tests.calc.anomalies.test_scan import books_with_duplicates
from tests.conftest import DEMO_TODAY
from tests.tools.anomalies.bill_entry import enter_duplicate_bill

#: Kinds that depend on the real clock at the moment a test enters a bill (create_date is the real time).
CLOCK_KINDS = {"posting_at_odd_hour", "posting_on_weekend"}


def _settings(home, **values) -> Settings:
    return Settings(home=home, **values)


def _scan(client, home, settings, **kwargs):
    return scan_anomalies(client, home, today=DEMO_TODAY, settings=settings, **kwargs)


@pytest.fixture()
def odoo(fresh_sandbox, tmp_path):
    with connect(demo_connection(fresh_sandbox.url, "admin"), cache_dir=tmp_path / "cache") as admin, \
            connect(demo_connection(fresh_sandbox.url, "clerk")) as clerk:
        yield admin, clerk


@pytest.mark.slow
def test_rescans_do_not_duplicate_and_a_false_positive_silences_its_pattern(odoo, tmp_path):
    client, clerk = odoo
    home = tmp_path / "home"
    settings = _settings(home, anomaly_ap_user="clerk", anomaly_gl_user="controller")
    first = _scan(client, home, settings)
    alerts = first.alerts
    assert alerts and first.new_proposals == len(first.proposals) > 0
    assert first.since is None and "whole history" in first.since_note
    kinds = {item.anomaly.kind for item in alerts}
    assert {"duplicate_bill_same_reference", "duplicate_bill_same_amount"} <= kinds
    users = {u["login"]: u["id"] for u in client.search_read("res.users", [], ["login"])}
    with StateDB.in_home(home) as db:
        proposals = ProposalStore(db).list()
    activities = [p for p in proposals if p.kind == "activity"]
    notes = [p for p in proposals if p.kind == "note"]
    assert len(notes) == len({p.evidence.figures["anomaly_key"] for p in proposals})
    holds = [p for p in activities if p.payload.args[0]["summary"].startswith("Do not pay until cleared")]
    assert holds == []            # the demo's duplicates were paid months ago: nothing is left to hold
    bill_alerts = [p for p in activities if p.evidence.figures["kind"].startswith("duplicate_bill")]
    assert bill_alerts and all(p.payload.args[0]["user_id"] == users["clerk"] for p in bill_alerts)
    entry_alerts = [p for p in activities if p.evidence.figures["kind"] == "round_amount_manual_entry"]
    assert entry_alerts and all(p.payload.args[0]["user_id"] == users["controller"] for p in entry_alerts)

    assert all(item.new for item in first.items)
    again = _scan(client, home, settings)
    assert again.new_proposals == 0 and not again.proposals
    assert again.new_alerts == [] and not any(item.new for item in again.items)
    assert [i.key for i in again.alerts] == [i.key for i in alerts]
    assert {i.key: i.first_seen for i in again.items} == {i.key: i.first_seen for i in first.items}
    assert {i.key: i.proposal_ids for i in again.items} == {i.key: i.proposal_ids for i in first.items}
    with StateDB.in_home(home) as db:
        assert len(ProposalStore(db).list()) == len(proposals)

    same_amount = next(i for i in alerts if i.anomaly.kind == "duplicate_bill_same_amount")
    done = dispose_anomaly(home, same_amount.key[:8], "false-positive", by="Marie Curie",
                           note="Two deliveries at a fixed price in one week: both bills are right", use_memory=False)
    assert done.disposition.disposition == "false_positive" and done.memory_note
    detail = show_anomaly(home, same_amount.key)
    assert [d.disposition for d in detail.history] == ["false_positive"]
    assert {p.id for p in detail.proposals} == set(same_amount.proposal_ids)

    # a new bill of the same vendor and amount, different reference: the same pattern, so no alert
    new_id, _original = enter_duplicate_bill(clerk, same_amount.anomaly.partner, same_reference=False)
    later = _scan(client, home, settings, since="last")
    about_new = [i for i in later.items if i.anomaly.kind == "duplicate_bill_same_amount"]
    assert about_new and all(new_id in i.anomaly.record_ids("account.move") for i in about_new)
    assert {i.status for i in about_new} == {"suppressed"}
    assert all(i.shown_risk < i.risk and "Marie Curie" in i.reason for i in about_new)
    assert not any(i.anomaly.kind == "duplicate_bill_same_amount" for i in later.alerts)
    assert not any(p.evidence.figures["kind"] == "duplicate_bill_same_amount" for p in later.proposals)

    whole = _scan(client, home, settings)
    status = {i.key: i.status for i in whole.items}
    assert status[same_amount.key] == "dismissed"
    assert same_amount.key not in {i.key for i in whole.alerts}
    with StateDB.in_home(home) as db:
        scans = AuditLog(db).entries(action="anomaly_scan")
        dispositions = AuditLog(db).entries(action="disposition")
    assert len(scans) == 4 and dispositions[0].actor == "Marie Curie"


@pytest.mark.slow
def test_incremental_scan_finds_the_new_duplicate_and_says_what_happened_last_time(odoo, tmp_path):
    client, clerk = odoo
    home = tmp_path / "home"
    settings = _settings(home, anomaly_ap_user="clerk")
    first = _scan(client, home, settings, since="last")
    assert first.since is None and "first scan" in first.since_note
    same_reference = next(i for i in first.alerts if i.anomaly.kind == "duplicate_bill_same_reference")
    dispose_anomaly(home, same_reference.key, "corrected", by="Paul", note="Second bill cancelled, vendor confirmed")
    investigated = next(i for i in first.alerts if i.anomaly.kind == "payment_amount_outlier")
    dispose_anomaly(home, investigated.key, "investigate", by="Paul", note="Asked the utility for the contract",
                    use_memory=False)

    with pytest.raises(ConfigError, match="LEDGERPILOT_ANOMALY_GL_USER: this Odoo has no user with login 'nobody'"):
        _scan(client, home, _settings(home, anomaly_gl_user="nobody"), since="last")
    nothing = _scan(client, home, settings, since="last")
    assert nothing.scope_counts == {"moves": 0, "payments": 0, "layers": 0, "orders": 0}
    assert nothing.items == () and nothing.new_proposals == 0

    new_id, original_id = enter_duplicate_bill(clerk, same_reference=True)
    found = _scan(client, home, settings, since="last")
    assert found.scope_counts["moves"] == 1 and found.since is not None
    assert all(new_id in item.anomaly.record_ids("account.move") for item in found.items)
    assert {item.anomaly.kind for item in found.items} - CLOCK_KINDS == {"duplicate_bill_same_reference"}
    duplicate = next(item for item in found.items if item.anomaly.kind == "duplicate_bill_same_reference")
    assert duplicate.status == "alert" and duplicate.new and duplicate.anomaly.primary.id == new_id
    assert set(duplicate.anomaly.record_ids("account.move")) == {new_id, original_id}
    assert duplicate.last_time and "Second bill cancelled, vendor confirmed" in duplicate.last_time
    assert found.memory_note is None
    made = [p for p in found.proposals if p.evidence.figures["anomaly_key"] == duplicate.key]
    assert sorted(p.kind for p in made) == ["activity", "activity", "note"] and len(made) == len(duplicate.proposal_ids)
    review, hold = [p.payload.args[0] for p in made if p.kind == "activity"]
    assert "Second bill cancelled" in review["note"] and review["res_id"] == new_id
    assert hold["summary"].startswith("Do not pay until cleared") and hold["res_id"] == new_id   # unpaid: a hold
    assert hold["user_id"] == clerk.uid

    whole = _scan(client, home, settings)
    status = {i.key: i.status for i in whole.items}
    assert status[same_reference.key] == "closed" and status[investigated.key] == "investigating"
    assert investigated.key in {i.key for i in whole.alerts}
    assert whole.new_proposals == 0
    with StateDB.in_home(home) as db:
        assert AnomalyStore(db).last_scan(found.source).scan_id == whole.scan_id


def test_since_is_parsed_and_bad_input_named():
    assert parse_since(None) is None and parse_since("LAST") == "last"
    assert parse_since("2026-11-18") == dt.datetime(2026, 11, 18)
    assert parse_since("2026-11-18T10:30:00+01:00") == dt.datetime(2026, 11, 18, 9, 30)
    with pytest.raises(AnomalyUsageError, match="'yesterday'"):
        parse_since("yesterday")


def test_a_timed_scan_reports_each_step_and_finds_what_the_untimed_scan_finds():
    books, _ids = books_with_duplicates()
    data = books.data()
    result = timed_scan(data, AnomalyConfig())
    assert {"scoring", "total"} <= set(result.timings)
    assert all(f"detector:{name}" in result.timings for name in result.detectors_run)
    assert all(seconds >= 0 for seconds in result.timings.values())
    assert result.timings["total"] >= sum(seconds for step, seconds in result.timings.items() if step != "total")
    untimed = run_scan(data, AnomalyConfig())
    assert untimed.timings == {}
    assert [(a.key, a.risk) for a in result.anomalies] == [(a.key, a.risk) for a in untimed.anomalies]
    assert result.entry_scores.equals(untimed.entry_scores)

    kept = timed_scan(data, AnomalyConfig(), keep_baselines=True)
    assert "baselines" in kept.timings and kept.baselines is not None
