"""The agent's cash tools against the demo company: same figures as the calculators, errors in words,
citations with links, a warm context served from memory, valid schemas, and grounded answers."""

from __future__ import annotations

import json
from decimal import Decimal

import jsonschema
import pytest

from ledgerpilot.agent.answer_templates import render_answer
from ledgerpilot.agent.grounding import check_numbers
from ledgerpilot.calc.cash import forecast as cashflow
from ledgerpilot.calc.cash.forecast.params import ForecastParams, Scenario
from ledgerpilot.config import load_settings
from ledgerpilot.tools.agent.toolkit import ToolContext, all_tools, run_tool
from ledgerpilot.tools.cash.forecast import forecast_history, load_history
from ledgerpilot.tools.ledger.overview import company_overview
from tests.conftest import DEMO_TODAY

CASH_TOOLS = ("cash_position", "cash_forecast", "cash_scenario")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("agent-cash-home")


@pytest.fixture(scope="module")
def ctx(client, home):
    return ToolContext(client=client, settings=load_settings(home=home, cash_threshold=None), today=DEMO_TODAY)


@pytest.fixture(scope="module")
def direct(client):
    """The calculators called directly, as ``ledgerpilot forecast`` calls them."""
    from ledgerpilot.calc.cash.payment_behaviour.model import fit_payment_behaviour

    history, _seconds = load_history(client, DEMO_TODAY, None)
    books, base, _ = forecast_history(history, DEMO_TODAY, ForecastParams())
    behaviour = fit_payment_behaviour(books.paid_items, DEMO_TODAY, books.open_items)
    return {"history": history, "books": books, "base": base, "behaviour": behaviour}


def call(ctx, name, arguments=None):
    result = run_tool(ctx, name, arguments if arguments is not None else {})
    assert result.tool == name
    return result


def ok(ctx, name, arguments=None):
    result = call(ctx, name, arguments)
    assert result.ok, result.error
    return result


def scenario_direct(direct, scenario: Scenario):
    return cashflow.run_scenario(direct["books"], direct["behaviour"], ForecastParams(), scenario, base=direct["base"])


# ----------------------------------------------------------------------------------------------- position


def test_cash_position_is_the_overview_bank_position(ctx, client, sandbox):
    result = ok(ctx, "cash_position")
    bank = company_overview(client, DEMO_TODAY).bank
    assert result.data["total"] == str(bank.total) and result.data["currency"] == "EUR"
    assert result.data["as_of"] == DEMO_TODAY.isoformat()
    assert result.data["account_count"] == len(bank.accounts) >= 1
    assert [(a["account"], a["balance"]) for a in result.data["accounts"]] == \
        [(a.account_name, str(a.balance)) for a in bank.accounts]
    assert [(c.model, c.id) for c in result.citations] == [("account.account", a.account_id) for a in bank.accounts]
    assert all(c.url.startswith(f"{sandbox.url}/web#id=") for c in result.citations)


# ----------------------------------------------------------------------------------------------- forecast


def test_cash_forecast_is_the_calculators_forecast(ctx, direct):
    data = ok(ctx, "cash_forecast").data
    base = direct["base"]
    assert data["lowest"] == {"amount": str(base.lowest_balance), "date": base.lowest_date.isoformat(),
                              "week": next(w.index for w in base.weeks_rows if w.start <= base.lowest_date <= w.end)}
    assert data["lowest_p10"] == {"amount": str(base.lowest_p10), "date": base.lowest_p10_date.isoformat()}
    assert data["opening_balance"] == str(base.opening_balance) and data["weeks"] == 13 == len(data["weekly"])
    assert data["ending_balance"] == str(base.weeks_rows[-1].closing)
    assert [(w["closing"], w["p10"], w["p90"]) for w in data["weekly"]] == \
        [(str(w.closing), str(w.p10), str(w.p90)) for w in base.weeks_rows]
    assert data["threshold"] is None and data["breach_count"] == 0 and data["breaches"] == []
    assert 1 <= len(data["assumptions"]) <= 6 and all(isinstance(a, str) for a in data["assumptions"])


