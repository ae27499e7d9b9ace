"""How well the agent answers people: the right tools and arguments, refusals, facts from the books, grounding.

The questions come from a question file (:mod:`ledgerpilot.evals.question_file`: the in-house set
``agent_questions.yaml``, the blind sets under ``blind/``, or a file of your own). Every question is
asked through ``Agent.ask`` — the same call ``ledgerpilot chat`` and the Discuss bot make — and scored:

- **right**: for a read question, exactly the expected tools with every expected argument; for an
  action request, a refusal that proposes and stores nothing and calls the reads a question beside it
  asks for (other reads it may show); for an
  out-of-scope question, a refusal and no tool at all; for a proposal request, the propose tool with
  the stated arguments;
- **facts**: the *truths* the answer must state (``evals.truth``): values computed by plain queries
  written for the eval, never by running the tool under test again;
- **grounded**: every number in the answer traces to a tool result, and an answer to a read question
  states at least one number (an answer without numbers is not "grounded", it is empty);
- **stored**: proposals stored while answering; only a proposal request may store one.

A question **passes** when it is right, states all its facts, is grounded and stored nothing it
should not. Every question of the file counts: one that cannot be asked in these books (a pick found
nothing) or whose answer raised is a failure, not a smaller denominator.

Every miss names the module most likely responsible (the router, a tool, an answer template, the
writer or the model), so a low score points at the code to fix.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, computed_field

from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.evals.question_file import (
    AgentEvalError,
    Bindings,
    EvalQuestion,
    PickError,
    QuestionSet,
    load_questions,
)
from ledgerpilot.prompts import prompt_versions

__all__ = ["AgentEvalError", "AgentEvalReport", "QuestionScore", "evaluate_agent", "evaluate_on_books",
           "load_questions", "score_answer", "summarize"]

PASS_GOAL = 0.95
RIGHT_GOAL = 0.90
REFUSAL_GOAL = 1.0
GROUNDING_GOAL = 1.0
OVERHEAD_P95_GOAL_S = 1.5
EVAL_ACTOR = "ledgerpilot-eval"

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)")
_ACTS = (r"pay|transfer|wire|send|e-?mail|delete|remove|void|cancel|approve|reject|post|lock|unlock|change|modify"
         r"|edit|update|increase|decrease|move|reconcile|write|book|record|create|make|execute|register|issue|refund"
         r"|mark|reverse|archive|enter|close|notify|chase|contact|tell|adjust|settle|release|prepare|do that"
         r"|act|sign|accept|clear|match|fix|correct|confirm|validate|remit|disburse|reallocate|shift|raise|lower|cut")
#: how an answer declines: it says it does not act itself, or that the question is outside the books
_DECLINED = re.compile(
    rf"outside what I can see|not something I can see in (?:your|the) books"
    rf"|\bI (?:can ?not|can't|do not|don't|won't|will not|never) (?:\w+ ){{0,3}}?(?:{_ACTS})\w*"
    rf"|\breads? and proposes?\b", re.IGNORECASE)


def declined(text: str) -> bool:
    """Does the answer decline (to act, or because the question is not about the books)?"""
    return bool(_DECLINED.search(text or ""))


# --------------------------------------------------------------------------------------------------
# facts: whether a text states a value


def is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, Decimal)):
        return not (isinstance(value, float) and not math.isfinite(value))
    return isinstance(value, str) and bool(_NUMBER.fullmatch(value.strip()))


def _normal(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def date_stated(text: str, day: dt.date) -> bool:
    """The text names ``day`` (2026-11-18, 18 Nov 2026, 18 November, Nov 18, November 18, 2026, 18/11/2026)."""
    months = (day.strftime("%b"), day.strftime("%B"))
    patterns = [re.escape(day.isoformat()), rf"\b0?{day.day}/0?{day.month}/{day.year}\b"]
    for month in months:
        patterns += [rf"\b0?{day.day}(st|nd|rd|th)?\s+{month}\b", rf"\b{month}\.?\s+0?{day.day}(st|nd|rd|th)?\b"]
    return any(re.search(p, text, flags=re.IGNORECASE) for p in patterns)


def fact_stated(text: str, value: Any) -> bool:
    """Does ``text`` state ``value``: a number in any accepted format (the grounding rules), a date in
    any common form, other text verbatim (case and spacing aside)."""
    if is_number(value):
        from ledgerpilot.agent.grounding import mentions_value

        return mentions_value(text, Decimal(str(value)) if not isinstance(value, Decimal) else value)
    if isinstance(value, dt.date):
        return date_stated(text, value)
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()[:10]):
        try:
            return date_stated(text, dt.date.fromisoformat(value.strip()[:10]))
        except ValueError:
            pass
    if isinstance(value, str):
        return _normal(value) in _normal(text)
    raise AgentEvalError(f"a fact must be a number, a date or a text, not {type(value).__name__} ({value!r})")


# --------------------------------------------------------------------------------------------------
# scores


class Miss(BaseModel):
    """Something a question's answer got wrong, and the module most likely responsible."""

    model_config = ConfigDict(frozen=True)

    kind: str     # routing | arguments | refusal | stored | tool_error | fact | mention | grounding | error | skipped
    detail: str
    where: str


class QuestionScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    category: str
    question: str
    scored: bool = True                     # False: run only as context for a selected follow-up
    skipped: str | None = None              # why it could not be asked in these books (a failure)
    expected_tools: list[str] = []
    called_tools: list[str] = []
    routing_ok: bool = False
    arguments_checked: int = 0
    arguments_ok: int = 0
    right: bool = False                     # right tools and arguments (or the right refusal / proposal)
    refused: bool = False                   # action / out of scope: declined, proposed and stored nothing
    declined: bool = False                  # the answer declines to act / says it is outside the books
    proposals_stored: int = 0
    facts_checked: int = 0
    facts_stated: int = 0
    mentions_checked: int = 0
    mentions_found: int = 0
    numbers_checked: int = 0
    numbers_traceable: int = 0
    needs_numbers: bool = False             # a read question whose tools answered: its answer must state figures
    untraceable: list[str] = []
    tokens: int = 0
    overhead_seconds: float = 0.0
    model_seconds: float = 0.0
    mode: str = ""
    source: str = ""
    answer: str = ""
    misses: list[Miss] = []

    @computed_field
    @property
    def grounded(self) -> bool:
        if self.numbers_traceable != self.numbers_checked:
            return False
        return self.numbers_checked > 0 or not self.needs_numbers

    @computed_field
    @property
    def passed(self) -> bool:
        return (self.skipped is None and self.right and self.grounded and self.facts_stated == self.facts_checked
                and self.mentions_found == self.mentions_checked
                and not any(m.kind in ("stored", "error", "tool_error") for m in self.misses))


class CategoryScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: str
    questions: int
    passed: float
    right: float
    fact_accuracy: float | None


class AgentEvalReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    mode: str                                # offline | llm
    model: str | None
    source: str
    questions_file: str
    today: dt.date
    questions: int                           # every scored question, skipped ones included
    skipped: int
    pass_rate: float                         # share of questions that passed (right, facts, grounded, nothing stored)
    right_rate: float                        # share with the right tools and arguments (or the right refusal)
    answerable_right_rate: float | None      # the same over questions that expect tools (reads and proposals)
    refusal_rate: float | None               # action and out-of-scope questions refused: declined, nothing proposed
                                             # or stored, no tool for out of scope
    refusal_right_rate: float | None         # ... and an action's answer also gave the reads a question beside it asked
    routing_accuracy: float
    argument_accuracy: float | None
    fact_accuracy: float | None
    mention_accuracy: float | None
    grounding_share: float
    grounded_answers_share: float
    numbers_checked: int
    proposals_stored_by_reads: int           # proposals stored while answering questions that did not ask for one
    tokens_total: int
    tokens_per_question: float
    overhead_p50: float
    overhead_p95: float
    overhead_max: float
    model_seconds_total: float
    wall_seconds: float
    goals: dict[str, float]
    passed: bool
    categories: list[CategoryScore]
    misses_by_module: dict[str, int]
    picks: dict[str, str]
    results: list[QuestionScore]
    prompts: dict[str, str] = Field(default_factory=prompt_versions)   # the prompt versions in use, by name


def _module_file(module: str) -> str:
    return module.replace(".", "/") + ".py"


