"""The offline router: which tools answer a question, with which arguments, without a language model.

With no LLM configured, every question still reaches the right capability. The router scores each
read tool two ways and adds the scores:

- **keywords**: weighted terms and phrases (``router_keywords.KEYWORD_RULES``). Phrases claim their words, longest
  first, so "lowest cash" counts for the forecast and not also as "cash" for the cash position, and
  "close to" never counts as the month-end close;
- **similarity**: the cosine of the question to example questions per tool (``router_examples.yaml``)
  under the same offline sentence-embedding model as the exceptions memory. The examples are
  embedded once per process and cached (keyed by the file's hash and the model), so a warm router
  answers in a few milliseconds.

A few rules read the question's arguments: a what-if (``find_scenario``) makes it a scenario, a
record reference makes it a look-up (or a budget check for a purchase order with budget words), a
known customer, project or threshold strengthens the tool that takes it.

Several tools are planned when the question asks several things: it is cut at conjunctions ("cash
and overdue receivables") and each part that clearly asks for another tool adds it, in the order
the question asks. Propose tools are planned only when the question explicitly asks to draft an
entry, create an activity or add a note, and only with every required argument read from it.

Follow-ups use the thread's earlier questions (``history``, oldest first). A question that starts
like a follow-up ("and payables?", "what about October?", "why?") or that names no tool on its own
takes the tools of the last question that had any: a new tool named in the follow-up replaces them
(keeping the earlier arguments it accepts), otherwise the earlier tools run again with the
arguments the follow-up changes ("October" replaces the month, "Yarrow Hotels" the customer).

Routing is deterministic: the same question, names and history always give the same plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ledgerpilot.agent.propose_requests import proposal_plan
from ledgerpilot.agent.question_parsing import (
    MAX_WEEKS,
    NameIndex,
    NameLookup,
    find_duration_days,
    find_month,
    find_percent_change,
    find_period,
    find_references,
    find_scenario,
    find_threshold,
    find_top,
    find_weeks,
    normalise,
)
from ledgerpilot.agent.route_plan import PlannedCall, RoutePlan, RouterError
from ledgerpilot.agent.router_keywords import keyword_scores

EXAMPLES_PATH = Path(__file__).with_name("router_examples.yaml")

READ_TOOLS: tuple[str, ...] = (
    "cash_position", "cash_forecast", "cash_scenario", "receivables_ageing", "payables_ageing",
    "customer_payment_behaviour", "find_record", "budget_status", "purchase_order_check", "project_burndown",
    "close_status", "anomalies", "pending_proposals",
)
PROPOSE_TOOLS: tuple[str, ...] = ("propose_journal_entry", "propose_activity", "propose_note")

#: the arguments each tool accepts (the catalogue's argument models); follow-ups carry only these over
TOOL_ARGUMENTS: dict[str, frozenset[str]] = {
    "cash_position": frozenset(),
    "cash_forecast": frozenset({"weeks", "threshold"}),
    "cash_scenario": frozenset({"kind", "days", "customer", "percent", "purchase_order", "weeks"}),
    "receivables_ageing": frozenset({"top"}),
    "payables_ageing": frozenset({"top"}),
    "customer_payment_behaviour": frozenset({"customer"}),
    "find_record": frozenset({"reference"}),
    "budget_status": frozenset({"period"}),
    "purchase_order_check": frozenset({"order"}),
    "project_burndown": frozenset({"project", "period"}),
    "close_status": frozenset({"month"}),
    "anomalies": frozenset({"limit", "min_score", "detector"}),
    "pending_proposals": frozenset({"kind", "limit"}),
}

# ------------------------------------------------------------------------------- example vectors

#: (examples file hash, model name) -> (tool of each example, unit vectors); shared by every router
_EXAMPLE_CACHE: dict[tuple[str, str], tuple[tuple[str, ...], np.ndarray]] = {}
_EXAMPLE_LOCK = threading.Lock()


def load_examples(path: Path = EXAMPLES_PATH) -> dict[str, list[str]]:
    """Example questions per read tool from the YAML file, checked."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RouterError(f"cannot read the router's example questions {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise RouterError(f"{path} must map tool names to lists of example questions")
    unknown = sorted(set(raw) - set(READ_TOOLS))
    if unknown:
        raise RouterError(f"{path} names tools that do not exist: {', '.join(unknown)}")
    examples = {}
    for name, items in raw.items():
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            raise RouterError(f"{path}: the examples of {name} must be a list of questions")
        examples[name] = [i.strip() for i in items]
    return examples


