"""Who asked the agent for something, in a form that reads well and still names the Odoo login.

The agent is told who asks (``Agent.ask(..., asker=...)``): the model sees it in the quoted question and
the propose tools record it as the proposal's ``requested_by``, whom segregation of duties keeps from
approving it. A person in Discuss is best shown by name ("Colin Clerk"), but only the login ("clerk")
identifies them to Odoo, so the Discuss bot passes both as ``"Colin Clerk (clerk)"``
(:func:`asker_label`) and the tools take the login back out (:func:`requester_login`). A plain asker (the
CLI's login, a chat user's login) is used as it is.
"""

from __future__ import annotations

import re

_LABEL = re.compile(r"^(?P<name>.*\S)\s+\((?P<login>[^()\s]+)\)$")


def asker_label(name: str, login: str) -> str:
    """``"Colin Clerk (clerk)"``; just the login when there is no other name."""
    name = " ".join((name or "").split())
    return f"{name} ({login})" if name and name != login else login


def requester_login(asker: str) -> str:
    """The login inside an :func:`asker_label` (or the asker itself when it is a plain login)."""
    text = (asker or "").strip()
    match = _LABEL.match(text)
    return match.group("login") if match else text
