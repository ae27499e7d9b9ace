"""The agent's budget tools on the demo sandbox: the same figures as the budget capabilities, errors in words,
answers from the context's cache the second time, and offline answers whose every number is grounded."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from ledgerpilot.agent.answer_templates import render_answer
from ledgerpilot.agent.grounding import check_numbers
from ledgerpilot.config import Settings
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.tools.agent.toolkit import ToolContext, all_tools, run_tool
from ledgerpilot.tools.budget.watch import BudgetRequest, check_purchase_order, project_burndown, run_budget
from tests.conftest import DEMO_TODAY


@pytest.fixture(scope="module")
def ctx(client, tmp_path_factory):
    return ToolContext(client=client, settings=Settings(home=tmp_path_factory.mktemp("agent-budget-home")),
                       today=DEMO_TODAY, run_id="chat-budget")


@pytest.fixture(scope="module")
def direct_budget(client, tmp_path_factory):
    """``ledgerpilot budget`` as the CLI runs it (without a memory), in a home of its own."""
    return run_budget(client, tmp_path_factory.mktemp("direct-budget-home"),
                      BudgetRequest(as_of=DEMO_TODAY, use_memory=False), today=DEMO_TODAY)


def _grounded(result) -> str:
    text = render_answer(result)
    report = check_numbers(text, [result])
    assert report.ok, (text, report.failures)
    return text


def test_budget_status_has_the_figures_of_the_budget_run(ctx, direct_budget):
    result = run_tool(ctx, "budget_status", {})
    assert result.ok, result.error
    data = result.data
    report = direct_budget.report
    at_risk = direct_budget.at_risk
    assert data["period"] == direct_budget.period and data["currency"] == direct_budget.currency == "EUR"
    assert data["line_count"] == len(report.lines) and data["at_risk_count"] == len(at_risk) > 0
    assert data["high_count"] == sum(1 for line in report.lines if line.tier == "high")
    expense = [line for line in report.lines if line.direction == "expense"]
    assert Decimal(data["expense"]["planned"]) == sum(line.planned for line in expense)
    assert Decimal(data["expense"]["actual"]) == sum(line.actual for line in expense)
    assert Decimal(data["expense"]["committed"]) == sum(line.committed for line in expense)
    shown = data["lines_at_risk"]
    assert [row["key"] for row in shown] == [line.key for line in at_risk[:len(shown)]]
    for row, line in zip(shown, at_risk):
        assert (row["tier"], Decimal(row["planned"]), Decimal(row["actual"]), Decimal(row["projected_total"])) == \
            (line.tier, line.planned, line.actual, line.projected_total)
        assert row["projected_overspend_ratio"] == pytest.approx(line.projected_overspend_pct, abs=1e-4)
    cited = {(c.model, c.id) for c in result.citations}
    assert ("account.analytic.account", at_risk[0].analytic_account_id) in cited
    assert all(c.url.startswith(ctx.client.url) and "model=" in c.url for c in result.citations)
    # a question never queues work: the proposals the risks call for are counted, none is stored
    assert data["proposals_called_for"] == len(direct_budget.proposals) > 0
    with StateDB.in_home(ctx.home) as db:
        assert ProposalStore(db).list() == []
    text = _grounded(result)
    assert "at risk" in text and at_risk[0].analytic_account_name in text


def test_a_second_question_is_answered_from_the_context(ctx):
    run_tool(ctx, "budget_status", {})
    started = time.perf_counter()
    again = run_tool(ctx, "budget_status", {})
    assert again.ok and time.perf_counter() - started < 0.05


def test_a_period_is_checked_before_anything_is_read(ctx):
    result = run_tool(ctx, "budget_status", {"period": "Q4 2026"})
    assert not result.ok and "is not a year (2026), a quarter (2026-Q4) or a month" in result.error
    quarter = run_tool(ctx, "budget_status", {"period": "2026-Q4"})
    assert quarter.ok and quarter.data["period"] == "2026-Q4" and quarter.data["period_start"] == "2026-10-01"


def test_purchase_order_check_matches_the_capability(ctx, client):
    orders = client.search_read("purchase.order", [("state", "in", ["draft", "purchase"])], ["name"], order="id desc",
                                limit=2)
    for name in (row["name"] for row in orders):
        direct = check_purchase_order(client, name, as_of=DEMO_TODAY).check
        result = run_tool(ctx, "purchase_order_check", {"order": name})
        assert result.ok, result.error
        data = result.data
        assert (data["order"], data["fits"], Decimal(data["total"])) == (direct.order_name, direct.fits, direct.total)
        assert [(row["analytic_account"], Decimal(row["amount"]), row["available_after"]) for row in data["accounts"]] \
            == [(row.analytic_account_name, row.amount, None if row.available_after is None
                 else str(row.available_after)) for row in direct.accounts]
        assert ("purchase.order", direct.order_id) in {(c.model, c.id) for c in result.citations}
        text = _grounded(result)
        assert name in text and ("does not fit" in text) == (direct.fits is False)


def test_an_unknown_purchase_order_is_an_error_in_words(ctx):
    result = run_tool(ctx, "purchase_order_check", {"order": "P99999"})
    assert not result.ok and "no purchase order named 'P99999'" in result.error
    assert "I could not get the purchase order check" in render_answer(result)


def test_project_burndown_matches_the_capability(ctx, client):
    project = client.search_read("project.project", [], ["name"], order="id", limit=1)[0]["name"]
    direct = project_burndown(client, project, as_of=DEMO_TODAY).burn
    result = run_tool(ctx, "project_burndown", {"project": project.upper()})
    assert result.ok, result.error
    data = result.data
    assert data["project"] == direct.project_name
    assert (Decimal(data["budget"]), Decimal(data["cost_to_date"]), Decimal(data["committed"]),
            Decimal(data["projected_final_cost"])) == (direct.budget, direct.cost_to_date, direct.committed,
                                                       direct.projected_final_cost)
    assert data["runout_date"] == (direct.runout_date.isoformat() if direct.runout_date else None)
    assert {c.model for c in result.citations} == {"project.project", "account.analytic.account"}
    assert project in _grounded(result)


def test_an_unknown_project_names_the_projects_there_are(ctx, client):
    result = run_tool(ctx, "project_burndown", {"project": "Moon Base"})
    assert not result.ok and "no project 'Moon Base'" in result.error
    some = client.search_read("project.project", [], ["name"], limit=1)[0]["name"]
    assert some in result.error


def test_malformed_and_unexpected_arguments_come_back_as_errors(ctx):
    bad_json = run_tool(ctx, "purchase_order_check", '{"order": "P0001"')
    assert not bad_json.ok and "not valid JSON" in bad_json.error
    extra = run_tool(ctx, "budget_status", {"period": "2026", "account": "x"})
    assert not extra.ok and "account" in extra.error
    missing = run_tool(ctx, "project_burndown", "{}")
    assert not missing.ok and "project" in missing.error


def test_the_tools_publish_json_schemas_with_their_descriptions():
    tools = all_tools()
    for name, required in (("budget_status", set()), ("purchase_order_check", {"order"}),
                           ("project_burndown", {"project"})):
        spec = tools[name].spec()["function"]
        assert tools[name].kind == "read" and len(spec["description"]) > 40
        assert set(spec["parameters"].get("required", [])) == required
        assert spec["parameters"]["additionalProperties"] is False
        assert all(p.get("description") for p in spec["parameters"]["properties"].values())


def test_a_departments_month_is_its_share_of_the_longer_lines(ctx, client):
    """Only that department's lines; a quarterly line prorated to the month, and the month's own actuals."""
    from ledgerpilot.calc.budget.match import ActualIndex
    from ledgerpilot.calc.budget.month import month_lines
    from ledgerpilot.domain.month import Month
    from ledgerpilot.tools.budget.watch import load_period_data

    result = run_tool(ctx, "budget_status", {"period": "2026-11", "department": "Operations"})
    assert result.ok, result.error
    data = result.data
    assert data["department"] == "Operations" and data["line_count"] > 0
    assert all(row["analytic_account"].endswith("Operations") for row in data["lines_at_risk"])
    month = data["month"]
    assert month is not None and month["month"] == "2026-11"
    # the same figures computed apart: the department's lines of the quarter, their November share
    quarter = run_budget(client, ctx.home, BudgetRequest(period="2026-11", account="Operations", as_of=DEMO_TODAY,
                                                         use_memory=False), today=DEMO_TODAY, store=False)
    books, _ = load_period_data(client, "2026-11", DEMO_TODAY, None)
    rows = month_lines([line for line in quarter.report.lines if line.date_to > Month.parse("2026-11").end
                        or line.date_from < Month.parse("2026-11").start],
                       ActualIndex(books.actuals, books.digits), Month.parse("2026-11"), DEMO_TODAY, books.digits)
    expense = [r for r in rows if r.direction == "expense"]
    assert Decimal(month["planned"]) == sum(r.planned for r in expense)
    assert Decimal(month["planned"]) < Decimal(data["expense"]["planned"])      # a month is less than its quarter
    assert Decimal(month["actual"]) <= Decimal(data["expense"]["actual"])
    text = _grounded(result)
    assert "2026-11 alone" in text and "Operations" in text
    unknown = run_tool(ctx, "budget_status", {"department": "Marketing"})
    assert not unknown.ok and "Marketing" in unknown.error and "Operations" in unknown.error
    with StateDB.in_home(ctx.home) as db:
        assert ProposalStore(db).list() == []