def example_vectors(embedder, path: Path = EXAMPLES_PATH) -> tuple[tuple[str, ...], np.ndarray]:
    """The examples' tools and embeddings, computed once per process for a given file content and model."""
    content = path.read_bytes() if path.is_file() else b""
    key = (hashlib.sha256(content).hexdigest(), getattr(embedder, "name", type(embedder).__name__))
    with _EXAMPLE_LOCK:
        if key not in _EXAMPLE_CACHE:
            examples = load_examples(path)
            owners = tuple(name for name, items in examples.items() for _ in items)
            texts = [text for items in examples.values() for text in items]
            _EXAMPLE_CACHE[key] = (owners, np.asarray(embedder.encode(texts), dtype=np.float32))
        return _EXAMPLE_CACHE[key]


#: (model name, text) -> unit vector of recently routed texts, oldest first
_VECTOR_CACHE: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_VECTOR_LOCK = threading.Lock()
VECTOR_CACHE_SIZE = 2048

# ----------------------------------------------------------------------------------- the router

#: similarity below the floor says nothing; above it, it adds up to SIMILARITY_WEIGHT to a tool's score
SIMILARITY_FLOOR = 0.30
SIMILARITY_WEIGHT = 2.0
#: a question is understood when its best tool reaches this score
MIN_SCORE = 0.75
#: a part of a multi-part question adds its own tool when it reaches this score on its own
PART_MIN_SCORE = 1.1
_COMPARISON = re.compile(r"^\s*(?:compare|contrast)\b", re.IGNORECASE)
_COMPARED_WITH = re.compile(r"\s+(?:with|to|versus|vs\.?|against)\s+", re.IGNORECASE)
_CONJUNCTIONS = re.compile(r"\s*(?:,\s*and\b|\band also\b|\bas well as\b|\balong with\b|\bplus\b|\band\b|;|,|&|\?)\s*",
                           re.IGNORECASE)
_FOLLOW_UP = re.compile(r"^\s*(?:and|also|plus|what about|how about|same (?:for|with|but)|and for|ok,? and|okay,? and"
                        r"|then|why|how come|explain|what s driving|what is driving|what drives|what about for"
                        r"|now for|for)\b",
                        re.IGNORECASE)


@dataclass
class _Scored:
    """Scores of one text: keyword score, similarity and their sum per tool; where each tool is asked."""

    keywords: dict[str, float]
    similarity: dict[str, float]
    total: dict[str, float]
    positions: dict[str, int]

    def best(self) -> tuple[str, float]:
        name = max(READ_TOOLS, key=lambda t: (round(self.total.get(t, 0.0), 6), -READ_TOOLS.index(t)))
        return name, self.total.get(name, 0.0)


