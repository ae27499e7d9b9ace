"""A scripted OpenAI-compatible model server for tests: a real HTTP server that replays what it is told.

The agent talks to it through the real ``openai`` SDK, exactly as it talks to OpenAI, vLLM, Ollama
or a llama.cpp server, so the whole client path (HTTP, JSON shapes, status codes, retries) is
exercised and no test ever reaches a network model.

Each POST to ``.../chat/completions`` consumes the next step of the script:

- ``reply("text", prompt_tokens=.., completion_tokens=..)``  an assistant answer (finish_reason "stop")
- ``call("tool_name", {"arg": 1})`` or ``call("tool", '{bad json')``  one tool call; a string is sent as
  the raw ``arguments`` text, unparsed (to test malformed arguments)
- ``calls([("t1", {...}), ("t2", {...})])``  several tool calls in one reply
- ``fail(429, times=1, retry_after=0)`` / ``fail(500)``  an OpenAI-shaped error, ``times`` requests in a row,
  with a ``Retry-After`` header when ``retry_after`` is given
- ``respond(fn)``  ``fn(request_json)`` returns one of the steps above, to answer from what was sent
  (e.g. quote a figure from the last tool message)
- ``raw(body, status=200)``  any JSON body (a response without ``choices``, say)
- ``delay(seconds, step)``  wait before answering (for client timeouts)

Once the script is used up, every request gets HTTP 500 "script exhausted", so a test that makes
more model calls than it scripted fails loudly. ``.requests`` holds every JSON body received (also
the ones answered with an error), ``.headers`` their HTTP headers, ``.remaining`` the steps left,
``.problems`` what it could not answer; ``assert_done()`` checks that the script was played exactly.
A ``respond()`` function that raises is answered with HTTP 400 (not retried), its error in the message.

Example::

    from tests.agent.scripted_llm import ScriptedLLM, call, fail, llm_settings, reply

    with ScriptedLLM([fail(429, retry_after=0), call("cash_position", {}), reply("Cash is 1,200.00 EUR.")]) as llm:
        settings = llm_settings(load_settings(home=tmp_path), llm)
        ...  # run the agent with these settings
        assert llm.requests[-1]["messages"][-1]["role"] == "tool"
        llm.assert_done()
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from pydantic import SecretStr

__all__ = ["ScriptedLLM", "Step", "call", "calls", "delay", "fail", "llm_settings", "raw", "reply", "respond"]

_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "permission_denied"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


@dataclass(frozen=True)
class Step:
    """One scripted answer. Build steps with the helpers; their fields are the wire details."""

    kind: str                                     # "reply" | "calls" | "fail" | "respond" | "raw"
    content: str | None = None
    tool_calls: tuple[tuple[str, str], ...] = ()  # (name, raw arguments text)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    usage: bool = True
    status: int = 200
    message: str = ""
    retry_after: float | None = None
    fn: Callable[[dict[str, Any]], Step] | None = None
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str | None = None


def reply(text: str | None, *, prompt_tokens: int | None = None, completion_tokens: int | None = None,
          usage: bool = True, finish_reason: str = "stop") -> Step:
    """An assistant answer. Token counts default to ~4 characters a token; ``usage=False`` omits usage."""
    return Step("reply", content=text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                usage=usage, finish_reason=finish_reason)


def _arguments_text(arguments: Mapping[str, Any] | str | None) -> str:
    if arguments is None:
        return "{}"
    if isinstance(arguments, str):
        return arguments
    return json.dumps(dict(arguments))


def call(name: str, arguments: Mapping[str, Any] | str | None = None, *, content: str | None = None,
         prompt_tokens: int | None = None, completion_tokens: int | None = None) -> Step:
    """One tool call. A dict is sent as JSON text; a string is sent as it is (malformed JSON included)."""
    return calls([(name, arguments)], content=content, prompt_tokens=prompt_tokens,
                 completion_tokens=completion_tokens)


def calls(items: Iterable[tuple[str, Mapping[str, Any] | str | None]], *, content: str | None = None,
          prompt_tokens: int | None = None, completion_tokens: int | None = None) -> Step:
    """Several tool calls in one assistant message (finish_reason "tool_calls")."""
    pairs = tuple((name, _arguments_text(arguments)) for name, arguments in items)
    if not pairs:
        raise ValueError("calls() needs at least one (tool name, arguments) pair")
    return Step("calls", content=content, tool_calls=pairs, prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens, finish_reason="tool_calls")


def fail(status: int, *, times: int = 1, retry_after: float | None = None, message: str | None = None) -> list[Step]:
    """``times`` error answers with HTTP ``status`` shaped like OpenAI's ``{"error": {...}}``."""
    if status < 400:
        raise ValueError(f"fail() needs an HTTP error status (4xx or 5xx), not {status}")
    if times < 1:
        raise ValueError("fail() needs times >= 1")
    text = message or f"scripted failure with HTTP {status}"
    return [Step("fail", status=status, message=text, retry_after=retry_after) for _ in range(times)]


