"""The agent end to end: the demo sandbox over HTTP, SQLite memory, and (with a model) the scripted server.

Offline answers come from the router and the templates; with a model, the real openai client talks to
tests/agent/scripted_llm.py, which replays tool calls and answers.
"""

from __future__ import annotations

import json
import re

import pytest

from ledgerpilot.agent.agent import Agent, open_agent
from ledgerpilot.agent.grounding import mentions_value
from ledgerpilot.agent.llm import LlmClient
from ledgerpilot.agent.router import OfflineRouter
from ledgerpilot.config import load_settings
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.checkpoints import open_checkpoints
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.tools.agent.toolkit import ToolContext, all_tools, run_tool
from tests.agent.scripted_llm import ScriptedLLM, call, fail, llm_settings, reply, respond
from tests.conftest import DEMO_TODAY


@pytest.fixture(scope="module")
def client(sandbox):
    with connect(demo_connection(sandbox.url, "readonly")) as odoo:
        yield odoo


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("agent-home")


@pytest.fixture(scope="module")
def ctx(client, home):
    """One context for the module: tools computed once answer every later question from the cache."""
    return ToolContext(client=client, settings=load_settings(home=home), today=DEMO_TODAY)


@pytest.fixture(scope="module")
def router():
    return OfflineRouter()


def _tool(ctx, name, arguments=None):
    result = run_tool(ctx, name, arguments or {})
    assert result.ok, result.error
    return result


def _quote_tool_figure(key_path: tuple[str, ...], template: str):
    """A model that reads the last tool message and states one of its figures (as a model would)."""
    def answer(request):
        content = json.loads([m for m in request["messages"] if m["role"] == "tool"][-1]["content"])
        value = content["data"]
        for key in key_path:
            value = value[key]
        return reply(template.format(value=value))
    return respond(answer)


# -- offline ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "tool", "figure"), [
    ("How much cash do we have in the bank?", "cash_position", ("total",)),
    ("Which customers are overdue, how does the receivables ageing look?", "receivables_ageing", ("total",)),
    ("Where do we stand with the month-end close?", "close_status", None),
])
def test_offline_answers_with_the_tools_figures_and_linked_sources(ctx, router, question, tool, figure):
    agent = Agent(ctx, router=router)
    answer = agent.ask(question, thread_id=f"offline-{tool}")
    assert answer.mode == "offline" and answer.source == "template"
    assert tool in answer.tools_called
    result = next(r for r in answer.tool_results if r.tool == tool)
    assert result.ok, result.error
    assert result.data == _tool(ctx, tool, result.arguments).data, "the figures are the tool's own"
    if figure is not None:
        value = result.data
        for key in figure:
            value = value[key]
        assert mentions_value(answer.text, value), answer.text
    assert answer.grounding.ok and answer.grounding.share == 1.0
    assert answer.citations, "the answer rests on records"
    assert re.search(r"Sources: \[[^\]]+\]\(http://127\.0\.0\.1:\d+/web#id=\d+&model=[\w.]+&view_type=form\)",
                     answer.text), answer.text
    assert answer.usage.total_tokens == 0 and answer.model_seconds == 0 and answer.steps == 0
    assert answer.overhead_seconds > 0


def test_follow_up_uses_the_thread_and_a_new_agent_on_the_same_home_remembers_it(client, home, router, tmp_path):
    settings = load_settings(home=tmp_path)
    ctx = ToolContext(client=client, settings=settings, today=DEMO_TODAY, audit=AuditLog.in_home(tmp_path))
    with open_checkpoints(tmp_path) as (saver, _runs):
        first = Agent(ctx, router=router, checkpointer=saver)
        asked = first.ask("Which customers owe us the most?", thread_id="cfo", asker="Chloe Controller")
        assert asked.tools_called == ["receivables_ageing"]
        follow = first.ask("and payables?", thread_id="cfo", asker="Chloe Controller")
        assert follow.tools_called == ["payables_ageing"], "the follow-up inherits the question from the thread"
    with open_checkpoints(tmp_path) as (saver, _runs):           # another process, same home
        again = Agent(ToolContext(client=client, settings=settings, today=DEMO_TODAY), router=router,
                      checkpointer=saver)
        turns = again.history("cfo")
        assert [t["question"] for t in turns] == ["Which customers owe us the most?", "and payables?"]
        assert turns[0]["answer"] and turns[0]["asker"] == "Chloe Controller"
        assert again.history("someone-else") == []
    entries = AuditLog.in_home(tmp_path).entries(action="chat_question")
    assert [e.details["tools"] for e in entries] == [["receivables_ageing"], ["payables_ageing"]]
    assert entries[0].subject == "chat:cfo" and entries[0].actor == "Chloe Controller"
    assert entries[0].details["mode"] == "offline" and entries[0].details["grounding_share"] == 1.0


