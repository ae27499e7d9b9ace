"""Journal entry numbers as Odoo 17's ``sequence.mixin`` gives them.

A posted entry takes the next number of its journal: the format is deduced from the journal's
existing numbers (``MISC/2026/11/0003`` resets monthly, ``INV/2026/00042`` yearly) or, for a
journal without any, from Odoo's starting sequence (``CODE/YYYY/00000`` for sale, bank and cash
journals, ``CODE/YYYY/MM/0000`` otherwise; ``R`` in front for refunds in a journal with a
dedicated refund sequence). The number continues the highest one already in the database for
the same prefix.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from ledgerpilot.sandbox.env import Env

MONTHLY_REGEX = re.compile(
    r"^(?P<prefix1>.*?)(?P<year>((?<=\D)|(?<=^))((19|20|21)\d{2}|(\d{2}(?=\D))))(?P<prefix2>\D*?)"
    r"(?P<month>(0[1-9]|1[0-2]))(?P<prefix3>\D+?)(?P<seq>\d*)(?P<suffix>\D*?)$"
)
YEARLY_REGEX = re.compile(
    r"^(?P<prefix1>.*?)(?P<year>((?<=\D)|(?<=^))((19|20|21)?\d{2}))(?P<prefix2>\D+?)(?P<seq>\d*)(?P<suffix>\D*?)$"
)
FIXED_REGEX = re.compile(r"^(?P<prefix1>.*?)(?P<seq>\d{0,9})(?P<suffix>\D*?)$")

REFUND_TYPES = ("out_refund", "in_refund")


def number_reset(name: str | None) -> str:
    """Odoo's ``_deduce_sequence_number_reset``: 'month', 'year' or 'never'."""
    for regex, reset, required in ((MONTHLY_REGEX, "month", ("seq", "month", "year")),
                                   (YEARLY_REGEX, "year", ("seq", "year")),
                                   (FIXED_REGEX, "never", ("seq",))):
        match = regex.match(name or "")
        if match and all(match.groupdict().get(k) is not None for k in required):
            return reset
    raise ValueError(f"The sequence {name!r} has no number to continue")


@dataclass(frozen=True)
class SequenceFormat:
    """A number split as Odoo's ``_get_sequence_format_param`` splits it."""

    reset: str
    parts: dict[str, str]

    @classmethod
    def parse(cls, name: str) -> SequenceFormat:
        reset = number_reset(name)
        regex = {"month": MONTHLY_REGEX, "year": YEARLY_REGEX, "never": FIXED_REGEX}[reset]
        match = regex.match(name)
        assert match is not None  # number_reset matched it
        return cls(reset, {k: v for k, v in match.groupdict().items() if v is not None})

    def prefix_for(self, date: dt.date) -> str:
        """Everything before the number, for an entry dated ``date``."""
        p = self.parts
        if self.reset == "never":
            return p.get("prefix1", "")
        year = f"{date.year % (10 ** len(p['year'])):0{len(p['year'])}d}"
        if self.reset == "year":
            return f"{p['prefix1']}{year}{p['prefix2']}"
        return f"{p['prefix1']}{year}{p['prefix2']}{date.month:02d}{p['prefix3']}"

    def name(self, date: dt.date, number: int) -> str:
        return f"{self.prefix_for(date)}{number:0{len(self.parts.get('seq', ''))}d}{self.parts.get('suffix', '')}"


def starting_sequence(journal_code: str, journal_type: str, date: dt.date, refund: bool, payment: bool) -> str:
    """Odoo's ``_get_starting_sequence`` for account.move."""
    if journal_type in ("sale", "bank", "cash"):
        start = f"{journal_code}/{date.year:04d}/00000"
    else:
        start = f"{journal_code}/{date.year:04d}/{date.month:02d}/0000"
    if refund:
        start = "R" + start
    if payment:
        start = "P" + start[1:]
    return start


