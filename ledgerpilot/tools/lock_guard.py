"""Read what Odoo checks before it accepts a fiscal-year lock date (see calc/close/lock_date.py)."""

from __future__ import annotations

import datetime as dt

from ledgerpilot.calc.close.lock_date import LockGuard
from ledgerpilot.domain.month import Month


def load_lock_guard(client, month: Month) -> LockGuard:
    """Drafts and unreconciled bank lines dated on or before the month's end, and the current lock date."""
    end = month.end.isoformat()
    company = client.search_read("res.company", [], ["name", "fiscalyear_lock_date"], limit=1, order="id")
    if not company:
        raise LookupError("the database has no company to lock")
    row = company[0]
    drafts = client.execute("account.move", "search", [("state", "=", "draft"), ("date", "<=", end)])
    lines: list[int] = []
    if client.has_model("account.bank.statement.line"):
        lines = client.execute("account.bank.statement.line", "search",
                               [("is_reconciled", "=", False), ("date", "<=", end),
                                ("state", "!=", "cancel")])
    lock = row.get("fiscalyear_lock_date") or None
    return LockGuard(company_id=int(row["id"]), company_name=str(row["name"]),
                     fiscalyear_lock_date=dt.date.fromisoformat(lock) if lock else None,
                     draft_move_ids=tuple(sorted(drafts)), unreconciled_line_ids=tuple(sorted(lines)))
