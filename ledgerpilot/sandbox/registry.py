"""The sandbox's model registries, built from real Odoo ``fields_get`` output.

Each model the sandbox serves is described by the recorded schema bundled in ``schema/<serie>``
(``17.0``, and ``19.0`` for a sandbox playing Odoo 19). A field is *served* (appears in
``fields_get`` and can be read) when the sandbox can give it a faithful value:

- stored scalar and many2one fields (a column in SQLite),
- stored many2many fields (a relation table),
- one2many fields whose inverse many2one is known (``ONE2MANY_INVERSES``),
- non-stored fields the ORM computes (``COMPUTED_FIELDS``, plus ``display_name`` everywhere).

Everything else in the recorded schema (avatars, activity helpers, fields of modules the sandbox
does not imitate) is left out, so ``fields_get`` never advertises a field the sandbox would
answer wrongly.

Storage and series. One SQLite layout serves every serie: the *storage registry* is the 17.0
registry plus the few fields later series keep that 17 has not (``STORAGE_EXTRAS``: the sale,
purchase and hard lock dates of 18+, the companies of an account, an account's ``active``); the
17.0 registry leaves those out. The 19.0 registry takes its models and attributes from the 19.0
recording and maps each field to the storage it lives in: the same name, or the 17 name of a
renamed field (``RENAMED``: ``product_uom_id`` is kept as ``product_uom``, ``tax_ids`` as
``taxes_id`` ...). A field keeps the storage's way of being kept (column, relation table,
delegation), so ``account.account.code``, computed per company in 19, is still read from its
column. Models the recorded 19 server did not have (stock, project, the OCA budget models) are
not served on 19, as on that server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Mapping

SCHEMA_VERSION = "17.0"
#: The Odoo series the sandbox can play; 17.0 is the default.
SERIES = ("17.0", "19.0")
DEFAULT_SERIE = "17.0"

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

#: Odoo 17 ``_description`` of each served model (what access errors call the "document kind").
MODEL_DESCRIPTIONS: dict[str, str] = {
    "res.company": "Companies",
    "res.partner": "Contact",
    "res.users": "User",
    "res.groups": "Access Groups",
    "res.currency": "Currency",
    "res.currency.rate": "Currency Rate",
    "account.account": "Account",
    "account.journal": "Journal",
    "account.move": "Journal Entry",
    "account.move.line": "Journal Item",
    "account.payment": "Payments",
    "account.payment.term": "Payment Terms",
    "account.payment.term.line": "Payment Terms Line",
    "account.bank.statement": "Bank Statement",
    "account.bank.statement.line": "Bank Statement Line",
    "account.partial.reconcile": "Partial Reconcile",
    "account.full.reconcile": "Full Reconcile",
    "account.tax": "Tax",
    "account.analytic.plan": "Analytic Plans",
    "account.analytic.account": "Analytic Account",
    "account.analytic.line": "Analytic Line",
    "account.budget.post": "Budgetary Position",
    "crossovered.budget": "Budget",
    "crossovered.budget.lines": "Budget Line",
    "sale.order": "Sales Order",
    "sale.order.line": "Sales Order Line",
    "purchase.order": "Purchase Order",
    "purchase.order.line": "Purchase Order Line",
    "product.product": "Product Variant",
    "product.template": "Product",
    "product.category": "Product Category",
    "stock.picking": "Transfer",
    "stock.move": "Stock Move",
    "stock.valuation.layer": "Stock Valuation Layer",
    "mail.message": "Message",
    "mail.activity": "Activity",
    "mail.activity.type": "Activity Type",
    "discuss.channel": "Discussion Channel",
    "project.project": "Project",
    "project.task": "Task",
    "ir.model": "Models",
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
    #: the name the sandbox keeps the field under (its column or relation table); "" = ``name``
    storage: str = ""
    #: whether the sandbox keeps it (a column or a relation table); None = as the recording says
    kept: bool | None = None

    @property
    def store(self) -> bool:
        """Stored, as ``fields_get`` tells clients."""
        return bool(self.attrs.get("store", False))

    @property
    def stored(self) -> bool:
        """Kept by the sandbox in a column or a relation table (the storage's view)."""
        return self.store if self.kept is None else self.kept

    @property
    def column(self) -> str:
        """The SQLite column (or the field name of the relation table) holding the field."""
        return self.storage or self.name

    @property
    def is_column(self) -> bool:
        return self.stored and self.type in COLUMN_TYPES and self.name != "id"

    @property
    def is_relation_table(self) -> bool:
        return self.stored and self.type == "many2many"

    @property
    def is_computed(self) -> bool:
        return not self.stored and self.related is None and self.type not in ("one2many", "many2many")

    def relation_table(self, model: str) -> str:
        """The relation table of a kept many2many of ``model``."""
        return relation_table(model, self.column)

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


#: Fields later series have and 17 has not, kept in every sandbox database (not served on 17).
STORAGE_EXTRAS: dict[str, tuple[str, ...]] = {
    "res.company": ("sale_lock_date", "purchase_lock_date", "hard_lock_date"),
    "account.account": ("company_ids", "active"),
}

#: (model, name in the serie) -> the name the field is kept under (its 17.0 name).
RENAMED: dict[str, dict[tuple[str, str], str]] = {
    "19.0": {
        ("sale.order.line", "product_uom_id"): "product_uom",
        ("sale.order.line", "tax_ids"): "tax_id",
        ("purchase.order.line", "product_uom_id"): "product_uom",
        ("purchase.order.line", "tax_ids"): "taxes_id",
        ("res.users", "group_ids"): "groups_id",
        ("account.move", "origin_payment_id"): "payment_id",
        ("account.payment", "memo"): "ref",
    },
}

#: Models the sandbox adds or derives itself: served on every serie from their 17.0 description.
_SHARED_MODELS = frozenset({"res.groups", "product.template", "res.currency.rate"})


def _schema_text(serie: str, name: str) -> str | None:
    resource = resources.files("ledgerpilot.sandbox").joinpath(f"schema/{serie}/{name}.json")
    return resource.read_text() if resource.is_file() else None


@cache
def _raw_schema(model: str, serie: str = SCHEMA_VERSION) -> dict[str, dict[str, Any]]:
    """The recorded ``fields_get`` of ``model`` in ``serie`` (empty when that serie has no such model)."""
    if model in EXTRA_SCHEMAS:
        return EXTRA_SCHEMAS[model]
    if model == "product.template":
        product = _raw_schema("product.product")
        base = {k: dict(product[k]) for k in ("id", "display_name", "create_date", "create_uid", "write_date",
                                              "write_uid", "active")}
        template = {k: {**product[k], "store": True} for k in _TEMPLATE_FIELDS if k in product}
        return {**base, **template}
    text = _schema_text(serie, model)
    return json.loads(text) if text is not None else {}


def recorded_version(serie: str = SCHEMA_VERSION) -> dict[str, Any]:
    text = _schema_text(serie, "_version")
    if text is None:
        raise ValueError(f"the sandbox has no recording of Odoo {serie}; it plays {', '.join(SERIES)}")
    return json.loads(text)


def check_serie(serie: str) -> str:
    """``serie`` when the sandbox can play it, else a ValueError naming the ones it can."""
    if serie not in SERIES:
        raise ValueError(f"the sandbox plays Odoo {' or '.join(SERIES)}, not {serie!r}")
    return serie


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


def _storage_schema(model: str) -> dict[str, dict[str, Any]]:
    """The 17.0 recording of ``model`` with the fields later series add (``STORAGE_EXTRAS``)."""
    raw = dict(_raw_schema(model))
    for name in STORAGE_EXTRAS.get(model, ()):
        raw[name] = _raw_schema(model, "19.0")[name]
    return raw


@cache
def storage_registry() -> dict[str, ModelSpec]:
    """Every model and field the sandbox keeps, whatever serie it plays (the SQLite layout)."""
    models: dict[str, ModelSpec] = {}
    for model, (order, rec_name) in MODEL_ORDER.items():
        served = {}
        for name, attrs in _storage_schema(model).items():
            spec = _served(model, name, attrs)
            if spec is not None:
                served[name] = spec
        models[model] = ModelSpec(model, order, rec_name, served)
    return models


def _same_kind(served_type: str | None, kept_type: str) -> bool:
    """A field whose type changed between series is served from storage only if kept the same way."""
    if served_type == kept_type:
        return True
    text = ("char", "text", "html", "selection")
    return served_type in text and kept_type in text


def _serie_registry(serie: str) -> dict[str, ModelSpec]:
    storage = storage_registry()
    renamed = RENAMED.get(serie, {})
    present = {model for model in MODEL_ORDER if model in _SHARED_MODELS or _schema_text(serie, model)}
    models: dict[str, ModelSpec] = {}
    for model in MODEL_ORDER:
        if model not in present:
            continue
        kept = storage[model]
        if model in _SHARED_MODELS:
            models[model] = kept
            continue
        fields: dict[str, FieldSpec] = {}
        for name, attrs in _raw_schema(model, serie).items():
            base = kept.fields.get(renamed.get((model, name), name))
            if base is None or not _same_kind(attrs.get("type"), base.type):
                continue
            relation = attrs.get("relation")
            if base.type in ("one2many", "many2many") and relation not in present:
                continue
            fields[name] = FieldSpec(name, attrs["type"], attrs, relation, inverse=base.inverse,
                                     related=base.related, storage=base.column if base.column != name else "",
                                     kept=base.stored)
        models[model] = ModelSpec(model, kept.order, kept.rec_name, fields)
    return models


@cache
def registry(serie: str = DEFAULT_SERIE) -> dict[str, ModelSpec]:
    """Every model served when the sandbox plays ``serie``, keyed by its Odoo name."""
    check_serie(serie)
    if serie == SCHEMA_VERSION:
        storage = storage_registry()
        extras = {model: set(names) for model, names in STORAGE_EXTRAS.items()}
        return {model: ModelSpec(model, spec.order, spec.rec_name,
                                 {n: f for n, f in spec.fields.items() if n not in extras.get(model, ())})
                for model, spec in storage.items()}
    return _serie_registry(serie)


def model_spec(model: str, serie: str = DEFAULT_SERIE) -> ModelSpec:
    return registry(serie)[model]
