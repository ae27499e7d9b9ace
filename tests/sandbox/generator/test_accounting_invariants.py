"""Accounting invariants of the generated books, checked with SQL on the store."""

from __future__ import annotations

from tests.sandbox.generator.conftest import account_id

CENT = 0.005


def test_every_move_is_balanced_to_the_cent(db):
    rows = db.execute(
        "SELECT move_id, ROUND(SUM(debit) - SUM(credit), 2) FROM account_move_line GROUP BY move_id "
        "HAVING ABS(SUM(debit) - SUM(credit)) >= 0.005").fetchall()
    assert rows == []
    assert db.execute("SELECT COUNT(*) FROM account_move WHERE id NOT IN "
                      "(SELECT move_id FROM account_move_line)").fetchone()[0] == 0


def test_balance_is_debit_minus_credit_and_amounts_are_rounded(db):
    bad = db.execute(
        "SELECT COUNT(*) FROM account_move_line WHERE ABS(balance - (debit - credit)) >= 0.005 "
        "OR debit < 0 OR credit < 0 OR (debit > 0 AND credit > 0) "
        "OR ABS(balance * 100 - ROUND(balance * 100)) > 1e-6 "
        "OR ABS(amount_currency * 100 - ROUND(amount_currency * 100)) > 1e-6").fetchone()[0]
    assert bad == 0


def test_lines_carry_their_moves_header(db):
    bad = db.execute(
        "SELECT COUNT(*) FROM account_move_line l JOIN account_move m ON m.id = l.move_id "
        "WHERE l.date != m.date OR l.journal_id != m.journal_id OR l.parent_state != m.state "
        "OR l.move_name != m.name").fetchone()[0]
    assert bad == 0


def test_residuals_equal_balance_minus_partial_reconciles(db):
    rows = db.execute("""
        SELECT l.id, l.balance, l.amount_currency, l.amount_residual, l.amount_residual_currency,
               COALESCE((SELECT SUM(amount) FROM account_partial_reconcile WHERE debit_move_id = l.id), 0),
               COALESCE((SELECT SUM(amount) FROM account_partial_reconcile WHERE credit_move_id = l.id), 0),
               COALESCE((SELECT SUM(debit_amount_currency) FROM account_partial_reconcile WHERE debit_move_id = l.id), 0),
               COALESCE((SELECT SUM(credit_amount_currency) FROM account_partial_reconcile WHERE credit_move_id = l.id), 0)
        FROM account_move_line l JOIN account_account a ON a.id = l.account_id WHERE a.reconcile = 1""").fetchall()
    assert len(rows) > 1000
    wrong = [r for r in rows if abs(r[3] - (r[1] - r[5] + r[6])) >= CENT or abs(r[4] - (r[2] - r[7] + r[8])) >= CENT]
    assert wrong == []


def test_receivable_and_payable_lines_have_partners(db):
    receivable, payable = account_id(db, "121000"), account_id(db, "211000")
    missing = db.execute(
        "SELECT l.id FROM account_move_line l WHERE l.account_id IN (?, ?) AND l.partner_id IS NULL",
        (receivable, payable)).fetchall()
    # only the labelled subledger defects post on the receivable account without a partner
    defect_lines = {i for (i,) in missing}
    assert 1 <= len(defect_lines) <= 2


