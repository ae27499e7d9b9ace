"""Approving and rejecting stored proposals, by a named Odoo user whose credentials Odoo checks.

The approver is whoever logs in with the connection given: the login and password (or API key) are
checked by Odoo itself (a fresh login on the same URL, database and transport as the configured
connection), and the group the proposal needs is asked of Odoo as that user. Odoo 17 declares
``res.users.has_group`` ``@api.model``, so over RPC it is ``has_group(group_xmlid)`` and answers for
the logged-in user (Odoo 18+ made it a record method: ``has_group([uid], group_xmlid)``).

Refused, each with a sentence naming who and why, and each refusal audited:
- a proposal that is not ``proposed`` (already decided, applied or failed), including the loser of
  two decisions made at the same moment (the state change is a compare-and-set in the store);
- the logins ledgerpilot itself uses (``LEDGERPILOT_ODOO_USER``, ``LEDGERPILOT_ODOO_WRITE_USER`` and
  its internal names): the agent can never approve, not even its own proposals through another door;
- the proposer (``Proposal.created_by``) and **whoever asked for it** (``requested_by``: the chat
  user, the Discuss author, the login a CLI run acted as -- every one of them when several asked):
  nobody approves what they proposed or asked for (segregation of duties);
- wrong credentials (Odoo refused the login);
- a user without the group the proposal's kind requires (``Settings.approval.groups``, else the
  proposal's ``required_group``, by default ``account.group_account_manager``).

The decision (who, Odoo user id, when, the ``post`` flag for journal entries, the note) is stored
with the proposal in one transaction, audited, and the audit log's head is anchored. Whether an entry is
posted is the approver's choice; when they do not say, accruals and their reversals (the close's own
adjustments, which the close needs in the books) are posted and other entries are written as drafts
(:func:`default_post`).

:func:`decide_finding` decides every waiting part of a finding at once (an anomaly's note, activity
and hold; an accrual and its reversal): each part passes the same checks, and the parts are stored
decided all together or not at all -- when someone decided one of them a moment earlier, none is.
A batch of findings shares one :class:`OdooCheck`: Odoo checks the approver's login and each group
once for the batch, at the moment it is decided.

:func:`retry` sends a ``failed`` proposal back to ``approved`` once its cause is fixed (e.g. the write
user got the rights it lacked): the same checks as an approval, stored with who retried it, audited.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import SecretStr

from ledgerpilot.config import OdooConnection
from ledgerpilot.domain.proposal import Proposal, ProposalTransitionError
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.proposal_store import Decision, ProposalStore, Retry
from ledgerpilot.odoo.errors import OdooAuthenticationError, OdooError

log = logging.getLogger(__name__)

#: Kinds whose payload creates journal entries: the only ones where ``post`` means something.
ENTRY_KINDS = frozenset({"adjusting_entry", "accrual", "reversal"})
#: Entry kinds posted when the approver does not choose: the close's accruals and reversals must be in the
#: books for the close to finish (a draft accrual is not in the period's figures and blocks the lock date).
POSTED_BY_DEFAULT = frozenset({"accrual", "reversal"})

#: The names ledgerpilot acts under inside its own records (proposals, audit entries): never an approver,
#: whatever Odoo user might carry one of them.
OWN_NAMES = frozenset({"ledgerpilot", "ledgerpilot-agent", "ledgerpilot-serve"})

#: Refusals that mean "someone decided first": HTTP 409 on the page.
CONFLICT_REASONS = frozenset({"not_proposed", "concurrent", "not_failed"})


class ApprovalRefused(LedgerpilotError):
    """A decision was refused: wrong credentials, missing group, the agent or the proposer, wrong state."""

    exit_code = 1

    def __init__(self, message: str, *, reason: str, login: str, proposal_id: str):
        super().__init__(message)
        self.reason = reason
        self.login = login
        self.proposal_id = proposal_id


def approver_connection(base: OdooConnection, login: str, secret: str) -> OdooConnection:
    """``base`` (URL, database, transport, TLS, timeout) logged in as ``login`` with ``secret``.

    The secret goes where a password goes and where an API key goes: ``/jsonrpc`` and ``/xmlrpc`` take
    either, and Odoo 19's JSON-2 takes only an API key (there an approver gives theirs).
    """
    if not login:
        raise ApprovalRefused("an approver's Odoo login is needed", reason="no_login", login="", proposal_id="")
    if not secret:
        raise ApprovalRefused(f"no password or API key given for {login!r}", reason="no_secret", login=login,
                              proposal_id="")
    return base.model_copy(update={"user": login, "password": SecretStr(secret), "api_key": SecretStr(secret)})


def agent_logins_from(settings) -> set[str]:
    """The logins ledgerpilot itself uses (its Odoo users and its own names): they may never approve."""
    return {login for login in (settings.odoo.user, settings.odoo.write_user) if login} | set(OWN_NAMES)


def default_post(kind: str) -> bool:
    """Whether an approval that does not say posts the entry: yes for accruals and reversals."""
    return kind in POSTED_BY_DEFAULT


def required_group_for(proposal: Proposal, approval_groups: Mapping[str, str] | None = None) -> str:
    return (approval_groups or {}).get(proposal.kind) or proposal.required_group


def approve(store: ProposalStore, audit: AuditLog, connection_for_approver: OdooConnection, proposal_id: str, *,
            post: bool | None = None, note: str = "", agent_logins: Iterable[str],
            approval_groups: Mapping[str, str] | None = None) -> Decision:
    """Approve ``proposal_id`` as the user of ``connection_for_approver`` (checked against Odoo).

    ``post``: post the journal entry once written (True), leave it a draft (False), or None: the kind's default
    (:func:`default_post`; never for proposals that are not entries)."""
    if post is None:
        post = default_post(store.get(proposal_id).kind)
    return _decide(store, audit, connection_for_approver, proposal_id, "approved", post=post, note=note,
                   agent_logins=agent_logins, approval_groups=approval_groups)


def reject(store: ProposalStore, audit: AuditLog, connection_for_approver: OdooConnection, proposal_id: str, *,
           note: str, agent_logins: Iterable[str], approval_groups: Mapping[str, str] | None = None) -> Decision:
    """Reject ``proposal_id``: the same checks as an approval, and a note saying why is required."""
    return _decide(store, audit, connection_for_approver, proposal_id, "rejected", post=False, note=note,
                   agent_logins=agent_logins, approval_groups=approval_groups)


def retry(store: ProposalStore, audit: AuditLog, connection_for_approver: OdooConnection, proposal_id: str, *,
          note: str = "", agent_logins: Iterable[str], approval_groups: Mapping[str, str] | None = None) -> Retry:
    """Send the ``failed`` proposal ``proposal_id`` back to ``approved`` (its cause fixed), as an approver of it."""
    login = connection_for_approver.user
    proposal = store.get(proposal_id)
    group = required_group_for(proposal, approval_groups)
    refuse = _refuser(audit, connection_for_approver, proposal, "retry", group)
    what = f"proposal {proposal.id[:12]} ({proposal.kind}: {proposal.title})"
    if proposal.state != "failed":
        raise refuse("not_failed", f"{login} cannot retry {what}: it is {proposal.state}; only a failed proposal "
                                   "can be retried")
    _segregation(store, proposal, login, "retry", what, agent_logins, refuse)
    uid, has = _check_in_odoo(connection_for_approver, group, refuse)
    if not has:
        raise refuse("missing_group", f"{login} (Odoo user id {uid}) cannot retry {what}: Odoo says this user is "
                                      f"not in the group {group}, which {proposal.kind} proposals require")
    failure = store.application(proposal.id)
    made = Retry(proposal_id=proposal.id, login=login, uid=uid, note=note,
                 previous_error=failure.error if failure else None)
    try:
        store.retry(made)
    except ProposalTransitionError:
        raise refuse("concurrent", f"{login} cannot retry {what}: it changed a moment ago (now "
                                   f"{store.get(proposal.id).state})") from None
    audit.record("retry", actor=login, subject=proposal.id,
                 details={**made.to_dict(), "kind": proposal.kind, "title": proposal.title,
                          "idempotency_key": proposal.idempotency_key, "odoo_url": connection_for_approver.url,
                          "odoo_db": connection_for_approver.db})
    audit.anchor_quietly(reason=f"retry {proposal.id[:12]} by {login}", log=log)
    return made


def _refuser(audit: AuditLog, connection: OdooConnection, proposal: Proposal, decision: str, group: str):
    login = connection.user

    def refuse(reason: str, message: str) -> ApprovalRefused:
        audit.record("refusal", actor=login or "?", subject=proposal.id,
                     details={"decision": decision, "reason": reason, "message": message, "kind": proposal.kind,
                              "required_group": group, "odoo_url": connection.url, "odoo_db": connection.db})
        return ApprovalRefused(message, reason=reason, login=login, proposal_id=proposal.id)

    return refuse


def _segregation(store: ProposalStore, proposal: Proposal, login: str, verb: str, what: str,
                 agent_logins: Iterable[str], refuse) -> None:
    """Neither ledgerpilot itself, nor who made the proposal, nor anyone who asked for it decides it."""
    me = login.strip().casefold()
    agents = {a.strip().casefold() for a in agent_logins if a} | set(OWN_NAMES)
    if me in agents:
        raise refuse("agent", f"{login} is a login the agent itself uses, and the agent can never approve or "
                              f"reject: {what} needs a decision by a person with their own Odoo login")
    if me == proposal.created_by.strip().casefold():
        raise refuse("proposer", f"{login} proposed {what} and cannot also {verb} it: the approver must be "
                                 "someone else")
    askers = {a.strip().casefold() for a in [proposal.requested_by, *store.requesters(proposal.id)] if a}
    if me in askers:
        raise refuse("requester", f"{login} asked for {what} and cannot also {verb} it: the approver must be "
                                  "someone other than who asked for it")


def _decide(store: ProposalStore, audit: AuditLog, connection: OdooConnection, proposal_id: str,
            decision: Literal["approved", "rejected"], *, post: bool, note: str, agent_logins: Iterable[str],
            approval_groups: Mapping[str, str] | None) -> Decision:
    login = connection.user
    verb = "approve" if decision == "approved" else "reject"
    proposal = store.get(proposal_id)
    group = required_group_for(proposal, approval_groups)
    refuse = _refuser(audit, connection, proposal, decision, group)

    what = f"proposal {proposal.id[:12]} ({proposal.kind}: {proposal.title})"
    if proposal.state != "proposed":
        raise refuse("not_proposed", f"{login} cannot {verb} {what}: it is already {proposal.state}; only a "
                                     "proposal in state proposed can be decided")
    if decision == "rejected" and not note.strip():
        raise refuse("no_note", f"{login} cannot reject {what} without a note saying why")
    if post and proposal.kind not in ENTRY_KINDS:
        raise refuse("post_not_entry", f"--post applies only to journal entries; {what} is not one")
    _segregation(store, proposal, login, verb, what, agent_logins, refuse)
    uid, has = _check_in_odoo(connection, group, refuse)
    if not has:
        raise refuse("missing_group", f"{login} (Odoo user id {uid}) cannot {verb} {what}: Odoo says this user is "
                                      f"not in the group {group}, which {proposal.kind} proposals require")
    made = Decision(proposal_id=proposal.id, decision=decision, login=login, uid=uid, post=post, note=note,
                    required_group=group)
    try:
        store.decide(made)
    except ProposalTransitionError:
        now = store.get(proposal.id).state
        earlier = store.decision(proposal.id)
        by = f" by {earlier.login}" if earlier is not None else ""
        raise refuse("concurrent", f"{login} cannot {verb} {what}: it was {now}{by} a moment ago; only one "
                                   "decision is kept") from None
    audit.record("decision", actor=login, subject=proposal.id,
                 details={**made.to_dict(), "kind": proposal.kind, "title": proposal.title,
                          "idempotency_key": proposal.idempotency_key, "odoo_url": connection.url,
                          "odoo_db": connection.db})
    audit.anchor_quietly(reason=f"{decision} {proposal.id[:12]} by {login}", log=log)
    return made


def _check_in_odoo(connection: OdooConnection, group: str, refuse) -> tuple[int, bool]:
    """Log in as the approver (Odoo checks the credentials) and ask Odoo whether they hold ``group``."""
    from ledgerpilot.odoo.connection import connect

    try:
        client = connect(connection)
    except OdooAuthenticationError as exc:
        raise refuse("wrong_credentials", f"Odoo refused the login of {connection.user!r} on database "
                                          f"{connection.db!r} at {connection.url}: wrong login or password/API "
                                          "key") from exc
    try:
        return client.uid, client.has_group(group)
    except OdooError as exc:
        raise refuse("group_check_failed", f"could not ask Odoo whether {connection.user} is in {group}: {exc}") \
            from exc
    finally:
        client.close()


class OdooCheck:
    """Odoo's answer on an approver (their user id, and whether they hold a group), asked once per group.

    A batch of decisions made at one moment asks Odoo once, not once per proposal; a new batch makes a
    new check, so a group removed in Odoo stops the next batch."""

    def __init__(self, connection: OdooConnection):
        self.connection = connection
        self._answers: dict[str, tuple[int, bool]] = {}

    def __call__(self, group: str, refuse) -> tuple[int, bool]:
        if group not in self._answers:
            self._answers[group] = _check_in_odoo(self.connection, group, refuse)
        return self._answers[group]


def decide_finding(store: ProposalStore, audit: AuditLog, connection_for_approver: OdooConnection, proposal_id: str,
                   decision: Literal["approved", "rejected"], *, post: bool | None = False, note: str = "",
                   agent_logins: Iterable[str], approval_groups: Mapping[str, str] | None = None,
                   check: OdooCheck | None = None) -> list[Decision]:
    """Approve or reject every part of ``proposal_id``'s finding that still waits, all or none.

    ``post`` asks for the journal entries among the parts to be posted (the other parts have nothing to
    post); None: each entry's kind decides (:func:`default_post`). Refused -- nothing decided, the refusal audited on the part concerned -- when no part waits any
    more (someone decided first), when a rejection has no note, when the approver may not decide one of the
    parts (the agent, its proposer or someone who asked for it; a group Odoo says they lack), or when
    someone decides a part at the same moment."""
    login = connection_for_approver.user
    verb = "approve" if decision == "approved" else "reject"
    proposal = store.get(proposal_id)
    parts = store.by_finding(proposal.finding) or [proposal]
    waiting = [part for part in parts if part.state == "proposed"]
    check = check or OdooCheck(connection_for_approver)

    def refuser(part: Proposal):
        return _refuser(audit, connection_for_approver, part, decision, required_group_for(part, approval_groups))

    def what(part: Proposal) -> str:
        return f"proposal {part.id[:12]} ({part.kind}: {part.title})"

    if not waiting:
        states = ", ".join(sorted({part.state for part in parts}))
        also = f" (it has {len(parts)} parts, all decided)" if len(parts) > 1 else ""
        raise refuser(proposal)("not_proposed", f"{login} cannot {verb} {what(proposal)}: it is already {states}"
                                                f"{also}; only a proposal in state proposed can be decided")
    if decision == "rejected" and not note.strip():
        raise refuser(waiting[0])("no_note", f"{login} cannot reject {what(waiting[0])} without a note saying why")
    if post and not any(part.kind in ENTRY_KINDS for part in waiting):
        raise refuser(waiting[0])("post_not_entry", f"posting applies only to journal entries; {what(waiting[0])} "
                                                    "has none")
    for part in waiting:
        _segregation(store, part, login, verb, what(part), agent_logins, refuser(part))
    made: list[Decision] = []
    for part in waiting:
        group = required_group_for(part, approval_groups)
        uid, has = check(group, refuser(part))
        if not has:
            raise refuser(part)("missing_group", f"{login} (Odoo user id {uid}) cannot {verb} {what(part)}: Odoo "
                                                 f"says this user is not in the group {group}, which {part.kind} "
                                                 "proposals require")
        made.append(Decision(proposal_id=part.id, decision=decision, login=login, uid=uid,
                             post=(default_post(part.kind) if post is None else post) and part.kind in ENTRY_KINDS,
                             note=note, required_group=group))
    try:
        store.decide_all(made)
    except ProposalTransitionError:
        for part in waiting:
            now = store.get(part.id)
            if now.state != "proposed":
                earlier = store.decision(part.id)
                by = f" by {earlier.login}" if earlier is not None else ""
                raise refuser(part)("concurrent", f"{login} cannot {verb} {what(part)}: it was {now.state}{by} a "
                                                  "moment ago; only one decision is kept") from None
        raise
    for part, done in zip(waiting, made):
        audit.record("decision", actor=login, subject=part.id,
                     details={**done.to_dict(), "kind": part.kind, "title": part.title, "finding": part.finding,
                              "parts": len(made), "idempotency_key": part.idempotency_key,
                              "odoo_url": connection_for_approver.url, "odoo_db": connection_for_approver.db})
    audit.anchor_quietly(reason=f"{decision} {proposal.id[:12]} ({len(made)} part{'s' if len(made) > 1 else ''}) "
                                f"by {login}", log=log)
    return made