def period_range(reset: str, date: dt.date, fiscal_last_day: int = 31, fiscal_last_month: int = 12) -> tuple[dt.date, dt.date]:
    """The dates a number sequence runs over (``_get_sequence_date_range``)."""
    if reset == "month":
        return date.replace(day=1), date.replace(day=calendar.monthrange(date.year, date.month)[1])
    if reset == "year":
        last_day = min(fiscal_last_day, calendar.monthrange(date.year, fiscal_last_month)[1])
        end = dt.date(date.year, fiscal_last_month, last_day)
        if date > end:
            end = dt.date(date.year + 1, fiscal_last_month,
                          min(fiscal_last_day, calendar.monthrange(date.year + 1, fiscal_last_month)[1]))
        start = dt.date(end.year - 1, end.month, end.day) + dt.timedelta(days=1) \
            if not (end.month == 2 and end.day == 29) else dt.date(end.year - 1, 3, 1)
        return start, end
    return dt.date.min, dt.date.max


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _journal_filter(move_type: str, refund_sequence: bool, payment_sequence: bool, is_payment: bool) -> tuple[str, list]:
    sql, params = "", []
    if refund_sequence:
        sql += f" AND move_type {'IN' if move_type in REFUND_TYPES else 'NOT IN'} (?, ?)"
        params += list(REFUND_TYPES)
    if payment_sequence:
        sql += f" AND payment_id IS {'NOT ' if is_payment else ''}NULL"
    return sql, params


def reference_name(env: Env, move: dict, relaxed: bool = False) -> str | None:
    """The journal number a new number is modelled on: the latest dated on or before the entry."""
    journal = move["journal"]
    extra, params = _journal_filter(move["move_type"], bool(journal["refund_sequence"]),
                                    bool(journal["payment_sequence"]), bool(move.get("payment_id")))
    base = ("SELECT name FROM account_move WHERE journal_id = ? AND id != ? AND name IS NOT NULL"
            " AND name NOT IN ('/', '')" + extra)
    args = [journal["id"], move["id"], *params]
    if relaxed:
        row = env.conn.execute(base + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return row[0] if row else None
    row = env.conn.execute(base + " AND date <= ? ORDER BY date DESC, id DESC LIMIT 1",
                           [*args, move["date"].isoformat()]).fetchone()
    if row is None:
        row = env.conn.execute(base + " ORDER BY date ASC, id ASC LIMIT 1", args).fetchone()
    return row[0] if row else None


def next_name(env: Env, move: dict, fiscal_last_day: int = 31, fiscal_last_month: int = 12) -> tuple[str, str, int]:
    """(name, sequence_prefix, sequence_number) for posting ``move``.

    ``move`` holds ``id, date (date), move_type, payment_id, journal`` (a dict with ``id, code,
    type, refund_sequence, payment_sequence``).
    """
    journal = move["journal"]
    date: dt.date = move["date"]
    reference = reference_name(env, move) or reference_name(env, move, relaxed=True)
    is_refund = bool(journal["refund_sequence"]) and move["move_type"] in REFUND_TYPES
    is_payment = bool(journal["payment_sequence"]) and bool(move.get("payment_id"))
    template = reference or starting_sequence(journal["code"] or "", journal["type"] or "general", date,
                                              is_refund, is_payment)
    fmt = SequenceFormat.parse(template)
    prefix = fmt.prefix_for(date)
    start, end = period_range(fmt.reset, date, fiscal_last_day, fiscal_last_month)
    extra, params = _journal_filter(move["move_type"], bool(journal["refund_sequence"]),
                                    bool(journal["payment_sequence"]), bool(move.get("payment_id")))
    rows = env.conn.execute(
        "SELECT name FROM account_move WHERE journal_id = ? AND id != ? AND name LIKE ? ESCAPE '\\'"
        " AND date BETWEEN ? AND ?" + extra,
        [journal["id"], move["id"], _like_escape(prefix) + "%",
         max(start, dt.date(1, 1, 1)).isoformat(), min(end, dt.date(9999, 12, 31)).isoformat(), *params],
    ).fetchall()
    suffix = fmt.parts.get("suffix", "")
    highest = 0
    for (name,) in rows:
        rest = name[len(prefix):]
        if suffix and rest.endswith(suffix):
            rest = rest[: -len(suffix)]
        if rest.isdigit():
            highest = max(highest, int(rest))
    number = highest + 1
    return fmt.name(date, number), prefix, number
