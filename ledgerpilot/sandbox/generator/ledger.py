"""Row buffers with ids allocated up front, flushed to the store in batches.

The generator decides every record completely before it is written (payments are planned when the
invoice is made), so rows are appended once and never updated. Ids are allocated here rather than
by SQLite so that related records can point at each other before either is written, and so that a
month's rows can be flushed while later months are still being generated (bounded memory).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ledgerpilot.sandbox.store import Store


class Ledger:
    """Collects rows per model and writes them with ``Store.bulk_insert``."""

    def __init__(self, store: Store, flush_every: int = 200_000):
        self.store = store
        self.flush_every = flush_every
        self._next_id: dict[str, int] = defaultdict(lambda: 1)
        self._rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._pending = 0

    def reserve(self, model: str) -> int:
        """Allocate the id of a record that will be added later (e.g. a monthly statement)."""
        rid = self._next_id[model]
        self._next_id[model] = rid + 1
        return rid

    def add(self, model: str, row: dict[str, Any]) -> int:
        """Buffer one row; allocates its id unless the row carries a reserved one."""
        if "id" not in row:
            row["id"] = self.reserve(model)
        elif row["id"] >= self._next_id[model]:  # a fixed id (e.g. uid 2 for the administrator)
            self._next_id[model] = row["id"] + 1
        self._rows[model].append(row)
        self._pending += 1
        return row["id"]

    def maybe_flush(self) -> None:
        if self._pending >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Write every buffered row (models in a fixed order so builds are reproducible)."""
        for model in sorted(self._rows):
            rows = self._rows[model]
            if rows:
                rows.sort(key=lambda r: r["id"])
                self.store.bulk_insert(model, rows)
        self._rows.clear()
        self._pending = 0
