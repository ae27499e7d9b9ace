"""Rules of ``res.partner``: no recursive hierarchies, and the stored names Odoo computes.

``complete_name`` ("Company, Contact") and ``commercial_partner_id`` (the company a contact
belongs to) are stored in Odoo and read by the product, so they are kept up to date here for a
partner and for every contact below it.
"""

from __future__ import annotations

from typing import Any

from ledgerpilot.sandbox.env import Env
from ledgerpilot.sandbox.exceptions import ValidationError
from ledgerpilot.sandbox.groups import set_password
from ledgerpilot.sandbox.writes import ModelRules, update_rows


def _check_recursion(env: Env, ids: list[int]) -> None:
    """Odoo's ``_check_recursion`` on ``parent_id``: walking up from each partner never meets it again."""
    for partner_id in ids:
        seen = {partner_id}
        current = partner_id
        while True:
            row = env.conn.execute("SELECT parent_id FROM res_partner WHERE id = ?", (current,)).fetchone()
            parent = row[0] if row else None
            if not parent:
                break
            if parent in seen:
                raise ValidationError("You cannot create recursive Partner hierarchies.")
            seen.add(parent)
            current = parent


def _descendants(env: Env, ids: list[int]) -> list[int]:
    out: list[int] = []
    frontier = list(ids)
    seen = set(ids)
    while frontier:
        marks = ",".join("?" * len(frontier))
        rows = env.conn.execute(f"SELECT id FROM res_partner WHERE parent_id IN ({marks})", frontier).fetchall()
        frontier = [r[0] for r in rows if r[0] not in seen]
        seen.update(frontier)
        out.extend(frontier)
    return out


def recompute_names(env: Env, ids: list[int]) -> None:
    """``complete_name``, ``commercial_partner_id`` and ``commercial_company_name``, top-down."""
    for partner_id in list(ids) + _descendants(env, ids):
        row = env.conn.execute(
            "SELECT p.name, p.is_company, p.parent_id, parent.name, parent.commercial_partner_id"
            " FROM res_partner p LEFT JOIN res_partner parent ON parent.id = p.parent_id WHERE p.id = ?",
            (partner_id,),
        ).fetchone()
        if row is None:
            continue
        name, is_company, parent_id, parent_name, parent_commercial = row
        if is_company or not parent_id:
            commercial = partner_id
        else:
            commercial = parent_commercial or parent_id
        complete = name or ""
        if parent_id and not is_company and parent_name:
            complete = f"{parent_name}, {name or ''}".rstrip(", ") if name else parent_name
        company_row = env.conn.execute("SELECT name, is_company FROM res_partner WHERE id = ?", (commercial,)).fetchone()
        company_name = company_row[0] if company_row and company_row[1] else None
        env.conn.execute(
            "UPDATE res_partner SET complete_name = ?, commercial_partner_id = ?, commercial_company_name = ?"
            " WHERE id = ?",
            (complete or None, commercial, company_name, partner_id),
        )


class PartnerRules(ModelRules):
    def after_create(self, env: Env, ids: list[int]) -> None:
        _check_recursion(env, ids)
        recompute_names(env, ids)

    def after_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        if "parent_id" in vals:
            _check_recursion(env, ids)
        if vals.keys() & {"name", "parent_id", "is_company"}:
            recompute_names(env, ids)
            touched = _descendants(env, ids)
            if touched:
                update_rows(env, "res.partner", touched, {})


class UserRules(ModelRules):
    """A user's password is written like a field but kept hashed outside ``res_users``."""

    private_fields = frozenset({"password"})

    def store_private(self, env: Env, record_id: int, values: dict[str, Any]) -> None:
        password = values.get("password")
        if password:
            if not isinstance(password, str):
                raise ValueError("The password must be text")
            set_password(env.store, record_id, password)
