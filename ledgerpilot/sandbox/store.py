"""SQLite storage for the sandbox: one table per model, one column per stored field.

Layout (the contract the ORM and the demo generator share):

- table ``account_move`` for model ``account.move``; ``id INTEGER PRIMARY KEY``;
- one column per stored scalar or many2one field (``registry.COLUMN_TYPES``), named as the field;
- many2one values are the integer id (NULL when empty); booleans 0/1; dates ``YYYY-MM-DD``;
  datetimes ``YYYY-MM-DD HH:MM:SS`` (UTC); json as JSON text; float/monetary as REAL;
- stored many2many in ``rel__<table>__<field>(id1, id2)``;
- ``sandbox_meta(key, value)`` for sandbox-wide settings (database name, "today", ...);
- the layout is the *storage registry* (``registry.storage_registry``), the same whatever serie the
  sandbox plays; ``Store.registry`` is what the chosen serie serves over it. A database made
  before a field was added to the layout gets the column (or relation table) when opened, filled
  from what it already holds (:func:`_fill_derived`);
- ``sandbox_api_keys(key_hash, user_id, name)`` for API keys (never served over RPC).

Python values are converted by :func:`encode_value` / :func:`decode_value`.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from ledgerpilot.sandbox.registry import DEFAULT_SERIE, FieldSpec, ModelSpec, registry, storage_registry

_EPOCH_WRITE = "1970-01-01 00:00:00"

#: The sandbox database file inside a sandbox data folder (the ground truth lies beside it).
DATABASE_FILENAME = "demo.sqlite"


def database_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / DATABASE_FILENAME


def encode_value(spec: FieldSpec, value: Any) -> Any:
    """Python/RPC value -> SQLite value for one column."""
    if value is None or (value is False and spec.type != "boolean"):
        return None
    t = spec.type
    if t == "boolean":
        return 1 if value else 0
    if t in ("many2one", "many2one_reference", "integer"):
        if isinstance(value, (list, tuple)):  # [id, name] as read returns it
            value = value[0]
        return int(value)
    if t in ("float", "monetary"):
        return float(value)
    if t == "date":
        if isinstance(value, dt.datetime):
            value = value.date()
        return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]
    if t == "datetime":
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, dt.date):
            return f"{value.isoformat()} 00:00:00"
        return str(value)
    if t == "json":
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def decode_value(spec: FieldSpec, value: Any) -> Any:
    """SQLite value -> the value Odoo puts on the wire (``False`` for empty; many2one as bare id)."""
    t = spec.type
    if t == "boolean":
        return bool(value)
    if value is None:
        return 0 if t == "integer" else (0.0 if t in ("float", "monetary") else False)
    if t == "json":
        return json.loads(value)
    return value


class Store:
    """A sandbox database file. Thread-safe: one SQLite connection per thread, WAL mode."""

    def __init__(self, path: str | Path, serie: str = DEFAULT_SERIE):
        self.path = Path(path)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self.serie = serie
        #: what the played serie serves (fields_get, reads, writes by clients)
        self.registry: dict[str, ModelSpec] = registry(serie)
        #: the SQLite layout, every serie's fields (the generator and the business rules use it)
        self.storage: dict[str, ModelSpec] = storage_registry()
        self._ensure_schema()

    # -- connections -------------------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=OFF")
            conn.execute("PRAGMA cache_size=-200000")
            conn.execute("PRAGMA temp_store=MEMORY")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work: everything in it is committed, or nothing is (Odoo's rollback)."""
        with self._write_lock:
            conn = self.conn
            if conn.in_transaction:  # nested: join the outer transaction
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- schema ------------------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        from ledgerpilot.sandbox.registry import COLUMN_TYPES

        statements = [
            "CREATE TABLE IF NOT EXISTS sandbox_meta (key TEXT PRIMARY KEY, value TEXT)",
            "CREATE TABLE IF NOT EXISTS sandbox_api_keys (key_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL,"
            " name TEXT, scope TEXT)",
            "CREATE TABLE IF NOT EXISTS sandbox_user_passwords (user_id INTEGER PRIMARY KEY, password TEXT)",
        ]
        for spec in self.storage.values():
            cols = ", ".join(f'"{c.column}" {COLUMN_TYPES[c.type]}' for c in spec.columns)
            statements.append(
                f'CREATE TABLE IF NOT EXISTS "{spec.table}" (id INTEGER PRIMARY KEY{", " + cols if cols else ""})'
            )
            for m2m in spec.many2many:
                rel = m2m.relation_table(spec.name)
                statements.append(
                    f'CREATE TABLE IF NOT EXISTS "{rel}" (id1 INTEGER NOT NULL, id2 INTEGER NOT NULL,'
                    f" PRIMARY KEY (id1, id2)) WITHOUT ROWID"
                )
                statements.append(f'CREATE INDEX IF NOT EXISTS "{rel}__id2" ON "{rel}" (id2)')
        with self.transaction() as conn:
            for sql in statements:
                conn.execute(sql)
            added = self._add_missing_columns(conn)
            if added:
                _fill_derived(conn)

    def _add_missing_columns(self, conn: sqlite3.Connection) -> bool:
        """Columns of the layout a database made by an earlier version lacks (added empty)."""
        from ledgerpilot.sandbox.registry import COLUMN_TYPES

        added = False
        for spec in self.storage.values():
            present = {row[1] for row in conn.execute(f'PRAGMA table_info("{spec.table}")')}
            for column in spec.columns:
                if column.column not in present:
                    conn.execute(f'ALTER TABLE "{spec.table}" ADD COLUMN "{column.column}" {COLUMN_TYPES[column.type]}')
                    added = True
        return added

    def create_indexes(self, indexes: Mapping[str, Sequence[str]] | None = None) -> None:
        """Index many2one and date columns that queries filter on (call after a bulk load)."""
        indexes = indexes or DEFAULT_INDEXES
        with self.transaction() as conn:
            for model, columns in indexes.items():
                table = self.storage[model].table
                for col in columns:
                    name = f"{table}__{col.replace(',', '_')}"
                    cols = ", ".join(f'"{c.strip()}"' for c in col.split(","))
                    conn.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({cols})')
            conn.execute("ANALYZE")

    # -- meta --------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM sandbox_meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO sandbox_meta (key, value) VALUES (?, ?)", (key, value))

    # -- bulk load (generator) ---------------------------------------------------------------
    def next_id(self, model: str) -> int:
        table = self.storage[model].table
        row = self.conn.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"').fetchone()
        return int(row[0])

    def bulk_insert(self, model: str, rows: Iterable[Mapping[str, Any]]) -> list[int]:
        """Insert many records at once, bypassing business rules (the generator's path).

        Each row maps field names to values as the ORM would accept them (many2one as int id,
        dates as ``date`` or ISO text, json as Python objects, many2many as a list of ids).
        ``id`` may be given; otherwise SQLite assigns it. Unknown fields raise ``KeyError``.
        ``create_date``/``write_date`` default to the sandbox "now" when the model has them.
        Returns the ids in row order.
        """
        spec = self.storage[model]
        rows = list(rows)
        if not rows:
            return []
        now = self.get_meta("now") or _EPOCH_WRITE
        column_names = {c.name for c in spec.columns}
        m2m_names = {f.name for f in spec.many2many}
        keys: list[str] = []
        seen: set[str] = set()
        for row in rows:
            for key in row:
                if key not in seen:
                    if key != "id" and key not in column_names and key not in m2m_names:
                        raise KeyError(f"{model} has no stored field {key!r} in the sandbox")
                    seen.add(key)
                    keys.append(key)
        for audit in ("create_date", "write_date"):
            if audit in column_names and audit not in seen:
                keys.append(audit)
        scalar_keys = [k for k in keys if k not in m2m_names]
        m2m_keys = [k for k in keys if k in m2m_names]
        specs = {k: spec.fields[k] for k in scalar_keys if k != "id"}
        placeholders = ", ".join("?" for _ in scalar_keys)
        sql = f'INSERT INTO "{spec.table}" ({", ".join(chr(34) + k + chr(34) for k in scalar_keys)}) VALUES ({placeholders})'
        ids: list[int] = []
        with self.transaction() as conn:
            start = self.next_id(model)
            values = []
            for offset, row in enumerate(rows):
                rid = int(row.get("id") or start + offset)
                ids.append(rid)
                record = []
                for key in scalar_keys:
                    if key == "id":
                        record.append(rid)
                    elif key in ("create_date", "write_date") and key not in row:
                        record.append(now)
                    else:
                        record.append(encode_value(specs[key], row.get(key)))
                values.append(record)
            if "id" not in scalar_keys:
                sql_with_id = sql.replace(f'INSERT INTO "{spec.table}" (', f'INSERT INTO "{spec.table}" (id, ', 1)
                sql_with_id = sql_with_id.replace("VALUES (", "VALUES (?, ", 1)
                conn.executemany(sql_with_id, ([rid, *rec] for rid, rec in zip(ids, values)))
            else:
                conn.executemany(sql, values)
            for key in m2m_keys:
                rel = spec.fields[key].relation_table(model)
                pairs = [(rid, int(other)) for rid, row in zip(ids, rows) for other in (row.get(key) or ())]
                conn.executemany(f'INSERT OR IGNORE INTO "{rel}" (id1, id2) VALUES (?, ?)', pairs)
        return ids

    def count(self, model: str) -> int:
        return int(self.conn.execute(f'SELECT COUNT(*) FROM "{self.storage[model].table}"').fetchone()[0])

    def fill_derived(self) -> None:
        """Fill the fields later series keep apart from what 17 keeps (after a bulk load)."""
        with self.transaction() as conn:
            _fill_derived(conn)


