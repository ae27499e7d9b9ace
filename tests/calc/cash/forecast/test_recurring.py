"""Recurring flows from the bank history: detection, projection, no double counting with bills."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerpilot.calc.cash.forecast import ForecastParams, forecast
from ledgerpilot.calc.cash.forecast.recurring import detect_recurring
from tests.calc.cash.forecast.books import AS_OF, FixedDelays, bank_line, item, make_books

PARAMS = ForecastParams(include_run_rate=False, simulations=50)
LANDLORD = (55, "Meridian Real Estate SA")
OUTSTANDING = (404, "101404", "asset_current")


def history() -> list[dict]:
    lines, n = [], 0
    for months_back in range(1, 9):
        month = (AS_OF.replace(day=1) - dt.timedelta(days=28 * months_back)).replace(day=1)
        n += 1
        lines.append(bank_line(n, month.replace(day=27), -8500.00 - (months_back % 2) * 10,
                               label=f"PAYROLL NET PAY {month:%B}".upper()))
        n += 1
        lines.append(bank_line(n, month.replace(day=5), -5000.00, partner=LANDLORD, account=OUTSTANDING,
                               label="Payment RENT"))
        n += 1  # a customer receipt: in the open items, never recurring
        lines.append(bank_line(n, month.replace(day=12), 700.00, partner=(77, "Customer"),
                               account=(121, "121000", "asset_receivable"), label="INV"))
        n += 1  # irregular one-offs are not recurring
        lines.append(bank_line(n, month.replace(day=1 + (months_back * 7) % 27), -40.0 * months_back,
                               account=(600, "600000", "expense"), label="Misc"))
    return lines


def test_detects_payroll_and_rent_only():
    patterns = detect_recurring(make_books(0.0, bank=history()).bank_history, AS_OF, 2)
    found = {(p.label, p.cadence, p.typical_day, p.amount_minor) for p in patterns}
    assert ("Salaries Payable (230000)", "monthly", 27, -850000) in found or \
        ("Salaries Payable (230000)", "monthly", 27, -851000) in found
    assert ("Meridian Real Estate SA", "monthly", 5, -500000) in found
    assert len(patterns) == 2


def test_projects_on_the_typical_day():
    result = forecast(make_books(100000.0, bank=history()), FixedDelays(), PARAMS)
    rent = sorted(f.expected_date for f in result.flows if f.partner_name == LANDLORD[1])
    assert rent == [dt.date(2026, 3, 5), dt.date(2026, 4, 6), dt.date(2026, 5, 5)]  # 5 April 2026 is a Sunday
    payroll = [f for f in result.flows if f.category == "recurring" and f.partner_id is None]
    assert [f.expected_date for f in payroll] == [dt.date(2026, 3, 27), dt.date(2026, 4, 27), dt.date(2026, 5, 27)]
    assert all(f.source_name == "Salaries Payable (230000), monthly" and len(f.source_ids) == 8 for f in payroll)
    assert {f.source_name for f in result.flows if f.partner_name == LANDLORD[1]} == {
        "Meridian Real Estate SA, monthly"}
    assert any(a.startswith("Recurring: Salaries Payable (230000), monthly") for a in result.assumptions)


def test_a_flow_is_named_by_its_partner_or_account_never_by_one_bank_label():
    """The first bank label used to name the flow ("PAYROLL NET PAY MAY (monthly)"): now the books' names."""
    def named(**kwargs) -> list[str]:
        lines = [bank_line(n, (AS_OF.replace(day=1) - dt.timedelta(days=28 * n)).replace(day=20), -120.0,
                           label=f"CARD FEES {n:02d}/26 REF{n * 7919}", **kwargs) for n in range(1, 9)]
        return [p.label for p in detect_recurring(make_books(0.0, bank=lines).bank_history, AS_OF, 2)]

    assert named(account=(620, "620000", "expense"), account_name="Bank Fees") == ["Bank Fees (620000)"]
    assert named(account=(620, "620000", "expense"), account_name=None) == ["account 620000"]
    assert named(account=(620, "620000", "expense"), partner=(9, "First Bank")) == ["First Bank"]


def test_open_bill_of_the_same_partner_replaces_the_recurring_payment():
    bill = item(900, "payable", LANDLORD[0], LANDLORD[1], -5000.00, due_in=2, name="BILL/RENT-03")
    result = forecast(make_books(100000.0, items=[bill], bank=history()), FixedDelays(), PARAMS)
    rent = [f for f in result.flows if f.partner_name == LANDLORD[1]]
    assert sorted((f.category, f.expected_date) for f in rent) == [
        ("payable", dt.date(2026, 3, 4)), ("recurring", dt.date(2026, 4, 6)), ("recurring", dt.date(2026, 5, 5))]
    march = sum(f.amount for f in rent if f.expected_date.month == 3)
    assert march == Decimal("-5000.00")


def test_stopped_flows_are_not_projected():
    old = [line for line in history() if line["date"] < AS_OF - dt.timedelta(days=80)]
    patterns = detect_recurring(make_books(0.0, bank=old).bank_history, AS_OF, 2)
    assert patterns == []


def test_recurring_can_be_switched_off():
    result = forecast(make_books(0.0, bank=history()), FixedDelays(),
                      PARAMS.model_copy(update={"include_recurring": False}))
    assert result.flows == ()


def test_weekly_flow_on_its_weekday():
    fridays = [AS_OF - dt.timedelta(days=3 + 7 * k) for k in range(10)]  # AS_OF is a Monday
    lines = [bank_line(k + 1, when, -120.00, account=(620, "620000", "expense"), label="Cleaning")
             for k, when in enumerate(fridays)]
    result = forecast(make_books(1000.0, bank=lines), FixedDelays(), PARAMS.model_copy(update={"weeks": 3}))
    dates = [f.expected_date for f in result.flows]
    assert dates == [AS_OF + dt.timedelta(days=4), AS_OF + dt.timedelta(days=11), AS_OF + dt.timedelta(days=18)]
    assert all(d.weekday() == 4 for d in dates)
    assert result.days[-1].closing == Decimal("640.00")


def test_bills_without_partner_do_not_disturb_the_coverage_check():
    orphan = item(901, "payable", 0, "", -10.00, due_in=4, name="BILL/ORPHAN")
    orphan["partner_id"] = None
    result = forecast(make_books(100000.0, items=[orphan], bank=history()), FixedDelays(), PARAMS)
    assert len([f for f in result.flows if f.partner_name == LANDLORD[1]]) == 3
