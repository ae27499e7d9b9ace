"""The agent evaluation: the question file, the scorer on hand-made answers, a small real run on the demo
sandbox (offline, through Agent.ask), and `ledgerpilot eval agent` with --only and --json."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from ledgerpilot.agent.agent import Answer
from ledgerpilot.agent.grounding import GroundingReport, mentions_value
from ledgerpilot.agent.llm import Usage
from ledgerpilot.evals.agent import (
    AgentEvalError,
    FactPathError,
    date_stated,
    eval_agent,
    evaluate_agent,
    fact_stated,
    load_questions,
    percentile,
    score_answer,
    summarize,
    value_at,
)
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.tools.toolkit import ToolResult, all_tools, run_tool
from tests.channels.conftest import odoo_env_for, run_cli
from tests.conftest import DEMO_TODAY

READ_TOOLS = sorted(name for name, spec in all_tools().items() if spec.kind == "read")


# ------------------------------------------------------------------------------------ the question file


def test_question_file_covers_every_read_capability():
    questions = load_questions()
    assert len(questions.questions) >= 60
    expected = {tool for q in questions.questions for tool in q.tools}
    assert set(READ_TOOLS) <= expected, f"no question for {set(READ_TOOLS) - expected}"
    categories = {q.category for q in questions.questions}
    assert {"multi-intent", "follow-up", "out of scope"} <= categories
    assert any(len(q.tools) > 1 for q in questions.questions)
    assert sum(q.after is not None for q in questions.questions) >= 3
    assert all(not q.facts for q in questions.questions if not q.tools)
    scenario_kinds = {q.arguments["cash_scenario"]["kind"] for q in questions.questions
                      if "cash_scenario" in q.arguments}
    assert scenario_kinds == {"delay_collections", "customer_default", "sales_change", "defer_po"}
    # every fact is a path into a tool's data: an expected value is never written down
    for question in questions.questions:
        for fact in question.facts:
            tool_name, path = fact.split(".", 1)
            assert tool_name in question.tools and path and not path.replace(".", "").isdigit(), question.id


@pytest.mark.parametrize("entry, message", [
    ({"id": "a", "question": "q?", "tools": ["no_such_tool"]}, "unknown tool 'no_such_tool'"),
    ({"id": "a", "question": "q?", "tools": ["cash_position"], "facts": ["cash_forecast.lowest.amount"]},
     "must be '<one of its tools>.<path in its data>'"),
    ({"id": "a", "question": "{nobody} pays?", "tools": ["cash_position"]}, "placeholder(s) ['nobody']"),
    ({"id": "a", "question": "q?", "tools": ["cash_position"], "after": "b"}, "must name an earlier question"),
    ({"id": "a", "question": "q?", "tools": ["cash_forecast"], "arguments": {"cash_forecast": {"horizon": 3}}},
     "cash_forecast has no argument ['horizon']"),
    ({"id": "a", "question": "q?", "tools": ["cash_position"], "expected": 12}, "unknown key(s) ['expected']"),
])
def test_malformed_question_files_are_refused_with_the_reason(tmp_path, entry, message):
    path = tmp_path / "questions.yaml"
    path.write_text(json.dumps({"questions": [entry]}), encoding="utf-8")
    with pytest.raises(AgentEvalError) as err:
        load_questions(path)
    assert message in str(err.value)


def test_selection_runs_a_follow_ups_thread_but_scores_only_what_was_asked():
    questions = load_questions()
    run, scored = questions.select(["followup-ap"])
    assert [q.id for q in run] == ["followup-ar", "followup-ap"] and scored == {"followup-ap"}
    run, scored = questions.select(limit=3)
    assert len(run) == 3 and scored == {q.id for q in run}
    with pytest.raises(AgentEvalError, match="no question with id 'nope'"):
        questions.select(["nope"])


# ------------------------------------------------------------------------------------- facts and paths


def test_value_paths_indexes_and_selections():
    data = {"lowest": {"amount": "-1200.50", "date": "2026-12-07"},
            "buckets": [{"bucket": "not due", "amount": "10"}, {"bucket": "over 90", "amount": "7"}]}
    assert value_at(data, "lowest.amount") == "-1200.50"
    assert value_at(data, "buckets.1.amount") == "7"
    assert value_at(data, "buckets[bucket=Over 90].amount") == "7"
    with pytest.raises(FactPathError, match="has no 'amt'"):
        value_at(data, "lowest.amt")
    with pytest.raises(FactPathError, match="has only 2 element"):
        value_at(data, "buckets.5.amount")
    with pytest.raises(FactPathError, match="no element of buckets has bucket = '1-30'"):
        value_at(data, "buckets[bucket=1-30].amount")


def test_a_fact_that_is_neither_number_date_nor_text_is_a_question_file_error():
    with pytest.raises(FactPathError, match="not bool"):
        fact_stated("ready to lock", True)


def test_facts_are_stated_as_numbers_dates_or_names():
    assert fact_stated("The low point is 1.2M EUR.", "1234567.89")
    assert fact_stated("Lowest: -1,200.50 EUR", "-1200.50")
    assert not fact_stated("Lowest: 1,300.00 EUR", "-1200.50")
    assert fact_stated("on 7 Dec 2026", "2026-12-07") and fact_stated("on December 7", "2026-12-07")
    assert not fact_stated("on 17 Dec 2026", "2026-12-07")
    assert fact_stated("Azure   services pays late", "Azure Services")
    assert date_stated("due 2026-12-07", dt.date(2026, 12, 7))
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5 and percentile([], 0.95) == 0.0


# --------------------------------------------------------------------------------- the scorer, by hand


def _result(tool, data, arguments=None, ok=True, error=None):
    return ToolResult(tool=tool, arguments=arguments or {}, ok=ok, data=data if ok else {}, error=error)


def _answer(text, results, checked=0, traceable=0, failures=(), tokens=0, overhead=0.05):
    return Answer(question="q", text=text, mode="offline", tool_results=tuple(results),
                  grounding=GroundingReport(checked=checked, traceable=traceable, failures=tuple(failures)),
                  source="template", usage=Usage(prompt_tokens=0, completion_tokens=tokens, total_tokens=tokens),
                  overhead_seconds=overhead)


@pytest.fixture()
def scenario_question(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(json.dumps({"questions": [
        {"id": "s", "category": "cash scenario", "question": "What if Azure Services never pays?",
         "tools": ["cash_scenario"], "arguments": {"cash_scenario": {"kind": "customer_default",
                                                                     "customer": "Azure Services"}},
         "facts": ["cash_scenario.scenario_lowest.amount", "cash_scenario.lowest_difference"],
         "mentions": ["Azure Services"]}]}), encoding="utf-8")
    return load_questions(path).questions[0]


SCENARIO_DATA = {"scenario_lowest": {"amount": "84210.55", "date": "2027-01-04"}, "lowest_difference": "-15800.00"}


def _score(question, answer, reference_data=SCENARIO_DATA):
    references = {"cash_scenario": _result("cash_scenario", reference_data)}
    return score_answer(question, question.question, question.arguments, answer, references, list(question.mentions))


def test_right_tools_arguments_and_facts_score_full_marks(scenario_question):
    call = _result("cash_scenario", SCENARIO_DATA, {"kind": "customer_default", "customer": "azure services"})
    text = "If Azure Services never pays, cash bottoms at 84,210.55 EUR, 15.8K EUR lower than the base."
    score = _score(scenario_question, _answer(text, [call], checked=2, traceable=2))
    assert score.routing_ok and score.called_tools == ["cash_scenario"]
    assert (score.arguments_checked, score.arguments_ok) == (2, 2)
    assert (score.facts_checked, score.facts_stated) == (2, 2)
    assert (score.mentions_checked, score.mentions_found) == (1, 1)
    assert score.grounded and score.misses == []


def test_wrong_tool_is_a_routing_miss_blamed_on_the_router(scenario_question):
    call = _result("cash_forecast", {"lowest": {"amount": "99000.00"}})
    score = _score(scenario_question, _answer("Cash bottoms at 99,000.00 EUR.", [call], checked=1, traceable=1))
    assert not score.routing_ok
    kinds = {(m.kind, m.where) for m in score.misses}
    assert ("routing", "ledgerpilot/agent/router.py") in kinds
    assert any("not called: cash_scenario" in m.detail for m in score.misses)
    assert any("unrelated tool(s) called: cash_forecast" in m.detail for m in score.misses)
    assert score.facts_stated == 0 and score.facts_checked == 2
    assert all(m.where == "ledgerpilot/agent/router.py" for m in score.misses if m.kind == "fact")


def test_missing_fact_and_wrong_argument_are_named(scenario_question):
    call = _result("cash_scenario", SCENARIO_DATA, {"kind": "customer_default", "customer": "Azure Builders"})
    score = _score(scenario_question, _answer("Azure Services: cash bottoms at 84,210.55 EUR.", [call],
                                              checked=1, traceable=1))
    assert score.routing_ok
    assert (score.arguments_checked, score.arguments_ok) == (2, 1)
    assert (score.facts_checked, score.facts_stated) == (2, 1)
    fact_miss = next(m for m in score.misses if m.kind == "fact")
    assert "cash_scenario.lowest_difference = -15800.00 not stated" == fact_miss.detail
    assert fact_miss.where == "ledgerpilot/agent/templates/answers/cash_scenario.md.j2"
    argument_miss = next(m for m in score.misses if m.kind == "arguments")
    assert "customer" in argument_miss.detail and "Azure Builders" in argument_miss.detail
    assert argument_miss.where == "ledgerpilot/agent/question_parsing.py"


def test_untraceable_number_and_tool_error_are_reported(scenario_question):
    failed = _result("cash_scenario", {}, ok=False, error="no customer named Azure Services")
    score = _score(scenario_question, _answer("Cash would fall to 10M.", [failed], checked=1, traceable=0,
                                              failures=("10M",)))
    assert not score.grounded
    assert any(m.kind == "grounding" and "10M" in m.detail for m in score.misses)
    tool_miss = next(m for m in score.misses if m.kind == "tool_error")
    assert tool_miss.where == "ledgerpilot/tools/agent_cash.py"


def test_digits_in_source_links_never_count_as_stated(scenario_question):
    data = {"scenario_lowest": {"amount": "4"}, "lowest_difference": "-15800.00"}
    call = _result("cash_scenario", data, {"kind": "customer_default", "customer": "Azure Services"})
    text = "Azure Services: down 15,800.00 EUR.\n\nSources: [INV/2026/00001](http://odoo/web#id=4&model=account.move)"
    score = _score(scenario_question, _answer(text, [call], checked=1, traceable=1), reference_data=data)
    assert (score.facts_checked, score.facts_stated) == (2, 1)
    assert [m.detail for m in score.misses] == ["cash_scenario.scenario_lowest.amount = 4 not stated"]


def test_out_of_scope_question_must_call_no_tool(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(json.dumps({"questions": [{"id": "w", "question": "Weather?", "tools": []}]}), encoding="utf-8")
    question = load_questions(path).questions[0]
    polite = score_answer(question, "Weather?", {}, _answer("I can answer questions about the books: ...", []), {}, [])
    assert polite.routing_ok and polite.misses == []
    wrong = score_answer(question, "Weather?", {}, _answer("Cash is 5.", [_result("cash_position", {"total": "5"})],
                                                           checked=1, traceable=1), {}, [])
    assert not wrong.routing_ok


def test_summary_shares_percentiles_and_verdict(scenario_question):
    good = _score(scenario_question, _answer(
        "Azure Services: 84,210.55 EUR, down 15,800.00 EUR.",
        [_result("cash_scenario", SCENARIO_DATA, {"kind": "customer_default", "customer": "Azure Services"})],
        checked=2, traceable=2, overhead=0.1))
    bad = _score(scenario_question, _answer("Cash is 3M.", [], checked=1, traceable=0, failures=("3M",),
                                            overhead=0.3))
    report = summarize([good, bad], mode="offline", model=None, source="hand", today=DEMO_TODAY, picks={})
    assert report.questions == 2 and report.routing_accuracy == 0.5
    assert report.fact_accuracy == 0.5 and report.grounding_share == pytest.approx(2 / 3)
    assert report.overhead_p50 == pytest.approx(0.2) and report.overhead_max == pytest.approx(0.3)
    assert report.tokens_per_question == 0 and not report.passed
    assert report.categories[0].category == "cash scenario"
    assert report.misses_by_module["ledgerpilot/agent/router.py"] >= 1


# ------------------------------------------------------------------------ a real run on the demo sandbox


E2E_IDS = ["cash-position-today", "ar-overdue", "po-fits", "followup-ap", "out-weather"]


@pytest.fixture(scope="module")
def demo_report(sandbox, tmp_path_factory):
    from ledgerpilot.config import load_settings

    settings = load_settings(home=tmp_path_factory.mktemp("agent-eval-home"))
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        agent, ctx = eval_agent(client, settings, today=DEMO_TODAY, offline=True)
        report = evaluate_agent(agent, ctx, load_questions(), only=E2E_IDS, mode=agent.mode, source="demo")
        references = {name: run_tool(ctx, name, {}) for name in ("cash_position", "receivables_ageing",
                                                                 "payables_ageing")}
        draft_po = client.search_read("purchase.order", [("state", "in", ["draft", "sent", "to approve"])], ["name"], limit=1,
                                      order="id desc")[0]["name"]
    return report, references, draft_po


def test_small_offline_run_scores_real_answers(demo_report):
    report, references, draft_po = demo_report
    results = {r.id: r for r in report.results}
    assert set(results) == set(E2E_IDS) | {"followup-ar"}
    assert not results["followup-ar"].scored and results["followup-ap"].scored
    assert report.questions == len(E2E_IDS) and report.mode == "offline" and report.tokens_total == 0
    assert report.picks["draft_po"] == draft_po
    assert draft_po in results["po-fits"].question
    for result in results.values():
        assert result.answer.strip(), result.id
        assert result.overhead_seconds > 0
    # facts are checked against the tool run directly, in the answer actually given
    for qid, tool, key in (("cash-position-today", "cash_position", "total"),
                           ("ar-overdue", "receivables_ageing", "overdue"),
                           ("followup-ap", "payables_ageing", "total")):
        result = results[qid]
        stated = mentions_value(result.answer, Decimal(str(references[tool].data[key])))
        assert result.facts_checked == 1 and result.facts_stated == int(stated), qid
        assert result.routing_ok == (result.called_tools == [tool]), qid
    assert results["out-weather"].routing_ok == (results["out-weather"].called_tools == [])
    scored = [r for r in report.results if r.scored]
    assert report.routing_accuracy == sum(r.routing_ok for r in scored) / len(scored)
    checked = sum(r.numbers_checked for r in scored)
    assert checked > 0
    assert report.grounding_share == sum(r.numbers_traceable for r in scored) / checked


def test_model_endpoint_run_counts_tokens_and_model_time(sandbox, tmp_path):
    """With a model configured the same scorer runs over the real openai client path (scripted server)."""
    from ledgerpilot.config import load_settings
    from tests.agent.scripted_llm import ScriptedLLM, call, llm_settings, reply, respond

    def quote_total(request):
        tool_message = json.loads(request["messages"][-1]["content"])
        total = Decimal(str(tool_message["data"]["total"]))
        return reply(f"We hold {total:,.2f} EUR in the bank today.", prompt_tokens=300, completion_tokens=20)

    with ScriptedLLM([call("cash_position", {}), respond(quote_total)]) as server, \
            connect(demo_connection(sandbox.url, "readonly")) as client:
        settings = llm_settings(load_settings(home=tmp_path / "home"), server)
        agent, ctx = eval_agent(client, settings, today=DEMO_TODAY)
        report = evaluate_agent(agent, ctx, load_questions(), only=["cash-position-today"], mode=agent.mode,
                                model=settings.llm_model, source="demo")
        server.assert_done()
    result = report.results[0]
    assert report.mode == "llm" and report.model == "scripted"
    assert result.routing_ok and result.facts_stated == result.facts_checked == 1
    assert result.source == "llm" and result.tokens == report.tokens_total
    assert report.tokens_total >= 320 and report.tokens_per_question == report.tokens_total
    assert result.model_seconds > 0 and report.grounding_share == 1.0


# ------------------------------------------------------------------------------------------------- CLI


def test_cli_only_and_json(sandbox, tmp_path):
    env = odoo_env_for(sandbox, tmp_path / "home")
    result = run_cli("eval", "agent", "--odoo", "--as-of", DEMO_TODAY.isoformat(), "--only",
                     "cash-position-today,out-weather", "--json", env=env)
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    assert [r["id"] for r in data["results"]] == ["cash-position-today", "out-weather"]
    assert data["questions"] == 2 and data["mode"] == "offline" and data["today"] == DEMO_TODAY.isoformat()
    assert set(data) >= {"routing_accuracy", "argument_accuracy", "fact_accuracy", "grounding_share",
                         "tokens_per_question", "overhead_p50", "overhead_p95", "misses_by_module", "passed"}
    assert result.returncode == (0 if data["passed"] else 1)
    assert data["passed"] == (data["routing_accuracy"] >= 0.9 and data["grounding_share"] >= 1.0)


def test_cli_unknown_question_id_is_a_usage_error(sandbox, tmp_path):
    result = run_cli("eval", "agent", "--odoo", "--only", "no-such-question",
                     env=odoo_env_for(sandbox, tmp_path / "home"))
    assert result.returncode == 2
    assert "no question with id 'no-such-question'" in result.stderr