def test_forecast_drivers_are_the_lowest_weeks_records_with_their_documents_cited(ctx, direct, sandbox):
    result = ok(ctx, "cash_forecast")
    base = direct["base"]
    week = base.weeks_rows[result.data["lowest"]["week"] - 1]
    drivers = result.data["lowest_week_drivers"]
    assert 1 <= len(drivers) <= 5
    names = {f.source_name for f in week.drivers}
    assert {d["record"] for d in drivers} <= names
    for row in drivers:   # each row sums the lines of one record, exactly
        lines = [f for f in week.drivers if f.source_name == row["record"] and f.category == row["category"]]
        assert Decimal(row["amount"]) == sum(f.amount for f in lines) and row["lines"] == len(lines)
        assert Decimal(row["week_amount"]) == sum(f.week_amount for f in lines)      # what that week expects
    assert [abs(Decimal(d["week_amount"])) for d in drivers] == sorted((abs(Decimal(d["week_amount"]))
                                                                        for d in drivers), reverse=True)
    cited = {c.name: c for c in result.citations}
    for flow in week.drivers:
        if (flow.source_name in {d["record"] for d in drivers} and flow.source_model == "account.move.line"
                and flow.source_id is not None):
            citation = cited[flow.source_name]
            assert citation.model == "account.move" and citation.url.startswith(sandbox.url)
            item = direct["history"].items.set_index("id").loc[flow.source_id]
            assert citation.id == int(item["move_id"])


def test_forecast_with_a_threshold_reports_the_calculators_breaches(ctx, client, direct):
    level = float(direct["base"].lowest_balance + 20000)
    data = ok(ctx, "cash_forecast", {"threshold": level}).data
    _books, base, _ = forecast_history(direct["history"], DEMO_TODAY, ForecastParams(threshold=level))
    assert data["threshold"] == str(base.threshold)
    assert data["breach_count"] == len(base.breaches) >= 1
    assert [b["week"] for b in data["breaches"]] == [w.index for w in base.breaches]


def test_a_shorter_horizon_is_forecast_once_per_horizon(ctx, client):
    data = ok(ctx, "cash_forecast", {"weeks": 4}).data
    assert data["weeks"] == 4 and len(data["weekly"]) == 4
    before = client.rpc_count
    again = ok(ctx, "cash_forecast", {"weeks": 4})
    assert again.data == data and client.rpc_count == before


def test_a_warm_context_answers_from_memory(client, home):
    fresh = ToolContext(client=client, settings=load_settings(home=home, cash_threshold=None), today=DEMO_TODAY)
    started = client.rpc_count
    cold = ok(fresh, "cash_forecast")
    assert client.rpc_count > started          # the books were read once
    for name, arguments in (("cash_forecast", {}), ("cash_position", {}), ("cash_position", {}),
                            ("cash_scenario", {"kind": "delay_collections", "days": 7}),
                            ("cash_scenario", {"kind": "delay_collections", "days": 7})):
        ok(fresh, name, arguments)
    before = client.rpc_count
    warm = ok(fresh, "cash_forecast")
    position = ok(fresh, "cash_position")
    scenario = ok(fresh, "cash_scenario", {"kind": "delay_collections", "days": 7})
    assert client.rpc_count == before, "a warm context must not go back to Odoo"
    assert warm.data == cold.data and position.ok and scenario.ok


def test_the_read_tools_store_nothing(ctx, home):
    ok(ctx, "cash_forecast")
    ok(ctx, "cash_scenario", {"kind": "sales_change", "percent": -10})
    assert [p for p in home.rglob("*") if p.is_file()] == []


# ----------------------------------------------------------------------------------------------- scenarios


