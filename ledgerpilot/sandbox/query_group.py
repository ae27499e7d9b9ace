"""``read_group`` with Odoo 17's signature and result shape, computed by SQLite ``GROUP BY``.

- ``fields``: ``'balance:sum'``, ``'amount:max'``, ``'id:count'``, ``'x:count_distinct'``,
  ``'total:sum(amount)'``, or a bare numeric field (summed, its default aggregator);
- ``groupby``: fields, with ``date:day|week|month|quarter|year`` for dates (month by default);
  many2one groups read ``[id, display_name]``; empty groups ``False``;
- lazy (the default) groups by the first groupby only and counts in ``<field>_count``, with
  ``__context: {'group_by': rest}`` when more groupbys follow; ``lazy=False`` groups by all of them
  and counts in ``__count``;
- every row has ``__domain`` (the request's domain AND the group's condition) and, for date
  groups, ``__range`` (``{'from', 'to'}`` of the period);
- date labels are Odoo's in English (``'16 Nov 2026'``, ``'W47 2026'``, ``'November 2026'``,
  ``'Q4 2026'``, ``'2026'``), weeks starting on Sunday as for ``en_US``; datetimes are grouped in the
  context's ``tz`` when it names a known time zone;
- monetary aggregates are rounded to 2 decimals (the demo's currencies), so no float noise.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledgerpilot.domain.month import add_months
from ledgerpilot.sandbox.domain import FALSE_LEAF, TRUE_LEAF, DomainCompiler, normalize_domain
from ledgerpilot.sandbox.exceptions import PythonError
from ledgerpilot.sandbox.query_names import display_names
from ledgerpilot.sandbox.query_order import OrderCompiler
from ledgerpilot.sandbox.query_sql import col, prepare_connection, q
from ledgerpilot.sandbox.registry import INHERITS, FieldSpec, ModelSpec

GRANULARITIES = ("day", "week", "month", "quarter", "year")
AGGREGATES = ("sum", "avg", "max", "min", "bool_and", "bool_or", "array_agg", "count", "count_distinct")
_FIELD_AGG = re.compile(r"(\w+)(?::(\w+)(?:\((\w+)\))?)?")
_ORDER_PART = re.compile(
    r"\s*(?P<term>(?P<field>[a-z0-9_]+|\"[a-z0-9_]+\")(?::(?P<func>[a-z_]+))?)"
    r"(?:\s+(?P<direction>desc|asc))?(?:\s+(?P<nulls>nulls first|nulls last))?\s*$",
    re.IGNORECASE,
)
_NUMERIC = ("integer", "float", "monetary")
MONETARY_DIGITS = 2


def _error(message: str) -> PythonError:
    return PythonError("ValueError", message)


def domain_and(domains: Sequence[Sequence]) -> list:
    """Odoo's ``expression.AND``: combine normalised domains with ``&``."""
    result: list = []
    count = 0
    unit, zero = [TRUE_LEAF], [FALSE_LEAF]
    for domain in domains:
        if list(domain) == unit:
            continue
        if list(domain) == zero:
            return [list(FALSE_LEAF)]
        if domain:
            result += normalize_domain(list(domain))
            count += 1
    result = ["&"] * (count - 1) + result
    return [list(t) if isinstance(t, tuple) else t for t in result] or [list(TRUE_LEAF)]


# -- dates -----------------------------------------------------------------------------------

def period_end(start: dt.datetime, granularity: str) -> dt.datetime:
    if granularity == "day":
        return start + dt.timedelta(days=1)
    if granularity == "week":
        return start + dt.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    return dt.datetime.combine(add_months(start.date(), months), start.time())


def week_number(day: dt.date, first_week_day: int = 6) -> tuple[int, int]:
    """(year, week) as Odoo's ``date_utils.weeknumber`` for a locale whose weeks start on
    ``first_week_day`` (0 = Monday, 6 = Sunday for en_US): week 1 holds January 1st."""
    def first_day_of_first_week(year: int) -> dt.date:
        jan1 = dt.date(year, 1, 1)
        return jan1 - dt.timedelta(days=(jan1.weekday() - first_week_day) % 7)

    if day >= first_day_of_first_week(day.year + 1):
        return day.year + 1, 1
    return day.year, (day - first_day_of_first_week(day.year)).days // 7 + 1


