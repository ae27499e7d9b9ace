"""The offline router: what a message asks for and which tools answer it, with which arguments, without an LLM.

With no LLM configured, every question still reaches the right capability, and every request to act
gets a plain refusal. A message goes through five steps, each predictable on its own
(docs/offline-mode.md walks through them):

1. **Spelling** (:mod:`~ledgerpilot.agent.spelling`): shorthand expanded, misspelt finance words put
   right ("payabels" -> "payables"); names in the books and record references are never touched.
2. **Kind of request** (:mod:`~ledgerpilot.agent.requests`): an explicit request for a proposal, a
   request to act (refused: ledgerpilot reads and proposes, a person approves), something outside
   the books or small talk (no tool), or a question.
3. **Intent** (:mod:`~ledgerpilot.agent.intents`): a classifier over the bundled sentence model and the
   message's words, learned from the phrasings in ``intents.yaml``, gives each read tool a
   probability. A few facts the grammar finds add to it (``EVIDENCE``): a what-if makes it a
   scenario, a record reference a look-up, a purchase order with budget words a budget check. The
   best tool must reach ``MIN_SCORE``.
4. **Several questions in one**: the message is cut at conjunctions; a part whose own best tool
   reaches ``PART_MIN_SCORE`` adds that tool, in the order the message asks.
5. **Slots** (:mod:`~ledgerpilot.agent.question_parsing`): a small grammar reads the arguments --
   periods, horizons, amounts, what-ifs, references, names.

Follow-ups use the thread's earlier questions (``history``, oldest first): they keep the subject
("they" is the customer or vendor named before), the sign of a change ("and by a third?" after a fall
by a quarter is a fall) and the topic ("and for Marketing?" after a budget question stays on budgets).

Routing is deterministic: the same message, names and history always give the same plan.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ledgerpilot.agent.intents import INTENTS_PATH, REQUEST_INTENTS, IntentModel, IntentScores, intent_model
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
    percent_direction_stated,
)
from ledgerpilot.agent.requests import Request, classify
from ledgerpilot.agent.requests import pieces as _pieces
from ledgerpilot.agent.route_plan import PlannedCall, RoutePlan, RouterError
from ledgerpilot.agent.spelling import SpellingCorrector, name_words

__all__ = [
    "PROPOSE_TOOLS",
    "READ_TOOLS",
    "TOOL_ARGUMENTS",
    "OfflineRouter",
    "PlannedCall",
    "RoutePlan",
    "RouterError",
    "tool_arguments",
]

READ_TOOLS: tuple[str, ...] = (
    "cash_position", "cash_forecast", "cash_scenario", "receivables_ageing", "payables_ageing",
    "customer_payment_behaviour", "slowest_payers", "find_record", "budget_status", "purchase_order_check",
    "project_burndown", "close_status", "anomalies", "pending_proposals",
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
    "slowest_payers": frozenset({"top"}),
    "find_record": frozenset({"reference"}),
    "budget_status": frozenset({"period", "department"}),
    "purchase_order_check": frozenset({"order"}),
    "project_burndown": frozenset({"project", "period"}),
    "close_status": frozenset({"month"}),
    "anomalies": frozenset({"limit", "min_score", "detector"}),
    "pending_proposals": frozenset({"kind", "limit"}),
}
#: an argument a follow-up may carry over under another tool's name ("that month" of a close is a budget period,
#: a budget's month the close's month)
CARRY_AS: dict[str, str] = {"month": "period", "period": "month"}
_MONTH_LABEL = re.compile(r"\d{4}-\d{2}")

#: a message is understood when its best tool reaches this score (probability plus evidence)
MIN_SCORE = 0.30
#: a part of a multi-part message adds its own tool when it reaches this score on its own
PART_MIN_SCORE = 0.55
#: ... unless it scores at least this for a tool already planned: then it continues the same question
PART_CONTINUATION = 0.2
#: ... and however it starts, a part that scores this much for a planned tool asks about the same thing
PART_STRONG_CONTINUATION = 0.4
#: how many earlier questions of the thread a follow-up may reach back to (the thread keeps as many turns)
FOLLOW_UP_TURNS = 6
#: a follow-up that changes nothing the earlier tools take asks its own best tool from this score; one that
#: changes an earlier argument ("and Operations?", "half of it gone?") keeps the earlier tools unless its own
#: tool scores at least FOLLOW_UP_OVERRIDE_SCORE
FOLLOW_UP_OWN_SCORE = 0.25
FOLLOW_UP_OVERRIDE_SCORE = 0.85
#: a follow-up about the same customer ("what do they have open?") keeps a customer's tool below this score
FOLLOW_UP_SAME_SUBJECT_SCORE = 0.6

_COMPARISON = re.compile(r"^\s*(?:compare|contrast)\b|\s(?:vs\.?|versus)\s", re.IGNORECASE)
_COMPARED_WITH = re.compile(r"\s+(?:with|to|versus|vs\.?|against)\s+", re.IGNORECASE)
_CONJUNCTIONS = re.compile(r"\s*(?:,\s*and\b|\band also\b|\bas well as\b|\balong with\b|\bplus\b|\band\b|;|,|&|\?)\s*",
                           re.IGNORECASE)
_INTERJECTION = r"(?:(?:ok(?:ay)?|hm+|right|alright|so|well|now|then|cool|great|thanks|got it|yes|no)[,!.]?\s+)*"
_FOLLOW_UP = re.compile(r"^\s*" + _INTERJECTION +
                        r"(?:and|also|plus|what about|how about|same (?:for|with|but|thing)|and for|then|why|how come"
                        r"|explain|what s driving|what is driving|what drives|what about for|now for|now the|for"
                        r"|just|only|instead|flip|say|ok less|less|more|the same)\b",
                        re.IGNORECASE)
#: words that point back at a partner named earlier
_PRONOUN = re.compile(r"\b(?:they|them|their|theirs|themselves|that (?:customer|client|vendor|supplier|company)"
                      r"|this (?:customer|client|vendor|supplier|company)|the same (?:customer|client|vendor|supplier))\b",
                      re.IGNORECASE)
#: words that point back at something named before: "that month", "the same period", "same thing"
_BACK_REFERENCE = re.compile(r"\b(?:that|the same|same|this) (?:month|period|quarter|year|week|time|one|ones|thing|"
                             r"department|project|customer|client|vendor|supplier|order|invoice|bill)\b"
                             r"|\bsame (?:again|for|but)\b|\b(?:the )?other (?:side|way round|direction)\b",
                             re.IGNORECASE)
#: a follow-up about someone else than the earlier subject ("are there other customers even slower than them?")
_OTHERS = re.compile(r"\b(?:other|others|else|besides|apart from|except)\b", re.IGNORECASE)
#: a part that starts like a question of its own ("..., and is it enough to last the quarter?")
_ASKING = (r"^\W*(?:and\s+|also\s+|but\s+|then\s+)*(?:what|how|which|who|when|where|why|is|are|was|were|do|does"
           r"|did|will|would|can|could|should|have|has")
_QUESTION_WORDS = re.compile(_ASKING + r")\b", re.IGNORECASE)
#: a follow-up that turns to the other ledger: "the customer side", "the supplier side", "the other side"
_SIDE = re.compile(r"\b(?P<ar>customers?|clients?|receivables?|debtors?|sales)(?:'s?)?\s+side\b"
                   r"|\b(?P<ap>suppliers?|vendors?|payables?|creditors?|purchases?)(?:'s?)?\s+side\b"
                   r"|\b(?P<other>other)\s+side\b", re.IGNORECASE)
#: a question beside a request to act: a question mark, a question word, or "tell me / show me ..."
_ASKS = re.compile(r"\?|" + _ASKING + r"|tell me|show me|give me|let me know|list)\b", re.IGNORECASE)
#: words that point at the previous answer itself: "how much of that", "in it", "of those"
_OF_THAT = re.compile(r"\b(?:of|in|from|on|behind) (?:that|it|those|them|these|this)\b|\bthat one\b", re.IGNORECASE)
#: a part that offers an alternative of the same question ("..., or should I worry about them?") adds no tool
_ALTERNATIVE = re.compile(r"^\s*(?:or|but not|not|doesn'?t matter|does not matter|never mind|regardless|no matter"
                          r"|don'?t care|whatever|i don'?t mean|i do not mean|i'?m not asking|rather than|instead of"
                          r"|as opposed to)\b", re.IGNORECASE)
#: the whole company rather than one department: a budget follow-up drops the department
_ALL_DEPARTMENTS = re.compile(r"\b(?:all|every|each) (?:the )?(?:departments?|depts?|cost cent(?:er|re)s?)\b"
                              r"|\b(?:company[- ]wide|whole company|overall|in total|all together|altogether)\b",
                              re.IGNORECASE)
_WHAT_IF = re.compile(r"\b(?:what if|if|suppose|supposing|assum\w*|scenario|stress|would|were to|should|impact"
                      r"|model|simulate|what happens|how bad|how low|how much lower)\b|(?:^|[,.;:-]\s*)say\b",
                      re.IGNORECASE)
_BUDGET_WORDS = re.compile(r"\b(?:budget\w*|afford\w*|fits?|room|headroom|overspend\w*|overspent|over budget|within"
                           r"|enough|absorb|plan|planned|target|over plan|under plan)\b", re.IGNORECASE)
#: words about what we owe: a part with them is not about a named customer's invoices
_VENDOR_WORDS = re.compile(r"\b(?:suppliers?|vendors?|bills?|payables?|creditors?|we owe)\b", re.IGNORECASE)
_PO_WORDS = re.compile(r"\b(?:purchase orders?|po|pos)\b", re.IGNORECASE)
_LOOKUP_WORDS = re.compile(r"\b(?:show|find|look ?up|pull up|details?|what is|what s|who is|status of"
                           r"|is .* paid)\b|^\W*open\b", re.IGNORECASE)
#: the forecast named as such ("the 13-week forecast", "the cash projection"): asked for in its own right
_FORECAST_NOUNS = re.compile(r"\b(?:forecast|projection|outlook|13[- ]week|thirteen[- ]week|weekly cash|cash flow plan)\b",
                             re.IGNORECASE)

#: what the grammar finds in a message and adds to a tool's probability (documented in offline-mode.md)
EVIDENCE: dict[str, float] = {
    "what_if": 0.45,                # a what-if the scenario grammar reads, with what-if words
    "scenario_words": 0.15,         # the same without what-if words ("Acme defaults on everything")
    "reference": 0.35,              # an invoice, bill, entry or sale order number: a look-up
    "po_with_budget_words": 0.45,   # a purchase order with budget words: a budget check
    "po_alone": 0.25,               # a purchase order without them: a look-up
    "po_words_with_budget_words": 0.3,  # "the purchase order" and budget words, no reference: a budget check
    "partner_lookup": 0.4,          # a partner's full name with look-up words ("look up Acme Ltd"): a look-up
    "project": 0.2,                 # a known project's name
    "customer": 0.1,                # a known customer's name (when no what-if is described)
    "department_budget": 0.15,      # a known department's name: its budget
    "threshold": 0.1,               # a cash threshold ("below 200k"): the forecast
}


@dataclass
class _Scored:
    """A text's score per read tool (probability plus evidence), its intent scores and where each tool is asked."""

    intents: IntentScores
    total: dict[str, float]

    def best(self) -> tuple[str, float]:
        name = max(READ_TOOLS, key=lambda t: (round(self.total.get(t, 0.0), 6), -READ_TOOLS.index(t)))
        return name, self.total.get(name, 0.0)


