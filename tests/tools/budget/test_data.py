"""Budget data pulled through the gateway: from the demo company (crossovered budgets, analytic lines,
purchase orders) and from small books built here (no budget module, journal items with a split
distribution and no analytic line, partially billed and foreign-currency purchase lines)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from ledgerpilot.calc.budget.frames import FRAMES, BudgetData, column_dtype
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.sandbox.server.runner import running_sandbox
from ledgerpilot.sandbox.store import database_path
from ledgerpilot.tools.budget.data import detect_budget_source, load_budget_data, load_purchase_order
from ledgerpilot.tools.budget.errors import PurchaseOrderNotFoundError
from tests.sandbox import ledger_books as books

PERIOD = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
TODAY = dt.date(2026, 11, 18)


@pytest.fixture(scope="module")
def demo_client(sandbox):
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        yield client


@pytest.fixture(scope="module")
def demo_budget(demo_client) -> BudgetData:
    return load_budget_data(demo_client, *PERIOD, today=TODAY)


def _assert_contract(data: BudgetData) -> None:
    for name, columns in FRAMES.items():
        frame = getattr(data, name)
        assert tuple(frame.columns) == columns, name
        for column in columns:
            expected = column_dtype(column)
            assert str(frame[column].dtype) == ("string" if expected == "string" else expected), (name, column)


# ------------------------------------------------------------------------------------------ demo company

def test_demo_frames_follow_the_contract(demo_budget):
    _assert_contract(demo_budget)
    assert demo_budget.currency == "EUR" and demo_budget.digits == 2
    assert demo_budget.source.kind == "crossovered"
    assert "crossovered.budget" in demo_budget.source.reason
    lines = demo_budget.budget_lines
    assert len(lines) > 0
    assert (lines["date_to"] >= pd.Timestamp(PERIOD[0])).all() and (lines["date_from"] <= pd.Timestamp(PERIOD[1])).all()
    assert lines["position_account_ids"].map(len).gt(0).all()
    assert lines["owner_name"].notna().all()
    # expense positions are planned negative, as Odoo keeps them
    expense = lines[lines["position_name"] != "Revenue"]
    assert (expense["planned_amount"] < 0).all()
    assert demo_budget.actuals["date"].min() >= pd.Timestamp(dt.date(2025, 1, 1))
    assert demo_budget.actuals["date"].max() <= pd.Timestamp(PERIOD[1])
    assert set(demo_budget.projects["analytic_account_id"].dropna()) <= set(demo_budget.analytic_accounts["id"])


def test_demo_budget_lines_match_odoo(demo_client, demo_budget):
    odoo = demo_client.search_read("crossovered.budget.lines", [], ["planned_amount", "analytic_account_id"])
    by_id = {row["id"]: row for row in odoo}
    lines = demo_budget.budget_lines
    assert len(lines) == len(odoo)
    for line_id, planned, account in zip(lines["line_id"], lines["planned_amount"], lines["analytic_account_id"]):
        assert by_id[line_id]["planned_amount"] == planned
        assert by_id[line_id]["analytic_account_id"][0] == account


def test_demo_actuals_equal_a_read_group_of_analytic_lines(demo_client, demo_budget):
    domain = [("date", ">=", "2025-01-01"), ("date", "<=", "2026-12-31")]
    expected: dict[int, float] = {}
    for column in ("account_id", "x_plan2_id"):
        for group in demo_client.read_group("account.analytic.line", domain + [(column, "!=", False)],
                                            ["amount:sum"], [column], lazy=False):
            account = group[column][0]
            expected[account] = round(expected.get(account, 0.0) + group["amount"], 2)
    actuals = demo_budget.actuals
    assert set(actuals["source"]) == {"analytic_line"}  # every demo item with a distribution has its lines
    got = actuals.groupby("analytic_account_id")["amount"].sum().round(2).to_dict()
    assert got == pytest.approx(expected, abs=0.005)
    assert actuals["move_name"].notna().mean() > 0.99


def test_demo_commitments_are_the_unbilled_rest_of_confirmed_lines(demo_client, demo_budget):
    lines = demo_client.search_read("purchase.order.line", [("state", "in", ["purchase", "done"])],
                                    ["product_qty", "qty_invoiced", "price_unit", "order_id"])
    orders = {o["id"]: o["currency_rate"] for o in demo_client.search_read("purchase.order", [], ["currency_rate"])}
    expected = {row["id"]: round((row["product_qty"] - row["qty_invoiced"]) * row["price_unit"]
                                 / (orders[row["order_id"][0]] or 1.0), 2)
                for row in lines if row["product_qty"] > row["qty_invoiced"]}
    commitments = demo_budget.commitments
    assert len(expected) > 0
    # a line distributed over several plans (a project and departments) is committed once per plan
    plan = demo_budget.analytic_accounts.set_index("id")["plan_id"]
    commitments = commitments.assign(plan=commitments["analytic_account_id"].map(plan).fillna(0))
    for (line_id, _plan), amount in commitments.groupby(["po_line_id", "plan"])["amount"].sum().items():
        assert round(amount, 2) == pytest.approx(expected[line_id], abs=0.011), line_id
    assert set(commitments["po_line_id"]) == set(expected)
    assert (commitments["amount"] > 0).all()
    assert set(commitments["order_state"]) <= {"purchase", "done"}


def test_demo_partially_billed_project_orders(sandbox, demo_client, demo_budget):
    from ledgerpilot.sandbox.generator.ground_truth import load_ground_truth

    truth = load_ground_truth(sandbox.data_dir)
    lines = demo_client.search_read("purchase.order.line", [("state", "=", "purchase"), ("qty_invoiced", ">", 0)],
                                    ["product_qty", "qty_invoiced", "price_unit", "analytic_distribution"])
    partial = [row for row in lines if row["qty_invoiced"] < row["product_qty"] and row["analytic_distribution"]]
    assert partial, "the demo has partially billed purchase lines with an analytic distribution"
    commitments = demo_budget.commitments
    for row in partial:
        rows = commitments[commitments["po_line_id"] == row["id"]].set_index("analytic_account_id")
        rest = round((row["product_qty"] - row["qty_invoiced"]) * row["price_unit"], 2)
        for key, percent in row["analytic_distribution"].items():
            assert rows.loc[int(key), "amount"] == pytest.approx(round(rest * percent / 100, 2))
            assert rows.loc[int(key), "share"] == pytest.approx(percent / 100)
    kinds = {case.kind for case in truth.budget_cases}
    assert kinds >= {"budget_within", "budget_drift", "budget_medium_overspend", "budget_high_overspend",
                     "po_exceeds_remaining_budget"}
    rfq = next(case for case in truth.budget_cases if case.kind == "po_exceeds_remaining_budget")
    draft = load_purchase_order(demo_client, rfq.details["purchase_order"])
    assert draft["order_state"].tolist() == ["draft"]
    assert draft["amount"].sum() == pytest.approx(rfq.details["amount"])


def test_demo_purchase_order_by_name(demo_client):
    name = demo_client.search_read("purchase.order", [], ["name"], limit=1)[0]["name"]
    lines = load_purchase_order(demo_client, name)
    assert tuple(lines.columns) == FRAMES["commitments"]
    assert set(lines["order_name"]) == {name}
    with pytest.raises(PurchaseOrderNotFoundError, match="P99999"):
        load_purchase_order(demo_client, "P99999")


def test_period_must_not_end_before_it_starts(demo_client):
    with pytest.raises(ValueError, match="ends"):
        load_budget_data(demo_client, dt.date(2026, 2, 1), dt.date(2026, 1, 1), today=TODAY)


# ------------------------------------------------------------------------------------------ small books

MARKETING, RESEARCH, LAUNCH = 1, 2, 3
PROJECTS_PLAN, DEPARTMENTS_PLAN = 1, 2
INSTALLED = ["res.partner", "account.move", "account.move.line", "account.account", "account.analytic.plan",
             "account.analytic.account", "account.analytic.line", "purchase.order", "purchase.order.line",
             "product.product", "project.project"]


def _books(folder: Path, installed: list[str] = INSTALLED) -> Path:
    """The write-test books, plus analytic accounts, journal items with distributions (one 60/40 split
    without analytic lines, one with its analytic line) and purchase orders; no budget module."""
    folder.mkdir(parents=True, exist_ok=True)
    store = books.build_books(database_path(folder))
    try:
        store.conn.execute("DELETE FROM ir_model")
        store.bulk_insert("ir.model", [{"id": i, "model": model, "name": model, "order": "id"}
                                       for i, model in enumerate(installed, start=1)])
        store.bulk_insert("account.analytic.plan", [
            {"id": PROJECTS_PLAN, "name": "Projects", "complete_name": "Projects", "parent_path": "1/"},
            {"id": DEPARTMENTS_PLAN, "name": "Departments", "complete_name": "Departments", "parent_path": "2/"}])
        store.bulk_insert("account.analytic.account", [
            {"id": MARKETING, "name": "Marketing", "code": "DEP1", "plan_id": 2, "root_plan_id": 2, "company_id": 1,
             "active": True},
            {"id": RESEARCH, "name": "Research", "code": "DEP2", "plan_id": 2, "root_plan_id": 2, "company_id": 1,
             "active": True},
            {"id": LAUNCH, "name": "Launch", "code": "PRJ1", "plan_id": 1, "root_plan_id": 1, "company_id": 1,
             "active": True}])
        _entry(store, 10, "MISC/2026/03/0001", "2026-03-10", 1000.01, {str(MARKETING): 60.0, str(RESEARCH): 40.0})
        _entry(store, 11, "MISC/2026/03/0002", "2026-03-12", 0.01, {f"{MARKETING},{LAUNCH}": 50.0,
                                                                   f"{RESEARCH}": 50.0})
        item = _entry(store, 12, "MISC/2026/03/0003", "2026-03-15", 250.0, {str(RESEARCH): 100.0})
        store.bulk_insert("account.analytic.line", [{
            "id": 1, "name": "research costs", "date": "2026-03-15", "amount": -250.0, "x_plan2_id": RESEARCH,
            "general_account_id": books.EXPENSES, "move_line_id": item, "company_id": 1, "currency_id": 1,
            "category": "other"}])
        store.bulk_insert("res.currency.rate", [{"id": 2, "name": "2026-02-01", "rate": 0.8, "currency_id": 2,
                                                 "company_id": 1}])
        store.bulk_insert("purchase.order", [
            {"id": 1, "name": "P00001", "partner_id": books.DECO, "state": "purchase", "currency_id": 1,
             "currency_rate": 1.0, "company_id": 1, "date_order": "2026-02-01 10:00:00"},
            {"id": 2, "name": "P00002", "partner_id": books.AZURE, "state": "draft", "currency_id": 1,
             "currency_rate": 1.0, "company_id": 1, "date_order": "2026-11-10 10:00:00"},
            {"id": 3, "name": "P00003", "partner_id": books.DECO, "state": "purchase", "currency_id": 2,
             "currency_rate": 0.8, "company_id": 1, "date_order": "2026-02-01 10:00:00"}])
        line = {"state": "purchase", "company_id": 1, "currency_id": 1, "partner_id": books.DECO, "discount": 0.0,
                "date_planned": "2026-12-01 12:00:00"}
        store.bulk_insert("purchase.order.line", [
            {**line, "id": 1, "order_id": 1, "name": "consulting days", "product_qty": 10.0, "qty_invoiced": 4.0,
             "price_unit": 125.5, "analytic_distribution": {str(MARKETING): 60.0, str(RESEARCH): 40.0}},
            {**line, "id": 2, "order_id": 1, "name": "fully billed", "product_qty": 2.0, "qty_invoiced": 2.0,
             "price_unit": 80.0, "analytic_distribution": {str(MARKETING): 100.0}},
            {**line, "id": 3, "order_id": 2, "state": "draft", "name": "launch event", "product_qty": 3.0,
             "qty_invoiced": 0.0, "price_unit": 1000.0, "analytic_distribution": {str(LAUNCH): 100.0}},
            {**line, "id": 4, "order_id": 3, "currency_id": 2, "name": "EUR services", "product_qty": 2.0,
             "qty_invoiced": 0.0, "price_unit": 100.0, "discount": 10.0, "analytic_distribution": None}])
        store.conn.commit()
    finally:
        store.close()
    return folder


def _entry(store, move_id: int, name: str, day: str, amount: float, distribution: dict) -> int:
    """A posted expense entry (expense line with ``distribution``), returning the expense line's id."""
    prefix, number = name.rsplit("/", 1)
    store.bulk_insert("account.move", [{
        "id": move_id, "name": name, "move_type": "entry", "journal_id": books.MISC, "company_id": 1,
        "currency_id": 1, "date": day, "state": "posted", "posted_before": True, "auto_post": "no",
        "amount_total": amount, "amount_total_signed": amount, "sequence_prefix": prefix + "/",
        "sequence_number": int(number), "payment_state": "not_paid"}])
    common = {"move_id": move_id, "date": day, "journal_id": books.MISC, "company_id": 1, "currency_id": 1,
              "company_currency_id": 1, "parent_state": "posted", "move_name": name, "display_type": "product"}
    ids = store.bulk_insert("account.move.line", [
        {**common, "account_id": books.EXPENSES, "name": f"{name} cost", "debit": amount, "credit": 0.0,
         "balance": amount, "amount_currency": amount, "analytic_distribution": distribution},
        {**common, "account_id": books.LIABILITIES, "name": f"{name} due", "debit": 0.0, "credit": amount,
         "balance": -amount, "amount_currency": -amount}])
    return ids[0]


