"""A stored forecast against hand-made actuals: weekly errors and the records behind the misses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from ledgerpilot.calc.cash.compare import compare_forecast

D = Decimal


def _stored() -> dict:
    def flow(category, item_id, expected, amount):
        return {"category": category, "source_model": "account.move.line", "source_id": item_id,
                "source_name": f"M{item_id}", "partner_name": f"P{item_id}", "expected_date": expected,
                "amount": amount}

    return {
        "as_of": "2026-11-01", "currency": "EUR", "digits": 2, "opening_balance": "1000.00",
        "weeks_rows": [
            {"index": 1, "start": "2026-11-02", "end": "2026-11-08", "net": "500.00", "closing": "1500.00",
             "p10": "1400.00", "p50": "1500.00", "p90": "1900.00"},
            {"index": 2, "start": "2026-11-09", "end": "2026-11-15", "net": "100.00", "closing": "1600.00",
             "p10": "1500.00", "p50": "1600.00", "p90": "2000.00"},
        ],
        "flows": [flow("receivable", 11, "2026-11-03", "500.00"), flow("payable", 12, "2026-11-10", "-200.00"),
                  flow("receivable", 13, "2026-11-12", "300.00"), flow("receivable", 14, None, "400.00"),
                  {"category": "recurring", "source_model": "account.move", "source_id": None, "source_name": "Rent",
                   "expected_date": "2026-11-20", "amount": "-900.00"}],
    }


def _actual() -> pd.DataFrame:
    return pd.DataFrame({"date": pd.to_datetime(["2026-10-30", "2026-11-03", "2026-11-05", "2026-11-09"]),
                         "amount": [9999.0, 500.0, 300.0, 400.0], "record_ids": [[1], [101], [102], [103, 104]]})


def _paid() -> pd.DataFrame:
    return pd.DataFrame({"item_id": [11, 13, 14, 99], "kind": ["receivable"] * 4,
                         "amount": [500.0, 300.0, 400.0, 50.0],
                         "paid_date": pd.to_datetime(["2026-11-03", "2026-11-05", "2026-11-09", "2026-10-20"])})


def test_weekly_errors_band_and_ending_balance():
    result = compare_forecast(_stored(), _actual(), _paid(), dt.date(2026, 11, 15), run_id="r1")
    assert [(w.index, w.predicted_net, w.actual_net, w.error) for w in result.weeks] == [
        (1, D("500.00"), D("800.00"), D("300.00")), (2, D("100.00"), D("400.00"), D("300.00"))]
    assert [w.actual_closing for w in result.weeks] == [D("1800.00"), D("2200.00")]
    assert [w.inside_band for w in result.weeks] == [True, False]
    assert result.weeks[1].bank_line_ids == (103, 104)
    assert result.complete_weeks == 2 and result.wape == pytest.approx(0.5)
    assert result.ending_error == D("600.00") and result.band_coverage == pytest.approx(0.5)


def test_misses_name_the_records_biggest_first():
    result = compare_forecast(_stored(), _actual(), _paid(), dt.date(2026, 11, 15))
    assert [(m.source_id, m.missed) for m in result.misses] == [(14, D("400.00")), (13, D("300.00")),
                                                                (12, D("200.00"))]
    unexpected, early, unpaid = result.misses
    assert unexpected.predicted_date is None and "not expected within the horizon" in unexpected.reason
    assert early.predicted_week == 2 and early.actual_dates == (dt.date(2026, 11, 5),) and "week 1" in early.reason
    assert unpaid.actual_amount == D("0.00") and "not paid by 2026-11-15" in unpaid.reason
    assert any("recurring" in note for note in result.notes)


def test_a_week_in_progress_is_shown_but_not_scored():
    result = compare_forecast(_stored(), _actual(), _paid(), dt.date(2026, 11, 10))
    assert [w.complete for w in result.weeks] == [True, False]
    assert result.complete_weeks == 1 and result.wape == pytest.approx(300 / 800)
    assert result.ending_error == D("300.00")
    assert 13 not in {m.source_id for m in result.misses}   # expected on the 12th: not judged yet


def test_too_early_to_compare_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot be compared yet"):
        compare_forecast(_stored(), _actual(), _paid(), dt.date(2026, 11, 1))