def period_label(start: dt.datetime, granularity: str) -> str:
    if granularity == "day":
        return f"{start.day:02d} {calendar.month_abbr[start.month]} {start.year}"
    if granularity == "week":
        year, week = week_number(start.date())
        return f"W{week} {year:04}"
    if granularity == "month":
        return f"{calendar.month_name[start.month]} {start.year}"
    if granularity == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return f"{start.year}"


def _truncate_sql(expr: str, granularity: str) -> str:
    """SQL truncating an ISO date/datetime text to the start of its period (a 'YYYY-MM-DD' text)."""
    day = f"substr({expr}, 1, 10)"
    if granularity == "day":
        return day
    if granularity == "week":  # the Sunday on or before the day (en_US weeks)
        return f"date({day}, '+1 day', 'weekday 0', '-7 days')"
    if granularity == "month":
        return f"(substr({expr}, 1, 7) || '-01')"
    if granularity == "quarter":
        return (f"(substr({expr}, 1, 5) || CASE WHEN substr({expr}, 6, 2) < '04' THEN '01-01'"
                f" WHEN substr({expr}, 6, 2) < '07' THEN '04-01' WHEN substr({expr}, 6, 2) < '10' THEN '07-01'"
                f" ELSE '10-01' END)")
    return f"(substr({expr}, 1, 4) || '-01-01')"


def _timezone(context: dict):
    name = (context or {}).get("tz")
    if not name or name == "UTC":
        return None
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):  # unknown zone: Odoo logs a warning and groups in UTC
        return None


# -- the engine -------------------------------------------------------------------------------

class _Group:
    """One groupby spec resolved against the model."""

    def __init__(self, key: str, field: FieldSpec, granularity: str | None, expr: str):
        self.key = key
        self.field = field
        self.granularity = granularity
        self.expr = expr

    @property
    def annotated(self) -> str:
        return f"{self.field.name}:{self.granularity}" if self.granularity else self.key


