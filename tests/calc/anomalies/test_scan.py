"""The scan: detectors run or skipped, scope filtering of an incremental scan, ranking by risk, config."""

from __future__ import annotations

import datetime as dt

import pytest

from ledgerpilot.calc.anomalies.config import AnomalyConfig
from ledgerpilot.calc.anomalies.detectors import DETECTORS, AnomalyConfigError, enabled_detectors
from ledgerpilot.calc.anomalies.scan import run_scan
from ledgerpilot.config import load_settings
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d


def books_with_duplicates() -> tuple[AnomalyBooks, dict[str, int]]:
    """Six months of ordinary bills and payments, an old duplicate (March) and a new one (June)."""
    books = AnomalyBooks(today=d("2025-06-30"))
    vendors = [books.partner(f"Vendor {i}") for i in range(6)]
    for month in range(1, 7):
        for n, vendor in enumerate(vendors):
            day = dt.date(2025, month, 2 + n)
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            bill = books.bill(vendor, 300.0 + 97.31 * n + month * 3.17, date=day, ref=f"INV-{n}{month:03d}")
            books.payment(vendor, 300.0 + 97.31 * n + month * 3.17, date=day + dt.timedelta(days=3), bills=[bill])
    acme = books.partner("Acme Supplies")
    ids = {
        "old_first": books.bill(acme, 1843.20, date=d("2025-03-06"), ref="DUP-7781"),
        "old_second": books.bill(acme, 1843.20, date=d("2025-03-14"), ref="DUP-7781"),
        "new_first": books.bill(acme, 968.30, date=d("2025-06-03"), ref="FAC 2025-0456"),
        "new_second": books.bill(acme, 968.30, date=d("2025-06-09"), ref="fac2025-0456"),
    }
    return books, ids


def cited(result, detector: str) -> list[set[int]]:
    return [set(a.anomaly.record_ids("account.move")) for a in result.anomalies if a.detector == detector]


def test_full_scan_ranks_every_finding_by_risk():
    books, ids = books_with_duplicates()
    result = run_scan(books.data(), AnomalyConfig())
    assert {ids["old_first"], ids["old_second"]} in cited(result, "duplicate_bills")
    assert {ids["new_first"], ids["new_second"]} in cited(result, "duplicate_bills")
    risks = [a.risk for a in result.anomalies]
    assert risks == sorted(risks, reverse=True)
    for scored in result.anomalies:
        assert scored.risk >= scored.rule_score == scored.anomaly.score
        assert scored.above_threshold == (scored.risk >= result.min_score)
        assert scored.entry_id == scored.anomaly.primary.id      # every finding here is about an entry
    assert set(result.detectors_run) | set(result.skipped) == set(DETECTORS)
    assert len(result.entry_scores) == len(books.data().moves)
    assert list(result.entry_scores.columns) == ["move_id", "rule_score", "risk"]
    assert (result.entry_scores["risk"] == result.entry_scores["rule_score"]).all()
    assert result.entry_scores["risk"].is_monotonic_decreasing
    assert result.timings == {}          # the calculator never reads the clock: tools time it (timed_scan)
    # the entry table agrees with the findings: each finding's risk is its entry's risk
    risk_of = dict(zip(result.entry_scores["move_id"], result.entry_scores["risk"]))
    for scored in result.anomalies:
        assert scored.risk == pytest.approx(risk_of[scored.entry_id], abs=1e-6)


def test_incremental_scan_keeps_only_findings_touching_the_scope():
    books, ids = books_with_duplicates()
    data = books.data(since=dt.datetime(2025, 6, 1))
    result = run_scan(data, AnomalyConfig())
    duplicates = cited(result, "duplicate_bills")
    assert {ids["new_first"], ids["new_second"]} in duplicates
    assert {ids["old_first"], ids["old_second"]} not in duplicates
    # detectors read only what decides their findings about the scope, and report only those
    assert result.found_before_scope == len(result.anomalies)
    assert all(data.scope.touches(a.anomaly) for a in result.anomalies)
    assert set(result.entry_scores["move_id"]) == set(data.scope.move_ids)


