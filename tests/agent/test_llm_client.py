"""The model client over the real openai SDK against the scripted local server: replies, tool calls,
retries, refusals, unreachable endpoints, token totals, the run log and the audit trail."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from pydantic import SecretStr

from ledgerpilot.agent.llm import (
    NO_KEY_PLACEHOLDER,
    LlmClient,
    LlmConfig,
    LlmError,
    Usage,
    retry_after_seconds,
    safe_url,
)
from ledgerpilot.agent.run_log import RunLog, RunLogError
from ledgerpilot.config import load_settings
from ledgerpilot.errors import ConfigError
from ledgerpilot.memory.audit import AuditLog
from tests.agent.scripted_llm import ScriptedLLM, call, calls, delay, fail, llm_settings, raw, reply, respond

SECRET_KEY = "sk-test-DO-NOT-LOG-0123456789abcdef"
QUESTION = [{"role": "system", "content": "You are a finance assistant."},
            {"role": "user", "content": "What is our cash today?"}]
TOOLS = [{"type": "function", "function": {"name": "cash_position", "description": "bank and cash today",
                                            "parameters": {"type": "object", "properties": {}}}},
         {"type": "function", "function": {"name": "find_record", "description": "a record by reference",
                                            "parameters": {"type": "object",
                                                           "properties": {"reference": {"type": "string"}},
                                                           "required": ["reference"]}}}]


@pytest.fixture()
def settings(monkeypatch, tmp_path):
    for key in list(__import__("os").environ):
        if key.startswith("LEDGERPILOT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("LEDGERPILOT_HOME", str(tmp_path / "home"))
    return load_settings()


def client_for(server: ScriptedLLM, home, *, audit=None, **overrides) -> LlmClient:
    values = {"base_url": server.base_url, "model": "scripted", "api_key": "test", "timeout": 10.0,
              "max_retries": 3, "retry_wait_max": 0.01, **overrides}
    return LlmClient(LlmConfig(**values), run_log=RunLog.in_home(home), audit=audit)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_plain_reply_through_the_openai_sdk(tmp_path):
    with ScriptedLLM([reply("Cash today is 1,234.50 EUR.", prompt_tokens=42, completion_tokens=9)]) as server, \
            client_for(server, tmp_path) as client:
        answer = client.chat(QUESTION, purpose="chat", run_id="run-1")

    assert answer.content == "Cash today is 1,234.50 EUR."
    assert answer.tool_calls == ()
    assert answer.finish_reason == "stop"
    assert answer.model == "scripted"
    assert answer.usage == Usage(42, 9, 51)
    assert answer.attempts == 1 and answer.seconds > 0
    sent = server.requests[0]
    assert sent["model"] == "scripted" and sent["messages"] == QUESTION and sent["temperature"] == 0.0
    assert "tools" not in sent
    assert server.headers[0]["authorization"] == "Bearer test"
    assert server.paths[0] == "/v1/chat/completions"


def test_tool_calls_come_back_raw_including_malformed_arguments(tmp_path):
    script = [calls([("cash_position", {}), ("find_record", {"reference": "INV/2026/0042"})]),
              call("find_record", '{"reference": "INV/2026/00')]
    with ScriptedLLM(script) as server, client_for(server, tmp_path) as client:
        first = client.chat(QUESTION, tools=TOOLS)
        second = client.chat(QUESTION, tools=TOOLS)

    assert first.content is None and first.finish_reason == "tool_calls"
    assert [(c.name, json.loads(c.arguments)) for c in first.tool_calls] == [
        ("cash_position", {}), ("find_record", {"reference": "INV/2026/0042"})]
    assert len({c.id for c in first.tool_calls}) == 2 and all(c.id for c in first.tool_calls)
    assert second.tool_calls[0].arguments == '{"reference": "INV/2026/00'   # passed through, never parsed
    assert [t["function"]["name"] for t in server.requests[0]["tools"]] == ["cash_position", "find_record"]


def test_a_tool_round_trip_is_accepted_by_the_sdk(tmp_path):
    """The assistant message of a reply and the tool results go back in OpenAI's format."""

    def quote_the_tool_result(request):
        tool_message = [m for m in request["messages"] if m["role"] == "tool"][-1]
        return reply(f"Cash is {json.loads(tool_message['content'])['total']} EUR.")

    with ScriptedLLM([call("cash_position", {}), respond(quote_the_tool_result)]) as server, \
            client_for(server, tmp_path) as client:
        first = client.chat(QUESTION, tools=TOOLS)
        conversation = [*QUESTION, first.assistant_message(),
                        {"role": "tool", "tool_call_id": first.tool_calls[0].id,
                         "content": json.dumps({"total": "98765.43"})}]
        second = client.chat(conversation, tools=TOOLS)

    assert second.content == "Cash is 98765.43 EUR."
    assistant = server.requests[1]["messages"][2]
    assert assistant["role"] == "assistant"
    assert assistant["tool_calls"][0] == {"id": first.tool_calls[0].id, "type": "function",
                                          "function": {"name": "cash_position", "arguments": "{}"}}
    assert server.tool_messages()[0]["tool_call_id"] == first.tool_calls[0].id
    server.assert_done()