def test_reconciled_flags_and_full_reconciles_are_consistent(db):
    bad_flag = db.execute("""
        SELECT COUNT(*) FROM account_move_line l JOIN account_account a ON a.id = l.account_id
        WHERE a.reconcile = 1 AND l.reconciled != (ABS(l.amount_residual) < 0.005
                                                   AND ABS(l.amount_residual_currency) < 0.005)""").fetchone()[0]
    assert bad_flag == 0
    assert db.execute("SELECT COUNT(*) FROM account_move_line WHERE full_reconcile_id IS NOT NULL "
                      "AND (reconciled = 0 OR matching_number != CAST(full_reconcile_id AS TEXT))").fetchone()[0] == 0
    # every full reconcile nets to zero, and its partials point to it
    unbalanced = db.execute("SELECT full_reconcile_id FROM account_move_line WHERE full_reconcile_id IS NOT NULL "
                            "GROUP BY full_reconcile_id HAVING ABS(SUM(balance)) >= 0.005").fetchall()
    assert unbalanced == []
    orphans = db.execute("""
        SELECT COUNT(*) FROM account_partial_reconcile p
        JOIN account_move_line d ON d.id = p.debit_move_id JOIN account_move_line c ON c.id = p.credit_move_id
        WHERE d.balance <= 0 OR c.balance >= 0 OR d.account_id != c.account_id
           OR COALESCE(p.full_reconcile_id, -1) != COALESCE(d.full_reconcile_id, -1)
           OR COALESCE(p.full_reconcile_id, -1) != COALESCE(c.full_reconcile_id, -1)""").fetchone()[0]
    assert orphans == 0
    assert db.execute("SELECT COUNT(*) FROM account_full_reconcile WHERE id NOT IN "
                      "(SELECT full_reconcile_id FROM account_partial_reconcile WHERE full_reconcile_id IS NOT NULL)"
                      ).fetchone()[0] == 0
    partial_numbers = db.execute("""
        SELECT COUNT(*) FROM account_move_line l WHERE l.full_reconcile_id IS NULL AND l.matching_number IS NOT NULL
        AND l.matching_number NOT LIKE 'P%'""").fetchone()[0]
    assert partial_numbers == 0


def test_invoice_payment_state_matches_residuals(db):
    rows = db.execute("""
        SELECT m.id, m.move_type, m.state, m.payment_state, m.amount_residual, m.amount_total,
               ROUND(SUM(ABS(l.amount_residual_currency)), 2), COUNT(p.id)
        FROM account_move m JOIN account_move_line l ON l.move_id = m.id AND l.display_type = 'payment_term'
        LEFT JOIN account_partial_reconcile p ON p.debit_move_id = l.id OR p.credit_move_id = l.id
        WHERE m.move_type IN ('out_invoice', 'out_refund', 'in_invoice', 'in_refund')
        GROUP BY m.id""").fetchall()
    states = {r[3] for r in rows}
    assert {"paid", "not_paid", "partial", "in_payment", "reversed"} <= states
    for move_id, move_type, state, payment_state, residual, total, line_residual, partials in rows:
        assert abs(residual - line_residual) < CENT, move_id
        if state != "posted":
            assert payment_state == "not_paid"
        elif payment_state in ("paid", "in_payment", "reversed"):
            assert line_residual < CENT and partials > 0, move_id
        elif payment_state == "partial":
            assert CENT <= line_residual < total and partials > 0, move_id
        else:
            assert payment_state == "not_paid" and abs(line_residual - total) < CENT, move_id


def test_invoice_amounts_add_up(db):
    bad = db.execute("""
        SELECT COUNT(*) FROM account_move m WHERE m.move_type != 'entry' AND (
            ABS(m.amount_total - m.amount_untaxed - m.amount_tax) >= 0.005
            OR ABS(ABS(m.amount_total_signed) - (SELECT SUM(ABS(balance)) FROM account_move_line
                   WHERE move_id = m.id AND display_type = 'payment_term')) >= 0.005)""").fetchone()[0]
    assert bad == 0


def test_bank_statements_are_continuous_and_match_the_ledger(db):
    journals = db.execute("SELECT DISTINCT s.journal_id, j.company_id FROM account_bank_statement s "
                          "JOIN account_journal j ON j.id = s.journal_id WHERE j.type IN ('bank', 'cash')").fetchall()
    assert {company for _journal, company in journals} == {1, 2}  # both companies keep a bank
    for journal_id, _company in journals:
        statements = db.execute(
            "SELECT s.id, s.balance_start, s.balance_end, s.balance_end_real, "
            "(SELECT ROUND(SUM(amount), 2) FROM account_bank_statement_line WHERE statement_id = s.id) "
            "FROM account_bank_statement s WHERE journal_id = ? ORDER BY date, id", (journal_id,)).fetchall()
        assert statements
        previous_end = 0.0
        for _sid, start, end, end_real, total in statements:
            assert abs(start - previous_end) < CENT
            assert abs(end - (start + total)) < CENT
            assert end_real == end
            previous_end = end
        default_account = db.execute("SELECT default_account_id FROM account_journal WHERE id = ?",
                                     (journal_id,)).fetchone()[0]
        ledger = db.execute("SELECT ROUND(SUM(balance), 2) FROM account_move_line WHERE account_id = ? "
                            "AND journal_id = ?", (default_account, journal_id)).fetchone()[0]
        assert abs(ledger - previous_end) < CENT