@pytest.fixture(scope="module")
def small_books(tmp_path_factory):
    folder = _books(tmp_path_factory.mktemp("budget-books") / "books")
    with running_sandbox(folder) as handle, connect(demo_connection(handle.url, "readonly")) as client:
        yield client


@pytest.fixture(scope="module")
def small_budget(small_books) -> BudgetData:
    return load_budget_data(small_books, *PERIOD, today=TODAY)


def test_small_books_follow_the_contract(small_budget):
    _assert_contract(small_budget)
    assert small_budget.currency == "USD"
    assert small_budget.budget_lines.empty


def test_split_distribution_adds_up_to_the_cent(small_budget):
    actuals = small_budget.actuals
    split = actuals[actuals["move_name"] == "MISC/2026/03/0001"].set_index("analytic_account_id")
    assert set(split["source"]) == {"move_line"}
    assert split.loc[MARKETING, "amount"] == pytest.approx(-600.01, abs=1e-9)
    assert split.loc[RESEARCH, "amount"] == pytest.approx(-400.00, abs=1e-9)
    assert round(split["amount"].sum(), 2) == -1000.01
    # one cent 50/50 within a plan is still one cent, and the combined key also books the project
    cent = actuals[actuals["move_name"] == "MISC/2026/03/0002"].set_index("analytic_account_id")["amount"]
    assert round(cent.loc[[MARKETING, RESEARCH]].sum(), 2) == -0.01
    assert cent.loc[LAUNCH] == pytest.approx(-0.01)  # 50% of -0.01 on its own plan, rounded half away from 0
    assert len(cent) == 3


