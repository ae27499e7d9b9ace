"""Signing in to the approval page with Odoo credentials, checked by Odoo.

Odoo checks the login and password (a fresh login on the configured server and database); the
person must hold at least one group that approves some kind of proposal (by default
``account.group_account_manager``; ``Settings.approval.groups`` may add others). The agent's own
logins are refused: the agent never approves. Each decision is checked again when it is made
(``ledgerpilot.approvals.decide``), so a group removed in Odoo after sign-in stops approvals at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ledgerpilot.approvals.decide import ApprovalRefused, approver_connection
from ledgerpilot.config import OdooConnection
from ledgerpilot.domain.proposal import DEFAULT_REQUIRED_GROUP
from ledgerpilot.errors import ConfigError, LedgerpilotError
from ledgerpilot.odoo.errors import OdooAuthenticationError, OdooError


class SignInRefused(LedgerpilotError):
    """The person may not sign in; ``reason`` is a short code, the message says why in words."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SignedIn:
    login: str
    uid: int
    name: str
    groups: tuple[str, ...]


def approving_groups(approval_groups: dict[str, str]) -> tuple[str, ...]:
    """Every group that approves some kind of proposal."""
    return tuple(dict.fromkeys([DEFAULT_REQUIRED_GROUP, *approval_groups.values()]))


def sign_in(base: OdooConnection, login: str, password: str, *, groups: Iterable[str],
            agent_logins: Iterable[str]) -> SignedIn:
    """Check ``login``/``password`` against Odoo and that the user holds one of ``groups``."""
    from ledgerpilot.odoo.connection import connect

    login = (login or "").strip()
    if login.lower() in {a.strip().lower() for a in agent_logins if a}:
        raise SignInRefused(f"{login} is a login ledgerpilot itself uses; the agent never approves. Sign in "
                            "with your own Odoo login.", reason="agent")
    try:
        connection = approver_connection(base, login, password or "")
    except ApprovalRefused as exc:
        raise SignInRefused(str(exc), reason=exc.reason) from None
    try:
        client = connect(connection)
    except OdooAuthenticationError:
        raise SignInRefused("Odoo refused this login and password (on Odoo 19, give an API key: JSON-2 takes no "
                            "password).", reason="wrong_credentials") from None
    except ConfigError as exc:  # the approver does not work in the company ledgerpilot reads
        raise SignInRefused(str(exc), reason="company") from None
    try:
        wanted = list(groups)
        held = tuple(group for group in wanted if client.has_group(group))
        if not held:
            raise SignInRefused(f"{login} is not in any group that approves proposals ({', '.join(wanted)}); ask "
                                "an Odoo administrator for the accounting manager role.", reason="missing_group")
        rows = client.read("res.users", [client.uid], ["name"])
        name = str(rows[0]["name"]) if rows else login
        return SignedIn(login=login, uid=client.uid, name=name, groups=held)
    except OdooError as exc:
        raise SignInRefused(f"Odoo could not confirm {login}'s groups: {exc}", reason="group_check_failed") from None
    finally:
        client.close()
