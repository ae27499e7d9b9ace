"""The agent: one question of a conversation in, one grounded answer with its sources out.

:class:`Agent` runs the chat graph (:mod:`ledgerpilot.agent.chat_graph`) for a thread, measures where
the time went (inside model calls vs. everything else), appends the sources to the answer and
records one ``chat_question`` entry in the audit log. With no model it answers offline (router +
templates); with a model, the model picks the tools and writes, and the grounded writer checks
every number it states.

The thread's memory lives in the checkpointer: give the SQLite one (``open_checkpoints(home)``) and
a restarted process remembers the conversation; without one, memory lasts as long as the object.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ledgerpilot.agent.chat_graph import build_chat_graph
from ledgerpilot.agent.chat_state import ChatDeps, Turn
from ledgerpilot.agent.formatting import sources_markdown
from ledgerpilot.agent.grounding import GroundingReport
from ledgerpilot.agent.llm import LlmClient, Usage
from ledgerpilot.errors import UsageError
from ledgerpilot.tools.agent.toolkit import Citation, ToolContext, ToolResult

THREAD_PREFIX = "chat:"


class Answer(BaseModel):
    """An answered question: the text (sources included), how it was made and what it rests on."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    question: str
    text: str
    mode: Literal["offline", "llm"]
    #: answer (read tools answered), propose (a proposal was asked for), act (a request to act, refused),
    #: outside (not in the books), chitchat (small talk)
    kind: str = "answer"
    citations: tuple[Citation, ...] = ()
    tool_results: tuple[ToolResult, ...] = ()
    grounding: GroundingReport | None = None   # the check of the numbers in the text
    source: str = "template"         # "llm" | "llm_rewritten" | "template"
    usage: Usage | None = None       # tokens of every model call for this question
    steps: int = 0                   # tool rounds the model used (offline: 0)
    overhead_seconds: float = 0.0    # wall time minus the time inside model calls
    model_seconds: float = 0.0       # time inside model calls
    thread_id: str = ""
    run_id: str = ""
    notes: tuple[str, ...] = ()      # e.g. "the model could not be reached; answered offline"
    first_failures: tuple[str, ...] = ()  # numbers the model stated that no tool result supports

    @property
    def tools_called(self) -> list[str]:
        return [result.tool for result in self.tool_results]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what ``ledgerpilot chat --json`` prints."""
        grounding = self.grounding
        usage = self.usage
        return {
            "question": self.question, "text": self.text, "mode": self.mode, "kind": self.kind,
            "source": self.source,
            "citations": [c.model_dump() for c in self.citations],
            "tools": [{"tool": r.tool, "arguments": r.arguments, "ok": r.ok, "error": r.error, "seconds": r.seconds}
                      for r in self.tool_results],
            "grounding": None if grounding is None else {
                "checked": grounding.checked, "traceable": grounding.traceable, "share": grounding.share,
                "failures": list(grounding.failures)},
            "usage": None if usage is None else {"prompt_tokens": usage.prompt_tokens,
                                                 "completion_tokens": usage.completion_tokens,
                                                 "total_tokens": usage.total_tokens},
            "steps": self.steps, "overhead_seconds": self.overhead_seconds, "model_seconds": self.model_seconds,
            "thread_id": self.thread_id, "run_id": self.run_id, "notes": list(self.notes),
            "first_failures": list(self.first_failures),
        }


class _TimedLlm:
    """The model client with a stopwatch: the agent reports time inside model calls apart from its own."""

    def __init__(self, llm: Any):
        self._llm = llm
        self.seconds = 0.0

    def chat(self, messages, **kwargs):
        started = time.perf_counter()
        try:
            return self._llm.chat(messages, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llm, name)


class Agent:
    """Answers questions about the books of ``ctx.client``'s company, one thread at a time.

    ``llm`` None: offline (router + templates). ``checkpointer``: where threads are remembered
    (default: in memory, for the life of the object). ``step_budget``: tool rounds the model may use
    per question before it must answer. ``today``: for a long-running process, the day a question is
    asked on (e.g. ``datetime.date.today``); without it every question is answered as of ``ctx.today``.
    """

    def __init__(self, ctx: ToolContext, *, llm: Any | None = None, checkpointer: Any = None,
                 router: Any | None = None, step_budget: int = 6, today: Callable[[], dt.date] | None = None):
        if step_budget < 1:
            raise UsageError(f"the step budget must be at least 1 tool round, not {step_budget}")
        if checkpointer is None:
            from langgraph.checkpoint.memory import InMemorySaver

            checkpointer = InMemorySaver()
        if router is None:
            from ledgerpilot.agent.router import OfflineRouter

            router = OfflineRouter(cache_dir=getattr(ctx.settings, "cache_dir", None))
        self.ctx = ctx
        self.llm = llm
        self.router = router
        self.step_budget = int(step_budget)
        self.today = today
        self.graph = build_chat_graph(checkpointer)

    @property
    def mode(self) -> str:
        return "llm" if self.llm is not None else "offline"

    def ask(self, question: str, *, thread_id: str, asker: str = "") -> Answer:
        """Answer ``question`` in ``thread_id`` (previous turns of the thread are remembered)."""
        question = (question or "").strip()
        if not question:
            raise UsageError("the question is empty: ask something about the books")
        if not thread_id:
            raise UsageError("a conversation needs a thread id")
        started = time.perf_counter()
        run_id = f"chat-{uuid.uuid4().hex[:16]}"
        if self.today is not None:
            self.ctx.today = self.today()        # a long-running bot answers from the books of the day asked
        ctx = dataclasses.replace(self.ctx, run_id=run_id, actor=asker or self.ctx.actor)
        timed = _TimedLlm(self.llm) if self.llm is not None else None
        deps = ChatDeps(ctx=ctx, llm=timed, router=self.router, step_budget=self.step_budget,
                        company=self._company(), names=self._names(ctx))
        state = self.graph.invoke({"question": question, "asker": asker, "run_id": run_id},
                                  config=_config(thread_id), context=deps)
        results = tuple(ToolResult.model_validate(r) for r in state.get("results") or [])
        citations = _citations(results)
        sources = sources_markdown(citations)
        text = state.get("text") or ""
        if sources:
            text = f"{text.rstrip()}\n\n{sources}"
        g = state.get("grounding") or {}
        grounding = GroundingReport(checked=int(g.get("checked", 0)), traceable=int(g.get("traceable", 0)),
                                    failures=tuple(g.get("failures") or ()))
        u = state.get("usage") or {}
        usage = Usage(prompt_tokens=int(u.get("prompt_tokens", 0)), completion_tokens=int(u.get("completion_tokens", 0)),
                      total_tokens=int(u.get("total_tokens", 0)))
        model_seconds = timed.seconds if timed is not None else 0.0
        wall = time.perf_counter() - started
        kind = state.get("plan_kind") if self.llm is None or state.get("llm_failed") or \
            state.get("request_kind") in ("act", "outside") else (
            "propose" if state.get("request_kind") == "propose" else "answer")
        answer = Answer(question=question, text=text, mode=self.mode, kind=kind or "answer", citations=citations,
                        tool_results=results,
                        grounding=grounding, source=state.get("source") or "template", usage=usage,
                        steps=int(state.get("steps") or 0), overhead_seconds=round(max(wall - model_seconds, 0.0), 4),
                        model_seconds=round(model_seconds, 4), thread_id=thread_id, run_id=run_id,
                        notes=tuple(state.get("notes") or ()),
                        first_failures=tuple(state.get("first_failures") or ()))
        self._audit(answer, asker)
        return answer

    def history(self, thread_id: str) -> list[Turn]:
        """The turns the thread remembers (oldest first)."""
        snapshot = self.graph.get_state(_config(thread_id))
        return list((snapshot.values or {}).get("turns") or [])

    # -- internals --------------------------------------------------------------------------------

    def _company(self) -> str:
        """The company's name for the system prompt (read once per context)."""
        if self.llm is None:
            return ""

        def load() -> str:
            scope = getattr(self.ctx.client, "company", None)  # the company the client reads for
            if scope is not None:
                return scope.name
            rows = self.ctx.client.search_read("res.company", [], ["name"], limit=1, order="id asc")
            return str(rows[0]["name"]) if rows else ""

        return self.ctx.memo(("chat", "company_name"), load)

    def _names(self, ctx: ToolContext) -> Any | None:
        """The names the router recognises (customers, vendors, projects, orders); offline only."""
        if self.llm is not None:
            return None
        from ledgerpilot.agent.question_parsing import NameIndex

        return NameIndex.load(ctx)

    def _audit(self, answer: Answer, asker: str) -> None:
        audit = self.ctx.audit
        if audit is None:
            return
        grounding = answer.grounding
        audit.record("chat_question", actor=asker or self.ctx.actor, subject=f"{THREAD_PREFIX}{answer.thread_id}",
                     details={"thread": answer.thread_id, "asker": asker, "run_id": answer.run_id,
                              "kind": answer.kind, "tools": answer.tools_called,
                              "ok": [r.ok for r in answer.tool_results],
                              "mode": answer.mode, "source": answer.source, "steps": answer.steps,
                              "grounding_share": None if grounding is None else grounding.share,
                              "tokens": 0 if answer.usage is None else answer.usage.total_tokens,
                              "overhead_seconds": answer.overhead_seconds, "model_seconds": answer.model_seconds})