class OfflineRouter:
    """Deterministic routing of finance messages to tools (the module docstring gives the rules)."""

    def __init__(self, embedder=None, *, intents_path: Path | None = None, cache_dir: Path | None = None):
        self._embedder = embedder
        self._intents_path = intents_path or INTENTS_PATH
        self._cache_dir = cache_dir
        self._model: IntentModel | None = None
        self._speller: SpellingCorrector | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self):
        if self._embedder is None:
            from ledgerpilot.memory.embeddings import load_embedder

            self._embedder = load_embedder()
        return self._embedder

    @property
    def model(self) -> IntentModel:
        with self._lock:
            if self._model is None:
                self._model = intent_model(self.embedder, self._intents_path, cache_dir=self._cache_dir)
            return self._model

    @property
    def speller(self) -> SpellingCorrector:
        with self._lock:
            if self._speller is None:
                from ledgerpilot.agent.intents import load_intents

                self._speller = SpellingCorrector(t for items in load_intents(self._intents_path).values()
                                                  for t in items)
            return self._speller

    def warm(self) -> None:
        """Load the model and fit the classifier now rather than on the first question."""
        _ = self.model
        _ = self.speller

    # ------------------------------------------------------------------------------ public

    def correct(self, question: str, names: NameIndex | None = None) -> str:
        """The message with its spelling put right (names in the books are left as written)."""
        protected = name_words(names.all_names()) if names is not None else frozenset()
        return self.speller.correct(question, protected)

    def request(self, question: str, *, today: dt.date, names: NameIndex | None = None) -> Request:
        """What kind of request the user's own message is (a question, a request to act, a proposal...)."""
        text = self.correct((question or "").strip(), names)
        return self._request(text, today, names, self._score([text], names)[0])

    def route(self, question: str, *, today: dt.date, names: NameIndex | None = None,
              history: Sequence[str] = ()) -> RoutePlan:
        """The tools that answer ``question`` (asked on ``today``), with their arguments."""
        question = (question or "").strip()
        if not question:
            return _unknown("The question is empty.")
        text = self.correct(question, names)
        scored = self._score([text], names)[0]
        recent = [h for h in history if h and h.strip()][-FOLLOW_UP_TURNS:]
        continuing = bool(recent) and bool(_FOLLOW_UP.search(normalise(text)) or _BACK_REFERENCE.search(text)
                                           or _PRONOUN.search(text) or _short(text))
        request = self._request(text, today, names, scored, continuing)
        if request.kind == "propose":
            plan = proposal_plan(question, today, names) or proposal_plan(text, today, names)
            return replace(plan, kind="propose", request=request, corrected=text) if plan is not None else \
                _unknown("I could not read the proposal request.")
        top = tuple(scored.intents.ranked[:3])
        if request.kind == "act":
            return replace(self._act_plan(text, request, today, names), intents=top)
        if request.kind in ("outside", "chitchat"):
            return RoutePlan((), 0.0, request.reason, unknown=True, kind=request.kind, request=request,
                             corrected=text, intents=top)
        plan, tools = self._route_alone(text, today, names, scored)
        if recent and self._is_follow_up(text, plan, today, names):
            previous = self._previous_plan(recent, today, names)
            if previous is not None and previous.calls:
                plan = self._follow_up(text, plan, tools, previous, recent, today, names)
        return replace(plan, request=request, corrected=text)

    # ------------------------------------------------------------------------------ steps

    def _request(self, text: str, today: dt.date, names: NameIndex | None, scored: _Scored,
                 continuing: bool = False) -> Request:
        proposal = proposal_plan(text, today, names)
        intent, probability = scored.intents.best, scored.intents.confidence
        books = continuing or bool(find_references(text)) or (names is not None and _names_something(text, names))
        return classify(text, proposal_requested=proposal is not None, intent=intent, probability=probability,
                        names_books=books)

    def _score(self, texts: Sequence[str], names: NameIndex | None, customer_context: bool = False) -> list[_Scored]:
        """Each text's score per read tool; ``customer_context``: the texts are parts of a message about one
        named customer."""
        model = self.model
        out = []
        for text, intents in zip(texts, model.score(list(texts))):
            total = {t: intents.probability(t) for t in READ_TOOLS}
            for tool_name, weight in _evidence(text, names).items():
                total[tool_name] = total.get(tool_name, 0.0) + weight
            if (_names_one_customer(text, names) or customer_context) and not _VENDOR_WORDS.search(text):
                # what one named customer owes is that customer's view, not the ageing of all customers
                # (and in a message about one customer, a part asking about open invoices is about its own)
                total["customer_payment_behaviour"] += total["receivables_ageing"] + total["payables_ageing"]
                total["receivables_ageing"] = total["payables_ageing"] = 0.0
            out.append(_Scored(intents, total))
        return out

    def _route_alone(self, text: str, today: dt.date, names: NameIndex | None,
                     whole: _Scored) -> tuple[RoutePlan, list[str]]:
        """The plan of the message on its own, and the tools it asks for (even those it lacks arguments for)."""
        parts = [p for p in _CONJUNCTIONS.split(text) if p and p.strip() and not _ALTERNATIVE.match(p)]
        if _COMPARISON.search(text):
            parts = [piece for p in parts for piece in _COMPARED_WITH.split(p) if piece.strip()]
        parts = parts if len(parts) > 1 else []
        part_scores = self._score(parts, names, customer_context=_names_one_customer(text, names)) if parts else []
        best, best_score = whole.best()
        if best == "cash_forecast" and (mention := find_scenario(text, names)) is not None and not mention.missing:
            # a forecast under a change the message states ("revenue down 15%: do we survive?") is that what-if
            best, best_score = "cash_scenario", max(best_score, whole.total.get("cash_scenario", 0.0))
        request_intent = whole.intents.best if whole.intents.best in REQUEST_INTENTS else None
        if best_score < MIN_SCORE or (request_intent and whole.intents.confidence > best_score):
            return _unknown(_unknown_reason(text), whole), []
        order: dict[str, int] = {best: 0}
        compared = bool(_COMPARISON.search(text))
        offsets = _part_offsets(text, parts)
        for part, score, offset in zip(parts, part_scores, offsets):
            name, value = score.best()
            # a part that still leans to a tool already planned continues that question ("salaries and suppliers
            # in the coming weeks", "top 8 customers"); a comparison names both sides on purpose
            asks_anew = bool(_QUESTION_WORDS.match(part))
            planned = max((score.total.get(t, 0.0) for t in order), default=0.0)
            # "other customers even slower than Acme": the partner named is the yardstick of the planned
            # ranking, not a question about that partner
            continues = not compared and (_arguments_only(part)
                                          or _about_the_same(part, text[:offset], names)
                                          or planned >= PART_STRONG_CONTINUATION
                                          or ((not asks_anew or _OTHERS.search(part)) and planned >= PART_CONTINUATION))
            if name not in order and value >= PART_MIN_SCORE and not continues \
                    and score.intents.best not in REQUEST_INTENTS:
                order[name] = offset
            elif name == best:
                # the best tool sits where its own part first asks for it: the calls run in the order asked
                order[best] = min(order[best], offset) if order[best] else offset
        tools = sorted(order, key=lambda t: (order[t], READ_TOOLS.index(t)))
        if "cash_scenario" in tools and "cash_forecast" in tools:
            # the what-if reports the base forecast too: a separate forecast only when the message names the
            # forecast itself before the what-if ("give me the 13-week forecast, and what if ...")
            what_if = [offset for part, score, offset in zip(parts, part_scores, offsets)
                       if score.best()[0] == "cash_scenario" or find_scenario(part, names) is not None]
            cut = min(what_if) if what_if else 0
            if not _FORECAST_NOUNS.search(text[:cut]):
                tools.remove("cash_forecast")
        tools = _coherent(tools)
        return _plan_with_arguments(text, tools, today, names, _confidence(whole, best),
                                    "asked about {tools}", intents=whole.intents), tools

    def _act_plan(self, text: str, request: Request, today: dt.date, names: NameIndex | None) -> RoutePlan:
        """A refusal, with the read that shows what the request was about (the record it names, the approval
        queue for an approval, the close for a lock, the budget for a budget change) and the answer to a
        question asked beside it ("approve everything, and how much cash do we have?")."""
        calls: list[PlannedCall] = []
        references = find_references(request.clause or text)
        if references:
            calls.append(PlannedCall("find_record", {"reference": references[0].name}))
        elif request.family in _ACT_READS:
            calls.append(PlannedCall(_ACT_READS[request.family], {}))
        rest = text.replace(request.clause, " ").strip(" .,;:!-") if request.clause else ""
        asked = " ".join(piece.strip(" ,.;:-") for piece in _pieces(rest) if _ASKS.search(piece.strip(" ,.;:-")))
        if names is not None and _PRONOUN.search(asked):
            # "email Acme a reminder, and what do they owe us?": "they" is the partner the request names
            partner = names.partner(request.clause)
            if partner.match is not None and partner.match.exact:
                asked = _PRONOUN.sub(lambda m: f"{partner.match.name}'s" if m.group(0).lower() in ("their", "theirs")
                                     else partner.match.name, asked, count=1)
        if len(normalise(asked).split()) >= 3:
            scored = self._score([asked], names)[0]
            if self._request(asked, today, names, scored).kind == "question":
                plan, _ = self._route_alone(asked, today, names, scored)
                calls.extend(call for call in plan.calls if call not in calls)
        return RoutePlan(tuple(calls), 1.0, request.reason, unknown=False, kind="act", request=request,
                         corrected=text)

    def _is_follow_up(self, text: str, plan: RoutePlan, today: dt.date, names: NameIndex | None) -> bool:
        if _FOLLOW_UP.search(normalise(text)) or _BACK_REFERENCE.search(text) or _OF_THAT.search(text):
            return True
        if _PRONOUN.search(text) and not (names is not None and _names_partner_exactly(text, names)):
            return True
        return (plan.unknown or not plan.calls or _short(text)) and _has_arguments(text, today, names)

    def _previous_plan(self, history: Sequence[str], today: dt.date, names: NameIndex | None) -> RoutePlan | None:
        """The plan of the latest earlier question that had tools (each judged with its own history)."""
        for index in range(len(history) - 1, -1, -1):
            plan = self.route(history[index], today=today, names=names, history=history[:index])
            if plan.calls and plan.kind == "answer":
                return plan
        return None

    def _follow_up(self, text: str, alone: RoutePlan, asked: Sequence[str], previous: RoutePlan,
                   history: Sequence[str], today: dt.date, names: NameIndex | None) -> RoutePlan:
        """A follow-up's plan: its own tools with the earlier arguments they accept, or else the earlier
        tools with the arguments the follow-up changes. "They" is the partner named before."""
        resolved = _resolve_partner(text, previous, history, names)
        earlier = {call.tool: call.arguments for call in previous.calls}
        carried: dict[str, Any] = {}
        for call in previous.calls:
            for key, value in call.arguments.items():
                carried.setdefault(key, value)
        own_best, own_score = self._score([text], names)[0].best()
        if resolved != text:
            scored = self._score([resolved], names)[0]
            alone_resolved, asked_resolved = self._route_alone(resolved, today, names, scored)
            if asked_resolved:
                alone, asked = alone_resolved, asked_resolved
                own_best, own_score = scored.best()
        side = _SIDE.search(text)
        ageing = {"receivables_ageing", "payables_ageing"}
        if side and set(earlier) & ageing:
            target = ("receivables_ageing" if side.group("ar") else "payables_ageing" if side.group("ap") else
                      next(iter(ageing - set(earlier)), "receivables_ageing"))
            return _plan_with_arguments(resolved, [target], today, names, alone.confidence,
                                        "follow-up turning to the {tools}", {target: _carry(carried, target)},
                                        intents=alone.intents)
        needed = FOLLOW_UP_OVERRIDE_SCORE if _changes_earlier(resolved, earlier, today, names) else FOLLOW_UP_OWN_SCORE
        if _OF_THAT.search(text):
            needed = max(needed, FOLLOW_UP_SAME_SUBJECT_SCORE)   # "how much of that is overdue?" asks about the same
        if resolved != text and "customer_payment_behaviour" in earlier and not _OTHERS.search(text):
            needed = max(needed, FOLLOW_UP_SAME_SUBJECT_SCORE)   # "they" is still the same customer
        if not asked and own_score >= needed:
            asked = [own_best]      # short follow-ups score low on their own: "same thing on the supplier side"
        if asked and own_score >= needed and set(asked) != set(earlier):
            inherited = {name: _carry(carried, name) for name in asked}
            if "cash_scenario" in asked and "cash_scenario" in earlier:
                inherited["cash_scenario"] = _adjusted_scenario(resolved, dict(earlier["cash_scenario"]), names)
            return _plan_with_arguments(resolved, list(asked), today, names, alone.confidence,
                                        "follow-up asking about {tools}, with the earlier question's arguments "
                                        "where it gives none", inherited, intents=alone.intents)
        inherited = {tool_name: dict(args) for tool_name, args in earlier.items()}
        if "cash_scenario" in inherited:
            inherited["cash_scenario"] = _adjusted_scenario(resolved, inherited["cash_scenario"], names)
        return _plan_with_arguments(resolved, list(earlier), today, names, round(previous.confidence * 0.9, 3),
                                    "follow-up to the previous question: {tools} again with what changed",
                                    inherited, intents=alone.intents)


