"""Write side of the sandbox ORM: ``create`` (with x2many commands), ``write`` and ``unlink``.

The generic part is here: field validation and conversion, defaults, ``_inherits`` delegation,
x2many commands, the log-access fields (``create_uid``/``write_uid``/``create_date``/``write_date``)
and cascades. Business rules of particular models (the balance of a journal entry, partner
hierarchies, lock dates) plug in as :class:`ModelRules`, one per model in the explicit table of
:mod:`ledgerpilot.sandbox.model_rules` that the call's env carries; they run around each write, and
their deferred checks run once when the outermost write operation ends, as Odoo's ``_check_balanced``
container does.

``write_date`` is the call's timestamp (real UTC time, never before the sandbox's meta ``now``):
the gateway's incremental sync asks for ``write_date > last seen``.

Values here are named as the sandbox keeps them (the storage registry): a client's values come
through :func:`client_values` first, which checks them against what the played serie serves and
renames the fields a later serie renamed (``tax_ids`` -> ``taxes_id`` ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from ledgerpilot.sandbox import security
from ledgerpilot.sandbox.commands import CLEAR, CREATE, DELETE, LINK, SET, UNLINK, UPDATE, parse_commands
from ledgerpilot.sandbox.defaults import apply_defaults
from ledgerpilot.sandbox.env import Env
from ledgerpilot.sandbox.exceptions import MissingError
from ledgerpilot.sandbox.registry import INHERITS, MODEL_DESCRIPTIONS, ModelSpec, relation_table
from ledgerpilot.sandbox.store import encode_value
from ledgerpilot.sandbox.values import (
    LOG_ACCESS_FIELDS,
    check_field_names,
    check_many2one_targets,
    convert_scalar,
    not_null_error,
)


class ModelRules:
    """Business rules of one model. The ORM calls these around its writes; override what applies."""

    #: fields the rules keep themselves, outside the model's table (e.g. a user's password)
    private_fields: frozenset[str] = frozenset()

    def store_private(self, env: Env, record_id: int, values: dict[str, Any]) -> None:
        """Keep the values of :attr:`private_fields` given for one record."""

    def prepare_create(self, env: Env, vals: dict[str, Any]) -> None:
        """Complete ``vals`` before the record is inserted (defaults and stored computes)."""

    def after_create(self, env: Env, ids: list[int]) -> None:
        """The records exist (with their x2many children)."""

    def before_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        """Refuse or adjust a write before anything is changed."""

    def after_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        """Recompute what the written values change."""

    def before_unlink(self, env: Env, ids: list[int]) -> None:
        """Refuse a deletion, or delete what depends on the records."""

    def finish(self, env: Env) -> None:
        """Deferred checks, when the outermost write operation ends (``env.pending``)."""


_BASE_RULES = ModelRules()
_MAX_SETTLE_ROUNDS = 10


def rules_for(env: Env, model: str) -> ModelRules:
    """The business rules of ``model``: the env's table (``sandbox.model_rules.MODEL_RULES``), or none."""
    return env.model_rules.get(model, _BASE_RULES)


@contextmanager
def operation(env: Env) -> Iterator[None]:
    """One ORM write operation; when the outermost ends (without error), deferred checks run."""
    env.depth += 1
    try:
        yield
    except BaseException:
        env.depth -= 1
        raise
    env.depth -= 1
    if env.depth == 0:
        env.depth = 1  # writes made by the checks themselves do not re-enter this loop
        try:
            for _round in range(_MAX_SETTLE_ROUNDS):
                if not any(env.pending.values()):
                    break
                for rules in {id(r): r for r in env.model_rules.values()}.values():
                    rules.finish(env)
            else:
                raise RuntimeError(f"Deferred business checks did not settle: {sorted(env.pending)}")
        finally:
            env.depth = 0


def model_spec(env: Env, model: str) -> ModelSpec:
    """The model as the sandbox keeps it (every serie's fields, 17 names)."""
    if model not in env.store.registry:
        raise ValueError(f"Unknown model {model!r}")
    return env.store.storage[model]


