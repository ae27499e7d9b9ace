"""The chat graph's state (saved by the checkpointer) and its dependencies (not saved).

State is plain JSON so the SQLite checkpointer can keep it across restarts:

- ``turns`` is the thread's memory: the last :data:`MEMORY_TURNS` questions and answers (text only).
  It is the one field that lives from one question to the next; everything else describes the
  question being answered and is reset when a new one starts.
- ``messages`` is the model conversation of the current question (OpenAI chat format), ``results``
  the tool results it produced (``ToolResult`` as dicts), ``steps`` the tool rounds used.

The Odoo client, the model client, the router and the writer are dependencies, given per run as the
graph's context (:class:`ChatDeps`), never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

#: how many previous questions and answers of a thread feed the next one
MEMORY_TURNS = 6


class Turn(TypedDict):
    question: str
    answer: str
    asker: str


class ChatState(TypedDict, total=False):
    # the memory of the thread (kept between questions)
    turns: list[Turn]
    # the question being answered
    question: str
    asker: str
    run_id: str
    mode: str                  # "offline" | "llm"
    messages: list[dict]       # the model conversation of this question
    results: list[dict]        # ToolResult.model_dump(mode="json") of every tool call, in order
    steps: int                 # tool rounds the model used
    draft: str | None          # the model's final answer, before grounding
    llm_failed: bool           # the model could not be reached: answered offline instead
    plan_reason: str           # the offline router's reason (offline path)
    plan_unknown: bool
    plan_kind: str             # answer | propose | act | outside | chitchat (the router's RoutePlan.kind)
    request_kind: str          # with a model: how the user's message was sorted (requests.Request.kind)
    request_verb: str          # a request to act: its verb ("pay") and family ("pay", "approve", ...)
    request_family: str
    text: str                  # the written answer (before the sources are appended)
    source: str                # "llm" | "llm_rewritten" | "template"
    grounding: dict            # GroundingReport as {"checked", "traceable", "failures"}
    first_failures: list[str]  # numbers the model's draft stated that no tool result supports
    usage: dict                # token usage of every model call of this question
    notes: list[str]           # what the reader should know about how the answer was made


@dataclass
class ChatDeps:
    """What the nodes use but the state does not hold (given to ``invoke`` as the run's context)."""

    ctx: Any                   # ledgerpilot.tools.agent.toolkit.ToolContext of this question
    llm: Any | None            # an LlmClient (timed), or None: offline
    router: Any                # ledgerpilot.agent.router.OfflineRouter
    step_budget: int = 6
    company: str = ""
    names: Any | None = None   # NameIndex for the router, or None
    extra: dict[str, Any] = field(default_factory=dict)
