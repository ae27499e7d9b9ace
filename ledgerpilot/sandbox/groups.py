"""Security groups and credentials of the sandbox, as Odoo 17 names them.

Groups are ``res.groups`` records with fixed ids; ``GROUPS`` lists them with their external id and
the groups they imply (Odoo's ``implied_ids``: an accounting manager is also a billing user).
Passwords and API keys live in tables the RPC layer never serves.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from ledgerpilot.sandbox.store import Store


@dataclass(frozen=True)
class Group:
    id: int
    xmlid: str
    name: str
    category: str
    implies: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.category} / {self.name}" if self.category else self.name


GROUPS: tuple[Group, ...] = (
    Group(1, "base.group_user", "Internal User", "User types"),
    Group(2, "base.group_erp_manager", "Access Rights", "Administration", ("base.group_user",)),
    Group(4, "base.group_system", "Settings", "Administration", ("base.group_erp_manager",)),
    Group(10, "base.group_portal", "Portal", "User types"),
    Group(28, "account.group_account_invoice", "Billing", "Invoicing", ("base.group_user",)),
    Group(29, "account.group_account_readonly", "Show Accounting Features - Readonly", "Technical",
          ("base.group_user",)),
    Group(30, "account.group_account_manager", "Billing Administrator", "Invoicing",
          ("account.group_account_invoice", "account.group_account_readonly")),
    Group(63, "purchase.group_purchase_user", "User", "Purchase", ("base.group_user",)),
    Group(64, "purchase.group_purchase_manager", "Administrator", "Purchase", ("purchase.group_purchase_user",)),
    Group(22, "sales_team.group_sale_salesman_all_leads", "User: All Documents", "Sales", ("base.group_user",)),
    Group(23, "sales_team.group_sale_manager", "Administrator", "Sales",
          ("sales_team.group_sale_salesman_all_leads",)),
    Group(46, "stock.group_stock_user", "User", "Inventory", ("base.group_user",)),
    Group(36, "project.group_project_user", "User", "Project", ("base.group_user",)),
)

GROUP_BY_XMLID = {g.xmlid: g for g in GROUPS}
GROUP_BY_ID = {g.id: g for g in GROUPS}


def implied_closure(xmlids: list[str] | tuple[str, ...]) -> set[str]:
    """The groups a user effectively has, following ``implies``."""
    seen: set[str] = set()
    stack = list(xmlids)
    while stack:
        xmlid = stack.pop()
        if xmlid in seen:
            continue
        seen.add(xmlid)
        stack.extend(GROUP_BY_XMLID[xmlid].implies)
    return seen


def group_ids(xmlids: list[str] | tuple[str, ...]) -> list[int]:
    """Ids of the groups named and of every group they imply (what ``groups_id`` holds in Odoo)."""
    return sorted(GROUP_BY_XMLID[x].id for x in implied_closure(xmlids))


def seed_groups(store: Store) -> None:
    store.bulk_insert(
        "res.groups",
        [{"id": g.id, "name": g.name, "full_name": g.full_name, "comment": g.xmlid} for g in GROUPS],
    )


def _hash(secret: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def set_password(store: Store, user_id: int, password: str) -> None:
    salt = secrets.token_hex(8)
    with store.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO sandbox_user_passwords (user_id, password) VALUES (?, ?)",
            (user_id, f"{salt}${_hash(password, salt)}"),
        )


def check_password(store: Store, user_id: int, password: str) -> bool:
    row = store.conn.execute("SELECT password FROM sandbox_user_passwords WHERE user_id = ?", (user_id,)).fetchone()
    if not row or not isinstance(password, str):
        return False
    salt, digest = row[0].split("$", 1)
    return hmac.compare_digest(digest, _hash(password, salt))


def create_api_key(store: Store, user_id: int, name: str, scope: str = "rpc") -> str:
    """Make a new API key (40 lowercase hex characters, as Odoo's) and keep only its hash."""
    key = secrets.token_hex(20)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO sandbox_api_keys (key_hash, user_id, name, scope) VALUES (?, ?, ?, ?)",
            (_hash(key, "apikey"), user_id, name, scope),
        )
    return key


def user_for_api_key(store: Store, key: str) -> int | None:
    if not isinstance(key, str):
        return None
    row = store.conn.execute(
        "SELECT user_id FROM sandbox_api_keys WHERE key_hash = ?", (_hash(key, "apikey"),)
    ).fetchone()
    return int(row[0]) if row else None


def revoke_api_key(store: Store, key: str) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM sandbox_api_keys WHERE key_hash = ?", (_hash(key, "apikey"),))
