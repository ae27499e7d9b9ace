"""The read side of the sandbox ORM: what Odoo 17's ``search``, ``read``, ``search_read``,
``read_group``, ``fields_get`` and ``name_search`` answer, over the SQLite store.

``SandboxService`` dispatches the read methods here. Each call compiles its domain once
(:mod:`ledgerpilot.sandbox.domain`), runs one SQL query for the records (only the columns asked
for), one query per comodel for many2one display names and one per x2many field, so reading a
million journal items costs a handful of queries, never one per record.

Errors are Odoo's: unknown model -> ``UserError("Object x doesn't exist")``; unknown field,
invalid domain or order -> ``builtins.ValueError``; a full read of moves or journal items ->
``builtins.TypeError`` (real Odoo 17 cannot serialise it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledgerpilot.sandbox.domain import DomainCompiler
from ledgerpilot.sandbox.exceptions import PythonError, UserError
from ledgerpilot.sandbox.query_group import GroupReader
from ledgerpilot.sandbox.query_names import display_names, name_search_domain
from ledgerpilot.sandbox.query_order import OrderCompiler
from ledgerpilot.sandbox.query_read import RecordReader, check_read_fields, raise_if_unserialisable
from ledgerpilot.sandbox.query_sql import col, in_list, prepare_connection, q
from ledgerpilot.sandbox.registry import ModelSpec
from ledgerpilot.sandbox.rules import RecordRules
from ledgerpilot.sandbox.store import Store


def _as_int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PythonError("ValueError", f"Invalid {what} {value!r}: an integer is expected") from None


def _ids(ids: Any) -> list[int]:
    if ids is None or ids is False:
        return []
    if isinstance(ids, (int, str)) and not isinstance(ids, bool):
        ids = [ids]
    return [_as_int(i, "record id") for i in ids]


class QueryEngine:
    """Answers the read methods of the ORM for one sandbox store."""

    def __init__(self, store: Store, rules: RecordRules | None = None):
        self.store = store
        self.models: dict[str, ModelSpec] = store.registry
        #: the record rules of the calling user (None: every record, as the superuser sees them)
        self.rules = rules

    # -- helpers ---------------------------------------------------------------------------
    def _model(self, model: str) -> ModelSpec:
        spec = self.models.get(model) if isinstance(model, str) else None
        if spec is None:
            raise UserError(f"Object {model} doesn't exist")
        prepare_connection(self.store.conn)
        return spec

    def _where(self, model: str, domain: Any, context: dict | None) -> tuple[str, list]:
        where, params = DomainCompiler(self.store, context).where(model, domain if domain else [])
        return with_rule(self.rules, model, self.models[model].table, where, params)

    # -- fields_get --------------------------------------------------------------------------
    def fields_get(self, model: str, allfields: Sequence[str] | None = None,
                   attributes: Sequence[str] | None = None) -> dict:
        """The served fields with their recorded attributes (only ``attributes`` when given)."""
        spec = self._model(model)
        wanted = set(allfields) if allfields else None
        keep = list(attributes) if attributes else None
        result: dict[str, dict] = {}
        for name, field in spec.fields.items():
            if wanted is not None and name not in wanted:
                continue
            attrs = dict(field.attrs)
            if keep is not None:
                attrs = {k: attrs[k] for k in keep if k in attrs}
            result[name] = attrs
        return result

    # -- search ------------------------------------------------------------------------------
    def search(self, model: str, domain: Any, offset: int = 0, limit: int | None = None,
               order: str | None = None, context: dict | None = None) -> list[int]:
        spec = self._model(model)
        where, params = self._where(model, domain, context)
        orders = OrderCompiler(self.models)
        order_sql = orders.order_by(model, order, spec.table)
        sql = (f"SELECT {col(spec.table, 'id')} FROM {q(spec.table)} {orders.join_sql()} WHERE {where}"
               f" ORDER BY {order_sql}")
        params = list(params)
        if limit or offset:
            sql += " LIMIT ? OFFSET ?"
            params += [_as_int(limit, "limit") if limit else -1, _as_int(offset or 0, "offset")]
        return [row[0] for row in self.store.conn.execute(sql, params)]

    def search_count(self, model: str, domain: Any, limit: int | None = None,
                     context: dict | None = None) -> int:
        spec = self._model(model)
        where, params = self._where(model, domain, context)
        inner = f"SELECT 1 FROM {q(spec.table)} WHERE {where}"
        if limit:
            inner += " LIMIT ?"
            params = [*params, _as_int(limit, "limit")]
        return int(self.store.conn.execute(f"SELECT COUNT(*) FROM ({inner})", params).fetchone()[0])

    # -- read ----------------------------------------------------------------------------------
    def read(self, model: str, ids: Any, fields: Sequence[str] | None = None, load: str = "_classic_read",
             context: dict | None = None) -> list[dict]:
        spec = self._model(model)
        names = check_read_fields(spec, fields)
        record_ids = _ids(ids)
        if not record_ids:
            return []
        if self.rules is not None:
            self.rules.check_read(model, record_ids)
        result = RecordReader(self.store, model, context).fetch_ids(record_ids, names, load or "_classic_read")
        raise_if_unserialisable(model, fields, result)
        return result

    def search_read(self, model: str, domain: Any = None, fields: Sequence[str] | None = None, offset: int = 0,
                    limit: int | None = None, order: str | None = None, context: dict | None = None) -> list[dict]:
        self._model(model)
        names = check_read_fields(self.models[model], fields)
        where, params = self._where(model, domain, context)
        reader = RecordReader(self.store, model, context)
        result = reader.fetch(names, where, params, order, _as_int(limit, "limit") if limit else None,
                              _as_int(offset or 0, "offset"))
        raise_if_unserialisable(model, fields, result)
        return result

    # -- read_group ----------------------------------------------------------------------------
    def read_group(self, model: str, domain: Any, fields: Sequence[str], groupby: Any, offset: int = 0,
                   limit: int | None = None, orderby: str | bool = False, lazy: bool = True,
                   context: dict | None = None) -> list[dict]:
        self._model(model)
        reader = GroupReader(self.store, model, context, rules=self.rules)
        return reader.read_group(domain, fields, groupby, offset=offset, limit=limit, orderby=orderby,
                                 lazy=lazy)

    # -- names ---------------------------------------------------------------------------------
    def name_search(self, model: str, name: str = "", args: Any = None, operator: str = "ilike",
                    limit: int | None = 100, context: dict | None = None) -> list[list]:
        """``[[id, display_name], ...]`` of the records whose name matches, in the model's order."""
        spec = self._model(model)
        domain = list(args or [])
        name_domain = name_search_domain(spec, operator or "ilike", name if name is not None else "")
        if name_domain:
            domain = ["&", *_normalized(domain), *name_domain] if domain else name_domain
        ids = self.search(model, domain, limit=limit, context=context)
        labels = display_names(self.store, model, ids)
        return [[i, labels.get(i, False)] for i in ids]

    def display_names(self, model: str, ids: Any) -> dict[int, str]:
        self._model(model)
        return display_names(self.store, model, _ids(ids))

    def exists(self, model: str, ids: Any) -> list[int]:
        """The given ids that exist, in the given order (duplicates removed)."""
        spec = self._model(model)
        wanted = list(dict.fromkeys(_ids(ids)))
        if not wanted:
            return []
        rhs, params = in_list(wanted)
        sql = f"SELECT id FROM {q(spec.table)} WHERE id IN {rhs}"
        found = {row[0] for row in self.store.conn.execute(sql, params)}
        return [i for i in wanted if i in found]


def with_rule(rules: RecordRules | None, model: str, alias: str, where: str, params: list) -> tuple[str, list]:
    """``where`` restricted by the record rule of ``model`` (unchanged without rules)."""
    rule = rules.sql(model, alias) if rules is not None else None
    if rule is None:
        return where, params
    return f"({where}) AND {rule[0]}", [*params, *rule[1]]


def _normalized(domain: list) -> list:
    from ledgerpilot.sandbox.domain import normalize_domain

    return normalize_domain(domain)
