"""Budget orchestration against the real sandbox: periods, status, proposals stored once, the memory of
past exceptions (real embedding model and Chroma), purchase-order checks and project burn-down."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerpilot.calc.budget.errors import UnknownProjectError
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.tools.budget.errors import PurchaseOrderNotFoundError
from ledgerpilot.tools.budget.watch import (
    BudgetRequest,
    BudgetUsageError,
    check_purchase_order,
    parse_period,
    project_burndown,
    risk_id,
    run_budget,
)
from tests.conftest import DEMO_TODAY


@pytest.fixture(scope="module")
def memory_model():
    """The sentence-embedding model, loaded once for the module (skips nothing: it must be installed)."""
    from ledgerpilot.memory.exceptions import load_embedder

    return load_embedder()


@pytest.fixture()
def client(sandbox):
    with connect(demo_connection(sandbox.url, "readonly")) as connected:
        yield connected


# ---------------------------------------------------------------------------------------------- periods


@pytest.mark.parametrize("text, start, end, label", [
    ("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31), "2026"),
    ("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026-Q4"),
    ("2026q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31), "2026-Q1"),
    ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "2024-02"),
    ("2026-11", dt.date(2026, 11, 1), dt.date(2026, 11, 30), "2026-11"),
])
def test_parse_period(text, start, end, label):
    period = parse_period(text)
    assert (period.start, period.end, period.label) == (start, end, label)


@pytest.mark.parametrize("text", ["", "26", "2026-13", "2026-Q5", "Q4", "2026-11-18", "last year"])
def test_parse_period_refuses_what_it_cannot_read(text):
    with pytest.raises(BudgetUsageError, match="is not a year"):
        parse_period(text)


# ------------------------------------------------------------------------------------------------ status


def test_budget_run_current_period_proposals_stored_once(client, tmp_path):
    home = tmp_path / "home"
    request = BudgetRequest(as_of=DEMO_TODAY, use_memory=False)
    first = run_budget(client, home, request)
    assert first.source_kind == "crossovered"
    lines = first.report.lines
    assert lines and all(line.date_from <= DEMO_TODAY <= line.date_to for line in lines)
    # the current period: every budget line running on the day (quarterly and yearly lines alike)
    assert first.period == "current"
    assert first.period_start == min(line.date_from for line in lines) <= dt.date(2026, 10, 1)
    assert first.period_end == max(line.date_to for line in lines) >= dt.date(2026, 12, 31)
    for line in lines:   # the figures hold together to the cent
        if line.direction == "expense":
            assert line.available == line.planned - line.actual - line.committed
    tiers = {line.tier for line in lines}
    assert tiers & {"note", "medium", "high"}, tiers
    assert [line.key for line in first.at_risk] == [line.key for line in first.report.at_risk()]
    assert first.proposals and first.new_proposals == len(first.proposals)
    assert {p.state for p in first.proposals} == {"proposed"}
    assert first.memory_note and "--no-memory" in first.memory_note and first.recorded_exceptions == 0
    assert first.timings.compute_seconds >= 0 and first.timings.extraction_seconds > 0

    again = run_budget(client, home, request)
    assert again.new_proposals == 0 and again.run_id != first.run_id
    assert [p.id for p in again.proposals] == [p.id for p in first.proposals]
    with StateDB.in_home(home) as db:
        assert len(ProposalStore(db).list()) == len(first.proposals)


def test_budget_run_for_one_account_and_an_explicit_period(client, tmp_path):
    result = run_budget(client, tmp_path / "home", BudgetRequest(period="2026-Q3", account="Operations",
                                                                 as_of=DEMO_TODAY, use_memory=False))
    assert (result.period_start, result.period_end, result.period) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30),
                                                                      "2026-Q3")
    assert result.report.lines
    assert {line.analytic_account_name.split("] ")[-1] for line in result.report.lines} == {"Operations"}
    assert all(line.date_to <= dt.date(2026, 9, 30) for line in result.report.lines)
    # the quarter is over: nothing is projected beyond what was spent
    assert all(line.projection_method == "period_over" for line in result.report.lines)


# ------------------------------------------------------------------------------------------------ memory


@pytest.mark.slow
def test_memory_recalls_past_resolutions_and_keeps_them(client, tmp_path, memory_model):
    from ledgerpilot.memory.exceptions import ExceptionMemory, PastException

    home = tmp_path / "home"
    memory = ExceptionMemory(home / "memory", embedder=memory_model)
    past = PastException(
        id="budget:past:2025-q4-ops", kind="budget_overrun", category="budget overrun: Purchases & Services",
        title="Budget overrun risk: Operations / Purchases & Services (2025-10-01 to 2025-12-31)",
        text="Operations Purchases & Services budget 2025-10-01 to 2025-12-31: planned 40,000.00 EUR, actual "
             "39,500.00, committed 9,000.00, projected overspend +23.8%, tier high.",
        occurred_on=dt.date(2025, 11, 20), partner="", amount=Decimal("9500.00"),
        resolution="budget transfer of 10,000 EUR from Administration approved by the CFO",
        status="resolved", metadata={})
    memory.add([past])
    del memory

    request = BudgetRequest(as_of=DEMO_TODAY)
    first = run_budget(client, home, request)
    assert first.memory_note is None
    at_risk = first.at_risk
    assert first.recorded_exceptions == len(at_risk) > 0
    recalled = [case for cases in first.similar.values() for case in cases]
    assert any(case.id == past.id and case.resolution == past.resolution for case in recalled)
    assert all(0.0 <= case.similarity <= 1.0 for case in recalled)
    current = {risk_id("crossovered", line) for line in at_risk}
    assert not current & {case.id for case in recalled}     # a risk is never its own precedent

    # someone resolves one of the recorded risks; the next run must not reopen it
    memory = ExceptionMemory(home / "memory", embedder=memory_model)
    chosen = risk_id("crossovered", at_risk[0])
    opened = memory.get(chosen)
    assert opened.kind == "budget_overrun" and opened.status == "open" and opened.occurred_on == DEMO_TODAY
    memory.resolve(chosen, "PO put on hold until January")
    del memory
    second = run_budget(client, home, request)
    assert second.recorded_exceptions == len(at_risk) - 1
    kept = ExceptionMemory(home / "memory", embedder=memory_model).get(chosen)
    assert kept.status == "resolved" and kept.resolution == "PO put on hold until January"
    assert second.new_proposals == 0


def test_budget_run_continues_without_the_model_and_says_so(client, tmp_path):
    result = run_budget(client, tmp_path / "home", BudgetRequest(as_of=DEMO_TODAY,
                                                                 memory_model="no-such-embedding-model"))
    assert result.report.lines and result.proposals and result.similar == {} and result.recorded_exceptions == 0
    assert result.memory_note and "no-such-embedding-model" in result.memory_note
    assert "continuing without past cases" in result.memory_note


# ---------------------------------------------------------------------------------------- purchase orders


def test_check_po_confirmed_order(client):
    confirmed = client.search_read("purchase.order", [("state", "=", "purchase")], ["name"], limit=1,
                                   order="id desc")
    outcome = check_purchase_order(client, confirmed[0]["name"], as_of=DEMO_TODAY)
    assert outcome.check.order_name == confirmed[0]["name"] and outcome.check.order_state == "purchase"
    assert outcome.check.fits in (True, False, None) and outcome.check.reason


def test_check_po_missing_order(client):
    with pytest.raises(PurchaseOrderNotFoundError, match="P99999"):
        check_purchase_order(client, "P99999", as_of=DEMO_TODAY)


def make_draft_po(client, amount: float, distribution: dict[str, float], planned: str = "2026-12-01") -> str:
    """A draft purchase order of one line for ``amount`` split by ``distribution``; returns its name."""
    partner = client.search_read("res.partner", [("supplier_rank", ">", 0)], ["id"], limit=1)[0]["id"]
    product = client.search_read("product.product", [("purchase_ok", "=", True)], ["id", "name"], limit=1)[0]
    order_id = client.create("purchase.order", {
        "partner_id": partner, "state": "draft", "date_order": f"{DEMO_TODAY} 09:00:00",
        "date_planned": f"{planned} 12:00:00", "amount_untaxed": amount,
        "order_line": [(0, 0, {"product_id": product["id"], "name": product["name"], "product_qty": 1.0,
                               "price_unit": amount, "price_subtotal": amount, "qty_invoiced": 0.0,
                               "state": "draft", "date_planned": f"{planned} 12:00:00",
                               "analytic_distribution": distribution})]})
    return client.read("purchase.order", [order_id], ["name"])[0]["name"]


def _department(client, name: str) -> int:
    return client.search_read("account.analytic.account", [("name", "=", name)], ["id"])[0]["id"]


def test_check_po_draft_that_does_not_fit_and_one_that_does(fresh_sandbox):
    with connect(demo_connection(fresh_sandbox.url, "admin")) as admin:
        ops, admin_dept = _department(admin, "Operations"), _department(admin, "Administration")
        big = make_draft_po(admin, 5_000_000.0, {str(ops): 60.0, str(admin_dept): 40.0})
        small = make_draft_po(admin, 10.0, {str(ops): 100.0})
        outcome = check_purchase_order(admin, big, as_of=DEMO_TODAY)
        check = outcome.check
        assert check.order_name == big and check.order_state == "draft"
        assert check.fits is False
        shares = {row.analytic_account_name.split("] ")[-1]: row.amount for row in check.accounts}
        assert shares["Operations"] + shares["Administration"] == Decimal("5000000.00")
        assert shares["Operations"] == Decimal("3000000.00")
        for row in check.accounts:
            if row.available_before is not None:
                assert row.available_after == row.available_before - row.amount
        small_check = check_purchase_order(admin, small, as_of=DEMO_TODAY).check
        assert [row.amount for row in small_check.accounts] == [Decimal("10.00")]


# ------------------------------------------------------------------------------------------------ projects


def test_project_burn_for_a_demo_project(client):
    projects = client.search_read("project.project", [("analytic_account_id", "!=", False)], ["name"], limit=1)
    outcome = project_burndown(client, projects[0]["name"], as_of=DEMO_TODAY)
    burn = outcome.burn
    assert burn.project_name == projects[0]["name"] and burn.as_of == DEMO_TODAY
    assert burn.cost_to_date >= 0 and burn.committed >= 0 and burn.reason
    assert burn.projected_final_cost >= burn.cost_to_date


def test_project_burn_unknown_project(client):
    with pytest.raises(UnknownProjectError, match="No Such Project"):
        project_burndown(client, "No Such Project", as_of=DEMO_TODAY)


def test_check_po_the_demo_draft_request_for_quotation(client):
    """The demo company carries a draft RFQ on a project whose budget it would overrun."""
    drafts = client.search_read("purchase.order", [("state", "=", "draft")], ["name"], order="id")
    assert drafts, "the demo company has a draft purchase order"
    check = check_purchase_order(client, drafts[0]["name"], as_of=DEMO_TODAY).check
    assert check.order_state == "draft" and check.fits is False
    [row] = check.accounts
    assert row.fits is False and row.available_after == row.available_before - row.amount < 0