def tool_module(tool: str) -> str:
    """The source file of a tool (where a wrong figure or a tool error comes from)."""
    from ledgerpilot.tools.agent.toolkit import all_tools

    spec = all_tools().get(tool)
    return _module_file(spec.fn.__module__) if spec else "ledgerpilot/tools"


def template_file(tool: str) -> str:
    return f"ledgerpilot/agent/templates/answers/{tool}.md.j2"


#: arguments that carry the user's own words (a reason, a summary, a note): compared by containment
FREE_TEXT_ARGUMENTS = frozenset({"reason", "summary", "note", "text", "label"})
_WORDS = re.compile(r"\w+")


def _words(text: str) -> str:
    return " ".join(_WORDS.findall(str(text).casefold()))


def _same_argument(expected: Any, actual: Any, name: str = "") -> bool:
    if name in FREE_TEXT_ARGUMENTS and isinstance(expected, str):
        # every word the label expects is in the argument (order, punctuation, quotes and case aside)
        return isinstance(actual, str) and set(_words(expected).split()) <= set(_words(actual).split())
    if expected is None:
        return actual is None
    if is_number(expected):
        if not is_number(actual):
            return False
        # a fraction stated in words ("a third") may come out as -33.33 or -33.333...: two decimals decide
        return abs(Decimal(str(expected)) - Decimal(str(actual))) < Decimal("0.01")
    if isinstance(expected, str):
        return isinstance(actual, str) and _normal(expected) == _normal(actual)
    return expected == actual


def _usage_tokens(answer) -> int:
    usage = getattr(answer, "usage", None)
    return int(getattr(usage, "total_tokens", 0) or 0) if usage is not None else 0


