"""The forecast and the backtest on the demo company, through the real server, gateway and cut."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ledgerpilot.calc.cash.cut import books_as_of
from ledgerpilot.calc.cash.forecast import (
    ForecastParams,
    backtest,
    default_cuts,
    forecast,
    parse_scenario,
    run_scenario,
)
from ledgerpilot.calc.cash.payment_behaviour.model import fit_payment_behaviour
from ledgerpilot.config import OdooConnection
from ledgerpilot.odoo import connect
from ledgerpilot.tools.cash.history import load_cash_history
from tests.conftest import DEMO_TODAY


@pytest.fixture(scope="module")
def history(sandbox, tmp_path_factory):
    client = connect(OdooConnection(url=sandbox.url, db=sandbox.db, user="admin", password="admin",
                                    transport="jsonrpc"), cache_dir=tmp_path_factory.mktemp("cache"))
    try:
        yield load_cash_history(client, today=DEMO_TODAY)
    finally:
        client.close()


@pytest.fixture(scope="module")
def books(history):
    return books_as_of(history, DEMO_TODAY)


@pytest.fixture(scope="module")
def model(books):
    return fit_payment_behaviour(books.paid_items, books.as_of, books.open_items)


@pytest.fixture(scope="module")
def result(books, model):
    return forecast(books, model, ForecastParams(threshold=100000.0, simulations=200))


def test_every_category_and_the_daily_invariant(result):
    assert {f.category for f in result.flows} >= {"receivable", "payable", "sale_order", "purchase_order",
                                                   "recurring"}
    previous = result.opening_balance
    for row in result.days:
        assert row.opening == previous and row.opening + row.inflows - row.outflows == row.closing
        assert row.p10 <= row.p50 <= row.p90
        previous = row.closing
    assert any(f.source_name == "Salaries Payable (230000), monthly" for f in result.flows)
    assert any(a.startswith("Customer ") for a in result.assumptions)


def test_no_order_line_counted_beside_its_invoice(history, books, result):
    open_lines = books.open_order_lines.set_index("id")
    order_totals: dict[int, int] = {}
    for flow in result.flows:
        if flow.category in ("sale_order", "purchase_order"):
            order_totals[flow.source_id] = order_totals.get(flow.source_id, 0) + int(abs(flow.amount) * 100)
    assert order_totals
    for line_id, cents in order_totals.items():
        assert cents == round(float(open_lines.loc[line_id, "remaining_amount"]) * 100)
    invoiced = history.order_invoicing
    sale_ids = set(invoiced[(invoiced["order_kind"] == "sale") & (invoiced["invoice_date"] <= str(DEMO_TODAY))]
                   ["order_line_id"].astype(int))
    fully_invoiced = sale_ids - set(open_lines.index.astype(int))
    assert not fully_invoiced & set(order_totals)


def test_recurring_rent_not_counted_twice_with_open_rent_bills(result):
    landlord = [f for f in result.flows if f.partner_name == "Meridian Real Estate SA" and f.expected_date]
    months = [(f.expected_date.year, f.expected_date.month) for f in landlord]
    assert len(months) == len(set(months))


def test_scenario_on_the_demo(books, model, result):
    customer = max((f for f in result.flows if f.category == "receivable"), key=lambda f: f.amount)
    outcome = run_scenario(books, model, result.params, parse_scenario(f"customer_default:{customer.partner_id}"),
                           base=result)
    assert outcome.ending_difference <= 0
    assert all(f.partner_id == customer.partner_id for f in outcome.affected)
    assert any(f.source_id == customer.source_id for f in outcome.affected)
    lost = sum(f.expected_amount for f in outcome.affected)
    assert outcome.forecast.weeks_rows[-1].closing == outcome.base.weeks_rows[-1].closing - lost


def test_backtest_scores_three_variants(history):
    cuts = default_cuts(DEMO_TODAY)[-3:] + [DEMO_TODAY]
    result = backtest(history, cuts, ForecastParams(simulations=100))
    assert len(result.cuts) == 3 and len(result.skipped_cuts) == 1
    assert {v.variant for v in result.variants} == {"model", "due_date", "due_date_orders", "due_date_recurring"}
    model = result.metrics("model")
    assert model.weeks_scored == 39 and 0 <= model.band_coverage <= 1 and model.wape is not None
    assert result.metrics("due_date").band_coverage is None
    dumped = json.dumps(result.model_dump(mode="json"))
    assert '"due_date_orders"' in dumped
    first, second = result.rows[0], result.rows[1]
    assert first.cut == second.cut and second.actual_closing == first.actual_closing + second.actual_net
    assert {"model", "due_date", "due_date_orders", "due_date_recurring"} == set(first.forecasts)


def test_default_cuts_fit_inside_the_books():
    cuts = default_cuts(dt.date(2026, 11, 18))
    assert cuts[0] == dt.date(2025, 11, 18) and cuts[-1] + dt.timedelta(days=91) <= dt.date(2026, 11, 18)
    assert len(cuts) == 10