class OfflineRouter:
    """Deterministic routing of finance questions to tools (see the module docstring for the rules)."""

    def __init__(self, embedder=None, *, examples_path: Path | None = None):
        self._embedder = embedder
        self._examples_path = examples_path or EXAMPLES_PATH

    @property
    def embedder(self):
        if self._embedder is None:
            from ledgerpilot.memory.embeddings import load_embedder

            self._embedder = load_embedder()
        return self._embedder

    def warm(self) -> None:
        """Load the model and embed the examples now rather than on the first question."""
        example_vectors(self.embedder, self._examples_path)

    # ------------------------------------------------------------------------------ public

    def route(self, question: str, *, today: dt.date, names: NameIndex | None = None,
              history: Sequence[str] = ()) -> RoutePlan:
        """The tools that answer ``question`` (asked on ``today``), with their arguments."""
        question = (question or "").strip()
        if not question:
            return _unknown("The question is empty.")
        proposal = proposal_plan(question, today, names)
        if proposal is not None:
            return proposal
        plan, tools = self._route_alone(question, today, names)
        recent = [h for h in history if h and h.strip()][-3:]
        if recent and (_FOLLOW_UP.search(normalise(question)) or ((plan.unknown or _short(question))
                                                         and _has_arguments(question, today, names))):
            previous = self._previous_plan(recent, today, names)
            if previous is not None and previous.calls:
                return _follow_up(question, plan, tools, previous, today, names)
        return plan

    # ------------------------------------------------------------------------------ scoring

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts``; recent texts come from a small cache (a thread's follow-ups route
        its earlier questions again, and the same questions come back in a long-running bot)."""
        model = getattr(self.embedder, "name", type(self.embedder).__name__)
        with _VECTOR_LOCK:
            missing = list(dict.fromkeys(t for t in texts if (model, t) not in _VECTOR_CACHE))
        if missing:
            fresh = np.asarray(self.embedder.encode(missing), dtype=np.float32)
            with _VECTOR_LOCK:
                for text, vector in zip(missing, fresh):
                    _VECTOR_CACHE[(model, text)] = vector
                while len(_VECTOR_CACHE) > VECTOR_CACHE_SIZE:
                    _VECTOR_CACHE.popitem(last=False)
        with _VECTOR_LOCK:
            rows = []
            for text in texts:
                _VECTOR_CACHE.move_to_end((model, text))
                rows.append(_VECTOR_CACHE[(model, text)])
        return np.vstack(rows)

    def _score(self, texts: Sequence[str], names: NameIndex | None, today: dt.date) -> list[_Scored]:
        owners, matrix = example_vectors(self.embedder, self._examples_path)
        vectors = self._vectors(texts)
        results = []
        for text, vector in zip(texts, vectors):
            cosines = matrix @ vector
            similarity: dict[str, float] = {}
            for owner, cosine in zip(owners, cosines):
                value = round(float(cosine), 4)
                if value > similarity.get(owner, -1.0):
                    similarity[owner] = value
            keywords, firsts = keyword_scores(text)
            _context_rules(text, keywords, names, today)
            total = {t: keywords.get(t, 0.0) + SIMILARITY_WEIGHT * max(0.0, similarity.get(t, 0.0) - SIMILARITY_FLOOR)
                     for t in READ_TOOLS}
            results.append(_Scored(keywords, similarity, total, {name: pos for pos, name in firsts}))
        return results

    def _route_alone(self, question: str, today: dt.date, names: NameIndex | None) -> tuple[RoutePlan, list[str]]:
        """The plan of the question on its own, and the tools it asks for (even those it lacks arguments for)."""
        parts = [p for p in _CONJUNCTIONS.split(question) if p and p.strip()]
        if _COMPARISON.search(question):
            parts = [piece for p in parts for piece in _COMPARED_WITH.split(p) if piece.strip()]
        parts = parts if len(parts) > 1 else []
        scored = self._score([question, *parts], names, today)
        whole, part_scores = scored[0], scored[1:]
        best, best_score = whole.best()
        if best_score < MIN_SCORE:
            return _unknown(_unknown_reason(question)), []
        # where in the question each chosen tool is asked for: the calls run in that order
        order: dict[str, int] = {best: whole.positions.get(best, 0)}
        for score, offset in zip(part_scores, _part_offsets(question, parts)):
            name, value = score.best()
            if value >= PART_MIN_SCORE and name not in order and score.keywords.get(name, 0.0) > 0.0:
                order[name] = offset + score.positions.get(name, 0)
            elif name == best:
                order[best] = min(order[best], offset + score.positions.get(name, 0))
        tools = _coherent(sorted(order, key=lambda t: (order[t], READ_TOOLS.index(t))))
        confidence = _confidence(whole, best)
        return _plan_with_arguments(question, tools, today, names, confidence,
                                    "asked about {tools} (keywords and similar example questions)"), tools

    def _previous_plan(self, history: Sequence[str], today: dt.date, names: NameIndex | None) -> RoutePlan | None:
        """The plan of the latest earlier question that had tools (each judged with its own history)."""
        for index in range(len(history) - 1, -1, -1):
            plan = self.route(history[index], today=today, names=names, history=history[:index])
            if plan.calls:
                return plan
        return None


# ------------------------------------------------------------------------------- context rules

_BUDGET_WORDS = re.compile(r"\b(?:budget\w*|afford\w*|fits?|room|headroom|overspend\w*|over budget|within|enough"
                           r"|absorb)\b", re.IGNORECASE)
_LOOKUP_WORDS = re.compile(r"\b(?:show|find|look ?up|open|pull up|details?|what is|what s|who is|status of"
                           r"|is .* paid)\b",
                           re.IGNORECASE)
_WHAT_IF = re.compile(r"\b(?:what if|if|suppose|supposing|assum\w*|scenario|stress|would|were to|should|impact"
                      r"|model|simulate)\b",
                      re.IGNORECASE)


def _context_rules(text: str, scores: dict[str, float], names: NameIndex | None, today: dt.date) -> None:
    """Arguments that say which tool is meant, added to the keyword scores in place."""
    def add(tool_name: str, weight: float) -> None:
        scores[tool_name] = scores.get(tool_name, 0.0) + weight

    references = find_references(text)
    scenario = find_scenario(text, names)
    if scenario is not None:
        add("cash_scenario", 2.0 if _WHAT_IF.search(text) else 0.8)
    orders = [r for r in references if r.kind == "purchase_order"]
    others = [r for r in references if r.kind != "purchase_order"]
    if others:
        add("find_record", 1.4)
    if orders and not (scenario is not None and scenario.kind == "defer_po"):
        if _BUDGET_WORDS.search(text):
            add("purchase_order_check", 1.5)
        else:
            add("find_record", 1.2)
    if names is not None:
        customer = names.customer(text)
        if customer.match is not None and scenario is None:
            add("customer_payment_behaviour", 0.6 if customer.match.exact else 0.3)
        partner = names.partner(text)
        if partner.match is not None and partner.match.exact and scenario is None \
                and _LOOKUP_WORDS.search(normalise(text)) \
                and scores.get("customer_payment_behaviour", 0.0) < 1.0:
            add("find_record", 0.9)
        project = names.project(text)
        if project.match is not None:
            add("project_burndown", 0.9 if project.match.exact else 0.5)
    if find_threshold(text) is not None:
        add("cash_forecast", 0.6)


def _coherent(tools: list[str]) -> list[str]:
    """Drop calls another planned call already answers: a scenario reports the base forecast too."""
    if "cash_scenario" in tools and "cash_forecast" in tools:
        tools = [t for t in tools if t != "cash_forecast"]
    return tools


def _confidence(scored: _Scored, best: str) -> float:
    """0..1: how strong the best tool is (score 2 or more is strong) times how far ahead of the next one."""
    ranked = sorted((v for t, v in scored.total.items() if t != best), reverse=True)
    top = scored.total.get(best, 0.0)
    second = ranked[0] if ranked else 0.0
    strength = min(1.0, top / 2.0)
    margin = (top - second) / top if top > 0 else 0.0
    return round(strength * (0.5 + 0.5 * max(0.0, margin)), 3)


def _part_offsets(question: str, parts: Sequence[str]) -> list[int]:
    offsets, cursor = [], 0
    for part in parts:
        found = question.find(part, cursor)
        offsets.append(found if found >= 0 else cursor)
        cursor = max(cursor, found + len(part)) if found >= 0 else cursor
    return offsets


def _short(question: str) -> bool:
    return len(normalise(question).split()) <= 4


def _has_arguments(question: str, today: dt.date, names: NameIndex | None) -> bool:
    """Whether the question carries something a tool takes (a period, a record, a name, a number of
    days, a percentage...): "October?" alone is a follow-up; "hello" is not."""
    if find_references(question) or find_period(question, today) or find_duration_days(question) is not None:
        return True
    if find_percent_change(question) is not None or find_weeks(question) is not None or find_top(question):
        return True
    return names is not None and any(lookup.match is not None
                                     for lookup in (names.partner(question), names.project(question)))


# --------------------------------------------------------------------------------------- arguments

_DETECTORS: tuple[tuple[str, str], ...] = (
    (r"duplicates?|duplicated|twice|double (?:paid|payment|billed)|same (?:\w+ ){0,2}?(?:invoice|bill)s?",
     "duplicate_bills"),
    (r"payments? (?:without|with no) (?:an )?(?:open )?bills?|unmatched payments?|orphan payments?",
     "payments_without_open_bill"),
    (r"credit notes?|refunds?", "large_credit_notes"),
    (r"round (?:amounts?|numbers?|figures?)", "round_amounts"),
    (r"odd hours|weekend|night|posting patterns?|unusual users?|after hours", "posting_patterns"),
    (r"rare accounts?|unusual accounts?|account combinations?", "rare_accounts"),
    (r"unit costs?|cost jumps?|inventory costs?", "unit_cost_jumps"),
    (r"three way|3 way|quantity mismatch|quantities|receipts? (?:vs|versus) bills?", "three_way_match"),
    (r"intercompany|inter company", "intercompany"),
    (r"outliers?|unusual amounts?|amounts? far from", "amount_outliers"),
)
_PROPOSAL_KINDS: tuple[tuple[str, str], ...] = (
    (r"accruals?", "accrual"), (r"reversals?", "reversal"), (r"lock dates?|locks?", "lock_date"),
    (r"budget transfers?", "budget_transfer"), (r"payment proposals?|payment runs?|payments", "payment_proposal"),
    (r"po holds?|holds?", "po_hold"), (r"activit(?:y|ies)", "activity"), (r"notes?", "note"),
    (r"adjusting entr(?:y|ies)|adjustments?|journal entr(?:y|ies)", "adjusting_entry"),
)


def _first_kind(text: str, table: Sequence[tuple[str, str]]) -> str | None:
    words = normalise(text)
    hits = []
    for pattern, value in table:
        match = re.search(rf"(?<!\w)(?:{pattern})(?!\w)", words)
        if match:
            hits.append((match.start(), value))
    return min(hits)[1] if hits else None


@dataclass
class _Arguments:
    """The arguments one tool gets from a question, or what is missing for it."""

    values: dict[str, Any]
    missing: list[str]
    note: str = ""


def tool_arguments(tool_name: str, question: str, today: dt.date, names: NameIndex | None) -> _Arguments:
    """The arguments of ``tool_name`` found in ``question``; required ones that are absent are named in ``missing``."""
    values: dict[str, Any] = {}
    missing: list[str] = []
    note = ""
    if tool_name == "cash_forecast":
        weeks = find_weeks(question)
        if weeks is not None:
            if not 1 <= weeks <= MAX_WEEKS:
                note = f"the forecast covers at most {MAX_WEEKS} weeks, so {MAX_WEEKS} weeks are shown"
            values["weeks"] = min(max(weeks, 1), MAX_WEEKS)
        threshold = find_threshold(question)
        if threshold is not None:
            values["threshold"] = threshold
    elif tool_name == "cash_scenario":
        scenario = find_scenario(question, names)
        if scenario is None:
            missing.append("what to change (collections slipping N weeks, a customer not paying, sales up or down "
                           "x%, or a purchase order deferred N weeks)")
        else:
            values.update(scenario.arguments)
            missing.extend(scenario.missing)
            if "days" in values:
                values["days"] = _within(values["days"], 1, 180)
            if "weeks" in values:
                values["weeks"] = _within(values["weeks"], 1, MAX_WEEKS)
    elif tool_name in ("receivables_ageing", "payables_ageing"):
        top = find_top(question)
        if top is not None:
            values["top"] = _within(top, 1, 20)
    elif tool_name == "customer_payment_behaviour":
        lookup = names.customer(question) if names is not None else NameLookup()
        if lookup.match is not None:
            values["customer"] = lookup.match.name
        else:
            missing.append("which customer" + (f" ({lookup.ambiguity()})" if lookup.candidates else ""))
    elif tool_name == "find_record":
        references = find_references(question)
        partner = names.partner(question) if names is not None else NameLookup()
        if references:
            values["reference"] = references[0].name
        elif partner.match is not None and partner.match.exact:
            values["reference"] = partner.match.name
        else:
            missing.append("which record (a reference such as INV/2026/00042, P00012 or a partner's name)")
    elif tool_name == "budget_status":
        period = find_period(question, today)
        if period is not None:
            values["period"] = period.label
    elif tool_name == "purchase_order_check":
        orders = [r for r in find_references(question) if r.kind == "purchase_order"]
        if orders:
            values["order"] = orders[0].name
        else:
            missing.append("which purchase order (such as P00012)")
    elif tool_name == "project_burndown":
        lookup = names.project(question) if names is not None else NameLookup()
        if lookup.match is not None:
            values["project"] = lookup.match.name
        else:
            known = f" ({lookup.ambiguity()})" if lookup.candidates else (
                f" (the projects are {', '.join(names.projects)})" if names is not None and names.projects else "")
            missing.append("which project" + known)
        period = find_period(question, today)
        if period is not None:
            values["period"] = period.label
    elif tool_name == "close_status":
        month = find_month(question, today)
        if month is not None:
            values["month"] = month.label
    elif tool_name == "anomalies":
        top = find_top(question)
        if top is not None:
            values["limit"] = _within(top, 1, 50)
        detector = _first_kind(question, _DETECTORS)
        if detector is not None:
            values["detector"] = detector
    elif tool_name == "pending_proposals":
        kind = _first_kind(question, _PROPOSAL_KINDS)
        if kind is not None:
            values["kind"] = kind
        top = find_top(question)
        if top is not None:
            values["limit"] = _within(top, 1, 100)
    return _Arguments(values, missing, note)


def _within(value: int, low: int, high: int) -> int:
    """A count the question gave, brought into the range the tool accepts."""
    return min(max(value, low), high)


def _plan_with_arguments(question: str, tools: Sequence[str], today: dt.date, names: NameIndex | None,
                         confidence: float, reason: str,
                         inherited: Mapping[str, Mapping[str, Any]] | None = None) -> RoutePlan:
    calls: list[PlannedCall] = []
    problems: list[str] = []
    notes: list[str] = []
    for tool_name in tools:
        found = tool_arguments(tool_name, question, today, names)
        values = {**(inherited or {}).get(tool_name, {}), **found.values}
        if tool_name == "cash_scenario":
            values = _scenario_arguments(values)
        missing = [m for m in found.missing if not _inherited_covers(tool_name, m, values)]
        if tool_name == "customer_payment_behaviour" and missing and "customer" not in values:
            if names is not None and names.customer(question).candidates:
                problems.append(f"{tool_name} needs {missing[0]}")
            elif "receivables_ageing" not in tools:
                calls.append(PlannedCall("receivables_ageing", _only(tool_arguments(
                    "receivables_ageing", question, today, names).values, "receivables_ageing")))
                notes.append("no customer named, so the receivables ageing lists them all")
            continue
        if missing:
            problems.append(f"{tool_name} needs {'; '.join(missing)}")
            continue
        if found.note:
            notes.append(found.note)
        calls.append(PlannedCall(tool_name, _only(values, tool_name)))
    calls = _dedupe(calls)
    if not calls:
        return RoutePlan((), 0.0, "Cannot run: " + "; ".join(problems) + ".", unknown=False)
    text = reason.format(tools=", ".join(call.tool for call in calls))
    text += "".join(f"; {n}" for n in notes) + "".join(f"; left out {p}" for p in problems)
    return RoutePlan(tuple(calls), confidence, text, unknown=False)


def _inherited_covers(tool_name: str, missing: str, values: Mapping[str, Any]) -> bool:
    required = {"customer_payment_behaviour": "customer", "find_record": "reference",
                "purchase_order_check": "order", "project_burndown": "project"}.get(tool_name)
    if required is not None:
        return required in values
    if tool_name == "cash_scenario":
        return "kind" in values and _scenario_complete(values)
    return False


_SCENARIO_NEEDS = {"delay_collections": ("days",), "customer_default": ("customer",), "sales_change": ("percent",),
                   "defer_po": ("purchase_order", "weeks")}


def _scenario_arguments(values: Mapping[str, Any]) -> dict[str, Any]:
    """Only the arguments the scenario's kind uses (a follow-up may carry others over)."""
    keep = ("kind", *_SCENARIO_NEEDS.get(values.get("kind"), ()))
    return {k: v for k, v in values.items() if k in keep}