def client_values(env: Env, model: str, vals: dict[str, Any]) -> dict[str, Any]:
    """A client's values for ``model`` renamed as the sandbox keeps them, x2many commands included.

    Names are checked against what the played serie serves first (``Invalid field`` as Odoo says),
    so a field of another serie (``period_lock_date`` on 19) is refused as that serie refuses it.
    """
    served = env.store.registry.get(model)
    if served is None:
        raise ValueError(f"Unknown model {model!r}")
    kept_apart = LOG_ACCESS_FIELDS | rules_for(env, model).private_fields
    check_field_names(served, {k: v for k, v in vals.items() if k not in kept_apart}, serie=env.store.serie)
    out: dict[str, Any] = {}
    for name, value in vals.items():
        field = served.fields.get(name)
        if field is None:  # a log-access field (ignored later, as Odoo ignores it) or one the rules keep
            out[name] = value
            continue
        if field.type in ("one2many", "many2many") and field.relation in env.store.registry \
                and isinstance(value, (list, tuple)):
            value = [_client_command(env, field.relation, item) for item in value]
        out[field.column] = value
    return out


def _client_command(env: Env, comodel: str, item: Any) -> Any:
    if isinstance(item, (list, tuple)) and len(item) > 2 and item[0] in (CREATE, UPDATE) and isinstance(item[2], dict):
        return (item[0], item[1], client_values(env, comodel, item[2]))
    return item


def missing_error(env: Env, model: str, missing: Iterable[int]) -> MissingError:
    ids = ", ".join(str(i) for i in sorted(missing))
    return MissingError(f"Record does not exist or has been deleted.\n(Record: {model}({ids},), User: {env.uid})")


def existing_ids(env: Env, model: str, ids: Iterable[int]) -> set[int]:
    ids = list(ids)
    if not ids:
        return set()
    table = env.store.storage[model].table
    found: set[int] = set()
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        found.update(r[0] for r in env.conn.execute(
            f'SELECT id FROM "{table}" WHERE id IN ({",".join("?" * len(chunk))})', chunk))
    return found


def company_decimals(env: Env) -> int:
    """Decimal places of the company currency (monetary values are rounded to them before storing)."""
    return env.company_decimals


# -- create ----------------------------------------------------------------------------------------
def create(env: Env, model: str, vals_list: list[dict[str, Any]], check_access: bool = True) -> list[int]:
    """Create records; returns their ids in order. Raises as Odoo does on bad fields or values."""
    spec = model_spec(env, model)
    vals_list = [dict(v) for v in vals_list]
    if check_access:
        fields = {k for v in vals_list for k in v}
        security.check_write_fields(env, model, "create", fields)
    rules = rules_for(env, model)
    ids: list[int] = []
    with operation(env):
        for vals in vals_list:
            private = {k: vals.pop(k) for k in rules.private_fields & vals.keys()}
            check_field_names(spec, vals)
            for name in LOG_ACCESS_FIELDS & vals.keys():
                del vals[name]
            _delegate_create(env, spec, vals)
            rules.prepare_create(env, vals)
            apply_defaults(env, model, vals, set(spec.fields))
            ids.append(_insert(env, spec, vals))
            if private:
                rules.store_private(env, ids[-1], private)
        rules.after_create(env, ids)
    return ids


def _delegate_create(env: Env, spec: ModelSpec, vals: dict[str, Any]) -> None:
    """``_inherits``: values of the parent's fields go to the parent record, created if not given."""
    if spec.name not in INHERITS:
        return
    parent, link = INHERITS[spec.name]
    prefix = f"{link}."
    parent_vals = {k: vals.pop(k) for k in list(vals) if (spec.fields[k].related or "").startswith(prefix)}
    if vals.get(link):
        if parent_vals:
            write(env, parent, [int(vals[link])], parent_vals, check_access=False)
    else:
        vals[link] = create(env, parent, [parent_vals], check_access=False)[0]


def _split_values(env: Env, spec: ModelSpec, vals: dict[str, Any]
                  ) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """``vals`` -> (column values converted for storage, x2many commands to apply after).

    Delegated (related) values were moved to the parent record before; non-stored computed fields
    (display_name, ...) are ignored, as Odoo ignores them.
    """
    columns: dict[str, Any] = {}
    x2many: list[tuple[str, Any]] = []
    decimals = company_decimals(env)
    for name, value in vals.items():
        field = spec.fields[name]
        if field.related:
            continue
        if field.type in ("one2many", "many2many"):
            x2many.append((name, value))
        elif field.is_column:
            columns[name] = convert_scalar(spec.name, field, value, decimals)
    return columns, x2many