def test_offline_question_out_of_scope_says_what_can_be_asked(ctx, router):
    answer = Agent(ctx, router=router).ask("What will the weather be tomorrow?", thread_id="weather")
    assert answer.tool_results == () and answer.citations == ()
    assert "cash position" in answer.text and "anomalies" in answer.text


# -- with the scripted model -------------------------------------------------------------------------

def _llm_agent(ctx, server, *, step_budget=6, **settings_overrides):
    settings = llm_settings(ctx.settings, server, **settings_overrides)
    llm = LlmClient.from_settings(settings)
    return Agent(ToolContext(client=ctx.client, settings=settings, today=ctx.today, cache=ctx.cache), llm=llm,
                 step_budget=step_budget)


def test_model_calls_a_tool_then_answers_with_its_figure(ctx):
    total = _tool(ctx, "cash_position").data["total"]
    with ScriptedLLM([call("cash_position", {}), _quote_tool_figure(("total",), "We hold {value} EUR in the bank.")
                      ]) as server:
        answer = _llm_agent(ctx, server).ask("How much cash do we have?", thread_id="llm-1", asker="Chloe")
        server.assert_done()
        first = server.requests[0]
    assert answer.mode == "llm" and answer.source == "llm" and answer.steps == 1
    assert answer.tools_called == ["cash_position"] and mentions_value(answer.text, total)
    assert answer.text.startswith("We hold") and "Sources: [" in answer.text
    assert answer.usage.total_tokens > 0 and answer.model_seconds > 0
    names = {spec["function"]["name"] for spec in first["tools"]}
    assert "cash_position" in names and "propose_note" not in names
    kinds = {name: tool.kind for name, tool in all_tools().items()}
    assert {kinds[name] for name in names} == {"read"}, "a question is offered the read tools only"
    assert not [name for name in names if name.split("_")[0] in ("approve", "apply", "post", "pay", "reconcile")]
    assert first["messages"][0]["role"] == "system" and "Today is 2026-11-18" in first["messages"][0]["content"]
    user = first["messages"][-1]["content"]
    assert "<<<MESSAGE\nHow much cash do we have?\nMESSAGE>>>" in user and "from Chloe" in user


def test_two_rounds_of_tools(ctx):
    with ScriptedLLM([call("receivables_ageing", {"top": 3}), call("payables_ageing", {"top": 3}),
                      _quote_tool_figure(("total",), "We owe vendors {value} EUR.")]) as server:
        answer = _llm_agent(ctx, server).ask("Receivables and payables?", thread_id="llm-2")
        server.assert_done()
    assert answer.tools_called == ["receivables_ageing", "payables_ageing"] and answer.steps == 2
    assert answer.source == "llm" and len(server.requests[2]["messages"]) == len(server.requests[0]["messages"]) + 4


def test_malformed_arguments_go_back_to_the_model_which_recovers(ctx):
    with ScriptedLLM([call("receivables_ageing", '{"top": 3'), call("receivables_ageing", {"top": 3}),
                      _quote_tool_figure(("overdue",), "Overdue receivables: {value} EUR.")]) as server:
        answer = _llm_agent(ctx, server).ask("What is overdue?", thread_id="llm-3")
        error = json.loads(server.tool_messages(1)[0]["content"])
    assert "not valid JSON" in error["error"]
    assert [r.ok for r in answer.tool_results] == [False, True] and answer.source == "llm"
    assert answer.citations, "citations come from the successful result"


def test_a_tool_that_errors_is_reported_to_the_model(ctx):
    with ScriptedLLM([call("customer_payment_behaviour", {"customer": "Nobody Such Trading Ltd"}),
                      reply("I could not find a customer called Nobody Such Trading Ltd.")]) as server:
        answer = _llm_agent(ctx, server).ask("How does Nobody Such Trading pay?", thread_id="llm-4")
        error = json.loads(server.tool_messages(1)[0]["content"])
    assert error["tool"] == "customer_payment_behaviour" and error["error"]
    assert answer.tool_results[0].ok is False and answer.source == "llm"
    assert answer.text.startswith("I could not find a customer")


def test_rate_limited_then_answered(ctx):
    with ScriptedLLM([fail(429, retry_after=0), call("cash_position", {}),
                      _quote_tool_figure(("total",), "Cash: {value} EUR.")]) as server:
        answer = _llm_agent(ctx, server).ask("Cash?", thread_id="llm-5")
        server.assert_done()
    assert answer.source == "llm" and answer.tools_called == ["cash_position"]