# ------------------------------------------------------------------------------- evidence


def _names_partner_exactly(text: str, names: NameIndex) -> bool:
    lookup = names.partner(text)
    return lookup.match is not None and lookup.match.exact


def _names_one_customer(text: str, names: NameIndex | None) -> bool:
    if names is None or find_scenario(text, names) is not None:
        return False
    lookup = names.customer(text)
    return lookup.match is not None and lookup.match.exact


def _names_something(text: str, names: NameIndex) -> bool:
    lookups = (names.partner(text), names.project(text), names.department(text))
    return any(lookup.match is not None and lookup.match.exact for lookup in lookups)


def _evidence(text: str, names: NameIndex | None) -> dict[str, float]:
    """What the grammar finds that says which tool is meant (``EVIDENCE``)."""
    found: dict[str, float] = {}

    def add(tool_name: str, key: str) -> None:
        found[tool_name] = found.get(tool_name, 0.0) + EVIDENCE[key]

    references = find_references(text)
    scenario = find_scenario(text, names)
    if scenario is not None and _WHAT_IF.search(text):
        add("cash_scenario", "what_if")
    elif scenario is not None and not scenario.missing:
        add("cash_scenario", "scenario_words")
    orders = [r for r in references if r.kind == "purchase_order"]
    if any(r.kind != "purchase_order" for r in references):
        add("find_record", "reference")
    if not orders and _PO_WORDS.search(text) and _BUDGET_WORDS.search(text):
        add("purchase_order_check", "po_words_with_budget_words")
    if orders and not (scenario is not None and scenario.kind == "defer_po"):
        add("purchase_order_check" if _BUDGET_WORDS.search(text) else "find_record",
            "po_with_budget_words" if _BUDGET_WORDS.search(text) else "po_alone")
    if names is not None:
        partner = names.partner(text)
        if partner.match is not None and partner.match.exact and scenario is None and _LOOKUP_WORDS.search(text):
            add("find_record", "partner_lookup")
        if names.project(text).match is not None:
            add("project_burndown", "project")
        if scenario is None and names.customer(text).match is not None:
            add("customer_payment_behaviour", "customer")
        if names.department(text).match is not None and _BUDGET_WORDS.search(text):
            add("budget_status", "department_budget")
    if find_threshold(text) is not None:
        add("cash_forecast", "threshold")
    return found


