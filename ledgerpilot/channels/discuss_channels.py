"""Finding a Discuss channel by name on whichever model the server has (discuss.channel on 17+, mail.channel on 16)."""

from __future__ import annotations

from typing import Any

from ledgerpilot.errors import LedgerpilotError


class DiscussError(LedgerpilotError):
    """The Discuss channel cannot be used (missing, ambiguous, module not installed)."""


def resolve_channel(client: Any, name: str) -> tuple[str, int]:
    """``(model, id)`` of the channel named ``name``, or a :class:`DiscussError` listing the channels there are."""
    model = client.require("discuss").model
    rows = client.search_read(model, [("name", "=", name)], ["id", "name"], limit=2, order="id asc")
    if not rows:
        known = client.search_read(model, [("channel_type", "=", "channel")], ["name"], limit=20, order="name asc")
        names = ", ".join(repr(r["name"]) for r in known) or "none"
        raise DiscussError(f"there is no Discuss channel named {name!r} on {client.url} (database {client.db}); "
                           f"channels: {names}. Create it in Discuss or choose one with --channel / "
                           "LEDGERPILOT_DISCUSS_CHANNEL")
    if len(rows) > 1:
        raise DiscussError(f"several Discuss channels are named {name!r}; rename one so it is clear which to use")
    return model, int(rows[0]["id"])
