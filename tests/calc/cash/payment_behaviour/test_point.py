"""The item-level delay predictor: hand-made histories with known answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ledgerpilot.calc.cash.payment_behaviour.model import fit_payment_behaviour
from ledgerpilot.calc.cash.payment_behaviour.point import fit_point_model, item_delays

AS_OF = dt.date(2025, 12, 31)


def paid_rows(rows: list[tuple]) -> pd.DataFrame:
    """(item, partner, due, amount, paid) -> PAID_COLUMNS."""
    frame = pd.DataFrame(rows, columns=["item_id", "partner_id", "due_date", "amount", "paid_date"])
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    frame["paid_date"] = pd.to_datetime(frame["paid_date"])
    frame["invoice_date"] = frame["due_date"] - pd.Timedelta(days=30)
    frame["kind"] = "receivable"
    frame["partner_name"] = frame["partner_id"].map(lambda p: f"P{p}")
    frame["partner_id"] = frame["partner_id"].astype("Int64")
    frame["move_id"] = frame["item_id"]
    frame["move_name"] = frame["item_id"].astype(str)
    frame["delay_days"] = (frame["paid_date"] - frame["due_date"]).dt.days
    return frame


def monthly(partner: int, first_item: int, delays: list[float], *, start=dt.date(2025, 1, 10)) -> list[tuple]:
    rows = []
    for n, delay in enumerate(delays):
        due = pd.Timestamp(start) + pd.DateOffset(months=n)
        rows.append((first_item + n, partner, due, 1000.0, due + pd.Timedelta(days=delay)))
    return rows


def test_a_partial_payer_is_predicted_by_its_invoices_not_its_settlements():
    rows = []
    for n in range(10):   # 40% on the due date, 60% thirty days later: the invoice is paid 18 days late
        due = pd.Timestamp("2025-01-15") + pd.DateOffset(months=n)
        rows += [(n + 1, 1, due, 400.0, due), (n + 1, 1, due, 600.0, due + pd.Timedelta(days=30))]
    rows += monthly(2, 100, [2.0] * 10)
    model = fit_point_model(paid_rows(rows), AS_OF)
    got = model.predict("receivable", [1, 2], [pd.Timestamp("2026-01-15")] * 2)
    assert got[0] == pytest.approx(18.0, abs=0.5)
    assert got[1] == pytest.approx(2.0, abs=0.5)


def test_items_still_open_are_left_out_of_the_item_delays():
    rows = [(1, 1, pd.Timestamp("2025-11-10"), 400.0, pd.Timestamp("2025-11-10"))]
    open_items = pd.DataFrame({"id": [1], "residual": [600.0]})
    assert item_delays(paid_rows(rows), AS_OF, open_items).empty
    assert len(item_delays(paid_rows(rows), AS_OF)) == 1


def test_a_payment_run_is_recognised_and_used():
    rows = []
    run_day = 25
    for n in range(12):   # due on various days, always paid on the 25th (or the Monday after) once due
        due = pd.Timestamp(dt.date(2025, 1, 3 + (n * 7) % 24)) + pd.DateOffset(months=n)
        paid = due.replace(day=run_day) if due.day <= run_day else (due + pd.DateOffset(months=1)).replace(day=run_day)
        while paid.weekday() >= 5:
            paid += pd.Timedelta(days=1)
        rows.append((n + 1, 7, due, 500.0, paid))
    for n in range(12):   # other partners, so that the company's median is not the run's
        rows += monthly(10 + n, 1000 + 10 * n, [0.0] * 6)
    model = fit_point_model(paid_rows(rows), AS_OF)
    assert model.partners[("receivable", 7)].run_day == run_day
    # due on 2026-02-10 -> paid on 2026-02-25 (a Wednesday): 15 days; due on the 26th -> next month's run
    got = model.predict("receivable", [7, 7], [pd.Timestamp("2026-02-10"), pd.Timestamp("2026-02-26")])
    assert got[0] == 15.0
    assert got[1] == (dt.date(2026, 3, 25) - dt.date(2026, 2, 26)).days


def test_steady_payers_keep_their_own_habit_and_unknown_ones_get_the_company_s():
    rows = monthly(1, 1, [12.0] * 3) + monthly(2, 100, [0.0] * 12) + monthly(3, 200, [1.0] * 12) \
        + monthly(4, 300, [-4.0] * 12)
    model = fit_point_model(paid_rows(rows), AS_OF)
    got = model.predict("receivable", [1, 99], [pd.Timestamp("2026-01-10")] * 2)
    assert got[0] > 9.0                    # three steady invoices say much where partners differ a lot
    assert got[1] == model.company["receivable"]


def test_large_invoices_paid_later_when_the_books_show_it():
    rng = np.random.default_rng(4)
    rows, item = [], 1
    for partner in range(20):
        for n in range(12):
            amount = float(rng.choice([250.0, 1000.0, 4000.0]))
            due = pd.Timestamp("2025-01-05") + pd.DateOffset(months=n)
            delay = 3.0 + 4.0 * np.log2(amount / 1000.0) + rng.normal(0, 1)
            rows.append((item, partner, due, amount, due + pd.Timedelta(days=round(delay))))
            item += 1
    model = fit_point_model(paid_rows(rows), AS_OF)
    assert model.amount_slope["receivable"] == pytest.approx(4.0, abs=0.8)
    small, large = model.predict("receivable", [3, 3], [pd.Timestamp("2026-01-05")] * 2, [250.0, 4000.0])
    assert large - small == pytest.approx(16.0, abs=3.5)


def test_the_behaviour_model_carries_the_point_predictor():
    rows = monthly(1, 1, [5.0] * 8) + monthly(2, 100, [0.0] * 8)
    behaviour = fit_payment_behaviour(paid_rows(rows), AS_OF)
    got = behaviour.predict_delays("receivable", [1, 2], [pd.Timestamp("2026-01-10")] * 2, [1000.0, 1000.0])
    assert got.tolist() == pytest.approx([5.0, 0.0], abs=0.3)
    with pytest.raises(ValueError, match="unknown kind"):
        behaviour.predict_delays("sideways", [1], [pd.Timestamp("2026-01-10")])
