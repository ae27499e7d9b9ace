"""A long-running anomaly scanner: the books stay in memory between scans, only the changes are read.

``ledgerpilot anomalies scan --since last`` reads the whole history again on every run (from the
gateway's parquet cache at best) and recomputes every baseline, which is fine once a day and too
slow every 15 minutes on a large company. :class:`AnomalyWatch` is what the long-running ``serve``
process uses instead:

- the first :meth:`AnomalyWatch.scan` reads the books as the CLI does and runs a full scan that
  keeps its baselines (:class:`~ledgerpilot.calc.anomalies.scoped.ScanBaselines`);
- each later scan asks Odoo only for the records written since the previous one (their ids through
  the ``write_date`` index, then the records by id) plus two indexed counts per model that reveal
  deletions, and merges them into the frames in memory (:class:`BooksMirror`); the pair counts of
  the rare-accounts detector are updated with the same changes; the scan is then scoped to what
  changed (the detectors read the books of the partners and journals in scope, the model reuses its
  encoders and forest);
- once the entries changed since the last full scan exceed ``refit_share`` of the books (2% by
  default), or the history window moves to a new month, the next scan is a full one again.

The findings of a scoped scan about the records in scope are the findings a full rescan reports
about them (tests compare the two); dispositions, storage, proposals and audit go through the same
code as the CLI (:func:`~ledgerpilot.tools.anomalies.scan.scan_with`). The parquet cache of the
gateway is not rewritten by the watch: the CLI brings it up to date on its next run, reading only
what changed since its own last run. :meth:`AnomalyWatch.reload` reads everything again (a nightly
safety net against a change the counts cannot reveal, see :mod:`ledgerpilot.odoo.incremental`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.detectors.rare_accounts import PairCounts
from ledgerpilot.calc.anomalies.frames import AnomalyData, empty_frame
from ledgerpilot.calc.anomalies.scan import ScanResult
from ledgerpilot.calc.anomalies.scoped import DEFAULT_REFIT_SHARE, ScanBaselines
from ledgerpilot.odoo.incremental import SETTLE_SECONDS, IncrementalExtractor, SyncStats
from ledgerpilot.tools.anomalies.data import (
    HISTORY_MONTHS,
    KEPT_STATES,
    LINE_FIELDS,
    MOVE_FIELDS,
    MOVE_SOURCE_FIELDS,
    PARTIAL_FIELDS,
    PAYMENT_FIELDS,
    Books,
    _exchange_sources,
    _lines,
    _moves,
    _partials,
    _payments,
    _Reader,
    _scope,
    _users,
    _utc_naive,
    line_domain,
    move_domain,
    partial_domain,
    payment_domain,
    purchase_frames,
    read_books,
    read_purchases,
    read_stock,
    stock_frames,
    window_start,
)
from ledgerpilot.tools.anomalies.scan import Progress, ScanOutcome, scan_with, timed_scan

WRITE_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_UNCHANGED = SyncStats("unchanged", 0, 0, 0, 0, 0.0)
#: the million-row models, merged change by change into the contract frames (:class:`BooksMirror`)
#: rather than kept raw
MERGED_MODELS = ("account.move", "account.move.line")

__all__ = ["AnomalyWatch", "BooksMirror", "SyncReport"]


# ------------------------------------------------------------------------------------------ in-memory extraction


class _MemoryExtractor(IncrementalExtractor):
    """The gateway's incremental extraction with its cache held in memory instead of parquet files:
    the same rules (records written since, records that left the domain, deletions by count)."""

    def __init__(self, client, store: dict[str, tuple[pd.DataFrame, dict]]) -> None:
        super().__init__(client, Path("."))
        self.store = store

    def _load(self, key, specs):
        kept = self.store.get(key)
        return kept if kept is not None and kept[1].get("max_write_date") else None

    def _save(self, key, model, specs, domain, frame, started_utc):
        self._save_manifest(key, {"model": model}, frame, started_utc)

    def _save_manifest(self, key, manifest, frame, started_utc):
        newest = frame["write_date"].max() if len(frame) else None
        known = newest is not None and not pd.isna(newest)
        settled = known and pd.Timestamp(newest).to_pydatetime() <= started_utc - dt.timedelta(seconds=SETTLE_SECONDS)
        self.store[key] = (frame, {**manifest, "max_write_date": _stamp(newest) if known else None,
                                   "boundary_settled": settled})


class _InMemoryClient:
    """The client as :class:`~ledgerpilot.tools.anomalies.data._Reader` sees it, with incremental
    extractions served from memory; everything else goes to the real client."""

    def __init__(self, client) -> None:
        self._client = client
        self._store: dict[str, tuple[pd.DataFrame, dict]] = {}
        self.cache_dir = Path("(memory)")        # tells the reader extractions may be incremental
        self.last_sync = None
        self.changes = 0                         # extractions whose result differed from the last one
        self.fetched = 0                         # records read by the in-memory extractions

    def extract(self, model, fields, domain=(), *, context=None, incremental=False, **kwargs):
        client = self._client
        on_disk = client.cache_dir is not None
        if not incremental or model in MERGED_MODELS:
            # the first read of the books may come from the gateway's parquet cache, when there is one
            frame = client.extract(model, fields, domain, context=context, incremental=incremental and on_disk,
                                   **kwargs)
            self.last_sync = client.last_sync if incremental and on_disk else None
            return frame
        extractor = _MemoryExtractor(client, self._store)
        key = extractor.cache_key(model, list(fields), domain, context)
        kept = self._store.get(key)
        if kept is not None and self._untouched(model, kept[1], context):
            self.last_sync = None
            return extractor._finish(kept[0], client.column_specs(model, fields), _UNCHANGED, time.perf_counter())
        census = _census(client, model, context)     # taken before reading: what happens during it shows next time
        self.changes += 1            # until shown unchanged
        if key not in self._store and on_disk and "write_date" in fields:
            started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            census = _census(client, model, context)
            frame = client.extract(model, fields, domain, context=context, incremental=True, **kwargs)
            self.last_sync = client.last_sync
            extractor._save_manifest(key, {"model": model, **census}, frame, started)
            return frame
        try:
            return extractor.extract(model, fields, domain, context=context, **kwargs)
        finally:
            self.last_sync = stats = extractor.last_stats
            if stats is not None:
                self.fetched += stats.fetched
                if stats.mode == "unchanged":
                    self.changes -= 1
            if key in self._store:            # what the next cheap check compares with
                self._store[key][1].update(census)

    def _untouched(self, model: str, manifest: dict, context: dict | None) -> bool:
        """Whether nothing of ``model`` was written, created or deleted since it was read, by two
        counts (the same number of records; none with an id above the highest one or written after
        the newest one read); only once that newest write is long enough past that nothing more
        can be stamped with its second (see :mod:`ledgerpilot.odoo.incremental`)."""
        if not manifest.get("boundary_settled") or "total" not in manifest:
            return False
        client = self._client
        if client.search_count(model, [], context=context) != manifest["total"]:
            return False
        newer = ["|", ("id", ">", manifest["top"]), ("write_date", ">", manifest["max_write_date"])]
        return client.search_count(model, newer, context=context) == 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _census(client, model: str, context: dict | None = None) -> dict[str, int]:
    """How many records ``model`` has (whatever their state) and its highest id: two indexed counts
    that reveal a deletion or a creation."""
    top = client.search(model, [], order="id desc", limit=1, context=context)
    return {"total": client.search_count(model, [], context=context), "top": int(top[0]) if top else 0}


# ------------------------------------------------------------------------------------------ the mirror


@dataclasses.dataclass(frozen=True)
class SyncReport:
    """What one synchronisation read and changed."""

    fetched: int                      # records read from Odoo
    changed_moves: frozenset[int]     # entries created, written, deleted or left the window
    removed_moves: frozenset[int]
    seconds: float


def _stamp(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).strftime(WRITE_DATE_FORMAT)


def _plain_ids(values: pd.Series) -> pd.Index:
    return pd.Index(values.dropna().astype("int64").unique())


def _unchanged(frame: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """For each of ``rows``, whether ``frame`` already holds it exactly (same id, same values).

    Records written in the second the previous read ended are read again (``write_date >=``): the
    ones not written since are recognised here by their content, never by their timestamp alone
    (a second write in the same second keeps the timestamp)."""
    if not len(rows):
        return np.zeros(0, dtype=bool)
    ids = frame["id"].to_numpy(dtype="int64", na_value=-1)
    wanted = rows["id"].to_numpy(dtype="int64", na_value=-1)
    at = np.searchsorted(ids, wanted).clip(0, max(len(ids) - 1, 0))
    same = (ids[at] == wanted) if len(ids) else np.zeros(len(wanted), dtype=bool)
    if not same.any():
        return same
    before = frame.iloc[np.where(same, at, 0)].reset_index(drop=True)
    for column in rows.columns:
        a, b = rows[column].reset_index(drop=True), before[column]
        equal = (a.astype(object) == b.astype(object)).fillna(False).to_numpy(dtype=bool) | (a.isna() & b.isna()).to_numpy()
        same &= equal
    return same


def _positions_of(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The positions in ``ids`` (ascending, as every frame here is kept) of those of ``wanted`` it holds."""
    if not len(ids) or not len(wanted):
        return np.zeros(0, dtype="int64")
    at = np.searchsorted(ids, wanted).clip(0, len(ids) - 1)
    return at[ids[at] == wanted]