def test_a_hallucinated_number_is_rewritten_once_then_replaced_by_the_template(ctx):
    planted = "9,876,543.21"
    with ScriptedLLM([call("cash_position", {}), reply(f"We hold {planted} EUR."),
                      reply(f"Corrected: we hold {planted} EUR.")]) as server:
        answer = _llm_agent(ctx, server).ask("How much cash?", thread_id="llm-6")
        server.assert_done()
    assert answer.source == "template" and planted not in answer.text
    assert mentions_value(answer.text, _tool(ctx, "cash_position").data["total"])
    assert answer.grounding.ok
    assert any("9,876,543.21" in failure for failure in answer.first_failures), answer.first_failures
    assert planted in server.requests[2]["messages"][0]["content"], "the rewrite request names the failure"


def test_the_step_budget_is_respected(ctx):
    with ScriptedLLM([call("cash_position", {}), call("payables_ageing", {}),
                      reply("I ran out of steps.")]) as server:
        answer = _llm_agent(ctx, server, step_budget=2).ask("Everything please", thread_id="llm-7")
        requests = server.requests
    assert answer.steps == 2 and answer.tools_called == ["cash_position", "payables_ageing"]
    assert len(requests) == 3, "two tool rounds, then one last request"
    assert "tools" in requests[1] and not requests[2].get("tools"), "the last request offers no tools"
    assert answer.text.startswith("I ran out of steps.")
    assert any("budget" in note for note in answer.notes)


def test_a_tool_call_after_the_budget_is_not_run(ctx):
    """A model that still calls a tool when none is offered: the call is ignored and, as it wrote no text,
    the writer asks for the narrative from the results gathered."""
    with ScriptedLLM([call("cash_position", {}), call("receivables_ageing", {}),
                      reply("Cash is in the bank accounts listed below.")]) as server:
        answer = _llm_agent(ctx, server, step_budget=1).ask("Cash?", thread_id="llm-7b")
        requests = server.requests
    assert answer.tools_called == ["cash_position"] and answer.steps == 1
    assert len(requests) == 3 and not requests[1].get("tools") and not requests[2].get("tools")
    assert answer.text.startswith("Cash is in the bank accounts listed below.")


def test_an_unreachable_model_falls_back_to_offline_and_says_so(ctx, router):
    with ScriptedLLM([fail(500, times=4)]) as server:
        settings = llm_settings(ctx.settings, server)
        agent = Agent(ToolContext(client=ctx.client, settings=settings, today=ctx.today, cache=ctx.cache),
                      llm=LlmClient.from_settings(settings), router=router)
        answer = agent.ask("How much cash do we have in the bank?", thread_id="llm-8")
    assert answer.mode == "llm" and answer.source == "template"
    assert answer.tools_called == ["cash_position"] and answer.grounding.ok
    assert answer.notes and "could not answer" in answer.notes[0]
    assert "The language model could not be reached" in answer.text, "the reader is told, not only the log"


def test_the_conversation_so_far_is_sent_to_the_model(ctx):
    with ScriptedLLM([reply("Hello, ask me about the books."), reply("You asked about greetings.")]) as server:
        agent = _llm_agent(ctx, server)
        agent.ask("Hello", thread_id="llm-9", asker="Chloe")
        agent.ask("What did I ask before?", thread_id="llm-9", asker="Chloe")
        second = server.requests[1]["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert "Hello" in second[1]["content"] and second[2]["content"] == "Hello, ask me about the books."


def test_open_agent_uses_the_home_checkpoints(client, tmp_path, router):
    settings = load_settings(home=tmp_path)
    with open_agent(client, settings, today=DEMO_TODAY, offline=True) as agent:
        agent.router = router
        agent.ask("What will the weather be?", thread_id="t")
    assert (tmp_path / "checkpoints.sqlite").exists()
    with open_agent(client, settings, today=DEMO_TODAY, offline=True) as agent:
        assert len(agent.history("t")) == 1


def test_a_long_running_agent_answers_from_the_books_of_the_day_asked(ctx, router):
    days = iter([DEMO_TODAY.replace(day=17), DEMO_TODAY])
    agent = Agent(ToolContext(client=ctx.client, settings=ctx.settings, today=DEMO_TODAY, cache=ctx.cache),
                  router=router, today=lambda: next(days))
    first = agent.ask("How much cash do we have in the bank?", thread_id="days")
    second = agent.ask("How much cash do we have in the bank?", thread_id="days")
    assert first.tool_results[0].data["as_of"] == "2026-11-17"
    assert second.tool_results[0].data["as_of"] == "2026-11-18"