def _scenario_complete(values: Mapping[str, Any]) -> bool:
    needs = _SCENARIO_NEEDS.get(values.get("kind"))
    return needs is not None and all(values.get(need) is not None for need in needs)


def _only(values: Mapping[str, Any], tool_name: str) -> dict[str, Any]:
    allowed = TOOL_ARGUMENTS.get(tool_name)
    return {k: v for k, v in values.items() if allowed is None or k in allowed}


def _dedupe(calls: Sequence[PlannedCall]) -> list[PlannedCall]:
    seen, kept = set(), []
    for call in calls:
        key = (call.tool, tuple(sorted((k, repr(v)) for k, v in call.arguments.items())))
        if key not in seen:
            seen.add(key)
            kept.append(call)
    return kept


def _unknown_reason(question: str) -> str:
    return "I could not tell which part of the books this question is about."


def _unknown(reason: str) -> RoutePlan:
    return RoutePlan((), 0.0, reason, unknown=True)


# --------------------------------------------------------------------------------------- follow-ups


def _follow_up(question: str, alone: RoutePlan, asked: Sequence[str], previous: RoutePlan, today: dt.date,
               names: NameIndex | None) -> RoutePlan:
    """A follow-up's plan: its own tools with the earlier arguments they accept, or else the earlier
    tools with the arguments the follow-up changes."""
    earlier = {call.tool: call.arguments for call in previous.calls}
    carried: dict[str, Any] = {}
    for call in previous.calls:
        for key, value in call.arguments.items():
            carried.setdefault(key, value)
    if asked and _names_a_tool(question, asked, names, today):
        inherited = {name: {k: v for k, v in carried.items() if k in TOOL_ARGUMENTS.get(name, ()) and k != "kind"}
                     for name in asked}
        return _plan_with_arguments(question, list(asked), today, names, alone.confidence,
                                    "follow-up asking about {tools}, with the earlier question's arguments where "
                                    "it gives none", inherited)
    tools = list(earlier)
    inherited = {tool_name: dict(args) for tool_name, args in earlier.items()}
    if "cash_scenario" in inherited:
        inherited["cash_scenario"] = _adjusted_scenario(question, inherited["cash_scenario"], names)
    plan = _plan_with_arguments(question, tools, today, names, round(previous.confidence * 0.9, 3),
                                "follow-up to the previous question: {tools} again with what changed",
                                inherited)
    return plan


def _names_a_tool(question: str, asked: Sequence[str], names: NameIndex | None, today: dt.date) -> bool:
    """Whether the follow-up itself says which tool (its own keywords or what-if), not only an argument."""
    keywords, _ = keyword_scores(question)
    _context_rules(question, keywords, names, today)
    return any(keywords.get(name, 0.0) >= 0.7 for name in asked)


def _adjusted_scenario(question: str, earlier: dict[str, Any], names: NameIndex | None) -> dict[str, Any]:
    """"What about 3 weeks?" after a what-if: the same scenario with the new size."""
    if find_scenario(question, names) is not None:
        return {}
    adjusted = dict(earlier)
    kind = earlier.get("kind")
    days = find_duration_days(question)
    if kind == "delay_collections" and days is not None:
        adjusted["days"] = days
    elif kind == "defer_po" and days is not None:
        adjusted["weeks"] = max(1, math.ceil(days / 7))
    elif kind == "sales_change":
        percent = find_percent_change(question)
        if percent is not None:
            adjusted["percent"] = percent
    elif kind == "customer_default" and names is not None:
        customer = names.customer(question)
        if customer.match is not None:
            adjusted["customer"] = customer.match.name
    return adjusted
