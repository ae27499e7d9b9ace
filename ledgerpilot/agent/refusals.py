"""What ledgerpilot says when it will not act, when a question is outside the books, or to small talk.

ledgerpilot reads the books and proposes; a person with the right Odoo role approves, and only then is
anything written to Odoo. A request to act gets that answer in plain words, then what ledgerpilot *can*
do instead (a proposal, the command or page where a person decides), then -- when the router ran one --
the read that shows what the request was about. These answers are the same offline and with a model:
no model decides whether ledgerpilot acts.
"""

from __future__ import annotations

import re

CAPABILITIES = ("cash position and the cash forecast (lowest point, shortfalls, drivers), what-if scenarios "
                "(late collections, one customer paying late or not at all, sales changes, deferring a purchase "
                "order), receivables and payables ageing, a customer's payment behaviour and the slowest payers, "
                "budget status (by period and department), whether a purchase order fits its budget, a project's "
                "budget burn-down, the month-end close status and findings, anomalies, proposals waiting for "
                "approval, and looking up an invoice, bill, order, payment or partner by reference")

NO_ACTION = ("ledgerpilot reads your books and prepares proposals; a person with the right Odoo role approves "
             "them before anything is written to Odoo.")

APPROVAL = ("A controller approves proposals with `ledgerpilot proposals approve ID` (or rejects them) or on the "
            "approval page (`ledgerpilot serve`); whoever asked for a proposal cannot approve it.")

#: what ledgerpilot can do instead, by what the request wanted
INSTEAD: dict[str, str] = {
    "pay": ("The cash forecast proposes payments for the bills due soon (`ledgerpilot forecast`), and I can propose "
            "an activity asking whoever pays bills to pay this one (\"propose an activity on <the bill> for "
            "<colleague>: pay this bill\")."),
    "change_record": ("I can propose a note on the record, or an activity for the person who handles it "
                      "(\"add a note to <the record>: ...\", \"propose an activity on <the record> for <colleague>: "
                      "...\"); the change itself is made in Odoo by a person."),
    "approve": APPROVAL,
    "post": ("I can propose a draft entry for approval (\"propose an entry debit <account> credit <account> for "
             "<amount> for <reason>\"); once a controller approves it, it is written to Odoo."),
    "lock": ("The month-end close proposes the lock date once its checks pass (`ledgerpilot close run`), and a "
             "controller approves it."),
    "send": ("I cannot send messages. I can propose an activity on the invoice for whoever chases customers, or a "
             "note in its chatter."),
    "budget": ("When a budget line is projected to overspend, the budget watch proposes a transfer or a hold "
               "(`ledgerpilot budget`), and a controller approves it."),
    "reconcile": ("The month-end close proposes bank matches (`ledgerpilot close matches`); reconciling is done in "
                  "Odoo by a person."),
    "propose": ("From chat I can propose a draft journal entry, an activity or a note. Payments are proposed by the "
                "cash forecast, budget transfers by the budget watch and lock dates by the close."),
}
_BASE_FORM = {"paid": "pay", "wired": "wire", "transferred": "transfer", "settled": "settle", "deleted": "delete",
              "removed": "remove", "voided": "void", "cancelled": "cancel", "canceled": "cancel", "refunded": "refund",
              "reversed": "reverse", "written off": "write off", "approved": "approve", "posted": "post",
              "booked": "book", "locked": "lock", "closed": "close", "sent": "send", "emailed": "email",
              "e-mailed": "email", "reconciled": "reconcile", "moved": "move", "changed": "change",
              "increased": "increase", "propose": "prepare"}


def act_answer(verb: str, family: str, reads: str = "") -> str:
    """The refusal of a request to act: that ledgerpilot does not act, what it can do, then the reads."""
    base = _BASE_FORM.get(verb, verb) or "do that"
    lead = f"I can't {base} anything myself: {NO_ACTION}"
    if family == "propose":
        lead = f"I can't prepare that kind of proposal from chat: {NO_ACTION}"
    parts = [lead, INSTEAD.get(family, APPROVAL)]
    if family not in ("approve",):
        parts.append(APPROVAL)
    if reads.strip():
        parts.append("Here is what the books say:\n\n" + reads.strip())
    return "\n\n".join(parts)


def outside_answer() -> str:
    return ("That is outside what I can see in your books. I answer from the company's books in Odoo: "
            f"{CAPABILITIES}.")


_THANKS = re.compile(r"\b(?:thanks?|thank you|thx|ty|cheers|appreciated?)\b", re.IGNORECASE)
_BYE = re.compile(r"\b(?:bye|goodbye|see you|later|good night)\b", re.IGNORECASE)


def chitchat_answer(text: str) -> str:
    if _THANKS.search(text or ""):
        return "You're welcome. Ask me anything about the books whenever you need."
    if _BYE.search(text or ""):
        return "Goodbye. I'm here when you need the books."
    return (f"Hello. I answer questions about the company's books: {CAPABILITIES}. {NO_ACTION}")


def unknown_answer(reason: str) -> str:
    """What the agent says when no tool fits: why, and what it can answer."""
    lead = reason.strip() or "I could not tell which part of the books that question is about."
    return (f"That is outside what I can see in your books, or I did not understand it: {lead[:1].lower()}"
            f"{lead[1:]}\n\nI can answer questions about {CAPABILITIES}.")