def test_delay_collections_is_the_calculators_scenario(ctx, direct):
    data = ok(ctx, "cash_scenario", {"kind": "delay_collections", "days": 14}).data
    expected = scenario_direct(direct, Scenario(kind="delay_collections", days=14))
    assert data["kind"] == "delay_collections" and data["description"] == expected.description
    assert data["lowest_difference"] == str(expected.lowest_difference) and expected.lowest_difference < 0
    assert data["ending_difference"] == str(expected.ending_difference)
    assert data["base_lowest"]["amount"] == str(direct["base"].lowest_balance)
    assert data["scenario_lowest"] == {"amount": str(expected.forecast.lowest_balance),
                                       "date": expected.forecast.lowest_date.isoformat()}
    assert data["affected_count"] == len(expected.affected)
    assert Decimal(data["affected_amount"]) == sum(f.amount for f in expected.affected)
    assert 1 <= len(data["affected_records"]) <= 5


def test_customer_default_by_a_loose_name_is_the_calculators_scenario(ctx, direct):
    base = direct["base"]
    open_by_customer: dict[int, Decimal] = {}
    names = {}
    for flow in base.flows:
        if flow.category == "receivable" and flow.partner_id is not None and flow.amount > 0:
            open_by_customer[flow.partner_id] = open_by_customer.get(flow.partner_id, Decimal(0)) + flow.amount
            names[flow.partner_id] = flow.partner_name
    partner_id = max(open_by_customer, key=open_by_customer.get)
    result = ok(ctx, "cash_scenario", {"kind": "customer_default", "customer": f"  {names[partner_id].upper()} "})
    expected = scenario_direct(direct, Scenario(kind="customer_default", partner=partner_id))
    assert result.data["customer"] == names[partner_id]
    assert result.data["description"] == f"customer {names[partner_id]} does not pay"
    assert result.data["lowest_difference"] == str(expected.lowest_difference)
    assert result.data["affected_count"] == len(expected.affected) >= 1
    assert all(row["partner"] == names[partner_id] for row in result.data["affected_records"])
    assert {c.model for c in result.citations} <= {"account.move", "sale.order"} and result.citations


def test_one_customer_paying_late_is_the_calculators_scenario(ctx, direct):
    base = direct["base"]
    owed: dict[int, Decimal] = {}
    expected_in: dict[int, Decimal] = {}
    names = {}
    for flow in base.flows:
        if flow.category == "receivable" and flow.partner_id is not None and flow.amount > 0:
            owed[flow.partner_id] = owed.get(flow.partner_id, Decimal(0)) + flow.amount
            expected_in[flow.partner_id] = expected_in.get(flow.partner_id, Decimal(0)) + flow.expected_amount
            names[flow.partner_id] = flow.partner_name
    partner_id = max(expected_in, key=expected_in.get)          # a customer the base expects to pay
    result = ok(ctx, "cash_scenario", {"kind": "delay_customer", "customer": names[partner_id], "days": 30})
    expected = scenario_direct(direct, Scenario(kind="delay_customer", partner=partner_id, days=30))
    assert result.data["description"] == f"customer {names[partner_id]} pays 30 days later"
    assert result.data["lowest_difference"] == str(expected.lowest_difference)
    assert result.data["ending_difference"] == str(expected.ending_difference)
    assert all(row["partner"] == names[partner_id] for row in result.data["affected_records"])
    assert Decimal(result.data["customer_open_amount"]) >= owed[partner_id]
    assert result.data["already_unpaid"] is False
    missing = call(ctx, "cash_scenario", {"kind": "delay_customer", "customer": names[partner_id]})
    assert not missing.ok and "delay_customer needs days" in missing.error


