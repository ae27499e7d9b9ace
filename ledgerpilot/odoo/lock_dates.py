"""Lock dates as each Odoo version keeps them on ``res.company``, read for one company.

- Odoo 17: ``fiscalyear_lock_date`` (everyone), ``period_lock_date`` (everyone but the Billing
  Administrators, the "advisers"), ``tax_lock_date`` (entries touching taxes).
- Odoo 18 and 19: ``period_lock_date`` is gone; ``fiscalyear_lock_date`` (the global lock),
  ``tax_lock_date``, ``sale_lock_date`` (sales journals), ``purchase_lock_date`` (purchase journals)
  and ``hard_lock_date`` (irreversible). The ``user_*`` variants include a user's exceptions.

The functions read the fields this Odoo has (``fields_get``), never a field it lacks, and say which
lock stops an entry of a given journal type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

#: every lock date a company may have, on any version (17: the first three)
LOCK_DATE_FIELDS = ("fiscalyear_lock_date", "period_lock_date", "tax_lock_date", "sale_lock_date",
                    "purchase_lock_date", "hard_lock_date")
#: the lock dates that stop any entry (tax: only entries touching taxes)
_EVERY_JOURNAL = ("fiscalyear_lock_date", "period_lock_date", "hard_lock_date")
_BY_JOURNAL_TYPE = {"sale": "sale_lock_date", "purchase": "purchase_lock_date"}


def lock_date_fields(client) -> list[str]:
    """The lock date fields of ``res.company`` on this Odoo, in :data:`LOCK_DATE_FIELDS` order."""
    known = client.fields_get("res.company")
    return [name for name in LOCK_DATE_FIELDS if name in known]


def read_lock_dates(client, company_id: int) -> dict[str, dt.date | None]:
    """The company's lock dates this Odoo has (a field it lacks is absent, an unset one is None)."""
    fields = lock_date_fields(client)
    rows = client.read("res.company", [company_id], fields) if fields else []
    row = rows[0] if rows else {}
    return {name: _date(row.get(name)) for name in fields}


def entry_lock_date(lock_dates: Mapping[str, dt.date | None], journal_type: str | None = None) -> dt.date | None:
    """The latest lock date that stops an entry in a journal of ``journal_type`` (taxes aside): the
    fiscal-year (global), period (17) and hard locks, and the sale or purchase lock of its journal."""
    names = [*_EVERY_JOURNAL]
    if journal_type in _BY_JOURNAL_TYPE:
        names.append(_BY_JOURNAL_TYPE[journal_type])
    dates = [lock_dates[name] for name in names if lock_dates.get(name)]
    return max(dates) if dates else None


def _date(value) -> dt.date | None:
    if not value:
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
