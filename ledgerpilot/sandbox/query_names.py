"""Display names and name-search domains, as Odoo 17 computes them for each served model.

``display_names`` answers for many records at once with one query per model (never one per
record): it is what ``read`` uses for many2one values, what ``name_search`` returns and what
``read_group`` shows for many2one groups.

``name_search_domain`` is the domain Odoo 17's ``_name_search`` builds for a model (for example
``account.account`` matches its code by prefix, ``res.partner`` its complete name, email,
reference and VAT); the domain compiler uses it for ``('partner_id', 'ilike', 'Azure')`` and for
searches on ``display_name``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ledgerpilot.sandbox.query_sql import col, in_list, q
from ledgerpilot.sandbox.registry import ModelSpec

NEGATIVE_OPERATORS = ("!=", "not like", "not ilike", "not in")

#: Labels of drafts without a number, as account.move._get_move_display_name writes them.
_DRAFT_MOVE_LABELS = {
    "out_invoice": "Draft Invoice",
    "out_refund": "Draft Credit Note",
    "in_invoice": "Draft Bill",
    "in_refund": "Draft Vendor Credit Note",
    "out_receipt": "Draft Sales Receipt",
    "in_receipt": "Draft Purchase Receipt",
    "entry": "Draft Entry",
}

#: Odoo 17's ``_rec_names_search``: the fields a name search looks at, per model.
_REC_NAMES_SEARCH: dict[str, tuple[str, ...]] = {
    "res.partner": ("complete_name", "email", "ref", "vat", "company_registry"),
    "res.users": ("name", "login"),
    "account.move": ("name", "partner_id.name", "ref"),
    "account.move.line": ("name", "move_id", "product_id"),
    "account.journal": ("name", "code"),
    "account.analytic.account": ("name", "code", "partner_id"),
    "product.product": ("default_code", "name"),
    "res.currency": ("name", "full_name"),
}


def value_sql(models: dict[str, ModelSpec], model: str, field: str, alias: str) -> str:
    """SQL for one field's stored value on rows of ``alias``, following a delegated (related) field."""
    spec = models[model].fields[field]
    if field == "id":
        return col(alias, "id")
    if spec.related:
        link, target = spec.related.split(".", 1)
        parent = models[model].fields[link].relation
        inner = f"{alias}__{link}"
        return (f"(SELECT {col(inner, target)} FROM {q(models[parent].table)} AS {q(inner)}"
                f" WHERE {col(inner, 'id')} = {col(alias, link)})")
    return col(alias, field)


def _fetch(store, model: str, ids: Sequence[int], fields: Sequence[str]) -> list[tuple]:
    models = store.storage  # fields as the sandbox keeps them, whatever serie it plays
    alias = "dn"
    exprs = ", ".join([col(alias, "id")] + [value_sql(models, model, f, alias) for f in fields])
    rhs, params = in_list(ids)
    sql = f"SELECT {exprs} FROM {q(models[model].table)} AS {q(alias)} WHERE {col(alias, 'id')} IN {rhs}"
    return store.conn.execute(sql, params).fetchall()


def _present(spec: ModelSpec, names: Iterable[str]) -> list[str]:
    return [n for n in names if n in spec.fields]


def _move_display(state, move_type, name, ref, rid) -> str:
    text = ""
    if state == "draft":
        text += _DRAFT_MOVE_LABELS.get(move_type or "entry", "Draft Entry") + " "
    if not name or name == "/":
        text += f"(* {rid})"
    else:
        text += name
    if ref:
        text += f" ({textwrap.shorten(ref, width=50)})"
    return text


def display_names(store, model: str, ids: Iterable[int]) -> dict[int, Any]:
    """``{id: display_name}`` for the existing records among ``ids`` (one query per model involved)."""
    ids = sorted({int(i) for i in ids if i})
    if not ids:
        return {}
    spec = store.storage[model]
    handler = _HANDLERS.get(model)
    if handler is not None:
        return handler(store, ids)
    rec = spec.rec_name
    if not rec or rec == "id" or rec not in spec.fields:
        return {rid: f"{model},{rid}" for (rid,) in _fetch(store, model, ids, [])}
    field = spec.fields[rec]
    rows = _fetch(store, model, ids, [rec])
    if field.type == "many2one" and field.relation:
        sub = display_names(store, field.relation, [v for _, v in rows if v])
        return {rid: (sub.get(v, False) if v else False) for rid, v in rows}
    return {rid: (str(v) if v not in (None, "") else False) for rid, v in rows}


def _account_names(store, ids):
    return {rid: (f"{code} {name}" if code else name or False)
            for rid, code, name in _fetch(store, "account.account", ids, ["code", "name"])}


def _partner_names(store, ids):
    fields = _present(store.storage["res.partner"], ["complete_name", "name"])
    out = {}
    for rid, *values in _fetch(store, "res.partner", ids, fields):
        out[rid] = next((v for v in values if v), "")
    return out