def test_a_default_the_base_already_expects_is_said_not_reported_as_zero(ctx, direct):
    """A customer whose open items the payment model already expects to stay unpaid in the horizon."""
    base = direct["base"]
    expected: dict[int, Decimal] = {}
    owed: dict[int, Decimal] = {}
    names = {}
    for flow in base.flows:
        if flow.category in ("receivable", "sale_order") and flow.partner_id is not None and flow.amount > 0:
            expected[flow.partner_id] = expected.get(flow.partner_id, Decimal(0)) + flow.expected_amount
            owed[flow.partner_id] = owed.get(flow.partner_id, Decimal(0)) + flow.amount
            names[flow.partner_id] = flow.partner_name
    lost = [pid for pid in owed if expected[pid] <= owed[pid] * Decimal("0.01")]
    assert lost, "the demo company has customers the model expects not to pay (defaulting behaviour)"
    result = ok(ctx, "cash_scenario", {"kind": "customer_default", "customer": names[lost[0]]})
    assert result.data["already_unpaid"] is True
    text = render_answer(result)
    assert "already expects" in text and names[lost[0]] in text
    assert check_numbers(text, [result]).ok


def test_defer_po_and_sales_change_are_the_calculators_scenarios(ctx, direct):
    order = next(f.source_name for f in direct["base"].flows if f.category == "purchase_order")
    deferred = ok(ctx, "cash_scenario", {"kind": "defer_po", "purchase_order": order.lower(), "weeks": 2})
    expected = scenario_direct(direct, Scenario(kind="defer_po", order=order, weeks=2))
    assert deferred.data["lowest_difference"] == str(expected.lowest_difference)
    assert [r["record"] for r in deferred.data["affected_records"]] == [order]
    assert [(c.model, c.name) for c in deferred.citations] == [("purchase.order", order)]
    sales = ok(ctx, "cash_scenario", {"kind": "sales_change", "percent": -20}).data
    expected = scenario_direct(direct, Scenario(kind="sales_change", percent=-20))
    assert sales["lowest_difference"] == str(expected.lowest_difference)
    assert sales["ending_difference"] == str(expected.ending_difference)


# ----------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("arguments, words", [
    ({"kind": "delay_collections"}, "delay_collections needs days"),
    ({"kind": "customer_default"}, "customer_default needs customer"),
    ({"kind": "sales_change"}, "sales_change needs percent"),
    ({"kind": "defer_po", "purchase_order": "P00001"}, "defer_po needs weeks"),
    ({"kind": "defer_po"}, "defer_po needs purchase_order and weeks"),
    ({"kind": "sales_change", "percent": 5, "days": 3}, "sales_change does not use days"),
    ({"kind": "bankruptcy"}, "kind"),
    ({"kind": "delay_collections", "days": 0}, "days"),
    ({"kind": "delay_collections", "days": 7, "colour": "red"}, "colour"),
])
def test_scenario_arguments_that_do_not_fit_say_what_is_wrong(ctx, arguments, words):
    result = call(ctx, "cash_scenario", arguments)
    assert not result.ok and words in result.error


def test_unknown_and_ambiguous_customers_and_orders_are_explained(ctx, direct):
    names = sorted({f.partner_name for f in direct["base"].flows
                    if f.category == "receivable" and f.partner_id is not None and f.amount > 0})
    target = names[0]
    typo = target[:-2] + target[-1] + target[-2]          # two letters swapped
    missing = call(ctx, "cash_scenario", {"kind": "customer_default", "customer": typo})
    assert not missing.ok and "no customer named" in missing.error and target in missing.error
    shared = next((n.split()[0] for n in names if sum(m.split()[0] == n.split()[0] for m in names) > 1), None)
    if shared is not None:
        ambiguous = call(ctx, "cash_scenario", {"kind": "customer_default", "customer": shared})
        assert not ambiguous.ok and "ambiguous" in ambiguous.error
        assert all(n in ambiguous.error for n in names if n.split()[0] == shared)
    order = call(ctx, "cash_scenario", {"kind": "defer_po", "purchase_order": "NO-SUCH-PO", "weeks": 1})
    assert not order.ok and "no open purchase order named 'NO-SUCH-PO'" in order.error
    assert next(f.source_name for f in direct["base"].flows if f.category == "purchase_order") in order.error