def test_incremental_scan_with_nothing_new_reports_nothing():
    books, _ = books_with_duplicates()
    data = books.data(since=dt.datetime(2025, 12, 31))
    result = run_scan(data, AnomalyConfig())
    assert data.scope.empty
    assert result.anomalies == [] and result.entry_scores.empty


def test_detectors_without_their_frames_are_skipped_with_the_reason():
    books, ids = books_with_duplicates()
    needing_payments = [n for n, det in DETECTORS.items() if "payments" in det.needs]
    assert needing_payments, "some detector reads payments"
    result = run_scan(books.data(unavailable={"payments": "the Invoicing payments are not readable"}),
                      AnomalyConfig())
    for name in needing_payments:
        assert result.skipped[name] == "no payments: the Invoicing payments are not readable"
        assert name not in result.detectors_run and name not in result.counts
    assert {ids["new_first"], ids["new_second"]} in cited(result, "duplicate_bills")    # the others still ran

    # an empty frame (nothing of it in the books) skips the detectors that need it too
    bare = AnomalyBooks(today=d("2025-06-30"))
    bare.entry([("600000", 120.0), ("212000", -120.0)], date=d("2025-06-02"))
    result = run_scan(bare.data(), AnomalyConfig())
    for name in needing_payments:
        assert result.skipped[name].startswith("no ") and "in the books" in result.skipped[name]
    assert result.entry_scores["risk"].tolist() == [0.0]   # one entry, nothing cites it


def test_only_the_configured_detectors_run():
    books, _ = books_with_duplicates()
    result = run_scan(books.data(), AnomalyConfig(detectors=("duplicate_bills",)))
    assert result.detectors_run == ("duplicate_bills",)
    assert {a.detector for a in result.anomalies} == {"duplicate_bills"}
    assert result.skipped == {}


def test_thresholds_and_parameters_change_the_result():
    books, ids = books_with_duplicates()
    strict = run_scan(books.data(), AnomalyConfig(min_score=0.999, detectors=("duplicate_bills",)))
    assert strict.anomalies and not strict.above_threshold
    narrow = run_scan(books.data(), AnomalyConfig(detectors=("duplicate_bills",),
                                                  params={"duplicate_bills": {"max_reference_repeats": 0}}))
    assert {ids["old_first"], ids["old_second"]} not in cited(narrow, "duplicate_bills")


def test_configuration_mistakes_are_named():
    with pytest.raises(AnomalyConfigError, match="unknown anomaly detector.*'duplicate_bill'.*duplicate_bills"):
        enabled_detectors(AnomalyConfig(detectors=("duplicate_bill",)))
    with pytest.raises(AnomalyConfigError, match="unknown detector.*'nope'"):
        enabled_detectors(AnomalyConfig(params={"nope": {"x": 1}}))
    with pytest.raises(AnomalyConfigError, match="'duplicate_bills' has no parameter.*window"):
        enabled_detectors(AnomalyConfig(params={"duplicate_bills": {"window": 3}}))
    with pytest.raises(ValueError, match="min_score"):
        AnomalyConfig(min_score=0)


def test_config_from_settings_file(tmp_path, monkeypatch):
    config_file = tmp_path / "config.toml"
    config_file.write_text('[anomaly]\nmin_score = 0.6\ndetectors = ["duplicate_bills"]\n\n'
                           '[anomaly.params.duplicate_bills]\namount_window_days = 5\n')
    monkeypatch.setenv("LEDGERPILOT_CONFIG", str(config_file))
    config = AnomalyConfig.from_settings(load_settings(home=tmp_path))
    assert config.min_score == 0.6
    assert config.detectors == ("duplicate_bills",)
    assert dict(config.overrides_for("duplicate_bills")) == {"amount_window_days": 5.0}
    assert dict(config.overrides_for("round_amounts")) == {}
    monkeypatch.delenv("LEDGERPILOT_CONFIG")
    monkeypatch.setenv("LEDGERPILOT_HOME", str(tmp_path / "empty"))
    defaults = AnomalyConfig.from_settings(load_settings())
    assert defaults == AnomalyConfig()
