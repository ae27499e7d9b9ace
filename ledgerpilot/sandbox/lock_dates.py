"""Lock dates as Odoo 17 applies them to journal entries.

- ``fiscalyear_lock_date`` binds everyone; ``period_lock_date`` binds users who are not Billing
  Administrators; ``tax_lock_date`` binds entries that affect the tax report.
- Posting a draft dated inside a locked period is not refused: the entry is re-dated past the
  lock (``_get_accounting_date``), e.g. 2025-12-31 -> 2026-01-31 when the journal numbers reset
  monthly and today is later.
- Changing a posted entry inside the locked period (reset to draft, change its date) raises
  UserError "You cannot add/modify entries prior to and inclusive of the lock date MM/DD/YYYY.".
"""

from __future__ import annotations

import calendar
import datetime as dt

from ledgerpilot.sandbox.env import Env
from ledgerpilot.sandbox.exceptions import UserError
from ledgerpilot.sandbox.values import to_date

ACCOUNT_MANAGER = "account.group_account_manager"


def company_lock_dates(env: Env, company_id: int) -> dict[str, dt.date | None]:
    row = env.conn.execute(
        "SELECT fiscalyear_lock_date, period_lock_date, tax_lock_date FROM res_company WHERE id = ?", (company_id,)
    ).fetchone()
    if row is None:
        return {"fiscalyear_lock_date": None, "period_lock_date": None, "tax_lock_date": None}
    return {
        "fiscalyear_lock_date": to_date(row[0], "res.company.fiscalyear_lock_date"),
        "period_lock_date": to_date(row[1], "res.company.period_lock_date"),
        "tax_lock_date": to_date(row[2], "res.company.tax_lock_date"),
    }


def user_fiscal_lock_date(env: Env, company_id: int) -> dt.date | None:
    """Odoo's ``_get_user_fiscal_lock_date``: the fiscal year lock, and the period lock for non-advisers."""
    locks = company_lock_dates(env, company_id)
    if env.has_group(ACCOUNT_MANAGER):
        return locks["fiscalyear_lock_date"]
    candidates = [d for d in (locks["fiscalyear_lock_date"], locks["period_lock_date"]) if d]
    return max(candidates) if candidates else None


def format_date(value: dt.date) -> str:
    """Odoo's ``format_date`` for en_US: MM/DD/YYYY."""
    return value.strftime("%m/%d/%Y")


def check_fiscalyear_lock_date(env: Env, company_id: int, date: dt.date) -> None:
    """Odoo's ``_check_fiscalyear_lock_date`` for one posted entry dated ``date``."""
    lock = user_fiscal_lock_date(env, company_id)
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


def violated_lock_dates(env: Env, company_id: int, date: dt.date, affects_tax: bool) -> list[dt.date]:
    """Odoo's ``_get_violated_lock_dates``: the lock dates on or after ``date``, sorted."""
    locks: list[dt.date] = []
    user_lock = user_fiscal_lock_date(env, company_id)
    if user_lock and date <= user_lock:
        locks.append(user_lock)
    tax_lock = company_lock_dates(env, company_id)["tax_lock_date"]
    if affects_tax and tax_lock and date <= tax_lock:
        locks.append(tax_lock)
    return sorted(locks)


def _end_of_month(value: dt.date) -> dt.date:
    return value.replace(day=calendar.monthrange(value.year, value.month)[1])


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
                return min(today, _end_of_month(date))
            if number_reset == "year":
                return min(today, dt.date(date.year, 12, 31))
        return date
    if number_reset in (None, "month"):
        if (today.year, today.month) > (date.year, date.month):
            return _end_of_month(date)
        return max(date, today)
    if number_reset == "year":
        if today.year > date.year:
            return dt.date(date.year, 12, 31)
        return max(date, today)
    return date
