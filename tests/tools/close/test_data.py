"""Close data pulled through the gateway from the demo company (a running sandbox), and from a copy
of it without bank statements and analytic accounting."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from ledgerpilot.calc.close import CloseConfig, run_checks
from ledgerpilot.calc.close.frames import FRAMES, CloseData, column_dtype
from ledgerpilot.domain.month import Month
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.sandbox.generator import load_ground_truth
from ledgerpilot.sandbox.server.runner import running_sandbox
from ledgerpilot.sandbox.store import Store, database_path
from ledgerpilot.tools.close.data import load_close_data, month_of_label

TODAY = dt.date(2026, 11, 18)
NOVEMBER = Month(2026, 11)


@pytest.fixture(scope="module")
def demo_client(sandbox):
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        yield client


@pytest.fixture(scope="module")
def november(demo_client) -> CloseData:
    stages: list[str] = []
    data = load_close_data(demo_client, NOVEMBER, today=TODAY, progress=stages.append)
    assert stages[0] == "company" and "journal items of the period" in stages
    return data


def test_frames_follow_the_contract(november):
    for name, columns in FRAMES.items():
        frame = getattr(november, name)
        assert tuple(frame.columns) == columns, name
        for column in columns:
            expected = column_dtype(column)
            assert str(frame[column].dtype) == ("string" if expected == "string" else expected), (name, column)
    assert november.currency == "EUR" and november.digits == 2 and november.month == NOVEMBER
    assert november.history == tuple(NOVEMBER.shift(-n) for n in range(6, 0, -1))
    assert set(november.lock_dates) == {"fiscalyear_lock_date", "period_lock_date", "tax_lock_date"}
    assert november.unavailable == {}


def test_period_lines_and_drafts_are_those_odoo_holds(demo_client, november):
    period = [("date", ">=", "2026-11-01"), ("date", "<=", "2026-11-30")]
    posted = demo_client.search("account.move.line", [("parent_state", "=", "posted"), *period])
    assert sorted(november.period_lines["id"].tolist()) == sorted(posted)
    drafts = demo_client.search("account.move", [("state", "=", "draft"), *period])
    assert sorted(november.draft_moves["id"].tolist()) == sorted(drafts)
    # flags read from the items themselves
    sample = november.period_lines.iloc[:50]
    rows = {r["id"]: r for r in demo_client.read("account.move.line", sample["id"].tolist(),
                                                   ["analytic_distribution", "tax_ids"])}
    assert sample["has_analytic"].tolist() == [bool(rows[i]["analytic_distribution"]) for i in sample["id"]]
    assert sample["has_taxes"].tolist() == [bool(rows[i]["tax_ids"]) for i in sample["id"]]


def test_history_sums_agree_with_the_period_items(november):
    history = november.account_history
    now = history[history["month"] == "2026-11"].set_index("account_id")["balance"]
    from_lines = november.period_lines.groupby("account_id")["balance"].sum()
    assert sorted(now.index) == sorted(from_lines.index)
    for account_id, total in from_lines.items():
        assert round(now[account_id], 2) == round(total, 2)
    assert set(history["month"]) == {m.label for m in (*november.history, NOVEMBER)}
    assert (november.journal_activity["move_count"] > 0).all()


def test_control_accounts_and_open_items(demo_client, november, demo_data_dir):
    codes = november.accounts.set_index("id")["code"]
    assert [codes[a] for a in november.suspense_account_ids] == ["101402"]
    assert sorted(codes[a] for a in november.outstanding_account_ids) == ["101403", "101404"]
    truth = load_ground_truth(demo_data_dir)
    labelled = {i for d in truth.defects_of("unreconciled_bank_line") for i in d.ids}
    assert labelled <= set(november.bank_lines["id"])
    assert not any(r["is_reconciled"] for r in demo_client.read(
        "account.bank.statement.line", november.bank_lines["id"].tolist(), ["is_reconciled"]))
    balances = november.control_balances.set_index("account_id")["balance"]
    [suspense] = truth.defects_of("suspense_balance")
    assert round(balances[november.suspense_account_ids[0]], 2) == suspense.details["balance"]
    partnerless = {i for d in truth.defects_of("receivable_subledger_difference") for i in d.ids}
    assert partnerless <= set(november.partnerless_lines["id"])


def test_month_labels_of_odoo_groups():
    assert month_of_label("November 2026") == "2026-11"
    with pytest.raises(ValueError, match="'Novembre 2026'"):
        month_of_label("Novembre 2026")


def test_history_months_must_be_positive(demo_client):
    with pytest.raises(ValueError, match="history_months must be at least 1"):
        load_close_data(demo_client, NOVEMBER, today=TODAY, history_months=0)


def test_without_bank_statements_and_analytic_the_checks_are_skipped(demo_data_dir, tmp_path):
    folder = tmp_path / "books"
    shutil.copytree(demo_data_dir, folder)
    store = Store(database_path(folder))
    try:
        store.conn.execute("DELETE FROM ir_model WHERE model IN ('account.bank.statement.line', "
                           "'account.bank.statement', 'account.analytic.account', 'account.analytic.line')")
        store.conn.commit()
    finally:
        store.close()
    with running_sandbox(folder) as handle, connect(demo_connection(handle.url, "readonly")) as client:
        data = load_close_data(client, NOVEMBER, today=TODAY, history_months=3)
    assert set(data.unavailable) == {"bank_statements", "analytic"}
    assert data.bank_lines.empty and data.analytic_history.empty and not data.analytic_rules.available
    items = {i.check: i for i in run_checks(data, CloseConfig()).items}
    assert items["unreconciled_bank_lines"].status == "skipped"
    assert "account.bank.statement.line" in items["unreconciled_bank_lines"].detail
    assert items["missing_analytic"].status == "skipped"
    assert items["draft_moves"].status == "failed"
    assert isinstance(data.period_lines, pd.DataFrame) and len(data.history) == 3
