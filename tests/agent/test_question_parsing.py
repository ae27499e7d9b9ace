"""Reading arguments out of questions: periods, horizons, amounts, what-ifs, references and known names."""

from __future__ import annotations

import datetime as dt

import pytest

from ledgerpilot.agent.question_parsing import (
    OPEN_ORDERS,
    NameIndex,
    find_duration_days,
    find_month,
    find_percent_change,
    find_period,
    find_references,
    find_scenario,
    find_threshold,
    find_top,
    find_weeks,
    parse_amount,
)
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.tools.agent.toolkit import ToolContext

TODAY = dt.date(2026, 11, 18)


@pytest.fixture(scope="module")
def demo_client(sandbox):
    with connect(demo_connection(sandbox.url, "readonly")) as odoo:
        yield odoo


@pytest.fixture(scope="module")
def demo_names(demo_client):
    return NameIndex.read(demo_client)


@pytest.mark.parametrize(("question", "month"), [
    ("Are we ready to close November?", "2026-11"),
    ("close status for Nov 2026", "2026-11"),
    ("What about October?", "2026-10"),
    ("Is the 2026-10 close done?", "2026-10"),
    ("checklist for 09/2026", "2026-09"),
    ("Can we lock last month?", "2026-10"),
    ("what's blocking this month's close", "2026-11"),
    ("next month", "2026-12"),
    ("December close", "2026-12"),              # the nearest December: next month
    ("How did May go?", "2026-05"),              # six months either way: the past one
    ("close of Jan '26", "2026-01"),
    ("close for March 2025", "2025-03"),
    ("close status for nov", "2026-11"),
])
def test_months_are_read_as_yyyy_mm(question, month):
    assert find_month(question, TODAY).label == month


@pytest.mark.parametrize("question", [
    "may we run short of cash?",              # "may" is a verb here
    "show INV/2026/00042",                    # the year inside a reference is not a period
    "how much cash do we have",
])
def test_no_month_where_none_is_named(question):
    assert find_month(question, TODAY) is None


@pytest.mark.parametrize(("question", "period"), [
    ("Budget vs actual for Q3", "2026-Q3"),
    ("budget in Q4 2025", "2025-Q4"),
    ("third quarter of 2026", "2026-Q3"),
    ("how are we doing this quarter", "2026-Q4"),
    ("last quarter's variances", "2026-Q3"),
    ("budget status for 2026", "2026"),
    ("the FY25 budget", "2025"),
    ("year to date", "2026"),
    ("over budget in November?", "2026-11"),
    ("2026-Q2 please", "2026-Q2"),
])
def test_periods_in_the_budget_forms(question, period):
    assert find_period(question, TODAY).label == period


