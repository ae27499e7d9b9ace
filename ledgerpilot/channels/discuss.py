"""The Discuss bot: answers the questions people post in an Odoo Discuss channel, in that channel.

It polls ``mail.message`` by id over the gateway (no bus, no long-polling: it works with any Odoo
the gateway reaches), answers each new human message in order with ``message_post`` on the channel,
and remembers the last message it handled in the state database, so a restart neither answers
history again nor skips what arrived while it was down.

Whose messages it answers (the rule): comments (``message_type = "comment"``) whose author is the
partner of an active internal user (``res.users`` with ``share = False``), except its own partner
and the logins it is told to ignore. That leaves out OdooBot (the partner of ``base.user_root``,
``__system__``, an inactive user), other bots running as inactive or portal users, guests, email
gateways and system notifications. A bot that runs as an active internal user must be named with
``ignore_logins``.

Delivery: the cursor advances after the reply is posted. A crash between the two (a very short
window) answers that message again after the restart -- at least once, never silently dropped. An
error while answering is answered politely ("I could not answer that just now: ...") and the cursor
advances, so one bad question cannot block the channel; a failure to post leaves the cursor where it
is, and the next poll tries again.

One conversation thread per channel: follow-up questions in the channel see the previous answers.

The agent is told who asks by name and Odoo login ("Colin Clerk (clerk)",
``ledgerpilot.tools.agent.requesters``): a proposal made for a question records the login as
``requested_by``, and that person can then never approve it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ledgerpilot.channels.discuss_channels import DiscussError, resolve_channel
from ledgerpilot.channels.discuss_format import answer_to_html, html_to_text, polite_error_html
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.discuss_cursors import DiscussCursors
from ledgerpilot.tools.agent.requesters import asker_label

log = logging.getLogger(__name__)

__all__ = ["DiscussBot", "DiscussError", "Handled", "PollResult"]

#: messages read per poll at most (the rest waits for the next poll, in order)
POLL_BATCH = 50
_MESSAGE_FIELDS = ["id", "body", "author_id", "message_type", "date"]


@dataclass(frozen=True)
class Handled:
    """What the bot did with one message."""

    message_id: int
    author: str
    action: str                 # "answered" | "apologised" | "skipped"
    reason: str = ""            # why it was skipped, or the error it apologised for
    reply_id: int | None = None


@dataclass
class PollResult:
    handled: list[Handled] = field(default_factory=list)

    @property
    def answered(self) -> list[Handled]:
        return [h for h in self.handled if h.action in ("answered", "apologised")]


class DiscussBot:
    """Watch one channel and answer its human messages with ``agent``.

    ``client``: a connected OdooClient (its user is the bot's identity in the channel and needs to
    post messages there). ``cursor_store``: :class:`~ledgerpilot.memory.discuss_cursors.DiscussCursors`.
    """

    def __init__(self, client: Any, agent: Any, *, channel_name: str, cursor_store: DiscussCursors,
                 poll_seconds: float = 5.0, ignore_logins: Iterable[str] = ()):
        if poll_seconds <= 0:
            raise DiscussError(f"poll_seconds must be positive, not {poll_seconds}")
        self.client = client
        self.agent = agent
        self.cursors = cursor_store
        self.poll_seconds = float(poll_seconds)
        self.ignore_logins = tuple(ignore_logins)
        self.channel_name = channel_name
        self.channel_model, self.channel_id = resolve_channel(client, channel_name)
        self.channel_key = f"{client.url}|{client.db}|{self.channel_model}|{self.channel_id}"
        self.thread_id = f"discuss:{client.db}:{self.channel_model}:{self.channel_id}"
        self.own_partner_id = self._own_partner()
        if self.cursors.get(self.channel_key) is None:
            self.cursors.advance(self.channel_key, self._newest_message_id())

    # -- setup ----------------------------------------------------------------------------------

    def _own_partner(self) -> int | None:
        rows = self.client.read("res.users", [self.client.uid], ["partner_id"])
        return _many2one_id(rows[0]["partner_id"]) if rows else None

    def _newest_message_id(self) -> int:
        rows = self.client.search_read("mail.message", self._channel_domain(), ["id"], limit=1, order="id desc")
        return int(rows[0]["id"]) if rows else 0

    def _channel_domain(self) -> list:
        return [("model", "=", self.channel_model), ("res_id", "=", self.channel_id)]

    # -- polling --------------------------------------------------------------------------------

    @property
    def cursor(self) -> int:
        return self.cursors.get(self.channel_key) or 0

    def poll_once(self) -> PollResult:
        """Answer every new human message of the channel, oldest first."""
        domain = [*self._channel_domain(), ("id", ">", self.cursor), ("message_type", "=", "comment")]
        messages = self.client.search_read("mail.message", domain, _MESSAGE_FIELDS, order="id asc",
                                           limit=POLL_BATCH)
        result = PollResult()
        if not messages:
            return result
        humans = self._human_partners({_many2one_id(m.get("author_id")) for m in messages} - {None})
        for message in messages:
            result.handled.append(self._handle(message, humans))
            self.cursors.advance(self.channel_key, int(message["id"]))
        return result

    def _handle(self, message: dict, humans: dict[int, str]) -> Handled:
        message_id = int(message["id"])
        author_id = _many2one_id(message.get("author_id"))
        author = _many2one_name(message.get("author_id"))
        if author_id is None:
            return Handled(message_id, author, "skipped", "no author (a system message)")
        if author_id == self.own_partner_id:
            return Handled(message_id, author, "skipped", "the bot's own message")
        if author_id not in humans:
            return Handled(message_id, author, "skipped", "not an active internal user (a bot, guest or portal user)")
        question = html_to_text(message.get("body"))
        if not question:
            return Handled(message_id, author, "skipped", "no text")
        try:
            answer = self.agent.ask(question, thread_id=self.thread_id, asker=asker_label(author, humans[author_id]))
            body, action, reason = answer_to_html(answer.text, answer.citations), "answered", ""
        except Exception as exc:  # the channel gets a polite reply, whatever went wrong
            log.exception("answering Discuss message %s failed", message_id)
            reason = str(exc) if isinstance(exc, LedgerpilotError) else f"{type(exc).__name__}: {exc}"
            body, action = polite_error_html(reason), "apologised"
        reply_id = self._post(body)
        self._audit(message_id, author, action, reason, reply_id)
        return Handled(message_id, author, action, reason, reply_id)

    def _human_partners(self, authors: set[int]) -> dict[int, str]:
        """Which of ``authors`` are partners of active internal users (not ignored, not the bot): partner -> login."""
        if not authors:
            return {}
        rows = self.client.search_read("res.users", [("partner_id", "in", sorted(authors)), ("share", "=", False)],
                                       ["login", "partner_id"])
        return {pid: str(row["login"]) for row in rows if row["login"] not in self.ignore_logins
                and (pid := _many2one_id(row["partner_id"])) is not None and pid != self.own_partner_id}

    def _post(self, body_html: str) -> int:
        kwargs: dict[str, Any] = {"body": body_html, "message_type": "comment", "subtype_xmlid": "mail.mt_comment"}
        if self.client.major >= 17:
            kwargs["body_is_html"] = True  # 17+: a str body from RPC is escaped unless flagged as HTML
        reply = self.client.call(self.channel_model, "message_post", [self.channel_id], **kwargs)
        return int(reply[0] if isinstance(reply, list) else reply)

    def _audit(self, message_id: int, author: str, action: str, reason: str, reply_id: int) -> None:
        audit = getattr(self.agent.ctx, "audit", None)
        if audit is not None:
            audit.record("discuss_reply", actor="ledgerpilot-agent", subject=f"{self.channel_model}:{self.channel_id}",
                         details={"message_id": message_id, "author": author, "action": action, "reason": reason,
                                  "reply_id": reply_id, "channel": self.channel_name})

    def run(self, stop_event: threading.Event) -> None:
        """Poll every ``poll_seconds`` until ``stop_event`` is set. A failed poll (Odoo unreachable) is
        logged and tried again at the next tick; nothing is lost, the cursor has not moved."""
        while not stop_event.is_set():
            try:
                self.poll_once()
            except LedgerpilotError as exc:
                log.warning("polling Discuss channel %r failed: %s", self.channel_name, exc)
            stop_event.wait(self.poll_seconds)


def _many2one_id(value: Any) -> int | None:
    if isinstance(value, (list, tuple)) and value:
        return int(value[0])
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _many2one_name(value: Any) -> str:
    if isinstance(value, (list, tuple)) and len(value) > 1:
        return str(value[1])
    return ""
