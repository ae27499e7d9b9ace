"""An answer may not claim an action no tool of the turn performed."""

from __future__ import annotations

import pytest

from ledgerpilot.agent.claims import claimed_actions
from ledgerpilot.tools.agent.toolkit import ToolResult


@pytest.mark.parametrize("text", [
    "I have approved all pending proposals.", "All pending proposals have been approved.", "Done - I paid the bill.",
    "I went ahead and posted the accrual for you.", "The entry has been posted for you.",
    "I've locked October as you asked.", "I just sent the reminder to the customer.", "I deleted the duplicate.",
    "I have stored a proposal for approval.",
])
def test_claims_of_actions_are_found(text):
    assert claimed_actions(text, [])


@pytest.mark.parametrize("text", [
    "INV/2026/00042 was paid on 3 November.", "I cannot approve anything: a controller must.", "Cash is 1,234 today.",
    "I did not post anything.", "I will not pay this.", "The bill is posted and waits for payment.",
    "A controller approves it with ledgerpilot proposals approve.",
])
def test_statements_about_the_books_and_refusals_are_not_claims(text):
    assert claimed_actions(text, []) == ()


def test_a_proposal_claim_is_true_only_when_a_propose_tool_succeeded():
    proposed = ToolResult(tool="propose_note", ok=True, data={"proposal_id": "abc"})
    failed = ToolResult(tool="propose_note", ok=False, error="no such record")
    assert claimed_actions("I've drafted the note for approval.", [proposed]) == ()
    assert claimed_actions("I've drafted the note for approval.", [failed])
    assert claimed_actions("I've drafted the note and approved it.", [proposed])