@pytest.mark.parametrize(("text", "amount"), [
    ("200k", 200_000.0), ("1.5M", 1_500_000.0), ("EUR 250,000", 250_000.0), ("2 million", 2_000_000.0),
    ("€75k", 75_000.0), ("120 000", 120_000.0), ("no amount here", None),
])
def test_amounts(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize(("question", "weeks", "threshold"), [
    ("lowest cash over the next 8 weeks", 8, None),
    ("an 8-week cash forecast", 8, None),
    ("will we dip below 200k in the next six weeks?", 6, 200_000.0),
    ("cash outlook over the next 3 months", 13, None),
    ("does cash fall under EUR 1.5M", None, 1_500_000.0),
    ("with a safety buffer of 250,000", None, 250_000.0),
    ("what is our lowest cash point?", None, None),
])
def test_horizon_and_threshold(question, weeks, threshold):
    assert find_weeks(question) == weeks
    assert find_threshold(question) == threshold


@pytest.mark.parametrize(("question", "top"), [
    ("top 10 customers", 10), ("the five biggest debtors", 5), ("3 riskiest anomalies", 3), ("all customers", None),
])
def test_how_many_to_list(question, top):
    assert find_top(question) == top


@pytest.mark.parametrize(("question", "days", "percent"), [
    ("if collections slip 2 weeks", 14, None),
    ("customers pay ten days later", 10, None),
    ("sales drop 10%", None, -10.0),
    ("revenue up 5 percent", None, 5.0),
    ("what if sales fall by 12.5 %", None, -12.5),
])
def test_durations_and_changes(question, days, percent):
    assert find_duration_days(question) == days
    assert find_percent_change(question) == percent


def test_references_in_the_demo_naming():
    found = find_references("Compare INV/2026/00042, bill/2026/10/0016, RINV/2026/00007, P00012, S00045 and PO 7")
    assert [(r.name, r.kind) for r in found] == [
        ("INV/2026/00042", "invoice"), ("BILL/2026/10/0016", "bill"), ("RINV/2026/00007", "refund"),
        ("P00012", "purchase_order"), ("S00045", "sale_order"), ("P00007", "purchase_order")]
    assert find_references("nothing to see, 2026 and 42") == []


@pytest.mark.parametrize(("question", "expected"), [
    ("what if collections slip 2 weeks?", {"kind": "delay_collections", "days": 14}),
    ("What if customers pay 30 days later?", {"kind": "delay_collections", "days": 30}),
    ("if Azure Builders doesn't pay", {"kind": "customer_default", "customer": "Azure Builders"}),
    ("suppose Yarrow Retail goes bankrupt", {"kind": "customer_default", "customer": "Yarrow Retail"}),
    ("what if sales drop 10%", {"kind": "sales_change", "percent": -10.0}),
    ("postpone P00012 by 3 weeks", {"kind": "defer_po", "purchase_order": "P00012", "weeks": 3}),
    ("defer PO 12 by ten days", {"kind": "defer_po", "purchase_order": "P00012", "weeks": 2}),
])
def test_scenarios(question, expected, demo_names):
    scenario = find_scenario(question, demo_names)
    assert scenario is not None and scenario.missing == ()
    assert scenario.arguments == expected


def test_scenario_says_what_is_missing(demo_names):
    assert find_scenario("what if collections slip?", demo_names).missing == ("how many days or weeks collections slip",)
    unnamed = find_scenario("what if our biggest customer doesn't pay?", demo_names)
    assert unnamed.kind == "customer_default" and unnamed.missing[0].startswith("which customer")
    assert find_scenario("how much cash do we have", demo_names) is None


def test_name_index_reads_the_demo_books_in_a_few_calls(demo_client, sandbox):
    calls = []
    original = demo_client.search_read

    def counting(model, *args, **kwargs):
        calls.append(model)
        return original(model, *args, **kwargs)

    demo_client.search_read = counting
    try:
        ctx = ToolContext(client=demo_client, settings=None, today=TODAY)
        first = NameIndex.load(ctx)
        again = NameIndex.load(ctx)
    finally:
        del demo_client.search_read
    assert first is again                                   # memoised on the context
    assert sorted(calls) == ["account.analytic.account", "project.project", "purchase.order", "res.partner",
                            "res.users"]
    assert "Operations" in first.departments and "Website Relaunch" not in first.departments
    assert "Azure Builders" in first.customers and "Brightline Legal LLP" in first.vendors
    assert "Azure Builders" not in first.vendors
    assert set(first.projects) >= {"Website Relaunch", "Nordic Expansion", "ERP Upgrade", "Warehouse Automation"}
    open_orders = {r["name"] for r in demo_client.search_read("purchase.order", OPEN_ORDERS, ["name"])}
    assert set(first.purchase_orders) == open_orders and open_orders
    draft = demo_client.search_read("purchase.order", [("state", "=", "draft")], ["name"], limit=1)[0]["name"]
    assert first.knows_purchase_order(draft.lower())
    billed = demo_client.search_read("purchase.order", [("invoice_status", "=", "invoiced")], ["name"], limit=1)
    assert not first.knows_purchase_order(billed[0]["name"])
    assert ("controller", "Chloe Controller") in first.users


@pytest.mark.parametrize(("question", "kind", "name", "exact"), [
    ("how does azure builders pay?", "customer", "Azure Builders", True),
    ("Is Pioneer Partners reliable?", "customer", "Pioneer Partners Inc.", True),     # legal form left out
    ("pioneer partners inc. payment history", "customer", "Pioneer Partners Inc.", True),
    ("what about Fjord?", "customer", "Fjord Partners", False),                       # one distinctive word
    ("what do we owe Brightline?", "vendor", "Brightline Legal LLP", False),
    ("Meridian Real Estate SA bills", "vendor", "Meridian Real Estate SA", True),
    ("burn-down of the nordic expansion", "project", "Nordic Expansion", True),
    ("how is ERP doing", "project", "ERP Upgrade", False),
])
def test_names_found_in_questions(demo_names, question, kind, name, exact):
    lookup = getattr(demo_names, kind)(question)
    assert lookup.match is not None, lookup
    assert (lookup.match.name, lookup.match.exact) == (name, exact)


def test_longest_name_wins_and_shared_words_are_ambiguous(demo_names):
    assert demo_names.customer("Azure Services or Azure").match.name == "Azure Services"
    ambiguous = demo_names.customer("how does Azure pay?")
    assert ambiguous.match is None
    assert set(ambiguous.candidates) == {"Azure Builders", "Azure Services"}
    assert "Azure Builders or Azure Services" in ambiguous.ambiguity()
    # generic words and the customers' own kind: "Golden" is one customer but a customer and a vendor
    assert demo_names.customer("Golden").match.name == "Golden Systems"
    assert demo_names.partner("Golden").match is None
    assert demo_names.customer("what are our trading services systems").match is None
    assert demo_names.customer("how much cash do we have").match is None


def test_users_by_login_or_name(demo_names):
    assert demo_names.user("assign to Chloe Controller") == "controller"
    assert demo_names.user("for the clerk") == "clerk"
    assert demo_names.user("for nobody in particular") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("model revenue shrinking by a quarter", -25.0),
    ("what if sales fall by a third", -33.33),
    ("sales grow by half", 50.0),
    ("what if our revenue halves", -50.0),
    ("orders double next quarter", 100.0),
    ("sales drop 10%", -10.0),
])
def test_percent_changes_in_words(text, expected):
    assert find_percent_change(text) == expected


@pytest.mark.parametrize(("text", "days"), [
    ("suppose clients take an extra 45 days to pay", 45),
    ("what if debtors take two weeks longer to pay", 14),
])
def test_clients_taking_longer_to_pay_is_a_collection_delay(text, days):
    scenario = find_scenario(text)
    assert scenario is not None and scenario.arguments == {"kind": "delay_collections", "days": days}
