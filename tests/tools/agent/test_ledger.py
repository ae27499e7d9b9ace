"""The agent's ledger tools against the demo company: ageing as the overview computes it, a customer's
payment behaviour as the forecast's model fits it, records found by number or reference with few
calls, errors in words, a warm context served from memory, valid schemas and grounded answers."""

from __future__ import annotations

from decimal import Decimal

import jsonschema
import numpy as np
import pytest

from ledgerpilot.agent.answer_templates import render_answer
from ledgerpilot.agent.grounding import check_numbers
from ledgerpilot.calc.cash.payment_behaviour.words import ON_TIME_DAYS
from ledgerpilot.calc.ledger.overview import ageing
from ledgerpilot.config import load_settings
from ledgerpilot.tools.agent.toolkit import ToolContext, all_tools, run_tool
from ledgerpilot.tools.ledger.overview import company_overview
from tests.conftest import DEMO_TODAY

MOVE_FIELDS = ["name", "ref", "partner_id", "move_type", "amount_total", "amount_residual", "invoice_date_due",
               "state", "payment_state"]


@pytest.fixture(scope="module")
def ctx(client, tmp_path_factory):
    home = tmp_path_factory.mktemp("agent-ledger-home")
    return ToolContext(client=client, settings=load_settings(home=home), today=DEMO_TODAY)


@pytest.fixture(scope="module")
def overview(client):
    return company_overview(client, DEMO_TODAY)


@pytest.fixture(scope="module")
def behaviour(client):
    from ledgerpilot.calc.cash.cut import books_as_of
    from ledgerpilot.calc.cash.payment_behaviour.model import fit_payment_behaviour
    from ledgerpilot.tools.cash.forecast import load_history

    history, _seconds = load_history(client, DEMO_TODAY, None)
    books = books_as_of(history, DEMO_TODAY)
    return books, fit_payment_behaviour(books.paid_items, DEMO_TODAY, books.open_items)


def call(ctx, name, arguments):
    result = run_tool(ctx, name, arguments)
    assert result.tool == name
    return result


def ok(ctx, name, arguments):
    result = call(ctx, name, arguments)
    assert result.ok, result.error
    return result


# ------------------------------------------------------------------------------------------------- ageing


@pytest.mark.parametrize("name, side, role", [("receivables_ageing", "receivables", "customer"),
                                              ("payables_ageing", "payables", "vendor")])
def test_ageing_is_the_overviews_ageing(ctx, overview, sandbox, name, side, role):
    result = ok(ctx, name, {})
    expected = getattr(overview, side)
    data = result.data
    assert (data["total"], data["overdue"], data["credits"]) == \
        (str(expected.total), str(expected.overdue), str(expected.credits))
    assert data["currency"] == "EUR" and data["as_of"] == DEMO_TODAY.isoformat()
    assert [(b["bucket"], b["amount"], b["count"]) for b in data["buckets"]] == \
        [(b.label, str(b.amount), b.count) for b in expected.buckets]
    assert data["item_count"] == sum(b.count for b in expected.buckets)
    owed = expected.total + expected.credits
    assert data["overdue_share"] == (round(float(expected.overdue / owed), 4) if owed > 0 else None)
    top = data[f"top_{role}s"]
    assert [(p[role], p["amount"], p["overdue"]) for p in top] == \
        [(p.partner_name, str(p.amount), str(p.overdue)) for p in expected.top_partners]
    assert [(c.model, c.id) for c in result.citations] == \
        [("res.partner", p.partner_id) for p in expected.top_partners]
    assert all(c.url.startswith(f"{sandbox.url}/web#id=") and "model=res.partner" in c.url for c in result.citations)


def test_ageing_buckets_carry_their_bounds_as_figures(ctx):
    buckets = ok(ctx, "receivables_ageing", {}).data["buckets"]
    assert [(b["days_from"], b["days_to"]) for b in buckets] == \
        [(None, None), (1, 30), (31, 60), (61, 90), (91, None)]


def test_more_partners_on_request_from_the_same_items(ctx, client):
    from ledgerpilot.tools.ledger.overview import open_items

    result = ok(ctx, "receivables_ageing", {"top": 8})
    expected = ageing(open_items(client, "asset_receivable", DEMO_TODAY), DEMO_TODAY, "receivable", "EUR", 2, top=8)
    assert [p["customer"] for p in result.data["top_customers"]] == [p.partner_name for p in expected.top_partners]
    assert len(result.data["top_customers"]) == 8


