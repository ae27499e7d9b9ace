"""``order`` specifications ("date desc, name, id") compiled to SQLite ``ORDER BY`` as Odoo 17 does.

- A many2one is ordered by its comodel's ``_order`` (through a LEFT JOIN), direction reversed for
  ``desc``; the comodel's own many2one terms are followed the same way, cycles are cut.
- ``field.id`` orders a many2one by its raw id.
- Delegated fields (``account.payment.date`` lives on the move) are ordered through a join.
- Other non-stored fields are ignored, as Odoo ignores them.
- NULLs sort as in PostgreSQL: last when ascending, first when descending (unless ``nulls first``
  or ``nulls last`` is given).
- Text is compared by code point (SQLite's BINARY collation), where PostgreSQL would use the
  database's collation.
"""

from __future__ import annotations

import re

from ledgerpilot.sandbox.exceptions import PythonError
from ledgerpilot.sandbox.query_sql import col, q
from ledgerpilot.sandbox.registry import INHERITS, ModelSpec

_ORDER_RE = re.compile(
    r'^(\s*([a-z0-9:_]+|"[a-z0-9:_]+")(\.id)?(\s+(desc|asc))?(\s+nulls\s+(first|last))?\s*(,|$))+(?<!,)$',
    re.IGNORECASE,
)


class OrderCompiler:
    """Collects the joins an order needs; one instance per query."""

    def __init__(self, models: dict[str, ModelSpec]):
        self.models = models
        self.joins: dict[str, str] = {}

    def join(self, alias: str, link: str, comodel: str) -> str:
        """LEFT JOIN ``comodel`` on ``alias.link``; returns the joined alias (shared by identical joins)."""
        target = f"{alias}__{link}"
        if target not in self.joins:
            self.joins[target] = (f"LEFT JOIN {q(self.models[comodel].table)} AS {q(target)}"
                                  f" ON {col(target, 'id')} = {col(alias, link)}")
        return target

    def join_sql(self) -> str:
        return " ".join(self.joins.values())

    def order_by(self, model: str, order: str | None, alias: str, tie_break: bool = True) -> str:
        """The ``ORDER BY`` body (without the keywords) for ``order`` or the model's ``_order``."""
        spec = self.models[model]
        spec_text = order if order else spec.order
        terms = self._terms(spec, spec_text, alias, reverse=False, seen=frozenset(), check=bool(order))
        if tie_break and not any(t.startswith(col(alias, "id") + " ") for t in terms):
            terms.append(f"{col(alias, 'id')} ASC")
        return ", ".join(terms)

    def _terms(self, spec: ModelSpec, order: str, alias: str, reverse: bool, seen: frozenset,
               check: bool) -> list[str]:
        if not _ORDER_RE.match(order):
            if check:
                raise PythonError(
                    "ValueError",
                    f'Invalid "order" specified ({order}). A valid "order" specification is a comma-separated '
                    f"list of valid field names (optionally followed by asc/desc for the direction)",
                )
            return []
        terms: list[str] = []
        for raw in order.split(","):
            words = raw.strip().split()
            if not words:
                continue
            name = words[0].strip('"')
            prop = None
            if name.endswith(".id"):
                name, prop = name[:-3], "id"
            direction = words[1].upper() if len(words) > 1 and words[1].lower() in ("asc", "desc") else "ASC"
            nulls = None
            lowered = [w.lower() for w in words]
            if "nulls" in lowered:
                nulls = "NULLS " + lowered[lowered.index("nulls") + 1].upper()
            if reverse:
                direction = "DESC" if direction == "ASC" else "ASC"
                if nulls:
                    nulls = "NULLS LAST" if nulls == "NULLS FIRST" else "NULLS FIRST"
            field = spec.fields.get(name)
            if field is None:
                if check:
                    raise PythonError("ValueError", f"Invalid field {name!r} on model {spec.name!r}")
                continue
            default_nulls = "NULLS LAST" if direction == "ASC" else "NULLS FIRST"
            if name == "id":
                terms.append(f"{col(alias, 'id')} {direction}")
                continue
            if field.related:
                link, target = field.related.split(".", 1)
                if INHERITS.get(spec.name, (None, None))[1] != link:
                    continue  # a related field that is not delegated: Odoo cannot order by it either
                parent = spec.fields[link].relation
                joined = self.join(alias, link, parent)
                terms.append(f"{col(joined, target)} {direction} {nulls or default_nulls}")
                continue
            if not field.is_column:
                continue
            column = col(alias, field.column)
            if field.type == "many2one" and prop != "id" and field.relation in self.models:
                key = (spec.name, name)
                if key in seen:
                    continue
                comodel = self.models[field.relation]
                if comodel.order.strip().lower() in ("id", "id asc"):
                    terms.append(f"{column} {direction} {nulls or default_nulls}")
                    continue
                if nulls == "NULLS FIRST":
                    terms.append(f"({column} IS NOT NULL)")
                elif nulls == "NULLS LAST":
                    terms.append(f"({column} IS NULL)")
                joined = self.join(alias, name, comodel.name)
                sub = self._terms(comodel, comodel.order, joined, reverse=direction == "DESC",
                                  seen=seen | {key}, check=False)
                terms.extend(sub)
                continue
            terms.append(f"{column} {direction} {nulls or default_nulls}")
        return terms
