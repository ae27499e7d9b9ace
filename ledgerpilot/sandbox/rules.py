"""Record rules: which records a user may see, as Odoo's multi-company rules decide.

A call runs for a set of companies (Odoo's ``env.companies``): the ``allowed_company_ids`` of its
context when given (each must be one of the user's companies, else ``AccessError("Access to
unauthorized or invalid companies.")``), otherwise every company of the user. So a client that
does not name its company reads the books of all the user's companies at once, as on a real Odoo.

What the rules keep, for every user but the superuser:

- records of a model with a company (``company_id``) that belong to one of those companies or to
  none (shared records: partners, products, analytic accounts ...);
- ``account.account``: accounts one of whose companies (``company_ids``, 18+) is among them;
- ``res.partner``: also the partners of internal users (``partner_share`` false), as Odoo's rule;
- ``res.company``: the companies among them;
- ``ir.model``: only the models the played serie serves (a model of a module the recorded server
  did not have is not installed there).

Searches (``search``, ``search_read``, ``search_count``, ``read_group``, ``name_search``) leave the
other records out; ``read`` of one raises Odoo's AccessError naming it, as Odoo 17 does.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from ledgerpilot.sandbox.exceptions import AccessError
from ledgerpilot.sandbox.query_sql import col, in_list, q
from ledgerpilot.sandbox.registry import MODEL_DESCRIPTIONS

SUPERUSER_ID = 1
#: Models whose company field is not a rule: a user's current company, a company's parent.
_NO_COMPANY_RULE = frozenset({"res.users", "res.company"})


class RecordRules:
    """The record rules of one call: a user, the companies it runs for, the served models."""

    def __init__(self, store, uid: int, context: dict | None = None):
        self.store = store
        self.uid = int(uid)
        self.context = context or {}

    @cached_property
    def user_companies(self) -> list[int]:
        rows = self.store.conn.execute('SELECT id2 FROM "rel__res_users__company_ids" WHERE id1 = ? ORDER BY id2',
                                       (self.uid,)).fetchall()
        ids = [int(r[0]) for r in rows]
        if not ids:
            row = self.store.conn.execute("SELECT company_id FROM res_users WHERE id = ?", (self.uid,)).fetchone()
            ids = [int(row[0])] if row and row[0] else []
        return ids

    @cached_property
    def companies(self) -> list[int]:
        """Odoo's ``env.companies``: the context's allowed companies, else all the user's companies."""
        asked = self.context.get("allowed_company_ids")
        if asked:
            try:
                ids = [int(i) for i in (asked if isinstance(asked, (list, tuple)) else [asked])]
            except (TypeError, ValueError):
                raise AccessError("Access to unauthorized or invalid companies.") from None
            if self.uid != SUPERUSER_ID and not set(ids) <= set(self.user_companies):
                raise AccessError("Access to unauthorized or invalid companies.")
            return ids
        return self.user_companies

    @property
    def company_id(self) -> int | None:
        """Odoo's ``env.company``: the first allowed company, else the user's current one."""
        asked = self.context.get("allowed_company_ids")
        if asked:
            return self.companies[0]
        row = self.store.conn.execute("SELECT company_id FROM res_users WHERE id = ?", (self.uid,)).fetchone()
        return int(row[0]) if row and row[0] else None

    def check(self) -> None:
        """Refuse a context naming companies the user does not have (Odoo checks it on first use)."""
        _ = self.companies

    # -- SQL -----------------------------------------------------------------------------------
    def sql(self, model: str, alias: str) -> tuple[str, list] | None:
        """The rule of ``model`` on rows reachable as ``alias``, or None when nothing is ruled out."""
        if model == "ir.model":
            rhs, params = in_list(sorted(self.store.registry))
            return f"({col(alias, 'model')} IN {rhs})", params
        if self.uid == SUPERUSER_ID:
            return None
        kept = self.store.storage.get(model)
        if kept is None:
            return None
        companies = self.companies
        if model == "res.company":
            rhs, params = in_list(companies)
            return f"({col(alias, 'id')} IN {rhs})", params
        if model == "account.account":
            rel = q(kept.fields["company_ids"].relation_table(model))
            rhs, params = in_list(companies)
            return (f"(EXISTS (SELECT 1 FROM {rel} AS r WHERE r.id1 = {col(alias, 'id')} AND r.id2 IN {rhs})"
                    f" OR {col(alias, 'company_id')} IN {rhs})", [*params, *params])
        field = kept.fields.get("company_id")
        if model in _NO_COMPANY_RULE or field is None or field.relation != "res.company":
            return None
        rhs, params = in_list(companies)
        if field.related:  # a payment or a bank line: the company of its journal entry (``_inherits``)
            link, target = field.related.split(".", 1)
            parent = self.store.storage[kept.fields[link].relation]
            return (f"({col(alias, link)} IN (SELECT p.id FROM {q(parent.table)} AS p WHERE p.{q(target)} IN {rhs}"
                    f" OR p.{q(target)} IS NULL))", params)
        if not field.is_column:
            return None
        sql = f"({col(alias, 'company_id')} IN {rhs} OR {col(alias, 'company_id')} IS NULL"
        if model == "res.partner" and "partner_share" in kept.fields:
            sql += f" OR COALESCE({col(alias, 'partner_share')}, 0) = 0"
        return sql + ")", params

    def check_read(self, model: str, ids: Iterable[int]) -> None:
        """AccessError when some of ``ids`` exist but the rules hide them (Odoo's ``_check_access``)."""
        ids = sorted({int(i) for i in ids})
        rule = self.sql(model, "t") if ids else None
        if rule is None:
            return
        where, params = rule
        table = q(self.store.storage[model].table)
        rhs, id_params = in_list(ids)
        hidden = [r[0] for r in self.store.conn.execute(
            f'SELECT "t".id FROM {table} AS "t" WHERE "t".id IN {rhs} AND NOT {where}', [*id_params, *params])]
        if hidden:
            user = self.store.conn.execute(
                "SELECT p.name FROM res_users u LEFT JOIN res_partner p ON p.id = u.partner_id WHERE u.id = ?",
                (self.uid,)).fetchone()
            label = MODEL_DESCRIPTIONS.get(model, model)
            shown = ", ".join(str(i) for i in hidden[:10])
            raise AccessError(
                f"Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n"
                f"Sorry, {user[0] if user else ''} (id={self.uid}) doesn't have 'read' access to:\n"
                f"- {label} ({model}: {shown})\n\n"
                "If you really, really need access, perhaps you can win over your friendly administrator with "
                "a batch of freshly baked cookies.")
