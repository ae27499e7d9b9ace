"""Incremental extraction: keep the last result on disk and fetch only what was written since.

For one (server URL, database, user, model, fields, domain, context) the cache holds a parquet
file with the extracted rows (plus ``write_date``) and a small JSON manifest with the highest
``write_date`` seen and the row count. The next run:

1. fetches the records matching the domain with ``write_date >= `` the stored maximum (``>=``
   because several records share a second; rows are deduplicated by id, the new version wins);
2. asks which ids at all were written since (without the domain): those that no longer match the
   domain left it and are dropped;
3. compares ``search_count(domain)`` with the merged row count; only if they differ is the full id
   list fetched, rows whose id is gone are dropped (deletions), and ids missing from the cache are
   read (records that entered the domain without being written, e.g. through a related record).

When nothing changed, nothing is rewritten. Files are written atomically (the parquet file under
a new name first, then the manifest that points to it), so a crash never leaves a manifest
pointing at a half-written file.

Known limit: a deletion and an arrival without a write in the same interval keep the count equal
and go unseen until the next change; ``refresh=True`` rebuilds the cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ledgerpilot.odoo.extract import ColumnSpec, ProgressCallback, concat_frames, extract_frame
from ledgerpilot.odoo.files import atomic_write, atomic_write_json, read_json

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1
WRITE_DATE = "write_date"
#: A write_date second this far before the extraction started (by this machine's clock) is over:
#: no record can still be written in it. The margin covers clock skew between client and server.
SETTLE_SECONDS = 300


class ExtractingClient(Protocol):
    """What the extractor uses of :class:`ledgerpilot.odoo.client.OdooClient` (which builds it: the
    client knows the extractor, the extractor only this shape of the client)."""

    connection: Any
    server_version: str
    schema: Any

    def column_specs(self, model: str, fields: Sequence[Any]) -> list[ColumnSpec]: ...
    def search(self, model: str, domain: Any = (), *, context: dict | None = None) -> list[int]: ...
    def search_count(self, model: str, domain: Any = (), *, context: dict | None = None) -> int: ...
    def _batch_size(self, batch_size: int | None) -> int: ...
    def _page_reader(self, model: str, names: list[str], context: dict | None) -> Any: ...
    def _execute_kw(self, model: str, method: str, args: list, kwargs: dict) -> Any: ...
    def _with_context(self, kwargs: dict, context: dict | None) -> dict: ...


@dataclass(frozen=True)
class SyncStats:
    """What one incremental run did."""

    mode: str  # "full" (no usable cache), "incremental" (cache updated) or "unchanged"
    rows: int  # rows in the result
    fetched: int  # records read from Odoo in this run
    changed: int  # records new or different from the cached version
    removed: int  # cached rows dropped (deleted, or no longer matching the domain)
    seconds: float


class IncrementalExtractor:
    """Incremental :meth:`OdooClient.extract` backed by parquet files under ``cache_dir/extracts``."""

    def __init__(self, client: ExtractingClient, cache_dir: Path):
        self.client = client
        self.folder = Path(cache_dir) / "extracts"
        self.last_stats: SyncStats | None = None

    # ------------------------------------------------------------------ keys and files

    def cache_key(self, model: str, fields: Sequence[str], domain: Sequence[Any], context: dict | None) -> str:
        conn = self.client.connection
        identity = [conn.url, conn.db, conn.user, model, list(fields), _jsonable(domain), context or {}]
        company = getattr(self.client, "company", None)
        if company is not None:  # each company's books are cached apart
            identity.append(company.key)
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:24]

    def _manifest_path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    # ------------------------------------------------------------------ the run

    def extract(self, model: str, fields: Sequence[str], domain: Sequence[Any] = (), *,
                batch_size: int | None = None, context: dict | None = None,
                progress: ProgressCallback | None = None, refresh: bool = False) -> pd.DataFrame:
        started = time.perf_counter()
        started_utc = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        client = self.client
        requested = client.column_specs(model, fields)
        client.schema.check_fields(model, [WRITE_DATE])
        specs = requested if any(s.name == WRITE_DATE for s in requested) else \
            [*requested, ColumnSpec.from_fields_get(WRITE_DATE, client.schema.fields(model)[WRITE_DATE])]
        client.schema.check_domain(model, domain)
        size = client._batch_size(batch_size)
        key = self.cache_key(model, [s.name for s in requested], domain, context)
        names = [spec.name for spec in specs]
        read_page = client._page_reader(model, names, context)
        domain = list(domain)

        cached = None if refresh else self._load(key, specs)
        if cached is None:
            total = client.search_count(model, domain, context=context) if progress else None
            frame = extract_frame(read_page, specs, domain, size, total=total, progress=progress)
            self._save(key, model, specs, domain, frame, started_utc)
            stats = SyncStats("full", len(frame), len(frame), len(frame), 0, 0.0)
            return self._finish(frame, requested, stats, started)

        frame, manifest = cached
        since = manifest["max_write_date"]
        # Records written in the same second as the newest cached one may have been written after
        # they were read: while that second is recent, ask for it again (>=). Once it is long past
        # ("settled"), nothing can be written in it any more (a write now stamps a later second), so
        # strictly newer records are enough; deletions and domain changes are caught by the count.
        if manifest["boundary_settled"]:
            changed = extract_frame(read_page, specs, [*domain, (WRITE_DATE, ">", since)], size)
            newer = [(WRITE_DATE, ">", since)]
        else:
            changed = extract_frame(read_page, specs, [*domain, (WRITE_DATE, ">=", since)], size)
            newer = [(WRITE_DATE, ">=", since)]
        fetched = len(changed)
        still_matching = set(changed["id"].tolist())
        changed = _drop_unchanged(changed, frame)
        changed_ids = set(changed["id"].tolist())
        left: set[int] = set()
        if domain:  # written since, but no longer matching the domain
            left = set(client.search(model, newer, context=context)) - still_matching
        before = len(frame)
        removed = int(frame["id"].isin(left).sum()) if left else 0
        merged = frame
        if changed_ids or removed:
            merged = concat_frames([frame[~frame["id"].isin(changed_ids | left)], changed], specs)
        count = client.search_count(model, domain, context=context)
        arrived = 0
        if count != len(merged):
            ids = client.search(model, domain, context=context)
            present = merged["id"].isin(ids)
            removed += int((~present).sum())
            merged = merged[present]
            missing = sorted(set(ids) - set(merged["id"].tolist()))
            if missing:
                extra = self._read_ids(model, names, specs, missing, size, context)
                fetched += len(extra)
                arrived = len(extra)
                merged = concat_frames([merged, extra], specs)
        if progress is not None:
            progress(len(merged), len(merged))
        if not changed_ids and not removed and not arrived:
            stats = SyncStats("unchanged", before, fetched, 0, 0, 0.0)
            if not manifest["boundary_settled"]:
                self._save_manifest(key, manifest, frame, started_utc)
            return self._finish(frame, requested, stats, started)
        merged = merged.sort_values("id", kind="stable", ignore_index=True)
        self._save(key, model, specs, domain, merged, started_utc)
        stats = SyncStats("incremental", len(merged), fetched, len(changed_ids) + arrived, removed, 0.0)
        return self._finish(merged, requested, stats, started)

    def _finish(self, frame: pd.DataFrame, requested: list[ColumnSpec], stats: SyncStats,
                started: float) -> pd.DataFrame:
        self.last_stats = SyncStats(**{**asdict(stats), "seconds": time.perf_counter() - started})
        log.info("incremental extract: %s", self.last_stats)
        columns = ["id", *[column for spec in requested for column in spec.columns]]
        if list(frame.columns) != columns:
            frame = frame.copy(deep=False)  # the cached frame keeps write_date; the caller asked without
            for extra in set(frame.columns) - set(columns):
                del frame[extra]
        return frame[columns] if list(frame.columns) != columns else frame

    def _read_ids(self, model: str, names: list[str], specs: list[ColumnSpec], ids: list[int], size: int,
                  context: dict | None) -> pd.DataFrame:
        from ledgerpilot.odoo.extract import frame_from_records

        frames = []
        for start in range(0, len(ids), size):
            chunk = ids[start:start + size]
            rows = self.client._execute_kw(model, "search_read", [[("id", "in", chunk)]],
                                           self.client._with_context({"fields": names, "order": "id asc"}, context))
            frames.append(frame_from_records(rows, specs))
        return concat_frames(frames, specs)

    # ------------------------------------------------------------------ storage

    def _load(self, key: str, specs: list[ColumnSpec]) -> tuple[pd.DataFrame, dict] | None:
        manifest = read_json(self._manifest_path(key))
        if not isinstance(manifest, dict) or manifest.get("version") != MANIFEST_VERSION:
            return None
        if manifest.get("columns") != [[s.name, s.type] for s in specs] or not manifest.get("max_write_date"):
            return None  # the fields or their types changed: rebuild
        if manifest.get("server_version") != self.client.server_version:
            return None
        path = self.folder / manifest["data_file"]
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            log.warning("incremental cache %s unreadable (%s); extracting again", path, exc)
            return None
        frame = _from_arrow(table, specs)
        if len(frame) != manifest.get("rows"):
            return None
        return frame, manifest

    def _save(self, key: str, model: str, specs: list[ColumnSpec], domain: list, frame: pd.DataFrame,
              started_utc: dt.datetime) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        previous = read_json(self._manifest_path(key))
        data_file = f"{key}.{uuid.uuid4().hex[:12]}.parquet"
        table = _to_arrow(frame, specs)
        atomic_write(self.folder / data_file, lambda temp: pq.write_table(table, temp, compression="lz4"))
        conn = self.client.connection
        manifest = {
            "version": MANIFEST_VERSION, "url": conn.url, "db": conn.db, "user": conn.user, "model": model,
            "domain": _jsonable(domain), "columns": [[s.name, s.type] for s in specs],
            "server_version": self.client.server_version, "rows": len(frame), "data_file": data_file,
        }
        self._save_manifest(key, manifest, frame, started_utc)
        if isinstance(previous, dict) and previous.get("data_file") and previous["data_file"] != data_file:
            (self.folder / previous["data_file"]).unlink(missing_ok=True)

    def _save_manifest(self, key: str, manifest: dict, frame: pd.DataFrame, started_utc: dt.datetime) -> None:
        """Write the manifest with the newest write_date, how many rows carry it, and whether its second
        lies far enough in the past that no write can still land in it."""
        newest = frame[WRITE_DATE].max() if len(frame) else None
        if newest is None or pd.isna(newest):
            max_write_date, boundary_rows, settled = None, 0, False
        else:
            max_write_date = pd.Timestamp(newest).strftime("%Y-%m-%d %H:%M:%S")
            boundary_rows = int((frame[WRITE_DATE] == newest).sum())
            settled = pd.Timestamp(newest).to_pydatetime() <= started_utc - dt.timedelta(seconds=SETTLE_SECONDS)
        atomic_write_json(self._manifest_path(key), {**manifest, "max_write_date": max_write_date,
                                                     "boundary_rows": boundary_rows, "boundary_settled": settled})


def _drop_unchanged(changed: pd.DataFrame, cached: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``changed`` that are new or differ from their cached version."""
    if not len(changed):
        return changed
    known = cached["id"].isin(changed["id"])
    if not known.any():
        return changed
    old = cached[known].set_index("id")
    new = changed.set_index("id")
    common = new.index.intersection(old.index)
    same = pd.Series(False, index=new.index)
    left, right = new.loc[common], old.loc[common, new.columns]
    equal = pd.Series(True, index=common)
    for column in new.columns:
        a, b = left[column], right[column]
        if a.dtype == object:
            column_equal = pd.Series([x == y for x, y in zip(a, b)], index=common)
        else:
            column_equal = (a == b).fillna(False) | (a.isna() & b.isna())
        equal &= column_equal.astype(bool)
    same.loc[common] = equal
    return changed[~same.to_numpy()].reset_index(drop=True)


def _jsonable(domain: Sequence[Any]) -> Any:
    return json.loads(json.dumps(list(domain), default=str))


def _to_arrow(frame: pd.DataFrame, specs: list[ColumnSpec]) -> pa.Table:
    """Arrow table of ``frame``; json columns are stored as JSON text (their shapes vary by row)."""
    out = frame
    json_columns = [s.name for s in specs if s.type in ("json", "properties", "properties_definition")]
    if json_columns:
        out = frame.copy(deep=False)
        for name in json_columns:
            out[name] = [None if value is None else json.dumps(value) for value in frame[name]]
    return pa.Table.from_pandas(out, preserve_index=False)


def _from_arrow(table: pa.Table, specs: list[ColumnSpec]) -> pd.DataFrame:
    frame = table.to_pandas()
    for spec in specs:
        if spec.type in ("json", "properties", "properties_definition"):
            values = np.empty(len(frame), dtype=object)
            values[:] = [None if value is None else json.loads(value) for value in frame[spec.name]]
            frame[spec.name] = values
        elif spec.type in ("one2many", "many2many"):
            values = np.empty(len(frame), dtype=object)
            values[:] = [list(value) if value is not None else [] for value in frame[spec.name]]
            frame[spec.name] = values
    return frame
