"""Where the Discuss bot stopped reading: the last message it handled, per channel.

One row per channel key (the Odoo URL, database, channel model and id) in the state database's
``discuss_cursors`` table. The bot moves the cursor forward after each message it has answered (or
deliberately skipped), so a restarted bot neither answers history again nor loses its place.
"""

from __future__ import annotations

import datetime as dt

from ledgerpilot.memory.state import StateDB


class DiscussCursors:
    """Read and advance the per-channel cursor (the id of the last handled ``mail.message``)."""

    def __init__(self, db: StateDB):
        self.db = db

    def get(self, channel: str) -> int | None:
        """The last handled message id of ``channel``, or None when the bot never watched it."""
        rows = self.db.query("SELECT last_message_id FROM discuss_cursors WHERE channel = ?", (channel,))
        return int(rows[0]["last_message_id"]) if rows else None

    def advance(self, channel: str, message_id: int) -> int:
        """Move the cursor to ``message_id``; never backwards (an older id leaves it where it is).

        Returns the cursor after the change."""
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO discuss_cursors (channel, last_message_id, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(channel) DO UPDATE SET last_message_id = excluded.last_message_id, "
                "updated_at = excluded.updated_at WHERE excluded.last_message_id > discuss_cursors.last_message_id",
                (channel, int(message_id), now))
            row = conn.execute("SELECT last_message_id FROM discuss_cursors WHERE channel = ?", (channel,)).fetchone()
        return int(row[0])
