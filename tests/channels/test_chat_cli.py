"""``ledgerpilot chat`` and ``ledgerpilot discuss`` as users run them: real subprocesses, real sandboxes,
the scripted model server where a model is configured."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ledgerpilot.agent.grounding import mentions_value
from ledgerpilot.channels.discuss_format import html_to_text
from ledgerpilot.config import load_settings
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.tools.agent.toolkit import ToolContext, run_tool
from tests.agent.scripted_llm import ScriptedLLM, call, reply, respond
from tests.channels.conftest import odoo_env_for, run_cli
from tests.conftest import DEMO_SCALE, DEMO_SEED, DEMO_TODAY

DEMO_ARGS = ("--demo", "--seed", str(DEMO_SEED), "--scale", str(DEMO_SCALE), "--today", DEMO_TODAY.isoformat())


def _with_demo_company(cli_env: dict, demo_data_dir: Path) -> None:
    """Put the session's demo company where `--demo` looks for it, instead of building another one."""
    home = Path(cli_env["LEDGERPILOT_HOME"])
    target = home / "sandbox" / f"seed{DEMO_SEED}-scale{DEMO_SCALE:g}-{DEMO_TODAY.isoformat()}"
    target.parent.mkdir(parents=True)
    shutil.copytree(demo_data_dir, target)


def _model_env(cli_env: dict, server: ScriptedLLM) -> dict:
    return {**cli_env, "LEDGERPILOT_LLM_BASE_URL": server.base_url, "LEDGERPILOT_LLM_MODEL": "scripted",
            "LEDGERPILOT_LLM_API_KEY": "test", "LEDGERPILOT_LLM_RETRY_WAIT_MAX": "0.01"}


def _quote_total(template: str):
    def answer(request):
        content = json.loads([m for m in request["messages"] if m["role"] == "tool"][-1]["content"])
        return reply(template.format(total=content["data"]["total"]))
    return respond(answer)


@pytest.mark.slow
def test_chat_demo_json_answers_with_the_books_figures(cli_env, demo_data_dir):
    _with_demo_company(cli_env, demo_data_dir)
    with ScriptedLLM([call("cash_position", {}), _quote_total("We have {total} EUR in the bank.")]) as server:
        result = run_cli("chat", *DEMO_ARGS, "--json", "How much cash do we have?", env=_model_env(cli_env, server))
        server.assert_done()
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mode"] == "llm" and data["source"] == "llm" and data["thread_id"] == "cli"
    assert [t["tool"] for t in data["tools"]] == ["cash_position"] and data["grounding"]["share"] == 1.0
    assert data["citations"] and data["citations"][0]["url"].startswith("http://127.0.0.1:")
    assert "Sources: [" in data["text"] and data["usage"]["total_tokens"] > 0
    logged = [json.loads(line) for path in (Path(cli_env["LEDGERPILOT_HOME"]) / "runs").glob("*.jsonl")
              for line in path.read_text().splitlines()]
    assert [entry["purpose"] for entry in logged] == ["chat", "chat"], "every model call is in the run log"


@pytest.mark.slow
def test_chat_interactive_session_remembers_the_thread(cli_env, demo_data_dir):
    _with_demo_company(cli_env, demo_data_dir)
    script = [reply("Hello. Ask me about cash, receivables, budgets or the close."),
              reply("You greeted me.")]
    with ScriptedLLM(script) as server:
        done = subprocess.run([sys.executable, "-m", "ledgerpilot.channels.cli.app", "chat", *DEMO_ARGS,
                               "--thread", "board"], input="Hello\nWhat did I say?\n", env=_model_env(cli_env, server),
                              capture_output=True, text=True, timeout=300, check=False)
        second = server.requests[1]["messages"]
    assert done.returncode == 0, done.stderr
    assert "Hello. Ask me about cash" in done.stdout and "You greeted me." in done.stdout
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]


def test_chat_without_odoo_is_a_configuration_error(cli_env):
    result = run_cli("chat", "How much cash?", env=cli_env)
    assert result.returncode == 2
    assert "Odoo is not configured" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_discuss_once_answers_new_messages_and_remembers_where_it_stopped(fresh_sandbox, tmp_path):
    """With the scripted model configured (offline answers in the channel: tests/channels/test_discuss.py)."""
    home = tmp_path / "home"
    with ScriptedLLM([call("cash_position", {}), _quote_total("Cash in the bank: {total} EUR.")]) as server, \
            connect(demo_connection(fresh_sandbox.url, "admin")) as admin, \
            connect(demo_connection(fresh_sandbox.url, "clerk")) as clerk:
        env = _model_env(odoo_env_for(fresh_sandbox, home), server)
        first = run_cli("discuss", "--once", "--json", env=env)           # first start: begins after history
        assert first.returncode == 0, first.stderr
        started = json.loads(first.stdout)
        assert started["handled"] == [] and started["model"] == "discuss.channel"
        channel = started["channel_id"]
        asked = clerk.call("discuss.channel", "message_post", [channel], body="How much cash do we have in the bank?",
                           message_type="comment", subtype_xmlid="mail.mt_comment")
        second = run_cli("discuss", "--once", "--json", "--today", DEMO_TODAY.isoformat(), env=env)
        assert second.returncode == 0, second.stderr
        outcome = json.loads(second.stdout)
        assert [(h["message_id"], h["action"], h["author"]) for h in outcome["handled"]] == \
            [(asked, "answered", "Colin Clerk")]
        assert outcome["cursor"] == asked
        body = admin.read("mail.message", [outcome["handled"][0]["reply_id"]], ["body", "author_id"])[0]
        cash = run_tool(ToolContext(client=admin, settings=load_settings(home=tmp_path), today=DEMO_TODAY),
                        "cash_position")
        assert mentions_value(html_to_text(body["body"]), cash.data["total"]), body["body"]
        assert body["author_id"][1] == "Mitchell Admin", "the bot posts as the configured user"
        server.assert_done()


def test_discuss_unknown_channel_exits_with_a_clear_message(fresh_sandbox, tmp_path):
    result = run_cli("discuss", "--once", "--channel", "treasury", env=odoo_env_for(fresh_sandbox, tmp_path / "h"))
    assert result.returncode == 1
    assert "no Discuss channel named 'treasury'" in result.stderr and "'finance'" in result.stderr


@pytest.mark.slow
def test_chat_explain_shows_how_the_router_reads_a_question(cli_env, demo_data_dir):
    _with_demo_company(cli_env, demo_data_dir)
    done = subprocess.run([sys.executable, "-m", "ledgerpilot.channels.cli.app", "chat", *DEMO_ARGS, "--explain",
                           "--json", "pls pay the biggest bill and show me our cash forcast"], env=cli_env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["corrected"] == "please pay the biggest bill and show me our cash forecast"
    assert data["kind"] == "act" and data["request"]["family"] == "pay"
    assert [c["tool"] for c in data["calls"]] == ["cash_forecast"] and len(data["nearest_examples"]) == 3
    assert data["intents"] and all(0 <= i["probability"] <= 1 for i in data["intents"])