def _insert(env: Env, spec: ModelSpec, vals: dict[str, Any]) -> int:
    columns, x2many = _split_values(env, spec, vals)
    for name in ("create_uid", "write_uid"):
        if name in spec.fields:
            columns[name] = env.uid
    for name in ("create_date", "write_date"):
        if name in spec.fields:
            columns[name] = env.now
    _check_values(env, spec, columns, creating=True)
    new_id = next_record_id(env, spec.table)
    names = list(columns)
    encoded = [new_id, *(encode_value(spec.fields[n], columns[n]) for n in names)]
    cols = ", ".join(["id", *(f'"{n}"' for n in names)])
    marks = ", ".join("?" * (len(names) + 1))
    env.conn.execute(f'INSERT INTO "{spec.table}" ({cols}) VALUES ({marks})', encoded)
    for name, value in x2many:
        _apply_x2many(env, spec, [new_id], name, value, creating=True)
    return new_id


def next_record_id(env: Env, table: str) -> int:
    """A fresh id that was never used in ``table``, even by a deleted record (PostgreSQL sequences).

    SQLite would hand out the id of a just-deleted last row again; Odoo never does, and clients
    rely on it (reading a deleted id returns nothing, incremental syncs key on ids).
    """
    key = f"id_sequence:{table}"
    row = env.conn.execute("SELECT value FROM sandbox_meta WHERE key = ?", (key,)).fetchone()
    used = int(row[0]) if row else 0
    highest = env.conn.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').fetchone()[0]
    new_id = max(used, int(highest)) + 1
    env.conn.execute("INSERT OR REPLACE INTO sandbox_meta (key, value) VALUES (?, ?)", (key, str(new_id)))
    return new_id


def _check_values(env: Env, spec: ModelSpec, columns: dict[str, Any], creating: bool) -> None:
    for name, value in columns.items():
        field = spec.fields[name]
        if field.type == "many2one" and value is not None and name not in LOG_ACCESS_FIELDS:
            check_many2one_targets(env.conn, env.store.storage, spec.name, field, {int(value)})
    for field in spec.columns:
        if not field.attrs.get("required") or field.type == "boolean":
            continue
        if field.type == "many2one" and field.relation not in env.store.storage:
            continue  # a comodel the sandbox does not keep: nothing could be given
        if (creating and columns.get(field.name) is None) or (not creating and field.name in columns
                                                              and columns[field.name] is None):
            raise not_null_error(MODEL_DESCRIPTIONS.get(spec.name, spec.name), spec.name, field)


# -- write -----------------------------------------------------------------------------------------
def write(env: Env, model: str, ids: list[int], vals: dict[str, Any], check_access: bool = True) -> None:
    """Write ``vals`` on the records. Missing ids raise MissingError (as Odoo's ``write``)."""
    spec = model_spec(env, model)
    ids = list(dict.fromkeys(int(i) for i in ids))
    vals = dict(vals)
    rules = rules_for(env, model)
    private = {k: vals.pop(k) for k in rules.private_fields & vals.keys()}
    check_field_names(spec, vals)
    for name in LOG_ACCESS_FIELDS & vals.keys():
        del vals[name]
    if check_access:
        security.check_write_fields(env, model, "write", [*vals.keys(), *private.keys()])
    if not ids:
        return
    missing = set(ids) - existing_ids(env, model, ids)
    if missing:
        raise missing_error(env, model, missing)
    with operation(env):
        for record_id in ids if private else ():
            rules.store_private(env, record_id, private)
        rules.before_write(env, ids, vals)
        _delegate_write(env, spec, ids, vals)
        columns, x2many = _split_values(env, spec, vals)
        _check_values(env, spec, columns, creating=False)
        update_rows(env, model, ids, columns)
        for name, value in x2many:
            _apply_x2many(env, spec, ids, name, value, creating=False)
        rules.after_write(env, ids, vals)


def _delegate_write(env: Env, spec: ModelSpec, ids: list[int], vals: dict[str, Any]) -> None:
    if spec.name not in INHERITS:
        return
    parent, link = INHERITS[spec.name]
    prefix = f"{link}."
    parent_vals = {k: vals[k] for k in list(vals) if (spec.fields[k].related or "").startswith(prefix)}
    if not parent_vals:
        return
    marks = ",".join("?" * len(ids))
    parent_ids = [r[0] for r in env.conn.execute(
        f'SELECT "{link}" FROM "{spec.table}" WHERE id IN ({marks}) AND "{link}" IS NOT NULL', ids)]
    write(env, parent, parent_ids, parent_vals, check_access=False)