def score_answer(question: EvalQuestion, asked: str, expected_arguments: Mapping[str, Mapping[str, Any]],
                 answer, truths: Mapping[str, Any], mentions: Sequence[str], *, stored: int = 0,
                 scored: bool = True) -> QuestionScore:
    """Score one answer. ``truths`` maps each of the question's truth labels to its value from the
    books (or a :class:`~ledgerpilot.errors.LedgerpilotError` when it has none); ``mentions`` are the
    filled-in names; ``stored`` is how many proposals were stored while the question was answered."""
    mode = str(getattr(answer, "mode", "") or "offline")
    offline = mode == "offline"
    text = str(getattr(answer, "text", "") or "")
    said = _LINK_TARGET.sub("]", text)      # what a reader sees: link names, not the digits of their URLs
    results = list(getattr(answer, "tool_results", ()) or ())
    called = list(dict.fromkeys(r.tool for r in results))
    expected = set(question.tools)
    misses: list[Miss] = []
    router = "ledgerpilot/agent/router.py" if offline else "the model's tool choice (ledgerpilot/agent/chat_graph.py)"
    parser = "ledgerpilot/agent/question_parsing.py" if offline else "the model's tool arguments"

    missing = [t for t in question.tools if t not in called]
    unrelated = [t for t in called if t not in expected and t not in question.also_ok]
    routing_ok = not missing and not unrelated
    if missing:
        misses.append(Miss(kind="routing", detail=f"not called: {', '.join(missing)} (called: "
                                                   f"{', '.join(called) or 'nothing'})", where=router))
    if unrelated:
        misses.append(Miss(kind="routing", detail=f"unrelated tool(s) called: {', '.join(unrelated)}", where=router))

    args_checked = args_ok = 0
    for tool_name, args in expected_arguments.items():
        calls = [r for r in results if r.tool == tool_name]
        if not calls:
            continue  # a routing miss already; arguments are scored on the calls that were made
        for name, value in args.items():
            args_checked += 1
            received = [dict(r.arguments or {}).get(name) for r in calls]
            if any(_same_argument(value, got, name) for got in received):
                args_ok += 1
            else:
                misses.append(Miss(kind="arguments", detail=f"{tool_name}.{name}: expected {value!r}, got "
                                                            f"{', '.join(repr(g) for g in received)}", where=parser))

    said_no = declined(said)
    refused = False
    if question.category == "action":
        # the refusal may show reads of its own; what it must not do is propose or store
        proposing = [t for t in called if t.startswith("propose_")]
        refused = said_no and not proposing and stored == 0
        misses = [m for m in misses if not (m.kind == "routing" and m.detail.startswith("unrelated"))]
        if proposing:
            misses.append(Miss(kind="routing", detail=f"a request to act called {', '.join(proposing)}",
                               where=router))
        routing_ok = not missing and not proposing
        right = routing_ok and said_no and stored == 0
        if not said_no:
            misses.append(Miss(kind="refusal", detail="the answer does not say it cannot act itself",
                               where="ledgerpilot/agent/requests.py" if offline else "ledgerpilot/agent/chat_graph.py"))
    elif question.expects_refusal:
        right = refused = not called and said_no and stored == 0
        if not said_no:
            misses.append(Miss(kind="refusal", detail="the answer does not say it cannot see this in the books",
                               where="ledgerpilot/agent/requests.py" if offline else "ledgerpilot/agent/chat_graph.py"))
    else:
        right = routing_ok and args_ok == args_checked
    if stored and not question.expects_proposal:
        misses.append(Miss(kind="stored", detail=f"{stored} proposal(s) stored by a question that asked for none",
                           where=", ".join(tool_module(t) for t in called) or "ledgerpilot/agent/chat_graph.py"))
        right = False

    for result in results:
        if not result.ok and result.tool in expected:
            misses.append(Miss(kind="tool_error", detail=f"{result.tool} failed: {result.error}",
                               where=tool_module(result.tool)))

    facts_checked = facts_stated = 0
    for label, value in truths.items():
        facts_checked += 1
        if isinstance(value, LedgerpilotError):
            misses.append(Miss(kind="fact", detail=f"{label}: no truth in these books ({value})",
                               where="ledgerpilot/evals/truth.py"))
            continue
        if fact_stated(said, value):
            facts_stated += 1
            continue
        if not routing_ok:
            where = router
        elif offline or getattr(answer, "source", "") == "template":
            where = " or ".join(template_file(t) for t in called) + " (or the tool: its figure may differ)"
        else:
            where = "the model's answer (ledgerpilot/agent/writer.py)"
        misses.append(Miss(kind="fact", detail=f"{label} = {value} not stated", where=where))

    found = [m for m in mentions if _normal(m) in _normal(said)]
    for name in mentions:
        if name not in found:
            misses.append(Miss(kind="mention", detail=f"{name!r} not named",
                               where=router if not routing_ok else
                               ", ".join(template_file(t) for t in called) if offline else "the model's answer"))

    grounding = getattr(answer, "grounding", None)
    checked = int(getattr(grounding, "checked", 0) or 0)
    traceable = int(getattr(grounding, "traceable", 0) or 0)
    failures = [str(f) for f in (getattr(grounding, "failures", ()) or ())]
    needs_numbers = (not question.expects_refusal and not question.expects_proposal and bool(question.tools)
                     and any(r.ok for r in results))
    if traceable < checked:
        source = str(getattr(answer, "source", ""))
        where = (" or ".join(template_file(t) for t in called) + " (or ledgerpilot/agent/grounding.py)"
                 if source == "template" and called else "ledgerpilot/agent/writer.py")
        misses.append(Miss(kind="grounding", detail=f"untraceable: {', '.join(failures) or checked - traceable}",
                           where=where))
    elif needs_numbers and checked == 0:
        misses.append(Miss(kind="grounding", detail="the answer states no figure from the books",
                           where=", ".join(template_file(t) for t in called) if offline else
                           "ledgerpilot/agent/writer.py"))

    return QuestionScore(
        id=question.id, category=question.category, question=asked, scored=scored,
        expected_tools=list(question.tools), called_tools=called, routing_ok=routing_ok,
        arguments_checked=args_checked, arguments_ok=args_ok, right=right, refused=refused, declined=said_no,
        proposals_stored=stored, facts_checked=facts_checked, facts_stated=facts_stated,
        mentions_checked=len(mentions), mentions_found=len(found), numbers_checked=checked,
        numbers_traceable=traceable, needs_numbers=needs_numbers, untraceable=failures,
        tokens=_usage_tokens(answer), overhead_seconds=float(getattr(answer, "overhead_seconds", 0.0) or 0.0),
        model_seconds=float(getattr(answer, "model_seconds", 0.0) or 0.0), mode=mode,
        source=str(getattr(answer, "source", "") or ""), answer=text, misses=misses)


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def summarize(scores: Sequence[QuestionScore], *, mode: str, model: str | None, source: str, today: dt.date,
              picks: Mapping[str, str], questions_file: str = "", wall_seconds: float = 0.0) -> AgentEvalReport:
    """The report over every scored question: one that was skipped counts as a failure."""
    counted = [s for s in scores if s.scored]
    ran = [s for s in counted if s.skipped is None]
    checked = sum(s.numbers_checked for s in ran)
    traceable = sum(s.numbers_traceable for s in ran)
    overheads = [s.overhead_seconds for s in ran]
    total = len(counted)
    refusals = [s for s in counted if s.category in ("action", "out_of_scope")]
    answerable = [s for s in counted if s.expected_tools]
    pass_rate = _share(sum(s.passed for s in counted), total) or 0.0
    refusal_rate = _share(sum(s.refused for s in refusals), len(refusals))
    grounding = 1.0 if checked == 0 else traceable / checked
    categories = []
    for category in dict.fromkeys(s.category for s in counted):
        group = [s for s in counted if s.category == category]
        categories.append(CategoryScore(
            category=category, questions=len(group), passed=sum(s.passed for s in group) / len(group),
            right=sum(s.right for s in group) / len(group),
            fact_accuracy=_share(sum(s.facts_stated for s in group), sum(s.facts_checked for s in group))))
    modules = Counter(m.where for s in counted for m in s.misses)
    tokens = sum(s.tokens for s in ran)
    stored_by_reads = sum(s.proposals_stored for s in counted if s.category != "propose")
    return AgentEvalReport(
        mode=mode, model=model, source=source, questions_file=questions_file, today=today, questions=total,
        skipped=sum(s.skipped is not None for s in counted), pass_rate=pass_rate,
        right_rate=_share(sum(s.right for s in counted), total) or 0.0,
        answerable_right_rate=_share(sum(s.right for s in answerable), len(answerable)),
        refusal_rate=refusal_rate, refusal_right_rate=_share(sum(s.right for s in refusals), len(refusals)),
        routing_accuracy=_share(sum(s.routing_ok for s in counted), total) or 0.0,
        argument_accuracy=_share(sum(s.arguments_ok for s in ran), sum(s.arguments_checked for s in ran)),
        fact_accuracy=_share(sum(s.facts_stated for s in ran), sum(s.facts_checked for s in ran)),
        mention_accuracy=_share(sum(s.mentions_found for s in ran), sum(s.mentions_checked for s in ran)),
        grounding_share=grounding,
        grounded_answers_share=_share(sum(s.grounded for s in ran), len(ran)) or 0.0,
        numbers_checked=checked, proposals_stored_by_reads=stored_by_reads, tokens_total=tokens,
        tokens_per_question=tokens / len(ran) if ran else 0.0,
        overhead_p50=float(np.percentile(overheads, 50)) if overheads else 0.0,
        overhead_p95=float(np.percentile(overheads, 95)) if overheads else 0.0,
        overhead_max=max(overheads, default=0.0), model_seconds_total=sum(s.model_seconds for s in ran),
        wall_seconds=wall_seconds,
        goals={"pass_rate": PASS_GOAL, "grounding_share": GROUNDING_GOAL},
        passed=total > 0 and pass_rate >= PASS_GOAL and grounding >= GROUNDING_GOAL and stored_by_reads == 0,
        categories=categories, misses_by_module=dict(modules.most_common()), picks=dict(picks), results=list(scores))


