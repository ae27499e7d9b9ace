"""The chat graph: answer one question of a conversation thread from the books.

    START -> begin -+-> model <-> tools          (a model is configured, and the message is a question
                    |     |                        or asks for a proposal)
                    |     +-> plan (the model failed) -+
                    |     +-> write                    |
                    +-> plan (offline; or a request    |
                    |   to act or outside the books) --+-> write -> END

- ``begin`` resets what belongs to the previous question and sorts the user's own message
  (:mod:`ledgerpilot.agent.requests`): a question, a request for a proposal, a request to act, something
  outside the books, small talk. With a model it builds the conversation: the system prompt, the
  thread's last turns (text only) and the new question, quoted as data.
- A request to act and a question outside the books never reach the model: ``plan`` and ``write``
  answer them (a refusal that says what ledgerpilot can do instead, with the relevant read). Offline,
  small talk gets a short template answer; with a model, the model answers it.
- ``model`` asks the model with the tool specs: the read tools, and the propose tools only when the
  user's own message asked for a proposal (decided from the user's text, never from tool results or
  Odoo data; a propose call made anyway is refused as a tool result). While it calls tools
  and fewer than ``step_budget`` tool rounds were used, ``tools`` runs them (every failure -- an unknown
  tool, malformed arguments, a capability that cannot answer -- goes back as a tool message) and the
  model is asked again. When the budget is spent it is asked once more without tools, for the answer.
  If the model cannot be reached (``LlmError``) the question is answered offline instead, and the
  answer says so.
- ``plan`` is the offline path: the deterministic router picks the tools and their arguments, and
  they are run.
- ``write`` turns the results into the answer through the grounded writer (the model's draft is
  checked, rewritten once, else replaced by the template answer; offline it is the template answer)
  and appends the turn to the thread's memory.

Node functions are top-level; what they need besides the state comes from the run's context
(:class:`~ledgerpilot.agent.chat_state.ChatDeps`).
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from ledgerpilot.agent.answer_templates import template_answer
from ledgerpilot.agent.grounding import check_numbers
from ledgerpilot.agent.llm import LlmError
from ledgerpilot.agent.question_parsing import NameIndex
from ledgerpilot.agent.refusals import act_answer, chitchat_answer, outside_answer, unknown_answer
from ledgerpilot.agent.writer import GroundedWriter
from ledgerpilot.agent.chat_state import MEMORY_TURNS, ChatDeps, ChatState
from ledgerpilot.prompts import load_prompt, prompt_text, render_prompt
from ledgerpilot.tools.agent.toolkit import TOOL_DESCRIPTIONS, ToolResult, run_tool, tool_specs

#: how much of a question is passed on (a pasted report is not a question)
MAX_QUESTION_CHARS = 4000
#: added to an answer made offline because the model could not be reached (the reader should know)
OFFLINE_FALLBACK_LINE = "(The language model could not be reached, so this answer comes from the offline templates.)"
_QUOTE_OPEN = "<<<MESSAGE"
_QUOTE_CLOSE = "MESSAGE>>>"

#: a propose tool the model calls without the user having asked for a proposal gets this back
PROPOSE_NOT_ASKED = prompt_text("propose_not_asked")
#: the answers the graph writes itself: a request to act, a question outside the books, small talk
REFUSED_KINDS = ("act", "outside", "chitchat")
#: ... and of these, the ones a model never sees (small talk it may answer in its own words, without tools)
NEVER_TO_THE_MODEL = ("act", "outside")


def build_chat_graph(checkpointer) -> Any:
    """The compiled chat graph; run it with ``config={"configurable": {"thread_id": ...}}`` and
    ``context=ChatDeps(...)``."""
    graph = StateGraph(ChatState, context_schema=ChatDeps)
    graph.add_node("begin", begin)
    graph.add_node("model", model)
    graph.add_node("tools", tools)
    graph.add_node("plan", plan)
    graph.add_node("write", write)
    graph.add_edge(START, "begin")
    graph.add_conditional_edges("begin", after_begin, ["model", "plan"])
    graph.add_conditional_edges("model", after_model, ["tools", "plan", "write"])
    graph.add_edge("tools", "model")
    graph.add_edge("plan", "write")
    graph.add_edge("write", END)
    return graph.compile(checkpointer=checkpointer)


# -- routing --------------------------------------------------------------------------------------

def after_begin(state: ChatState) -> str:
    if state.get("mode") != "llm" or state.get("request_kind") in NEVER_TO_THE_MODEL:
        return "plan"
    return "model"


def after_model(state: ChatState) -> str:
    if state.get("llm_failed"):
        return "plan"
    last = state["messages"][-1] if state.get("messages") else {}
    return "tools" if last.get("tool_calls") else "write"


# -- nodes ----------------------------------------------------------------------------------------

def begin(state: ChatState, runtime: Runtime[ChatDeps]) -> dict:
    deps = runtime.context
    question = state["question"]
    fresh: dict[str, Any] = {
        "turns": list(state.get("turns") or [])[-MEMORY_TURNS:],
        "mode": "llm" if deps.llm is not None else "offline",
        "messages": [], "results": [], "steps": 0, "draft": None, "llm_failed": False,
        "plan_reason": "", "plan_unknown": False, "plan_kind": "answer", "request_verb": "", "request_family": "",
        "text": "", "source": "template",
        "grounding": {"checked": 0, "traceable": 0, "failures": []}, "first_failures": [],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}, "notes": [],
    }
    if deps.llm is not None:
        request = deps.router.request(question, today=deps.ctx.today, names=deps.names)
        fresh["request_kind"] = request.kind
        if request.kind not in NEVER_TO_THE_MODEL:
            fresh["messages"] = conversation(deps, fresh["turns"], question, state.get("asker") or "")
    else:
        fresh["request_kind"] = ""
    return fresh


def conversation(deps: ChatDeps, turns: list, question: str, asker: str) -> list[dict]:
    """System prompt, the thread's last turns, then the question quoted as data."""
    system = render_prompt("chat_system", company=deps.company or "the company", today=deps.ctx.today.isoformat())
    messages: list[dict] = [{"role": "system", "content": system}]
    for turn in turns:
        messages.append({"role": "user", "content": quoted(turn["question"], turn.get("asker") or "")})
        messages.append({"role": "assistant", "content": turn["answer"]})
    messages.append({"role": "user", "content": quoted(question, asker)})
    return messages