def _splice(frame: pd.DataFrame, rows: pd.DataFrame, drop: pd.Index) -> pd.DataFrame:
    """``frame`` without the rows whose id is in ``drop``, with ``rows`` added, in id order."""
    if not len(drop) and not len(rows):
        return frame
    ids = frame["id"].to_numpy(dtype="int64", na_value=-1)
    present = _positions_of(ids, drop.to_numpy(dtype="int64"))
    if len(present):
        keep = np.ones(len(frame), dtype=bool)
        keep[present] = False
        kept = frame[keep]
    else:
        kept = frame
    out = pd.concat([kept, rows], ignore_index=True) if len(rows) else kept.reset_index(drop=True)
    if not out["id"].is_monotonic_increasing:
        out = out.sort_values("id", kind="stable", ignore_index=True)
    return out


class BooksMirror:
    """The books of one company in memory, kept current by reading only what Odoo changed.

    Journal entries and items (the million-row frames) are merged change by change: the entries
    written since the last synchronisation are read and converted, the items of those entries read
    again (which also drops the items Odoo deleted from them), and a count tells whether entries or
    items disappeared otherwise. The smaller models go through the gateway's incremental rules with
    an in-memory cache. The result equals a fresh :func:`~ledgerpilot.tools.anomalies.data.read_books`.
    """

    def __init__(self, client, *, today: dt.date, history_months: int = HISTORY_MONTHS,
                 progress: Progress | None = None) -> None:
        self.client = client
        self.history_months = history_months
        self._memory = _InMemoryClient(client)
        self._reader = _Reader(self._memory)
        # counted before reading, so that a record deleted while the books are read shows at the next sync
        self._census = {model: _census(client, model) for model in MERGED_MODELS}
        self.books: Books = read_books(self._reader, today=today, history_months=history_months, progress=progress)
        self._move_mark = _stamp(self.books.data.moves["write_date"].max())
        self._line_mark = _stamp(self.books.raw_lines["write_date"].max())

    @property
    def data(self) -> AnomalyData:
        return self.books.data

    def _written_since(self, model: str, fields: tuple[str, ...], mark: str | None, window: list) -> pd.DataFrame:
        """The records of ``model`` written at or after ``mark`` (all of ``window`` without a mark):
        their ids through the ``write_date`` index first, then the records by id."""
        if mark is None:
            return self._reader.extract(model, fields, window, incremental=False)
        ids = self.client.search(model, [("write_date", ">=", mark)], order="write_date asc")
        return self._reader.extract(model, fields, [("id", "in", ids)], incremental=False)

    def _lost(self, model: str) -> bool:
        """Whether records of ``model`` were deleted since the last look: fewer records than those
        counted then plus those created since (ids above the highest one then)."""
        before = self._census.get(model)
        now = _census(self.client, model)
        self._census[model] = now
        if before is None:
            return True
        created = self.client.search_count(model, [("id", ">", before["top"])]) if now["top"] > before["top"] else 0
        return now["total"] != before["total"] + created

    def sync(self, today: dt.date) -> SyncReport:
        """Read what changed in Odoo since the last synchronisation and merge it in."""
        started = time.perf_counter()
        reader, client = self._reader, self.client
        self._memory.fetched = 0
        books = self.books
        old = books.data
        if window_start(today, self.history_months) != books.start:
            raise ValueError("the history window moved: read the books again")
        start = books.start
        fetched = 0
        users = _users(reader)
        memory = self._memory
        before = memory.changes
        raw_payments = reader.extract("account.payment", PAYMENT_FIELDS, payment_domain(start))
        payments = old.payments if memory.changes == before else _payments(raw_payments, old.currency)
        before = memory.changes
        raw_partials = reader.extract("account.partial.reconcile", PARTIAL_FIELDS, partial_domain(start))
        partials = old.partials if memory.changes == before else _partials(raw_partials)
        exchange_moves, exchange_journal = _exchange_sources(reader, raw_partials, books.company_id)

        # journal entries: those written since, kept when still in the window, else dropped
        wanted = MOVE_FIELDS + MOVE_SOURCE_FIELDS
        changed = self._written_since("account.move", wanted, self._move_mark, move_domain(start))
        fetched += len(changed)
        in_window = changed["state"].isin(KEPT_STATES).to_numpy() & \
            (pd.to_datetime(changed["date"]) >= pd.Timestamp(start)).to_numpy()
        left = _plain_ids(changed.loc[~in_window, "id"]).intersection(_plain_ids(old.moves["id"]))
        new_moves = _moves(changed[in_window].reset_index(drop=True), books.journals, users, exchange_moves,
                           exchange_journal)
        new_moves = new_moves[~_unchanged(old.moves, new_moves)].reset_index(drop=True)   # read again at the boundary
        moves = _splice(old.moves, new_moves, left.union(_plain_ids(new_moves["id"])))
        removed = left
        if self._lost("account.move"):           # entries deleted (or a count that does not add up)
            present = pd.Index(client.search("account.move", move_domain(start)), dtype="int64")
            gone = _plain_ids(moves["id"]).difference(present)
            missing = present.difference(_plain_ids(moves["id"]))
            arrived = _moves(reader.extract("account.move", wanted, [("id", "in", missing.tolist())], incremental=False),
                             books.journals, users, exchange_moves, exchange_journal) if len(missing) else new_moves[:0]
            fetched += len(arrived)
            moves = _splice(moves, arrived, gone)
            removed = removed.union(gone)
            new_moves = pd.concat([new_moves, arrived], ignore_index=True)
        moves = _mark_exchange(moves, exchange_moves)
        touched = _plain_ids(new_moves["id"]).union(removed)

        # journal items: those written since, and all items of the entries that changed
        changed_lines = self._written_since("account.move.line", LINE_FIELDS, self._line_mark, line_domain(start))
        fetched += len(changed_lines)
        if len(changed_lines):             # items read again at the boundary second and not changed since
            same = _unchanged(old.lines, _lines(changed_lines.reset_index(drop=True), books.accounts, moves))
            changed_lines = changed_lines[~same]
        rewritten = _plain_ids(new_moves["id"])
        known_before = rewritten.intersection(_plain_ids(old.moves["id"]))    # a new entry's items are all new
        if len(known_before):
            of_moves = reader.extract("account.move.line", LINE_FIELDS, [("move_id", "in", known_before.tolist())],
                                      incremental=False)
            fetched += len(of_moves)
            changed_lines = pd.concat([changed_lines, of_moves], ignore_index=True).drop_duplicates("id", keep="last")
        changed_lines = changed_lines[changed_lines["move_id_id"].isin(moves["id"])].sort_values("id")
        touched = touched.union(_plain_ids(changed_lines["move_id_id"]))
        # the items of entries read again (or gone) are replaced whole: Odoo may have deleted some
        old_line_moves = old.lines["move_id"].to_numpy(dtype="int64", na_value=-1)
        replaced = pd.Series(old_line_moves).isin(rewritten.union(removed)).to_numpy()
        dropped = _plain_ids(old.lines.loc[replaced, "id"]).union(_plain_ids(changed_lines["id"]))
        lines = _splice(old.lines, _lines(changed_lines.reset_index(drop=True), books.accounts, moves), dropped)
        stamps = _splice(books.raw_lines, changed_lines[["id", "move_id_id", "write_date"]], dropped)
        if self._lost("account.move.line"):
            present = pd.Index(client.search("account.move.line", line_domain(start)), dtype="int64")
            gone = _plain_ids(lines["id"]).difference(present)
            missing = present.difference(_plain_ids(lines["id"]))
            extra = reader.extract("account.move.line", LINE_FIELDS, [("id", "in", missing.tolist())],
                                   incremental=False) if len(missing) else changed_lines[:0]
            fetched += len(extra)
            touched = touched.union(_plain_ids(extra["move_id_id"]))
            touched = touched.union(_plain_ids(lines.loc[lines["id"].isin(gone), "move_id"]))
            lines = _splice(lines, _lines(extra.reset_index(drop=True), books.accounts, moves), gone)
            stamps = _splice(stamps, extra[["id", "move_id_id", "write_date"]], gone)

        unavailable: dict[str, str] = {}
        before = memory.changes
        purchases = read_purchases(reader, start, unavailable)
        if purchases is None:
            purchase_lines, raw_orders = empty_frame("purchase_lines"), None
        elif memory.changes == before:      # nothing new: the frames built last time stand
            purchase_lines, raw_orders = old.purchase_lines, books.raw_orders
        else:
            purchase_lines, raw_orders = purchase_frames(*purchases, old.currency)
        before = memory.changes
        stock = read_stock(reader, start, unavailable)
        if stock is None:
            layers, receipts, raw_layers = empty_frame("valuation_layers"), empty_frame("receipts"), None
        elif memory.changes == before:
            layers, receipts, raw_layers = old.valuation_layers, old.receipts, books.raw_layers
        else:
            layers, receipts = stock_frames(*stock)
            raw_layers = stock[0]
        fetched += memory.fetched
        data = dataclasses.replace(old, moves=moves, lines=lines, payments=payments, partials=partials,
                                   purchase_lines=purchase_lines, valuation_layers=layers, receipts=receipts,
                                   users=users, scope=None, unavailable=unavailable, today=today)
        self.books = dataclasses.replace(books, data=data, exchange_journal=exchange_journal, raw_lines=stamps,
                                         raw_payments=raw_payments, raw_layers=raw_layers, raw_orders=raw_orders)
        self._move_mark = _stamp(changed["write_date"].max()) or self._move_mark
        self._line_mark = _stamp(changed_lines["write_date"].max()) or self._line_mark
        return SyncReport(fetched=fetched, changed_moves=frozenset(int(m) for m in touched),
                          removed_moves=frozenset(int(m) for m in removed), seconds=time.perf_counter() - started)

    def scoped(self, since: dt.datetime) -> AnomalyData:
        """The books with the scope of what was created or written after ``since``."""
        books = self.books
        moves = books.data.moves[["id", "create_date", "write_date"]]
        scope = _scope(_utc_naive(since), moves, books.raw_lines, books.raw_payments, books.raw_layers,
                       books.raw_orders)
        return dataclasses.replace(books.data, scope=scope)