def test_a_second_ageing_question_does_not_go_back_to_odoo(ctx, client):
    ok(ctx, "payables_ageing", {"top": 2})
    before = client.rpc_count
    for top in (2, 5, 7):
        ok(ctx, "payables_ageing", {"top": top})
        ok(ctx, "receivables_ageing", {"top": top})
    assert client.rpc_count == before


# --------------------------------------------------------------------------------------- payment behaviour


def _customer_with_open_items(overview):
    return overview.receivables.top_partners[0]


def test_payment_behaviour_is_the_models_and_the_ageings(ctx, overview, behaviour):
    _books, model = behaviour
    partner = _customer_with_open_items(overview)
    result = ok(ctx, "customer_payment_behaviour", {"customer": partner.partner_name.lower()})
    data = result.data
    fitted = model.behaviour("receivable", partner.partner_id)
    assert data["customer"] == partner.partner_name == fitted.partner_name
    assert (data["median_delay_days"], data["p90_delay_days"], data["mean_delay_days"]) == \
        (fitted.median_delay, fitted.p90_delay, fitted.mean_delay)
    assert data["unpaid_after_90_days_share"] == fitted.prob_unpaid_90
    assert data["own_history_share"] == fitted.own_weight and data["trend_days"] == fitted.drift_days
    assert data["company_median_delay_days"] == model.company("receivable").median_delay
    assert (data["invoice_count"], data["payment_count"]) == (fitted.invoices, fitted.payments)
    assert data["explanation"] == fitted.explanation
    # open items: the ageing's figures for this customer
    assert data["open_amount"] == str(partner.amount) and data["overdue_amount"] == str(partner.overdue)
    assert data["open_invoice_count"] == len(partner.record_ids)
    oldest = data["oldest_open_invoices"]
    assert oldest and [r["due_date"] for r in oldest] == sorted(r["due_date"] for r in oldest)
    assert all(Decimal(r["amount"]) > 0 and r["days_overdue"] >= 0 for r in oldest)
    assert result.citations[0].model == "res.partner" and result.citations[0].id == partner.partner_id
    assert {c.name for c in result.citations[1:]} == {r["invoice"] for r in oldest}
    assert all(c.model == "account.move" and c.url for c in result.citations[1:])


def test_on_time_share_and_delays_come_from_the_paid_history(ctx, overview, behaviour):
    books, _model = behaviour
    partner = _customer_with_open_items(overview)
    data = ok(ctx, "customer_payment_behaviour", {"customer": partner.partner_name}).data
    paid = books.paid_items[(books.paid_items["kind"] == "receivable")
                            & (books.paid_items["partner_id"] == partner.partner_id)]
    amount = paid["amount"].to_numpy(dtype=float)
    delay = paid["delay_days"].to_numpy(dtype=float)
    assert data["paid_invoice_count"] == paid["item_id"].nunique() > 0
    assert data["on_time_share"] == round(float(amount[delay <= ON_TIME_DAYS].sum() / amount.sum()), 4)
    assert data["average_delay_days"] == round(float(np.average(delay, weights=amount)), 1)
    assert data["recent_average_delay_days"] is not None
    assert data["trend"] in ("steady", "paying later", "paying sooner")


def test_payment_behaviour_is_fitted_once_for_every_customer(ctx, client, behaviour):
    _books, model = behaviour
    customers = [b.partner_name for b in model.partners if b.kind == "receivable"][:4]
    ok(ctx, "customer_payment_behaviour", {"customer": customers[0]})
    before = client.rpc_count
    for name in customers:
        result = ok(ctx, "customer_payment_behaviour", {"customer": name})
        assert result.data["customer"] == name
    assert client.rpc_count == before


def test_unknown_and_ambiguous_customers_are_explained(ctx, behaviour):
    _books, model = behaviour
    names = sorted(b.partner_name for b in model.partners if b.kind == "receivable")
    target = names[0]
    typo = target[:-2] + target[-1] + target[-2]
    missing = call(ctx, "customer_payment_behaviour", {"customer": typo})
    assert not missing.ok and "no customer named" in missing.error and f"did you mean {target}" in missing.error
    shared = next((n.split()[0] for n in names if sum(m.split()[0] == n.split()[0] for m in names) > 1), None)
    if shared is not None:
        ambiguous = call(ctx, "customer_payment_behaviour", {"customer": shared})
        assert not ambiguous.ok and "ambiguous" in ambiguous.error
    empty = call(ctx, "customer_payment_behaviour", {"customer": ""})
    assert not empty.ok and "customer" in empty.error
    absent = call(ctx, "customer_payment_behaviour", {})
    assert not absent.ok and "customer" in absent.error and "required" in absent.error.lower()


