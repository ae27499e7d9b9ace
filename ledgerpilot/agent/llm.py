"""The model client: one chat-completions call against any OpenAI-compatible endpoint, retried and logged.

OpenAI, Azure OpenAI (its ``/openai/v1`` base URL), vLLM, Ollama and a llama.cpp server all speak the
same ``POST {base_url}/chat/completions``, so one client over the official ``openai`` SDK serves them
all; only base URL, model and key differ (see docs/llm.md).

Why the SDK's own retries are off (``max_retries=0``) and tenacity decides instead: so that every
attempt is counted and logged, the wait honours the server's ``Retry-After`` but never exceeds
``retry_wait_max``, and the final error names the endpoint, the status and the attempts. Retried:
429, 408, 5xx, refused or dropped connections, timeouts. Not retried, because trying again cannot
help: 400 (a request the model refuses), 401 (wrong key), 403 (no access), 404 (unknown model or a
wrong base URL) and the like. A reply that is not a chat completion is an error too.

The client never parses tool-call arguments: it hands over the text the model sent, malformed or not;
running the tool (and telling the model its JSON was bad) is the tool runner's job.

Every call, failed ones included, goes to the run log (prompt, tools offered, reply, tokens,
seconds, attempts, error) and, when an audit log is given, into the audit chain as ``llm_call``
(model, tokens, seconds, attempts, ok — never the prompt). The API key is never written anywhere.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlparse, urlunparse

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from ledgerpilot.agent.run_log import RunLog
from ledgerpilot.errors import ConfigError, LedgerpilotError

if TYPE_CHECKING:
    import openai


def _openai():
    """The openai SDK, imported on first use: offline runs never load it (it takes most of a second)."""
    import openai

    return openai

log = logging.getLogger(__name__)

AGENT_ACTOR = "ledgerpilot-agent"
#: sent as the key when none is configured: local servers (vLLM, Ollama, llama.cpp) need none, the SDK needs one
NO_KEY_PLACEHOLDER = "none"
#: first wait between attempts; each further wait doubles, up to ``LlmConfig.retry_wait_max``
FIRST_RETRY_WAIT = 0.5
#: keys shorter than this are not scrubbed from logged text (a placeholder such as "test" is a common word)
MIN_SCRUBBED_KEY_LENGTH = 8
_SERVER_MESSAGE_LIMIT = 300


class LlmError(LedgerpilotError):
    """The model endpoint could not be used: unreachable, refused, still failing after retries, or a
    reply that is not a chat completion. The message names the base URL and, where there is one, the
    HTTP status and the number of attempts."""

    def __init__(self, message: str, *, base_url: str, status: int | None = None, attempts: int = 1,
                 retryable: bool = False):
        super().__init__(message)
        self.base_url = base_url
        self.status = status
        self.attempts = attempts
        self.retryable = retryable


@dataclass(frozen=True)
class LlmConfig:
    """Where the model is and how patient to be with it."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    max_retries: int = 4
    temperature: float = 0.0
    retry_wait_max: float = 8.0

    def __post_init__(self) -> None:
        parsed = urlparse(self.base_url or "")
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigError("LEDGERPILOT_LLM_BASE_URL must be an http(s) URL such as https://api.openai.com/v1 or "
                              f"http://localhost:11434/v1, not {safe_url(self.base_url or '')!r}")
        if not self.model or not self.model.strip():
            raise ConfigError("LEDGERPILOT_LLM_MODEL must name the model the endpoint serves (e.g. gpt-4o-mini, "
                              "llama3.1:8b, or the Azure deployment name)")
        if self.timeout <= 0:
            raise ConfigError(f"LEDGERPILOT_LLM_TIMEOUT must be more than 0 seconds, not {self.timeout}")
        if self.max_retries < 0:
            raise ConfigError(f"LEDGERPILOT_LLM_MAX_RETRIES must be 0 or more, not {self.max_retries}")
        if self.retry_wait_max < 0:
            raise ConfigError(f"LEDGERPILOT_LLM_RETRY_WAIT_MAX must be 0 or more, not {self.retry_wait_max}")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    @classmethod
    def from_settings(cls, settings) -> LlmConfig | None:
        """The configured endpoint, or ``None`` when no model is configured (offline mode)."""
        if not settings.llm.configured:
            return None
        key = settings.llm.api_key.get_secret_value() if settings.llm.api_key is not None else None
        return cls(base_url=settings.llm.base_url, model=settings.llm.model, api_key=key or None,
                   timeout=settings.llm.timeout, max_retries=settings.llm.max_retries,
                   temperature=settings.llm.temperature, retry_wait_max=settings.llm.retry_wait_max)

    @property
    def safe_base_url(self) -> str:
        return safe_url(self.base_url)