def update_rows(env: Env, model: str, ids: list[int], values: dict[str, Any]) -> None:
    """UPDATE stored columns (already converted) and stamp ``write_uid``/``write_date``.

    Rule modules use it for the stored fields they compute, so every change moves ``write_date``.
    """
    if not ids:
        return
    spec = env.store.storage[model]
    values = dict(values)
    if "write_uid" in spec.fields:
        values["write_uid"] = env.uid
    if "write_date" in spec.fields:
        values["write_date"] = env.now
    names = list(values)
    sets = ", ".join(f'"{n}" = ?' for n in names)
    encoded = [encode_value(spec.fields[n], values[n]) for n in names]
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        env.conn.execute(f'UPDATE "{spec.table}" SET {sets} WHERE id IN ({",".join("?" * len(chunk))})',
                         [*encoded, *chunk])


# -- x2many ----------------------------------------------------------------------------------------
def _apply_x2many(env: Env, spec: ModelSpec, ids: list[int], name: str, value: Any, creating: bool) -> None:
    field = spec.fields[name]
    label = f"{spec.name}.{name}"
    commands = parse_commands(value, label, many2many=field.type == "many2many")
    if field.type == "many2many":
        for record_id in ids:
            _apply_many2many(env, spec, record_id, field.name, field.relation, commands)
    else:
        for record_id in ids:
            _apply_one2many(env, field.relation, field.inverse, record_id, commands, label)


def _apply_one2many(env: Env, comodel: str, inverse: str, record_id: int, commands, label: str) -> None:
    co_spec = env.store.storage[comodel]
    table = co_spec.table
    inverse_required = bool(co_spec.fields[inverse].attrs.get("required"))
    pending_creates: list[dict[str, Any]] = []

    def flush_creates() -> None:
        if pending_creates:
            create(env, comodel, [{**vals, inverse: record_id} for vals in pending_creates])
            pending_creates.clear()

    def detach(child_ids: list[int]) -> None:
        if not child_ids:
            return
        if inverse_required:
            unlink(env, comodel, child_ids)
        else:
            write(env, comodel, child_ids, {inverse: False})

    def children() -> list[int]:
        return [r[0] for r in env.conn.execute(f'SELECT id FROM "{table}" WHERE "{inverse}" = ?', (record_id,))]

    for cmd in commands:
        if cmd.op == CREATE:
            pending_creates.append(dict(cmd.vals or {}))
            continue
        flush_creates()
        if cmd.op == UPDATE:
            if cmd.id not in set(children()):
                raise missing_error(env, comodel, [cmd.id])
            write(env, comodel, [cmd.id], cmd.vals or {})
        elif cmd.op == DELETE:
            unlink(env, comodel, [cmd.id])
        elif cmd.op == UNLINK:
            if cmd.id in set(children()):
                detach([cmd.id])
        elif cmd.op == LINK:
            write(env, comodel, [cmd.id], {inverse: record_id})
        elif cmd.op == CLEAR:
            detach(children())
        elif cmd.op == SET:
            wanted = list(dict.fromkeys(cmd.ids))
            detach([c for c in children() if c not in set(wanted)])
            if wanted:
                write(env, comodel, wanted, {inverse: record_id})
    flush_creates()


def _apply_many2many(env: Env, spec: ModelSpec, record_id: int, name: str, comodel: str, commands) -> None:
    rel = relation_table(spec.name, name)
    conn = env.conn

    def link(other_ids: Iterable[int]) -> None:
        other_ids = list(dict.fromkeys(other_ids))
        if not other_ids:
            return
        missing = set(other_ids) - existing_ids(env, comodel, other_ids)
        if missing:
            raise missing_error(env, comodel, missing)
        conn.executemany(f'INSERT OR IGNORE INTO "{rel}" (id1, id2) VALUES (?, ?)',
                         [(record_id, o) for o in other_ids])

    for cmd in commands:
        if cmd.op == CREATE:
            link(create(env, comodel, [dict(cmd.vals or {})]))
        elif cmd.op == UPDATE:
            write(env, comodel, [cmd.id], cmd.vals or {})
        elif cmd.op == DELETE:
            conn.execute(f'DELETE FROM "{rel}" WHERE id1 = ? AND id2 = ?', (record_id, cmd.id))
            unlink(env, comodel, [cmd.id])
        elif cmd.op == UNLINK:
            conn.execute(f'DELETE FROM "{rel}" WHERE id1 = ? AND id2 = ?', (record_id, cmd.id))
        elif cmd.op == LINK:
            link([cmd.id])
        elif cmd.op == CLEAR:
            conn.execute(f'DELETE FROM "{rel}" WHERE id1 = ?', (record_id,))
        elif cmd.op == SET:
            conn.execute(f'DELETE FROM "{rel}" WHERE id1 = ?', (record_id,))
            link(cmd.ids)


