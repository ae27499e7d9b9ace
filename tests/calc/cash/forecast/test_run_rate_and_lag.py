"""Cash from business not booked yet (run-rate), and the bank's lag behind recorded payments."""

from __future__ import annotations

from decimal import Decimal

from ledgerpilot.calc.cash.forecast import ForecastParams, forecast, parse_scenario, run_scenario
from tests.calc.cash.forecast.books import FixedDelays, bank_line, day, item, make_books, order_line

PARAMS = ForecastParams(include_recurring=False, simulations=100)
VENDOR = (31, "Kestrel Wholesale")
OUTSTANDING = (404, "101404", "asset_current")


def weekly_invoices(weeks: int = 60) -> list[dict]:
    """One 100.00 invoice every week (3 days before a weekly anchor), paid 7 days later."""
    rows = []
    for k in range(weeks):
        invoiced = day(-3 - 7 * k)
        paid = day(4 - 7 * k)
        if paid > day(0):
            continue
        rows.append({"item_id": k + 1, "move_id": k + 1, "move_name": f"INV/{k + 1}", "kind": "receivable",
                     "partner_id": 5, "partner_name": "Steady", "invoice_date": invoiced, "due_date": paid,
                     "amount": 100.00, "paid_date": paid, "delay_days": 0.0})
    return rows


def run_rate_flows(result):
    return [f for f in result.flows if "run-rate" in f.source_name]


def test_run_rate_repeats_the_weekly_pace():
    result = forecast(make_books(0.0, paid=weekly_invoices()), FixedDelays(), PARAMS)
    flows = run_rate_flows(result)
    assert sum(f.amount for f in flows) == Decimal("1200.00")   # weeks 2-13 of every past window
    assert {f.amount for f in flows} == {Decimal("100.00")}
    assert any("not issued yet" in a for a in result.assumptions)


def test_open_orders_are_deducted_from_the_run_rate():
    books = make_books(0.0, paid=weekly_invoices(),
                       orders=[order_line(1, "sale", "S1", 5, "Steady", 250.00, commitment_in=5)])
    result = forecast(books, FixedDelays(), PARAMS)
    assert sum(f.amount for f in run_rate_flows(result)) == Decimal("950.00")
    total_new = sum(f.amount for f in result.flows if f.category in ("sale_order", "recurring"))
    assert total_new == Decimal("1200.00")


def test_sales_scenario_and_switch_cover_the_run_rate():
    books = make_books(0.0, paid=weekly_invoices())
    change = run_scenario(books, FixedDelays(), PARAMS, parse_scenario("sales_change:10"))
    assert change.ending_difference == Decimal("120.00")
    late = run_scenario(books, FixedDelays(), PARAMS, parse_scenario("delay_collections:7"))
    assert late.ending_difference == Decimal("-100.00")  # the last week's collection moves past the horizon
    assert run_rate_flows(forecast(books, FixedDelays(), PARAMS.model_copy(update={"include_run_rate": False}))) == []


def lagged_history() -> tuple[list[dict], list[dict]]:
    """Ten bills paid on their due date, each on the bank two days later."""
    paid, bank = [], []
    for k in range(10):
        when = day(-10 - 7 * k)
        paid.append({"item_id": 100 + k, "move_id": 100 + k, "move_name": f"BILL/{k}", "kind": "payable",
                     "partner_id": VENDOR[0], "partner_name": VENDOR[1], "invoice_date": day(-40 - 7 * k),
                     "due_date": when, "amount": 310.00 + k, "paid_date": when, "delay_days": 0.0})
        bank.append(bank_line(500 + k, day(-8 - 7 * k), -(310.00 + k), partner=VENDOR, account=OUTSTANDING,
                              label="Payment"))
    return paid, bank


def test_vendor_payments_land_when_the_bank_shows_them():
    paid, bank = lagged_history()
    bill = item(1, "payable", VENDOR[0], VENDOR[1], -99.99, due_in=5, name="BILL/OPEN")
    result = forecast(make_books(1000.0, items=[bill], paid=paid, bank=bank), FixedDelays(),
                      PARAMS.model_copy(update={"include_run_rate": False}))
    flow = next(f for f in result.flows if f.source_name == "BILL/OPEN")
    assert flow.expected_date == day(7)
    assert any("show on the bank 2 day(s)" in a for a in result.assumptions)


def test_payment_recorded_but_not_on_the_bank_yet_is_still_to_go_out():
    paid, bank = lagged_history()
    paid.append({"item_id": 999, "move_id": 999, "move_name": "BILL/LAST", "kind": "payable",
                 "partner_id": VENDOR[0], "partner_name": VENDOR[1], "invoice_date": day(-30), "due_date": day(-1),
                 "amount": 75.25, "paid_date": day(-1), "delay_days": 0.0})
    result = forecast(make_books(1000.0, paid=paid, bank=bank), FixedDelays(),
                      PARAMS.model_copy(update={"include_run_rate": False}))
    transit = [f for f in result.flows if "not on the bank yet" in f.source_name]
    assert [(f.source_id, f.amount, f.expected_date) for f in transit] == [(999, Decimal("-75.25"), day(1))]
    assert result.days[0].outflows == Decimal("75.25")
    due_date_only = forecast(make_books(1000.0, paid=paid, bank=bank), None,
                             PARAMS.model_copy(update={"use_behaviour": False, "include_run_rate": False}))
    assert due_date_only.flows == ()