@dataclass(frozen=True)
class Usage:
    """Tokens of one call or of many. ``reported`` is False when an endpoint did not say (counts are then 0)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    reported: bool = True

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens,
                     self.total_tokens + other.total_tokens, self.reported and other.reported)

    def to_dict(self) -> dict[str, Any]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.total_tokens, "reported": self.reported}


UNREPORTED_USAGE = Usage(reported=False)


@dataclass(frozen=True)
class ToolCall:
    """A tool call as the model sent it; ``arguments`` is the raw JSON text, unparsed."""

    id: str
    name: str
    arguments: str

    def to_message(self) -> dict[str, Any]:
        """The entry of an assistant message's ``tool_calls`` (OpenAI format)."""
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


@dataclass(frozen=True)
class LlmReply:
    """One model answer: text, tool calls (possibly both), tokens, and how long the call took in all."""

    content: str | None
    tool_calls: tuple[ToolCall, ...]
    usage: Usage
    seconds: float
    model: str
    finish_reason: str | None
    attempts: int = 1

    def assistant_message(self) -> dict[str, Any]:
        """The reply as the assistant message to append to the conversation before the tool results."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [call.to_message() for call in self.tool_calls]
        return message


def safe_url(url: str) -> str:
    """``url`` without any user name or password in it (``https://user:secret@host`` -> ``https://host``)."""
    try:
        parsed = urlparse(url)
    except ValueError:
        return "<unparseable URL>"
    if not (parsed.username or parsed.password):
        return url
    host = parsed.hostname or ""
    netloc = f"{host}:{parsed.port}" if parsed.port else host
    return urlunparse(parsed._replace(netloc=netloc))


class LlmClient:
    """Chat completions against one configured endpoint, with retries, token totals, run log and audit."""

    def __init__(self, config: LlmConfig, *, run_log: RunLog | None = None, audit=None):
        self.config = config
        self.run_log = run_log
        self.audit = audit
        self._usage_total = Usage()
        self._lock = threading.Lock()
        openai = _openai()
        self._sdk = openai.OpenAI(base_url=config.base_url, api_key=config.api_key or NO_KEY_PLACEHOLDER,
                                  timeout=config.timeout, max_retries=0)

    @classmethod
    def from_settings(cls, settings, *, audit=None, run_log: RunLog | None = None) -> LlmClient | None:
        """The client of the configured endpoint, logging under ``settings.home``; ``None`` offline."""
        config = LlmConfig.from_settings(settings)
        if config is None:
            return None
        return cls(config, run_log=run_log if run_log is not None else RunLog.in_home(settings.home), audit=audit)

    @property
    def usage_total(self) -> Usage:
        """Tokens of every successful call this client made."""
        with self._lock:
            return self._usage_total

    def close(self) -> None:
        """Release the HTTP connections."""
        self._sdk.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def chat(self, messages: Sequence[Mapping[str, Any]], *, tools: Sequence[Mapping[str, Any]] | None = None,
             purpose: str = "chat", run_id: str = "", prompts: Sequence[str] = ()) -> LlmReply:
        """One chat completion: ``messages`` and ``tools`` in OpenAI format. Raises :class:`LlmError`.

        ``prompts`` names the prompt versions the messages were made from (``chat_system.v1``); the run
        log records them with the call."""
        request: dict[str, Any] = {"model": self.config.model, "messages": list(messages),
                                   "temperature": self.config.temperature}
        if tools:
            request["tools"] = list(tools)
        attempts = 0

        def attempt():
            nonlocal attempts
            attempts += 1
            return self._sdk.chat.completions.create(**request)

        openai = _openai()
        started = time.perf_counter()
        reply: LlmReply | None = None
        failure: LlmError | None = None
        try:
            response = self._retrying()(attempt)
            reply = self._parse(response, seconds=time.perf_counter() - started, attempts=attempts)
        except openai.OpenAIError as exc:
            failure = self._describe(exc, attempts, offered_tools=bool(tools))
            failure.__cause__ = exc
        except LlmError as exc:
            failure = exc
        except json.JSONDecodeError as exc:  # a 2xx whose body is not JSON at all: a proxy page, a wrong server
            failure = LlmError(f"the model endpoint {self.config.safe_base_url} sent a reply that is not JSON ({exc}): "
                               "is LEDGERPILOT_LLM_BASE_URL an OpenAI-compatible API?",
                               base_url=self.config.safe_base_url, attempts=attempts)
        seconds = round(time.perf_counter() - started, 4)
        if reply is not None:
            reply = replace(reply, seconds=seconds, attempts=attempts)
            with self._lock:
                self._usage_total = self._usage_total + reply.usage
        self._record(messages=messages, tools=tools, purpose=purpose, run_id=run_id, reply=reply,
                     failure=failure, seconds=seconds, attempts=attempts, prompts=prompts)
        if failure is not None:
            raise failure
        assert reply is not None
        return reply

    # -- retries -----------------------------------------------------------------------------------
    def _retrying(self) -> Retrying:
        config = self.config

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            log.warning("model call to %s failed (attempt %d of %d): %s; retrying in %.2f s",
                        config.safe_base_url, state.attempt_number, config.max_retries + 1,
                        _short_error(error), state.upcoming_sleep)

        return Retrying(stop=stop_after_attempt(config.max_retries + 1), wait=_wait_for(config.retry_wait_max),
                        retry=retry_if_exception(is_retryable), before_sleep=before_sleep, reraise=True)

    # -- parsing -----------------------------------------------------------------------------------
    def _parse(self, response: Any, *, seconds: float, attempts: int) -> LlmReply:
        url = self.config.safe_base_url
        if isinstance(response, (str, bytes)):
            start = (response.decode(errors="replace") if isinstance(response, bytes) else response)[:80]
            raise LlmError(f"the model endpoint {url} answered with text, not a chat completion ({start!r}...): "
                           "is LEDGERPILOT_LLM_BASE_URL an OpenAI-compatible API?", base_url=url, attempts=attempts)
        choices = getattr(response, "choices", None)
        if not choices:
            raise LlmError(f"the model endpoint {url} answered without any choice (model {self.config.model}): "
                           "not an OpenAI chat completion", base_url=url, attempts=attempts)
        choice = choices[0]
        message = getattr(choice, "message", None)
        if message is None:
            raise LlmError(f"the model endpoint {url} answered a choice without a message (model "
                           f"{self.config.model}): not an OpenAI chat completion", base_url=url, attempts=attempts)
        calls = []
        for index, raw_call in enumerate(getattr(message, "tool_calls", None) or ()):
            function = getattr(raw_call, "function", None)
            name = getattr(function, "name", None)
            if not name:
                raise LlmError(f"the model endpoint {url} sent tool call {index + 1} without a function name "
                               f"(model {self.config.model})", base_url=url, attempts=attempts)
            arguments = getattr(function, "arguments", None)
            calls.append(ToolCall(id=getattr(raw_call, "id", None) or f"call_{index + 1}", name=str(name),
                                  arguments=arguments if isinstance(arguments, str) else
                                  ("" if arguments is None else str(arguments))))
        return LlmReply(content=getattr(message, "content", None), tool_calls=tuple(calls),
                        usage=_usage(getattr(response, "usage", None)), seconds=seconds,
                        model=getattr(response, "model", None) or self.config.model,
                        finish_reason=getattr(choice, "finish_reason", None), attempts=attempts)

    # -- errors ------------------------------------------------------------------------------------
    def _describe(self, exc: openai.OpenAIError, attempts: int, *, offered_tools: bool) -> LlmError:
        openai = _openai()
        config = self.config
        url = config.safe_base_url
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if isinstance(exc, openai.APITimeoutError):
            return LlmError(f"the model endpoint {url} did not answer within {config.timeout:g} s ({tries}): "
                            "check that the server is up, or raise LEDGERPILOT_LLM_TIMEOUT",
                            base_url=url, attempts=attempts, retryable=True)
        if isinstance(exc, openai.APIConnectionError):
            cause = self._scrub(str(exc.__cause__ or exc)) or type(exc).__name__
            return LlmError(f"cannot reach the model endpoint {url} ({cause}; {tries}): check "
                            "LEDGERPILOT_LLM_BASE_URL and that the server is running",
                            base_url=url, attempts=attempts, retryable=True)
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            said = self._server_message(exc)
            if is_retryable(exc):
                text = (f"the model endpoint {url} still failed after {tries} (last answer: HTTP {status}: {said})"
                        if attempts > 1 else f"the model endpoint {url} failed (HTTP {status}: {said}); "
                                             "retries are off (LEDGERPILOT_LLM_MAX_RETRIES=0)")
                return LlmError(text, base_url=url, status=status, attempts=attempts, retryable=True)
            hint = {
                401: "the API key was refused: check LEDGERPILOT_LLM_API_KEY",
                403: f"the API key may not use model {config.model!r}: check the key's permissions",
                404: (f"the model {config.model!r} is unknown there, or the base URL is wrong (it usually ends in "
                      "/v1; Azure OpenAI: https://<resource>.openai.azure.com/openai/v1 with the deployment name "
                      "as the model): check LEDGERPILOT_LLM_MODEL and LEDGERPILOT_LLM_BASE_URL"),
            }.get(status)
            if hint is None:
                hint = "the request was refused" + (
                    f"; does model {config.model!r} support tool calling?" if offered_tools and status in (400, 422)
                    else "")
            return LlmError(f"the model endpoint {url} answered HTTP {status} ({said}): {hint}",
                            base_url=url, status=status, attempts=attempts)
        return LlmError(f"the model endpoint {url} sent a reply that is not a chat completion "
                        f"({type(exc).__name__}: {self._scrub(str(exc))[:_SERVER_MESSAGE_LIMIT]})",
                        base_url=url, status=getattr(exc, "status_code", None), attempts=attempts)

    def _server_message(self, exc: openai.APIStatusError) -> str:
        body = exc.body
        text = None
        if isinstance(body, Mapping):
            inner = body.get("error") if isinstance(body.get("error"), Mapping) else body
            text = inner.get("message") or inner.get("detail") or (
                body.get("error") if isinstance(body.get("error"), str) else None)
        elif isinstance(body, str):
            text = body
        text = self._scrub(str(text or exc.message or "no message")).strip()
        return text if len(text) <= _SERVER_MESSAGE_LIMIT else text[:_SERVER_MESSAGE_LIMIT] + "..."

    # -- logging -----------------------------------------------------------------------------------
    def _scrub(self, value: Any) -> Any:
        """``value`` with the API key replaced by ``***`` wherever it appears as text."""
        key = self.config.api_key
        if not key or len(key) < MIN_SCRUBBED_KEY_LENGTH:
            return value
        if isinstance(value, str):
            return value.replace(key, "***")
        if isinstance(value, Mapping):
            return {k: self._scrub(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._scrub(v) for v in value]
        return value

    def _record(self, *, messages, tools, purpose: str, run_id: str, reply: LlmReply | None,
                failure: LlmError | None, seconds: float, attempts: int, prompts: Sequence[str] = ()) -> None:
        config = self.config
        usage = reply.usage if reply is not None else None
        if self.run_log is not None:
            event = {
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                "run_id": run_id, "purpose": purpose, "model": config.model, "base_url": config.safe_base_url,
                "prompts": list(prompts), "messages": list(messages),
                "tools": [_tool_name(spec) for spec in tools or ()],
                "response": None if reply is None else {
                    "content": reply.content, "tool_calls": [c.to_message() for c in reply.tool_calls],
                    "finish_reason": reply.finish_reason, "model": reply.model},
                "usage": None if usage is None else usage.to_dict(),
                "seconds": seconds, "attempts": attempts,
                "error": None if failure is None else str(failure),
                "status": None if failure is None else failure.status,
            }
            self.run_log.write(self._scrub(event))
        if self.audit is not None:
            details = {"run_id": run_id, "purpose": purpose,
                       "tokens": None if usage is None else usage.to_dict(),
                       "seconds": seconds, "attempts": attempts, "ok": failure is None}
            if failure is not None:
                details["error"] = self._scrub(str(failure))
            self.audit.record("llm_call", actor=AGENT_ACTOR, subject=config.model, details=details)


def is_retryable(error: BaseException) -> bool:
    """Worth another attempt: 408, 429, 5xx, a refused or dropped connection, a timeout."""
    openai = _openai()
    if isinstance(error, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(error, openai.APIStatusError):
        return error.status_code in (408, 429) or error.status_code >= 500
    return False


def retry_after_seconds(error: BaseException | None) -> float | None:
    """The wait a refusing server asked for (``retry-after-ms``, ``Retry-After`` seconds or HTTP date)."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _wait_for(cap: float):
    """Retry-After when the server gives one, else 0.5 s doubling with a little jitter; never above ``cap``."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        asked = retry_after_seconds(error)
        if asked is None:
            exponent = max(0, state.attempt_number - 1)
            asked = FIRST_RETRY_WAIT * (2 ** min(exponent, 16)) + random.uniform(0, FIRST_RETRY_WAIT / 2)
        return max(0.0, min(asked, cap))

    return wait


def _usage(raw: Any) -> Usage:
    if raw is None:
        return UNREPORTED_USAGE
    prompt = _count(getattr(raw, "prompt_tokens", None))
    completion = _count(getattr(raw, "completion_tokens", None))
    total = _count(getattr(raw, "total_tokens", None)) or prompt + completion
    return Usage(prompt, completion, total, reported=True)


def _count(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _tool_name(spec: Mapping[str, Any]) -> str:
    function = spec.get("function") if isinstance(spec, Mapping) else None
    if isinstance(function, Mapping) and function.get("name"):
        return str(function["name"])
    return str(spec.get("name", "?")) if isinstance(spec, Mapping) else "?"


def _short_error(error: BaseException | None) -> str:
    openai = _openai()
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}"
    if isinstance(error, openai.APITimeoutError):
        return "timed out"
    if isinstance(error, openai.APIConnectionError):
        return f"connection failed ({error.__cause__ or error})"
    return type(error).__name__ if error is not None else "unknown error"
