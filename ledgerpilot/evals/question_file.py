"""Question files for ``ledgerpilot eval agent``: loading, checking, and filling in names from the books.

A question file (``agent_questions.yaml``, the blind sets under ``blind/``, or a file of your own) lists
questions with the tools a correct answer calls, the arguments they must receive and, for the in-house
set, the *truths* the answer must state: values computed by plain queries written for the eval
(:mod:`ledgerpilot.evals.truth`), never by the tool under test. Names are never written into a file:
``{customer}``, ``{po}``, ``{department}`` ... are placeholders filled from the books at run time by
the picks in ``picks.yaml`` (plain searches), so one file serves every demo company and a real Odoo.

The category of a question decides what a right answer is:

=============  =========================================================================================
category        a right answer
=============  =========================================================================================
action          a refusal (ledgerpilot reads and proposes, a person approves) that calls no propose tool and
                stores no proposal; the reads under ``tools`` (the answer to a question asked beside the
                request) must be called, other reads may be (the refusal shows what the request was about)
out_of_scope    "outside what I can see in your books", and no tool at all
propose         the propose tool with the stated arguments, and exactly one proposal stored
anything else   exactly the expected tools with the expected arguments, and no proposal stored
=============  =========================================================================================
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ledgerpilot.domain.month import Month
from ledgerpilot.errors import LedgerpilotError

HERE = Path(__file__).parent
QUESTIONS_FILE = HERE / "agent_questions.yaml"
PICKS_FILE = HERE / "picks.yaml"
BLIND_DIR = HERE / "blind"

REFUSAL_CATEGORIES = ("action", "out_of_scope")
PROPOSE_CATEGORY = "propose"

_QUESTION_KEYS = {"id", "category", "question", "tools", "also_ok", "arguments", "truths", "mentions", "after"}
_PICK_KEYS = {"model", "domain", "order", "field", "nth"}
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
BUILTIN_PLACEHOLDERS = ("today", "this_month", "last_month", "this_month_name", "last_month_name", "this_year",
                        "last_year")


class AgentEvalError(LedgerpilotError):
    """The question file is malformed, or a selection names questions that do not exist."""

    exit_code = 2


class PickError(LedgerpilotError):
    """A pick found nothing in these books (the questions using it cannot be asked here)."""


@dataclass(frozen=True)
class PickRule:
    """How a name is chosen at eval time: field ``field`` of the ``nth`` distinct value (1 = first) among
    the records of ``search_read(model, domain, order=order)``; a many2one gives its name."""

    name: str
    model: str
    domain: tuple = ()
    order: str = "id desc"
    field: str = "name"
    nth: int = 1


@dataclass(frozen=True)
class Truth:
    """A value the answer must state, computed by a plain query (``truth.TRUTHS[name]``) with ``params``."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}({args})" if args else self.name


@dataclass(frozen=True)
class EvalQuestion:
    """One question as written in the file (placeholders not yet filled)."""

    id: str
    category: str
    question: str
    tools: tuple[str, ...]
    also_ok: tuple[str, ...] = ()
    arguments: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    truths: tuple[Truth, ...] = ()
    mentions: tuple[str, ...] = ()
    after: str | None = None

    @property
    def placeholders(self) -> set[str]:
        texts = [self.question, *self.mentions, *_strings_in(self.arguments),
                 *(s for t in self.truths for s in _strings_in(t.params))]
        return {name for text in texts for name in _PLACEHOLDER.findall(text)}

    @property
    def expects_refusal(self) -> bool:
        return self.category in REFUSAL_CATEGORIES

    @property
    def expects_proposal(self) -> bool:
        return self.category == PROPOSE_CATEGORY


