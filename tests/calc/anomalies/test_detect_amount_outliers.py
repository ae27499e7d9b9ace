"""Bill and payment amounts far from the partner's own history (robust z-score of log amounts)."""

from __future__ import annotations

import pandas as pd
import pytest

from ledgerpilot.calc.anomalies.bill_helpers import robust_z
from ledgerpilot.calc.anomalies.detectors.amount_outliers import BILL_KIND, DETECTOR, PAYMENT_KIND
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.sandbox.generator import load_ground_truth
from ledgerpilot.tools.anomalies.data import load_anomaly_data
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d
from tests.conftest import DEMO_TODAY

COURIER = [212.40, 198.75, 240.10, 225.00, 189.90, 260.35, 231.80, 205.15, 219.60, 247.05]


def _courier_books(extra: float | None = None, history: list[float] = COURIER) -> tuple[AnomalyBooks, int | None]:
    books = AnomalyBooks()
    courier = books.partner("Swiftmove Couriers")
    for index, amount in enumerate(history):
        books.bill(courier, amount, date=d(f"2024-{index % 12 + 1:02d}-1{index % 9}"), ref=f"SW-{index}")
    outlier = books.bill(courier, extra, date=d("2025-05-18"), ref="SW-99", user="clerk") if extra else None
    return books, outlier


def test_robust_z_ignores_one_past_outlier_and_floors_the_spread():
    values = pd.Series([100.0] * 8 + [10_000.0, 101.0])
    groups = pd.Series(["a"] * 10)
    stats = robust_z(values, groups, min_history=6, min_spread=0.1)
    assert stats["median"].iloc[0] == pytest.approx(100.0)
    assert abs(stats["z"].iloc[-1]) < 1                       # 101 after eight 100s: not an outlier
    assert stats["z"].iloc[8] > 40                            # the 10,000 is, despite a zero MAD
    short = robust_z(values.head(5), groups.head(5), min_history=6, min_spread=0.1)
    assert short["z"].isna().all()                            # too little history: not judged


def test_a_bill_25_times_the_usual_is_reported_with_its_usual_range():
    books, outlier = _courier_books(5480.00)
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.kind == BILL_KIND and anomaly.detector == "amount_outliers"
    assert anomaly.records[0].id == outlier and anomaly.records[0].model == "account.move"
    assert 0.6 <= anomaly.score <= 0.97
    assert anomaly.figures["history"] == len(COURIER) and float(anomaly.figures["factor"]) > 20
    assert "times the usual" in anomaly.title and "usually ranged" in anomaly.reason
    assert anomaly.user == "clerk" and str(anomaly.amount) == "5480.00"


def test_score_grows_with_the_distance():
    scores = []
    for amount in (1500.0, 5480.0, 50_000.0):
        books, _ = _courier_books(amount)
        scores.append(DETECTOR(books.data())[0].score)
    assert scores == sorted(scores) and scores[0] < scores[-1]


def test_ordinary_amounts_and_short_histories_are_not_reported():
    books, _ = _courier_books(290.00)
    assert DETECTOR(books.data()) == []
    books, _ = _courier_books(5480.00, history=COURIER[:4])            # 4 other bills: below 6
    assert DETECTOR(books.data()) == []
    assert DETECTOR(books.data(), {"min_history": 3})[0].kind == BILL_KIND


def test_a_fixed_monthly_fee_does_not_make_every_small_change_an_outlier():
    books = AnomalyBooks()
    saas = books.partner("Cloud Suite")
    for month in range(1, 13):
        books.bill(saas, 49.00, date=d(f"2024-{month:02d}-02"), ref=f"CS-{month}")
    books.bill(saas, 52.00, date=d("2025-01-02"), ref="CS-13")          # a 6% price rise
    assert DETECTOR(books.data()) == []
    books.bill(saas, 490.00, date=d("2025-02-02"), ref="CS-14")         # ten times the fee
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.figures["factor"] == pytest.approx(10, rel=0.01)


def test_bills_for_goods_and_for_services_from_one_vendor_each_have_their_own_usual():
    books = AnomalyBooks()
    vendor = books.partner("Golden Trading")
    for index in range(8):
        books.bill(vendor, 220.0 + 9 * index, date=d(f"2024-{index + 1:02d}-03"), ref=f"S-{index}", account="600000")
        books.bill(vendor, 24_000.0 + 700 * index, date=d(f"2024-{index + 1:02d}-20"), ref=f"G-{index}",
                   account="110200")
    assert DETECTOR(books.data()) == []


def test_an_amount_far_below_the_usual_scores_lower_than_one_far_above():
    high_books, _ = _courier_books(COURIER[0] * 20)
    low_books, _ = _courier_books(COURIER[0] / 20)
    high, low = DETECTOR(high_books.data())[0], DETECTOR(low_books.data())[0]
    assert low.figures["z_score"] < 0 < high.figures["z_score"]
    assert low.score < high.score and low.score < 0.5
    assert "1/20" in low.title


def test_an_unmatched_payment_far_above_the_usual_is_reported():
    books = AnomalyBooks()
    utilities = books.partner("Officenet Utilities")
    for month in range(1, 11):
        bill = books.bill(utilities, 1400.0 + 31 * month, date=d(f"2024-{month:02d}-05"), ref=f"U-{month}")
        books.payment(utilities, 1400.0 + 31 * month, date=d(f"2024-{month:02d}-25"), bills=[bill])
    deposit = books.payment(utilities, 14_500.00, date=d("2025-01-21"), ref="Utilities deposit")
    (anomaly,) = DETECTOR(books.data())
    assert anomaly.kind == PAYMENT_KIND and anomaly.primary.model == "account.payment"
    assert anomaly.primary.id == deposit and anomaly.score >= 0.8
    assert "Utilities deposit" in anomaly.reason


def test_a_payment_that_settles_an_outlier_bill_is_explained_by_the_bill():
    books, outlier = _courier_books(5480.00)
    courier = books.partner("Swiftmove Couriers")
    for index, amount in enumerate(COURIER):
        books.payment(courier, amount, date=d(f"2024-{index % 12 + 1:02d}-2{index % 9}"))
    books.payment(courier, 5480.00, date=d("2025-06-01"), bills=[outlier])
    found = DETECTOR(books.data())
    assert [a.kind for a in found] == [BILL_KIND]


def test_bad_parameters_are_refused_with_their_name():
    books, _ = _courier_books(5480.00)
    with pytest.raises(ValueError, match="min_history"):
        DETECTOR(books.data(), {"min_history": 1})


@pytest.fixture(scope="module")
def demo(sandbox):
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        return load_anomaly_data(client, today=DEMO_TODAY)


def test_demo_outliers_are_found_at_the_top(demo, demo_data_dir):
    truth = load_ground_truth(demo_data_dir)
    expected = [case for case in truth.anomalies if case.kind in DETECTOR.kinds]
    found = DETECTOR(demo)
    top = {(a.kind, a.primary.id) for a in found[:len(expected)]}
    assert {(case.kind, case.ids[0]) for case in expected} == top
    # every other finding above the threshold cites an injected anomaly (the duplicated bills are
    # unusual amounts as well); nothing cites the rent or the re-issued invoice
    injected = {i for case in truth.anomalies for i in case.ids}
    look_alikes = {i for case in truth.not_anomalies for i in case.ids}
    assert all(a.primary.id in injected for a in found if a.score >= 0.5)
    assert not any(a.primary.id in look_alikes for a in found if a.primary.model == "account.move")
