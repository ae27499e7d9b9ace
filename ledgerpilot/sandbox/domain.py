"""Odoo domains: normalisation, validation and compilation to an SQLite ``WHERE`` clause.

The semantics are Odoo 17's (``odoo/osv/expression.py``), reproduced on SQLite:

- prefix ``&``, ``|``, ``!`` with an implicit ``&`` between consecutive terms; ``!`` is pushed
  down onto the terms (``!(a = 1)`` becomes ``a != 1``, which, as in Odoo, also matches NULL);
- ``False`` is NULL: ``('x', '=', False)`` is ``IS NULL``; negative operators with a value also
  match NULL (``('ref', '!=', 'A')`` matches records without a reference); boolean fields treat NULL
  as false;
- ``like``/``ilike`` wrap the value in ``%`` (``%`` and ``_`` inside the value stay wildcards, as in
  Odoo); ``=like``/``=ilike`` use the pattern as given; ``like`` is case-sensitive and ``ilike`` is not;
- a many2one compared with a string searches the comodel by name (``_name_search``), without
  the comodel's ``active`` filter;
- one2many/many2many: ``('line_ids', '=', False)`` means "no lines", ids or names select lines,
  and a dotted path ``('line_ids.account_id', '=', 5)`` means "some line matches"
  (``any``; ``not any`` when negated);
- delegated and related fields (``account.payment.date`` = ``move_id.date``) are searched on the
  record they come from;
- ``child_of``/``parent_of`` follow ``parent_id`` with a recursive query;
- ``datetime`` fields compared with a date-only string: ``>``/``<=`` use the end of that day,
  other operators its start.

Errors are those of Odoo 17: ``ValueError("Invalid field res.partner.x in leaf ('x', '=', 1)")``,
``ValueError("Invalid leaf ...")`` for an unknown operator.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any

from ledgerpilot.sandbox.exceptions import PythonError, UserError
from ledgerpilot.sandbox.query_names import NEGATIVE_OPERATORS, name_search_domain
from ledgerpilot.sandbox.query_sql import col, in_list, like_to_glob, prepare_connection, q
from ledgerpilot.sandbox.registry import FieldSpec, ModelSpec

NOT_OPERATOR, OR_OPERATOR, AND_OPERATOR = "!", "|", "&"
DOMAIN_OPERATORS = (NOT_OPERATOR, OR_OPERATOR, AND_OPERATOR)

TERM_OPERATORS = ("=", "!=", "<=", "<", ">", ">=", "=?", "=like", "=ilike", "like", "not like", "ilike",
                  "not ilike", "in", "not in", "child_of", "parent_of", "any", "not any")

TERM_OPERATORS_NEGATION = {
    "<": ">=", ">": "<=", "<=": ">", ">=": "<", "=": "!=", "!=": "=", "in": "not in", "not in": "in",
    "like": "not like", "not like": "like", "ilike": "not ilike", "not ilike": "ilike",
    "any": "not any", "not any": "any",
}

TRUE_LEAF = (1, "=", 1)
FALSE_LEAF = (0, "=", 1)

_SQL_COMPARISON = {"=": "=", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_RELATIONAL = ("many2one", "one2many", "many2many")
_HIERARCHY = ("child_of", "parent_of")


def _value_error(message: str) -> PythonError:
    return PythonError("ValueError", message)


def is_operator(element: Any) -> bool:
    return isinstance(element, str) and element in DOMAIN_OPERATORS


def is_boolean_leaf(element: Any) -> bool:
    return isinstance(element, (list, tuple)) and len(element) == 3 and tuple(element) in (TRUE_LEAF, FALSE_LEAF)


def normalize_domain(domain: Any) -> list:
    """Odoo's prefix normalisation: make every implicit ``&`` explicit; terms become tuples.

    ``[]`` becomes ``[TRUE_LEAF]``. A domain whose operators and terms do not add up raises
    ``AssertionError`` as Odoo's does.
    """
    if not isinstance(domain, (list, tuple)):
        raise PythonError("AssertionError",
                          "Domains to normalize must have a 'domain' form: a list or tuple of domain components")
    if not domain:
        return [TRUE_LEAF]
    result: list = []
    expected = 1
    arity = {NOT_OPERATOR: 1, AND_OPERATOR: 2, OR_OPERATOR: 2}
    for token in domain:
        if expected == 0:
            result[0:0] = [AND_OPERATOR]
            expected = 1
        if isinstance(token, (list, tuple)):
            expected -= 1
            token = tuple(token)
        elif is_operator(token):
            expected += arity[token] - 1
        else:
            raise _value_error(f"Invalid leaf {token}")
        result.append(token)
    if expected != 0:
        raise PythonError("AssertionError", f"This domain is syntactically not correct: {list(domain)}")
    return result


# -- domain tree (Odoo 17 builds the same one before compiling) -----------------------------------

def _tree_from_domain(items: list) -> tuple:
    stack: list[tuple] = []
    for item in reversed(items):
        if item == NOT_OPERATOR:
            stack.append(_tree_not(stack.pop()))
        elif item == AND_OPERATOR:
            stack.append(("&", stack.pop(), stack.pop()))
        elif item == OR_OPERATOR:
            stack.append(("|", stack.pop(), stack.pop()))
        elif item == TRUE_LEAF:
            stack.append(("?", True))
        elif item == FALSE_LEAF:
            stack.append(("?", False))
        else:
            stack.append(("leaf", *item))
    if len(stack) == 1:
        return stack[0]
    tree = stack.pop()
    while stack:
        tree = ("&", tree, stack.pop())
    return tree


def _tree_not(tree: tuple) -> tuple:
    kind = tree[0]
    if kind == "?":
        return ("?", not tree[1])
    if kind == "!":
        return tree[1]
    if kind == "&":
        return ("|", *(_tree_not(t) for t in tree[1:]))
    if kind == "|":
        return ("&", *(_tree_not(t) for t in tree[1:]))
    _, left, operator, right = tree
    if operator in TERM_OPERATORS_NEGATION:
        return ("leaf", left, TERM_OPERATORS_NEGATION[operator], right)
    return ("!", tree)


def _normalize_leaf(leaf: tuple) -> tuple:
    left, operator, right = leaf
    if operator == "<>":
        operator = "!="
    if isinstance(right, bool) and operator in ("in", "not in"):
        operator = "=" if operator == "in" else "!="
    if isinstance(right, (list, tuple)) and operator in ("=", "!="):
        operator = "in" if operator == "=" else "not in"
    return left, operator, right


def _value_is_null(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(v is False or v is None for v in value)
    return value is False or value is None


class DomainCompiler:
    """Compiles domains of one request; sub-queries get unique table aliases."""

    def __init__(self, store, context: dict | None = None):
        self.store = store
        self.models: dict[str, ModelSpec] = store.registry
        self.context = dict(context or {})
        self._seq = itertools.count(1)

    @property
    def active_test(self) -> bool:
        return bool(self.context.get("active_test", True))

    def model(self, name: str) -> ModelSpec:
        spec = self.models.get(name)
        if spec is None:
            raise UserError(f"Object {name} doesn't exist")
        return spec

    def alias(self, model: str) -> str:
        return f"{self.models[model].table}__{next(self._seq)}"

    # -- entry point -------------------------------------------------------------------------
    def where(self, model: str, domain: Any, alias: str | None = None,
              active_test: bool | None = None) -> tuple[str, list]:
        """``(sql, params)`` for ``domain`` on ``model`` whose table is reachable as ``alias``."""
        spec = self.model(model)
        alias = alias or spec.table
        if domain is None or domain is False:
            domain = []
        if not isinstance(domain, (list, tuple)):
            raise _value_error(f"Invalid domain {domain!r}: a domain is a list of terms and operators")
        domain = list(domain)
        if active_test is None:
            active_test = self.active_test
        active = spec.fields.get("active")
        if (active_test and active is not None and active.is_column
                and not any(isinstance(item, (list, tuple)) and item and item[0] == "active" for item in domain)):
            domain = [("active", "=", 1), *domain]
        items = normalize_domain(domain)
        items = [self._anyfy(spec, item) if isinstance(item, tuple) else item for item in items]
        tree = _tree_from_domain(items)
        return self._tree_sql(spec, alias, tree)

    # -- validation: every path must exist (Odoo checks this before compiling) -----------------
    def _anyfy(self, spec: ModelSpec, item: tuple) -> tuple:
        if len(item) != 3:
            raise _value_error(f"Invalid leaf {item}")
        if is_boolean_leaf(item):
            return TRUE_LEAF if tuple(item) == TRUE_LEAF else FALSE_LEAF
        left, operator, right = item
        if not isinstance(left, str) or not left:
            raise _value_error(f"Invalid leaf {item}")
        path = left.split(".", 1)
        field = spec.fields.get(path[0])
        if field is None:
            raise _value_error(f"Invalid field {spec.name}.{path[0]} in leaf {item}")
        if len(path) > 1 and field.type in _RELATIONAL and field.relation in self.models:
            sub = self._anyfy(self.models[field.relation], (path[1], operator, right))
            return (path[0], "any", [sub])
        if operator in ("any", "not any"):
            if field.type not in _RELATIONAL or field.relation not in self.models:
                raise _value_error(f"Invalid leaf {item}: '{operator}' needs a relational field")
            if not isinstance(right, (list, tuple)):
                raise _value_error(f"Invalid leaf {item}: '{operator}' needs a domain")
            comodel = self.models[field.relation]
            right = [self._anyfy(comodel, tuple(t)) if isinstance(t, (list, tuple)) else t for t in right]
            return (left, operator, right)
        if operator not in TERM_OPERATORS and operator != "<>":
            raise _value_error(f"Invalid leaf {item}")
        if len(path) > 1:
            raise _value_error(f"Invalid field {left!r} in domain term {item!r}")
        return _normalize_leaf(tuple(item))

    # -- tree to SQL ---------------------------------------------------------------------------
    def _tree_sql(self, spec: ModelSpec, alias: str, tree: tuple) -> tuple[str, list]:
        kind = tree[0]
        if kind == "?":
            return ("1" if tree[1] else "0"), []
        if kind == "!":
            sql, params = self._tree_sql(spec, alias, tree[1])
            return f"(NOT {sql})", params
        if kind in ("&", "|"):
            joiner = " AND " if kind == "&" else " OR "
            parts, params = [], []
            for sub in tree[1:]:
                sql, p = self._tree_sql(spec, alias, sub)
                parts.append(sql)
                params.extend(p)
            return "(" + joiner.join(parts) + ")", params
        _, left, operator, right = tree
        return self._leaf_sql(spec, alias, left, operator, right)

    def _sub_where(self, model: str, domain: list, alias: str, active_test: bool) -> tuple[str, list]:
        spec = self.models[model]
        domain = list(domain)
        active = spec.fields.get("active")
        if (active_test and active is not None and active.is_column
                and not any(isinstance(i, (list, tuple)) and i and i[0] == "active" for i in domain)):
            domain = [("active", "=", 1), *domain]
        items = normalize_domain(domain)
        items = [self._anyfy(spec, i) if isinstance(i, tuple) else i for i in items]
        return self._tree_sql(spec, alias, _tree_from_domain(items))

    def _ids_query(self, model: str, domain: list, active_test: bool) -> tuple[str, list]:
        """``SELECT id FROM comodel WHERE domain`` as a sub-query."""
        sub = self.alias(model)
        where, params = self._sub_where(model, domain, sub, active_test)
        return f"SELECT {col(sub, 'id')} FROM {q(self.models[model].table)} AS {q(sub)} WHERE {where}", params

    def _leaf_sql(self, spec: ModelSpec, alias: str, left: str, operator: str, right: Any) -> tuple[str, list]:
        field = spec.fields[left]
        ctx_active = self.active_test

        if field.related:
            return self._related_sql(spec, alias, field, operator, right)

        if left == "id" and operator in _HIERARCHY:
            ids = self._to_ids(right, spec.name)
            return self._hierarchy_sql(spec, col(alias, "id"), ids, operator, "parent_id")

        if left == "display_name" and not field.store:
            domain = name_search_domain(spec, operator, right)
            if not domain:
                return "1", []
            return self._sub_where(spec.name, domain, alias, False)

        if operator in ("any", "not any"):
            return self._any_sql(spec, alias, field, operator, right)

        if field.type == "one2many":
            return self._one2many_sql(spec, alias, field, operator, right, ctx_active)
        if field.type == "many2many":
            return self._many2many_sql(spec, alias, field, operator, right, ctx_active)
        if not field.is_column and left != "id":
            return "1", []  # a computed field without a search method: Odoo ignores the term

        column = col(alias, field.column)
        if field.type == "many2one" and field.relation not in self.models and (
                operator in _HIERARCHY or isinstance(right, str)):
            raise _value_error(f"Cannot search {spec.name}.{left} by name or hierarchy: the sandbox does not"
                               f" serve the model {field.relation}")
        if field.type == "many2one":
            if operator in _HIERARCHY:
                ids = self._to_ids(right, field.relation)
                if field.relation == spec.name:
                    return self._hierarchy_sql(spec, col(alias, "id"), ids, operator, left)
                return self._hierarchy_sql(self.models[field.relation], column, ids, operator, "parent_id")
            if isinstance(right, str) or (isinstance(right, (list, tuple)) and right
                                          and all(isinstance(v, str) for v in right)):
                return self._many2one_names_sql(field, column, operator, right)
        elif operator in _HIERARCHY:
            raise _value_error(f"Invalid leaf {(left, operator, right)}: '{operator}' needs a many2one, "
                               f"one2many, many2many or 'id'")

        if field.type == "datetime" and right:
            if isinstance(right, str) and len(right) == 10:
                right += " 23:59:59" if operator in (">", "<=") else " 00:00:00"
            elif isinstance(right, dt.date) and not isinstance(right, dt.datetime):
                right = dt.datetime.combine(right, dt.time.max if operator in (">", "<=") else dt.time.min)
        return self._column_sql(field, column, left, operator, right)

    # -- plain columns -------------------------------------------------------------------------
    def _convert(self, field: FieldSpec, name: str, value: Any) -> Any:
        if value is None or value is False and field.type != "boolean":
            return None
        try:
            t = "integer" if name == "id" else field.type
            if t in ("integer", "many2one", "many2one_reference"):
                if isinstance(value, float) and not value.is_integer():
                    return value
                return int(value)
            if t in ("float", "monetary"):
                return float(value)
            if t == "boolean":
                return 1 if value else 0
            if t == "date":
                if isinstance(value, dt.datetime):
                    return value.date().isoformat()
                if isinstance(value, dt.date):
                    return value.isoformat()
                text = str(value)[:10]
                dt.datetime.strptime(text, "%Y-%m-%d")
                return text
            if t == "datetime":
                if isinstance(value, dt.datetime):
                    return value.strftime("%Y-%m-%d %H:%M:%S")
                if isinstance(value, dt.date):
                    return f"{value.isoformat()} 00:00:00"
                text = str(value)
                fmt = "%Y-%m-%d %H:%M:%S"[: max(len(text) - 2, 0)]
                return dt.datetime.strptime(text, fmt).strftime("%Y-%m-%d %H:%M:%S")
        except (TypeError, ValueError) as exc:
            raise _value_error(f"Invalid value {value!r} for field {name!r} ({field.type}): {exc}") from None
        return str(value)

    def _column_sql(self, field: FieldSpec, column: str, name: str, operator: str,
                    right: Any) -> tuple[str, list]:
        leaf = (name, operator, right)
        if operator == "=?":
            if right is False or right is None:
                return "1", []
            operator = "="
        if operator in ("in", "not in"):
            if isinstance(right, bool):
                positive = (operator == "in") == right
                return (f"({column} IS NOT NULL)" if positive else f"({column} IS NULL)"), []
            if not isinstance(right, (list, tuple)):
                raise _value_error(f"Invalid domain term {leaf!r}")
            if field.type == "boolean":
                values = [v for v in (True, False) if v in right]
                check_null = False in right
            else:
                values = [v for v in right if v is not False and v is not None]
                check_null = len(values) < len(right)
            if values:
                converted = [self._convert(field, name, v) for v in values]
                rhs, params = in_list(converted)
                sql = f"({column} {'IN' if operator == 'in' else 'NOT IN'} {rhs})"
            else:
                sql, params = ("0" if operator == "in" else "1"), []
            if (operator == "in" and check_null) or (operator == "not in" and not check_null):
                sql = f"({sql} OR {column} IS NULL)"
            elif operator == "not in" and check_null:
                sql = f"({sql} AND {column} IS NOT NULL)"
            return sql, params

        if field.type == "boolean" and operator in ("=", "!=") and isinstance(right, bool):
            value = (not right) if operator == "!=" else right
            return (f"({column} = 1)" if value else f"({column} IS NULL OR {column} = 0)"), []
        if operator == "=" and (right is False or right is None):
            return f"({column} IS NULL)", []
        if operator == "!=" and (right is False or right is None):
            return f"({column} IS NOT NULL)", []

        need_wildcard = operator in ("like", "ilike", "not like", "not ilike")
        if operator.endswith("like"):
            pattern = f"%{_to_text(right)}%" if need_wildcard else _to_text(right)
            text_column = column if field.type in ("char", "text", "html", "selection", "date", "datetime",
                                                     "json") else f"CAST({column} AS TEXT)"
            if operator.endswith("ilike"):
                if pattern.isascii():
                    sql, params = f"({text_column} LIKE ? ESCAPE '\\')", [pattern]
                else:
                    sql, params = f"(lp_ilike({text_column}, ?) = 1)", [pattern]
            else:
                sql, params = f"({text_column} GLOB ?)", [like_to_glob(pattern)]
            if operator.startswith("not"):
                sql = f"(NOT {sql})"
        else:
            sql, params = f"({column} {_SQL_COMPARISON[operator]} ?)", [self._convert(field, name, right)]
        if (need_wildcard and not right) or (right and operator in NEGATIVE_OPERATORS):
            sql = f"({sql} OR {column} IS NULL)"
        return sql, params

    # -- relational ----------------------------------------------------------------------------
    def _to_ids(self, value: Any, model: str) -> list:
        names: list[str] = []
        if isinstance(value, str):
            names = [value]
        elif value and isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            names = list(value)
        elif isinstance(value, int):
            return [value] if value else []
        if names:
            ids: set[int] = set()
            for name in names:
                domain = name_search_domain(self.models[model], "ilike", name)
                sql, params = self._ids_query(model, domain, self.active_test)
                ids.update(r[0] for r in self.store.conn.execute(sql, params))
            return sorted(ids)
        if not value:
            return []
        return list(value)

    def _hierarchy_sql(self, spec: ModelSpec, column: str, ids: list, operator: str,
                       parent: str) -> tuple[str, list]:
        ids = [i for i in ids if i]
        if not ids:
            return "0", []
        parent_field = spec.fields.get(parent)
        if parent_field is None or parent_field.relation != spec.name or not parent_field.is_column:
            raise _value_error(f"Invalid parent field: {spec.name} has no '{parent}' pointing to itself, "
                               f"so '{operator}' cannot be used on it")
        table = q(spec.table)
        h = q(f"h{next(self._seq)}")
        c = q(f"c{next(self._seq)}")
        rhs, params = in_list([int(i) for i in ids])
        if operator == "child_of":
            step = f"SELECT {c}.id FROM {table} AS {c} JOIN {h} ON {c}.{q(parent)} = {h}.id"
        else:
            step = (f"SELECT {c}.{q(parent)} FROM {table} AS {c} JOIN {h} ON {c}.id = {h}.id"
                    f" WHERE {c}.{q(parent)} IS NOT NULL")
        sql = (f"({column} IN (WITH RECURSIVE {h}(id) AS (SELECT id FROM {table} WHERE id IN {rhs}"
               f" UNION {step}) SELECT id FROM {h}))")
        return sql, params

    def _many2one_names_sql(self, field: FieldSpec, column: str, operator: str, right: Any) -> tuple[str, list]:
        if operator in ("<", ">", "<=", ">="):
            operator = "in"
        if isinstance(right, tuple):
            right = list(right)
        swap = {"not in": "!=", "in": "=", "=": "in", "!=": "not in"}
        if not isinstance(right, list) and operator in ("not in", "in") or isinstance(right, list) and operator in ("!=", "="):
            operator = swap[operator]
        comodel = self.models[field.relation]
        domain = name_search_domain(comodel, operator, right)
        sub, params = self._ids_query(comodel.name, domain, False)
        if operator in NEGATIVE_OPERATORS:
            return f"({column} IN ({sub}) OR {column} IS NULL)", params
        return f"({column} IN ({sub}))", params

    def _x2many_ids(self, spec: ModelSpec, field: FieldSpec, operator: str, right: Any,
                    active_test: bool) -> tuple[str, list]:
        """Sub-query of comodel ids a one2many/many2many term designates (by name, id or ids)."""
        comodel = self.models[field.relation]
        if isinstance(right, str):
            op2 = TERM_OPERATORS_NEGATION[operator] if operator in NEGATIVE_OPERATORS else operator
            return self._ids_query(comodel.name, name_search_domain(comodel, op2, right), active_test)
        values = list(right) if isinstance(right, (list, tuple)) else [right]
        values = [int(v) for v in values if v is not False and v is not None]
        rhs, params = in_list(values)
        if not values:
            return "SELECT NULL WHERE 0", []
        return f"SELECT {q('id')} FROM {q(comodel.table)} WHERE {q('id')} IN {rhs}", params

    def _one2many_sql(self, spec, alias, field, operator, right, active_test) -> tuple[str, list]:
        comodel = self.models[field.relation]
        inverse = field.inverse
        if operator in _HIERARCHY:
            ids = self._to_ids(right, comodel.name)
            if comodel.name == spec.name:
                return self._hierarchy_sql(spec, col(alias, "id"), ids, operator, inverse)
            sub = self.alias(comodel.name)
            hier, params = self._hierarchy_sql(comodel, col(sub, "id"), ids, operator, "parent_id")
            sql = (f"({col(alias, 'id')} IN (SELECT {col(sub, inverse)} FROM {q(comodel.table)} AS {q(sub)}"
                   f" WHERE {col(sub, inverse)} IS NOT NULL AND {hier}))")
            return sql, params
        negative = operator in NEGATIVE_OPERATORS
        sub = self.alias(comodel.name)
        if right is not False:
            ids_sql, params = self._x2many_ids(spec, field, operator, right, active_test)
            sql = (f"({col(alias, 'id')} {'NOT IN' if negative else 'IN'} (SELECT {col(sub, inverse)}"
                   f" FROM {q(comodel.table)} AS {q(sub)} WHERE {col(sub, inverse)} IS NOT NULL"
                   f" AND {col(sub, 'id')} IN ({ids_sql})))")
            return sql, params
        sql = (f"({col(alias, 'id')} {'IN' if negative else 'NOT IN'} (SELECT {col(sub, inverse)}"
               f" FROM {q(comodel.table)} AS {q(sub)} WHERE {col(sub, inverse)} IS NOT NULL))")
        return sql, []

    def _many2many_sql(self, spec, alias, field, operator, right, active_test) -> tuple[str, list]:
        comodel = self.models[field.relation]
        rel = q(field.relation_table(spec.name))
        r = q(f"r{next(self._seq)}")
        if operator in _HIERARCHY:
            ids = self._to_ids(right, comodel.name)
            sub = self.alias(comodel.name)
            hier, params = self._hierarchy_sql(comodel, col(sub, "id"), ids, operator, "parent_id")
            sql = (f"EXISTS (SELECT 1 FROM {rel} AS {r} WHERE {r}.id1 = {col(alias, 'id')} AND {r}.id2 IN"
                   f" (SELECT {col(sub, 'id')} FROM {q(comodel.table)} AS {q(sub)} WHERE {hier}))")
            return sql, params
        negative = operator in NEGATIVE_OPERATORS
        if right is not False:
            ids_sql, params = self._x2many_ids(spec, field, operator, right, active_test)
            sql = (f"({'NOT ' if negative else ''}EXISTS (SELECT 1 FROM {rel} AS {r} WHERE"
                   f" {r}.id1 = {col(alias, 'id')} AND {r}.id2 IN ({ids_sql})))")
            return sql, params
        return (f"({'' if negative else 'NOT '}EXISTS (SELECT 1 FROM {rel} AS {r}"
                f" WHERE {r}.id1 = {col(alias, 'id')}))"), []

    def _any_sql(self, spec, alias, field, operator, right) -> tuple[str, list]:
        comodel = self.models[field.relation]
        negative = operator == "not any"
        if field.type == "many2one":
            sub, params = self._ids_query(comodel.name, list(right), False)
            column = col(alias, field.column)
            if negative:
                return f"({column} NOT IN ({sub}) OR {column} IS NULL)", params
            return f"({column} IN ({sub}))", params
        sub, params = self._ids_query(comodel.name, list(right), self.active_test)
        if field.type == "one2many":
            s = self.alias(comodel.name)
            inverse = field.inverse
            return (f"({col(alias, 'id')} {'NOT IN' if negative else 'IN'} (SELECT {col(s, inverse)}"
                    f" FROM {q(comodel.table)} AS {q(s)} WHERE {col(s, inverse)} IS NOT NULL"
                    f" AND {col(s, 'id')} IN ({sub})))"), params
        rel = q(field.relation_table(spec.name))
        r = q(f"r{next(self._seq)}")
        return (f"({'NOT ' if negative else ''}EXISTS (SELECT 1 FROM {rel} AS {r} WHERE"
                f" {r}.id1 = {col(alias, 'id')} AND {r}.id2 IN ({sub})))"), params

    def _related_sql(self, spec, alias, field, operator, right) -> tuple[str, list]:
        link, target = field.related.split(".", 1)
        link_field = spec.fields[link]
        parent = self.store.storage[link_field.relation]  # the target is named as the sandbox keeps it
        sub = self.alias(parent.name)
        where, params = self._tree_sql(parent, sub, ("leaf", *_normalize_leaf((target, operator, right))))
        column = col(alias, link)
        sql = f"{column} IN (SELECT {col(sub, 'id')} FROM {q(parent.table)} AS {q(sub)} WHERE {where})"
        if operator in ("any", "not any"):
            null_ok = operator == "not any"
        else:
            negative = operator in NEGATIVE_OPERATORS
            null_ok = negative != _value_is_null(right)
        if null_ok:
            sql = f"({sql} OR {column} IS NULL)"
        return f"({sql})", params


def _to_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def compile_domain(store, model: str, domain: Sequence | None, context: dict | None = None) -> tuple[str, list]:
    """Compile ``domain`` on ``model`` to ``(where_sql, params)``.

    Columns are qualified with the model's table name, so the clause fits
    ``SELECT id FROM "account_move" WHERE <sql>`` or ``UPDATE "account_move" SET ... WHERE <sql>``.
    Like ``search``, records with ``active = False`` are left out unless the domain mentions
    ``active`` or ``context`` has ``active_test: False``.
    """
    prepare_connection(store.conn)
    return DomainCompiler(store, context).where(model, domain or [])
