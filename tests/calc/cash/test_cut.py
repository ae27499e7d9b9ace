"""Cutting a small hand-built cash history at dates: every cent and every day known.

The books (company currency EUR):
- INV1 1,000.00 to Acme (2026-01-10, due 02-09), paid 400.00 by bank on 02-01 and 600.00 on 03-01;
- INV2 500.00 booked for USD 550.00 to Beta (01-15, due 02-14), never paid; USD rates 1.10 from 01-01,
  1.25 from 02-01 (so it is worth 440.00 in February);
- BILL1 300.00 from Vendo (01-20, due 02-19), settled by a 100.00 credit note on 02-05 and 200.00
  by bank on 02-25;
- bank: 10,000.00 capital on 01-01, +400.00 and a -50.25 fee on 02-01, -200.00 on 02-25, +600.00 on 03-01;
- sale line SL1 10 units for 1,210.00 (ordered 01-05) invoiced 4 on 01-10, 6 on 02-20, 1 refunded 03-05;
- purchase lines PL1 3 units 333.33 and PL2 3 units 333.33 (ordered 02-10), PL2 invoiced 1 on 02-12.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ledgerpilot.calc.cash.cut import (
    actual_bank_flows,
    bank_balance_on,
    books_as_of,
    open_items_as_of,
    open_order_lines_as_of,
    paid_items_as_of,
    residual_minor_as_of,
)
from ledgerpilot.calc.cash.frames import column_dtype, conform
from ledgerpilot.calc.cash.history import (
    FRAMES,
    OPEN_ITEM_COLUMNS,
    OPEN_ORDER_COLUMNS,
    PAID_COLUMNS,
    CashHistory,
)
from ledgerpilot.calc.cash.rates import rate_on

D = dt.date
INV1, INV2, BILL1, P1, P2, RF1, P3 = 101, 102, 103, 104, 105, 106, 107
ACME, BETA, VENDO = 1, 2, 3


def _item(id_, move_id, name, move_type, journal, kind, partner, date, balance, due=None, invoice_date=None,
          currency="EUR", amount_currency=None):
    names = {ACME: "Acme", BETA: "Beta", VENDO: "Vendo"}
    return {"id": id_, "move_id": move_id, "move_name": name, "move_type": move_type, "journal_type": journal,
            "kind": kind, "partner_id": partner, "partner_name": names[partner], "date": date,
            "invoice_date": invoice_date, "date_maturity": due or date, "balance": balance, "currency": currency,
            "amount_currency": balance if amount_currency is None else amount_currency, "origin": "",
            "payment_term_id": None}


def _partial(id_, debit, credit, amount, max_date, by_id):
    d, c = by_id[debit], by_id[credit]
    return {"id": id_, "debit_move_id": debit, "credit_move_id": credit, "amount": amount, "max_date": max_date,
            "debit_move_type": d["move_type"], "credit_move_type": c["move_type"],
            "debit_journal_type": d["journal_type"], "credit_journal_type": c["journal_type"]}


def _bank(id_, date, amount, label):
    return {"id": id_, "move_id": id_, "move_name": f"BNK/{id_}", "date": date, "amount": amount, "partner_id": None,
            "partner_name": None, "label": label, "journal_id": 6, "counterpart_account_id": 4,
            "counterpart_account_code": "101404", "counterpart_account_name": "Outstanding Receipts",
            "counterpart_account_type": "asset_current"}


def _frame(name, rows):
    columns = FRAMES[name]
    return conform(name, pd.DataFrame(rows, columns=list(columns)) if rows else
                   pd.DataFrame({c: pd.Series([], dtype=object) for c in columns}))


def make_history() -> CashHistory:
    items = [
        _item(INV1, 11, "INV1", "out_invoice", "sale", "receivable", ACME, "2026-01-10", 1000.0, "2026-02-09",
              "2026-01-10"),
        _item(INV2, 12, "INV2", "out_invoice", "sale", "receivable", BETA, "2026-01-15", 500.0, "2026-02-14",
              "2026-01-15", currency="USD", amount_currency=550.0),
        _item(BILL1, 13, "BILL1", "in_invoice", "purchase", "payable", VENDO, "2026-01-20", -300.0, "2026-02-19",
              "2026-01-20"),
        _item(P1, 14, "PAY1", "entry", "bank", "receivable", ACME, "2026-02-01", -400.0),
        _item(P2, 15, "PAY2", "entry", "bank", "receivable", ACME, "2026-03-01", -600.0),
        _item(RF1, 16, "RBILL1", "in_refund", "purchase", "payable", VENDO, "2026-02-05", 100.0, None, "2026-02-05"),
        _item(P3, 17, "PAY3", "entry", "bank", "payable", VENDO, "2026-02-25", 200.0),
    ]
    by_id = {row["id"]: row for row in items}
    reconciliations = [
        _partial(1, INV1, P1, 400.0, "2026-02-01", by_id),
        _partial(2, INV1, P2, 600.0, "2026-03-01", by_id),
        _partial(3, RF1, BILL1, 100.0, "2026-02-05", by_id),
        _partial(4, P3, BILL1, 200.0, "2026-02-25", by_id),
    ]
    bank = [_bank(1, "2026-01-01", 10000.0, "capital"), _bank(2, "2026-02-01", 400.0, "Acme"),
            _bank(3, "2026-02-01", -50.25, "fee"), _bank(4, "2026-02-25", -200.0, "Vendo"),
            _bank(5, "2026-03-01", 600.0, "Acme")]
    sale_lines = [{"id": 1, "order_id": 1, "order_name": "S001", "partner_id": ACME, "partner_name": "Acme",
                   "date_order": "2026-01-05", "commitment_date": "2026-01-20", "payment_term_id": None,
                   "product_uom_qty": 10.0, "qty_delivered": 10.0, "qty_invoiced": 9.0, "price_total": 1210.0,
                   "currency": "EUR"}]
    purchase_lines = [
        {"id": line, "order_id": 7, "order_name": "P007", "partner_id": VENDO, "partner_name": "Vendo",
         "date_order": "2026-02-10", "date_planned": "2026-02-28", "payment_term_id": None, "product_qty": 3.0,
         "qty_received": 0.0, "qty_invoiced": invoiced, "price_total": 333.33, "currency": "EUR"}
        for line, invoiced in ((1, 0.0), (2, 1.0))]
    order_invoicing = [
        {"order_line_id": 1, "order_kind": "sale", "invoice_date": "2026-01-10", "quantity": 4.0},
        {"order_line_id": 1, "order_kind": "sale", "invoice_date": "2026-02-20", "quantity": 6.0},
        {"order_line_id": 1, "order_kind": "sale", "invoice_date": "2026-03-05", "quantity": -1.0},
        {"order_line_id": 2, "order_kind": "purchase", "invoice_date": "2026-02-12", "quantity": 1.0},
        # a sale line id equal to a purchase line id must not mix with it
        {"order_line_id": 1, "order_kind": "purchase", "invoice_date": "2026-02-28", "quantity": 3.0},
    ]
    rates = [{"currency": "USD", "date": "2026-01-01", "rate": 1.10},
             {"currency": "USD", "date": "2026-02-01", "rate": 1.25}]
    terms = [{"payment_term_id": 3, "value": "percent", "value_amount": 100.0, "nb_days": 30,
              "delay_type": "days_after"}]
    return CashHistory(
        company_name="Hand Books", currency="EUR", digits=2, extracted_on=D(2026, 3, 31),
        items=_frame("items", items), reconciliations=_frame("reconciliations", reconciliations),
        bank=_frame("bank", bank), sale_lines=_frame("sale_lines", sale_lines),
        purchase_lines=_frame("purchase_lines", purchase_lines),
        order_invoicing=_frame("order_invoicing", order_invoicing), payment_terms=_frame("payment_terms", terms),
        rates=_frame("rates", rates))


@pytest.fixture(scope="module")
def history() -> CashHistory:
    return make_history()


def _residuals(books_items: pd.DataFrame, column: str = "residual") -> dict[int, float]:
    return dict(zip(books_items["id"].astype(int), books_items[column].astype(float)))


def test_open_items_before_any_payment_and_after_partial_settlements(history):
    assert _residuals(open_items_as_of(history, D(2026, 1, 31))) == {INV1: 1000.0, INV2: 500.0, BILL1: -300.0}
    feb15 = open_items_as_of(history, D(2026, 2, 15))
    assert _residuals(feb15, "residual_booked") == {INV1: 600.0, INV2: 500.0, BILL1: -200.0}
    # INV2 is USD 550.00 at the February rate 1.25: 440.00 in cash
    assert _residuals(feb15) == {INV1: 600.0, INV2: 440.0, BILL1: -200.0}
    assert list(feb15.columns) == list(OPEN_ITEM_COLUMNS)
    # the fully settled payment and credit note are not open; PAY3 (02-25) did not exist yet
    assert _residuals(open_items_as_of(history, D(2026, 3, 1))) == {INV2: 440.0}


def test_a_foreign_item_keeps_its_booked_value_before_any_rate_is_known(history):
    rates = history.rates.iloc[0:0]
    early = CashHistory(**{**history.__dict__, "rates": rates})
    assert _residuals(open_items_as_of(early, D(2026, 2, 15)))[INV2] == 500.0


def test_residuals_are_signed_minor_units_including_settled_items(history):
    residual = residual_minor_as_of(history, D(2026, 2, 25))
    assert residual.to_dict() == {INV1: 60000, INV2: 50000, BILL1: 0, P1: 0, RF1: 0, P3: 0}


def test_bank_balance_and_daily_flows(history):
    assert bank_balance_on(history, D(2025, 12, 31)) == 0.0
    assert bank_balance_on(history, D(2026, 2, 1)) == 10349.75
    assert bank_balance_on(history, D(2026, 3, 31)) == 10749.75
    flows = actual_bank_flows(history, D(2026, 1, 31), D(2026, 2, 3))
    assert list(flows.columns) == ["date", "amount", "record_ids"]
    assert list(flows["date"].dt.date) == [D(2026, 2, 1), D(2026, 2, 2), D(2026, 2, 3)]
    assert list(flows["amount"]) == [349.75, 0.0, 0.0]
    assert list(flows["record_ids"]) == [(2, 3), (), ()]
    # the start day is excluded, the end day included; opening + flows = closing
    whole = actual_bank_flows(history, D(2026, 1, 1), D(2026, 3, 1))
    assert len(whole) == 59
    total = round(bank_balance_on(history, D(2026, 1, 1)) + whole["amount"].sum(), 2)
    assert total == bank_balance_on(history, D(2026, 3, 1))


def test_actual_bank_flows_rejects_a_reversed_period(history):
    with pytest.raises(ValueError, match="before the start"):
        actual_bank_flows(history, D(2026, 3, 1), D(2026, 2, 1))


def test_bank_balance_is_exact_over_many_small_amounts(history):
    bank = pd.concat([history.bank.iloc[0:0]] + [history.bank.iloc[[1]].assign(amount=0.1)] * 1000,
                     ignore_index=True)
    books = CashHistory(**{**history.__dict__, "bank": bank})
    assert bank_balance_on(books, D(2026, 12, 31)) == 100.0


def test_paid_items_are_cash_settlements_only_with_their_delays(history):
    paid = paid_items_as_of(history, D(2026, 3, 31))
    assert list(paid.columns) == list(PAID_COLUMNS)
    rows = [(int(r.item_id), r.kind, r.amount, r.paid_date.date(), r.due_date.date(), r.delay_days)
            for r in paid.itertuples()]
    assert rows == [
        (INV1, "receivable", 400.0, D(2026, 2, 1), D(2026, 2, 9), -8.0),
        (BILL1, "payable", 200.0, D(2026, 2, 25), D(2026, 2, 19), 6.0),
        (INV1, "receivable", 600.0, D(2026, 3, 1), D(2026, 2, 9), 20.0),
    ]
    # the credit note of 02-05 is not a payment; nothing after the cut is known
    assert len(paid_items_as_of(history, D(2026, 2, 24))) == 1
    assert paid_items_as_of(history, D(2026, 1, 31)).empty
    assert list(paid_items_as_of(history, D(2026, 1, 31)).columns) == list(PAID_COLUMNS)


def _remaining(lines: pd.DataFrame) -> dict[tuple[str, int], tuple[float, float]]:
    return {(r.kind, int(r.id)): (r.remaining_qty, r.remaining_amount) for r in lines.itertuples()}


def test_open_order_lines_follow_the_invoices_known_on_the_day(history):
    assert _remaining(open_order_lines_as_of(history, D(2026, 1, 4))) == {}
    assert _remaining(open_order_lines_as_of(history, D(2026, 1, 9))) == {("sale", 1): (10.0, 1210.0)}
    # 02-09: the purchase order is not confirmed yet
    assert _remaining(open_order_lines_as_of(history, D(2026, 2, 9))) == {("sale", 1): (6.0, 726.0)}
    assert _remaining(open_order_lines_as_of(history, D(2026, 2, 15))) == {
        ("sale", 1): (6.0, 726.0), ("purchase", 1): (3.0, 333.33), ("purchase", 2): (2.0, 222.22)}
    # 02-20 the sale line is fully invoiced; 02-28 purchase line 1 too
    assert _remaining(open_order_lines_as_of(history, D(2026, 2, 28))) == {("purchase", 2): (2.0, 222.22)}
    # the refund of 03-05 reopens one unit
    march = open_order_lines_as_of(history, D(2026, 3, 10))
    assert _remaining(march) == {("sale", 1): (1.0, 121.0), ("purchase", 2): (2.0, 222.22)}
    assert list(march.columns) == list(OPEN_ORDER_COLUMNS)
    sale = march[march["kind"] == "sale"].iloc[0]
    assert sale["qty_invoiced"] == 9.0 and sale["ordered_qty"] == 10.0 and pd.isna(sale["date_planned"])


def test_books_as_of_puts_it_together(history):
    books = books_as_of(history, D(2026, 2, 15))
    assert books.as_of == D(2026, 2, 15) and books.currency == "EUR" and books.digits == 2
    assert books.opening_balance == 10349.75
    assert _residuals(books.open_items) == {INV1: 600.0, INV2: 440.0, BILL1: -200.0}
    assert list(books.bank_history["id"]) == [1, 2, 3]
    assert len(books.paid_items) == 1
    assert list(books.rates["date"].dt.date) == [D(2026, 1, 1), D(2026, 2, 1)]
    assert len(books.open_order_lines) == 3
    assert books.payment_terms.equals(history.payment_terms)


def test_cut_frames_have_the_contract_dtypes(history):
    books = books_as_of(history, D(2026, 3, 10))
    for frame in (books.open_items, books.open_order_lines, books.paid_items):
        for column, dtype in frame.dtypes.items():
            assert str(dtype) == str(pd.Series([], dtype=column_dtype(column)).dtype), column


def test_an_empty_history_cuts_to_empty_books():
    empty = CashHistory(company_name="Nothing", currency="EUR", digits=2, extracted_on=D(2026, 1, 1),
                        **{name: _frame(name, []) for name in FRAMES})
    books = books_as_of(empty, D(2026, 1, 1))
    assert books.opening_balance == 0.0
    assert books.open_items.empty and books.open_order_lines.empty and books.paid_items.empty
    assert list(books.open_order_lines.columns) == list(OPEN_ORDER_COLUMNS)


def test_rate_on_takes_the_latest_rate_known_on_each_day(history):
    rates = rate_on(history.rates, pd.Series(["USD", "USD", "USD", "GBP"]),
                    pd.to_datetime(["2025-12-31", "2026-01-31", "2026-02-01", "2026-02-01"]))
    assert np.isnan(rates[0]) and rates[1] == 1.10 and rates[2] == 1.25 and np.isnan(rates[3])