def test_statement_lines_own_their_entries(db):
    rows = db.execute("""
        SELECT st.id, st.is_reconciled, st.amount, st.amount_residual, m.statement_line_id,
               (SELECT COUNT(*) FROM account_move_line l JOIN account_account a ON a.id = l.account_id
                WHERE l.move_id = m.id AND a.code = '101402' AND a.company_id = m.company_id)
        FROM account_bank_statement_line st JOIN account_move m ON m.id = st.move_id""").fetchall()
    assert rows
    for st_id, is_reconciled, amount, residual, back_link, on_suspense in rows:
        assert back_link == st_id
        assert bool(is_reconciled) == (on_suspense == 0)
        assert abs(residual - (0.0 if is_reconciled else -amount)) < CENT


def test_vendor_payments_use_outstanding_account(db):
    outstanding = account_id(db, "101404")
    rows = db.execute("""
        SELECT p.id, p.is_matched, m.name, l.reconciled FROM account_payment p JOIN account_move m ON m.id = p.move_id
        JOIN account_move_line l ON l.move_id = m.id AND l.account_id = ?""", (outstanding,)).fetchall()
    assert rows
    for _pid, is_matched, name, reconciled in rows:
        assert name.startswith("PBNK1/")
        assert bool(is_matched) == bool(reconciled)


def test_analytic_lines_follow_distributions(db):
    rows = db.execute("""
        SELECT l.id, l.balance, l.analytic_distribution, COUNT(a.id), ROUND(SUM(a.amount), 2)
        FROM account_move_line l LEFT JOIN account_analytic_line a ON a.move_line_id = l.id
        WHERE l.analytic_distribution IS NOT NULL AND l.parent_state = 'posted' GROUP BY l.id""").fetchall()
    assert len(rows) > 100
    import json

    for _lid, balance, distribution, count, total in rows:
        shares = json.loads(distribution)
        assert count == len(shares)
        expected = sum(round(-balance * pct / 100, 2) for pct in shares.values())
        assert abs(total - expected) < CENT
    split = [r for r in rows if len(json.loads(r[2])) > 1]
    assert split, "some distributions are split between analytic accounts"


def test_stock_valuation_matches_its_entries(db):
    bad = db.execute("""
        SELECT COUNT(*) FROM stock_valuation_layer v JOIN account_move_line l ON l.id = v.account_move_line_id
        WHERE ABS(ABS(v.value) - ABS(l.balance)) >= 0.005 OR ABS(v.value - v.quantity * v.unit_cost) >= 0.01""").fetchone()[0]
    assert bad == 0


def test_every_many2one_points_to_an_existing_record(db):
    from ledgerpilot.sandbox.registry import registry, table_name

    served = registry()
    problems = []
    for spec in served.values():
        for f in spec.columns:
            if f.type != "many2one":
                continue
            if f.relation not in served:
                n = db.execute(f'SELECT COUNT(*) FROM "{spec.table}" WHERE "{f.name}" IS NOT NULL').fetchone()[0]
                if n:
                    problems.append(f"{spec.name}.{f.name} -> unserved {f.relation} ({n})")
                continue
            n = db.execute(
                f'SELECT COUNT(*) FROM "{spec.table}" t WHERE t."{f.name}" IS NOT NULL AND NOT EXISTS '
                f'(SELECT 1 FROM "{table_name(f.relation)}" r WHERE r.id = t."{f.name}")').fetchone()[0]
            if n:
                problems.append(f"{spec.name}.{f.name} -> missing {f.relation} ({n})")
    assert problems == []