#: words that only say whom, when or how many: a part made of nothing else ("top 8 customers", "suppliers in
#: the coming weeks") refines the question before it and asks for no tool of its own
_ARGUMENT_WORDS = frozenset(["the", "a", "an", "in", "on", "for", "of", "to", "with", "by", "at", "from", "over", "within", "during", "next", "coming", "this", "last", "our", "my", "your", "their", "please", "pls", "thanks", "thank", "you", "top", "first", "all", "each", "every", "customers", "customer", "clients", "client", "suppliers", "supplier", "vendors", "vendor", "debtors", "creditors", "partners", "people", "companies", "day", "days", "week", "weeks", "month", "months", "quarter", "quarters", "year", "years", "today", "now", "so", "far", "until", "till", "before", "after", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "q1", "q2", "q3", "q4", "ytd", "mtd", "qtd", "fy", "and", "too", "also", "as", "well"])


_IT = re.compile(r"\b(?:it|its|this|that|they|them|their|these|those)\b", re.IGNORECASE)


def _about_the_same(part: str, before: str, names: NameIndex | None) -> bool:
    """A part about "it" that names nothing of its own, after a record or partner was named ("can you pull up
    BILL/2026/11/0036, is it paid, when was it due?"), asks more about that record."""
    named_before = bool(find_references(before)) or (names is not None and _names_something(before, names))
    return named_before and bool(_IT.search(part)) and not find_references(part) and not (
        names is not None and _names_something(part, names)) and find_scenario(part, names) is None