def respond(fn: Callable[[dict[str, Any]], Step]) -> Step:
    """A step decided when the request arrives: ``fn(request_json)`` returns the step to play."""
    return Step("respond", fn=fn)


def raw(body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None) -> Step:
    """Any body (JSON-encoded unless it is ``bytes`` or ``str``) with any status: malformed answers."""
    return Step("raw", body=body, status=status, headers=dict(headers or {}))


def delay(seconds: float, step: Step) -> Step:
    """``step``, answered only after ``seconds`` (longer than the client's timeout to make it time out)."""
    if isinstance(step, list):
        raise TypeError("delay() takes one step; wrap each failure of fail(..., times=N) separately")
    return replace(step, delay=seconds)


def _flatten(steps: Iterable[Step | Sequence[Step]]) -> list[Step]:
    flat: list[Step] = []
    for step in steps:
        if isinstance(step, Step):
            flat.append(step)
        elif isinstance(step, (list, tuple)) and all(isinstance(s, Step) for s in step):
            flat.extend(step)
        else:
            raise TypeError(f"a script holds steps made by reply/call/calls/fail/respond/raw, not {step!r}")
    return flat


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


class ScriptedLLM:
    """A local OpenAI-compatible chat-completions server playing ``steps`` in order (see module docstring)."""

    def __init__(self, steps: Iterable[Step | Sequence[Step]] = (), *, model: str | None = None):
        self._steps = _flatten(steps)
        self._lock = threading.Lock()
        self._served = 0
        self._call_ids = 0
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.problems: list[str] = []     # script exhausted, a respond() function that failed
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        if self._server is not None:
            return
        handler = type("ScriptedHandler", (_Handler,), {"scripted": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="scripted-llm", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    @property
    def port(self) -> int:
        """The port it listens on (still known after it stopped, for messages that name the URL)."""
        if self._port is None:
            raise RuntimeError("the scripted model server was never started: use it as a context manager")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- the script --------------------------------------------------------------------------------
    def add(self, *steps: Step | Sequence[Step]) -> None:
        """Append steps to the script while the server runs."""
        with self._lock:
            self._steps.extend(_flatten(steps))

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._steps) - self._served

    def assert_done(self) -> None:
        """Fail when scripted steps were never requested (the code under test called the model less), or when
        the script ran out or a ``respond()`` function failed (it called the model more, or differently)."""
        assert not self.problems, "the scripted model could not answer: " + "; ".join(self.problems)
        left = self.remaining
        assert left == 0, f"{left} scripted model step(s) were never requested ({len(self.requests)} requests made)"

    def tool_messages(self, request_index: int = -1) -> list[dict[str, Any]]:
        """The ``role: tool`` messages of one received request (the last by default)."""
        return [m for m in self.requests[request_index].get("messages", []) if m.get("role") == "tool"]

    def _next(self, body: dict[str, Any], headers: dict[str, str], path: str) -> tuple[Step | None, int]:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            self.paths.append(path)
            if self._served >= len(self._steps):
                return None, 0
            step = self._steps[self._served]
            self._served += 1
            return step, self._served

    def _new_call_id(self) -> str:
        with self._lock:
            self._call_ids += 1
            return f"call_scripted_{self._call_ids}"

    def answer(self, body: dict[str, Any], headers: dict[str, str], path: str
               ) -> tuple[int, dict[str, str], bytes]:
        step, number = self._next(body, headers, path)
        if step is None:
            return self._problem(500, "script exhausted: the scripted model has no step left for this request "
                                      f"(request {len(self.requests)})")
        while step.kind == "respond":
            assert step.fn is not None
            try:
                step = step.fn(body)
            except Exception as exc:  # noqa: BLE001 - a broken respond() function must show in the test's failure
                # 400, not 500: a retry would consume the next steps and hide the cause
                return self._problem(400, f"respond() step {number} raised {type(exc).__name__}: {exc}")
            if isinstance(step, list) and len(step) == 1:
                step = step[0]
            if not isinstance(step, Step):
                return self._problem(400, f"respond() step {number} returned {step!r}, not a step")
        if step.delay:
            time.sleep(step.delay)
        if step.kind == "fail":
            extra = {} if step.retry_after is None else {"Retry-After": _seconds_text(step.retry_after)}
            return _error(step.status, step.message, extra)
        if step.kind == "raw":
            payload = step.body
            data = payload if isinstance(payload, bytes) else (
                payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
            return step.status, {"Content-Type": "application/json", **step.headers}, data
        return 200, {"Content-Type": "application/json"}, json.dumps(self._completion(step, body)).encode()

    def _problem(self, status: int, message: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.problems.append(message)
        return _error(status, message)

    def _completion(self, step: Step, body: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": step.content, "refusal": None}
        if step.tool_calls:
            message["tool_calls"] = [
                {"id": self._new_call_id(), "type": "function", "function": {"name": name, "arguments": arguments}}
                for name, arguments in step.tool_calls]
        completion: dict[str, Any] = {
            "id": f"chatcmpl-scripted-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model or body.get("model") or "scripted",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": step.finish_reason}],
            "system_fingerprint": "scripted",
        }
        if step.usage:
            prompt = step.prompt_tokens if step.prompt_tokens is not None else _estimate_tokens(
                json.dumps(body.get("messages", [])))
            completion_text = (step.content or "") + "".join(n + a for n, a in step.tool_calls)
            done = step.completion_tokens if step.completion_tokens is not None else _estimate_tokens(completion_text)
            completion["usage"] = {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}
        return completion


def _seconds_text(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    kind, code = _ERROR_TYPES.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return status, {"Content-Type": "application/json", **dict(headers or {})}, json.dumps(body).encode()


class _Handler(BaseHTTPRequestHandler):
    scripted: ScriptedLLM
    server_version = "ScriptedLLM/1.0"

    def log_message(self, format, *args) -> None:  # keep test output clean
        pass

    def _send(self, status: int, headers: Mapping[str, str], data: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(*_error(404, f"no route {self.path}: the scripted model serves /v1/chat/completions"))
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError as exc:
            self._send(*_error(400, f"the request body is not JSON: {exc}"))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            self._send(*self.scripted.answer(body, headers, self.path))
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout): nothing to answer
            pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            model = self.scripted.model or "scripted"
            data = {"object": "list", "data": [{"id": model, "object": "model", "created": 0, "owned_by": "tests"}]}
            self._send(200, {"Content-Type": "application/json"}, json.dumps(data).encode())
            return
        self._send(*_error(404, f"no route {self.path}"))


def llm_settings(settings, server: ScriptedLLM, **overrides):
    """``settings`` pointing at the scripted ``server``: model "scripted", key "test", 3 retries, short waits."""
    values: dict[str, Any] = {
        "llm_base_url": server.base_url,
        "llm_model": "scripted",
        "llm_api_key": SecretStr("test"),
        "llm_max_retries": 3,
        "llm_retry_wait_max": 0.01,
        "llm_timeout": 10.0,
    }
    values.update(overrides)
    if isinstance(values.get("llm_api_key"), str):
        values["llm_api_key"] = SecretStr(values["llm_api_key"])
    return settings.updated(**values)
