"""The trial-balance review on hand-built books: every account's movement against its recent months."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerpilot.calc.close import CloseConfig, review_trial_balance
from tests.calc.close.close_books import history, make_data, period_line

CONFIG = CloseConfig(tb_variance=0.5, tb_min_amount=Decimal(1000))


def books(**kwargs):
    return make_data(
        account_history=[*history(27, [1000, 1200, 800, 1000, 1000, 1000]),      # mean 1,000
                         *history(23, [-20000, -22000, -18000, -20000, -21000, -19000]),
                         *history(31, [400, 0, 0, 0, 0, 200])],
        period_lines=[period_line(1, 27, 2600.0), period_line(2, 27, 900.0), period_line(3, 27, -200.0),
                      period_line(4, 23, -19000.0, journal_id=1), period_line(5, 34, 1500.0, journal_id=3)],
        **kwargs)


def test_rows_for_every_account_that_moved_now_or_before():
    review = review_trial_balance(books(), CONFIG)
    assert [row.code for row in review.rows] == ["400000", "600000", "614000", "641000"]
    expenses = next(r for r in review.rows if r.code == "600000")
    assert expenses.movement == Decimal("3300.00") and expenses.history_mean == Decimal("1000.00")
    assert expenses.history_median == Decimal("1000.00") and expenses.variance == Decimal("2300.00")
    assert expenses.variance_share == 2.3
    assert expenses.history == {"2026-04": Decimal("1000.00"), "2026-05": Decimal("1200.00"),
                                "2026-06": Decimal("800.00"), "2026-07": Decimal("1000.00"),
                                "2026-08": Decimal("1000.00"), "2026-09": Decimal("1000.00")}
    assert not review.partial


def test_flags_beyond_the_variance_and_the_minimum_with_the_lines_that_explain_them():
    review = review_trial_balance(books(), CONFIG)
    flagged = {row.code: row for row in review.flagged}
    # 600000 +230% and 2,300; 641000 new movement of 1,500; 400000 within 5%; 614000 -100 (below the minimum)
    assert sorted(flagged) == ["600000", "641000"]
    expenses = flagged["600000"]
    assert [(line.record.id, line.amount) for line in expenses.lines] == [(1, Decimal("2600.00"))]
    fx = flagged["641000"]
    assert fx.variance_share is None and [line.record.id for line in fx.lines] == [5]
    findings = {f.figures["account_id"]: f for f in review.findings}
    assert set(findings) == {27, 34}
    assert all(f.check == "trial_balance" and f.severity == "warning" for f in findings.values())
    assert findings[27].amount == Decimal("2300.00")
    assert [(r.model, r.id) for r in findings[27].records] == [("account.move.line", 1)]
    assert "+230% against the 6-month mean" in findings[27].title
    assert "new movement" in findings[34].title


def test_a_higher_minimum_or_variance_flags_nothing():
    assert review_trial_balance(books(), CloseConfig(tb_min_amount=Decimal(5000))).flagged == []
    assert [r.code for r in review_trial_balance(books(), CloseConfig(tb_variance=3.0)).flagged] == ["641000"]


def test_a_running_month_says_its_movements_are_so_far():
    review = review_trial_balance(books(today=dt.date(2026, 10, 20)), CONFIG)
    assert review.partial
    assert all("so far (up to 2026-10-20)" in f.title for f in review.findings)