def _arguments_only(part: str) -> bool:
    words = [w for w in normalise(part).split() if not w.isdigit()]
    return bool(words) and all(w in _ARGUMENT_WORDS for w in words)


def _coherent(tools: list[str]) -> list[str]:
    """Drop calls another planned call already answers: a project's burn-down and a purchase order's budget
    check are the budget status that matters."""
    if ("project_burndown" in tools or "purchase_order_check" in tools) and "budget_status" in tools:
        tools = [t for t in tools if t != "budget_status"]
    return tools


def _confidence(scored: _Scored, best: str) -> float:
    """0..1: the best tool's probability, times how far ahead of the next one it is."""
    ranked = sorted((v for t, v in scored.total.items() if t != best), reverse=True)
    top = scored.total.get(best, 0.0)
    second = ranked[0] if ranked else 0.0
    margin = (top - second) / top if top > 0 else 0.0
    return round(min(1.0, top) * (0.5 + 0.5 * max(0.0, margin)), 3)


def _part_offsets(question: str, parts: Sequence[str]) -> list[int]:
    offsets, cursor = [], 0
    for part in parts:
        found = question.find(part, cursor)
        offsets.append(found if found >= 0 else cursor)
        cursor = max(cursor, found + len(part)) if found >= 0 else cursor
    return offsets