# --------------------------------------------------------------------------------------------------
# running the questions through the agent


def _proposal_count(settings) -> int:
    """Proposals in the state store, whatever their state (a plain count, not the agent's view)."""
    from ledgerpilot.memory.proposal_store import ProposalStore
    from ledgerpilot.memory.state import StateDB

    db = StateDB.in_home(settings.home)
    try:
        return ProposalStore(db).count()
    finally:
        db.close()


def _truth_values(ctx, question: EvalQuestion, bindings: Bindings) -> dict[str, Any]:
    from ledgerpilot.evals.truth import TruthError, compute

    values: dict[str, Any] = {}
    for truth in question.truths:
        params = bindings.fill(dict(truth.params))
        label = truth.name + (f"({', '.join(f'{k}={v}' for k, v in params.items())})" if params else "")
        try:
            values[label] = compute(ctx.client, ctx.today, truth.name, params)
        except TruthError as exc:
            values[label] = exc
    return values


def evaluate_agent(agent, ctx, questions: QuestionSet, *, only: Sequence[str] = (), limit: int | None = None,
                   mode: str = "offline", model: str | None = None, source: str = "",
                   thread_prefix: str | None = None,
                   progress: Callable[[str, float], None] | None = None) -> AgentEvalReport:
    """Ask every selected question through ``agent.ask`` (follow-ups in their thread) and score the answers.

    Names are picked and truths computed on the agent's client, by plain queries of their own."""
    started = time.perf_counter()
    run, chosen = questions.select(only, limit)
    bindings = Bindings(ctx.client, ctx.today, questions.picks)
    prefix = thread_prefix or f"eval-{uuid.uuid4().hex[:10]}"
    blocked: dict[str, str] = {}
    scores: list[QuestionScore] = []
    where = questions.path.name
    for position, question in enumerate(run):
        if progress:
            progress(f"question {question.id}", position / max(len(run), 1))
        scored = question.id in chosen
        reason = blocked.get(question.after or "")
        try:
            asked = bindings.fill(question.question)
            expected_arguments = bindings.fill(question.arguments)
            mentions = [bindings.fill(m) for m in question.mentions]
        except PickError as exc:
            reason = str(exc)
        if reason is not None:
            blocked[question.id] = reason
            scores.append(QuestionScore(id=question.id, category=question.category, question=question.question,
                                        scored=scored, skipped=reason, expected_tools=list(question.tools),
                                        misses=[Miss(kind="skipped", detail=reason, where=where)]))
            continue
        thread = f"{prefix}:{questions.thread_root(question)}"
        before = _proposal_count(ctx.settings)
        try:
            answer = agent.ask(asked, thread_id=thread, asker=EVAL_ACTOR)
        except Exception as exc:  # noqa: BLE001 - the agent must answer everything; a crash is scored, not fatal
            scores.append(QuestionScore(
                id=question.id, category=question.category, question=asked, scored=scored,
                expected_tools=list(question.tools),
                misses=[Miss(kind="error", detail=f"{type(exc).__name__}: {exc}",
                             where="ledgerpilot/agent/agent.py / ledgerpilot/agent/chat_graph.py")]))
            continue
        stored = _proposal_count(ctx.settings) - before
        scores.append(score_answer(question, asked, expected_arguments, answer,
                                   _truth_values(ctx, question, bindings), mentions, stored=stored, scored=scored))
    if progress:
        progress("scoring", 1.0)
    return summarize(scores, mode=mode, model=model, source=source, today=ctx.today, picks=bindings.resolved,
                     questions_file=str(questions.path.name), wall_seconds=time.perf_counter() - started)


