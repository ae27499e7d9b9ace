"""Hand-computed checks of the overview calculators: every cent known."""

import datetime as dt
from decimal import Decimal

import pandas as pd

from ledgerpilot.calc.ledger.overview import ageing, bank_position, open_orders

AS_OF = dt.date(2026, 11, 18)


def _items(rows):
    frame = pd.DataFrame(rows, columns=["id", "date", "date_maturity", "amount_residual", "partner_id_id",
                                        "partner_id_name"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["date_maturity"] = pd.to_datetime(frame["date_maturity"])
    frame["partner_id_id"] = frame["partner_id_id"].astype("Int64")
    return frame


def test_receivable_ageing_buckets_and_totals_are_exact():
    items = _items([
        (1, "2026-11-01", "2026-12-01", 100.10, 10, "Acme"),      # not due
        (2, "2026-10-01", "2026-11-18", 0.20, 10, "Acme"),        # due today: not overdue
        (3, "2026-10-01", "2026-11-17", 0.10, 11, "Beta"),        # 1 day
        (4, "2026-09-01", "2026-10-19", 1000.00, 11, "Beta"),     # 30 days
        (5, "2026-08-01", "2026-09-18", 250.55, 12, "Gamma"),     # 61 days
        (6, "2025-01-01", "2025-01-31", 9.99, None, None),        # far overdue, no partner
        (7, "2026-11-01", "2026-11-30", 0.0, 12, "Gamma"),        # settled: ignored
    ])
    result = ageing(items, AS_OF, "receivable", "EUR")
    by_label = {b.label: b for b in result.buckets}
    assert by_label["not due"].amount == Decimal("100.30") and by_label["not due"].record_ids == (1, 2)
    assert by_label["1-30"].amount == Decimal("1000.10") and by_label["1-30"].count == 2
    assert by_label["31-60"].amount == Decimal("0.00")
    assert by_label["61-90"].record_ids == (5,)
    assert by_label["over 90"].amount == Decimal("9.99")
    assert result.total == Decimal("1360.94")
    assert result.overdue == Decimal("1260.64")
    assert [p.partner_name for p in result.top_partners] == ["Beta", "Gamma", "Acme", "(no partner)"]
    assert result.top_partners[0].amount == Decimal("1000.10")


def test_payables_are_shown_as_positive_amounts_owed():
    items = _items([(1, "2026-11-01", "2026-11-10", -500.25, 20, "Vendor"),
                    (2, "2026-11-01", "2026-12-10", -0.75, 20, "Vendor")])
    result = ageing(items, AS_OF, "payable", "EUR")
    assert result.total == Decimal("501.00")
    assert result.overdue == Decimal("500.25")


def test_credits_are_netted_but_never_counted_as_overdue():
    items = _items([(1, "2026-10-01", "2026-10-31", -300.00, 20, "Vendor"),   # bill, 18 days overdue
                    (2, "2026-09-01", "2026-09-15", 120.50, 21, "Other"),     # vendor credit note, old
                    (3, "2026-11-01", "2026-12-01", -80.00, 20, "Vendor")])   # bill, not due
    result = ageing(items, AS_OF, "payable", "EUR")
    assert result.total == Decimal("259.50")
    assert result.overdue == Decimal("300.00")
    assert result.credits == Decimal("120.50")


def test_float_noise_never_reaches_the_cents():
    items = _items([(i, "2026-11-01", "2026-12-01", 0.1, 1, "A") for i in range(1, 1001)])
    assert ageing(items, AS_OF, "receivable", "EUR").total == Decimal("100.00")


def test_empty_books_give_zero_not_errors():
    result = ageing(_items([]), AS_OF, "receivable", "EUR")
    assert result.total == Decimal(0) and result.top_partners == ()
    assert all(b.count == 0 for b in result.buckets)


def test_bank_position_sums_accounts():
    groups = pd.DataFrame({"account_id_id": [41, 42], "account_id_name": ["101401 Bank", "101501 Cash"],
                           "balance": [12444.87, 0.13], "__count": [9, 1]})
    result = bank_position(groups, AS_OF, "EUR")
    assert result.total == Decimal("12445.00")
    assert [a.account_name for a in result.accounts] == ["101401 Bank", "101501 Cash"]


def test_open_orders_count_only_what_is_left_to_invoice():
    lines = pd.DataFrame({
        "order_id_id": [1, 1, 2, 3], "order_id_name": ["S1", "S1", "S2", "S3"],
        "partner_name": ["A", "A", "B", "C"],
        "product_uom_qty": [10.0, 1.0, 5.0, 2.0], "qty_invoiced": [4.0, 1.0, 0.0, 2.0],
        "price_unit": [9.99, 100.0, 20.0, 50.0], "discount": [0.0, 0.0, 10.0, 0.0],
    })
    result = open_orders(lines, "sale", "EUR")
    assert result.count == 2  # S3 is fully invoiced
    assert result.amount == Decimal("149.94")  # 6 * 9.99 + 5 * 20 * 0.9
    assert [o.order_name for o in result.largest] == ["S2", "S1"]