def _short(question: str) -> bool:
    return len(normalise(question).split()) <= 6


def _has_arguments(question: str, today: dt.date, names: NameIndex | None) -> bool:
    """Whether the question carries something a tool takes (a period, a record, a name, a number of
    days, a percentage...): "October?" alone is a follow-up; "hello" is not."""
    if find_references(question) or find_period(question, today) or find_duration_days(question) is not None:
        return True
    if find_percent_change(question) is not None or find_weeks(question) is not None or find_top(question):
        return True
    return names is not None and any(lookup.match is not None for lookup in
                                     (names.partner(question), names.project(question), names.department(question)))


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
_MIN_SCORE_WORDS = re.compile(r"\b(?:risk|score)\w*\s+(?:of\s+)?(?:above|over|at least|>=?|greater than|higher than"
                              r"|more than)\s+(?P<value>0?\.\d+|1(?:\.0+)?|\d{1,3}\s*%)"
                              r"|\b(?:risk|score)\w*\s+(?:of\s+)?(?P<value2>0?\.\d+|1(?:\.0+)?|\d{1,3}\s*%)\s+"
                              r"(?:or|and)\s+(?:higher|more|above|over|up)\b", re.IGNORECASE)


def _first_kind(text: str, table: Sequence[tuple[str, str]]) -> str | None:
    words = normalise(text)
    hits = []
    for pattern, value in table:
        match = re.search(rf"(?<!\w)(?:{pattern})(?!\w)", words)
        if match:
            hits.append((match.start(), value))
    return min(hits)[1] if hits else None