def test_429_then_success_is_retried_counted_and_logged(tmp_path):
    with ScriptedLLM([fail(429, retry_after=0), reply("fine")]) as server, \
            client_for(server, tmp_path) as client:
        answer = client.chat(QUESTION, run_id="run-429")

    assert answer.content == "fine" and answer.attempts == 2
    assert len(server.requests) == 2
    [entry] = RunLog.in_home(tmp_path).entries(run_id="run-429")
    assert entry["attempts"] == 2 and entry["error"] is None
    assert entry["response"]["content"] == "fine"


def test_retry_after_is_honoured_but_capped(tmp_path):
    """A server asking for 30 s is waited on for at most retry_wait_max."""
    with ScriptedLLM([fail(429, retry_after=30), fail(503, retry_after=0.3), reply("ok")]) as server, \
            client_for(server, tmp_path, retry_wait_max=0.2) as client:
        started = time.perf_counter()
        answer = client.chat(QUESTION)
        took = time.perf_counter() - started

    assert answer.attempts == 3
    assert 0.35 <= took < 5   # two waits, each capped at 0.2 s


def test_retry_after_zero_means_no_wait(tmp_path):
    """Without the header the waits would be about 0.5 s then 1 s; the server's "0" is taken at its word."""
    with ScriptedLLM([fail(429, times=2, retry_after=0), reply("ok")]) as server, \
            client_for(server, tmp_path, retry_wait_max=5) as client:
        answer = client.chat(QUESTION)
    assert answer.attempts == 3 and answer.seconds < 1.0


