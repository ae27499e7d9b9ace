"""How well the agent answers a CFO's and a controller's questions: routing, arguments, facts, grounding.

The questions live in ``agent_questions.yaml`` beside this module (the format is documented at its
top and in docs/agent-evals.md). Each names the tools a correct answer calls, the arguments those
tools must receive where it matters, and the facts the answer must state as paths into a tool's
data (``cash_forecast.lowest.amount``). Expected values are never written in the file: they are
computed at eval time by running the tool directly, with the expected arguments, on the same
context the agent uses; names that differ between companies (the largest overdue customer, the
newest draft purchase order) are picked from the books by ``picks`` rules, so one question set
serves every demo size and a real Odoo.

Scores over the questions that ran:

- **routing accuracy**: share of questions whose called tools are exactly the expected ones
  (every expected tool called, nothing else except the tools a question lists under ``also_ok``;
  an out-of-scope question must call no tool at all);
- **argument accuracy**: share of expected (tool, argument) values some call of that tool received,
  over the expected tools that were called (a tool not called is a routing miss, not an argument miss);
- **fact accuracy**: share of required facts the answer states (numbers through
  :func:`ledgerpilot.agent.grounding.mentions_value`, dates in any common form, text verbatim);
- **mention accuracy**: share of required names (``mentions``) the answer contains;
- **grounding**: share of the numbers in the answers that trace to tool results (each answer's
  grounding report), and the share of answers with every number traceable;
- **tokens per question** (0 offline) and the agent's **overhead** (``Answer.overhead_seconds``: wall
  time minus time inside model calls) at p50/p95/max.

Every miss names the module most likely responsible (the router, a tool, an answer template, the
writer or the model), so a low score points at the code to fix.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from ledgerpilot.domain.month import Month
from ledgerpilot.errors import LedgerpilotError

QUESTIONS_FILE = Path(__file__).with_name("agent_questions.yaml")
ROUTING_GOAL = 0.90
GROUNDING_GOAL = 1.0
OVERHEAD_P95_GOAL_S = 1.5
EVAL_ACTOR = "ledgerpilot-eval"

_QUESTION_KEYS = {"id", "category", "question", "tools", "also_ok", "arguments", "facts", "mentions", "after"}
_PICK_KEYS = {"tool", "arguments", "path", "model", "domain", "order", "field"}
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)")
_SEGMENT = re.compile(r"^(?P<key>[^\[\]]+)?(?:\[(?P<field>[^=\]]+)=(?P<value>[^\]]*)\])?$")
BUILTIN_PLACEHOLDERS = ("today", "this_month", "last_month", "this_month_name", "last_month_name", "this_year")


class AgentEvalError(LedgerpilotError):
    """The question file is malformed, or a selection names questions that do not exist."""

    exit_code = 2


class PickError(LedgerpilotError):
    """A ``picks`` rule found nothing in these books (the questions using it are skipped)."""


# --------------------------------------------------------------------------------------------------
# the question file


@dataclass(frozen=True)
class PickRule:
    """How a name is chosen at eval time: from a tool's data (``tool`` + ``path``) or from Odoo
    (``model`` + ``domain`` + ``order`` + ``field``, the first record)."""

    name: str
    tool: str | None = None
    arguments: Mapping[str, Any] = field(default_factory=dict)
    path: str = ""
    model: str | None = None
    domain: tuple = ()
    order: str = "id desc"
    field: str = "name"


@dataclass(frozen=True)
class EvalQuestion:
    """One question as written in the file (placeholders not yet filled)."""

    id: str
    category: str
    question: str
    tools: tuple[str, ...]
    also_ok: tuple[str, ...] = ()
    arguments: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    facts: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    after: str | None = None

    @property
    def placeholders(self) -> set[str]:
        texts = [self.question, *self.mentions, *_strings_in(self.arguments)]
        return {name for text in texts for name in _PLACEHOLDER.findall(text)}


@dataclass(frozen=True)
class QuestionSet:
    picks: Mapping[str, PickRule]
    questions: tuple[EvalQuestion, ...]

    def by_id(self) -> dict[str, EvalQuestion]:
        return {q.id: q for q in self.questions}

    def select(self, only: Sequence[str] = (), limit: int | None = None) -> tuple[list[EvalQuestion], set[str]]:
        """The questions to run in file order, and the ids that are scored. A selected follow-up
        brings the earlier questions of its thread along (run for context, not scored)."""
        index = self.by_id()
        unknown = [i for i in only if i not in index]
        if unknown:
            raise AgentEvalError(f"no question with id {', '.join(map(repr, unknown))}; ids look like "
                                 f"{', '.join(q.id for q in self.questions[:4])} (see {QUESTIONS_FILE.name})")
        chosen = [q.id for q in self.questions if not only or q.id in set(only)]
        if limit is not None:
            chosen = chosen[:max(limit, 0)]
        needed = set(chosen)
        for qid in chosen:
            parent = index[qid].after
            while parent is not None:
                needed.add(parent)
                parent = index[parent].after
        return [q for q in self.questions if q.id in needed], set(chosen)

    def thread_root(self, question: EvalQuestion) -> str:
        index = self.by_id()
        while question.after is not None:
            question = index[question.after]
        return question.id


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings_in(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings_in(v)]
    return []


def _as_tuple(value: Any, where: str, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise AgentEvalError(f"{where}: {what} must be a list")
    return tuple(str(v) for v in value)


def load_questions(path: Path | None = None, *, known_tools: Mapping[str, Any] | None = None) -> QuestionSet:
    """Read and check the question file: ids unique, ``after`` names an earlier question, tools and
    argument names exist, facts point into an expected tool, every placeholder is defined."""
    path = Path(path) if path else QUESTIONS_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AgentEvalError(f"cannot read the question file {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise AgentEvalError(f"the question file {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, Mapping) or not isinstance(raw.get("questions"), list):
        raise AgentEvalError(f"{path}: expected a mapping with a 'questions' list (and optional 'picks')")
    if known_tools is None:
        from ledgerpilot.tools.toolkit import all_tools

        known_tools = all_tools()
    picks = {name: _pick_rule(name, spec, path, known_tools) for name, spec in (raw.get("picks") or {}).items()}
    defined = set(BUILTIN_PLACEHOLDERS) | set(picks)
    questions: list[EvalQuestion] = []
    seen: set[str] = set()
    for number, entry in enumerate(raw["questions"], start=1):
        question = _question(entry, f"{path.name}, question {number}", seen, known_tools)
        undefined = question.placeholders - defined
        if undefined:
            raise AgentEvalError(f"{path.name}, question {question.id}: placeholder(s) {sorted(undefined)} are "
                                 f"neither built in ({', '.join(BUILTIN_PLACEHOLDERS)}) nor under 'picks'")
        seen.add(question.id)
        questions.append(question)
    return QuestionSet(picks=picks, questions=tuple(questions))


def _pick_rule(name: str, spec: Any, path: Path, known_tools: Mapping[str, Any]) -> PickRule:
    where = f"{path.name}, pick {name!r}"
    if not isinstance(spec, Mapping) or set(spec) - _PICK_KEYS:
        raise AgentEvalError(f"{where}: expected a mapping with keys among {sorted(_PICK_KEYS)}")
    if spec.get("tool"):
        if spec["tool"] not in known_tools or not spec.get("path"):
            raise AgentEvalError(f"{where}: 'tool' must name a known tool and 'path' a value in its data")
        return PickRule(name=name, tool=spec["tool"], arguments=dict(spec.get("arguments") or {}),
                        path=str(spec["path"]))
    if spec.get("model"):
        domain = spec.get("domain") or []
        if not isinstance(domain, list):
            raise AgentEvalError(f"{where}: 'domain' must be an Odoo domain (a list)")
        return PickRule(name=name, model=str(spec["model"]), domain=tuple(tuple(t) if isinstance(t, list) else t
                                                                           for t in domain),
                        order=str(spec.get("order") or "id desc"), field=str(spec.get("field") or "name"))
    raise AgentEvalError(f"{where}: needs either 'tool' and 'path', or 'model' (with 'domain', 'order', 'field')")


def _question(entry: Any, where: str, seen: set[str], known_tools: Mapping[str, Any]) -> EvalQuestion:
    if not isinstance(entry, Mapping):
        raise AgentEvalError(f"{where}: expected a mapping")
    extra = set(entry) - _QUESTION_KEYS
    if extra:
        raise AgentEvalError(f"{where}: unknown key(s) {sorted(extra)}; allowed: {sorted(_QUESTION_KEYS)}")
    qid = str(entry.get("id") or "")
    if not qid or not entry.get("question"):
        raise AgentEvalError(f"{where}: 'id' and 'question' are required")
    where = f"{where.split(',')[0]}, question {qid}"
    if qid in seen:
        raise AgentEvalError(f"{where}: the id is used twice")
    tools = _as_tuple(entry.get("tools"), where, "'tools'")
    also_ok = _as_tuple(entry.get("also_ok"), where, "'also_ok'")
    for name in (*tools, *also_ok):
        if name not in known_tools:
            raise AgentEvalError(f"{where}: unknown tool {name!r}; the tools are: {', '.join(sorted(known_tools))}")
    arguments = entry.get("arguments") or {}
    if not isinstance(arguments, Mapping):
        raise AgentEvalError(f"{where}: 'arguments' must map a tool name to its expected arguments")
    for tool_name, args in arguments.items():
        if tool_name not in tools:
            raise AgentEvalError(f"{where}: arguments given for {tool_name!r}, which is not among its tools")
        if not isinstance(args, Mapping):
            raise AgentEvalError(f"{where}: the arguments of {tool_name} must be a mapping")
        fields = getattr(known_tools[tool_name], "args_model", None)
        names = set(getattr(fields, "model_fields", {}) or {})
        unknown = set(args) - names
        if fields is not None and unknown:
            raise AgentEvalError(f"{where}: {tool_name} has no argument {sorted(unknown)}; its arguments: "
                                 f"{', '.join(sorted(names)) or 'none'}")
    facts = _as_tuple(entry.get("facts"), where, "'facts'")
    for fact in facts:
        if fact.split(".", 1)[0] not in tools or "." not in fact:
            raise AgentEvalError(f"{where}: fact {fact!r} must be '<one of its tools>.<path in its data>'")
    after = entry.get("after")
    if after is not None and str(after) not in seen:
        raise AgentEvalError(f"{where}: 'after: {after}' must name an earlier question")
    return EvalQuestion(id=qid, category=str(entry.get("category") or "other"), question=str(entry["question"]),
                        tools=tools, also_ok=also_ok,
                        arguments={t: dict(a) for t, a in arguments.items()}, facts=facts,
                        mentions=_as_tuple(entry.get("mentions"), where, "'mentions'"),
                        after=None if after is None else str(after))


# --------------------------------------------------------------------------------------------------
# filling placeholders


def builtin_values(today: dt.date) -> dict[str, str]:
    this_month = Month.of(today)
    last_month = this_month.shift(-1)
    return {"today": today.isoformat(), "this_month": this_month.label, "last_month": last_month.label,
            "this_month_name": this_month.start.strftime("%B %Y"),
            "last_month_name": last_month.start.strftime("%B %Y"), "this_year": str(today.year)}


class Bindings:
    """Placeholder values of one eval run: the built-in dates, and picks resolved once, on demand."""

    def __init__(self, ctx, picks: Mapping[str, PickRule]):
        self._ctx = ctx
        self._picks = picks
        self._values: dict[str, str] = builtin_values(ctx.today)
        self._failed: dict[str, str] = {}

    def value(self, name: str) -> str:
        if name in self._values:
            return self._values[name]
        if name in self._failed:
            raise PickError(self._failed[name])
        try:
            self._values[name] = resolve_pick(self._ctx, self._picks[name])
        except PickError as exc:
            self._failed[name] = str(exc)
            raise
        return self._values[name]

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            whole = _PLACEHOLDER.fullmatch(value)
            if whole:
                return self.value(whole.group(1))
            return _PLACEHOLDER.sub(lambda m: self.value(m.group(1)), value)
        if isinstance(value, Mapping):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.fill(v) for v in value]
        return value

    @property
    def resolved(self) -> dict[str, str]:
        return dict(self._values)


def resolve_pick(ctx, rule: PickRule) -> str:
    """The value a pick rule finds in these books, as text."""
    if rule.tool:
        from ledgerpilot.tools.toolkit import run_tool

        result = run_tool(reference_context(ctx), rule.tool, dict(rule.arguments))
        if not result.ok:
            raise PickError(f"pick {rule.name!r}: {rule.tool} failed: {result.error}")
        try:
            value = value_at(result.data, rule.path)
        except FactPathError as exc:
            raise PickError(f"pick {rule.name!r}: {exc}") from None
    else:
        domain = [list(t) if isinstance(t, tuple) else t for t in rule.domain]
        try:
            rows = ctx.client.search_read(rule.model, domain, [rule.field], limit=1, order=rule.order)
        except LedgerpilotError as exc:  # a module missing in this database, a field it does not have
            raise PickError(f"pick {rule.name!r}: Odoo refused the search on {rule.model}: {exc}") from None
        if not rows:
            raise PickError(f"pick {rule.name!r}: no {rule.model} matches {list(rule.domain)} in these books")
        value = rows[0].get(rule.field)
        if isinstance(value, (list, tuple)) and len(value) == 2:  # many2one as [id, name]
            value = value[1]
    if value in (None, False, ""):
        raise PickError(f"pick {rule.name!r}: the value found is empty")
    return str(value)


# --------------------------------------------------------------------------------------------------
# facts: paths into tool data, and whether a text states a value


class FactPathError(LedgerpilotError):
    """A fact path does not lead to a value in the tool's data."""