# -- unlink ----------------------------------------------------------------------------------------
#: one2many children deleted with their parent (Odoo's ``ondelete='cascade'`` on the inverse).
CASCADE_CHILDREN: dict[str, tuple[tuple[str, str], ...]] = {
    "account.move": (("account.move.line", "move_id"),),
    "sale.order": (("sale.order.line", "order_id"),),
    "purchase.order": (("purchase.order.line", "order_id"),),
    "account.payment.term": (("account.payment.term.line", "payment_id"),),
    "crossovered.budget": (("crossovered.budget.lines", "crossovered_budget_id"),),
    "account.full.reconcile": (),
}


def unlink(env: Env, model: str, ids: list[int], check_access: bool = True) -> None:
    """Delete records (and what cascades). Missing ids raise MissingError as Odoo 17 does."""
    spec = model_spec(env, model)
    ids = list(dict.fromkeys(int(i) for i in ids))
    if check_access:
        security.check_access_rights(env, model, "unlink")
    if not ids:
        return
    missing = set(ids) - existing_ids(env, model, ids)
    if missing:
        raise missing_error(env, model, missing)
    with operation(env):
        rules_for(env, model).before_unlink(env, ids)
        ids = sorted(existing_ids(env, model, ids))  # the rules may have deleted some already
        if not ids:
            return
        for child_model, inverse in CASCADE_CHILDREN.get(model, ()):
            child_table = env.store.storage[child_model].table
            child_ids = _ids_where(env, child_table, inverse, ids)
            if child_ids:
                unlink(env, child_model, child_ids, check_access=False)
        parent_ids: list[int] = []
        if model in ("account.payment", "account.bank.statement.line"):
            # Odoo deletes the journal entry of a payment or a bank line with it
            parent_ids = _column_values(env, spec.table, "move_id", ids)
        _delete_rows(env, spec, ids)
        if parent_ids:
            unlink(env, "account.move", parent_ids, check_access=False)


def _ids_where(env: Env, table: str, column: str, values: list[int]) -> list[int]:
    out: list[int] = []
    for start in range(0, len(values), 900):
        chunk = values[start:start + 900]
        out.extend(r[0] for r in env.conn.execute(
            f'SELECT id FROM "{table}" WHERE "{column}" IN ({",".join("?" * len(chunk))})', chunk))
    return out


def _column_values(env: Env, table: str, column: str, ids: list[int]) -> list[int]:
    marks = ",".join("?" * len(ids))
    return [r[0] for r in env.conn.execute(
        f'SELECT "{column}" FROM "{table}" WHERE id IN ({marks}) AND "{column}" IS NOT NULL', ids)]


def _delete_rows(env: Env, spec: ModelSpec, ids: list[int]) -> None:
    conn = env.conn
    registry = env.store.storage
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        marks = ",".join("?" * len(chunk))
        conn.execute(f'DELETE FROM "{spec.table}" WHERE id IN ({marks})', chunk)
        for m2m in spec.many2many:
            conn.execute(f'DELETE FROM "{relation_table(spec.name, m2m.name)}" WHERE id1 IN ({marks})', chunk)
        # many2many of other models pointing here, and many2one columns that become dangling
        for other in registry.values():
            for m2m in other.many2many:
                if m2m.relation == spec.name:
                    conn.execute(f'DELETE FROM "{relation_table(other.name, m2m.name)}" WHERE id2 IN ({marks})',
                                 chunk)
        if "message_ids" in _raw_fields(spec.name):
            conn.execute(f'DELETE FROM mail_message WHERE model = ? AND res_id IN ({marks})', [spec.name, *chunk])
            conn.execute(f'DELETE FROM mail_activity WHERE res_model = ? AND res_id IN ({marks})',
                         [spec.name, *chunk])


def _raw_fields(model: str) -> dict:
    from ledgerpilot.sandbox.registry import _raw_schema

    return _raw_schema(model)