def test_retry_after_header_forms():
    import httpx

    def error(headers):
        response = httpx.Response(429, headers=headers, request=httpx.Request("POST", "http://x/v1"))
        return type("E", (), {"response": response})()

    assert retry_after_seconds(error({"retry-after": "7"})) == 7.0
    assert retry_after_seconds(error({"retry-after-ms": "250"})) == 0.25
    assert retry_after_seconds(error({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0   # in the past
    assert retry_after_seconds(error({"retry-after": "soon"})) is None
    assert retry_after_seconds(error({})) is None


def test_500_every_time_gives_up_after_max_retries(tmp_path):
    with ScriptedLLM([fail(500, times=4, message="upstream exploded")]) as server, \
            client_for(server, tmp_path, max_retries=3) as client, pytest.raises(LlmError) as caught:
        client.chat(QUESTION, run_id="run-500")

    error = caught.value
    assert len(server.requests) == 4
    assert (error.status, error.attempts, error.retryable) == (500, 4, True)
    assert server.base_url in str(error) and "HTTP 500" in str(error) and "4 attempts" in str(error)
    assert "upstream exploded" in str(error)
    [entry] = RunLog.in_home(tmp_path).entries(run_id="run-500")
    assert entry["response"] is None and entry["usage"] is None
    assert entry["attempts"] == 4 and entry["status"] == 500 and "HTTP 500" in entry["error"]
    server.assert_done()


def test_exhausted_script_fails_loudly(tmp_path):
    with ScriptedLLM([reply("only one")]) as server, client_for(server, tmp_path, max_retries=1) as client:
        client.chat(QUESTION)
        with pytest.raises(LlmError, match="script exhausted"):
            client.chat(QUESTION)


@pytest.mark.parametrize(("status", "words"), [
    (401, "LEDGERPILOT_LLM_API_KEY"),
    (403, "may not use model 'scripted'"),
    (404, "model 'scripted' is unknown there"),
    (400, "does model 'scripted' support tool calling"),
])
def test_refusals_are_not_retried(tmp_path, status, words):
    with ScriptedLLM([fail(status, message="refused by the server")]) as server, \
            client_for(server, tmp_path) as client, pytest.raises(LlmError) as caught:
        client.chat(QUESTION, tools=TOOLS)

    assert len(server.requests) == 1
    assert caught.value.status == status and caught.value.attempts == 1 and not caught.value.retryable
    assert words in str(caught.value) and f"HTTP {status}" in str(caught.value)
    assert "refused by the server" in str(caught.value) and server.base_url in str(caught.value)


def test_unreachable_endpoint(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    client = LlmClient(LlmConfig(url, "scripted", None, timeout=2, max_retries=2, retry_wait_max=0.01),
                       run_log=RunLog.in_home(tmp_path))
    with client, pytest.raises(LlmError) as caught:
        client.chat(QUESTION)

    assert caught.value.attempts == 3 and caught.value.status is None
    assert url in str(caught.value) and "cannot reach" in str(caught.value)
    assert "LEDGERPILOT_LLM_BASE_URL" in str(caught.value)


def test_a_slow_model_times_out_then_the_retry_succeeds(tmp_path):
    with ScriptedLLM([delay(1.5, reply("late")), reply("on time")]) as server, \
            client_for(server, tmp_path, timeout=0.5) as client:
        answer = client.chat(QUESTION)
    assert answer.content == "on time" and answer.attempts == 2


def test_a_model_that_never_answers_in_time(tmp_path):
    script = [delay(1.0, reply("late")), delay(1.0, reply("late"))]
    with ScriptedLLM(script) as server, client_for(server, tmp_path, timeout=0.3, max_retries=1) as client, \
            pytest.raises(LlmError, match=r"did not answer within 0.3 s \(2 attempts\)"):
        client.chat(QUESTION)


@pytest.mark.parametrize(("body", "words"), [
    ({"id": "x", "object": "chat.completion", "choices": [], "model": "scripted"}, "without any choice"),
    ({"id": "x", "object": "chat.completion", "model": "scripted"}, "without any choice"),
    ("this is not json", "not JSON"),
])
def test_a_reply_that_is_not_a_chat_completion(tmp_path, body, words):
    with ScriptedLLM([raw(body)]) as server, client_for(server, tmp_path) as client, \
            pytest.raises(LlmError, match=words) as caught:
        client.chat(QUESTION)
    assert len(server.requests) == 1 and server.base_url in str(caught.value)


def test_an_html_page_instead_of_an_api(tmp_path):
    page = raw("<html><body>Welcome to nginx</body></html>", headers={"Content-Type": "text/html"})
    with ScriptedLLM([page]) as server, client_for(server, tmp_path) as client, \
            pytest.raises(LlmError, match="answered with text, not a chat completion"):
        client.chat(QUESTION)


def test_usage_accumulates_and_missing_usage_counts_as_unreported(tmp_path):
    script = [reply("a", prompt_tokens=100, completion_tokens=20), call("cash_position", {}, prompt_tokens=50,
                                                                         completion_tokens=5),
              reply("no usage here", usage=False)]
    with ScriptedLLM(script) as server, client_for(server, tmp_path) as client:
        first = client.chat(QUESTION)
        second = client.chat(QUESTION, tools=TOOLS)
        assert client.usage_total == Usage(150, 25, 175, reported=True)
        third = client.chat(QUESTION)

    assert first.usage + second.usage == Usage(150, 25, 175)
    assert third.usage == Usage(0, 0, 0, reported=False)
    assert client.usage_total == Usage(150, 25, 175, reported=False)
    logged = RunLog.in_home(tmp_path).entries()
    assert [e["usage"]["total_tokens"] for e in logged] == [120, 55, 0]
    assert logged[2]["usage"]["reported"] is False


def test_run_log_holds_prompt_tools_reply_and_never_the_key(tmp_path):
    with ScriptedLLM([call("find_record", {"reference": "BILL/2026/0007"}), fail(401)]) as server, \
            client_for(server, tmp_path, api_key=SECRET_KEY) as client:
        client.chat(QUESTION, tools=TOOLS, purpose="chat", run_id="run-log")
        with pytest.raises(LlmError):
            client.chat(QUESTION, purpose="narrative", run_id="run-log")

    assert server.headers[0]["authorization"] == f"Bearer {SECRET_KEY}"   # the key was used...
    files = RunLog.in_home(tmp_path).files()
    assert len(files) == 1 and files[0].parent == tmp_path / "runs"
    text = files[0].read_text()
    assert SECRET_KEY not in text                                          # ...and never written
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 2
    ok, refused = lines
    assert ok["messages"] == QUESTION and ok["tools"] == ["cash_position", "find_record"]
    assert ok["purpose"] == "chat" and ok["run_id"] == "run-log" and ok["model"] == "scripted"
    assert ok["base_url"] == server.base_url and ok["at"].endswith("+00:00")
    assert ok["response"]["tool_calls"][0]["function"] == {"name": "find_record",
                                                          "arguments": '{"reference": "BILL/2026/0007"}'}
    assert ok["usage"]["total_tokens"] > 0 and ok["seconds"] > 0 and ok["attempts"] == 1 and ok["error"] is None
    assert refused["purpose"] == "narrative" and refused["tools"] == [] and refused["status"] == 401
    assert "LEDGERPILOT_LLM_API_KEY" in refused["error"]
    assert files[0].name == f"{ok['at'][:10]}.jsonl"


def test_key_echoed_by_the_server_is_scrubbed(tmp_path):
    with ScriptedLLM([fail(401, message=f"Incorrect API key provided: {SECRET_KEY}")]) as server, \
            client_for(server, tmp_path, api_key=SECRET_KEY) as client, pytest.raises(LlmError) as caught:
        client.chat(QUESTION)
    assert SECRET_KEY not in str(caught.value)
    assert SECRET_KEY not in RunLog.in_home(tmp_path).files()[0].read_text()


def test_audit_entry_per_call_without_the_prompt(tmp_path):
    audit = AuditLog.in_home(tmp_path)
    with ScriptedLLM([reply("ok", prompt_tokens=10, completion_tokens=3), fail(404)]) as server, \
            client_for(server, tmp_path, audit=audit, api_key=SECRET_KEY) as client:
        client.chat(QUESTION, run_id="run-audit", purpose="chat")
        with pytest.raises(LlmError):
            client.chat(QUESTION, run_id="run-audit", purpose="rewrite")

    ok, refused = audit.entries(action="llm_call")
    assert (ok.actor, ok.subject) == ("ledgerpilot-agent", "scripted")
    assert ok.details["run_id"] == "run-audit" and ok.details["purpose"] == "chat" and ok.details["ok"] is True
    assert ok.details["tokens"]["total_tokens"] == 13 and ok.details["attempts"] == 1 and ok.details["seconds"] > 0
    assert refused.details["ok"] is False and refused.details["tokens"] is None and "HTTP 404" in refused.details["error"]
    stored = json.dumps([e.to_dict() for e in audit.entries()])
    assert "What is our cash today?" not in stored and SECRET_KEY not in stored
    assert audit.verify().ok


def test_config_from_settings(settings):
    assert LlmConfig.from_settings(settings) is None
    assert LlmClient.from_settings(settings) is None
    with ScriptedLLM([reply("local model, no key")]) as server:
        configured = llm_settings(settings, server, llm_api_key=None)
        config = LlmConfig.from_settings(configured)
        assert (config.base_url, config.model, config.api_key, config.max_retries) == (
            server.base_url, "scripted", None, 3)
        assert "api_key" not in repr(config)
        with LlmClient.from_settings(configured) as client:
            assert client.chat(QUESTION).content == "local model, no key"
        assert server.headers[0]["authorization"] == f"Bearer {NO_KEY_PLACEHOLDER}"
        assert RunLog.in_home(settings.home).entries()[0]["response"]["content"] == "local model, no key"
    keyed = settings.updated(llm_base_url="https://api.openai.com/v1/", llm_model="gpt-4o-mini",
                             llm_api_key=SecretStr(SECRET_KEY))
    config = LlmConfig.from_settings(keyed)
    assert config.api_key == SECRET_KEY and config.base_url == "https://api.openai.com/v1"
    assert SECRET_KEY not in repr(config)


@pytest.mark.parametrize(("values", "words"), [
    ({"base_url": "localhost:11434/v1"}, "LEDGERPILOT_LLM_BASE_URL"),
    ({"model": " "}, "LEDGERPILOT_LLM_MODEL"),
    ({"timeout": 0}, "LEDGERPILOT_LLM_TIMEOUT"),
    ({"max_retries": -1}, "LEDGERPILOT_LLM_MAX_RETRIES"),
])
def test_bad_configuration_is_named(values, words):
    with pytest.raises(ConfigError, match=words):
        LlmConfig(**{"base_url": "http://localhost:11434/v1", "model": "llama3.1", **values})


def test_credentials_in_the_base_url_are_not_logged(tmp_path):
    assert safe_url("https://user:pa55@llm.example.com:8443/v1") == "https://llm.example.com:8443/v1"
    assert safe_url("http://localhost:11434/v1") == "http://localhost:11434/v1"


def test_run_log_appends_whole_lines_from_many_threads(tmp_path):
    run_log = RunLog.in_home(tmp_path)
    other = RunLog.in_home(tmp_path)      # a second writer on the same folder

    def write(writer, n):
        for i in range(50):
            writer.write({"run_id": f"r{n}", "i": i, "text": "x" * 2000})

    threads = [threading.Thread(target=write, args=(run_log if n % 2 else other, n)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(run_log.entries()) == 300
    assert [e["i"] for e in run_log.entries(run_id="r3")] == list(range(50))


def test_run_log_files_by_utc_day(tmp_path):
    run_log = RunLog.in_home(tmp_path)
    run_log.write({"at": "2026-11-18T23:30:00-02:00", "run_id": "a"})   # 01:30 UTC on the 19th
    run_log.write({"at": "2026-11-18T10:00:00+00:00", "run_id": "b"})
    assert [p.name for p in run_log.files()] == ["2026-11-18.jsonl", "2026-11-19.jsonl"]
    import datetime as dt
    assert [e["run_id"] for e in run_log.entries(day=dt.date(2026, 11, 19))] == ["a"]
    with pytest.raises(RunLogError, match="ISO timestamp"):
        run_log.write({"at": "yesterday"})


def test_scripted_server_answers_in_openai_shape():
    import urllib.request

    def post(server, body):
        request = urllib.request.Request(f"{server.base_url}/chat/completions", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    with ScriptedLLM([call("cash_position", {"weeks": 13}, prompt_tokens=7, completion_tokens=3)]) as server:
        completion = post(server, {"model": "m1", "messages": [{"role": "user", "content": "hi"}]})
    assert completion["object"] == "chat.completion" and completion["id"] and isinstance(completion["created"], int)
    assert completion["model"] == "m1"
    [choice] = completion["choices"]
    assert choice["finish_reason"] == "tool_calls" and choice["index"] == 0
    assert choice["message"]["role"] == "assistant" and choice["message"]["content"] is None
    [tool_call] = choice["message"]["tool_calls"]
    assert tool_call["type"] == "function" and tool_call["id"].startswith("call_")
    assert tool_call["function"] == {"name": "cash_position", "arguments": '{"weeks": 13}'}
    assert completion["usage"] == {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}


def test_scripted_server_reports_what_it_could_not_answer(tmp_path):
    def broken(request):
        raise KeyError("no tool message")

    with ScriptedLLM([respond(broken), reply("never reached")]) as server, \
            client_for(server, tmp_path) as client:
        with pytest.raises(LlmError, match="respond\\(\\) step 1 raised KeyError"):
            client.chat(QUESTION)
        assert len(server.requests) == 1          # a 400: not retried, the next step stays in the script
        with pytest.raises(AssertionError, match="could not answer"):
            server.assert_done()