def value_at(data: Any, path: str) -> Any:
    """Follow ``path`` into tool data. Segments are separated by dots: a key, a list index (``0``,
    ``-1``) or ``key[field=value]`` (the first element of list ``key`` whose ``field`` equals ``value``,
    case-insensitively)."""
    current = data
    walked: list[str] = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if not segment or not match:
            raise FactPathError(f"{path!r}: cannot read the segment {segment!r}")
        key, select_field, select_value = match.group("key"), match.group("field"), match.group("value")
        if key is not None:
            current = _step(current, key, path, walked)
        if select_field is not None:
            here = ".".join([*walked, key] if key else walked) or "data"
            if not isinstance(current, list):
                raise FactPathError(f"{path!r}: {here} is not a list to select from")
            chosen = [item for item in current if isinstance(item, Mapping)
                      and str(item.get(select_field, "")).casefold() == select_value.casefold()]
            if not chosen:
                raise FactPathError(f"{path!r}: no element of {here} has {select_field} = {select_value!r}")
            current = chosen[0]
        walked.append(segment)
    return current


def _step(current: Any, key: str, path: str, walked: list[str]) -> Any:
    here = ".".join(walked) or "data"
    if isinstance(current, list):
        try:
            return current[int(key)]
        except ValueError:
            raise FactPathError(f"{path!r}: {here} is a list; index it with a number, not {key!r}") from None
        except IndexError:
            raise FactPathError(f"{path!r}: {here} has only {len(current)} element(s)") from None
    if isinstance(current, Mapping):
        if key not in current:
            raise FactPathError(f"{path!r}: {here} has no {key!r} (it has: {', '.join(sorted(map(str, current)))})")
        return current[key]
    raise FactPathError(f"{path!r}: {here} is a value, not a mapping or list")


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
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()[:10]):
        try:
            return date_stated(text, dt.date.fromisoformat(value.strip()[:10]))
        except ValueError:
            pass
    if isinstance(value, str):
        return _normal(value) in _normal(text)
    raise FactPathError(f"a fact must be a number, a date or a text, not {type(value).__name__} ({value!r})")


