"""Scenarios: exact differences on hand-made books, and clear errors for unknown targets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgerpilot.calc.cash.forecast import ForecastParams, ScenarioError, parse_scenario, run_scenario
from tests.calc.cash.forecast.books import FixedDelays, item, make_books, order_line

#: orders invoiced exactly when expected and a double without spread: every landing day is known,
#: so every difference is exact to the cent
PARAMS = ForecastParams(include_run_rate=False, include_recurring=False, simulations=50, order_timing_sd_days=0)


def books():
    return make_books(1000.00, items=[
        item(1, "receivable", 7, "Acme Ltd", 250.10, due_in=10, name="INV/1"),
        item(2, "receivable", 8, "Acme Logistics", 80.00, due_in=2, name="INV/2"),
        item(3, "payable", 9, "Vendor SA", -99.99, due_in=3, name="BILL/1"),
    ], orders=[
        order_line(10, "sale", "S00010", 7, "Acme Ltd", 1000.00, commitment_in=20),
        order_line(11, "purchase", "P00042", 9, "Vendor SA", 500.00, planned_in=5),
    ])


def test_delay_collections_moves_every_customer_inflow():
    result = run_scenario(books(), FixedDelays(), PARAMS, parse_scenario("delay_collections:14"))
    diffs = {w.index: w.net_difference for w in result.weeks}
    assert diffs[1] == Decimal("-80.00")            # INV/2: day 2 -> 16
    assert diffs[2] == Decimal("-250.10")           # INV/1: day 10 -> 24
    assert diffs[3] == Decimal("80.00") - Decimal("1000.00")   # INV/2 arrives, S00010 (day 20) leaves
    assert diffs[4] == Decimal("250.10")
    assert diffs[5] == Decimal("1000.00")           # S00010: day 20 -> 34
    assert result.ending_difference == 0
    assert result.lowest_difference == result.forecast.lowest_balance - result.base.lowest_balance
    assert {f.source_name for f in result.affected} == {"INV/1", "INV/2", "S00010"}


def test_customer_default_by_name_and_id():
    by_name = run_scenario(books(), FixedDelays(), PARAMS, parse_scenario("customer_default:acme ltd"))
    assert by_name.ending_difference == Decimal("-1250.10")
    by_id = run_scenario(books(), FixedDelays(), PARAMS, parse_scenario("customer_default:7"))
    assert by_id.ending_difference == Decimal("-1250.10")
    assert [w.closing_difference for w in by_id.weeks] == [w.closing_difference for w in by_name.weeks]


def test_customer_default_errors():
    with pytest.raises(ScenarioError, match="ambiguous"):
        run_scenario(books(), FixedDelays(), PARAMS, parse_scenario("customer_default:Acme"))
    with pytest.raises(ScenarioError, match="no customer named 'Nobody'"):
        run_scenario(books(), FixedDelays(), PARAMS, parse_scenario("customer_default:Nobody"))
    with pytest.raises(ScenarioError, match="customer id 999"):
        run_scenario(books(), FixedDelays(), PARAMS, parse_scenario("customer_default:999"))


def test_sales_change_scales_open_sale_orders():
    result = run_scenario(books(), FixedDelays(), PARAMS, parse_scenario("sales_change:-10"))
    assert result.ending_difference == Decimal("-100.00")
    assert result.weeks[2].net_difference == Decimal("-100.00")  # S00010 lands on day 20 (week 3)


def test_defer_po_shifts_its_outflow():
    result = run_scenario(books(), FixedDelays(), PARAMS, parse_scenario("defer_po:P00042:2"))
    diffs = {w.index: w.net_difference for w in result.weeks}
    assert diffs[1] == Decimal("500.00") and diffs[3] == Decimal("-500.00")
    assert result.ending_difference == 0
    assert result.lowest_difference >= 0


def test_defer_unknown_po_names_the_open_ones():
    with pytest.raises(ScenarioError, match=r"no open purchase order named 'P99999'.*P00042"):
        run_scenario(books(), FixedDelays(), PARAMS, parse_scenario("defer_po:P99999:1"))


def test_scenario_shares_the_base_random_draws():
    noisy = FixedDelays(spread=5)
    params = PARAMS.model_copy(update={"simulations": 200})
    result = run_scenario(books(), noisy, params, parse_scenario("defer_po:P00042:0"))
    assert [d.p10 for d in result.forecast.days] == [d.p10 for d in result.base.days]
    assert all(w.p10_difference == 0 for w in result.weeks)


@pytest.mark.parametrize("spec, message", [
    ("explode:3", "unknown scenario"),
    ("delay_collections:soon", "whole number"),
    ("delay_collections:-3", "must not be negative"),
    ("sales_change:much", "percentage"),
    ("sales_change:-100", "100%"),
    ("defer_po:P1", "defer_po:ORDER:WEEKS"),
    ("customer_default:", "unknown scenario"),
])
def test_parse_errors(spec, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(spec)


def test_parse_forms():
    assert parse_scenario("sales_change:+5%").percent == 5.0
    assert parse_scenario("defer_po:PO/2026/001:3").order == "PO/2026/001"
    assert parse_scenario("customer_default:Acme Ltd").partner == "Acme Ltd"
    assert parse_scenario("delay-collections:7").days == 7


def test_scenario_on_uncertain_flows_differs_by_the_expected_amounts():
    """With spread delays and order timing noise, the flows a scenario leaves alone keep every
    draw, hence their expected amounts to the cent; the ending difference is exactly the change
    in the expected amounts of the flows it touches."""
    noisy = FixedDelays(spread=5)
    params = ForecastParams(include_run_rate=False, include_recurring=False, simulations=200)
    for spec in ("delay_collections:60", "customer_default:Acme Ltd", "sales_change:-10"):
        result = run_scenario(books(), noisy, params, parse_scenario(spec))
        base = {(f.source_name, f.due_date): f for f in result.base.flows}
        changed = {(f.source_name, f.due_date): f for f in result.forecast.flows}
        touched = {(f.source_name, f.due_date) for f in result.affected}
        assert touched and all(base[k].expected_amount == changed[k].expected_amount
                               for k in base.keys() & changed.keys() if k not in touched)
        moved = (sum((changed[k].expected_amount for k in touched if k in changed), Decimal(0))
                 - sum((base[k].expected_amount for k in touched), Decimal(0)))
        assert result.ending_difference == moved != 0
        assert sum((w.net_difference for w in result.weeks), Decimal(0)) == moved


def test_delay_customer_moves_only_that_customers_inflows():
    result = run_scenario(books(), FixedDelays(), PARAMS, parse_scenario("delay_customer:Acme Ltd:14"))
    diffs = {w.index: w.net_difference for w in result.weeks}
    assert diffs[2] == Decimal("-250.10")           # INV/1: day 10 -> 24
    assert diffs[4] == Decimal("250.10")
    assert diffs[3] == Decimal("-1000.00")          # S00010: day 20 -> 34
    assert diffs[5] == Decimal("1000.00")
    assert diffs[1] == 0                            # Acme Logistics' INV/2 keeps its day
    assert {f.source_name for f in result.affected} == {"INV/1", "S00010"}
    assert result.ending_difference == 0
    assert "pays 14 days later" in result.description


def test_delay_customer_is_parsed_with_its_name_and_days():
    scenario = parse_scenario("delay_customer:Acme: Ltd:30")
    assert (scenario.kind, scenario.partner, scenario.days) == ("delay_customer", "Acme: Ltd", 30)
    assert parse_scenario("delay_customer:7:5").partner == 7
    for bad in ("delay_customer:Acme", "delay_customer::3", "delay_customer:Acme:-2", "delay_customer:Acme:x"):
        with pytest.raises(ScenarioError):
            parse_scenario(bad)