def test_items_with_analytic_lines_are_not_counted_twice(small_budget):
    actuals = small_budget.actuals
    research = actuals[actuals["move_name"] == "MISC/2026/03/0003"]
    assert len(research) == 1
    assert research.iloc[0]["source"] == "analytic_line"
    assert research.iloc[0]["amount"] == -250.0


def test_commitments_partial_billing_split_and_currency(small_budget):
    commitments = small_budget.commitments
    assert set(commitments["po_line_id"]) == {1, 4}  # line 2 is billed in full, line 3 is a draft
    partial = commitments[commitments["po_line_id"] == 1].set_index("analytic_account_id")
    # (10 ordered - 4 billed) * 125.50 = 753.00, split 60/40
    assert partial.loc[MARKETING, "amount"] == pytest.approx(451.80)
    assert partial.loc[RESEARCH, "amount"] == pytest.approx(301.20)
    assert round(partial["amount"].sum(), 2) == round((10 - 4) * 125.5, 2)
    assert partial["share"].to_dict() == {MARKETING: 0.6, RESEARCH: 0.4}
    foreign = commitments[commitments["po_line_id"] == 4].iloc[0]
    # 2 * 100 EUR less 10%, at 0.8 EUR per USD
    assert foreign["amount"] == pytest.approx(225.0)
    assert pd.isna(foreign["analytic_account_id"]) and foreign["share"] == 1.0