def reference_context(ctx):
    """The agent's context for reference runs: the same client, settings, day and warm cache, but no
    audit entries (the reference runs are the eval's, not the agent's)."""
    return dataclasses.replace(ctx, audit=None, actor=EVAL_ACTOR)


# --------------------------------------------------------------------------------------------------
# scores


class Miss(BaseModel):
    """Something a question's answer got wrong, and the module most likely responsible."""

    model_config = ConfigDict(frozen=True)

    kind: str            # routing | arguments | tool_error | fact | mention | grounding | error | skipped
    detail: str
    where: str


class QuestionScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    category: str
    question: str
    scored: bool = True                     # False: run only as context for a selected follow-up
    skipped: str | None = None              # why it could not be asked in these books
    expected_tools: list[str] = []
    called_tools: list[str] = []
    routing_ok: bool = False
    arguments_checked: int = 0
    arguments_ok: int = 0
    facts_checked: int = 0
    facts_stated: int = 0
    mentions_checked: int = 0
    mentions_found: int = 0
    numbers_checked: int = 0
    numbers_traceable: int = 0
    untraceable: list[str] = []
    tokens: int = 0
    overhead_seconds: float = 0.0
    model_seconds: float = 0.0
    mode: str = ""
    source: str = ""
    answer: str = ""
    misses: list[Miss] = []

    @property
    def grounded(self) -> bool:
        return self.numbers_traceable == self.numbers_checked


class CategoryScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: str
    questions: int
    routing_accuracy: float
    fact_accuracy: float | None


class AgentEvalReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    mode: str                                # offline | llm
    model: str | None
    source: str
    today: dt.date
    questions: int                           # scored questions that ran
    skipped: int
    routing_accuracy: float
    argument_accuracy: float | None
    fact_accuracy: float | None
    mention_accuracy: float | None
    grounding_share: float
    grounded_answers_share: float
    numbers_checked: int
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


def _module_file(module: str) -> str:
    return module.replace(".", "/") + ".py"


def tool_module(tool: str) -> str:
    """The source file of a tool (where a wrong figure or a tool error comes from)."""
    from ledgerpilot.tools.toolkit import all_tools

    spec = all_tools().get(tool)
    return _module_file(spec.fn.__module__) if spec else "ledgerpilot/tools"


def template_file(tool: str) -> str:
    return f"ledgerpilot/agent/templates/answers/{tool}.md.j2"


def _same_argument(expected: Any, actual: Any) -> bool:
    if expected is None:
        return actual is None
    if is_number(expected):
        if not is_number(actual):
            return False
        return abs(Decimal(str(expected)) - Decimal(str(actual))) < Decimal("1e-6")
    if isinstance(expected, str):
        return isinstance(actual, str) and _normal(expected) == _normal(actual)
    return expected == actual


