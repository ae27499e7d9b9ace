"""Make the digest and deliver it: save (always), send by SMTP and post to Discuss (when asked).

A delivery that fails is reported in ``DigestOutcome.problems`` and audited; the saved copy stays.
``make_digest`` raises only when it was asked to send and nothing could be sent, so a scheduled run
shows up as failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledgerpilot.agent.writer import GroundedWriter
from ledgerpilot.channels.digest.build import Digest, build_digest
from ledgerpilot.channels.digest.delivery import DigestDeliveryError, SavedDigest, post_to_channel, save_copy
from ledgerpilot.channels.digest.delivery import send as smtp_send
from ledgerpilot.channels.digest.render import digest_message
from ledgerpilot.errors import LedgerpilotError


@dataclass
class DigestOutcome:
    digest: Digest
    saved: SavedDigest
    sent_to: list[str] = field(default_factory=list)
    posted_message_id: int | None = None
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"company": self.digest.company, "as_of": self.digest.as_of.isoformat(), "subject": self.digest.subject,
                "seconds": self.digest.seconds, "saved_html": str(self.saved.html), "saved_eml": str(self.saved.eml),
                "sent_to": self.sent_to, "posted_message_id": self.posted_message_id, "problems": self.problems,
                "grounding_share": round(self.digest.grounding_share, 4),
                "sections": [{"key": s.key, "title": s.title, "text": s.text, "figures": [list(f) for f in s.figures],
                              "source": s.source, "errors": list(s.errors),
                              "links": [c.model_dump() for c in s.links]} for s in self.digest.sections]}


def make_digest(agent, settings, *, out: Path, send: bool = False, recipients: list[str] | None = None,
                channel: str | None = None) -> DigestOutcome:
    """Build the digest from ``agent``'s tools (its model, if any, writes the narratives), then deliver it."""
    ctx = agent.ctx
    writer = GroundedWriter(agent.llm)
    digest = build_digest(ctx, writer, approval_url=settings.web.url + "/proposals")
    recipients = list(recipients or [])
    message = digest_message(digest, sender=settings.digest.sender, recipients=recipients)
    outcome = DigestOutcome(digest=digest, saved=save_copy(digest, message, out))
    audit = ctx.audit
    if send:
        try:
            smtp_send(message, settings, recipients)
            outcome.sent_to = recipients
        except DigestDeliveryError as exc:
            outcome.problems.append(str(exc))
    if channel:
        try:
            outcome.posted_message_id = post_to_channel(ctx.client, digest, channel)
        except LedgerpilotError as exc:
            outcome.problems.append(f"posting to Discuss channel {channel!r} failed: {exc}")
    if audit is not None:
        audit.record("digest", actor=ctx.actor, subject=digest.subject,
                     details={"saved": str(outcome.saved.html), "sent_to": outcome.sent_to,
                              "posted_message_id": outcome.posted_message_id, "problems": outcome.problems,
                              "grounding_share": digest.grounding_share, "seconds": digest.seconds})
    if send and not outcome.sent_to:
        raise DigestDeliveryError(f"the digest was not sent ({'; '.join(outcome.problems)}); its copy is at "
                                  f"{outcome.saved.html}")
    return outcome