class GroupReader:
    def __init__(self, store, model: str, context: dict | None = None, rules=None):
        self.store = store
        self.rules = rules
        self.models: dict[str, ModelSpec] = store.registry
        self.spec = self.models[model]
        self.context = dict(context or {})
        self.alias = self.spec.table
        self.orders = OrderCompiler(self.models)
        self.extra_joins: list[str] = []
        self.tz = _timezone(self.context)

    def _delegated(self, field: FieldSpec) -> bool:
        """A field the model reads from its ``_inherits`` parent (stored there, so groupable)."""
        return bool(field.related) and INHERITS.get(self.spec.name, (None, None))[1] == field.related.split(".")[0]

    def _field_expr(self, field: FieldSpec) -> str:
        if self._delegated(field):
            link, target = field.related.split(".", 1)
            joined = self.orders.join(self.alias, link, self.spec.fields[link].relation)
            return col(joined, target)
        if field.is_column or field.name == "id":
            return col(self.alias, field.column)
        raise _error(f"Cannot convert {self.spec.name}.{field.name} to SQL because it is not stored")

    def _group(self, spec_text: str) -> _Group:
        if not isinstance(spec_text, str):
            raise _error(f"Invalid groupby specification {spec_text!r}")
        fname, _, granularity = spec_text.partition(":")
        field = self.spec.fields.get(fname)
        if field is None:
            raise _error(f"Invalid field {fname!r} on model {self.spec.name!r}")
        if field.type in ("date", "datetime"):
            granularity = granularity or "month"
            if granularity not in GRANULARITIES:
                raise _error(f"Granularity specification isn't correct: {granularity!r}")
            base = self._field_expr(field)
            if field.type == "datetime" and self.tz is not None:
                prepare_connection(self.store.conn)
                zone = self.tz.key.replace("'", "''")
                base = f"lp_to_local({base}, '{zone}')"
            return _Group(spec_text, field, granularity, _truncate_sql(base, granularity))
        if granularity:
            raise _error(f"Granularity set on a no-datetime field or property: {spec_text!r}")
        if field.type == "many2many" and field.is_relation_table:
            rel_alias = f"g_{fname}"
            self.extra_joins.append(f"LEFT JOIN {q(field.relation_table(self.spec.name))} AS {q(rel_alias)}"
                                    f" ON {q(rel_alias)}.id1 = {col(self.alias, 'id')}")
            return _Group(spec_text, field, None, f"{q(rel_alias)}.id2")
        expr = self._field_expr(field)
        if field.type == "boolean":
            expr = f"COALESCE({expr}, 0)"
        return _Group(spec_text, field, None, expr)

    def _aggregate_sql(self, fname: str, func: str) -> tuple[str, FieldSpec | None]:
        if func not in AGGREGATES:
            raise _error(f"Invalid aggregate function {func!r}.")
        field = self.spec.fields.get(fname)
        if field is None:
            raise _error(f"Invalid field {fname!r} on model {self.spec.name!r}")
        expr = self._field_expr(field)
        sql = {
            "sum": f"SUM({expr})", "avg": f"AVG({expr})", "max": f"MAX({expr})", "min": f"MIN({expr})",
            "bool_and": f"MIN(COALESCE({expr}, 0))", "bool_or": f"MAX(COALESCE({expr}, 0))",
            "array_agg": f"json_group_array({expr})", "count": f"COUNT({expr})",
            "count_distinct": f"COUNT(DISTINCT {expr})",
        }[func]
        return sql, field

    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True) -> list[dict]:
        domain = list(domain or [])
        fields = [fields] if isinstance(fields, str) else list(fields or [])
        groupby = [groupby] if isinstance(groupby, str) else list(groupby or [])
        lazy_groupby = groupby[:1] if lazy else groupby
        groups = [self._group(g) for g in lazy_groupby]
        annotated_groupby = {g.key: g.annotated for g in groups}

        count_key = f"{lazy_groupby[0].split(':')[0]}_count" if lazy and len(lazy_groupby) == 1 else "__count"
        aggregates: dict[str, tuple[str, str | None, FieldSpec | None]] = {count_key: ("COUNT(*)", "__count", None)}
        for field_spec in fields:
            if field_spec == "__count":
                continue
            match = _FIELD_AGG.match(field_spec) if isinstance(field_spec, str) else None
            if not match:
                raise _error(f"Invalid field specification {field_spec!r}.")
            name, func, fname = match.groups()
            if fname:
                sql, field = self._aggregate_sql(fname, func)
                aggregates[name] = (sql, f"{fname}:{func}", field)
                continue
            if func:
                sql, field = self._aggregate_sql(name, func)
                aggregates[name] = (sql, f"{name}:{func}", field)
                continue
            field = self.spec.fields.get(name)
            if field is None:
                raise _error(f"Invalid field {name!r} on model {self.spec.name!r}")
            stored = field.is_column or self._delegated(field)
            if stored and field.type in _NUMERIC and field_spec not in annotated_groupby and name != "id":
                sql, field = self._aggregate_sql(name, "sum")
                aggregates[name] = (sql, f"{name}:sum", field)

        compiler = DomainCompiler(self.store, self.context)
        where, params = compiler.where(self.spec.name, domain, self.alias)
        if self.rules is not None and (rule := self.rules.sql(self.spec.name, self.alias)) is not None:
            where, params = f"({where}) AND {rule[0]}", [*params, *rule[1]]
        order_sql = self._order_sql(orderby, groups, aggregates)

        select = [g.expr for g in groups] + [sql for sql, _, _ in aggregates.values()]
        sql = (f"SELECT {', '.join(select)} FROM {q(self.spec.table)} {self.orders.join_sql()}"
               f" {' '.join(self.extra_joins)} WHERE {where}")
        if groups:
            sql += " GROUP BY " + ", ".join(g.expr for g in groups)
            if order_sql:
                sql += f" ORDER BY {order_sql}"
        if limit or offset:
            sql += " LIMIT ? OFFSET ?"
            params = [*params, int(limit) if limit else -1, int(offset or 0)]
        rows = self.store.conn.execute(sql, params).fetchall()
        return self._format(rows, groups, aggregates, domain, groupby, lazy)

    def _order_sql(self, orderby, groups: list[_Group], aggregates: dict) -> str:
        by_annotated = {g.annotated: g for g in groups}
        agg_by_annotated = {annotated: sql for sql, annotated, _ in aggregates.values()}
        if orderby:
            terms = []
            for term in str(orderby).split(","):
                term = term.strip()
                for key, annotated in [*reversed([(g.key, g.annotated) for g in groups]),
                                       *[(k, a) for k, (_, a, _) in aggregates.items()]]:
                    key_name = key.split(":")[0]
                    if term.startswith(f"{key_name} ") or key_name == term:
                        term = term.replace(key_name, annotated, 1)
                        break
                terms.append(term)
        else:
            terms = [g.annotated for g in groups]
        parts: list[str] = []
        for term in terms:
            match = _ORDER_PART.match(term)
            if not match:
                raise _error(f"Invalid order {orderby!r} for _read_group()")
            name = match["term"].strip('"')
            direction = (match["direction"] or "ASC").upper()
            nulls = (match["nulls"] or ("nulls last" if direction == "ASC" else "nulls first")).upper()
            if name in by_annotated:
                group = by_annotated[name]
                if group.field.type == "many2one" and not group.field.related:
                    parts += self.orders._terms(self.spec, f"{group.field.name} {direction}", self.alias,
                                                reverse=False, seen=frozenset(), check=False)
                else:
                    parts.append(f"{group.expr} {direction} {nulls}")
            elif name in agg_by_annotated:
                parts.append(f"{agg_by_annotated[name]} {direction} {nulls}")
            else:
                raise _error(f"Order term {term!r} is not a valid aggregate nor valid groupby")
        parts += [f"{g.expr} ASC NULLS LAST" for g in groups]  # deterministic ties
        return ", ".join(parts)

    def _format(self, rows, groups: list[_Group], aggregates: dict, domain: list, groupby: list,
                lazy: bool) -> list[dict]:
        labels: dict[int, dict] = {}
        for index, group in enumerate(groups):
            if group.field.type in ("many2one", "many2many") and group.field.relation in self.models:
                labels[index] = display_names(self.store, group.field.relation,
                                              {r[index] for r in rows if r[index] is not None})
        result = []
        n = len(groups)
        for row in rows:
            out: dict[str, Any] = {}
            group_domains: list[list] = []
            ranges: dict[str, Any] = {}
            for index, group in enumerate(groups):
                value = row[index]
                fname = group.field.name
                if index in labels:
                    out[group.key] = [value, labels[index].get(value, False)] if value is not None else False
                    group_domains.append([(fname, "=", value if value is not None else False)])
                elif group.field.type in ("many2one", "many2many"):  # comodel not served: Odoo's nameless form
                    relation = group.field.relation
                    out[group.key] = [value, f"{relation},{value}"] if value is not None else False
                    group_domains.append([(fname, "=", value if value is not None else False)])
                elif group.granularity:
                    if value is None:
                        out[group.key] = False
                        ranges[group.key] = False
                        group_domains.append([(fname, "=", False)])
                    else:
                        start = dt.datetime.strptime(value, "%Y-%m-%d")
                        end = period_end(start, group.granularity)
                        out[group.key] = period_label(start, group.granularity)
                        if group.field.type == "datetime":
                            if self.tz is not None:
                                start_utc = start.replace(tzinfo=self.tz).astimezone(dt.UTC)
                                end_utc = end.replace(tzinfo=self.tz).astimezone(dt.UTC)
                            else:
                                start_utc, end_utc = start, end
                            fmt = "%Y-%m-%d %H:%M:%S"
                            low, high = start_utc.strftime(fmt), end_utc.strftime(fmt)
                        else:
                            low, high = start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")
                        ranges[group.key] = {"from": low, "to": high}
                        group_domains.append(["&", (fname, ">=", low), (fname, "<", high)])
                elif group.field.type == "boolean":
                    out[group.key] = bool(value)
                    group_domains.append([(fname, "=", bool(value))])
                else:
                    out[group.key] = False if value is None else value
                    group_domains.append([(fname, "=", False if value is None else value)])
            for offset, (key, (_, annotated, field)) in enumerate(aggregates.items()):
                out[key] = self._aggregate_value(row[n + offset], annotated, field)
            row_domain = domain
            for extra in group_domains:
                row_domain = domain_and([row_domain, extra])
            out["__domain"] = [list(t) if isinstance(t, tuple) else t for t in row_domain]
            if ranges:
                out["__range"] = ranges
            if lazy and len(groupby) > 1:
                out["__context"] = {"group_by": list(groupby[1:])}
            result.append(out)
        return result

    @staticmethod
    def _aggregate_value(value: Any, annotated: str, field: FieldSpec | None) -> Any:
        func = annotated.split(":")[1] if ":" in annotated else annotated
        if func in ("count", "count_distinct", "__count"):
            return int(value or 0)
        if func == "array_agg":
            return json.loads(value) if value else []
        if func in ("bool_and", "bool_or"):
            return bool(value)
        if value is None or field is None:
            return value if value is not None else None
        if field.type == "monetary" and func in ("sum", "min", "max"):
            return round(float(value), MONETARY_DIGITS) + 0.0
        if field.type in ("float", "monetary"):
            return round(float(value), 10) + 0.0
        if field.type == "integer" and func == "avg":
            return float(value)
        return value