def _usage_tokens(answer) -> int:
    usage = getattr(answer, "usage", None)
    return int(getattr(usage, "total_tokens", 0) or 0) if usage is not None else 0


def score_answer(question: EvalQuestion, asked: str, expected_arguments: Mapping[str, Mapping[str, Any]],
                 answer, references: Mapping[str, Any], mentions: Sequence[str], *, scored: bool = True
                 ) -> QuestionScore:
    """Score one answer against its question. ``references`` holds the tool results computed
    directly for the facts (tool name -> ToolResult); ``mentions`` are the filled-in names."""
    mode = str(getattr(answer, "mode", "") or "offline")
    offline = mode == "offline"
    text = str(getattr(answer, "text", "") or "")
    said = _LINK_TARGET.sub("]", text)      # what a reader sees: link names, not the digits of their URLs
    results = list(getattr(answer, "tool_results", ()) or ())
    called = list(dict.fromkeys(r.tool for r in results))
    expected = set(question.tools)
    misses: list[Miss] = []
    router = "ledgerpilot/agent/router.py" if offline else "the model's tool choice (ledgerpilot/graphs/chat.py)"
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
            if any(_same_argument(value, got) for got in received):
                args_ok += 1
            else:
                misses.append(Miss(kind="arguments", detail=f"{tool_name}.{name}: expected {value!r}, got "
                                                            f"{', '.join(repr(g) for g in received)}", where=parser))

    for result in results:
        if not result.ok and result.tool in expected:
            misses.append(Miss(kind="tool_error", detail=f"{result.tool} failed: {result.error}",
                               where=tool_module(result.tool)))

    facts_checked = facts_stated = 0
    for fact in question.facts:
        tool_name, path = fact.split(".", 1)
        reference = references.get(tool_name)
        if reference is None or not reference.ok:
            facts_checked += 1
            error = "not computed" if reference is None else reference.error
            misses.append(Miss(kind="fact", detail=f"{fact}: the tool itself failed on the expected arguments "
                                                   f"({error})", where=tool_module(tool_name)))
            continue
        try:
            value = value_at(reference.data, path)
        except FactPathError as exc:
            facts_checked += 1
            misses.append(Miss(kind="fact", detail=f"{exc} (the question file or {tool_name}'s data changed)",
                               where=f"{QUESTIONS_FILE.name} / {tool_module(tool_name)}"))
            continue
        if value is None or (is_number(value) and Decimal(str(value)) == 0):
            continue  # nothing to state ("nothing is open" is right and has no number): not counted
        facts_checked += 1
        try:
            stated = fact_stated(said, value)
        except FactPathError as exc:
            misses.append(Miss(kind="fact", detail=f"{fact}: {exc}", where=QUESTIONS_FILE.name))
            continue
        if stated:
            facts_stated += 1
            continue
        if tool_name not in called:
            where = router
        elif not any(r.ok for r in results if r.tool == tool_name):
            where = tool_module(tool_name)
        elif offline or getattr(answer, "source", "") == "template":
            where = template_file(tool_name)
        else:
            where = "the model's answer (ledgerpilot/agent/writer.py)"
        misses.append(Miss(kind="fact", detail=f"{fact} = {value} not stated", where=where))

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
    if traceable < checked:
        source = str(getattr(answer, "source", ""))
        where = (" or ".join(template_file(t) for t in called) + " (or ledgerpilot/agent/grounding.py)"
                 if source == "template" and called else "ledgerpilot/agent/writer.py")
        misses.append(Miss(kind="grounding", detail=f"untraceable: {', '.join(failures) or checked - traceable}",
                           where=where))
    if not question.tools and not text.strip():
        misses.append(Miss(kind="routing", detail="no answer at all to an out-of-scope question",
                           where="ledgerpilot/agent/answer_templates.py"))

    return QuestionScore(
        id=question.id, category=question.category, question=asked, scored=scored,
        expected_tools=list(question.tools), called_tools=called, routing_ok=routing_ok,
        arguments_checked=args_checked, arguments_ok=args_ok, facts_checked=facts_checked,
        facts_stated=facts_stated, mentions_checked=len(mentions), mentions_found=len(found),
        numbers_checked=checked, numbers_traceable=traceable, untraceable=failures,
        tokens=_usage_tokens(answer), overhead_seconds=float(getattr(answer, "overhead_seconds", 0.0) or 0.0),
        model_seconds=float(getattr(answer, "model_seconds", 0.0) or 0.0), mode=mode,
        source=str(getattr(answer, "source", "") or ""), answer=text, misses=misses)


