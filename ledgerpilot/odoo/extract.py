"""Typed pandas DataFrames from Odoo: ``search_read`` paged by id, columns typed from ``fields_get``.

Pages are ``domain + [('id', '>', last_id)]`` ordered by id with a limit, never OFFSET: an offset
makes the server skip ever more rows on each page and shifts when records are added or removed
during the extraction. Each page is turned into typed columns as it arrives, so the raw JSON rows
of the whole model are never held at once.

Column types (Odoo type -> dtype):
integer -> Int64; float, monetary -> float64; boolean -> bool; char, text, html, selection,
binary, reference -> pandas ``string``; date -> datetime64[ns] (NaT for false); datetime ->
datetime64[ns] (UTC, naive); many2one -> ``<field>_id`` (Int64) and ``<field>_name`` (string) in
place of the field; one2many, many2many -> Python lists of ids; json (and properties) -> dict or None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

ProgressCallback = Callable[[int, int], None]  # (rows so far, total rows)

STRING = pd.StringDtype()


@dataclass(frozen=True)
class ColumnSpec:
    """One requested field and its Odoo type."""

    name: str
    type: str
    relation: str | None = None

    @classmethod
    def from_fields_get(cls, name: str, attributes: Mapping[str, Any]) -> ColumnSpec:
        return cls(name, attributes.get("type", "char"), attributes.get("relation"))

    @property
    def columns(self) -> tuple[str, ...]:
        if self.type == "many2one":
            return (f"{self.name}_id", f"{self.name}_name")
        return (self.name,)


def m2o_id(value: Any) -> int | None:
    """A many2one as Odoo reads it (``[id, "name"]`` or ``false``) or as a payload holds it (the id) -> the
    id; ``false``, ``None``, ``[]`` (and a stray ``true``) -> None."""
    if isinstance(value, (list, tuple)):
        return int(value[0]) if value else None
    if value is None or isinstance(value, bool):
        return None
    return int(value)


def _none_if_false(values: Sequence[Any]) -> list[Any]:
    return [None if value is False else value for value in values]


def _integers(values: Sequence[Any]) -> pd.api.extensions.ExtensionArray:
    mask = np.fromiter((value is False or value is None for value in values), dtype=bool, count=len(values))
    if mask.any():
        data = np.fromiter((0 if missing else value for value, missing in zip(values, mask)), dtype=np.int64,
                           count=len(values))
    else:
        data = np.fromiter(values, dtype=np.int64, count=len(values))
    return pd.arrays.IntegerArray(data, mask)


def _floats(values: Sequence[Any]) -> np.ndarray:
    # Odoo sends 0.0 for an empty float/monetary; False (bool) converts to 0.0 as well.
    return np.array(values, dtype=np.float64) if len(values) else np.empty(0, dtype=np.float64)


def _booleans(values: Sequence[Any]) -> np.ndarray:
    return np.array([bool(value) for value in values], dtype=bool)


def _strings(values: Sequence[Any]) -> pd.api.extensions.ExtensionArray:
    return pd.array(_none_if_false(values), dtype=STRING)


def _labels(values: Sequence[Any]) -> pd.api.extensions.ExtensionArray:
    """Strings from a small set (selection values): one object per distinct value."""
    shared: dict[str, str] = {}
    return pd.array([None if value is False else shared.setdefault(value, value) for value in values],
                    dtype=STRING)


def _dates(values: Sequence[Any], unit: str) -> np.ndarray:
    raw = np.array([value or "NaT" for value in values], dtype=f"datetime64[{unit}]")
    return raw.astype("datetime64[ns]")


def _many2one(values: Sequence[Any]) -> tuple[Any, Any]:
    ids = _integers([value[0] if value else False for value in values])
    # The same few names (accounts, journals, partners) repeat on many rows: keep one string object
    # per distinct name instead of one per row.
    shared: dict[str, str] = {}
    names = [shared.setdefault(value[1], value[1]) if value else None for value in values]
    return ids, pd.array(names, dtype=STRING)


def _id_lists(values: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = [value if value else [] for value in values]  # Odoo sends lists already; no copy
    return out


def _objects(values: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = _none_if_false(values)
    return out


def convert_column(spec: ColumnSpec, values: Sequence[Any]) -> dict[str, Any]:
    """Typed arrays for one field's raw values, keyed by output column name."""
    kind = spec.type
    if kind == "many2one":
        ids, names = _many2one(values)
        return {f"{spec.name}_id": ids, f"{spec.name}_name": names}
    if kind == "integer":
        return {spec.name: _integers(values)}
    if kind in ("float", "monetary"):
        return {spec.name: _floats(values)}
    if kind == "boolean":
        return {spec.name: _booleans(values)}
    if kind == "date":
        return {spec.name: _dates(values, "D")}
    if kind == "datetime":
        return {spec.name: _dates(values, "s")}
    if kind == "selection":
        return {spec.name: _labels(values)}
    if kind in ("one2many", "many2many"):
        return {spec.name: _id_lists(values)}
    if kind in ("json", "properties", "properties_definition"):
        return {spec.name: _objects(values)}
    return {spec.name: _strings(values)}