def test_without_analytic_lines_every_item_is_split(tmp_path):
    folder = _books(tmp_path / "books", [m for m in INSTALLED if m != "account.analytic.line"])
    with running_sandbox(folder) as handle, connect(demo_connection(handle.url, "readonly")) as client:
        data = load_budget_data(client, *PERIOD, today=TODAY)
    actuals = data.actuals
    assert set(actuals["source"]) == {"move_line"}
    research = actuals[actuals["move_name"] == "MISC/2026/03/0003"]
    assert research["amount"].tolist() == [-250.0] and research["analytic_account_id"].tolist() == [RESEARCH]
    assert round(actuals["amount"].sum(), 2) == round(-(1000.01 + 0.01 + 250.0) - 0.01, 2)  # Launch's cent too


def test_draft_purchase_order_is_read_by_name(small_books):
    lines = load_purchase_order(small_books, "P00002")
    assert lines["order_state"].tolist() == ["draft"]
    assert lines["analytic_account_id"].tolist() == [LAUNCH]
    assert lines["amount"].tolist() == [3000.0]


def test_detection_without_a_budget_module(small_books, tmp_path):
    none = detect_budget_source(small_books)
    assert none.kind == "none"
    assert "crossovered.budget is not installed" in none.reason
    assert "budget file" in none.reason and "account_budget" in none.reason
    budget_file = tmp_path / "budget.csv"
    budget_file.write_text("analytic_account,period,amount,accounts\nDEP1,2026-Q1,900,600000\n"
                           "Research,2026-03,300,\nPRJ1,2025,50,\n", encoding="utf-8")
    source = detect_budget_source(small_books, budget_file)
    assert source.kind == "file" and source.path == str(budget_file)
    data = load_budget_data(small_books, *PERIOD, today=TODAY, budget_file=budget_file)
    lines = data.budget_lines
    assert lines["analytic_account_id"].tolist() == [MARKETING, RESEARCH]  # the 2025 line is outside the period
    assert lines["planned_amount"].tolist() == [-900.0, -300.0]
    assert lines["position_account_ids"].tolist() == [[books.EXPENSES], []]
    assert lines["date_to"].tolist() == [pd.Timestamp("2026-03-31"), pd.Timestamp("2026-03-31")]
    assert data.source.budget_count == 1


