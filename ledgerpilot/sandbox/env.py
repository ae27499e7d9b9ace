"""The environment one RPC call runs in: the store, the calling user, the context, the clock.

Odoo passes ``self.env`` (cursor, uid, context) to every model method; the sandbox passes an
:class:`Env`. It caches what a call asks for repeatedly (the user's groups, the read engine) and
gives the one timestamp every write of the call stamps on ``write_date``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ledgerpilot.sandbox.groups import GROUP_BY_ID, implied_closure
from ledgerpilot.sandbox.query import QueryEngine
from ledgerpilot.sandbox.registry import relation_table
from ledgerpilot.sandbox.rules import RecordRules
from ledgerpilot.sandbox.store import Store

SUPERUSER_ID = 1


def utc_now() -> dt.datetime:
    """The real current time in UTC, to the second (Odoo stores datetimes without microseconds)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def user_group_xmlids(store: Store, uid: int) -> frozenset[str]:
    """External ids of every group the user has, with the groups they imply."""
    rel = relation_table("res.users", "groups_id")
    rows = store.conn.execute(f'SELECT id2 FROM "{rel}" WHERE id1 = ?', (uid,)).fetchall()
    direct = [GROUP_BY_ID[r[0]].xmlid for r in rows if r[0] in GROUP_BY_ID]
    return frozenset(implied_closure(direct))


@dataclass
class Env:
    """One call's environment (Odoo's ``self.env``)."""

    store: Store
    uid: int
    context: dict[str, Any] = field(default_factory=dict)
    #: model name -> its business rules around writes (``sandbox.model_rules.MODEL_RULES``; none: plain writes)
    model_rules: Mapping[str, Any] = field(default_factory=dict)
    #: nesting depth of ORM write operations (business checks run when the outermost one ends)
    depth: int = 0
    #: per rule name, the record ids a finished write operation must re-check (Odoo's containers)
    pending: dict[str, set[int]] = field(default_factory=dict)

    @property
    def conn(self) -> sqlite3.Connection:
        return self.store.conn

    @cached_property
    def groups(self) -> frozenset[str]:
        return user_group_xmlids(self.store, self.uid)

    def has_group(self, xmlid: str) -> bool:
        return self.uid == SUPERUSER_ID or xmlid in self.groups

    @cached_property
    def rules(self) -> RecordRules:
        """The record rules of this call (the companies it runs for; see :mod:`ledgerpilot.sandbox.rules`)."""
        return RecordRules(self.store, self.uid, self.context)

    @cached_property
    def query(self) -> QueryEngine:
        """The read side of the ORM (the read engine, under this call's record rules)."""
        return QueryEngine(self.store, rules=self.rules)

    @cached_property
    def now(self) -> str:
        """``write_date``/``create_date`` for this call: the real UTC time, never before meta 'now'.

        The gateway's incremental sync asks for ``write_date > last seen``; generated rows carry the
        demo's 'now', so a later RPC write must never be stamped earlier than that.
        """
        real = utc_now().strftime("%Y-%m-%d %H:%M:%S")
        floor = self.store.get_meta("now") or ""
        return max(real, floor[:19])

    @cached_property
    def today(self) -> dt.date:
        """The real current date (Odoo's ``fields.Date.context_today`` on the server)."""
        return utc_now().date()

    @cached_property
    def user_row(self) -> sqlite3.Row | None:
        cur = self.conn.execute(
            "SELECT u.id, u.login, u.partner_id, u.company_id, p.name, p.lang, p.tz"
            " FROM res_users u LEFT JOIN res_partner p ON p.id = u.partner_id WHERE u.id = ?",
            (self.uid,),
        )
        return cur.fetchone()

    @cached_property
    def company_decimals(self) -> int:
        row = self.conn.execute(
            "SELECT c.decimal_places FROM res_company co JOIN res_currency c ON c.id = co.currency_id"
            " WHERE co.id = ?", (self.company_id,),
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else 2

    def with_context(self, **values: Any) -> Env:
        """A copy with a changed context, sharing nothing mutable with this one."""
        return Env(self.store, self.uid, {**self.context, **values}, self.model_rules)

    def mark(self, rule: str, ids: Any) -> None:
        """Remember records that ``rule`` must check when the outermost write operation ends."""
        self.pending.setdefault(rule, set()).update(int(i) for i in ids if i)

    @property
    def partner_id(self) -> int | None:
        row = self.user_row
        return int(row[2]) if row and row[2] else None

    @property
    def company_id(self) -> int:
        """Odoo's ``env.company``: the first of the context's allowed companies, else the user's own."""
        if self.context.get("allowed_company_ids"):
            return int(self.rules.company_id)
        row = self.user_row
        if row and row[3]:
            return int(row[3])
        first = self.conn.execute("SELECT MIN(id) FROM res_company").fetchone()
        return int(first[0]) if first and first[0] else 1