def frame_from_records(records: Sequence[Mapping[str, Any]], specs: Sequence[ColumnSpec]) -> pd.DataFrame:
    """A typed DataFrame (``id`` first, then the specs' columns in order) from ``search_read`` rows."""
    columns: dict[str, Any] = {"id": _integers([record["id"] for record in records])}
    for spec in specs:
        if spec.name == "id":
            continue
        columns.update(convert_column(spec, [record.get(spec.name, False) for record in records]))
    return pd.DataFrame(columns, copy=False)


def empty_frame(specs: Sequence[ColumnSpec]) -> pd.DataFrame:
    return frame_from_records([], specs)


def concat_frames(frames: list[pd.DataFrame], specs: Sequence[ColumnSpec]) -> pd.DataFrame:
    if not frames:
        return empty_frame(specs)
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True, copy=False)


def iter_pages_by_id(search_read: Callable[[list, int], list[dict]], domain: Sequence[Any],
                     batch_size: int, start_after: int = 0) -> Iterable[list[dict]]:
    """Pages of ``search_read(domain + [('id','>',last)], limit)`` ordered by id, until a short page."""
    last_id = start_after
    base = list(domain)
    while True:
        page = search_read(base + [("id", ">", last_id)], batch_size)
        if page:
            yield page
        if len(page) < batch_size:
            return
        last_id = page[-1]["id"]


def extract_frame(search_read: Callable[[list, int], list[dict]], specs: Sequence[ColumnSpec],
                  domain: Sequence[Any], batch_size: int, *, total: int | None = None,
                  progress: ProgressCallback | None = None) -> pd.DataFrame:
    """Every record matching ``domain`` as one typed DataFrame, fetched page by page."""
    frames: list[pd.DataFrame] = []
    rows = 0
    for page in iter_pages_by_id(search_read, domain, batch_size):
        frames.append(frame_from_records(page, specs))
        rows += len(page)
        if progress is not None:
            progress(rows, max(total or 0, rows))
    if progress is not None and rows == 0:
        progress(0, total or 0)
    return concat_frames(frames, specs)


def read_group_frame(groups: Sequence[Mapping[str, Any]], groupby: Sequence[str],
                     field_types: Mapping[str, str]) -> pd.DataFrame:
    """A DataFrame from ``read_group`` rows: many2one group keys split into ``_id``/``_name``.

    Odoo's bookkeeping keys (``__domain``, ``__context``, ``__range``, ``__fold``) are dropped;
    ``__count`` (or ``<field>_count`` in lazy mode) is kept as an Int64 count.
    """
    keys: list[str] = []
    for row in groups:
        for key in row:
            if key not in keys and not (key.startswith("__") and key != "__count"):
                keys.append(key)
    if not groups:
        keys = [*groupby, "__count"]
    columns: dict[str, Any] = {}
    for key in keys:
        values = [row.get(key, False) for row in groups]
        base = key.split(":", 1)[0]
        kind = field_types.get(base)
        if key in groupby and kind == "many2one":
            ids, names = _many2one(values)
            columns[f"{base}_id"], columns[f"{base}_name"] = ids, names
        elif key in groupby and ":" in key:
            columns[key] = _strings(values)  # date granularity label such as 'November 2026'
        elif key == "__count" or key.endswith("_count") and key[:-6] in groupby:
            columns[key] = _integers(values)
        elif kind is not None and key not in groupby:
            # an aggregate: sums of amounts are floats, counts and integer sums are integers
            columns[key] = _floats(values) if kind in ("float", "monetary") else _integers(values) \
                if kind in ("integer", "many2one", "many2many", "one2many") \
                else convert_column(ColumnSpec(key, kind), values)[key]
        elif kind is not None:
            columns.update(convert_column(ColumnSpec(key, kind), values))
        else:
            columns[key] = _objects(values)
    return pd.DataFrame(columns, copy=False)