def _config(thread_id: str) -> dict:
    return {"configurable": {"thread_id": f"{THREAD_PREFIX}{thread_id}"}}


def _citations(results: tuple[ToolResult, ...]) -> tuple[Citation, ...]:
    """The records behind the figures: citations of the successful results, each record once."""
    seen: set[tuple[str, int]] = set()
    out: list[Citation] = []
    for result in results:
        if not result.ok:
            continue
        for citation in result.citations:
            key = (citation.model, citation.id)
            if key not in seen:
                seen.add(key)
                out.append(citation)
    return tuple(out)


def llm_from_settings(settings: Any, *, audit: Any = None) -> Any | None:
    """The configured model client (every call logged under ``home/runs/``), or None: offline."""
    return LlmClient.from_settings(settings, audit=audit)


@contextmanager
def open_agent(client: Any, settings: Any, *, today: dt.date | Callable[[], dt.date], actor: str = "ledgerpilot-agent",
               audit: Any = None, offline: bool = False, home: Path | None = None) -> Iterator[Agent]:
    """An agent over ``client`` whose threads are remembered in ``home/checkpoints.sqlite`` (default:
    ``settings.home``); the model from the settings unless ``offline``. ``today``: a date, or a callable
    giving the day of each question (a long-running bot)."""
    from ledgerpilot.memory.checkpoints import open_checkpoints

    day_of = today if callable(today) else None
    ctx = ToolContext(client=client, settings=settings, today=day_of() if day_of else today, actor=actor, audit=audit)
    llm = None if offline else llm_from_settings(settings, audit=audit)
    try:
        with open_checkpoints(Path(home or settings.home)) as (saver, _runs):
            yield Agent(ctx, llm=llm, checkpointer=saver, step_budget=settings.agent.step_budget, today=day_of)
    finally:
        if llm is not None:
            llm.close()
