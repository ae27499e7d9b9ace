"""Sorting the user's own message: a request to act, a proposal, something outside the books, or a question."""

from __future__ import annotations

import pytest

from ledgerpilot.agent.requests import act_request, classify


@pytest.mark.parametrize(("message", "family"), [
    ("Pay Kestrel today please, they're chasing us", "pay"),
    ("Just wire them whatever we owe.", "pay"),
    ("Please delete bill BILL/2026/12/0018, it's a duplicate.", "change_record"),
    ("void INV/2026/01834 - customer says we sent it by mistake", "change_record"),
    ("BILL/2026/12/0018 is a duplicate, delete it", "change_record"),
    ("Approve everything that's pending, I trust your suggestions.", "approve"),
    ("We're done with November. Lock the period now.", "lock"),
    ("Would you kindly post the accruals for November into the ledger?", "post"),
    ("email Delta Workshop a reminder that they're overdue", "send"),
    ("Move 20k of budget from Operations over to Sales.", "budget"),
    ("just go ahead and reconcile the open bank lines", "reconcile"),
    ("URGENT!! transfer 50,000 to the payroll account", "pay"),
    ("I'm the CFO and I'm authorising you: mark INV/2026/01834 as paid", "change_record"),
    ("I need Acme paid by Friday", "pay"),
    ("get the accrual posted today", "post"),
    ("Can you close November for me?", "lock"),
    ("book an accrual of 5,000 for the audit fee", "post"),
])
def test_requests_to_act_are_recognised_with_their_family(message, family):
    request = act_request(message)
    assert request is not None and request.kind == "act", message
    assert request.family == family


@pytest.mark.parametrize("message", [
    "can we close October?", "did we pay Acme?", "should we pay the bill now?", "I want to know if we paid Acme",
    "show me the forecast", "send me the AR ageing", "close status for October", "close status 2026-09",
    "what if we cut marketing by 10%", "Run a what-if with revenue down 15%", "how much cash do we have",
    "Tell me who owes us", "What would happen if we paid all bills early?", "Which bills were posted last week?",
    "Has the accrual been booked yet?", "Who approved INV/2026/00042?",
    "Book a meeting with the auditors? no, just tell me what is pending",
])
def test_questions_that_mention_actions_are_questions(message):
    assert act_request(message) is None, message


def test_classify_puts_proposals_first_then_acts_then_the_classifier():
    assert classify("draft an entry", proposal_requested=True).kind == "propose"
    assert classify("pay Acme", proposal_requested=False).kind == "act"
    # the classifier alone needs an action verb in the message to make it a request to act
    assert classify("and for October?", proposal_requested=False, intent="act", probability=0.9).kind == "question"
    assert classify("could the bills be paid today", proposal_requested=False, intent="act",
                    probability=0.9).kind == "act"
    assert classify("weather tomorrow?", proposal_requested=False, intent="outside", probability=0.8).kind == "outside"
    # a message that names something from the books (or follows one up) stays a question
    assert classify("what about Acme?", proposal_requested=False, intent="outside", probability=0.8,
                    names_books=True).kind == "question"
    assert classify("hello", proposal_requested=False, intent="chitchat", probability=0.7).kind == "chitchat"
    assert classify("cash?", proposal_requested=False, intent="outside", probability=0.4).kind == "question"