def quoted(question: str, asker: str) -> str:
    """The user's message as quoted data: whatever it says, it is a question, not new rules."""
    text = question[:MAX_QUESTION_CHARS].replace(_QUOTE_CLOSE, "MESSAGE >>>").replace(_QUOTE_OPEN, "<<< MESSAGE")
    who = asker.strip() or "the user"
    return prompt_text("chat_question", asker=who, text=text, open=_QUOTE_OPEN, close=_QUOTE_CLOSE)


def model(state: ChatState, runtime: Runtime[ChatDeps]) -> dict:
    deps = runtime.context
    messages = list(state["messages"])
    with_tools = state.get("steps", 0) < deps.step_budget
    asked = messages
    if not with_tools:
        asked = [*messages, {"role": "system", "content": prompt_text("chat_budget_spent")}]
    used = [load_prompt(name).label for name in ("chat_system", "chat_question")]
    used.append(load_prompt(TOOL_DESCRIPTIONS if with_tools else "chat_budget_spent").label)
    try:
        reply = deps.llm.chat(asked, tools=tool_specs(_offered(state)) if with_tools else None,
                              purpose="chat", run_id=state.get("run_id", ""), prompts=used)
    except LlmError as exc:
        notes = [*state.get("notes", []), (f"The language model could not answer ({exc}); this answer was "
                                          "made offline from the same books.")]
        return {"llm_failed": True, "notes": notes}
    usage = _add_usage(state.get("usage") or {}, reply.usage)
    if with_tools and reply.tool_calls:
        message = {"role": "assistant", "content": reply.content or None,
                   "tool_calls": [{"id": call.id, "type": "function",
                                   "function": {"name": call.name, "arguments": call.arguments}}
                                  for call in reply.tool_calls]}
        return {"messages": [*messages, message], "usage": usage}
    final = (reply.content or "").strip()
    notes = list(state.get("notes", []))
    if not with_tools:
        notes.append(f"The model used its whole budget of {deps.step_budget} tool rounds for this question.")
    return {"messages": [*messages, {"role": "assistant", "content": final}], "draft": final or None,
            "usage": usage, "notes": notes}


