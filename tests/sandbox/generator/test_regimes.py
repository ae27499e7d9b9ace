"""Regimes of the demo generator: behaviours, bank labels, batch deposits, registered receipts, the
opening entry, clean books and anomalies drawn per seed; every check reads the books the generator
wrote and compares them with its ground truth."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest

from ledgerpilot.sandbox.generator import REGIMES, build_demo_company, regime_for
from ledgerpilot.sandbox.generator.regimes import DRAWN
from ledgerpilot.sandbox.store import database_path

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(scope="module")
def batch_book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    truth = build_demo_company(folder, seed=5, scale=0.2, today=TODAY, regime="batch_payers")
    conn = sqlite3.connect(database_path(folder))
    yield truth, conn
    conn.close()


def _account(conn, code: str) -> int:
    return conn.execute("SELECT id FROM account_account WHERE code = ?", (code,)).fetchone()[0]


def test_regime_mix_and_parameters_are_in_the_ground_truth(batch_book):
    truth, _ = batch_book
    assert truth.regime == "batch_payers"
    eur = [c for c in truth.customers if c.currency == "EUR"]
    assert {c.behaviour for c in eur} == set(REGIMES["batch_payers"].behaviours)
    for customer in truth.customers:   # the regime's amount and holiday effects reach every customer
        assert customer.params["amount_delay_days_per_doubling"] == REGIMES["batch_payers"].amount_delay_days
        assert customer.params["holiday_delay_days"] == REGIMES["batch_payers"].holiday_delay_days


def test_batch_payers_pay_on_their_run_day_in_one_transfer(batch_book):
    truth, conn = batch_book
    receivable = _account(conn, "121000")
    deposits = 0
    for customer in (c for c in truth.customers if c.behaviour == "batch"):
        rows = conn.execute("""
            SELECT m.id, m.date, COUNT(*) FROM account_move m JOIN account_move_line l ON l.move_id = m.id
            WHERE m.statement_line_id IS NOT NULL AND l.account_id = ? AND l.partner_id = ?
            GROUP BY m.id""", (receivable, customer.partner_id)).fetchall()
        run_day = customer.params["run_day"]
        for _move, day, _items in rows:   # the run day, or the working day after it
            date = dt.date.fromisoformat(day)
            assert 0 <= (date - date.replace(day=min(run_day, 28))).days <= 2
        deposits += sum(1 for *_rest, items in rows if items > 1)
    assert deposits == truth.stats["batch_deposits"] > 0


def test_partial_payers_settle_each_invoice_in_two_parts(batch_book):
    truth, conn = batch_book
    partial = [c for c in truth.customers if c.behaviour == "partial"]
    assert partial
    for customer in partial:
        counts = [n for (n,) in conn.execute("""
            SELECT COUNT(p.id) FROM account_move_line l JOIN account_move m ON m.id = l.move_id
            JOIN account_partial_reconcile p ON p.debit_move_id = l.id
            WHERE l.partner_id = ? AND m.move_type = 'out_invoice' AND l.display_type = 'payment_term'
              AND l.reconciled = 1 GROUP BY l.id""", (customer.partner_id,))]
        assert counts and sum(1 for n in counts if n >= 2) >= 0.8 * len(counts)


def test_labels_name_the_invoice_in_a_minority_of_transfers(batch_book):
    truth, conn = batch_book
    share = truth.stats["customer_transfers_naming_the_invoice"] / truth.stats["customer_transfers"]
    assert 0.25 <= share <= 0.55
    # on the bank: the receipts' labels carrying an invoice number as printed or retyped (INV/2026/00012,
    # inv 2026 00012, 2026/00012 ...)
    labels = [r for (r,) in conn.execute("SELECT payment_ref FROM account_bank_statement_line WHERE amount > 0")]
    numbered = [r for r in labels if re.search(r"20\d\d[ /]?\d{5}", r or "")]
    assert 0.15 * len(labels) <= len(numbered) <= 0.6 * len(labels)


def test_registered_receipts_go_through_outstanding_receipts(batch_book):
    truth, conn = batch_book
    outstanding = _account(conn, "101403")
    inbound = conn.execute("SELECT COUNT(*) FROM account_payment WHERE payment_type = 'inbound'").fetchone()[0]
    assert inbound == truth.stats["registered_receipts"] > 0
    cleared = conn.execute("""
        SELECT COUNT(*) FROM account_move_line l JOIN account_move m ON m.id = l.move_id
        WHERE l.account_id = ? AND m.statement_line_id IS NOT NULL""", (outstanding,)).fetchone()[0]
    assert 0 < cleared <= inbound     # the bank shows them one to three working days later


def test_opening_entry_is_odoo_s(batch_book):
    _truth, conn = batch_book
    move_id = conn.execute("SELECT account_opening_move_id FROM res_company").fetchone()[0]
    ref, date = conn.execute("SELECT ref, date FROM account_move WHERE id = ?", (move_id,)).fetchone()
    first = conn.execute("SELECT MIN(date) FROM account_move WHERE id != ?", (move_id,)).fetchone()[0]
    assert ref == "Opening Journal Entry" and date < first
    codes = {c for (c,) in conn.execute("SELECT a.code FROM account_move_line l JOIN account_account a "
                                        "ON a.id = l.account_id WHERE l.move_id = ?", (move_id,))}
    assert "999999" in codes


def test_clean_book_has_no_injected_anomaly_but_the_same_company(tmp_path):
    truth = build_demo_company(tmp_path / "clean", seed=5, scale=0.1, today=TODAY, inject_anomalies=False)
    dirty = build_demo_company(tmp_path / "dirty", seed=5, scale=0.1, today=TODAY)
    assert truth.anomalies == () and truth.novel_anomalies == ()
    assert dirty.anomalies and dirty.novel_anomalies
    assert [c.name for c in truth.customers] == [c.name for c in dirty.customers]
    assert {n.kind for n in truth.not_anomalies} == {n.kind for n in dirty.not_anomalies}


def test_anomalies_differ_between_seeds_and_repeat_for_a_seed(tmp_path):
    first = build_demo_company(tmp_path / "a", seed=5, scale=0.1, today=TODAY)
    again = build_demo_company(tmp_path / "b", seed=5, scale=0.1, today=TODAY)
    other = build_demo_company(tmp_path / "c", seed=6, scale=0.1, today=TODAY)
    assert first == again
    assert [a.description for a in first.anomalies] != [a.description for a in other.anomalies]


def test_a_drawn_regime_depends_on_the_seed_only():
    drawn = {seed: regime_for(DRAWN, seed).name for seed in range(12)}
    assert drawn == {seed: regime_for(DRAWN, seed).name for seed in range(12)}
    assert "standard" not in drawn.values() and len(set(drawn.values())) > 1
    with pytest.raises(ValueError, match="unknown regime"):
        regime_for("lazy", 1)
