"""Fetching records and shaping them as Odoo 17's ``read`` puts them on the wire.

One SQL query selects exactly the requested columns (delegated fields through a LEFT JOIN);
values are then converted column by column (not cell by cell through generic code), many2one
display names come from one query per comodel, and x2many ids from one query per field.

Wire shapes: ``id`` first, then the fields in the order asked; many2one ``[id, display_name]``
(bare id with ``load='_classic_write'``), empty values ``False``, numbers as numbers (empty
integer 0, empty float 0.0), json decoded, dates ``YYYY-MM-DD``, datetimes ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import repeat

from ledgerpilot.sandbox.domain import DomainCompiler
from ledgerpilot.sandbox.exceptions import PythonError
from ledgerpilot.sandbox.query_names import display_names
from ledgerpilot.sandbox.query_order import OrderCompiler
from ledgerpilot.sandbox.query_sql import col, in_list, q
from ledgerpilot.sandbox.registry import FieldSpec, ModelSpec, relation_table

#: Models whose full read fails on real Odoo 17 (a non-stored field holds a dict keyed by frozendict).
UNSERIALISABLE_FULL_READ = ("account.move", "account.move.line")
FROZENDICT_MESSAGE = "keys must be str, int, float, bool or None, not frozendict"

#: Domains Odoo 17 puts on one2many fields (reading them returns only the matching records).
X2MANY_DOMAINS: dict[tuple[str, str], list] = {
    ("account.move", "invoice_line_ids"): [("display_type", "in", ["product", "line_section", "line_note"])],
}

_TEXT_TYPES = ("char", "text", "html", "selection", "date", "datetime")


def check_read_fields(spec: ModelSpec, fields: Sequence[str] | None) -> list[str]:
    """The field names to read: every served field when none are given; unknown names raise."""
    if not fields:
        return [name for name in spec.fields if name != "id"]
    if isinstance(fields, str):
        fields = [fields]
    names: list[str] = []
    for name in fields:
        if not isinstance(name, str) or name not in spec.fields:
            raise PythonError("ValueError", f"Invalid field {name!r} on model {spec.name!r}")
        if name != "id" and name not in names:
            names.append(name)
    return names


def _scalar_converter(field: FieldSpec) -> Callable[[list], list]:
    t = field.type
    if t in _TEXT_TYPES:
        return lambda values: [False if v is None else v for v in values]
    if t in ("integer", "many2one_reference"):
        return lambda values: [0 if v is None else v for v in values]
    if t in ("float", "monetary"):
        return lambda values: [0.0 if v is None else float(v) for v in values]
    if t == "boolean":
        return lambda values: [bool(v) for v in values]
    if t == "json":
        return lambda values: [False if v is None else json.loads(v) for v in values]
    return lambda values: [False if v is None else v for v in values]


class RecordReader:
    """Reads records of one model into wire-shaped dicts."""

    def __init__(self, store, model: str, context: dict | None = None):
        self.store = store
        self.models: dict[str, ModelSpec] = store.registry
        self.spec = self.models[model]
        self.context = context or {}

    # -- the single query ------------------------------------------------------------------
    def select(self, names: Sequence[str], alias: str, orders: OrderCompiler) -> tuple[list[str], list[str]]:
        """SELECT expressions for the scalar part of ``names`` (``id`` first); returns (exprs, scalar names)."""
        exprs = [col(alias, "id")]
        scalar: list[str] = []
        for name in names:
            field = self.spec.fields[name]
            if field.related:
                link, target = field.related.split(".", 1)
                joined = orders.join(alias, link, self.spec.fields[link].relation)
                exprs.append(col(joined, target))
            elif field.is_column:
                exprs.append(col(alias, field.column))
            else:
                continue
            scalar.append(name)
        return exprs, scalar

    def fetch(self, names: list[str], where: str, params: list, order: str | None, limit: int | None,
              offset: int, load: str = "_classic_read") -> list[dict]:
        alias = self.spec.table
        orders = OrderCompiler(self.models)
        order_sql = orders.order_by(self.spec.name, order, alias)
        exprs, scalar = self.select(names, alias, orders)
        sql = f"SELECT {', '.join(exprs)} FROM {q(self.spec.table)} {orders.join_sql()} WHERE {where}"
        sql += f" ORDER BY {order_sql}"
        params = list(params)
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            params += [-1 if limit is None else int(limit), int(offset or 0)]
        rows = self.store.conn.execute(sql, params).fetchall()
        return self.shape(rows, names, scalar, load)

    def fetch_ids(self, ids: Sequence[int], names: list[str], load: str = "_classic_read") -> list[dict]:
        """Read records by id in the given order (duplicates kept), silently dropping missing ids."""
        alias = self.spec.table
        orders = OrderCompiler(self.models)
        exprs, scalar = self.select(names, alias, orders)
        unique = list(dict.fromkeys(int(i) for i in ids))
        rhs, params = in_list(unique)
        sql = (f"SELECT {', '.join(exprs)} FROM {q(self.spec.table)} {orders.join_sql()}"
               f" WHERE {col(alias, 'id')} IN {rhs}")
        by_id = {row[0]: row for row in self.store.conn.execute(sql, params)}
        rows = [by_id[int(i)] for i in ids if int(i) in by_id]
        return self.shape(rows, names, scalar, load)

    # -- shaping -----------------------------------------------------------------------------
    def shape(self, rows: list[tuple], names: list[str], scalar: list[str], load: str) -> list[dict]:
        if not rows:
            return []
        columns = list(zip(*rows))
        ids = list(columns[0])
        position = {name: i + 1 for i, name in enumerate(scalar)}
        converted: dict[str, list] = {}
        for name in names:
            field = self.spec.fields[name]
            if name in position:
                values = columns[position[name]]
                if field.type == "many2one":
                    converted[name] = self._many2one(field, values, load)
                else:
                    converted[name] = _scalar_converter(field)(values)
            elif field.type in ("one2many", "many2many"):
                converted[name] = self._x2many(field, ids)
            elif name == "display_name":
                labels = display_names(self.store, self.spec.name, ids)
                converted[name] = [labels.get(i, False) for i in ids]
            else:
                converted[name] = self._computed(field, ids)
        keys = ["id", *names]
        value_columns = [ids, *(converted[name] for name in names)]
        return list(map(dict, map(zip, repeat(keys), zip(*value_columns))))

    def _many2one(self, field: FieldSpec, values: Sequence, load: str) -> list:
        if load == "_classic_write":
            return [False if v is None else v for v in values]
        if field.relation not in self.models:  # a comodel the sandbox does not serve: Odoo's nameless form
            return [False if v is None else [v, f"{field.relation},{v}"] for v in values]
        distinct = set(values)
        distinct.discard(None)
        labels = display_names(self.store, field.relation, distinct)
        # one [id, name] pair per distinct id, shared by the rows that point to it (results are
        # serialised, never mutated): building a new list per row would double the cost of a large read
        pairs = {v: [v, labels.get(v, False)] for v in distinct}
        lookup = pairs.get
        return [lookup(v, False) for v in values]

    def _active_filter(self, spec: ModelSpec, alias: str) -> str:
        active = spec.fields.get("active")
        if active is not None and active.is_column and self.context.get("active_test", True):
            return f" AND {col(alias, 'active')} = 1"
        return ""

    def _x2many(self, field: FieldSpec, ids: list[int]) -> list[list[int]]:
        comodel = self.models.get(field.relation)
        if comodel is None:
            return [[] for _ in ids]
        alias = "x2m"
        orders = OrderCompiler(self.models)
        order_sql = orders.order_by(comodel.name, None, alias)
        rhs, params = in_list(sorted(set(ids)))
        if field.type == "one2many":
            owner = col(alias, field.inverse)
            field_domain = X2MANY_DOMAINS.get((self.spec.name, field.name))
            extra = ""
            if field_domain:
                where, domain_params = DomainCompiler(self.store, self.context).where(
                    comodel.name, field_domain, alias, active_test=False)
                extra, params = f" AND {where}", [*params, *domain_params]
            sql = (f"SELECT {owner}, {col(alias, 'id')} FROM {q(comodel.table)} AS {q(alias)} {orders.join_sql()}"
                   f" WHERE {owner} IN {rhs}{self._active_filter(comodel, alias)}{extra} ORDER BY {order_sql}")
        else:
            rel = q(field.relation_table(self.spec.name))
            sql = (f"SELECT rel.id1, {col(alias, 'id')} FROM {rel} AS rel JOIN {q(comodel.table)} AS {q(alias)}"
                   f" ON {col(alias, 'id')} = rel.id2 {orders.join_sql()}"
                   f" WHERE rel.id1 IN {rhs}{self._active_filter(comodel, alias)} ORDER BY {order_sql}")
        grouped: dict[int, list[int]] = defaultdict(list)
        for owner_id, child_id in self.store.conn.execute(sql, params):
            grouped[owner_id].append(child_id)
        return [list(grouped.get(i, ())) for i in ids]

    def _computed(self, field: FieldSpec, ids: list[int]) -> list:
        if self.spec.name == "res.users" and field.name == "share":
            return self._users_share(ids)
        raise PythonError("ValueError", f"Field {field.name!r} on model {self.spec.name!r} cannot be read")

    def _users_share(self, ids: list[int]) -> list[bool]:
        """``res.users.share``: a user without "Internal User" (directly or implied) is a portal user."""
        from ledgerpilot.sandbox.groups import GROUP_BY_ID, implied_closure

        rhs, params = in_list(sorted(set(ids)))
        rel = q(relation_table("res.users", "groups_id"))
        xmlids: dict[int, list[str]] = defaultdict(list)
        for user_id, group_id in self.store.conn.execute(f"SELECT id1, id2 FROM {rel} WHERE id1 IN {rhs}", params):
            group = GROUP_BY_ID.get(group_id)
            if group is not None:
                xmlids[user_id].append(group.xmlid)
        return ["base.group_user" not in implied_closure(xmlids.get(i, [])) for i in ids]


def raise_if_unserialisable(model: str, fields: Sequence[str] | None, result: list) -> None:
    """Real Odoo 17 fails to serialise a full read of moves and journal items (see module docstring)."""
    if not fields and result and model in UNSERIALISABLE_FULL_READ:
        raise PythonError("TypeError", FROZENDICT_MESSAGE)