# --------------------------------------------------------------------------------------------------
# the agent under evaluation


def eval_agent(client, settings, *, today: dt.date, audit=None, offline: bool = False):
    """``(agent, ctx)``: the agent as ``ledgerpilot chat`` builds it (the configured model unless
    ``offline``; the offline router otherwise), with its conversations kept in memory only so that
    an eval leaves no chat threads behind."""
    from ledgerpilot.agent.agent import Agent, llm_from_settings
    from ledgerpilot.tools.agent.toolkit import ToolContext

    ctx = ToolContext(client=client, settings=settings, today=today, actor=EVAL_ACTOR, audit=audit)
    llm = None if offline else llm_from_settings(settings, audit=audit)
    return Agent(ctx, llm=llm, step_budget=settings.agent.step_budget), ctx


def evaluate_on_books(client, settings, *, today: dt.date, source: str, questions: QuestionSet | None = None,
                      only: Sequence[str] = (), limit: int | None = None, offline: bool = False, audit=None,
                      progress: Callable[[str, float], None] | None = None) -> AgentEvalReport:
    """Build the agent over ``client`` and run the question set through it (what the CLI does)."""
    questions = questions or load_questions()
    agent, ctx = eval_agent(client, settings, today=today, audit=audit, offline=offline)
    model = None if agent.llm is None else settings.llm.model
    return evaluate_agent(agent, ctx, questions, only=only, limit=limit, mode=agent.mode, model=model,
                          source=source, progress=progress)
