"""What kind of request a message is, from the user's own words: a question, a request to act, a request
for a proposal, something outside the books, or small talk.

ledgerpilot reads the books and proposes; a person approves. So before any tool is chosen, the message
itself is sorted (never the tool results or Odoo data, which may carry planted text):

- **act**: the message tells ledgerpilot to do something -- pay, wire, transfer, delete, void, cancel,
  approve, reject, post, book, lock, close the period, send, email, mark as paid, reconcile, write off,
  refund, change or move a budget... An imperative (``ACT_VERBS`` at the start of a clause, after
  "please", "can you", "go ahead and", "I authorise you to"...) or a wish ("I need X paid today",
  "get it posted") makes it one. The answer says plainly that ledgerpilot does not act, what it can do
  instead (a proposal, the command or page where a person approves), and shows the relevant read.
- **propose**: an explicit request for a proposal: draft / propose / prepare an entry, create /
  schedule / set up an activity or reminder, add / leave / put a note (``propose_requests``). Only
  this kind may store anything.
- **outside**, **chitchat**: the intent classifier (``intents``) says so with probability 0.5 or more
  and the message names nothing from the books (no reference, no known name, no period, no amount).
- **question**: everything else; the router picks the read tools.

A question that merely talks about an action ("did we pay Acme?", "should we pay the bill now?",
"what would happen if we paid early?", "can we close October?") is a question: questions start with a
question word or "can we / should we / do we", and the verbs that act are read only in the imperative
or as a wish.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

RequestKind = Literal["question", "act", "propose", "outside", "chitchat"]

#: verbs that, in the imperative, ask ledgerpilot to change the books or the world (with their family)
ACT_VERBS: dict[str, str] = {
    "pay": "pay", "repay": "pay", "wire": "pay", "transfer": "pay", "remit": "pay", "settle": "pay",
    "disburse": "pay", "release": "pay", "send money": "pay", "make the payment": "pay", "run the payment": "pay",
    "process the payment": "pay", "execute": "pay",
    "delete": "change_record", "remove": "change_record", "void": "change_record", "cancel": "change_record",
    "mark": "change_record", "refund": "change_record", "reimburse": "change_record", "reverse": "change_record",
    "issue": "change_record", "write off": "change_record", "write-off": "change_record", "archive": "change_record",
    "reopen": "change_record", "unreconcile": "change_record", "edit": "change_record", "fix": "change_record",
    "correct": "change_record", "create": "change_record", "add": "change_record", "register": "change_record",
    "validate": "change_record", "confirm": "change_record", "update": "change_record", "modify": "change_record",
    "approve": "approve", "reject": "approve", "decline": "approve", "sign off": "approve", "authorise": "approve",
    "authorize": "approve", "accept": "approve",
    "post": "post", "book": "post", "record": "post", "enter": "post", "journalise": "post", "journalize": "post",
    "lock": "lock", "unlock": "lock", "close": "lock", "freeze": "lock", "finalise": "lock", "finalize": "lock",
    "send": "send", "email": "send", "e-mail": "send", "mail": "send", "notify": "send", "message": "send",
    "text": "send", "call": "send", "chase": "send", "dun": "send", "contact": "send", "tell": "send",
    "change": "budget", "move": "budget", "shift": "budget", "reallocate": "budget", "increase": "budget",
    "decrease": "budget", "raise": "budget", "lower": "budget", "cut": "budget", "top up": "budget",
    "adjust": "budget", "bump": "budget",
    "reconcile": "reconcile", "match": "reconcile", "clear": "reconcile",
}
#: what must follow some verbs for them to act ("close the period", not "close status")
_NEEDS_OBJECT = {
    "close": r"(?:the |our |this |that |last )?(?:books|period|month|year|quarter|ledger|january|february|march|april"
             r"|may|june|july|august|september|october|november|december|\d{4}-\d{2}\b)",
    "mark": r"[^.?!]{0,60}?\b(?:as )?(?:paid|settled|done|closed|cancelled|canceled|reconciled|void)",
    "add": r"[^.?!]{0,40}?\b(?:to|into|in) (?:the )?(?:budget|books|ledger|invoice|bill|journal)",
    "create": r"(?:an? |the |new )*(?:invoice|credit note|bill|payment|refund|journal entry|entry|vendor|customer|po"
              r"|purchase order)",
    "issue": r"(?:an? |the |new )*(?:invoice|credit note|refund|payment|po|purchase order)",
    "text": r"(?:the |our )?(?:customer|client|vendor|supplier|them|him|her|[A-Z]\w+)",
    "call": r"(?:the |our )?(?:customer|client|vendor|supplier|them|him|her|[A-Z]\w+)",
    "tell": r"(?!me\b|us\b)",
    "message": r"(?!me\b|us\b)",
    "send": r"(?!(?:me|us)\b)",
    "email": r"(?!(?:me|us)\b)",
    "e-mail": r"(?!(?:me|us)\b)",
    "mail": r"(?!(?:me|us)\b)",
    "enter": r"(?:an? |the )?(?:entry|journal|accrual|invoice|bill|payment|adjustment)",
    "record": r"(?:an? |the |this |that )?(?:entry|journal|accrual|invoice|bill|payment|adjustment|expense|revenue"
              r"|\d)",
    "clear": r"(?:the |these |those |all )?(?:bank|statement|open|suspense|items|lines|invoice|bill|balance)",
    "match": r"(?:the |these |those |all )?(?:bank|statement|open|payment|payments|lines|invoice|invoices|receipts)",
    "fix": r"(?:the |this |that |it |these |those )?(?:entry|entries|invoice|bill|journal|booking|ledger|posting)",
    "correct": r"(?:the |this |that |it |these |those )?(?:entry|entries|invoice|bill|journal|booking|ledger"
               r"|posting)",
    "update": r"(?:the |this |that |our )?(?:budget|invoice|bill|entry|record|vendor|customer|payment|bank)",
    "modify": r"(?:the |this |that |our )?(?:budget|invoice|bill|entry|record|vendor|customer|payment|bank)",
    "change": r"[^.?!]{0,40}?\b(?:budget|invoice|bill|entry|record|vendor|due date|payment|bank|amount|account)",
    "move": r"[^.?!]{0,40}?\b(?:budget|money|cash|funds|\d|k\b|from|to)",
    "shift": r"[^.?!]{0,40}?\b(?:budget|money|cash|funds|\d)",
    "increase": r"[^.?!]{0,40}?\b(?:budget|limit|credit|amount)",
    "decrease": r"[^.?!]{0,40}?\b(?:budget|limit|credit|amount)",
    "raise": r"[^.?!]{0,40}?\b(?:budget|limit|invoice|po|purchase order|credit note)",
    "lower": r"[^.?!]{0,40}?\b(?:budget|limit|amount)",
    "cut": r"[^.?!]{0,40}?\b(?:budget|spend|cheque|check|payment)",
    "adjust": r"[^.?!]{0,40}?\b(?:budget|entry|invoice|bill|balance|amount)",
    "bump": r"[^.?!]{0,40}?\b(?:budget|limit)",
    "top up": r"[^.?!]{0,40}?\b(?:budget|account)",
    "accept": r"(?:the |this |all |every |those |these )?(?:proposals?|suggestions?|entries|entry|accruals?"
              r"|adjustments?|pending)",
    "release": r"(?:the |this |that |all )?(?:payment|payments|hold|funds|money|po|purchase order|bill)",
    "execute": r"(?:the |this |that )?(?:payment|payments|transfer|wire|batch|pay run)",
    "settle": r"(?:the |this |that |all |our )?(?:bill|bills|invoice|invoices|account|balance|debt|[A-Z]\w+)",
    "book": r"(?!(?:a |the )?(?:meeting|call|flight|room|hotel)\b)",
    "confirm": r"(?:the |this |that |our |all )?(?:payment|payments|order|po|purchase order|invoice|bill|receipt|booking"
               r"|entry|entries|transfer)\b",
    "validate": r"(?:the |this |that |our |all )?(?:payment|payments|order|po|invoice|bill|entry|entries|transfer)\b",
}
_LEAD = (r"(?:(?:ok(?:ay)?|so|now|then|and|also|right|alright|hey|hi|yes|sure|great|thanks)[,!]?\s+)*"
         r"(?:(?:please|pls|plz|kindly|just|quickly|simply|urgent(?:ly)?|asap|immediately|now)[,!]?\s+)*"
         r"(?:(?:can|could|would|will|wil) (?:you|u|ya)\s+(?:please\s+|just\s+|kindly\s+)*"
         r"|(?:i|we) (?:need|want|would like|'d like|d like) (?:you|u) to\s+(?:please\s+)?"
         r"|(?:do|would) you mind\s+|go ahead and\s+|feel free to\s+|you (?:can|may|should|must|have to|need to) "
         r"(?:now |just |go ahead and )?"
         r"|(?:i|we) (?:authori[sz]e|allow|permit|instruct|order|ask) (?:you|u) to\s+|you have my (?:permission|"
         r"authori[sz]ation|approval|ok) to\s+|make sure (?:you|to)\s+|remember to\s+|time to\s+|let'?s\s+"
         r"|i'?m authori[sz]ing you(?: to)?[:,]?\s+|help me\s+)?"
         r"(?:(?:please|pls|just|kindly|quickly|also|now)\s+)*")
_VERB_FORMS = "|".join(sorted((re.escape(v) for v in ACT_VERBS), key=len, reverse=True))
_IMPERATIVE = re.compile(rf"^{_LEAD}(?P<verb>{_VERB_FORMS})\b(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
#: a wish for something to be done: "I need X paid today", "get the bill posted", "have them emailed"
_WISH = re.compile(r"\b(?:need|want|get|have|make|like)\b[^.?!]{0,60}?\b(?P<done>paid|wired|transferred|deleted"
                   r"|removed|voided|cancelled|canceled|approved|posted|booked|locked|closed|sent|emailed|e-mailed"
                   r"|reconciled|written off|refunded|reversed|moved|changed|increased|settled)\b"
                   r"(?![^.?!]{0,20}\b(?:yet|already|last|when|before)\b)",
                   re.IGNORECASE)
_DONE_FAMILY = {"paid": "pay", "wired": "pay", "transferred": "pay", "settled": "pay", "deleted": "change_record",
                "removed": "change_record", "voided": "change_record", "cancelled": "change_record",
                "canceled": "change_record", "refunded": "change_record", "reversed": "change_record",
                "written off": "change_record", "approved": "approve", "posted": "post", "booked": "post",
                "locked": "lock", "closed": "lock", "sent": "send", "emailed": "send", "e-mailed": "send",
                "reconciled": "reconcile", "moved": "budget", "changed": "budget", "increased": "budget"}
#: a wish that is really a question ("I want to know if we paid", "I need to see what was posted")
_WONDERS = re.compile(r"\b(?:know|see|check|find out|understand|confirm|verify|whether|if|tell me|show me|why|when"
                      r"|what|which|how)\b", re.IGNORECASE)
#: questions start like this ("did we pay", "should we lock", "can we close", "what if we paid")
_QUESTION_START = re.compile(r"^(?:why|what|when|who|whom|whose|which|where|how|did|do|does|is|are|was|were|has"
                             r"|have|had|should|shall|could we|can we|may we|might|would it|would we|will we"
                             r"|if|suppose|assuming|any|anything)\b", re.IGNORECASE)
#: clauses end at . ! ? ; , (not the dot of an abbreviation such as "Inc." or "e.g."), a line break, a dash or
#: a colon
_CLAUSE_END = re.compile(r"[.!?;,]\s+|\n+|\s+-{1,2}\s+|:\s+(?=[a-z])", re.IGNORECASE)
_ABBREVIATION = re.compile(r"(?:^|[\s(])(?:inc|ltd|co|corp|llc|plc|bv|sa|ag|nv|no|nr|vs|etc|mr|mrs|ms|dr|st|jr|sr"
                           r"|e\.g|i\.e)$", re.IGNORECASE)


def _clauses(text: str) -> list[str]:
    out, start = [], 0
    for match in _CLAUSE_END.finditer(text):
        if match.group(0).startswith(".") and _ABBREVIATION.search(text[start:match.start()]):
            continue
        out.append(text[start:match.start()])
        start = match.end()
    out.append(text[start:])
    return out


#: inside a clause, "..., and then pay them" starts another imperative
_AND_THEN = re.compile(r"\s+(?:and then|and|then|also|plus)\s+", re.IGNORECASE)


def pieces(text: str) -> list[str]:
    """The clauses, and the parts of a clause joined by "and" / "then" (each may be its own imperative);
    a clause that starts as a question is kept whole ("did we pay and post it?" asks)."""
    out: list[str] = []
    for clause in _clauses(text):
        parts = [clause] if _QUESTION_START.match(clause.strip()) else _AND_THEN.split(clause)
        out.extend(parts)
    return out


@dataclass(frozen=True)
class Request:
    """How a message was sorted: its kind, and for a request to act the verb and its family."""

    kind: RequestKind
    verb: str = ""
    family: str = ""          # pay, change_record, approve, post, lock, send, budget, reconcile
    reason: str = ""
    clause: str = ""          # the part of the message that asks to act (the rest may be a question)


def act_request(text: str) -> Request | None:
    """The request to act in ``text`` (an imperative or a wish), or ``None``: see the module docstring."""
    for clause in pieces((text or "").strip()):
        clause = clause.strip(" ,")
        if not clause or _QUESTION_START.match(clause) and not re.match(r"^(?:can|could|would|will) you\b",
                                                                         clause, re.IGNORECASE):
            continue
        match = _IMPERATIVE.match(clause)
        if match:
            verb = match.group("verb").lower()
            follow = _NEEDS_OBJECT.get(verb)
            rest = match.group("rest").lstrip()
            if follow is None or re.match(follow, rest, re.IGNORECASE):
                return Request("act", verb, ACT_VERBS[verb], f"asks ledgerpilot to {verb}", clause)
        wish = _WISH.search(clause)
        if wish and not _QUESTION_START.match(clause) and not _WONDERS.search(clause[:wish.start("done")]):
            done = wish.group("done").lower()
            return Request("act", done, _DONE_FAMILY[done], f"asks for something to be {done}", clause)
    return None


#: an action verb anywhere: the classifier alone never makes a message a request to act without one
_ANY_ACT_VERB = re.compile(rf"\b(?P<verb>{_VERB_FORMS}|{'|'.join(_DONE_FAMILY)})(?:s|ed|ing)?\b", re.IGNORECASE)


def _acting_verb(text: str) -> str:
    """An action verb of the message with what it needs after it ("close the books", not "close status")."""
    for match in _ANY_ACT_VERB.finditer(text or ""):
        verb = match.group("verb").lower()
        follow = _NEEDS_OBJECT.get(verb)
        if follow is None or re.match(follow, text[match.end():].lstrip(), re.IGNORECASE):
            return verb
    return ""


def classify(text: str, *, proposal_requested: bool, intent: str = "", probability: float = 0.0,
             names_books: bool = False) -> Request:
    """Sort a message (module docstring). ``proposal_requested``: the proposal grammar found an explicit
    request for a proposal; ``intent``/``probability``: the classifier's best intent for the whole
    message; ``names_books``: the message names something from the books (a reference, a known name) or
    follows up an earlier question, which keeps it a question whatever the classifier says. The classifier
    alone makes a request to act only when an action verb is in the message."""
    if proposal_requested:
        return Request("propose", reason="asks for a proposal")
    acting = act_request(text)
    if acting is not None:
        return acting
    verb = _acting_verb(text)
    if intent == "act" and probability >= ACT_PROBABILITY and verb and not _QUESTION_START.match(text.strip()):
        return Request("act", verb, ACT_VERBS.get(verb) or _DONE_FAMILY.get(verb, ""), "reads as a request to act")
    if intent == "propose" and probability >= ACT_PROBABILITY:
        return Request("act", "propose", "propose", "asks for a proposal ledgerpilot cannot prepare from chat")
    if intent in ("outside", "chitchat") and probability >= OUTSIDE_PROBABILITY and not names_books:
        return Request(intent, reason=f"reads as {'small talk' if intent == 'chitchat' else 'outside the books'}")
    return Request("question")


#: the classifier's probability from which "act" (without an imperative the grammar knows) or "outside"
#: and "chitchat" decide
ACT_PROBABILITY = 0.6
OUTSIDE_PROBABILITY = 0.5
