"""The anomaly eval: its scoring rules on hand-built books with a hand-written ground truth, and the
goals on the test demo company (top-2K recall, precision above the threshold, AUC-PR)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from ledgerpilot.calc.anomalies.config import AnomalyConfig
from ledgerpilot.calc.anomalies.scan import run_scan
from ledgerpilot.evals.anomalies import (
    PRECISION_GOAL,
    TOP_RECALL_GOAL,
    describe,
    evaluate_anomalies,
    labelled_records,
    score_anomaly_scan,
)
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.sandbox.generator.ground_truth import Finding, GroundTruth
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d


def _case(kind, model, ids, **details):
    return {"kind": kind, "model": model, "ids": ids, "description": kind, "period": None, "details": details}


def test_labelled_records_include_the_records_named_in_details():
    case = Finding("payment_without_open_bill", "account.payment", (865,), "x", details={"move_id": 15061})
    assert labelled_records(case) == {("account.payment", 865), ("account.move", 15061)}


def test_scoring_rules_on_hand_built_books():
    books = AnomalyBooks(today=d("2025-06-30"))
    vendors = [books.partner(f"Vendor {i}") for i in range(5)]
    ordinary = []
    for month in range(1, 7):
        for n, vendor in enumerate(vendors):
            day = dt.date(2025, month, 2 + n)
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            ordinary.append(books.bill(vendor, 250.0 + 61.7 * n + month, date=day, ref=f"B{n}-{month}"))
    acme = books.partner("Acme")
    first = books.bill(acme, 1843.20, date=d("2025-03-06"), ref="DUP-7781")
    second = books.bill(acme, 1843.20, date=d("2025-03-14"), ref="DUP-7781")
    data = books.data()
    truth = GroundTruth.from_dict({
        "seed": 1, "scale": 1.0, "today": "2025-06-30", "customers": [], "close_defects": [], "counts": {},
        "anomalies": [_case("duplicate_bill_same_reference", "account.move", [first, second]),
                      _case("bill_amount_outlier", "account.move", [ordinary[7]])],     # nothing finds it
        "not_anomalies": [_case("monthly_rent_same_amount", "account.move", ordinary[:3])]})
    result = run_scan(data, AnomalyConfig())
    score = score_anomaly_scan(truth, result, data)

    assert score.k == 2 and score.top_n == 4
    duplicate, outlier = score.injected
    assert duplicate.found and duplicate.same_kind and duplicate.rank == 1
    assert "duplicate_bills/duplicate_bill_same_reference" in duplicate.found_by
    assert not outlier.found and outlier.rank is None and outlier.found_by == ()
    assert score.top_recall == 0.5 and score.missed == [outlier]
    assert score.by_kind() == {"duplicate_bill_same_reference": (1, 1), "bill_amount_outlier": (0, 1)}
    above = result.above_threshold
    assert score.above_threshold == len(above) >= 1
    true = [a for a in above if {first, second} & set(a.anomaly.record_ids("account.move"))]
    assert score.true_above_threshold == len(true)
    assert len(score.false_above_threshold) == len(above) - len(true)
    assert score.precision == pytest.approx(len(true) / len(above))
    # three entries are labelled; the combined risk ranks the two duplicates at the top
    assert score.entries == len(data.moves) and score.positive_entries == 3
    assert score.ap_risk >= 0.6
    assert not score.meets_goals
    assert len(list(describe(score))) == 3


@pytest.fixture(scope="module")
def demo_score(sandbox, demo_data_dir):
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        return evaluate_anomalies(client, demo_data_dir)


def test_demo_company_meets_the_goals(demo_score):
    score, result = demo_score
    report = "\n".join(describe(score)) + "\nmissed: " + ", ".join(o.kind for o in score.missed) \
        + "\nfalse above threshold: " + "; ".join(score.false_above_threshold)
    assert score.k >= 14
    assert score.top_recall >= TOP_RECALL_GOAL, report
    assert score.precision >= PRECISION_GOAL, report
    assert score.look_alikes_flagged == [], report
    assert not math.isnan(score.ap_risk) and score.ap_risk >= 0.5, report