@pytest.mark.parametrize("name, arguments, words", [
    ("cash_forecast", {"weeks": 40}, "weeks"),
    ("cash_forecast", {"weeks": 0}, "weeks"),
    ("cash_forecast", {"threshold": -5}, "threshold"),
    ("cash_forecast", '{"weeks": 13', "not valid JSON"),
    ("cash_forecast", "[13]", "JSON object"),
    ("cash_position", {"account": "bank"}, "account"),
])
def test_bad_arguments_come_back_as_errors(ctx, name, arguments, words):
    result = call(ctx, name, arguments)
    assert not result.ok and words in result.error and result.data == {}
    assert json.loads(result.for_model())["error"] == result.error


# ----------------------------------------------------------------------------------------------- contract


def test_specs_are_valid_json_schemas_with_the_documented_arguments():
    tools = all_tools()
    expected = {"cash_position": (set(), set()), "cash_forecast": ({"weeks", "threshold"}, set()),
                "cash_scenario": ({"kind", "days", "customer", "percent", "purchase_order", "weeks"}, {"kind"})}
    for name, (properties, required) in expected.items():
        tool = tools[name]
        assert tool.kind == "read"
        spec = tool.spec()
        assert spec["type"] == "function" and spec["function"]["name"] == name
        assert 40 < len(spec["function"]["description"]) < 500
        schema = spec["function"]["parameters"]
        jsonschema.Draft202012Validator.check_schema(schema)
        assert set(schema["properties"]) == properties and set(schema.get("required", [])) == required
        assert schema.get("additionalProperties") is False
        for prop in schema["properties"].values():
            assert prop.get("description")
    kinds = tools["cash_scenario"].spec()["function"]["parameters"]["properties"]["kind"]["enum"]
    assert kinds == ["delay_collections", "delay_customer", "customer_default", "sales_change", "defer_po"]
    weeks = tools["cash_forecast"].spec()["function"]["parameters"]["properties"]["weeks"]
    assert (weeks["minimum"], weeks["maximum"], weeks["default"]) == (1, 26, 13)


def test_money_is_exact_text_and_ratios_are_fractions(ctx):
    data = ok(ctx, "cash_forecast").data
    assert isinstance(data["lowest"]["amount"], str) and Decimal(data["lowest"]["amount"]).as_tuple().exponent == -2
    assert data["currency"] == "EUR"
    for row in data["lowest_week_drivers"]:
        assert 0.0 <= row["landing_share"] <= 1.0


# ----------------------------------------------------------------------------------------------- answers


@pytest.mark.parametrize("name, arguments", [
    ("cash_position", {}),
    ("cash_forecast", {}),
    ("cash_forecast", {"threshold": 1_000_000}),
    ("cash_scenario", {"kind": "delay_collections", "days": 14}),
    ("cash_scenario", {"kind": "sales_change", "percent": 10}),
])
def test_offline_answers_quote_only_tool_figures(ctx, name, arguments):
    result = ok(ctx, name, arguments)
    text = render_answer(result)
    assert text and "I could not get" not in text
    assert not text.startswith("The "), "the generic listing was used instead of the tool's template"
    report = check_numbers(text, [result])
    assert report.ok, (text, report.failures)
    assert report.checked >= 2
    assert len(text.splitlines()) <= 9


def test_forecast_answer_names_the_lowest_point_and_the_breaches(ctx):
    from ledgerpilot.agent.formatting import day, money

    result = ok(ctx, "cash_forecast", {"threshold": 1_000_000})
    text = render_answer(result)
    assert money(result.data["lowest"]["amount"], "EUR") in text and day(result.data["lowest"]["date"]) in text
    assert "below the safety level of 1,000,000.00 EUR" in text
