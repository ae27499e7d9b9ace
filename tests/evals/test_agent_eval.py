"""The agent evaluation: question files, truths from plain queries, the honest scorer on hand-made answers, a
real offline run on the demo sandbox (through Agent.ask), a scripted-model run, and `ledgerpilot eval agent`."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pytest

from ledgerpilot.agent.agent import Answer
from ledgerpilot.agent.grounding import GroundingReport
from ledgerpilot.agent.intents import load_intents
from ledgerpilot.agent.llm import Usage
from ledgerpilot.evals.agent import (
    AgentEvalError,
    date_stated,
    declined,
    eval_agent,
    evaluate_agent,
    fact_stated,
    load_questions,
    score_answer,
    summarize,
)
from ledgerpilot.evals.question_file import BLIND_DIR, REFUSAL_CATEGORIES, Bindings, PickRule
from ledgerpilot.evals.truth import TruthError, compute
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.tools.agent.toolkit import ToolResult, all_tools
from tests.channels.conftest import odoo_env_for, run_cli
from tests.conftest import DEMO_TODAY

READ_TOOLS = sorted(name for name, spec in all_tools().items() if spec.kind == "read")


# ------------------------------------------------------------------------------------ the question files


def test_in_house_set_covers_every_capability_and_the_hard_categories():
    questions = load_questions()
    expected = {tool for q in questions.questions for tool in q.tools}
    assert set(READ_TOOLS) <= expected, f"no question for {set(READ_TOOLS) - expected}"
    count = {c: sum(q.category == c for q in questions.questions) for c in {q.category for q in questions.questions}}
    assert count["action"] >= 12 and count["out_of_scope"] >= 8 and count["misspelling"] >= 10
    assert sum(q.after is not None for q in questions.questions) >= 12
    assert count["propose"] >= 4 and count["multi-intent"] >= 6
    kinds = {q.arguments["cash_scenario"]["kind"] for q in questions.questions if "cash_scenario" in q.arguments
             and "kind" in q.arguments["cash_scenario"]}
    assert kinds == {"delay_collections", "delay_customer", "customer_default", "sales_change", "defer_po"}
    # names come from the books at run time (placeholders), never from the file
    named = ("customer", "project", "department", "order", "purchase_order", "reference", "record", "assign_to")
    for question in questions.questions:
        for args in question.arguments.values():
            for key in named:
                if isinstance(args.get(key), str):
                    assert "{" in args[key], (question.id, key, args[key])
    assert sum(bool(q.truths) for q in questions.questions) >= 40


def test_blind_sets_load_and_keep_their_categories():
    sets = sorted(BLIND_DIR.glob("set-*.yaml"))
    assert len(sets) >= 2
    for path in sets:
        questions = load_questions(path)
        categories = {q.category for q in questions.questions}
        assert {"answerable", "misspelling", "action", "out_of_scope", "follow_up", "propose"} <= categories, path


def test_no_eval_question_is_a_near_copy_of_an_intent_example():
    """An eval question within cosine 0.9 of a router example measures memory, not understanding."""
    from ledgerpilot.memory.embeddings import load_embedder

    embedder = load_embedder()
    examples = [text for items in load_intents().values() for text in items]
    matrix = np.asarray(embedder.encode(examples), dtype=np.float32)
    files = [None, *sorted(BLIND_DIR.glob("set-*.yaml"))]
    questions = [q.question for path in files for q in load_questions(path).questions]
    vectors = np.asarray(embedder.encode(questions), dtype=np.float32)
    cosines = vectors @ matrix.T
    close = [(questions[i], examples[int(cosines[i].argmax())], round(float(cosines[i].max()), 3))
             for i in range(len(questions)) if cosines[i].max() >= 0.9]
    assert not close, "eval questions too close to intent examples:\n" + "\n".join(map(str, close))


@pytest.mark.parametrize(("entry", "message"), [
    ({"id": "a", "question": "q?", "tools": ["no_such_tool"]}, "unknown tool 'no_such_tool'"),
    ({"id": "a", "question": "q?", "tools": ["cash_position"], "truths": ["the_answer"]}, "unknown truth 'the_answer'"),
    ({"id": "a", "question": "{nobody} pays?", "tools": ["cash_position"]}, "placeholder(s) ['nobody']"),
    ({"id": "a", "question": "q?", "tools": ["cash_position"], "after": "b"}, "must name an earlier question"),
    ({"id": "a", "question": "q?", "tools": ["cash_forecast"], "arguments": {"cash_forecast": {"horizon": 3}}},
     "cash_forecast has no argument ['horizon']"),
    ({"id": "a", "question": "q?", "tools": ["cash_position"], "facts": ["x.y"]}, "unknown key(s) ['facts']"),
    ({"id": "a", "category": "out_of_scope", "question": "rain?", "tools": ["find_record"]}, "expects no tool"),
    ({"id": "a", "category": "action", "question": "pay it", "tools": ["propose_note"]}, "expects no propose tool"),
])
def test_malformed_question_files_are_refused_with_the_reason(tmp_path, entry, message):
    path = tmp_path / "questions.yaml"
    path.write_text(json.dumps({"questions": [entry]}), encoding="utf-8")
    with pytest.raises(AgentEvalError) as err:
        load_questions(path)
    assert message in str(err.value)


def test_a_binary_question_file_is_a_usage_error(tmp_path):
    path = tmp_path / "questions.yaml"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(AgentEvalError, match="not UTF-8"):
        load_questions(path)


def test_selection_runs_a_follow_ups_thread_but_scores_only_what_was_asked():
    questions = load_questions()
    follow = next(q for q in questions.questions if q.after is not None)
    run, scored = questions.select([follow.id])
    assert follow.after in [q.id for q in run] and scored == {follow.id}
    with pytest.raises(AgentEvalError, match="no question with id 'nope'"):
        questions.select(["nope"])


# ------------------------------------------------------------------------------ picks and truths (real books)


def test_picks_and_truths_come_from_plain_queries(sandbox):
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        bindings = Bindings(client, DEMO_TODAY, load_questions().picks)
        customer, customer2 = bindings.value("customer"), bindings.value("customer2")
        assert customer != customer2
        assert bindings.value("this_month") == "2026-11" and bindings.value("last_month_name") == "October"
        # the truths agree with a hand sum over the same rows
        rows = client.search_read("account.move.line", [("parent_state", "=", "posted"),
                                                        ("account_id.account_type", "=", "asset_cash"),
                                                        ("date", "<=", DEMO_TODAY.isoformat())], ["balance"])
        assert compute(client, DEMO_TODAY, "cash_total", {}) == sum(Decimal(str(r["balance"])) for r in rows)
        owed = compute(client, DEMO_TODAY, "partner_receivable", {"partner": customer})
        assert owed > 0
        assert compute(client, DEMO_TODAY, "partner_overdue", {"partner": customer}) <= owed
        with pytest.raises(TruthError, match="no partner"):
            compute(client, DEMO_TODAY, "partner_receivable", {"partner": "Nobody Ltd"})
        with pytest.raises(Exception, match="fewer than 99"):
            Bindings(client, DEMO_TODAY, {"x": PickRule("x", "project.project", nth=99)}).value("x")


# --------------------------------------------------------------------------------- the scorer, by hand


def _result(tool, data, arguments=None, ok=True, error=None):
    return ToolResult(tool=tool, arguments=arguments or {}, ok=ok, data=data if ok else {}, error=error)


def _answer(text, results, checked=0, traceable=0, failures=(), tokens=0, overhead=0.05):
    return Answer(question="q", text=text, mode="offline", tool_results=tuple(results),
                  grounding=GroundingReport(checked=checked, traceable=traceable, failures=tuple(failures)),
                  source="template", usage=Usage(prompt_tokens=0, completion_tokens=tokens, total_tokens=tokens),
                  overhead_seconds=overhead)


def _question(tmp_path, **entry):
    path = tmp_path / "q.yaml"
    path.write_text(json.dumps({"questions": [{"id": "q", **entry}]}), encoding="utf-8")
    return load_questions(path).questions[0]


def test_right_tools_arguments_and_truths_pass(tmp_path):
    question = _question(tmp_path, category="payment behaviour", question="How does Acme pay?",
                         tools=["customer_payment_behaviour"], arguments={"customer_payment_behaviour":
                                                                          {"customer": "Acme"}})
    call = _result("customer_payment_behaviour", {"open_amount": "1234.50"}, {"customer": "acme"})
    score = score_answer(question, question.question, question.arguments,
                         _answer("Acme owes 1,234.50 EUR.", [call], checked=1, traceable=1),
                         {"partner_receivable(partner=Acme)": Decimal("1234.50")}, ["Acme"])
    assert score.right and score.passed and score.grounded and score.misses == []


def test_a_wrong_tool_with_grounded_numbers_still_fails_on_the_truth(tmp_path):
    """The old eval re-ran the tool it scored, so a wrong tool scored itself right; a truth cannot be fooled."""
    question = _question(tmp_path, category="receivables", question="How much do customers owe?",
                         tools=["receivables_ageing"])
    call = _result("payables_ageing", {"total": "999.00"})
    score = score_answer(question, question.question, {}, _answer("We owe 999.00 EUR.", [call], checked=1,
                                                                   traceable=1),
                         {"receivables_total": Decimal("5000.00")}, [])
    assert not score.right and not score.passed
    assert (score.facts_checked, score.facts_stated) == (1, 0)


def test_an_answer_without_figures_is_not_grounded(tmp_path):
    question = _question(tmp_path, category="cash position", question="Cash?", tools=["cash_position"])
    call = _result("cash_position", {"total": "10.00"})
    score = score_answer(question, "Cash?", {}, _answer("We have some cash.", [call]), {}, [])
    assert score.right and not score.grounded and not score.passed
    assert any("states no figure" in m.detail for m in score.misses)


def test_refusals_are_scored_on_what_the_answer_says_and_stores(tmp_path):
    action = _question(tmp_path, category="action", question="Pay BILL/1", tools=[], also_ok=["find_record"])
    refusal = "I can't pay anything myself: ledgerpilot reads and proposes; a person approves."
    lookup = _result("find_record", {"amount_total": "5.00"})
    ok = score_answer(action, "Pay BILL/1", {}, _answer(refusal, [lookup]), {}, [])
    assert ok.right and ok.declined and ok.passed
    silent = score_answer(action, "Pay BILL/1", {}, _answer("BILL/1 is 5.00 EUR.", [lookup], checked=1,
                                                             traceable=1), {}, [])
    assert not silent.right and any(m.kind == "refusal" for m in silent.misses)
    extra = score_answer(action, "Pay BILL/1", {}, _answer(refusal, [lookup, _result("payables_ageing", {})]), {}, [])
    assert extra.right                     # a refusal may show reads of its own
    proposing = score_answer(action, "Pay BILL/1", {}, _answer(refusal, [_result("propose_note", {})]), {}, [])
    assert not proposing.right
    stored = score_answer(action, "Pay BILL/1", {}, _answer(refusal, []), {}, [], stored=1)
    assert not stored.right and any(m.kind == "stored" for m in stored.misses)
    outside = _question(tmp_path, category="out_of_scope", question="Weather?", tools=[])
    assert score_answer(outside, "Weather?", {}, _answer("That is outside what I can see in your books.", []),
                        {}, []).passed
    assert set(REFUSAL_CATEGORIES) == {"action", "out_of_scope"}


def test_a_read_question_that_stores_a_proposal_fails(tmp_path):
    question = _question(tmp_path, category="budget status", question="Budget?", tools=["budget_status"])
    call = _result("budget_status", {"line_count": 3})
    score = score_answer(question, "Budget?", {}, _answer("3 lines.", [call], checked=1, traceable=1), {}, [],
                         stored=2)
    assert not score.right and not score.passed


def test_free_text_arguments_match_by_their_words(tmp_path):
    question = _question(tmp_path, category="propose", question="note", tools=["propose_note"],
                         arguments={"propose_note": {"record": "INV/1", "text": "on hold until delivery"}})
    call = _result("propose_note", {"proposal_id": "x"}, {"record": "INV/1", "text": "'On hold, until delivery.'"})
    score = score_answer(question, "note", question.arguments, _answer("Stored.", [call]), {}, [], stored=1)
    assert score.right and score.arguments_ok == 2


def test_text_helpers():
    assert fact_stated("The low point is 1.2M EUR.", "1234567.89")
    assert fact_stated("on 7 Dec 2026", dt.date(2026, 12, 7))
    assert fact_stated("Azure   services pays late", "Azure Services")
    assert date_stated("due 2026-12-07", dt.date(2026, 12, 7))
    assert declined("I can't mark anything myself") and declined("That is outside what I can see in your books")
    assert not declined("Cash is 5 EUR.")


def test_summary_counts_every_question_and_skipped_ones_fail(tmp_path):
    question = _question(tmp_path, category="cash position", question="Cash?", tools=["cash_position"])
    call = _result("cash_position", {"total": "10.00"})
    good = score_answer(question, "Cash?", {}, _answer("10.00 EUR", [call], checked=1, traceable=1, overhead=0.1),
                        {"cash_total": Decimal("10.00")}, [])
    skipped = good.model_copy(update={"skipped": "pick found nothing", "id": "s"})
    report = summarize([good, skipped], mode="offline", model=None, source="hand", today=DEMO_TODAY, picks={})
    assert report.questions == 2 and report.skipped == 1 and report.pass_rate == 0.5 and not report.passed
    assert report.overhead_p50 == pytest.approx(0.1)


# ------------------------------------------------------------------------ a real run on the demo sandbox


E2E_IDS = ["cash-position-1", "receivables-7", "follow-up-12", "follow-up-13", "action-1", "out-of-scope-1",
           "purchase-order-check-1"]


def test_small_offline_run_scores_real_answers(sandbox, tmp_path):
    from ledgerpilot.config import load_settings

    settings = load_settings(home=tmp_path / "home")
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        agent, ctx = eval_agent(client, settings, today=DEMO_TODAY, offline=True)
        report = evaluate_agent(agent, ctx, load_questions(), only=E2E_IDS, mode=agent.mode, source="demo")
        cash = compute(client, DEMO_TODAY, "cash_total", {})
    results = {r.id: r for r in report.results}
    assert {i for i, r in results.items() if r.scored} == set(E2E_IDS)
    assert report.questions == len(E2E_IDS) and report.mode == "offline" and report.tokens_total == 0
    assert results["cash-position-1"].facts_checked == 1
    assert results["cash-position-1"].facts_stated == int(fact_stated(results["cash-position-1"].answer, cash))
    assert results["action-1"].declined and results["action-1"].proposals_stored == 0
    assert results["out-of-scope-1"].called_tools == []
    assert report.proposals_stored_by_reads == 0
    assert report.pass_rate == sum(r.passed for r in report.results if r.scored) / len(E2E_IDS)


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
        report = evaluate_agent(agent, ctx, load_questions(), only=["cash-position-1"], mode=agent.mode,
                                model=settings.llm.model, source="demo")
        server.assert_done()
    result = report.results[0]
    assert report.mode == "llm" and report.model == "scripted"
    assert result.right and result.facts_stated == result.facts_checked == 1 and result.passed
    assert result.source == "llm" and result.tokens == report.tokens_total
    assert report.tokens_total >= 320 and result.model_seconds > 0 and report.grounding_share == 1.0


# ------------------------------------------------------------------------------------------------- CLI


@pytest.mark.slow
def test_cli_only_and_json(sandbox, tmp_path):
    env = odoo_env_for(sandbox, tmp_path / "home")
    result = run_cli("eval", "agent", "--odoo", "--as-of", DEMO_TODAY.isoformat(), "--only",
                     "cash-position-1,out-of-scope-1", "--json", env=env)
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    assert [r["id"] for r in data["results"]] == ["cash-position-1", "out-of-scope-1"]
    assert data["questions"] == 2 and data["mode"] == "offline" and data["today"] == DEMO_TODAY.isoformat()
    assert {"pass_rate", "right_rate", "refusal_rate", "proposals_stored_by_reads", "fact_accuracy",
            "grounding_share", "overhead_p95", "passed"} <= set(data)
    assert all("passed" in r for r in data["results"])
    assert result.returncode == (0 if data["passed"] else 1)


def test_cli_blind_set_and_unknown_id(sandbox, tmp_path):
    env = odoo_env_for(sandbox, tmp_path / "home")
    result = run_cli("eval", "agent", "--odoo", "--only", "no-such-question", env=env)
    assert result.returncode == 2 and "no question with id 'no-such-question'" in result.stderr
    result = run_cli("eval", "agent", "--odoo", "--blind", "zz", env=env)
    assert result.returncode == 2 and "no blind set 'zz'" in result.stderr