def percentile(values: Sequence[float], share: float) -> float:
    """Linear-interpolated percentile (0 for no values)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = (len(ordered) - 1) * share
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def summarize(scores: Sequence[QuestionScore], *, mode: str, model: str | None, source: str, today: dt.date,
              picks: Mapping[str, str], wall_seconds: float = 0.0) -> AgentEvalReport:
    """The report over the scored questions (context-only and skipped ones are listed, not counted)."""
    ran = [s for s in scores if s.scored and s.skipped is None]
    skipped = [s for s in scores if s.scored and s.skipped is not None]
    checked = sum(s.numbers_checked for s in ran)
    traceable = sum(s.numbers_traceable for s in ran)
    overheads = [s.overhead_seconds for s in ran]
    routing = _share(sum(s.routing_ok for s in ran), len(ran)) or 0.0
    grounding = 1.0 if checked == 0 else traceable / checked
    categories = []
    for category in dict.fromkeys(s.category for s in ran):
        group = [s for s in ran if s.category == category]
        categories.append(CategoryScore(
            category=category, questions=len(group),
            routing_accuracy=sum(s.routing_ok for s in group) / len(group),
            fact_accuracy=_share(sum(s.facts_stated for s in group), sum(s.facts_checked for s in group))))
    modules = Counter(m.where for s in ran for m in s.misses)
    tokens = sum(s.tokens for s in ran)
    return AgentEvalReport(
        mode=mode, model=model, source=source, today=today, questions=len(ran), skipped=len(skipped),
        routing_accuracy=routing,
        argument_accuracy=_share(sum(s.arguments_ok for s in ran), sum(s.arguments_checked for s in ran)),
        fact_accuracy=_share(sum(s.facts_stated for s in ran), sum(s.facts_checked for s in ran)),
        mention_accuracy=_share(sum(s.mentions_found for s in ran), sum(s.mentions_checked for s in ran)),
        grounding_share=grounding,
        grounded_answers_share=_share(sum(s.grounded for s in ran), len(ran)) or 0.0,
        numbers_checked=checked, tokens_total=tokens, tokens_per_question=tokens / len(ran) if ran else 0.0,
        overhead_p50=percentile(overheads, 0.50), overhead_p95=percentile(overheads, 0.95),
        overhead_max=max(overheads, default=0.0), model_seconds_total=sum(s.model_seconds for s in ran),
        wall_seconds=wall_seconds,
        goals={"routing_accuracy": ROUTING_GOAL, "grounding_share": GROUNDING_GOAL},
        passed=bool(ran) and routing >= ROUTING_GOAL and grounding >= GROUNDING_GOAL,
        categories=categories, misses_by_module=dict(modules.most_common()), picks=dict(picks), results=list(scores))


# --------------------------------------------------------------------------------------------------
# running the questions through the agent


def reference_results(ctx, tools: Iterable[str], arguments: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Each tool run directly with the question's expected arguments, on the agent's warm context."""
    from ledgerpilot.tools.toolkit import run_tool

    reference = reference_context(ctx)
    return {tool_name: run_tool(reference, tool_name, dict(arguments.get(tool_name, {}))) for tool_name in tools}