def _min_score(text: str) -> float | None:
    match = _MIN_SCORE_WORDS.search(text)
    if not match:
        return None
    raw = (match.group("value") or match.group("value2")).replace(" ", "")
    value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    return value if 0 <= value <= 1 else None


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
            missing.append("what to change (collections slipping N weeks, a customer paying late or not at all, "
                           "sales up or down x%, or a purchase order deferred N weeks)")
        else:
            values.update(scenario.arguments)
            missing.extend(scenario.missing)
            if "days" in values:
                values["days"] = _within(values["days"], 1, 180)
            if "weeks" in values:
                values["weeks"] = _within(values["weeks"], 1, MAX_WEEKS)
    elif tool_name in ("receivables_ageing", "payables_ageing", "slowest_payers"):
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
        department = names.department(question) if names is not None else NameLookup()
        if department.match is not None:
            values["department"] = department.match.name
        elif _ALL_DEPARTMENTS.search(question):
            values["department"] = None
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
        score = _min_score(question)
        if score is not None:
            values["min_score"] = score
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
                         inherited: Mapping[str, Mapping[str, Any]] | None = None,
                         intents: IntentScores | tuple | None = None) -> RoutePlan:
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
            elif "receivables_ageing" not in tools and "slowest_payers" not in tools:
                calls.append(PlannedCall("slowest_payers", _only(tool_arguments(
                    "slowest_payers", question, today, names).values, "slowest_payers")))
                notes.append("no customer named, so the customers are ranked by how late they pay")
            continue
        if missing:
            problems.append(f"{tool_name} needs {'; '.join(missing)}")
            continue
        if found.note:
            notes.append(found.note)
        calls.append(PlannedCall(tool_name, _only(values, tool_name)))
    calls = _dedupe(calls)
    top = tuple(intents.ranked[:3]) if isinstance(intents, IntentScores) else tuple(intents or ())
    if not calls:
        return RoutePlan((), 0.0, "Cannot run: " + "; ".join(problems) + ".", unknown=False, intents=top)
    text = reason.format(tools=", ".join(call.tool for call in calls))
    text += "".join(f"; {n}" for n in notes) + "".join(f"; left out {p}" for p in problems)
    return RoutePlan(tuple(calls), confidence, text, unknown=False, intents=top)


def _inherited_covers(tool_name: str, missing: str, values: Mapping[str, Any]) -> bool:
    required = {"customer_payment_behaviour": "customer", "find_record": "reference",
                "purchase_order_check": "order", "project_burndown": "project"}.get(tool_name)
    if required is not None:
        return required in values
    if tool_name == "cash_scenario":
        return "kind" in values and _scenario_complete(values)
    return False