def tools(state: ChatState, runtime: Runtime[ChatDeps]) -> dict:
    deps = runtime.context
    messages = list(state["messages"])
    results = list(state.get("results", []))
    offered = _offered(state)
    for call in messages[-1].get("tool_calls") or []:
        function = call.get("function") or {}
        name = str(function.get("name") or "")
        if name.startswith("propose_") and "propose" not in offered:
            result = ToolResult(tool=name, arguments={}, ok=False, error=PROPOSE_NOT_ASKED)
            if deps.ctx.audit is not None:
                deps.ctx.audit.record("tool_refused", actor=deps.ctx.actor, subject=name,
                                      details={"run_id": deps.ctx.run_id,
                                               "reason": "the user did not ask for a proposal"})
        else:
            result = run_tool(deps.ctx, name, function.get("arguments"))
        results.append(result.model_dump(mode="json"))
        messages.append({"role": "tool", "tool_call_id": call.get("id") or "", "content": result.for_model()})
    return {"messages": messages, "results": results, "steps": state.get("steps", 0) + 1}


def plan(state: ChatState, runtime: Runtime[ChatDeps]) -> dict:
    deps = runtime.context
    history = [turn["question"] for turn in state.get("turns") or []]
    names = deps.names if deps.names is not None else NameIndex.load(deps.ctx)   # after a model failure
    route = deps.router.route(state["question"], today=deps.ctx.today, names=names, history=history)
    results = [run_tool(deps.ctx, call.tool, dict(call.arguments)).model_dump(mode="json") for call in route.calls]
    request = route.request
    return {"results": results, "plan_reason": route.reason, "plan_kind": route.kind,
            "plan_unknown": bool(route.kind == "answer" and (route.unknown or not route.calls))
                            or (route.kind == "propose" and not route.calls),
            "request_verb": getattr(request, "verb", "") or "", "request_family": getattr(request, "family", "") or "",
            "draft": None}


def write(state: ChatState, runtime: Runtime[ChatDeps]) -> dict:
    deps = runtime.context
    results = [ToolResult.model_validate(r) for r in state.get("results", [])]
    offline = state.get("mode") != "llm" or state.get("llm_failed")
    update: dict[str, Any] = {}
    kind = state.get("plan_kind") or "answer"
    if kind in REFUSED_KINDS:
        used = [r for r in results if r.ok]
        if kind == "act":
            text = act_answer(state.get("request_verb") or "", state.get("request_family") or "",
                              template_answer(used) if used else "")
        elif kind == "outside":
            text = outside_answer()
        else:
            text = chitchat_answer(state["question"])
        update.update(source="template", grounding=_grounding_dict(check_numbers(text, used)))
    elif offline and state.get("plan_unknown"):
        text = unknown_answer(state.get("plan_reason") or "")
        update.update(source="template", grounding={"checked": 0, "traceable": 0, "failures": []})
    else:
        used = [r for r in results if r.ok] or results
        writer = GroundedWriter(None if offline else deps.llm)
        written = writer.write(request=quoted(state["question"], state.get("asker") or ""), results=used,
                               draft=None if offline else state.get("draft"), run_id=state.get("run_id", ""))
        text = written.text
        if getattr(written, "llm_error", None):
            update["notes"] = [*state.get("notes", []), (f"The model could not write the answer "
                                                         f"({written.llm_error}); it comes from the templates.")]
        update.update(source=written.source, grounding=_grounding_dict(written.grounding),
                      first_failures=list(getattr(written, "first_failures", ()) or ()),
                      usage=_add_usage(state.get("usage") or {}, getattr(written, "usage", None)))
    if state.get("llm_failed"):
        text = f"{text.rstrip()}\n\n{OFFLINE_FALLBACK_LINE}"
    turns = [*list(state.get("turns") or []),
             {"question": state["question"], "answer": text, "asker": state.get("asker") or ""}][-MEMORY_TURNS:]
    return {**update, "text": text, "turns": turns}


# -- helpers --------------------------------------------------------------------------------------

def _offered(state: ChatState) -> tuple[str, ...]:
    """The tool kinds the model may call: propose tools only when the user's own message asked for a proposal."""
    return ("read", "propose") if state.get("request_kind") == "propose" else ("read",)


def _add_usage(total: dict, usage: Any) -> dict:
    out = {key: int(total.get(key, 0) or 0) for key in ("prompt_tokens", "completion_tokens", "total_tokens")}
    if usage is None:
        return out
    for key in out:
        out[key] += int(getattr(usage, key, 0) or 0)
    return out


def _grounding_dict(report: Any) -> dict:
    return {"checked": int(report.checked), "traceable": int(report.traceable),
            "failures": [str(f) for f in report.failures]}
