"""The sandbox's model registry, built from real Odoo 17 ``fields_get`` output.

Each model the sandbox serves is described by the recorded schema bundled in ``schema/17.0``.
A field is *served* (appears in ``fields_get`` and can be read) when the sandbox can give it a
faithful value:

- stored scalar and many2one fields (a column in SQLite),
- stored many2many fields (a relation table),
- one2many fields whose inverse many2one is known (``ONE2MANY_INVERSES``),
- non-stored fields the ORM computes (``COMPUTED_FIELDS``, plus ``display_name`` everywhere).

Everything else in the recorded schema (avatars, activity helpers, fields of modules the sandbox
does not imitate) is left out, so ``fields_get`` never advertises a field the sandbox would
answer wrongly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Mapping

SCHEMA_VERSION = "17.0"

#: The models the sandbox serves, with their ``_order`` (as in Odoo 17) and ``_rec_name``.
MODEL_ORDER: dict[str, tuple[str, str]] = {
    "res.company": ("sequence, name", "name"),
    "res.partner": ("complete_name ASC, id DESC", "complete_name"),
    "res.users": ("name, login", "name"),
    "res.currency": ("active desc, name", "name"),
    "account.account": ("code, company_id", "name"),
    "account.journal": ("sequence, type, code", "name"),
    "account.move": ("date desc, name desc, id desc", "name"),
    "account.move.line": ("date desc, move_name desc, id", "name"),
    "account.payment": ("date desc, name desc", "name"),
    "account.payment.term": ("sequence, id", "name"),
    "account.payment.term.line": ("id", "value"),
    "account.bank.statement": ("date desc, name desc, id desc", "name"),
    "account.bank.statement.line": ("internal_index desc", "payment_ref"),
    "account.partial.reconcile": ("id", "id"),
    "account.full.reconcile": ("id", "name"),
    "account.tax": ("sequence,id", "name"),
    "account.analytic.plan": ("sequence asc, id", "name"),
    "account.analytic.account": ("plan_id, name asc", "name"),
    "account.analytic.line": ("date desc, id desc", "name"),
    "account.budget.post": ("name", "name"),
    "crossovered.budget": ("name", "name"),
    "crossovered.budget.lines": ("id", "name"),
    "sale.order": ("date_order desc, id desc", "name"),
    "sale.order.line": ("order_id, sequence, id", "name"),
    "purchase.order": ("priority desc, id desc", "name"),
    "purchase.order.line": ("order_id, sequence, id", "name"),
    "product.product": ("default_code, name, id", "name"),
    "product.category": ("complete_name", "complete_name"),
    "stock.picking": ("priority desc, scheduled_date asc, id desc", "name"),
    "stock.move": ("sequence, id", "name"),
    "stock.valuation.layer": ("create_date, id", "id"),
    "mail.message": ("id desc", "record_name"),
    "mail.activity": ("date_deadline ASC, id ASC", "summary"),
    "mail.activity.type": ("sequence, id", "name"),
    "discuss.channel": ("name", "name"),
    "project.project": ("sequence, name, id", "name"),
    "project.task": ("priority desc, sequence, date_deadline asc, id desc", "name"),
    "ir.model": ("model", "name"),
    "res.groups": ("name", "full_name"),
    "product.template": ("priority desc, name", "name"),
    "res.currency.rate": ("name desc", "name"),
}

#: one2many field -> the many2one on the comodel that points back.
ONE2MANY_INVERSES: dict[tuple[str, str], str] = {
    ("res.company", "child_ids"): "parent_id",
    ("res.partner", "child_ids"): "parent_id",
    ("res.partner", "bank_ids"): "partner_id",
    ("account.move", "line_ids"): "move_id",
    ("account.move", "invoice_line_ids"): "move_id",
    ("account.move.line", "matched_debit_ids"): "credit_move_id",
    ("account.move.line", "matched_credit_ids"): "debit_move_id",
    ("account.move.line", "analytic_line_ids"): "move_line_id",
    ("account.payment.term", "line_ids"): "payment_id",
    ("account.bank.statement", "line_ids"): "statement_id",
    ("account.full.reconcile", "partial_reconcile_ids"): "full_reconcile_id",
    ("account.full.reconcile", "reconciled_line_ids"): "full_reconcile_id",
    ("account.analytic.plan", "account_ids"): "plan_id",
    ("account.analytic.plan", "children_ids"): "parent_id",
    ("account.analytic.account", "line_ids"): "account_id",
    ("account.analytic.account", "crossovered_budget_line_ids"): "analytic_account_id",
    ("account.budget.post", "crossovered_budget_line_ids"): "general_budget_id",
    ("crossovered.budget", "crossovered_budget_line_ids"): "crossovered_budget_id",
    ("sale.order", "order_line"): "order_id",
    ("purchase.order", "order_line"): "order_id",
    ("stock.picking", "move_ids"): "picking_id",
    ("purchase.order.line", "move_ids"): "purchase_line_id",
    ("project.project", "task_ids"): "project_id",
    ("res.currency", "rate_ids"): "currency_id",
}

#: Non-stored fields the sandbox computes at read time (besides ``display_name``).
COMPUTED_FIELDS: dict[str, tuple[str, ...]] = {
    "res.users": ("share",),
}

#: Odoo's ``_inherits`` (delegation): the child reads the parent's fields through a many2one.
#: Every recorded non-stored field of the child that the parent stores is served as related.
INHERITS: dict[str, tuple[str, str]] = {
    "account.payment": ("account.move", "move_id"),
    "account.bank.statement.line": ("account.move", "move_id"),
    "res.users": ("res.partner", "partner_id"),
    "product.product": ("product.template", "product_tmpl_id"),
}

#: Non-stored related fields, one level deep: (model, field) -> "many2one.field_on_comodel".
RELATED_FIELDS: dict[tuple[str, str], str] = {
    ("account.move.line", "account_type"): "account_id.account_type",
    ("account.move.line", "account_internal_group"): "account_id.internal_group",
}

#: product.template is not in the recorded schema; its fields are the ones product.product
#: delegates to it, with the attributes recorded on product.product (stored on the template).
_TEMPLATE_FIELDS = ("name", "categ_id", "list_price", "standard_price", "detailed_type", "type", "uom_id",
                    "uom_po_id", "sale_ok", "purchase_ok", "company_id", "description", "invoice_policy",
                    "purchase_method", "property_account_income_id", "property_account_expense_id",
                    "cost_method", "currency_id")

#: Field types kept as a SQLite column, with the column affinity.
COLUMN_TYPES: dict[str, str] = {
    "char": "TEXT",
    "text": "TEXT",
    "html": "TEXT",
    "selection": "TEXT",
    "date": "TEXT",
    "datetime": "TEXT",
    "json": "TEXT",
    "integer": "INTEGER",
    "many2one": "INTEGER",
    "many2one_reference": "INTEGER",
    "boolean": "INTEGER",
    "float": "REAL",
    "monetary": "REAL",
}

#: Models the sandbox adds that the recorded schema does not cover (Odoo has them, of course).
EXTRA_SCHEMAS: dict[str, dict[str, dict[str, Any]]] = {
    "res.groups": {
        "id": {"type": "integer", "string": "ID", "store": True, "readonly": True, "required": False},
        "name": {"type": "char", "string": "Name", "store": True, "readonly": False, "required": True},
        "full_name": {"type": "char", "string": "Group Name", "store": True, "readonly": True,
                      "required": False},
        "comment": {"type": "text", "string": "Comment", "store": True, "readonly": False,
                    "required": False},
        "display_name": {"type": "char", "string": "Display Name", "store": False, "readonly": True,
                         "required": False},
    },
    # Odoo 17's res.currency.rate (the recorded schema has res.currency.rate_ids pointing to it)
    "res.currency.rate": {
        "id": {"type": "integer", "string": "ID", "store": True, "readonly": True, "required": False},
        "name": {"type": "date", "string": "Date", "store": True, "readonly": False, "required": True},
        "rate": {"type": "float", "string": "Technical Rate", "store": True, "readonly": False,
                 "required": False},
        "currency_id": {"type": "many2one", "relation": "res.currency", "string": "Currency", "store": True,
                        "readonly": True, "required": False},
        "company_id": {"type": "many2one", "relation": "res.company", "string": "Company", "store": True,
                       "readonly": False, "required": False},
        "create_date": {"type": "datetime", "string": "Created on", "store": True, "readonly": True,
                        "required": False},
        "write_date": {"type": "datetime", "string": "Last Updated on", "store": True, "readonly": True,
                       "required": False},
        "display_name": {"type": "char", "string": "Display Name", "store": False, "readonly": True,
                         "required": False},
    },
}


@dataclass(frozen=True)
class FieldSpec:
    """One served field: its recorded ``fields_get`` attributes and how the sandbox keeps it."""

    name: str
    type: str
    attrs: Mapping[str, Any]
    relation: str | None = None
    inverse: str | None = None  # one2many only
    related: str | None = None  # "many2one.field": read and searched through the many2one

    @property
    def store(self) -> bool:
        return bool(self.attrs.get("store", False))

    @property
    def is_column(self) -> bool:
        return self.store and self.type in COLUMN_TYPES and self.name != "id"

    @property
    def is_relation_table(self) -> bool:
        return self.store and self.type == "many2many"

    @property
    def is_computed(self) -> bool:
        return not self.store and self.related is None and self.type not in ("one2many", "many2many")

    @property
    def selection_keys(self) -> tuple[Any, ...]:
        return tuple(key for key, _label in self.attrs.get("selection") or ())


@dataclass(frozen=True)
class ModelSpec:
    name: str
    order: str
    rec_name: str
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)

    @property
    def table(self) -> str:
        return table_name(self.name)

    @property
    def columns(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields.values() if f.is_column)

    @property
    def many2many(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields.values() if f.is_relation_table)

    def field(self, name: str) -> FieldSpec:
        return self.fields[name]


def table_name(model: str) -> str:
    return model.replace(".", "_")


def relation_table(model: str, field_name: str) -> str:
    """Name of the SQLite table holding a stored many2many (``id1`` = this model, ``id2`` = comodel)."""
    return f"rel__{table_name(model)}__{field_name}"


@cache
def _raw_schema(model: str) -> dict[str, dict[str, Any]]:
    if model in EXTRA_SCHEMAS:
        return EXTRA_SCHEMAS[model]
    if model == "product.template":
        product = _raw_schema("product.product")
        base = {k: dict(product[k]) for k in ("id", "display_name", "create_date", "create_uid", "write_date",
                                              "write_uid", "active")}
        template = {k: {**product[k], "store": True} for k in _TEMPLATE_FIELDS if k in product}
        return {**base, **template}
    text = resources.files("ledgerpilot.sandbox").joinpath(f"schema/{SCHEMA_VERSION}/{model}.json").read_text()
    return json.loads(text)


def recorded_version() -> dict[str, Any]:
    text = resources.files("ledgerpilot.sandbox").joinpath(f"schema/{SCHEMA_VERSION}/_version.json").read_text()
    return json.loads(text)


def _served(model: str, name: str, attrs: Mapping[str, Any]) -> FieldSpec | None:
    ftype = attrs.get("type")
    relation = attrs.get("relation")
    if name == "display_name" or name in COMPUTED_FIELDS.get(model, ()):
        return FieldSpec(name, ftype, attrs, relation)
    if (model, name) in RELATED_FIELDS:
        return FieldSpec(name, ftype, attrs, relation, related=RELATED_FIELDS[(model, name)])
    if not attrs.get("store"):
        if model in INHERITS and ftype in COLUMN_TYPES:
            parent, link = INHERITS[model]
            parent_attrs = _raw_schema(parent).get(name)
            if parent_attrs and parent_attrs.get("store") and parent_attrs.get("type") == ftype:
                return FieldSpec(name, ftype, attrs, relation, related=f"{link}.{name}")
        return None
    if ftype == "one2many":
        inverse = ONE2MANY_INVERSES.get((model, name))
        if inverse is None or relation not in MODEL_ORDER:
            return None
        return FieldSpec(name, ftype, attrs, relation, inverse)
    if ftype == "many2many":
        return FieldSpec(name, ftype, attrs, relation) if relation in MODEL_ORDER else None
    if ftype in COLUMN_TYPES or name == "id":
        return FieldSpec(name, ftype, attrs, relation)
    return None  # binary, properties, ...: not imitated


@cache
def registry() -> dict[str, ModelSpec]:
    """Every served model, keyed by its Odoo name."""
    models: dict[str, ModelSpec] = {}
    for model, (order, rec_name) in MODEL_ORDER.items():
        served = {}
        for name, attrs in _raw_schema(model).items():
            spec = _served(model, name, attrs)
            if spec is not None:
                served[name] = spec
        models[model] = ModelSpec(model, order, rec_name, served)
    return models


def model_spec(model: str) -> ModelSpec:
    return registry()[model]