# ------------------------------------------------------------------------------------------------- lookup


@pytest.fixture(scope="module")
def invoice(client):
    return client.search_read("account.move", [("move_type", "=", "out_invoice"), ("state", "=", "posted")],
                              MOVE_FIELDS, limit=1, order="id desc")[0]


def test_an_invoice_is_found_by_its_number_in_any_case(ctx, client, invoice, sandbox):
    result = ok(ctx, "find_record", {"reference": invoice["name"].lower()})
    data = result.data
    assert (data["model"], data["name"], data["kind"]) == ("account.move", invoice["name"], "customer invoice")
    assert data["partner"] == invoice["partner_id"][1] and data["currency"] == "EUR"
    assert data["amount_total"] == f"{invoice['amount_total']:.2f}"
    assert data["amount_residual"] == f"{invoice['amount_residual']:.2f}"
    assert data["due_date"] == invoice["invoice_date_due"] and data["state"] == "posted"
    assert data["payment_state"] == invoice["payment_state"] and data["other_matches"] == []
    assert [(c.model, c.id, c.name) for c in result.citations] == [("account.move", invoice["id"], invoice["name"])]
    assert result.citations[0].url == data["url"] == f"{sandbox.url}/web#id={invoice['id']}&model=account.move&view_type=form"
    before = client.rpc_count
    ok(ctx, "find_record", {"reference": invoice["name"]})
    assert client.rpc_count - before <= 5, "one search per model, never one per record"


def test_orders_and_payments_are_found_by_number(ctx, client):
    order = client.search_read("purchase.order", [("state", "=", "purchase")], ["name", "amount_total", "partner_id"],
                               limit=1)[0]
    data = ok(ctx, "find_record", {"reference": order["name"]}).data
    assert (data["kind"], data["amount_total"], data["partner"]) == \
        ("purchase order", f"{order['amount_total']:.2f}", order["partner_id"][1])
    sale = client.search_read("sale.order", [("state", "=", "sale")], ["name", "amount_total", "currency_id"],
                              limit=1, order="id desc")[0]
    data = ok(ctx, "find_record", {"reference": sale["name"]}).data
    assert (data["kind"], data["amount_total"], data["currency"]) == \
        ("sale order", f"{sale['amount_total']:.2f}", sale["currency_id"][1])
    payment = client.search_read("account.payment", [("state", "=", "posted")],
                                 ["name", "amount", "move_id", "partner_type"], limit=1)[0]
    result = ok(ctx, "find_record", {"reference": payment["name"]})
    assert (result.data["model"], result.data["amount"]) == ("account.payment", f"{payment['amount']:.2f}")
    assert result.data["other_matches"] == [], "the payment's own journal entry is folded into it"
    assert result.citations[0].model == "account.payment"


def test_a_bill_is_found_by_the_vendors_reference(ctx, client):
    bill = client.search_read("account.move", [("move_type", "=", "in_invoice"), ("state", "=", "posted"),
                                               ("ref", "!=", False)], MOVE_FIELDS, limit=1, order="id desc")[0]
    data = ok(ctx, "find_record", {"reference": bill["ref"]}).data
    assert (data["name"], data["kind"], data["reference"]) == (bill["name"], "vendor bill", bill["ref"])
    assert data["matched_by"] == "a reference"


def test_a_partner_is_found_by_name_with_its_open_balances(ctx, overview):
    partner = overview.receivables.top_partners[0]
    result = ok(ctx, "find_record", {"reference": partner.partner_name})
    assert (result.data["model"], result.data["name"]) == ("res.partner", partner.partner_name)
    assert result.data["kind"] in ("customer", "customer and vendor")
    assert result.data["receivable_open"] == str(partner.amount) and result.data["currency"] == "EUR"
    assert result.citations[0].id == partner.partner_id


