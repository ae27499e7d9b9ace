"""The forecast on hand-made books where every cent is known."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgerpilot.calc.cash.forecast import ForecastError, ForecastParams, forecast
from ledgerpilot.calc.cash.forecast.engine import build_flows
from ledgerpilot.calc.cash.forecast.simulate import draw_landings, simulated_closings
from tests.calc.cash.forecast.books import (
    AS_OF,
    FixedDelays,
    TwoOutcomeDelays,
    day,
    item,
    make_books,
    order_line,
)

PLAIN = ForecastParams(include_run_rate=False, include_recurring=False, simulations=50)


def small_books():
    return make_books(1000.00, items=[
        item(1, "receivable", 7, "Ontime Ltd", 250.10, due_in=10, name="INV/1"),
        item(2, "payable", 8, "Vendor SA", -99.99, due_in=3, name="BILL/1"),
    ])


def test_hand_computed_small_books():
    result = forecast(small_books(), FixedDelays(), PLAIN)
    assert result.opening_balance == Decimal("1000.00")
    by_date = {d.date: d for d in result.days}
    assert by_date[day(3)].outflows == Decimal("99.99")
    assert by_date[day(3)].closing == Decimal("900.01")
    assert by_date[day(10)].inflows == Decimal("250.10")
    assert by_date[day(10)].closing == Decimal("1150.11")
    assert result.days[-1].closing == Decimal("1150.11")
    week1, week2 = result.weeks_rows[:2]
    assert (week1.start, week1.end) == (day(1), day(7))
    assert week1.net == Decimal("-99.99") and week1.closing == Decimal("900.01")
    assert week2.inflows == Decimal("250.10") and week2.closing == Decimal("1150.11")
    assert [f.source_name for f in week2.drivers] == ["INV/1"]
    assert week2.drivers[0].week_amount == Decimal("250.10") == week2.drivers[0].amount
    assert [(f.source_name, f.week_amount) for f in week1.drivers] == [("BILL/1", Decimal("-99.99"))]
    assert result.lowest_balance == Decimal("900.01") and result.lowest_date == day(3)
    assert len(result.days) == 91 and len(result.weeks_rows) == 13


def test_customer_delay_moves_the_collection():
    result = forecast(small_books(), FixedDelays({("receivable", 7): 9}), PLAIN)
    flow = next(f for f in result.flows if f.source_name == "INV/1")
    assert flow.due_date == day(10) and flow.expected_date == day(19)
    assert result.weeks_rows[1].inflows == 0 and result.weeks_rows[2].inflows == Decimal("250.10")


def test_overdue_item_cannot_land_before_the_first_day():
    books = make_books(0.0, items=[item(1, "receivable", 7, "Late", 40.00, due_in=-20)])
    result = forecast(books, FixedDelays(), PLAIN)
    assert result.days[0].inflows == Decimal("40.00")
    assert all(d.date > AS_OF for d in result.days)


def test_never_paying_customer_is_not_in_the_horizon():
    books = make_books(100.0, items=[item(1, "receivable", 9, "Gone", 500.00, due_in=5)])
    result = forecast(books, FixedDelays({("receivable", 9): float("inf")}), PLAIN)
    flow = result.flows[0]
    assert flow.expected_date is None and flow.probability == 0.0
    assert result.days[-1].closing == Decimal("100.00")


def test_due_date_variant_ignores_behaviour():
    params = PLAIN.model_copy(update={"use_behaviour": False})
    result = forecast(small_books(), FixedDelays({("receivable", 7): 30}), params)
    assert next(f for f in result.flows if f.source_name == "INV/1").expected_date == day(10)


def test_daily_invariant_and_weeks_chain():
    items = [item(i, "receivable" if i % 3 else "payable", 100 + i % 7, f"P{i % 7}",
                  (1 if i % 3 else -1) * round(13.37 * i + 0.01 * (i % 10), 2), due_in=(i * 5) % 97 - 20)
             for i in range(1, 200)]
    orders = [order_line(1000 + i, "sale" if i % 2 else "purchase", f"O{i}", 300 + i, f"O{i}", 100.33 + i,
                         commitment_in=i, planned_in=i) for i in range(1, 30)]
    books = make_books(5000.55, items=items, orders=orders)
    result = forecast(books, FixedDelays(spread=4), ForecastParams(simulations=100, include_run_rate=False))
    previous = result.opening_balance
    for row in result.days:
        assert row.opening == previous
        assert row.opening + row.inflows - row.outflows == row.closing
        assert row.net == row.inflows - row.outflows
        assert row.p10 <= row.p50 <= row.p90
        previous = row.closing
    previous = result.opening_balance
    for week in result.weeks_rows:
        assert week.opening == previous and week.opening + week.net == week.closing
        assert week.p10 <= week.p50 <= week.p90
        previous = week.closing
    in_horizon = sum(f.expected_amount for f in result.flows)
    assert result.opening_balance + in_horizon == result.days[-1].closing


def test_threshold_breaches():
    result = forecast(small_books(), FixedDelays(), PLAIN.model_copy(update={"threshold": 950.0}))
    assert result.threshold == Decimal("950.00")
    # 900.01 from day 3 until the collection on day 10: weeks 1 and 2 (days 8-9) dip below 950
    assert [w.index for w in result.breaches] == [1, 2]
    assert not result.weeks_rows[2].below_threshold
    assert any("950.00 EUR" in a for a in result.assumptions)


def test_horizon_is_configurable():
    result = forecast(small_books(), FixedDelays(), PLAIN.model_copy(update={"weeks": 4}))
    assert len(result.weeks_rows) == 4 and len(result.days) == 28


def test_determinism_and_seed():
    books = make_books(1000.0, items=[item(i, "receivable", i % 4, f"C{i % 4}", 100.0 + i, due_in=i)
                                      for i in range(1, 60)])
    params = ForecastParams(simulations=200, include_run_rate=False, seed=3)
    first = forecast(books, FixedDelays(spread=10), params)
    again = forecast(books, FixedDelays(spread=10), params)
    assert first.model_dump() == again.model_dump()
    other = forecast(books, FixedDelays(spread=10), params.model_copy(update={"seed": 4}))
    assert [(d.p10, d.p90) for d in other.days] != [(d.p10, d.p90) for d in first.days]
    # the expected path is a mean over the simulations: another seed moves it a little, never its
    # total (every invoice is paid within the horizon in every simulation)
    assert [d.closing for d in other.days] != [d.closing for d in first.days]
    assert other.days[-1].closing == first.days[-1].closing == Decimal("1000.00") + sum(
        Decimal("100.00") + i for i in range(1, 60))
    total = first.days[-1].closing - first.opening_balance
    assert max(abs(a.closing - b.closing) for a, b in zip(first.days, other.days)) < total / 20


def test_bands_widen_with_uncertain_delays():
    books = make_books(0.0, items=[item(i, "receivable", 1, "C", 100.0, due_in=14) for i in range(1, 40)])
    result = forecast(books, FixedDelays(spread=6), ForecastParams(simulations=300, include_run_rate=False))
    widths = [d.p90 - d.p10 for d in result.days]
    assert max(widths) > 0
    assert result.days[-1].p10 == result.days[-1].p90 == Decimal("3900.00")


def test_a_document_spread_over_weeks_drives_each_for_its_part_only():
    """It used to be listed with its full amount in every week where part of it was expected."""
    books = make_books(0.0, items=[item(1, "receivable", 7, "Spread Ltd", 7000.00, due_in=10, name="INV/SPREAD")])
    result = forecast(books, FixedDelays(spread=9), ForecastParams(simulations=400, include_run_rate=False,
                                                                   include_recurring=False))
    parts = [(w.index, d.week_amount) for w in result.weeks_rows for d in w.drivers if d.source_name == "INV/SPREAD"]
    assert len(parts) >= 3                                       # expected over several weeks
    assert all(Decimal(0) < amount < Decimal("7000.00") for _week, amount in parts)
    [flow] = [f for f in result.flows if f.source_name == "INV/SPREAD"]
    assert sum(amount for _week, amount in parts) == flow.expected_amount   # the parts add up, to the cent
    for week in result.weeks_rows:                               # and each part is what the week's net holds
        assert sum((d.week_amount for d in week.drivers), Decimal(0)) == week.net
    dumped = result.weeks_rows[parts[0][0] - 1].model_dump(mode="json")["drivers"][0]
    assert dumped["week_amount"] == str(parts[0][1]) and dumped["amount"] == "7000.00"


def test_missing_opening_balance_is_a_clear_error():
    books = make_books(float("nan"))
    with pytest.raises(ForecastError, match="opening bank balance"):
        forecast(books, None, PLAIN)


def test_empty_books_forecast_is_flat():
    result = forecast(make_books(12.34), None, PLAIN)
    assert all(d.closing == Decimal("12.34") for d in result.days)
    assert result.flows == () and result.lowest_balance == Decimal("12.34")


def test_json_dump_is_serialisable():
    result = forecast(small_books(), FixedDelays(), PLAIN)
    data = result.model_dump(mode="json")
    assert data["weeks_rows"][0]["net"] == "-99.99"
    assert data["flows"][0]["source_model"] == "account.move.line"


def bimodal_books():
    return make_books(0.0, items=[item(i, "receivable", 5, "Sometimes Late", 100.00, due_in=7, name=f"INV/{i}")
                                  for i in range(1, 31)])


def test_expected_path_is_the_mean_of_the_simulated_paths():
    books = bimodal_books()
    behaviour = TwoOutcomeDelays(p_early=0.6, early=0, late=35)
    params = ForecastParams(simulations=400, include_run_rate=False, include_recurring=False)
    result = forecast(books, behaviour, params)
    plan = build_flows(books, params)
    landing = draw_landings(plan.table, behaviour, use_behaviour=True, simulations=params.simulations,
                            seed=params.seed)
    mean = simulated_closings(landing, 0, params.horizon_days).mean(axis=0)
    # each flow's cumulative expectation is rounded to the cent: at most half a cent per flow apart
    tolerance = 0.5 * len(plan.table) + 1e-6
    assert all(abs(row.closing * 100 - Decimal(str(m))) <= Decimal(str(tolerance)) for row, m in zip(result.days, mean))
    # the invoices are the same: on time in part of the simulations, 35 days late in the others
    on_time = result.days[6].inflows
    assert Decimal("1500.00") < on_time < Decimal("2100.00")
    assert result.days[41].inflows == Decimal("3000.00") - on_time
    assert sum(d.inflows for d in result.days) == Decimal("3000.00")
    assert all(f.expected_date == day(7) and f.probability == 1.0 for f in result.flows)


def test_expected_path_lies_inside_the_band_when_customers_pay_on_time_or_late():
    result = forecast(bimodal_books(), TwoOutcomeDelays(p_early=0.6, early=0, late=35),
                      ForecastParams(simulations=500, include_run_rate=False, include_recurring=False))
    assert all(d.p10 <= d.closing <= d.p90 for d in result.days)
    # the median date would have put all 3,000.00 on day 7, above the P90 of about 2,100
    assert result.days[6].p90 < Decimal("3000.00")
    # every invoice moves both week 1 (on time) and week 6 (35 days late): both name five of them
    for week in (result.weeks_rows[0], result.weeks_rows[5]):
        assert len(week.drivers) == 5 and {f.partner_name for f in week.drivers} == {"Sometimes Late"}
    assert result.weeks_rows[0].inflows + result.weeks_rows[5].inflows == Decimal("3000.00")
