"""Explicit requests to propose something ("draft an entry ...", "create an activity for ...", "add a note
to ...: ..."), read into a plan for a propose tool only when every required argument is in the question."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerpilot.agent.question_parsing import (
    NameIndex,
    find_month,
    find_period,
    find_references,
    parse_amount,
    without_references,
)
from ledgerpilot.agent.route_plan import PlannedCall, RoutePlan

_ASKS_ABOUT = re.compile(r"^\s*(?:why|what|when|who|whom|which|where|how|did|do|does|is|are|was|were|has|have|had)\b",
                         re.IGNORECASE)
_ASKS_TO = re.compile(r"^\s*(?:can|could|would|will) you\b|^\s*(?:do|would) you mind\b", re.IGNORECASE)
_POLITE = (r"(?:(?:please|pls|kindly|can you|could you|would you|will you|go ahead and|i want you to"
           r"|i'?d like you to|let'?s)\s+)*")
_ENTRY_REQUEST = re.compile(r"\b(?:draft|propose|prepare|create|raise|make|set up|suggest|queue)\s+"
                            r"(?:an?|the|one|new)\s+(?:[\w-]+\s+){0,3}?"
                            r"(?:entry|accrual|journal|je|reclass(?:ification)?|adjustment)\b", re.IGNORECASE)
_ACTIVITY_REQUEST = re.compile(r"\b(?:activity|task|reminder|follow[- ]?up|to[- ]?do)\s+(?:be\s+)?(?:proposed|drafted"
                               r"|prepared|created|set up|scheduled|queued)\b"
                               r"|\b(?:create|schedule|add|set up|log|assign|plan|open|make|propose|put|leave|drop"
                               r"|prepare|draft|raise|queue|book|suggest)\s+"
                               r"(?:an?|the|one|new)\s+(?:[\w-]+\s+){0,2}?"
                               r"(?:activity|task|reminder|follow[- ]?up|to[- ]?do)\b"
                               r"|^" + _POLITE + r"remind\s+\w+\s+to\b", re.IGNORECASE)
_NOTE_REQUEST = re.compile(r"\b(?:add|post|leave|log|write|put|attach|propose)\s+(?:an?|the|this|one)\s+"
                           r"(?:[\w-]+\s+){0,2}?(?:note|comment)\b", re.IGNORECASE)
_ACCOUNT = {
    "debit": re.compile(r"\b(?:debit(?:ing|ed)?|dr\.?)\s+(?:to\s+)?(?:account\s+|acct\.?\s+)?(?P<code>\d{3,8})\b",
                        re.IGNORECASE),
    "credit": re.compile(r"\b(?:credit(?:ing|ed)?|cr\.?)\s+(?:to\s+)?(?:account\s+|acct\.?\s+)?(?P<code>\d{3,8})\b",
                         re.IGNORECASE),
}
_ISO_DATE = re.compile(r"\b(?P<date>(?:19|20)\d{2}-\d{2}-\d{2})\b")
_MONTH_END = re.compile(r"\b(?:month[- ]end|end of (?:the )?month|end of (?P<which>last|this) month)\b", re.IGNORECASE)
_JOURNAL = re.compile(r"\b(?:in|into|on)\s+(?:the\s+)?(?P<code>[A-Za-z]{2,6}\d?)\s+journal\b"
                      r"|\bjournal\s+(?P<code2>[A-Z]{2,6}\d?)\b")
_AMOUNT_CUE = re.compile(r"\b(?:for|of|amount(?:ing)? (?:to|of)?|totall?ing|worth)\s+", re.IGNORECASE)
_DUE = re.compile(r"\b(?:due\s+)?(?:in|within)\s+(?P<count>\d+|a|an|one|two|three|four|five|six|seven|ten|fourteen)\s+"
                  r"(?P<unit>days?|weeks?)\b", re.IGNORECASE)
_ASSIGN = re.compile(r"\b(?:assign(?:ed)?\s+(?:it\s+)?to|for user|owner)\s+(?P<who>[\w.@ -]{2,40})", re.IGNORECASE)
_SUMMARY = re.compile(r"\b(?:to|about|saying|re:?)\s+(?P<what>(?!me\b|him\b|her\b|them\b)[^,.;:]+?)"
                      r"(?=\s*(?:,|\.|;|$|\bassign|\bdue\b|\bwithin\b|\bby\b|\bin \d))", re.IGNORECASE)
_NOTE_TEXT = re.compile(r"(?::\s*|\b(?:saying|that says|reading|with the text|with text|text)\s+)(?P<text>.+)$",
                        re.IGNORECASE | re.DOTALL)
#: the activity's summary written after a colon: "a to-do on INV/2026/00042 for clerk: call the customer"
_AFTER_COLON = re.compile(r":\s*(?P<what>[^\n]{3,200}?)\s*(?=[.!?](?:\s|$)|,\s*(?:due|assign|by|within)\b|$)")
_QUOTED = re.compile(r"[\"“](?P<text>[^\"”]+)[\"”]")
#: any day: only whether a text names a period matters here, not which year
_ANY_DAY = dt.date(2000, 1, 1)
_NUMBER_WORDS_DUE = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10,
                     "fourteen": 14}


def proposal_plan(question: str, today: dt.date, names: NameIndex | None) -> RoutePlan | None:
    """A plan for an explicit request to draft an entry, create an activity or add a note; ``None``
    when the question asks for none of them ("why did we post an accrual entry?" asks about one)."""
    if _ASKS_ABOUT.search(question) and not _ASKS_TO.search(question):
        return None
    if _NOTE_REQUEST.search(question):
        return _note_plan(question, names)
    if _ACTIVITY_REQUEST.search(question):
        return _activity_plan(question, today, names)
    if _ENTRY_REQUEST.search(question):
        return _entry_plan(question, today, names)
    return None


def _record_in(question: str, names: NameIndex | None) -> str | None:
    references = find_references(question)
    if references:
        return references[0].name
    if names is not None:
        partner = names.partner(question)
        if partner.match is not None and partner.match.exact:
            return partner.match.name
    return None


def _cannot_propose(tool_name: str, missing: Sequence[str]) -> RoutePlan:
    return RoutePlan((), 0.0, f"Cannot prepare {tool_name}: the request does not say {' or '.join(missing)}.",
                     unknown=False)


def _note_plan(question: str, names: NameIndex | None) -> RoutePlan:
    record = _record_in(question, names)
    text = None
    if quoted := _QUOTED.search(question):
        text = quoted.group("text").strip()
    else:
        after = question
        if record is not None:
            position = question.upper().find(record.upper())
            after = question[position + len(record):] if position >= 0 else question
        if match := _NOTE_TEXT.search(after):
            text = match.group("text").strip()
    missing = [m for m, ok in (("which record to note on (a reference such as INV/2026/00042)", record),
                               ("the note's text (after a colon, or in quotes)", text)) if not ok]
    if missing:
        return _cannot_propose("propose_note", missing)
    return RoutePlan((PlannedCall("propose_note", {"record": record, "text": text}),), 0.9,
                     f"explicit request to add a note to {record}")


def _activity_plan(question: str, today: dt.date, names: NameIndex | None) -> RoutePlan:
    record = _record_in(question, names)
    if record is None:
        return _cannot_propose("propose_activity", [("which record the activity is on (a reference such as "
                                                     "INV/2026/00042 or a partner's name)")])
    position = question.upper().find(record.upper())
    after = question[position + len(record):] if position >= 0 else question
    colon = _AFTER_COLON.search(after)
    summary_match = _SUMMARY.search(after) or _SUMMARY.search(question)
    summary = colon.group("what").strip() if colon else summary_match.group("what").strip() if summary_match else ""
    if len(summary) < 3:
        summary = f"Follow up on {record}"
    summary = summary[:1].upper() + summary[1:]
    arguments: dict[str, Any] = {"record": record, "summary": summary[:200], "note": question[:2000]}
    if assign := _ASSIGN.search(question):
        who = assign.group("who")
        login = names.user(who) if names is not None else None
        arguments["assign_to"] = login or who.split()[0].strip(".,")
    elif names is not None and (login := names.user(question)) is not None:
        arguments["assign_to"] = login          # "a to-do for clerk", "remind Chloe Controller to ..."
    if due := _DUE.search(question):
        count = due.group("count")
        number = int(count) if count.isdigit() else _NUMBER_WORDS_DUE[count.lower()]
        arguments["due_in_days"] = number * (7 if due.group("unit").lower().startswith("week") else 1)
    return RoutePlan((PlannedCall("propose_activity", arguments),), 0.9,
                     f"explicit request to create an activity on {record}")


def _entry_plan(question: str, today: dt.date, names: NameIndex | None) -> RoutePlan:
    accounts = {side: (m.group("code") if (m := pattern.search(question)) else None)
                for side, pattern in _ACCOUNT.items()}
    day = today
    if match := _ISO_DATE.search(question):
        try:
            day = dt.date.fromisoformat(match.group("date"))
        except ValueError:
            return _cannot_propose("propose_journal_entry", [f"a valid date ({match.group('date')} is not one)"])
    elif match := _MONTH_END.search(question):
        month = find_month(question, today)
        if month is None:
            from ledgerpilot.domain.month import Month

            month = Month.of(today).shift(-1 if (match.group("which") or "").lower() == "last" else 0)
        day = month.end
    amount = _entry_amount(question, accounts)
    missing = [what for what, ok in (("the account to debit (\"debit 6100\")", accounts["debit"]),
                                     ("the account to credit (\"credit 2100\")", accounts["credit"]),
                                     ("the amount", amount)) if not ok]
    if missing:
        return _cannot_propose("propose_journal_entry", missing)
    partner = None
    if names is not None:
        lookup = names.partner(question)
        partner = lookup.match.name if lookup.match is not None and lookup.match.exact else None
    label = _entry_label(question)
    lines = [{"account": accounts["debit"], "partner": partner, "label": label, "debit": str(amount),
              "credit": "0.00"},
             {"account": accounts["credit"], "partner": partner, "label": label, "debit": "0.00",
              "credit": str(amount)}]
    arguments: dict[str, Any] = {"date": day.isoformat(), "reason": question[:500], "lines": lines}
    if journal := _JOURNAL.search(question):
        arguments["journal"] = (journal.group("code") or journal.group("code2")).upper()
    return RoutePlan((PlannedCall("propose_journal_entry", arguments),), 0.9,
                     f"explicit request to draft an entry debiting {accounts['debit']} and crediting "
                     f"{accounts['credit']}")


def _entry_amount(question: str, accounts: Mapping[str, str | None]) -> Decimal | None:
    text = without_references(question)
    text = _ISO_DATE.sub(" ", text)
    for pattern in _ACCOUNT.values():
        text = pattern.sub(" ", text)
    for cue in _AMOUNT_CUE.finditer(text):
        value = parse_amount(text[cue.end():cue.end() + 30])
        if value is not None and re.match(r"\s*[\d€$£]|\s*(?:eur|usd|gbp|chf)", text[cue.end():], re.IGNORECASE):
            return _money(value)
    value = parse_amount(text)
    return _money(value) if value is not None else None


def _money(value: float) -> Decimal | None:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return amount if amount > 0 else None


def _entry_label(question: str) -> str:
    for match in re.finditer(r"\b(?:for|to record|because|reason:?)\s+(?P<what>[^,.;]+?)(?=\s*(?:,|\.|;|$|\bdebit|"
                             r"\bcredit|\bdated\b|\bon \d|\bfor\b))", question, re.IGNORECASE):
        what = match.group("what").strip().rstrip(":")
        if find_period(what, _ANY_DAY) is not None and len(what.split()) <= 2:
            continue      # "for November": when, not what
        if not re.fullmatch(r"(?:eur|usd|gbp|chf|[€$£])?\s*[\d\s.,]+\s*(?:k|m|mn|million|thousand)?"
                            r"\s*(?:eur|usd|gbp|chf)?", what, re.IGNORECASE):
            return what[:80]
    return "Adjustment"