def test_ambiguous_and_unknown_references_are_explained(ctx, invoice):
    prefix = invoice["name"][:-2]          # e.g. INV/2026/003: several invoices share it
    ambiguous = call(ctx, "find_record", {"reference": prefix})
    assert not ambiguous.ok and "matches several records" in ambiguous.error
    assert ambiguous.error.count("customer invoice") >= 2
    unknown = call(ctx, "find_record", {"reference": "ZZ-NOTHING-9"})
    assert not unknown.ok and "no invoice, bill, entry, payment, order or partner matches 'ZZ-NOTHING-9'" in unknown.error
    blank = call(ctx, "find_record", {"reference": "   "})
    assert not blank.ok and "give a document number" in blank.error
    extra = call(ctx, "find_record", {"reference": "x", "model": "account.move"})
    assert not extra.ok and "model" in extra.error


# ------------------------------------------------------------------------------------------------ contract


def test_specs_are_valid_json_schemas_with_the_documented_arguments():
    tools = all_tools()
    expected = {"receivables_ageing": ({"top"}, set()), "payables_ageing": ({"top"}, set()),
                "customer_payment_behaviour": ({"customer"}, {"customer"}),
                "find_record": ({"reference"}, {"reference"})}
    for name, (properties, required) in expected.items():
        tool = tools[name]
        spec = tool.spec()
        assert tool.kind == "read" and spec["function"]["name"] == name
        assert 40 < len(spec["function"]["description"]) < 500
        schema = spec["function"]["parameters"]
        jsonschema.Draft202012Validator.check_schema(schema)
        assert set(schema["properties"]) == properties and set(schema.get("required", [])) == required
        assert schema.get("additionalProperties") is False
        assert all(p.get("description") for p in schema["properties"].values())
    top = tools["receivables_ageing"].spec()["function"]["parameters"]["properties"]["top"]
    assert (top["minimum"], top["maximum"], top["default"]) == (1, 20, 5)


# ------------------------------------------------------------------------------------------------ answers


def test_offline_answers_quote_only_tool_figures(ctx, client, overview, invoice):
    order = client.search_read("purchase.order", [], ["name"], limit=1)[0]["name"]
    payment = client.search_read("account.payment", [], ["name"], limit=1)[0]["name"]
    calls = [("receivables_ageing", {}), ("payables_ageing", {"top": 3}),
             ("customer_payment_behaviour", {"customer": overview.receivables.top_partners[0].partner_name}),
             ("find_record", {"reference": invoice["name"]}), ("find_record", {"reference": order}),
             ("find_record", {"reference": payment}),
             ("find_record", {"reference": overview.receivables.top_partners[0].partner_name})]
    for name, arguments in calls:
        result = ok(ctx, name, arguments)
        text = render_answer(result)
        assert text and not text.startswith("The "), (name, text)      # the tool's own template, not the listing
        report = check_numbers(text, [result])
        assert report.ok and report.checked >= 1, (name, text, report.failures)
        assert len(text.splitlines()) <= 9


def test_ageing_answer_lists_buckets_and_largest_balances(ctx, overview):
    from ledgerpilot.agent.formatting import money

    text = render_answer(ok(ctx, "receivables_ageing", {}))
    assert money(overview.receivables.total, "EUR") in text and "1-30 days" in text and "91+ days" in text
    assert overview.receivables.top_partners[0].partner_name in text


def test_slowest_payers_are_ranked_by_delay_not_by_balance(ctx, behaviour):
    _books, behaviour = behaviour
    result = ok(ctx, "slowest_payers", {"top": 5})
    rows = result.data["customers"]
    assert 1 <= len(rows) <= 5
    delays = [row["median_delay_days"] for row in rows]
    assert delays == sorted(delays, reverse=True)
    # computed apart: the model's own partners with three paid invoices or more, by median delay
    ranked = sorted((b for b in behaviour.partners if b.kind == "receivable" and b.partner_id is not None),
                    key=lambda b: (-b.median_delay, -b.mean_delay, b.partner_name))
    assert rows[0]["median_delay_days"] == max(b.median_delay for b in ranked
                                               if any(r["customer"] == b.partner_name for r in rows))
    assert all(row["paid_invoice_count"] >= result.data["min_paid_invoices"] for row in rows)
    assert {c.model for c in result.citations} == {"res.partner"} and len(result.citations) == len(rows)
    largest = ok(ctx, "receivables_ageing", {"top": 5}).data["top_customers"]
    assert [r["customer"] for r in rows] != [r["customer"] for r in largest]    # not the balance ranking
    text = render_answer(result)
    assert rows[0]["customer"] in text and check_numbers(text, [result]).ok
