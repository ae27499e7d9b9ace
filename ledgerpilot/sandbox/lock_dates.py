"""Lock dates as Odoo applies them to journal entries.

- ``fiscalyear_lock_date`` binds everyone; ``period_lock_date`` (17) binds users who are not Billing
  Administrators; ``tax_lock_date`` binds entries that affect the tax report;
- from 18: ``hard_lock_date`` binds everyone, ``sale_lock_date`` and ``purchase_lock_date`` bind the
  entries of sales and purchase journals (a sandbox playing 17 never has them set: 17 cannot write
  them).
- Posting a draft dated inside a locked period is not refused: the entry is re-dated past the
  lock (``_get_accounting_date``), e.g. 2025-12-31 -> 2026-01-31 when the journal numbers reset
  monthly and today is later.
- Changing a posted entry inside the locked period (reset to draft, change its date) raises
  UserError "You cannot add/modify entries prior to and inclusive of the lock date MM/DD/YYYY.".
"""

from __future__ import annotations

import datetime as dt

from ledgerpilot.domain.month import month_end
from ledgerpilot.sandbox.env import Env
from ledgerpilot.sandbox.exceptions import UserError
from ledgerpilot.sandbox.values import to_date

ACCOUNT_MANAGER = "account.group_account_manager"


LOCK_FIELDS = ("fiscalyear_lock_date", "period_lock_date", "tax_lock_date", "sale_lock_date", "purchase_lock_date",
               "hard_lock_date")
_JOURNAL_LOCK = {"sale": "sale_lock_date", "purchase": "purchase_lock_date"}


def company_lock_dates(env: Env, company_id: int) -> dict[str, dt.date | None]:
    row = env.conn.execute(f"SELECT {', '.join(LOCK_FIELDS)} FROM res_company WHERE id = ?", (company_id,)).fetchone()
    if row is None:
        return dict.fromkeys(LOCK_FIELDS)
    return {name: to_date(value, f"res.company.{name}") for name, value in zip(LOCK_FIELDS, row)}


def _journal_type(env: Env, journal_id: int | None) -> str | None:
    if not journal_id:
        return None
    row = env.conn.execute("SELECT type FROM account_journal WHERE id = ?", (journal_id,)).fetchone()
    return row[0] if row else None


def user_fiscal_lock_date(env: Env, company_id: int, journal_id: int | None = None) -> dt.date | None:
    """Odoo's ``_get_user_fiscal_lock_date``: the fiscal year lock, the period lock for non-advisers (17),
    the hard lock, and the sale or purchase lock of the entry's journal (18+)."""
    locks = company_lock_dates(env, company_id)
    names = ["fiscalyear_lock_date", "hard_lock_date"]
    if not env.has_group(ACCOUNT_MANAGER):
        names.append("period_lock_date")
    journal_lock = _JOURNAL_LOCK.get(_journal_type(env, journal_id) or "")
    if journal_lock:
        names.append(journal_lock)
    candidates = [locks[name] for name in names if locks[name]]
    return max(candidates) if candidates else None


def format_date(value: dt.date) -> str:
    """Odoo's ``format_date`` for en_US: MM/DD/YYYY."""
    return value.strftime("%m/%d/%Y")


def check_fiscalyear_lock_date(env: Env, company_id: int, date: dt.date, journal_id: int | None = None) -> None:
    """Odoo's ``_check_fiscalyear_lock_date`` for one posted entry dated ``date``."""
    lock = user_fiscal_lock_date(env, company_id, journal_id)
    if lock and date <= lock:
        if env.has_group(ACCOUNT_MANAGER):
            message = f"You cannot add/modify entries prior to and inclusive of the lock date {format_date(lock)}."
        else:
            message = (f"You cannot add/modify entries prior to and inclusive of the lock date {format_date(lock)}. "
                       "Check the company settings or ask someone with the 'Adviser' role")
        raise UserError(message)


def check_tax_lock_date(env: Env, company_id: int, date: dt.date, affects_tax: bool) -> None:
    """Odoo's ``_check_tax_lock_date`` for the lines of a posted entry that touch taxes."""
    lock = company_lock_dates(env, company_id)["tax_lock_date"]
    if affects_tax and lock and date <= lock:
        raise UserError(
            f"The operation is refused as it would impact an already issued tax statement. Please change the "
            f"journal entry date or the tax lock date set in the settings ({format_date(lock)}) to proceed."
        )


def violated_lock_dates(env: Env, company_id: int, date: dt.date, affects_tax: bool,
                        journal_id: int | None = None) -> list[dt.date]:
    """Odoo's ``_get_violated_lock_dates``: the lock dates on or after ``date``, sorted."""
    locks: list[dt.date] = []
    user_lock = user_fiscal_lock_date(env, company_id, journal_id)
    if user_lock and date <= user_lock:
        locks.append(user_lock)
    tax_lock = company_lock_dates(env, company_id)["tax_lock_date"]
    if affects_tax and tax_lock and date <= tax_lock:
        locks.append(tax_lock)
    return sorted(locks)


def accounting_date(date: dt.date, locks: list[dt.date], today: dt.date, is_sale: bool,
                    number_reset: str | None) -> dt.date:
    """Odoo 17's ``_get_accounting_date``: where a draft dated in a locked period is posted.

    ``number_reset`` is how the journal's numbers reset ('month', 'year', 'never'), or None when
    the journal has no number yet. ``today`` is the real current date.
    """
    if locks:
        date = locks[-1] + dt.timedelta(days=1)
    if is_sale:
        if locks:
            if number_reset in (None, "month"):
                return min(today, month_end(date))
            if number_reset == "year":
                return min(today, dt.date(date.year, 12, 31))
        return date
    if number_reset in (None, "month"):
        if (today.year, today.month) > (date.year, date.month):
            return month_end(date)
        return max(date, today)
    if number_reset == "year":
        if today.year > date.year:
            return dt.date(date.year, 12, 31)
        return max(date, today)
    return date
