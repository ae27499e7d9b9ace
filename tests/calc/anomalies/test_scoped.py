"""Scoped scans: the findings about a scope are those of a full scan of the same books, whichever part of
the books the scope touches; the baselines a long-running scanner keeps (pair counts, encoders, forest)
are what a full computation gives."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ledgerpilot.calc.anomalies.config import AnomalyConfig
from ledgerpilot.calc.anomalies.detectors import posting_patterns as detect_posting_patterns
from ledgerpilot.calc.anomalies.detectors.rare_accounts import PairCounts
from ledgerpilot.calc.anomalies.frames import AnomalyData, Scope
from ledgerpilot.calc.anomalies.scan import run_scan
from ledgerpilot.calc.anomalies.scoped import ScanBaselines
from tests.calc.anomalies.test_detect_round_amounts import demo_anomaly_data


@pytest.fixture(scope="module")
def demo(sandbox) -> AnomalyData:
    return demo_anomaly_data(sandbox)


@pytest.fixture(scope="module")
def full(demo):
    return run_scan(demo, AnomalyConfig(), keep_baselines=True)


def scope_of(data: AnomalyData, move_ids) -> Scope:
    moves = pd.Index(sorted(int(m) for m in move_ids), dtype="int64")
    lines = data.lines.loc[data.lines["move_id"].isin(moves), "id"].astype("int64")
    payments = data.payments.loc[data.payments["move_id"].isin(moves), "id"].astype("int64")
    return Scope(since=dt.datetime(2026, 11, 1), move_ids=frozenset(moves.tolist()),
                 line_ids=frozenset(lines.tolist()), payment_ids=frozenset(payments.tolist()))


def scopes(data: AnomalyData, full) -> dict[str, Scope]:
    """Scopes over every kind of record: recent entries, a random sample, and the entries the full scan cited."""
    ids = data.moves["id"].astype("int64").to_numpy()
    cited = sorted({ref.id for item in full.anomalies for ref in item.anomaly.records if ref.model == "account.move"})
    bills = data.moves.loc[data.moves["move_type"] == "in_invoice", "id"].astype("int64").to_numpy()
    return {"latest 300": scope_of(data, ids[-300:]),
            "vendor bills": scope_of(data, bills[-200:]),
            "random 500": scope_of(data, np.random.default_rng(7).choice(ids, 500, replace=False)),
            "every cited entry": scope_of(data, cited)}


def test_a_scoped_scan_finds_what_the_full_scan_finds_about_the_scope(demo, full):
    assert isinstance(full.baselines, ScanBaselines) and full.baselines.entries == len(demo.moves)
    for name, scope in scopes(demo, full).items():
        data = dataclasses.replace(demo, scope=scope)
        expected = {item.key: item for item in full.anomalies if scope.touches(item.anomaly)}
        ways = (full.baselines, None) if name == "latest 300" else (full.baselines,)
        for baselines in ways:     # the long-running scanner's way, and the CLI's
            result = run_scan(data, AnomalyConfig(), baselines=baselines)
            found = {item.key: item for item in result.anomalies}
            assert set(found) == set(expected), name
            assert all(found[key].anomaly == expected[key].anomaly for key in found), name
        assert expected or name != "every cited entry"
    # with the kept forest and encoders the risk of a finding is its full-scan risk on unchanged books
    scope = scopes(demo, full)["every cited entry"]
    result = run_scan(dataclasses.replace(demo, scope=scope), AnomalyConfig(), baselines=full.baselines)
    risk = {item.key: item.risk for item in full.anomalies}
    for item in result.anomalies:
        assert item.risk == pytest.approx(risk[item.key], abs=1e-6)
    assert set(result.entry_scores["move_id"]) <= set(scope.move_ids)
    # the result carries the baselines with the scope's findings replaced by the scan's
    assert len(result.baselines.findings) == len(full.anomalies)


def test_posting_habits_of_a_few_entries_are_those_of_the_full_judgement(demo):
    params = detect_posting_patterns.DETECTOR.params()
    everything = detect_posting_patterns.judge(demo, params).set_index("id")
    focus = pd.Index(np.random.default_rng(3).choice(demo.moves["id"].astype("int64"), 200, replace=False))
    some = detect_posting_patterns.judge(demo, params, focus=focus).set_index("id")
    assert set(some.index) == set(focus)
    columns = ["odd_share", "odd_score", "dated_share", "created_share", "weekend_score", "user_share", "user_score",
               "journal_history", "user_entries"]
    pd.testing.assert_frame_equal(some[columns].sort_index(), everything.loc[some.index, columns].sort_index())


def test_pair_counts_follow_the_changes(demo):
    ids = demo.moves["id"].astype("int64")
    counts = PairCounts.of(demo.lines, demo.moves, demo.digits)
    # take 50 entries out, then put them back: the counts of the books without them, then the same again
    taken = ids.iloc[::97][:50]
    rest = ids[~ids.isin(taken)]
    without = PairCounts.of(demo.lines, demo.moves[demo.moves["id"].isin(rest)], demo.digits)
    removed = PairCounts.of(demo.lines, demo.moves[demo.moves["id"].isin(taken)], demo.digits)
    empty = PairCounts.of(demo.lines.iloc[:0], demo.moves.iloc[:0], demo.digits)
    updated = counts.updated(removed, empty)
    pd.testing.assert_series_equal(updated.pairs.sort_index(), without.pairs.sort_index(), check_names=False)
    pd.testing.assert_series_equal(updated.debit_uses.sort_index(), without.debit_uses.sort_index(),
                                   check_names=False)
    back = updated.updated(empty, removed)
    pd.testing.assert_series_equal(back.pairs.sort_index(), counts.pairs.sort_index(), check_names=False)