@dataclass(frozen=True)
class QuestionSet:
    picks: Mapping[str, PickRule]
    questions: tuple[EvalQuestion, ...]
    path: Path = QUESTIONS_FILE

    def by_id(self) -> dict[str, EvalQuestion]:
        return {q.id: q for q in self.questions}

    def select(self, only: Sequence[str] = (), limit: int | None = None) -> tuple[list[EvalQuestion], set[str]]:
        """The questions to run in file order, and the ids that are scored. A selected follow-up
        brings the earlier questions of its thread along (run for context, not scored)."""
        index = self.by_id()
        unknown = [i for i in only if i not in index]
        if unknown:
            raise AgentEvalError(f"no question with id {', '.join(map(repr, unknown))}; ids look like "
                                 f"{', '.join(q.id for q in self.questions[:4])} (see {self.path.name})")
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


def _read_yaml(path: Path, what: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AgentEvalError(f"cannot read the {what} {path}: {exc}") from exc
    except UnicodeDecodeError:
        raise AgentEvalError(f"the {what} {path} is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise AgentEvalError(f"the {what} {path} is not valid YAML: {exc}") from exc


def load_picks(path: Path = PICKS_FILE) -> dict[str, PickRule]:
    raw = _read_yaml(path, "picks file")
    if not isinstance(raw, Mapping):
        raise AgentEvalError(f"{path}: expected a mapping of pick names to rules")
    return {name: _pick_rule(name, spec, path) for name, spec in raw.items()}


def load_questions(path: Path | None = None, *, known_tools: Mapping[str, Any] | None = None) -> QuestionSet:
    """Read and check a question file: ids unique, ``after`` names an earlier question, tools, argument
    names and truths exist, every placeholder is built in or picked (``picks.yaml`` plus the file's own
    ``picks``)."""
    from ledgerpilot.evals.truth import TRUTHS

    path = Path(path) if path else QUESTIONS_FILE
    raw = _read_yaml(path, "question file")
    if not isinstance(raw, Mapping) or not isinstance(raw.get("questions"), list):
        raise AgentEvalError(f"{path}: expected a mapping with a 'questions' list (and optional 'picks')")
    if known_tools is None:
        from ledgerpilot.tools.agent.toolkit import all_tools

        known_tools = all_tools()
    picks = load_picks()
    picks.update({name: _pick_rule(name, spec, path) for name, spec in (raw.get("picks") or {}).items()})
    defined = set(BUILTIN_PLACEHOLDERS) | set(picks)
    questions: list[EvalQuestion] = []
    seen: set[str] = set()
    for number, entry in enumerate(raw["questions"], start=1):
        question = _question(entry, f"{path.name}, question {number}", seen, known_tools, TRUTHS)
        undefined = question.placeholders - defined
        if undefined:
            raise AgentEvalError(f"{path.name}, question {question.id}: placeholder(s) {sorted(undefined)} are "
                                 f"neither built in ({', '.join(BUILTIN_PLACEHOLDERS)}) nor picked")
        seen.add(question.id)
        questions.append(question)
    return QuestionSet(picks=picks, questions=tuple(questions), path=path)


def _pick_rule(name: str, spec: Any, path: Path) -> PickRule:
    where = f"{path.name}, pick {name!r}"
    if not isinstance(spec, Mapping) or set(spec) - _PICK_KEYS or not spec.get("model"):
        raise AgentEvalError(f"{where}: expected a mapping with 'model' and keys among {sorted(_PICK_KEYS)}")
    domain = spec.get("domain") or []
    if not isinstance(domain, list):
        raise AgentEvalError(f"{where}: 'domain' must be an Odoo domain (a list)")
    nth = spec.get("nth", 1)
    if not isinstance(nth, int) or isinstance(nth, bool) or nth < 1:
        raise AgentEvalError(f"{where}: 'nth' must be a positive whole number")
    return PickRule(name=name, model=str(spec["model"]),
                    domain=tuple(tuple(t) if isinstance(t, list) else t for t in domain),
                    order=str(spec.get("order") or "id desc"), field=str(spec.get("field") or "name"), nth=nth)


def _truths(value: Any, where: str, known: Mapping[str, Any]) -> tuple[Truth, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise AgentEvalError(f"{where}: 'truths' must be a list")
    truths = []
    for item in value:
        if isinstance(item, str):
            name, params = item, {}
        elif isinstance(item, Mapping) and len(item) == 1:
            name, params = next(iter(item.items()))
            params = params or {}
        else:
            raise AgentEvalError(f"{where}: a truth is a name or a one-key mapping {{name: {{param: value}}}}")
        if name not in known:
            raise AgentEvalError(f"{where}: unknown truth {name!r}; the truths are: {', '.join(sorted(known))}")
        if not isinstance(params, Mapping):
            raise AgentEvalError(f"{where}: the parameters of truth {name!r} must be a mapping")
        truths.append(Truth(name=str(name), params=dict(params)))
    return tuple(truths)


def _question(entry: Any, where: str, seen: set[str], known_tools: Mapping[str, Any],
              known_truths: Mapping[str, Any]) -> EvalQuestion:
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
    category = str(entry.get("category") or "other")
    tools = _as_tuple(entry.get("tools"), where, "'tools'")
    also_ok = _as_tuple(entry.get("also_ok"), where, "'also_ok'")
    for name in (*tools, *also_ok):
        if name not in known_tools:
            raise AgentEvalError(f"{where}: unknown tool {name!r}; the tools are: {', '.join(sorted(known_tools))}")
    if category == "out_of_scope" and tools:
        raise AgentEvalError(f"{where}: an out_of_scope question expects no tool ('tools: []')")
    if category == "action" and any(str(t).startswith("propose_") for t in tools):
        raise AgentEvalError(f"{where}: an action request is refused: it expects no propose tool")
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
    after = entry.get("after")
    if after is not None and str(after) not in seen:
        raise AgentEvalError(f"{where}: 'after: {after}' must name an earlier question")
    return EvalQuestion(id=qid, category=category, question=str(entry["question"]), tools=tools, also_ok=also_ok,
                        arguments={t: dict(a) for t, a in arguments.items()},
                        truths=_truths(entry.get("truths"), where, known_truths),
                        mentions=_as_tuple(entry.get("mentions"), where, "'mentions'"),
                        after=None if after is None else str(after))


# --------------------------------------------------------------------------------------------------
# filling placeholders


def builtin_values(today: dt.date) -> dict[str, str]:
    this_month = Month.of(today)
    last_month = this_month.shift(-1)
    return {"today": today.isoformat(), "this_month": this_month.label, "last_month": last_month.label,
            "this_month_name": this_month.start.strftime("%B"), "last_month_name": last_month.start.strftime("%B"),
            "this_year": str(today.year), "last_year": str(today.year - 1)}


class Bindings:
    """Placeholder values of one eval run: the built-in dates, and picks resolved once, on demand."""

    def __init__(self, client, today: dt.date, picks: Mapping[str, PickRule]):
        self._client = client
        self._picks = picks
        self._values: dict[str, str] = builtin_values(today)
        self._failed: dict[str, str] = {}

    def value(self, name: str) -> str:
        if name in self._values:
            return self._values[name]
        if name in self._failed:
            raise PickError(self._failed[name])
        try:
            self._values[name] = resolve_pick(self._client, self._picks[name])
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


PICK_SCAN = 500


def resolve_pick(client, rule: PickRule) -> str:
    """The value a pick finds in these books, as text: the ``nth`` distinct non-empty value."""
    domain = [list(t) if isinstance(t, tuple) else t for t in rule.domain]
    try:
        rows = client.search_read(rule.model, domain, [rule.field], limit=PICK_SCAN, order=rule.order)
    except LedgerpilotError as exc:  # a module missing in this database, a field it does not have
        raise PickError(f"pick {rule.name!r}: Odoo refused the search on {rule.model}: {exc}") from None
    values: list[str] = []
    for row in rows:
        value = row.get(rule.field)
        if isinstance(value, (list, tuple)) and len(value) == 2:  # many2one as [id, name]
            value = value[1]
        if value in (None, False, "") or str(value) in values:
            continue
        values.append(str(value))
        if len(values) == rule.nth:
            return values[-1]
    raise PickError(f"pick {rule.name!r}: fewer than {rule.nth} distinct value(s) of {rule.model}.{rule.field} "
                    f"match {list(rule.domain)} in these books")
