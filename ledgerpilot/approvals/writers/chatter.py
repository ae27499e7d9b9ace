"""The approval note in Odoo's chatter of every entry and payment ledgerpilot writes.

Odoo's own trail shows the integration user (``LEDGERPILOT_ODOO_WRITE_USER``) as the entry's creator; the
person who decided is only in ledgerpilot. So each record written for an approved proposal carries an
internal note in its chatter, readable by anyone who opens it in Odoo::

    Approved in ledgerpilot by controller (Odoo user 7) on 2026-11-20 14:02 UTC, to be posted.
    Proposal 3f1c9a... (accrual: Accrue Office cleaning, November). Written by ledgerpilot-writer. [lp:ab12...]

It is posted once: the note carries the record's idempotency marker and is searched for by it before
posting, so an apply run again after a crash or a lost answer adopts the note it finds instead of adding a
second one. Then it is read back like everything else that is written.
"""

from __future__ import annotations

from typing import Any

from ledgerpilot.approvals.writers.common import WriteContext

#: the words every approval note starts with (and is found by, with its marker)
NOTE_PREFIX = "Approved in ledgerpilot by"
NOTE_SUBTYPE = "mail.mt_note"


def approval_note_text(ctx: WriteContext, mark: str) -> str:
    """The note's text (plain text: Odoo escapes it and keeps the line breaks)."""
    decision, proposal = ctx.decision, ctx.proposal
    who = f"{decision.login} (Odoo user {decision.uid})" if decision.uid is not None else decision.login
    when = decision.decided_at.strftime("%Y-%m-%d %H:%M UTC")
    how = ""
    if proposal.kind in ("adjusting_entry", "accrual", "reversal"):
        how = ", to be posted" if decision.post else ", as a draft"
    note = f' Note: "{decision.note.strip()}".' if decision.note.strip() else ""
    return (f"{NOTE_PREFIX} {who} on {when}{how}.{note}\n"
            f"Proposal {proposal.id} ({proposal.kind}: {proposal.title}). Written by {ctx.actor}. {mark}")


def post_approval_note(ctx: WriteContext, model: str, record_id: int, mark: str) -> tuple[int, bool]:
    """Post (or find) the approval note on ``model`` ``record_id``; ``(message id, adopted)``."""
    found = find_approval_note(ctx, model, record_id, mark)
    if found is not None:
        ctx.audit_found("mail.message", [found], mark)
        return found, True
    message_id = int(ctx.client.call(model, "message_post", [record_id], body=approval_note_text(ctx, mark),
                                     message_type="comment", subtype_xmlid=NOTE_SUBTYPE))
    ctx.audit_write(model, "message_post", [record_id], marker=mark, message_id=message_id,
                    why=f"approval note: approved by {ctx.decision.login}")
    return message_id, False


def find_approval_note(ctx: WriteContext, model: str, record_id: int, mark: str) -> int | None:
    rows = ctx.client.search_read("mail.message", [("model", "=", model), ("res_id", "=", int(record_id)),
                                                   ("body", "ilike", NOTE_PREFIX), ("body", "ilike", mark)],
                                  ["id"], order="id asc", limit=1)
    return int(rows[0]["id"]) if rows else None


def note_read_back(ctx: WriteContext, model: str, record_id: int, mark: str, label: str
                   ) -> tuple[dict[str, Any], list[str]]:
    """What the chatter holds now: ``({"approval_note": message id or None}, differences)``."""
    found = find_approval_note(ctx, model, record_id, mark)
    if found is None:
        return {"approval_note": None}, [f"{label}: the approval note is not in its chatter (deleted in Odoo?)"]
    return {"approval_note": found}, []