def evaluate_agent(agent, ctx, questions: QuestionSet, *, only: Sequence[str] = (), limit: int | None = None,
                   mode: str = "offline", model: str | None = None, source: str = "",
                   thread_prefix: str | None = None,
                   progress: Callable[[str, float], None] | None = None) -> AgentEvalReport:
    """Ask every selected question through ``agent.ask`` (follow-ups in their thread) and score the answers.

    ``ctx`` is the agent's tool context: picks and reference values are computed on it (same books,
    same day, same cache) without audit entries.
    """
    started = time.perf_counter()
    run, chosen = questions.select(only, limit)
    bindings = Bindings(ctx, questions.picks)
    prefix = thread_prefix or f"eval-{uuid.uuid4().hex[:10]}"
    blocked: dict[str, str] = {}
    scores: list[QuestionScore] = []
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
                                        misses=[Miss(kind="skipped", detail=reason, where=QUESTIONS_FILE.name)]))
            continue
        thread = f"{prefix}:{questions.thread_root(question)}"
        try:
            answer = agent.ask(asked, thread_id=thread, asker=EVAL_ACTOR)
        except Exception as exc:  # noqa: BLE001 - the agent must answer everything; a crash is scored, not fatal
            scores.append(QuestionScore(
                id=question.id, category=question.category, question=asked, scored=scored,
                expected_tools=list(question.tools),
                misses=[Miss(kind="error", detail=f"{type(exc).__name__}: {exc}",
                             where="ledgerpilot/agent/agent.py / ledgerpilot/graphs/chat.py")]))
            continue
        fact_tools = list(dict.fromkeys(f.split(".", 1)[0] for f in question.facts))
        references = reference_results(ctx, fact_tools, expected_arguments)
        scores.append(score_answer(question, asked, expected_arguments, answer, references, mentions,
                                   scored=scored))
    if progress:
        progress("scoring", 1.0)
    return summarize(scores, mode=mode, model=model, source=source, today=ctx.today, picks=bindings.resolved,
                     wall_seconds=time.perf_counter() - started)


# --------------------------------------------------------------------------------------------------
# the agent under evaluation


def eval_agent(client, settings, *, today: dt.date, audit=None, offline: bool = False):
    """``(agent, ctx)``: the agent as ``ledgerpilot chat`` builds it (the configured model unless
    ``offline``; the offline router otherwise), with its conversations kept in memory only so that
    an eval leaves no chat threads behind."""
    from ledgerpilot.agent.agent import Agent, llm_from_settings
    from ledgerpilot.tools.toolkit import ToolContext

    ctx = ToolContext(client=client, settings=settings, today=today, actor=EVAL_ACTOR, audit=audit)
    llm = None if offline else llm_from_settings(settings, audit=audit)
    return Agent(ctx, llm=llm, step_budget=settings.agent_step_budget), ctx


def evaluate_on_books(client, settings, *, today: dt.date, source: str, questions: QuestionSet | None = None,
                      only: Sequence[str] = (), limit: int | None = None, offline: bool = False, audit=None,
                      progress: Callable[[str, float], None] | None = None) -> AgentEvalReport:
    """Build the agent over ``client`` and run the question set through it (what the CLI does)."""
    questions = questions or load_questions()
    agent, ctx = eval_agent(client, settings, today=today, audit=audit, offline=offline)
    model = None if agent.llm is None else settings.llm_model
    return evaluate_agent(agent, ctx, questions, only=only, limit=limit, mode=agent.mode, model=model,
                          source=source, progress=progress)
