"""Claimed actions: an answer must not say ledgerpilot did something no tool of this turn did.

ledgerpilot has no tool that approves, pays, posts, books, locks, sends, deletes, voids, cancels,
reconciles, transfers or applies anything; its only writes are proposals, stored for a person to
approve. So a model's text that claims such an action ("I have approved all pending proposals", "the
entry has been posted for you", "Done - I paid the bill") states something false, whatever text in
the books talked it into it. :func:`claimed_actions` finds these claims:

- in the first person ("I / I've / I have / I just / I went ahead and / ledgerpilot has" + one of
  ``ACTION_WORDS``, up to two words apart), or as done for the reader ("... has been approved for you",
  "... have now been posted", "all pending proposals are approved", "Done: paid");
- a claim to have *proposed, drafted, prepared, created or stored* something is true only when a propose
  tool succeeded in this turn; with one, those words are allowed.

Statements about the books in the third person ("INV/2026/00042 was paid on 3 November", "the bill is
posted") are not claims: they describe records, and their numbers are checked by the grounding.
The writer treats a claim like an untraceable number: one rewrite, then the template answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

#: what no tool of ledgerpilot does (any form: approve, approved, approving...)
ACTION_WORDS = (r"approv\w*|paid|pay(?:ed|ing)?|post(?:ed|ing)?|book(?:ed|ing)?|lock(?:ed|ing)?|sen[dt]\w*|e-?mail\w*"
                r"|delet\w*|void\w*|cancel\w*|reconcil\w*|transferr?\w*|wir(?:e|ed|ing)|appl(?:y|ied|ying)"
                r"|execut\w*|writ(?:e|ten|ing) (?:off|back|to odoo)|wrote (?:off|back|to odoo)|settl\w*|refund\w*"
                r"|reject\w*|mark(?:ed)? (?:it |them |\w+ )?(?:as )?paid|record(?:ed)? (?:the |an? )?(?:entry|payment)"
                r"|chang(?:e|ed) the budget|mov(?:e|ed) (?:the )?budget")
#: what the propose tools do: a claim only a successful propose call of the turn makes true
PROPOSE_WORDS = r"propos\w*|draft\w*|prepar\w*|creat\w*|stor\w*|sav(?:e|ed)|queu\w*|set up|schedul\w*|add(?:ed)?"
_FIRST_PERSON = (r"\b(?:i|i've|i have|i'll|i will|i just|i went ahead and|i've gone ahead and|we've|we have|ledgerpilot has)"
                 r"\s+(?:\w+\s+){0,2}?(?:(?:\w+\s+){0,4}?(?:and|then)\s+(?:\w+\s+){0,2}?)?")
_FOR_YOU = (r"\b(?:has|have|had|is|are|was|were)\s+(?:now\s+|just\s+|successfully\s+|already\s+|all\s+)*been\s+"
            r"(?:now\s+|successfully\s+)?(?:{words})\b[^.!?\n]{{0,30}}?\b(?:for you|as (?:you )?requested|as asked"
            r"|on your behalf|by me|now)\b"
            r"|\ball (?:the )?(?:pending |open )?(?:proposals|entries|bills|invoices|payments)\s+(?:are|have been|were)\s+"
            r"(?:now\s+)?(?:{words})\b"
            r"|^\s*(?:done|ok|okay|all set)\b[\s,.:!-]+(?:i\s+)?(?:{words})\b")


def _pattern(words: str) -> re.Pattern:
    return re.compile(rf"{_FIRST_PERSON}(?:{words})\b|{_FOR_YOU.format(words=words)}", re.IGNORECASE | re.MULTILINE)


_ACTIONS = _pattern(ACTION_WORDS)
_PROPOSALS = _pattern(PROPOSE_WORDS)
_NEGATED = re.compile(r"\b(?:not|never|cannot|can't|can not|won't|didn't|did not|don't|do not|no)\b[^.!?\n]{0,12}$",
                      re.IGNORECASE)


def _claims(pattern: re.Pattern, text: str) -> list[str]:
    found = []
    for match in pattern.finditer(text):
        if _NEGATED.search(text[max(0, match.start() - 20):match.end()]) or re.search(
                r"\b(?:not|never|cannot|can't|won't|didn't|don't)\b", match.group(0), re.IGNORECASE):
            continue
        found.append(" ".join(match.group(0).split()))
    return found


def claimed_actions(text: str, results: Sequence[Any]) -> tuple[str, ...]:
    """The claims in ``text`` of actions that no tool result of this turn performed."""
    proposed = any(getattr(r, "ok", False) and str(getattr(r, "tool", "")).startswith("propose_") for r in results)
    claims = _claims(_ACTIONS, text or "")
    if not proposed:
        claims += _claims(_PROPOSALS, text or "")
    return tuple(dict.fromkeys(claims))
