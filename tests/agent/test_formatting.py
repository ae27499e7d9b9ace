"""The answer filters print figures people read and the grounding check reads back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from jinja2 import UndefinedError

from ledgerpilot.agent.answer_templates import answer_environment, render_answer, template_answer
from ledgerpilot.agent.formatting import compact_money, day, money, num, pct, sources_markdown
from ledgerpilot.agent.grounding import check_numbers
from ledgerpilot.domain.money import Money
from ledgerpilot.tools.agent.toolkit import Citation, ToolResult


@pytest.mark.parametrize("value, currency, expected", [
    ("1234567.891", "EUR", "1,234,567.89 EUR"),
    (Decimal("1234567.895"), "EUR", "1,234,567.90 EUR"),       # half-up, as Odoo rounds amounts
    (1234.5, "USD", "1,234.50 USD"),
    (-5000, "EUR", "-5,000.00 EUR"),
    ("0", "EUR", "0.00 EUR"),
    (Decimal("-0.001"), "EUR", "0.00 EUR"),                    # never "-0.00"
    ("1234.5", None, "1,234.50"),
    ("1234.5", "JPY", "1,235 JPY"),                             # no minor unit
    ("1234.5678", "KWD", "1,234.568 KWD"),                      # three decimals
    (None, "EUR", "n/a"),
    ("", "EUR", "n/a"),
])
def test_money(value, currency, expected):
    assert money(value, currency) == expected


def test_money_takes_a_money_object_and_its_currency():
    assert money(Money(amount=Decimal("1500.5"), currency="eur")) == "1,500.50 EUR"


@pytest.mark.parametrize("value, expected", [
    ("1234567", "1.23M EUR"),
    ("456789", "456.8K EUR"),
    ("950", "950.00 EUR"),
    ("-5000", "-5.0K EUR"),
    ("999960", "1.00M EUR"),              # rounding up moves to the next scale, never "1000.0K"
    ("999999", "1.00M EUR"),
    ("2049999999", "2.05bn EUR"),
    (None, "n/a"),
])
def test_compact_money(value, expected):
    assert compact_money(value, "EUR") == expected


@pytest.mark.parametrize("ratio, digits, expected", [
    (0.12, 0, "12%"), ("0.1256", 1, "12.6%"), (Decimal("-0.05"), 0, "-5%"), (1.5, 0, "150%"), (None, 0, "n/a"),
])
def test_pct(ratio, digits, expected):
    assert pct(ratio, digits) == expected


@pytest.mark.parametrize("value, digits, expected", [
    (1234, 0, "1,234"), (4.25, 1, "4.3"), ("12.5", 0, "13"), (-3, 0, "-3"), (None, 0, "n/a"),
])
def test_num(value, digits, expected):
    assert num(value, digits) == expected


@pytest.mark.parametrize("value, expected", [
    ("2026-11-18", "18 Nov 2026"), (dt.date(2026, 1, 2), "2 Jan 2026"), ("2026-11-18T09:30:00", "18 Nov 2026"),
    (dt.datetime(2026, 3, 4, 5, 6), "4 Mar 2026"), ("2026-11", "Nov 2026"), (None, "n/a"),
])
def test_day(value, expected):
    assert day(value) == expected


@pytest.mark.parametrize("bad", ["abc", "1,234", float("nan")])
def test_numbers_that_are_not_numbers_are_refused_with_the_value_named(bad):
    with pytest.raises(ValueError, match="not a"):
        money(bad)


@pytest.mark.parametrize("bad", [True, [1], object()])
def test_values_of_another_type_are_refused(bad):
    with pytest.raises(TypeError, match="not a number"):
        num(bad)


def test_a_day_that_is_not_a_date_is_refused():
    with pytest.raises(ValueError, match="'next week' is not an ISO date"):
        day("next week")


def test_sources_are_deduplicated_linked_and_capped():
    citations = [Citation(model="account.move", id=i, name=f"INV/2026/{i:05d}", url=f"http://odoo.test/web#id={i}")
                 for i in range(1, 12)]
    citations.insert(1, citations[0])
    text = sources_markdown(citations, limit=3)
    assert text == ("Sources: [INV/2026/00001](http://odoo.test/web#id=1), [INV/2026/00002](http://odoo.test/web#id=2),"
                    " [INV/2026/00003](http://odoo.test/web#id=3) and further records")
    assert sources_markdown([]) == ""


def test_sources_escape_odoo_text_and_drop_links_that_are_not_web_links():
    citations = [Citation(model="res.partner", id=7, name="Evil](http://phish.example) [x", url="javascript:alert(1)"),
                 {"model": "res.partner", "id": 8, "name": "Acme_Corp", "url": "https://odoo.test/web#id=8"}]
    text = sources_markdown(citations)
    assert text == r"Sources: Evil\](http://phish.example) \[x, [Acme\_Corp](https://odoo.test/web#id=8)"


# -- every filter's output passes the grounding check against the value it printed ----------------------------

VALUES = ["1234567.89", "-5000", "0.1256", "950", "456789", "2049999999", "0", "12", "999960", "0.5"]


def _result(data: dict, citations: tuple[Citation, ...] = ()) -> ToolResult:
    return ToolResult(tool="synthetic", ok=True, data=data, citations=citations)


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("printer", [
    lambda v: money(v, "EUR"), lambda v: compact_money(v, "EUR"), lambda v: pct(v), lambda v: pct(v, 1),
    lambda v: num(v), lambda v: num(v, 2), lambda v: money(v, "JPY"),
], ids=["money", "compact_money", "pct", "pct1", "num", "num2", "money_jpy"])
def test_every_filter_output_is_traceable_to_its_value(printer, value):
    text = f"The figure is {printer(value)} as of {day('2026-11-18')}."
    report = check_numbers(text, [_result({"figure": value})])
    assert report.ok, (text, report)
    assert report.checked == 1


def test_filters_are_registered_in_the_answer_environment():
    env = answer_environment()
    template = env.from_string(
        "Cash {{ data.total | money(data.currency) }} ({{ data.total | compact_money(data.currency) }}), "
        "{{ data.on_time_ratio | pct }} on time, {{ data.days | num }} days, on {{ data.as_of | day }}.\n"
        "{{ citations | sources }}")
    citations = (Citation(model="account.journal", id=3, name="Bank 2", url="http://odoo.test/web#id=3"),)
    data = {"total": "1234567.89", "currency": "EUR", "on_time_ratio": 0.83, "days": 12, "as_of": "2026-11-18"}
    text = template.render(data=data, citations=citations)
    assert text == ("Cash 1,234,567.89 EUR (1.23M EUR), 83% on time, 12 days, on 18 Nov 2026.\n"
                    "Sources: [Bank 2](http://odoo.test/web#id=3)")
    assert check_numbers(text, [_result(data, citations)]).ok


def test_the_environment_is_strict_and_does_not_escape_markdown():
    env = answer_environment()
    with pytest.raises(UndefinedError, match="missing"):
        env.from_string("{{ data.missing | money }}").render(data={})
    assert env.from_string("{{ name }}").render(name="R&D <team>") == "R&D <team>"


def test_a_failed_result_says_what_could_not_be_obtained():
    failed = ToolResult(tool="customer_payment_behaviour", ok=False,
                        error="no customer matches 'Globex 2000'; known customers include Acme")
    text = render_answer(failed)
    assert text == ("I could not get the customer's payment behaviour: no customer matches 'Globex 2000'; "
                    "known customers include Acme")
    assert check_numbers(text, [failed]).ok        # the quoted error's digits are not figures the writer states


def test_a_tool_without_a_template_gets_its_numeric_fields_listed():
    result = ToolResult(tool="no_such_template_tool", ok=True, data={
        "currency": "EUR", "total": "1234.50", "overdue_share": 0.256, "count": 4, "as_of": "2026-11-18",
        "lowest": {"amount": "-300.00", "week": 3}, "days_1_30": "10.00",
        "rows": [{"partner": "Studio 54", "amount": "99.90"}, {"partner": "Acme", "amount": "1.5"}],
        "note": "free text with 77 in it"})
    text = render_answer(result)
    assert text.splitlines() == [
        "The no such template tool:",
        "- Total: 1,234.50 EUR",
        "- Overdue share: 25.6%",
        "- Count: 4",
        "- Lowest: Amount: -300.00 EUR; Week: 3",
        "- days_1_30: 10.00 EUR",
        "- Rows — Studio 54: Amount: 99.90 EUR",
        "- Rows — Acme: Amount: 1.50 EUR",
    ]
    assert check_numbers(text, [result]).ok


def test_template_answer_joins_results_and_says_when_there_is_nothing():
    ok = ToolResult(tool="no_such_template_tool", ok=True, data={"total": 5})
    failed = ToolResult(tool="cash_forecast", ok=False, error="the books could not be read")
    text = template_answer([ok, failed])
    assert text == ("The no such template tool:\n- Total: 5\n\n"
                    "I could not get the cash forecast: the books could not be read")
    assert template_answer([]) == "I found no figures in the books for this question."
