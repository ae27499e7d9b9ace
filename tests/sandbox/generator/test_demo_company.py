"""The demo company looks like an Odoo 17 company: frame, names, behaviours, open work, truth."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ledgerpilot.sandbox.generator import (
    ANOMALY_KINDS,
    DEFECT_KINDS,
    NOT_ANOMALY_KINDS,
    REGIMES,
    build_demo_company,
    load_ground_truth,
)
from ledgerpilot.sandbox.registry import registry
from tests.conftest import DEMO_TODAY
from tests.sandbox.generator.conftest import account_id


def test_meta_users_and_installed_models(db):
    meta = dict(db.execute("SELECT key, value FROM sandbox_meta").fetchall())
    assert meta["db_name"] == "demo"
    assert meta["today"] == DEMO_TODAY.isoformat()
    assert meta["now"] == f"{DEMO_TODAY.isoformat()} 18:00:00"
    logins = {row[0] for row in db.execute("SELECT login FROM res_users WHERE active = 1")}
    assert {"admin", "readonly", "demo", "controller", "clerk"} <= logins
    admin_groups = {row[0] for row in db.execute(
        "SELECT g.comment FROM rel__res_users__groups_id r JOIN res_groups g ON g.id = r.id2 "
        "JOIN res_users u ON u.id = r.id1 WHERE u.login = 'admin'")}
    assert {"base.group_system", "account.group_account_manager", "account.group_account_invoice"} <= admin_groups
    demo_groups = {row[0] for row in db.execute(
        "SELECT g.comment FROM rel__res_users__groups_id r JOIN res_groups g ON g.id = r.id2 "
        "JOIN res_users u ON u.id = r.id1 WHERE u.login = 'demo'")}
    assert demo_groups == {"base.group_user"}
    models = {row[0] for row in db.execute("SELECT model FROM ir_model")}
    assert models == set(registry())


def test_password_login_works_for_demo_users(built_db_path):
    from ledgerpilot.sandbox import groups
    from ledgerpilot.sandbox.store import Store

    store = Store(built_db_path)
    try:
        uid = store.conn.execute("SELECT id FROM res_users WHERE login = 'clerk'").fetchone()[0]
        assert groups.check_password(store, uid, "clerk")
        assert not groups.check_password(store, uid, "wrong")
    finally:
        store.close()


def test_chart_journals_and_terms_follow_the_generic_chart(db):
    types = dict(db.execute("SELECT code, account_type FROM account_account").fetchall())
    assert types["121000"] == "asset_receivable" and types["211000"] == "liability_payable"
    assert types["101401"] == "asset_cash" and types["400000"] == "income" and types["999999"] == "equity_unaffected"
    bank = db.execute("SELECT default_account_id, suspense_account_id, type FROM account_journal WHERE code = 'BNK1'"
                      ).fetchone()
    assert bank == (account_id(db, "101401"), account_id(db, "101402"), "bank")
    codes = {row[0] for row in db.execute("SELECT code FROM account_journal")}
    assert {"INV", "BILL", "MISC", "BNK1", "CSH1", "STJ", "EXCH"} <= codes
    terms = {row[0] for row in db.execute("SELECT name FROM account_payment_term")}
    assert {"Immediate Payment", "15 Days", "30 Days", "45 Days", "End of Following Month",
            "30% Now, Balance 60 Days"} <= terms
    usd_rates = db.execute("SELECT COUNT(*), MIN(rate), MAX(rate) FROM res_currency_rate").fetchone()
    assert usd_rates[0] > 100 and 0.9 < usd_rates[1] <= usd_rates[2] < 1.3


def test_document_names_follow_odoo_sequences(db):
    patterns = {"INV": r"^INV/\d{4}/\d{5}$", "BILL": r"^(R?BILL)/\d{4}/\d{2}/\d{4}$", "MISC": r"^MISC/\d{4}/\d{2}/\d{4}$",
                "BNK1": r"^P?BNK1/\d{4}/\d{5}$", "STJ": r"^STJ/\d{4}/\d{2}/\d{4}$"}
    for code, pattern in patterns.items():
        names = [row[0] for row in db.execute(
            "SELECT m.name FROM account_move m JOIN account_journal j ON j.id = m.journal_id "
            "WHERE j.code = ? AND m.state = 'posted'", (code,))]
        assert names, code
        if code == "INV":
            pattern = r"^R?INV/\d{4}/\d{5}$"
        assert all(re.match(pattern, n) for n in names), code
    assert db.execute("SELECT COUNT(*) FROM account_move WHERE state = 'draft' AND name != '/'").fetchone()[0] == 0
    # numbers are unique within a company (the second company numbers its own INV/2026/00001)
    dupes = db.execute("SELECT name FROM account_move WHERE name != '/' GROUP BY company_id, name "
                       "HAVING COUNT(*) > 1").fetchall()
    assert dupes == []


def test_audit_fields_are_realistic(db):
    bad = db.execute("SELECT COUNT(*) FROM account_move WHERE write_date < create_date OR create_uid IS NULL").fetchone()[0]
    assert bad == 0
    hours = [int(h) for (h,) in db.execute("SELECT substr(create_date, 12, 2) FROM account_move")]
    office = sum(7 <= h <= 18 for h in hours)
    assert office / len(hours) > 0.98
    creators = {row[0] for row in db.execute("SELECT DISTINCT create_uid FROM account_move")}
    assert len(creators) >= 3


def test_rent_is_exactly_five_thousand_every_month(db, truth):
    rent = truth.not_anomalies[[f.kind for f in truth.not_anomalies].index("monthly_rent_same_amount")]
    totals = {row[0] for row in db.execute(
        f"SELECT amount_total FROM account_move WHERE id IN ({','.join(map(str, rent.ids))})")}
    assert totals == {5000.0}
    assert len(rent.ids) == 24
    assert len({row[0] for row in db.execute(
        f"SELECT partner_id FROM account_move WHERE id IN ({','.join(map(str, rent.ids))})")}) == 1


def test_usd_documents_keep_currency_amounts(db):
    rows = db.execute("""
        SELECT l.amount_currency, l.balance, m.invoice_date FROM account_move_line l JOIN account_move m ON m.id = l.move_id
        JOIN res_currency c ON c.id = l.currency_id WHERE c.name = 'USD' AND l.display_type = 'payment_term'""").fetchall()
    assert rows
    for amount_currency, balance, _day in rows:
        assert amount_currency * balance > 0
        assert 0.75 < abs(balance / amount_currency) < 1.1  # EUR per USD
    assert db.execute("SELECT COUNT(*) FROM account_move m JOIN account_journal j ON j.id = m.journal_id "
                      "WHERE j.code = 'EXCH'").fetchone()[0] > 0


def _delays(db, partner_id: int) -> list[int]:
    rows = db.execute("""
        SELECT julianday(p.max_date) - julianday(l.date_maturity) FROM account_move_line l
        JOIN account_partial_reconcile p ON p.debit_move_id = l.id
        JOIN account_move m ON m.id = l.move_id
        WHERE l.partner_id = ? AND m.move_type = 'out_invoice' AND l.display_type = 'payment_term'
          AND p.credit_move_id IN (SELECT id FROM account_move_line WHERE statement_line_id IS NOT NULL)""",
                      (partner_id,)).fetchall()
    return [int(r[0]) for r in rows]


def test_customer_behaviours_show_in_payment_delays(db, truth):
    assert {c.behaviour for c in truth.customers} == set(REGIMES[truth.regime].behaviours)
    by_behaviour: dict[str, list[int]] = {}
    for c in truth.customers:
        if c.currency == "EUR":
            by_behaviour.setdefault(c.behaviour, []).extend(_delays(db, c.partner_id))
    mean = {k: sum(v) / len(v) for k, v in by_behaviour.items() if v}
    assert mean["early"] < mean["on_time"] < mean["late_by_habit"]
    assert abs(mean["on_time"]) < 2.5
    late = [c for c in truth.customers if c.behaviour == "late_by_habit" and c.currency == "EUR"]
    for c in late:
        delays = _delays(db, c.partner_id)
        assert delays and abs(sum(delays) / len(delays) - c.params["mean_delay_days"]) < 3.5
    spread = {k: (sum((d - mean[k]) ** 2 for d in v) / len(v)) ** 0.5 for k, v in by_behaviour.items() if v}
    assert spread["erratic"] > 3 * spread["late_by_habit"]


def test_deteriorating_customers_pay_later_over_time(db, truth):
    for c in truth.customers:
        if c.behaviour != "deteriorating":
            continue
        rows = db.execute("""
            SELECT l.date, julianday(p.max_date) - julianday(l.date_maturity) FROM account_move_line l
            JOIN account_partial_reconcile p ON p.debit_move_id = l.id
            WHERE l.partner_id = ? AND l.display_type = 'payment_term' ORDER BY l.date""", (c.partner_id,)).fetchall()
        if len(rows) < 6:
            continue
        half = len(rows) // 2
        first = sum(r[1] for r in rows[:half]) / half
        second = sum(r[1] for r in rows[half:]) / (len(rows) - half)
        assert second > first + 5


def test_defaulting_customers_leave_old_invoices_open(db, truth):
    for c in truth.customers:
        if c.behaviour != "defaulting":
            continue
        stop = c.params["stops_paying_from"]
        paid_after = db.execute("""
            SELECT COUNT(*) FROM account_move_line l JOIN account_partial_reconcile p ON p.debit_move_id = l.id
            JOIN account_move_line c ON c.id = p.credit_move_id AND c.statement_line_id IS NOT NULL
            WHERE l.partner_id = ? AND l.display_type = 'payment_term' AND l.date_maturity >= ?""",
                                (c.partner_id, stop)).fetchone()[0]
        assert paid_after == 0
    open_old = db.execute("""
        SELECT COUNT(*) FROM account_move m WHERE m.move_type = 'out_invoice' AND m.payment_state = 'not_paid'
        AND m.state = 'posted' AND m.invoice_date_due < date(?, '-60 days')""", (DEMO_TODAY.isoformat(),)).fetchone()[0]
    assert open_old > 0


def test_open_orders_reach_into_the_future(db):
    today = DEMO_TODAY.isoformat()
    open_sales = db.execute("SELECT COUNT(*) FROM sale_order WHERE state = 'sale' AND invoice_status = 'to invoice' "
                            "AND commitment_date > ?", (today,)).fetchone()[0]
    assert open_sales > 0
    open_purchases = db.execute("SELECT COUNT(*) FROM purchase_order WHERE state = 'purchase' "
                                "AND receipt_status = 'pending' AND date_planned > ?", (today,)).fetchone()[0]
    assert open_purchases > 0
    assert db.execute("SELECT COUNT(*) FROM account_move WHERE date > ?", (today,)).fetchone()[0] == 0


def test_budgets_cover_the_current_year_by_quarter(db):
    year = DEMO_TODAY.year
    budget = db.execute("SELECT id, date_from, date_to FROM crossovered_budget").fetchone()
    assert budget[1:] == (f"{year}-01-01", f"{year}-12-31")
    quarters = {row[0] for row in db.execute("SELECT DISTINCT date_from FROM crossovered_budget_lines")}
    assert quarters == {f"{year}-01-01", f"{year}-04-01", f"{year}-07-01", f"{year}-10-01"}
    signs = dict(db.execute("SELECT p.name, MAX(SIGN(l.planned_amount)) FROM crossovered_budget_lines l "
                            "JOIN account_budget_post p ON p.id = l.general_budget_id GROUP BY p.name").fetchall())
    assert signs["Salaries"] == -1 and signs["Revenue"] == 1
    assert db.execute("SELECT COUNT(*) FROM rel__account_budget_post__account_ids").fetchone()[0] >= 5


def test_ground_truth_has_every_kind_and_its_records_exist(db, truth, built_dir):
    assert truth.seed == 7 and truth.scale == 0.2 and truth.today == DEMO_TODAY.isoformat()
    assert {a.kind for a in truth.anomalies} == set(ANOMALY_KINDS)
    assert {a.kind for a in truth.not_anomalies} == set(NOT_ANOMALY_KINDS)
    assert {d.kind for d in truth.close_defects} == set(DEFECT_KINDS)
    current = f"{DEMO_TODAY:%Y-%m}"
    assert {d.kind for d in truth.close_defects if d.period == current} == set(DEFECT_KINDS)
    assert any(d.period != current for d in truth.close_defects)
    for finding in (*truth.anomalies, *truth.not_anomalies, *truth.close_defects):
        assert finding.ids, finding.kind
        table = finding.model.replace(".", "_")
        found = db.execute(f"SELECT COUNT(*) FROM {table} WHERE id IN ({','.join(map(str, finding.ids))})").fetchone()[0]
        assert found == len(set(finding.ids)), finding.kind
    assert load_ground_truth(built_dir) == truth


def test_labelled_anomalies_have_their_shape(db, truth):
    same_ref = truth.anomalies_of("duplicate_bill_same_reference")[0]
    refs = db.execute(f"SELECT DISTINCT partner_id, ref, amount_total FROM account_move "
                      f"WHERE id IN ({','.join(map(str, same_ref.ids))})").fetchall()
    assert len(refs) == 1
    variant = truth.anomalies_of("duplicate_bill_reference_variant")[0]
    refs = [r[0] for r in db.execute(f"SELECT ref FROM account_move WHERE id IN ({','.join(map(str, variant.ids))})")]
    assert len(set(refs)) == 2 and len({"".join(ch for ch in r if ch.isalnum()).lower() for r in refs}) == 1
    odd = truth.anomalies_of("posting_at_odd_hour")[0]
    hour = db.execute("SELECT substr(create_date, 12, 2) FROM account_move WHERE id = ?", odd.ids).fetchone()[0]
    assert int(hour) < 6
    payments = truth.anomalies_of("payment_without_open_bill")
    assert sorted(bool(p.details.get("vendor_has_open_bills")) for p in payments) == [False, True]
    for payment in payments:
        partner = db.execute("SELECT partner_id FROM account_payment WHERE id = ?", payment.ids).fetchone()[0]
        bills = db.execute("SELECT COUNT(*) FROM account_move WHERE partner_id = ? AND move_type = 'in_invoice'",
                           (partner,)).fetchone()[0]
        assert (bills > 0) == bool(payment.details.get("vendor_has_open_bills"))
        assert db.execute("SELECT COUNT(*) FROM account_partial_reconcile p JOIN account_move_line l "
                          "ON l.id IN (p.debit_move_id, p.credit_move_id) JOIN account_payment pay "
                          "ON pay.move_id = l.move_id WHERE pay.id = ? AND l.account_id = "
                          "(SELECT id FROM account_account WHERE code = '211000')", payment.ids).fetchone()[0] == 0
    mismatch = truth.anomalies_of("quantity_mismatch")[0]
    line = db.execute("SELECT product_qty, qty_received, qty_invoiced FROM purchase_order_line WHERE order_id = ?",
                      mismatch.ids).fetchone()
    assert line == (mismatch.details["ordered"], mismatch.details["received"], mismatch.details["billed"])
    assert line[1] < line[0]
    reissue = truth.not_anomalies[0] if truth.not_anomalies[0].kind == "credit_note_and_reissue" else truth.not_anomalies[1]
    states = [r[0] for r in db.execute(f"SELECT payment_state FROM account_move WHERE id IN "
                                       f"({','.join(map(str, reissue.ids))}) ORDER BY id")]
    assert states[0] == "reversed"


def test_refuses_to_overwrite_an_existing_database(built_dir):
    with pytest.raises(FileExistsError, match="overwrite=True"):
        build_demo_company(built_dir, seed=7, scale=0.2, today=DEMO_TODAY)


def test_rejects_a_nonsense_scale(tmp_path):
    with pytest.raises(ValueError, match="scale"):
        build_demo_company(tmp_path, scale=0, today=dt.date(2026, 1, 15))


def test_projects_tasks_and_open_activities(db, truth):
    projects = db.execute("SELECT p.name, a.name FROM project_project p "
                          "JOIN account_analytic_account a ON a.id = p.analytic_account_id").fetchall()
    assert len(projects) >= 3 and all(p == a for p, a in projects)
    assert db.execute("SELECT COUNT(*) FROM project_task WHERE state = '01_in_progress'").fetchone()[0] >= 3
    calls = db.execute("""
        SELECT a.res_id, m.partner_id, m.payment_state FROM mail_activity a JOIN account_move m ON m.id = a.res_id
        WHERE a.res_model = 'account.move'""").fetchall()
    defaulting = {c.partner_id for c in truth.customers if c.behaviour == "defaulting"}
    assert calls and all(partner in defaulting and state in ("not_paid", "partial") for _id, partner, state in calls)


def test_only_the_labelled_expense_lines_lack_analytics(db, truth):
    defect = truth.defects_of("missing_analytic_distribution")[0]
    codes = defect.details["required_on_accounts"]
    marks = ",".join("?" for _ in codes)
    missing = {row[0] for row in db.execute(
        f"SELECT l.id FROM account_move_line l JOIN account_account a ON a.id = l.account_id "
        f"WHERE a.code IN ({marks}) AND l.parent_state = 'posted' AND l.analytic_distribution IS NULL "
        f"AND l.company_id = 1", codes)}  # the ground truth is the first company's
    assert missing == set(defect.ids)


def test_close_defects_list_every_offending_record(db, truth):
    current = f"{DEMO_TODAY:%Y-%m}"
    month_start = f"{current}-01"

    def labelled(kind: str, period: str) -> set[int]:
        return {i for d in truth.defects_of(kind) if d.period == period for i in d.ids}

    # the ground truth is the first company's (the second has a draft and an open bank line of its own)
    drafts = {row[0] for row in db.execute("SELECT id FROM account_move WHERE state = 'draft' AND date >= ? "
                                           "AND company_id = 1", (month_start,))}
    assert drafts == labelled("draft_move_in_period", current)
    open_lines = {row[0] for row in db.execute(
        "SELECT st.id FROM account_bank_statement_line st JOIN account_move m ON m.id = st.move_id "
        "WHERE st.is_reconciled = 0 AND m.date >= ? AND m.company_id = 1", (month_start,))}
    assert open_lines == labelled("unreconciled_bank_line", current)
    idle = labelled("journal_without_moves", current)
    cash = db.execute("SELECT id FROM account_journal WHERE code = 'CSH1' AND company_id = 1").fetchone()[0]
    assert cash in idle
    for journal_id in idle:
        assert db.execute("SELECT COUNT(*) FROM account_move WHERE journal_id = ? AND state = 'posted' "
                          "AND date >= ?", (journal_id, month_start)).fetchone()[0] == 0
    suspense = truth.defects_of("suspense_balance")[0]
    balance = db.execute("SELECT ROUND(SUM(balance), 2) FROM account_move_line WHERE account_id = ? "
                         "AND parent_state = 'posted'", suspense.ids).fetchone()[0]
    assert balance == suspense.details["balance"] and balance != 0
