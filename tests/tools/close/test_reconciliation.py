"""Unreconciled bank lines and open items pulled from the real sandbox with the real client."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from ledgerpilot.calc.close.matching import match_bank_lines
from ledgerpilot.sandbox.generator import load_ground_truth
from ledgerpilot.tools.close.reconciliation import (
    BANK_LINE_COLUMNS,
    OPEN_ITEM_COLUMNS,
    load_reconciliation_data,
)
from tests.conftest import DEMO_TODAY


@pytest.fixture(scope="module")
def data(client, stages):
    return load_reconciliation_data(client, as_of=DEMO_TODAY, progress=stages.append)


def _query(db_path, sql, *args):
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def test_frames_follow_the_contract(data, stages):
    assert list(data.bank_lines.columns) == BANK_LINE_COLUMNS
    assert list(data.open_items.columns) == OPEN_ITEM_COLUMNS
    assert str(data.bank_lines["date"].dtype) == "datetime64[ns]" and str(data.bank_lines["id"].dtype) == "Int64"
    assert str(data.bank_lines["amount"].dtype) == "float64"
    assert str(data.open_items["amount_residual"].dtype) == "float64"
    assert set(data.open_items["kind"].unique()) <= {"invoice", "bill", "refund", "payment"}
    assert data.currency == "EUR" and data.digits == 2 and data.as_of == DEMO_TODAY
    assert stages == ["company", "journals and accounts", "bank statement lines", "open items"]


def test_bank_lines_are_exactly_the_unreconciled_statement_lines(data, demo_db_path, demo_data_dir):
    # the client reads the user's current company (the demo database holds a second one)
    expected = {row[0] for row in _query(demo_db_path, "SELECT st.id FROM account_bank_statement_line st JOIN "
                                                       "account_move m ON m.id = st.move_id WHERE st.is_reconciled = 0 "
                                                       "AND m.company_id = 1")}
    assert set(data.bank_lines["id"].astype(int)) == expected
    labelled = {i for d in load_ground_truth(demo_data_dir).defects_of("unreconciled_bank_line") for i in d.ids}
    assert labelled <= expected
    assert (data.bank_lines["date"] <= str(DEMO_TODAY)).all()


def test_open_items_are_the_open_receivables_payables_and_unmatched_payments(data, demo_db_path):
    expected = {row[0] for row in _query(
        demo_db_path,
        "SELECT l.id FROM account_move_line l JOIN account_account a ON a.id = l.account_id "
        "WHERE l.parent_state = 'posted' AND l.reconciled = 0 AND ROUND(l.amount_residual, 2) != 0 AND l.date <= ? "
        "AND l.company_id = 1 "
        "AND (a.account_type IN ('asset_receivable', 'liability_payable') OR a.id IN "
        "(SELECT outstanding_account_id FROM account_payment WHERE is_matched = 0))", str(DEMO_TODAY))}
    assert set(data.open_items["id"].astype(int)) == expected
    assert (data.open_items["amount_residual"] != 0).all()
    invoices = data.open_items[data.open_items["kind"] == "invoice"]
    assert (invoices["amount_residual"] > 0).all() and invoices["move_name"].str.startswith("INV/").any()
    payments = data.open_items[data.open_items["kind"] == "payment"]
    assert len(payments) and payments["move_name"].str.startswith("PBNK1/").all()
    assert (payments["amount_residual"] < 0).any()  # sent today, waiting for the bank
    assert (payments["amount_residual"] > 0).any()  # paid on account: the vendor owes it back or a bill will come


def test_as_of_and_journal_filters(client, data):
    earlier = load_reconciliation_data(client, as_of=DEMO_TODAY - dt.timedelta(days=40))
    assert len(earlier.bank_lines) < len(data.bank_lines)
    assert (earlier.bank_lines["date"] <= str(DEMO_TODAY - dt.timedelta(days=40))).all()
    assert (earlier.open_items["date"] <= str(DEMO_TODAY - dt.timedelta(days=40))).all()
    bank = client.extract("account.journal", ["code"], [("type", "=", "bank")])
    only_bank = load_reconciliation_data(client, as_of=DEMO_TODAY, journal_ids=bank["id"].astype(int).tolist())
    assert set(only_bank.bank_lines["journal_id"].astype(int)) <= set(bank["id"].astype(int))
    sales = client.extract("account.journal", ["code"], [("type", "=", "sale")])
    with pytest.raises(ValueError, match="not bank or cash journals"):
        load_reconciliation_data(client, as_of=DEMO_TODAY, journal_ids=[int(sales["id"].iloc[0])])


def test_demo_receipts_waiting_in_suspense_get_only_right_high_proposals(data, demo_data_dir):
    # the generator knows which invoice each waiting receipt pays; a high proposal must name exactly it
    truth = load_ground_truth(demo_data_dir).bank_line_items
    result = match_bank_lines(data.bank_lines, data.open_items)
    receipts = data.bank_lines[data.bank_lines["partner_id"].notna()]
    assert len(receipts) and all(str(int(i)) in truth for i in receipts["id"])
    high = 0
    for row in receipts.itertuples(index=False):
        match = result.for_line(int(row.id))
        if match is not None and match.best.level == "high":
            high += 1
            assert sorted(match.best.item_ids) == sorted(truth[str(int(row.id))]), match.best.reason
    assert high >= len(receipts) // 2
    for row in data.bank_lines[data.bank_lines["partner_id"].isna()].itertuples(index=False):
        assert str(int(row.id)) not in truth
        match = result.for_line(int(row.id))
        assert match is None or match.best.level != "high"
