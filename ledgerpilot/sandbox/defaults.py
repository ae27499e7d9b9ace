"""Default values Odoo 17 gives fields a client leaves out on create.

Only what a record needs to be valid and to read back as Odoo's would: required selections,
the user's company, today's date, the active flag. Defaults that depend on other records of the
accounting domain (a move's journal and currency) live with those rules in ``accounting.py``.
"""

from __future__ import annotations

from typing import Any

from ledgerpilot.sandbox.env import Env
from ledgerpilot.sandbox.groups import group_ids

Default = Any  # a value, or a callable(env, vals) -> value


def _company(env: Env, vals: dict) -> int:
    return env.company_id


def _today(env: Env, vals: dict) -> str:
    return env.today.isoformat()


def _now(env: Env, vals: dict) -> str:
    return env.now


def _uid(env: Env, vals: dict) -> int:
    return env.uid


def _company_currency(env: Env, vals: dict) -> int | None:
    row = env.conn.execute("SELECT currency_id FROM res_company WHERE id = ?",
                           (vals.get("company_id") or env.company_id,)).fetchone()
    return row[0] if row else None


def _internal_user(env: Env, vals: dict) -> list[int]:
    """New users are internal users (Odoo's default user template)."""
    return group_ids(["base.group_user"])


def _order_reference(prefix: str, table: str):
    """Odoo's ``ir.sequence`` for orders (``S00042``, ``P00042``): one more than the highest in use."""

    def default(env: Env, vals: dict) -> str:
        highest = 0
        for (name,) in env.conn.execute(f'SELECT name FROM "{table}" WHERE name LIKE ?', (prefix + "%",)):
            digits = name[len(prefix):]
            if digits.isdigit():
                highest = max(highest, int(digits))
        return f"{prefix}{highest + 1:05d}"

    return default


def _first_category(env: Env, vals: dict) -> int | None:
    row = env.conn.execute("SELECT MIN(id) FROM product_category").fetchone()
    return row[0] if row else None


def _ir_model_id(env: Env, vals: dict) -> int | None:
    res_model = vals.get("res_model")
    if not res_model:
        return None
    row = env.conn.execute("SELECT id FROM ir_model WHERE model = ?", (res_model,)).fetchone()
    return row[0] if row else None


#: model -> field -> default (value or callable(env, vals)).
DEFAULTS: dict[str, dict[str, Default]] = {
    "res.users": {"company_id": _company, "notification_type": "email", "groups_id": _internal_user},
    "account.account": {"company_id": _company},
    "account.journal": {"company_id": _company, "invoice_reference_model": "odoo",
                        "invoice_reference_type": "invoice"},
    "account.payment": {"partner_type": "customer", "payment_type": "inbound"},
    "account.payment.term": {"sequence": 10},
    "account.payment.term.line": {"delay_type": "days_after", "value": "percent"},
    "account.tax": {"company_id": _company, "sequence": 1, "amount_type": "percent"},
    "account.analytic.line": {"company_id": _company, "date": _today},
    "account.budget.post": {"company_id": _company},
    "crossovered.budget": {"company_id": _company, "state": "draft"},
    "sale.order": {"company_id": _company, "date_order": _now, "picking_policy": "direct",
                   "name": _order_reference("S", "sale_order")},
    "sale.order.line": {"customer_lead": 0.0, "price_unit": 0.0, "product_uom_qty": 1.0},
    "purchase.order": {"company_id": _company, "date_order": _now, "currency_id": _company_currency,
                       "name": _order_reference("P", "purchase_order")},
    "purchase.order.line": {"price_unit": 0.0, "product_qty": 1.0},
    "stock.move": {"company_id": _company, "date": _now, "procure_method": "make_to_stock"},
    "stock.valuation.layer": {"company_id": _company},
    "mail.message": {"message_type": "email", "date": _now},
    "mail.activity": {"date_deadline": _today, "user_id": _uid, "res_model_id": _ir_model_id},
    "mail.activity.type": {"chaining_type": "suggest", "delay_from": "previous_activity", "delay_unit": "days"},
    "discuss.channel": {"channel_type": "channel"},
    "project.project": {"last_update_status": "to_define", "privacy_visibility": "portal",
                        "rating_status": "stage", "rating_status_period": "monthly"},
    "project.task": {"state": "01_in_progress"},
    "ir.model": {"order": "id"},
    "product.template": {"categ_id": _first_category, "detailed_type": "consu", "type": "consu",
                         "sale_ok": True, "purchase_ok": True},
    "res.currency.rate": {"name": _today, "company_id": _company},
}


def apply_defaults(env: Env, model: str, vals: dict[str, Any], field_names: set[str]) -> None:
    """Fill the defaults of ``model`` that ``vals`` leaves out (in place)."""
    if "active" in field_names and "active" not in vals:
        vals["active"] = True
    for name, default in DEFAULTS.get(model, {}).items():
        if name in vals or name not in field_names:
            continue
        value = default(env, vals) if callable(default) else default
        if value is not None:
            vals[name] = value
