"""Every text a model reads comes from a versioned file in ledgerpilot/prompts/, and every prompt there is used."""

import datetime as dt
import re
from pathlib import Path

import ledgerpilot
from ledgerpilot.agent import chat_graph as chat
from ledgerpilot.prompts import PACKAGE_PROMPTS, PROMPTS_FOLDER, load_prompt, prompt_text, prompt_versions
from ledgerpilot.tools.agent.toolkit import all_tools, tool_specs

PACKAGE = Path(ledgerpilot.__file__).parent


def test_every_prompt_is_loaded_by_the_code():
    code = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py") if PROMPTS_FOLDER not in p.parents)
    for name in PACKAGE_PROMPTS.names():
        assert re.search(rf"[\"']{name}[\"']", code), f"no code loads the prompt {name}"


def test_older_versions_only_stay_beside_a_newer_one():
    for path in PROMPTS_FOLDER.glob("*.md"):
        name, version = path.name.split(".v")[0], int(path.name.split(".v")[1].split(".")[0])
        assert load_prompt(name).version >= version
        assert re.match(r"^[a-z][a-z0-9_]*\.v[1-9][0-9]*\.md$", path.name), path.name


def test_tool_descriptions_come_from_their_prompt_one_per_tool():
    parts = load_prompt("tool_descriptions").sections()
    assert set(parts) == set(all_tools())
    for spec in tool_specs(("read", "propose")):
        assert spec["function"]["description"] == parts[spec["function"]["name"]] != ""


def test_the_conversation_is_made_of_prompts(tmp_path):
    class Ctx:
        today = dt.date(2026, 11, 18)

    class Deps:
        company = "Acme"
        ctx = Ctx()

    turns = [{"question": "cash?", "asker": "ann", "answer": "1,000 EUR"}]
    messages = chat.conversation(Deps(), turns, "and next week?", "")
    assert messages[0]["content"] == load_prompt("chat_system").render(company="Acme", today="2026-11-18")
    assert messages[1]["content"] == prompt_text("chat_question", asker="ann", text="cash?", open="<<<MESSAGE",
                                                 close="MESSAGE>>>")
    assert messages[3]["content"] == prompt_text("chat_question", asker="the user", text="and next week?",
                                                 open="<<<MESSAGE", close="MESSAGE>>>")
    assert chat.PROPOSE_NOT_ASKED == prompt_text("propose_not_asked")


def test_the_versions_in_use_are_named():
    versions = prompt_versions()
    assert versions["rewrite"] == "rewrite.v2" and versions["chat_system"] == "chat_system.v1"
    assert set(versions) == set(PACKAGE_PROMPTS.names())


def test_the_run_log_names_the_prompt_versions_of_each_call(tmp_path):
    from ledgerpilot.agent.llm import LlmClient, LlmConfig
    from ledgerpilot.agent.run_log import RunLog
    from ledgerpilot.agent.writer import GroundedWriter
    from tests.agent.scripted_llm import ScriptedLLM, reply

    with ScriptedLLM([reply("Nothing in the books."), reply("Nothing.")]) as server:
        config = LlmConfig(base_url=server.base_url, model="scripted", api_key="test", timeout=10.0, max_retries=0,
                           retry_wait_max=0.01)
        with LlmClient(config, run_log=RunLog.in_home(tmp_path)) as client:
            messages = chat.conversation(_deps(), [], "cash?", "ann")
            client.chat(messages, purpose="chat", run_id="r1", prompts=["chat_system.v1", "chat_question.v1"])
            GroundedWriter(client).write(request="cash?", results=[], run_id="r2")
    entries = RunLog.in_home(tmp_path).entries()
    assert entries[0]["prompts"] == ["chat_system.v1", "chat_question.v1"]
    assert entries[1]["purpose"] == "narrative" and entries[1]["prompts"] == [load_prompt("narrative").label]


def _deps():
    class Ctx:
        today = dt.date(2026, 11, 18)

    class Deps:
        company = "Acme"
        ctx = Ctx()

    return Deps()