_SCENARIO_NEEDS = {"delay_collections": ("days",), "delay_customer": ("customer", "days"),
                   "customer_default": ("customer",), "sales_change": ("percent",),
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


def _unknown(reason: str, scored: _Scored | None = None) -> RoutePlan:
    top = tuple(scored.intents.ranked[:3]) if scored is not None else ()
    return RoutePlan((), 0.0, reason, unknown=True, intents=top)


# --------------------------------------------------------------------------------------- requests to act

#: the read that helps beside a refusal, by what the request wanted to do
_ACT_READS = {"approve": "pending_proposals", "lock": "close_status", "budget": "budget_status",
              "reconcile": "close_status"}





# --------------------------------------------------------------------------------------- follow-ups


def _changes_earlier(text: str, earlier: Mapping[str, Mapping[str, Any]], today: dt.date,
                     names: NameIndex | None) -> bool:
    """Whether the follow-up gives one of the earlier tools a new argument ("and Operations?" after a budget
    question, "half of it gone?" after a sales what-if): then it most likely asks the same thing again."""
    for tool_name, arguments in earlier.items():
        if tool_name == "cash_scenario":
            if _adjusted_scenario(text, dict(arguments), names) != dict(arguments):
                return True
            continue
        found = tool_arguments(tool_name, text, today, names).values
        if any(arguments.get(key) != value for key, value in found.items()):
            return True
    return False


def _carry(carried: Mapping[str, Any], tool_name: str) -> dict[str, Any]:
    """The earlier arguments ``tool_name`` accepts (a close's month becomes a budget's period)."""
    accepted = TOOL_ARGUMENTS.get(tool_name, frozenset())
    out: dict[str, Any] = {}
    for key, value in carried.items():
        target = key if key in accepted else CARRY_AS.get(key)
        if target == "month" and key == "period" and not (isinstance(value, str) and _MONTH_LABEL.fullmatch(value)):
            continue                               # a quarter or a year is no close month
        if target in accepted and key != "kind" and target not in out:
            out[target] = value
    return out


def _resolve_partner(text: str, previous: RoutePlan, history: Sequence[str], names: NameIndex | None) -> str:
    """The follow-up with "they / them / their" replaced by the partner of the earlier question, so that
    the grammar finds it where the pronoun stood ("and if they never paid?" -> "and if Acme Ltd never paid?")."""
    if names is None or not _PRONOUN.search(text) or _names_partner_exactly(text, names):
        return text
    partner = None
    for call in previous.calls:
        for key in ("customer", "reference"):
            value = call.arguments.get(key)
            if partner is None and isinstance(value, str) and names.partner(value).match is not None:
                partner = names.partner(value).match.name
    for earlier in reversed(history):
        lookup = names.partner(earlier)
        if partner is None and lookup.match is not None:
            partner = lookup.match.name
    if partner is None:
        return text
    return _PRONOUN.sub(lambda m: f"{partner}'s" if m.group(0).lower() in ("their", "theirs") else partner, text,
                        count=1)


def _adjusted_scenario(question: str, earlier: dict[str, Any], names: NameIndex | None) -> dict[str, Any]:
    """"What about 3 weeks?" after a what-if: the same scenario with the new size; a change whose
    direction is not said keeps the earlier one ("and by a third?" after a fall is a fall)."""
    kind = earlier.get("kind")
    mention = find_scenario(question, names)
    if mention is not None and not mention.missing and not (mention.kind == kind == "sales_change"):
        return {}                                   # a new what-if of its own
    adjusted = dict(earlier)
    if (factor := _scale_factor(question)) is not None:
        # "twice as bad", "half as much": the same what-if, its size scaled
        for key in ("days", "percent", "weeks"):
            if isinstance(adjusted.get(key), (int, float)):
                scaled = adjusted[key] * factor
                adjusted[key] = round(scaled, 2) if key == "percent" else max(1, round(scaled))
        return adjusted
    days = find_duration_days(question)
    if kind in ("delay_collections", "delay_customer") and days is not None:
        adjusted["days"] = days
    elif kind == "defer_po" and days is not None:
        adjusted["weeks"] = max(1, math.ceil(days / 7))
    elif kind == "sales_change":
        percent = find_percent_change(question)
        if percent is None and (bare := _BARE_CHANGE.fullmatch(normalise_change(question))):
            percent = float(bare.group("value"))         # "and -25?" after a sales what-if
        if percent is not None:
            if not percent_direction_stated(question) and isinstance(earlier.get("percent"), (int, float)):
                percent = math.copysign(abs(percent), earlier["percent"])
            adjusted["percent"] = percent
    if kind in ("customer_default", "delay_customer") and names is not None:
        customer = names.customer(question)
        if customer.match is not None:
            adjusted["customer"] = customer.match.name
    return adjusted


_SCALE = re.compile(r"\b(?P<twice>twice|double|two times)\s+(?:as\s+)?(?:bad|much|big|large|long|deep|severe|that|it)\b"
                    r"|\b(?P<half>half)\s+as\s+(?:bad|much|big|large|long|deep|severe)\b"
                    r"|\b(?P<three>three times|triple)\s+(?:as\s+)?(?:bad|much|big|large|long|that|it)\b",
                    re.IGNORECASE)


def _scale_factor(question: str) -> float | None:
    match = _SCALE.search(question)
    if not match:
        return None
    return 2.0 if match.group("twice") else 0.5 if match.group("half") else 3.0


_BARE_CHANGE = re.compile(r"(?:and|what about|how about|or|say)?\s*(?P<value>[-+]?\d+(?:\.\d+)?)\s*(?:instead)?")


def normalise_change(text: str) -> str:
    return re.sub(r"[?!.,]", " ", text).strip().lower()
