"""Read what Odoo checks before it accepts a fiscal-year lock date (see calc/close/lock_date.py)."""

from __future__ import annotations

from ledgerpilot.calc.close.lock_date import LockGuard
from ledgerpilot.domain.month import Month
from ledgerpilot.odoo.lock_dates import read_lock_dates
from ledgerpilot.tools.ledger.overview import company_info


def load_lock_guard(client, month: Month) -> LockGuard:
    """Drafts and unreconciled bank lines of the analysed company dated on or before the month's end,
    and its current lock date."""
    end = month.end.isoformat()
    company = company_info(client)
    drafts = client.search("account.move", [("state", "=", "draft"), ("date", "<=", end)])
    lines: list[int] = []
    if client.has_model("account.bank.statement.line"):
        lines = client.search("account.bank.statement.line",
                              [("is_reconciled", "=", False), ("date", "<=", end), ("state", "!=", "cancel")])
    lock = read_lock_dates(client, company.id).get("fiscalyear_lock_date")
    return LockGuard(company_id=company.id, company_name=company.name, fiscalyear_lock_date=lock,
                     draft_move_ids=tuple(sorted(drafts)), unreconciled_line_ids=tuple(sorted(lines)))