def _move_names(store, ids):
    rows = _fetch(store, "account.move", ids, ["state", "move_type", "name", "ref"])
    return {rid: _move_display(state, mtype, name, ref, rid) for rid, state, mtype, name, ref in rows}


def _move_line_names(store, ids):
    rows = _fetch(store, "account.move.line", ids, ["move_id", "ref", "name", "product_id"])
    moves = {}
    move_ids = {m for _, m, *_ in rows if m}
    if move_ids:
        moves = dict(_fetch(store, "account.move", sorted(move_ids), ["name"]))
    products = display_names(store, "product.product", [p for *_, p in rows if p])
    out = {}
    for rid, move_id, ref, name, product_id in rows:
        parts = (moves.get(move_id), ref and f"({ref})", name or products.get(product_id))
        out[rid] = " ".join(p for p in parts if p)
    return out


def _journal_names(store, ids):
    rows = _fetch(store, "account.journal", ids, ["name", "currency_id", "company_id"])
    companies = {c for *_, c in rows if c}
    company_currency = {}
    if companies:
        company_currency = dict(_fetch(store, "res.company", sorted(companies), ["currency_id"]))
    currencies = display_names(store, "res.currency", [c for _, _, c, _ in rows if c])
    out = {}
    for rid, name, currency_id, company_id in rows:
        text = name or ""
        if currency_id and currency_id != company_currency.get(company_id):
            text = f"{text} ({currencies.get(currency_id, '')})"
        out[rid] = text
    return out


def _product_names(store, ids):
    rows = _fetch(store, "product.product", ids, ["default_code", "name"])
    return {rid: (f"[{code}] {name}" if code else name or False) for rid, code, name in rows}


def _users_names(store, ids):
    return {rid: name or "" for rid, name in _fetch(store, "res.users", ids, ["name"])}


def _analytic_names(store, ids):
    rows = _fetch(store, "account.analytic.account", ids, ["name", "code", "partner_id"])
    partner_spec = store.storage["res.partner"]
    commercial = {}
    partner_ids = sorted({p for *_, p in rows if p})
    if partner_ids:
        if "commercial_partner_id" in partner_spec.fields:
            links = dict(_fetch(store, "res.partner", partner_ids, ["commercial_partner_id"]))
            plain = dict(_fetch(store, "res.partner", sorted({v or k for k, v in links.items()}), ["name"]))
            commercial = {k: plain.get(v or k) for k, v in links.items()}
        else:
            commercial = dict(_fetch(store, "res.partner", partner_ids, ["name"]))
    out = {}
    for rid, name, code, partner_id in rows:
        text = name or ""
        if code:
            text = f"[{code}] {text}"
        if partner_id and commercial.get(partner_id):
            text = f"{text} - {commercial[partner_id]}"
        out[rid] = text
    return out


def _payment_names(store, ids):
    return {rid: name or "Draft Payment" for rid, name in _fetch(store, "account.payment", ids, ["name"])}


_HANDLERS: dict[str, Callable[[Any, list[int]], dict[int, Any]]] = {
    "account.account": _account_names,
    "res.partner": _partner_names,
    "account.move": _move_names,
    "account.move.line": _move_line_names,
    "account.journal": _journal_names,
    "product.product": _product_names,
    "res.users": _users_names,
    "account.analytic.account": _analytic_names,
    "account.payment": _payment_names,
}


def _or(domains: list[list]) -> list:
    domains = [d for d in domains if d]
    return ["|"] * (len(domains) - 1) + [leaf for d in domains for leaf in d]


def _and(domains: list[list]) -> list:
    domains = [d for d in domains if d]
    return ["&"] * (len(domains) - 1) + [leaf for d in domains for leaf in d]


def name_search_domain(spec: ModelSpec, operator: str, name: Any) -> list:
    """The domain Odoo 17's ``_name_search`` uses for ``name`` on this model.

    Returns ``[]`` (everything) for an empty ``like``/``ilike`` name, and ``[(0, '=', 1)]`` for a
    model without any name field (Odoo logs a warning and finds nothing).
    """
    if name == "" and operator in ("like", "ilike"):
        return []
    if spec.name == "account.account":
        text = str(name)
        code = text.split(" ")[0] if text else text
        if operator in ("=", "!="):
            domain = ["|", ("code", "=", code), ("name", operator, name)]
        else:
            domain = ["|", ("code", "=like", f"{code}%"), ("name", operator, name)]
        if operator in NEGATIVE_OPERATORS:
            domain = ["&", "!", *domain[1:]]
        return domain
    fields = _REC_NAMES_SEARCH.get(spec.name)
    if fields:
        fields = tuple(f for f in fields if f.split(".")[0] in spec.fields)
    elif spec.rec_name and spec.rec_name != "id" and spec.rec_name in spec.fields:
        fields = (spec.rec_name,)
    if not fields:
        return [(0, "=", 1)]
    leaves = [[(f, operator, name)] for f in fields]
    return _and(leaves) if operator in NEGATIVE_OPERATORS else _or(leaves)