def test_detection_when_the_module_is_installed_without_budgets(tmp_path):
    folder = _books(tmp_path / "books")
    from ledgerpilot.sandbox.store import Store

    store = Store(database_path(folder))
    try:
        store.bulk_insert("ir.model", [{"id": 50, "model": "crossovered.budget", "name": "Budget", "order": "id"}])
        store.conn.commit()
    finally:
        store.close()
    with running_sandbox(folder) as handle, connect(demo_connection(handle.url, "readonly")) as client:
        source = detect_budget_source(client)
    assert source.kind == "none"
    assert "crossovered.budget is installed but holds no budget" in source.reason


def test_demo_detection_prefers_odoo_budgets_over_a_file(demo_client, tmp_path):
    budget_file = tmp_path / "budget.yaml"
    budget_file.write_text("- {analytic_account: Sales, period: 2026-Q1, amount: 10}\n", encoding="utf-8")
    source = detect_budget_source(demo_client, budget_file)
    assert source.kind == "crossovered"
    assert "not used" in source.reason
    assert source.budget_count == 2  # the departments' budget and the projects' budget


# ------------------------------------------------------------------------------------------ Odoo 18 budgets

def test_budget_analytic_lines_map_to_the_contract():
    """``budget.analytic`` / ``budget.line`` (Odoo 18+), shaped as the gateway extracts them: expense
    budgets turn negative, revenue stays positive, the first plan column that is set names the account."""
    from ledgerpilot.tools.budget.sources import analytic_plan_columns, map_budget_analytic

    columns = analytic_plan_columns({"account_id": {"relation": "account.analytic.account"},
                                     "x_plan12_id": {"relation": "account.analytic.account"},
                                     "x_plan3_id": {"relation": "account.analytic.account"},
                                     "auto_account_id": {"relation": "account.analytic.account"},
                                     "x_plan4_id": {"relation": "res.partner"}})
    assert columns == ["account_id", "x_plan3_id", "x_plan12_id"]
    budgets = pd.DataFrame({"id": pd.array([1, 2, 3], dtype="Int64"), "name": ["Costs", "Sales", "Old"],
                            "state": ["confirmed", "confirmed", "draft"],
                            "budget_type": ["expense", "revenue", "both"],
                            "user_id_id": pd.array([7, None, 7], dtype="Int64"),
                            "user_id_name": ["Clara", None, "Clara"]})
    lines = pd.DataFrame({
        "id": pd.array([10, 11, 12, 13], dtype="Int64"),
        "budget_analytic_id_id": pd.array([1, 2, 3, 99], dtype="Int64"),
        "date_from": pd.to_datetime(["2026-01-01"] * 4), "date_to": pd.to_datetime(["2026-03-31"] * 4),
        "budget_amount": [5000.0, 8000.0, -100.0, 1.0],
        "account_id_id": pd.array([None, 5, None, None], dtype="Int64"),
        "account_id_name": [None, "Launch", None, None],
        "x_plan3_id_id": pd.array([2, 3, 4, None], dtype="Int64"),
        "x_plan3_id_name": ["Research", "Sales", "Admin", None],
        "x_plan12_id_id": pd.array([None, None, None, None], dtype="Int64"),
        "x_plan12_id_name": [None, None, None, None],
    })
    frame = map_budget_analytic(budgets, lines, columns)
    assert tuple(frame.columns) == FRAMES["budget_lines"]
    assert frame["line_id"].tolist() == [10, 11, 12]  # line 13 belongs to no known budget
    assert frame["analytic_account_id"].tolist() == [2, 5, 4]
    assert frame["analytic_account_name"].tolist() == ["Research", "Launch", "Admin"]
    assert frame["planned_amount"].tolist() == [-5000.0, 8000.0, -100.0]
    assert frame["owner_name"].tolist()[0] == "Clara" and pd.isna(frame["owner_id"].iloc[1])
    assert frame["position_account_ids"].tolist() == [[], [], []]
    assert frame["budget_state"].tolist() == ["confirmed", "confirmed", "draft"]