def _mark_exchange(moves: pd.DataFrame, exchange_moves: set[int]) -> pd.DataFrame:
    """Entries that a reconciliation made for an exchange difference after they were read."""
    if not exchange_moves:
        return moves
    at = _positions_of(moves["id"].to_numpy(dtype="int64", na_value=-1), np.array(sorted(exchange_moves), dtype="int64"))
    late = at[(moves["move_type"].to_numpy()[at] == "entry") & (moves["origin"].to_numpy()[at] != "exchange")]
    if not len(late):
        return moves
    moves = moves.copy()
    moves.loc[moves.index[late], "origin"] = "exchange"
    return moves


# ------------------------------------------------------------------------------------------ the watch


class AnomalyWatch:
    """Scans the books of ``client`` again and again, reading only what changed between scans.

    ``home`` and ``settings`` are those of :func:`~ledgerpilot.tools.anomalies.scan.scan_anomalies`
    (state database, exceptions memory, thresholds and assignees); ``today`` gives the date the books
    are read as of (the current date by default). ``refit_share`` is the share of the entries that
    may change after a full scan before the next scan is a full one again.
    """

    def __init__(self, client, home: Path, settings: Any = None, *, today: Callable[[], dt.date] | None = None,
                 history_months: int = HISTORY_MONTHS, refit_share: float = DEFAULT_REFIT_SHARE,
                 use_memory: bool = True) -> None:
        if not 0 < refit_share <= 1:
            raise ValueError(f"refit_share must be above 0 and at most 1, not {refit_share}")
        self.client = client
        self.home = Path(home)
        self.settings = settings
        self.today = today or dt.date.today
        self.history_months = history_months
        self.refit_share = refit_share
        self.use_memory = use_memory
        self.mirror: BooksMirror | None = None
        self.baselines: ScanBaselines | None = None
        self.last_sync: SyncReport | None = None
        self.last_result: ScanResult | None = None

    def reload(self, progress: Progress | None = None) -> None:
        """Read the whole history again (the next scan is a full one)."""
        self.mirror = BooksMirror(self.client, today=self.today(), history_months=self.history_months,
                                  progress=progress)
        self.baselines = None

    def scan(self, since: dt.datetime | dt.date | str | None = "last", *, min_score: float | None = None,
             progress: Progress | None = None) -> ScanOutcome:
        """Scan what changed since ``since`` (as :func:`~ledgerpilot.tools.anomalies.scan.scan_anomalies`:
        ``"last"``, a date-time, or ``None`` for the whole history); the first call reads everything."""
        today = self.today()
        return scan_with(self._scanner(today), self.client, self.home, today=today, since=since, min_score=min_score,
                         progress=progress, settings=self.settings, use_memory=self.use_memory)

    # the part scan_with calls: read (the changes) and scan
    def _scanner(self, today: dt.date):
        def scanner(moment: dt.datetime | None, step: Progress, config) -> tuple[AnomalyData, ScanResult, dict]:
            timings: dict[str, float] = {}
            clock = time.perf_counter()
            synced = self._sync(today, step)
            timings["extraction"] = time.perf_counter() - clock
            step("running the anomaly detectors")
            clock = time.perf_counter()
            mirror = self.mirror
            if self.baselines is None or self.baselines.stale(self.refit_share) or not synced:
                full = timed_scan(mirror.data, config, keep_baselines=True)
                self.baselines = full.baselines
                if moment is None:
                    timings["detection"] = time.perf_counter() - clock
                    self.last_result = full
                    return mirror.data, full, timings
            data = mirror.scoped(moment) if moment is not None else mirror.data
            result = timed_scan(data, config, baselines=self.baselines) if moment is not None else \
                timed_scan(data, config, keep_baselines=True)
            self.baselines = result.baselines
            timings["detection"] = time.perf_counter() - clock
            self.last_result = result
            return data, result, timings
        return scanner

    def _sync(self, today: dt.date, step: Progress) -> bool:
        """Bring the books in memory up to date; ``False`` when they were read whole (first scan, new month)."""
        if self.mirror is None or window_start(today, self.history_months) != self.mirror.books.start:
            self.reload(step)
            return False
        step("reading what changed")
        old = self.mirror.data
        report = self.mirror.sync(today)
        self.last_sync = report
        if self.baselines is not None and report.changed_moves:
            new = self.mirror.data
            changed = pd.Index(sorted(report.changed_moves), dtype="int64")
            removed = PairCounts.of(old.lines, old.moves.loc[old.moves["id"].isin(changed)], old.digits)
            added = PairCounts.of(new.lines, new.moves.loc[new.moves["id"].isin(changed)], new.digits)
            self.baselines = self.baselines.with_changes(removed, added, len(changed))
        return True
