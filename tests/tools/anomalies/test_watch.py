"""The long-running scanner on the real sandbox: the books it keeps in memory equal a fresh read after
entries are created, written and deleted, and its scoped scan finds, about what changed, exactly what a
full rescan finds."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from ledgerpilot.calc.anomalies.config import AnomalyConfig
from ledgerpilot.calc.anomalies.detectors.rare_accounts import PairCounts
from ledgerpilot.calc.anomalies.scan import run_scan
from ledgerpilot.config import Settings
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.tools.anomalies.data import load_anomaly_data
from ledgerpilot.tools.anomalies.watch import AnomalyWatch, BooksMirror
from tests.conftest import DEMO_TODAY
from tests.tools.anomalies.bill_entry import enter_duplicate_bill


@pytest.fixture()
def people(fresh_sandbox):
    with connect(demo_connection(fresh_sandbox.url, "admin")) as admin, \
            connect(demo_connection(fresh_sandbox.url, "clerk")) as clerk, \
            connect(demo_connection(fresh_sandbox.url, "controller")) as controller:
        yield admin, clerk, controller


def _round_entry(controller, amount: float = 40000.0) -> int:
    """A manual entry for a round amount with nothing behind it, posted by the controller."""
    expense = controller.search("account.account", [("code", "=", "600000")], limit=1)[0]
    accrued = controller.search("account.account", [("code", "=", "212000")], limit=1)[0]
    new = controller.create("account.move", {"move_type": "entry", "date": DEMO_TODAY.isoformat(), "ref": "Provision",
                                             "line_ids": [[0, 0, {"account_id": expense, "name": "Provision",
                                                                  "debit": amount, "credit": 0.0}],
                                                          [0, 0, {"account_id": accrued, "name": "Provision",
                                                                  "debit": 0.0, "credit": amount}]]})
    controller.call("account.move", "action_post", [new])
    return int(new)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _assert_same_books(kept, fresh) -> None:
    for name, frame in fresh.frames.items():
        pd.testing.assert_frame_equal(kept.frames[name], frame, check_like=False, obj=f"frame {name}")
    assert dict(kept.unavailable) == dict(fresh.unavailable)


@pytest.mark.slow
def test_the_books_in_memory_equal_a_fresh_read_after_creates_writes_and_deletes(people):
    admin, clerk, controller = people
    mirror = BooksMirror(admin, today=DEMO_TODAY)
    _assert_same_books(mirror.data, load_anomaly_data(admin, today=DEMO_TODAY))

    duplicate, original = enter_duplicate_bill(clerk, same_reference=True)
    entry = _round_entry(controller)
    admin.write("account.move", [original], {"ref": "renamed after the fact"})
    drafts = admin.search("account.move", [("state", "=", "draft"), ("move_type", "=", "entry")], limit=1)
    assert drafts, "the demo's unfinished month has draft entries"
    admin.unlink("account.move", drafts)

    report = mirror.sync(DEMO_TODAY)
    assert {duplicate, entry, original, drafts[0]} <= report.changed_moves
    assert drafts[0] in report.removed_moves
    assert report.fetched < 100          # the changes, not the history
    _assert_same_books(mirror.data, load_anomaly_data(admin, today=DEMO_TODAY))

    # nothing changed since: nothing read but the checks, nothing different
    again = mirror.sync(DEMO_TODAY)
    assert not again.changed_moves
    _assert_same_books(mirror.data, load_anomaly_data(admin, today=DEMO_TODAY))


@pytest.mark.slow
def test_a_scoped_scan_finds_what_a_full_rescan_finds_about_the_changes(people, tmp_path):
    admin, clerk, controller = people
    home = tmp_path / "home"
    settings = Settings(home=home, anomaly_ap_user="clerk", anomaly_gl_user="controller")
    watch = AnomalyWatch(admin, home, settings, today=lambda: DEMO_TODAY, use_memory=False)
    first = watch.scan(since=None)
    assert first.since is None and watch.last_result.scope is None and watch.baselines is not None

    since = _utcnow() - dt.timedelta(seconds=1)
    duplicate, _ = enter_duplicate_bill(clerk, same_reference=True)
    variant, _ = enter_duplicate_bill(clerk, same_reference=False)
    entry = _round_entry(controller)
    second = watch.scan(since=since)
    scoped = watch.last_result
    assert second.since == since and scoped.scope is not None
    assert watch.last_sync.fetched < 100

    fresh = load_anomaly_data(admin, today=DEMO_TODAY, since=since)
    assert scoped.scope == fresh.scope
    assert {duplicate, variant, entry} <= fresh.scope.move_ids
    full = run_scan(dataclasses.replace(fresh, scope=None), AnomalyConfig.from_settings(settings))
    expected = {item.key: item for item in full.anomalies if fresh.scope.touches(item.anomaly)}
    found = {item.key: item for item in scoped.anomalies}
    assert set(found) == set(expected)
    for key, item in found.items():
        assert item.anomaly == expected[key].anomaly            # same finding, score, reason, figures
        assert item.rule_score == expected[key].rule_score
    kinds = {item.anomaly.kind for item in scoped.anomalies}
    assert "duplicate_bill_same_reference" in kinds and "round_amount_manual_entry" in kinds
    assert any(duplicate in item.anomaly.record_ids("account.move") for item in scoped.anomalies)
    assert any(entry in item.anomaly.record_ids("account.move") for item in scoped.anomalies)
    alerted = {item.key for item in second.items}
    assert alerted == set(found)                                # stored and reviewed like a CLI scan

    # the pair counts kept current by the watch are those of the books now
    counts = watch.baselines.pair_counts
    recount = PairCounts.of(fresh.lines, fresh.moves, fresh.digits)
    pd.testing.assert_series_equal(counts.pairs.sort_index(), recount.pairs.sort_index(), check_names=False)
    pd.testing.assert_series_equal(counts.debit_uses.sort_index(), recount.debit_uses.sort_index(),
                                   check_names=False)
    assert watch.baselines.changed >= 3 and not watch.baselines.stale()

    # a scan with nothing new reports nothing and reads almost nothing
    third = watch.scan(since=_utcnow())
    assert third.items == () and watch.last_sync.fetched < 20
