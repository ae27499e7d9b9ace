"""Small SQL helpers shared by the domain compiler and the query engine.

Identifiers are always double-quoted (model tables and field names come from the registry, never
from a client). Id lists of any size travel as ONE JSON parameter read through ``json_each``, so
a query never hits SQLite's limit on bound variables and its text does not grow with the list.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from typing import Any

#: Lists up to this size are inlined as ``IN (?, ?, ...)``; longer ones use ``json_each``.
INLINE_LIST_MAX = 200

def q(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def col(alias: str, name: str) -> str:
    """A qualified column: ``"alias"."name"``."""
    return f"{q(alias)}.{q(name)}"


def in_list(values: Iterable[Any]) -> tuple[str, list[Any]]:
    """``(sql, params)`` for the right-hand side of ``IN``: ``(?, ?)`` or a ``json_each`` subquery."""
    values = list(values)
    if not values:
        return "(NULL)", []
    if len(values) <= INLINE_LIST_MAX:
        return "(" + ", ".join("?" * len(values)) + ")", values
    return "(SELECT value FROM json_each(?))", [json.dumps(values)]


def _ilike(value: Any, pattern: Any) -> int | None:
    """Unicode-aware case-insensitive LIKE (SQLite's own LIKE folds ASCII letters only)."""
    if value is None or pattern is None:
        return None
    return int(like_to_regex(str(pattern), True).fullmatch(str(value)) is not None)


def _like(value: Any, pattern: Any) -> int | None:
    if value is None or pattern is None:
        return None
    return int(like_to_regex(str(pattern), False).fullmatch(str(value)) is not None)


_REGEX_CACHE: dict[tuple[str, bool], Any] = {}


def like_to_regex(pattern: str, ignore_case: bool):
    """Compile a PostgreSQL LIKE pattern (``%``, ``_``, backslash escapes) to a Python regex."""
    key = (pattern, ignore_case)
    compiled = _REGEX_CACHE.get(key)
    if compiled is None:
        import re

        out = []
        i = 0
        while i < len(pattern):
            ch = pattern[i]
            if ch == "\\" and i + 1 < len(pattern):
                out.append(re.escape(pattern[i + 1]))
                i += 2
                continue
            out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
            i += 1
        flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
        compiled = re.compile("".join(out), flags)
        if len(_REGEX_CACHE) > 2000:
            _REGEX_CACHE.clear()
        _REGEX_CACHE[key] = compiled
    return compiled


def like_to_glob(pattern: str) -> str:
    """Translate a PostgreSQL LIKE pattern into an equivalent (case-sensitive) SQLite GLOB pattern."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            literal = pattern[i + 1]
            out.append(f"[{literal}]" if literal in "*?[" else literal)
            i += 2
            continue
        if ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        elif ch in "*?[":
            out.append(f"[{ch}]")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _to_local_time(value: Any, zone_name: Any) -> Any:
    """A UTC 'YYYY-MM-DD HH:MM:SS' text in the given time zone (datetime groups in the user's zone)."""
    if value is None:
        return None
    import datetime as dt
    from zoneinfo import ZoneInfo

    moment = dt.datetime.strptime(str(value)[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(str(zone_name))).strftime("%Y-%m-%d %H:%M:%S")


# Connections are per thread (see Store.conn); remembering the last prepared one per thread avoids
# re-registering functions while another statement of the same connection is still running.
_prepared = threading.local()


def prepare_connection(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Register the SQL functions the compiled queries use, once per connection."""
    if getattr(_prepared, "conn", None) is not conn:
        conn.create_function("lp_ilike", 2, _ilike, deterministic=True)
        conn.create_function("lp_like", 2, _like, deterministic=True)
        conn.create_function("lp_to_local", 2, _to_local_time, deterministic=True)
        _prepared.conn = conn
    return conn