def _fill_derived(conn: sqlite3.Connection) -> None:
    """Fields a later serie keeps apart, derived from the 17 ones where they are not set yet."""
    sync_account_companies(conn)


def sync_account_companies(conn: sqlite3.Connection) -> None:
    """An account's companies and activity, kept as 17 (``company_id``, ``deprecated``) and as 18+
    (``company_ids``, ``active``), filled in from whichever side a client wrote."""
    conn.execute("UPDATE account_account SET active = CASE WHEN COALESCE(deprecated, 0) = 1 THEN 0 ELSE 1 END"
                 " WHERE active IS NULL")
    conn.execute('INSERT OR IGNORE INTO "rel__account_account__company_ids" (id1, id2)'
                 " SELECT id, company_id FROM account_account WHERE company_id IS NOT NULL")
    conn.execute('UPDATE account_account SET company_id = (SELECT MIN(r.id2) FROM "rel__account_account__company_ids"'
                 " AS r WHERE r.id1 = account_account.id) WHERE company_id IS NULL")


#: Indexes created after the demo company is loaded: the columns domains and joins use most.
DEFAULT_INDEXES: dict[str, tuple[str, ...]] = {
    "account.move.line": ("move_id", "account_id", "partner_id", "date", "parent_state", "full_reconcile_id",
                          "write_date", "journal_id"),
    "account.move": ("date", "state", "move_type", "partner_id", "journal_id", "write_date", "ref"),
    "account.partial.reconcile": ("debit_move_id", "credit_move_id"),
    "account.bank.statement.line": ("move_id", "statement_id", "is_reconciled"),
    "account.analytic.line": ("account_id", "date", "move_line_id"),
    "sale.order.line": ("order_id",),
    "purchase.order.line": ("order_id",),
    "stock.move": ("picking_id", "purchase_line_id"),
    "stock.valuation.layer": ("product_id", "stock_move_id"),
    "mail.message": ("model,res_id",),
    "mail.activity": ("res_model,res_id",),
}
