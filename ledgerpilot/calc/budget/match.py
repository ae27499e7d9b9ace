"""Which actuals and which open purchase-order amounts belong to which budget line (pure, vectorised).

Actuals: as Odoo computes a budget line's practical amount, each line takes, independently, the
actuals of its analytic account dated in its period (up to ``as_of``), restricted to the accounts of
its budgetary position when the position lists accounts. Two lines whose positions overlap both
count the same actual, exactly as Odoo shows them.

Commitments: an open purchase-order amount is expected to be billed on its planned date, or on
``as_of`` when that date has passed (a late delivery is billed now, not in a closed period), so it
belongs to the period containing ``max(date_planned, as_of)``. Within the analytic account it goes
to the lines whose position lists its expense account, or has no account restriction; an amount
whose account is unknown goes to the unrestricted lines, and when every line is restricted, to the
one with the largest plan (so it is counted once, not once per position). Income lines take no
commitments (purchase orders are spending).

Sums are exact: amounts are added in integer minor units.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ledgerpilot.domain.money import to_minor


@dataclass(frozen=True)
class LineKey:
    """What selects the rows of one budget line."""

    line_id: int
    analytic_account_id: int | None
    date_from: dt.date
    date_to: dt.date
    account_ids: tuple[int, ...]
    expense: bool
    planned_minor: int


@dataclass(frozen=True)
class Selected:
    """The rows of one line: the signed sum in minor units and their ids."""

    minor: int
    ids: dict[str, tuple[int, ...]]


def _ts(day: dt.date) -> np.datetime64:
    return np.datetime64(day, "ns")


class ActualIndex:
    """Actuals grouped by analytic account once, then sliced per budget line."""

    def __init__(self, actuals: pd.DataFrame, digits: int) -> None:
        frame = actuals.loc[actuals["analytic_account_id"].notna()]
        self._digits = digits
        self._by_account: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        if frame.empty:
            return
        minor = to_minor(frame["amount"], digits).to_numpy()
        dates = frame["date"].to_numpy(dtype="datetime64[ns]")
        general = frame["general_account_id"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        ids = frame["id"].astype("Int64").to_numpy(dtype="int64", na_value=0)
        sources = frame["source"].astype(object).to_numpy()
        accounts = frame["analytic_account_id"].astype("int64").to_numpy()
        order = np.argsort(accounts, kind="stable")
        accounts = accounts[order]
        bounds = np.flatnonzero(np.diff(accounts)) + 1
        for chunk in np.split(np.arange(len(accounts)), bounds):
            if not len(chunk):
                continue
            rows = order[chunk]
            self._by_account[int(accounts[chunk[0]])] = (dates[rows], general[rows], minor[rows], ids[rows],
                                                         sources[rows])

    def _mask(self, account_id: int | None, start: dt.date, end: dt.date, account_ids: tuple[int, ...],
              costs_only: bool = False) -> tuple[np.ndarray, tuple] | None:
        if account_id is None or account_id not in self._by_account or end < start:
            return None
        dates, general, minor, ids, sources = self._by_account[account_id]
        mask = (dates >= _ts(start)) & (dates <= _ts(end))
        if account_ids:
            mask &= np.isin(general, np.asarray(account_ids, dtype="float64"))
        if costs_only:
            mask &= minor < 0
        return mask, (dates, general, minor, ids, sources)

    def select(self, account_id: int | None, start: dt.date, end: dt.date, account_ids: tuple[int, ...],
               costs_only: bool = False) -> Selected:
        """Actuals of ``account_id`` dated in [start, end] on the given general accounts (all if empty);
        ``costs_only`` keeps the negative (cost) amounts only."""
        found = self._mask(account_id, start, end, account_ids, costs_only)
        if found is None:
            return Selected(0, {"analytic_line": (), "move_line": ()})
        mask, (_dates, _general, minor, ids, sources) = found
        picked_sources = sources[mask]
        picked_ids = ids[mask]
        return Selected(int(minor[mask].sum()), {
            "analytic_line": tuple(np.unique(picked_ids[picked_sources == "analytic_line"]).tolist()),
            "move_line": tuple(np.unique(picked_ids[picked_sources == "move_line"]).tolist()),
        })

    def total(self, account_id: int | None, start: dt.date, end: dt.date, account_ids: tuple[int, ...]) -> int:
        found = self._mask(account_id, start, end, account_ids)
        if found is None:
            return 0
        mask, (_dates, _general, minor, _ids, _sources) = found
        return int(minor[mask].sum())

    def has_account(self, account_id: int | None) -> bool:
        return account_id is not None and account_id in self._by_account

    def dated(self, account_id: int | None, start: dt.date, end: dt.date, account_ids: tuple[int, ...],
              costs_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(dates, minor amounts) of the selected actuals, in date order (for cumulative views)."""
        found = self._mask(account_id, start, end, account_ids, costs_only)
        if found is None:
            return np.array([], dtype="datetime64[ns]"), np.array([], dtype="int64")
        mask, (dates, _general, minor, _ids, _sources) = found
        order = np.argsort(dates[mask], kind="stable")
        return dates[mask][order], minor[mask][order]


def effective_dates(frame: pd.DataFrame, as_of: dt.date) -> np.ndarray:
    """When each open PO amount is expected to be billed: its planned date, or ``as_of`` if that passed."""
    planned = frame["date_planned"].to_numpy(dtype="datetime64[ns]")
    today = _ts(as_of)
    planned = np.where(np.isnat(planned), today, planned)
    return np.maximum(planned, today)


def assign_commitments(commitments: pd.DataFrame, lines: list[LineKey], as_of: dt.date) -> dict[int, np.ndarray]:
    """line_id -> boolean mask over ``commitments`` of the amounts that line counts (see module doc)."""
    if commitments.empty or not lines:
        return {}
    effective = effective_dates(commitments, as_of)
    analytic = commitments["analytic_account_id"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    general = commitments["general_account_id"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    unknown_account = np.isnan(general)
    in_line: dict[int, np.ndarray] = {}
    for line in lines:
        if not line.expense or line.analytic_account_id is None:
            continue
        mask = (analytic == line.analytic_account_id) & (effective >= _ts(line.date_from)) \
            & (effective <= _ts(line.date_to))
        if line.account_ids:
            mask &= np.isin(general, np.asarray(line.account_ids, dtype="float64"))
        in_line[line.line_id] = mask
    # amounts of unknown account: when no unrestricted line covers them, the largest restricted line takes them
    if not unknown_account.any():
        return in_line
    periods: dict[tuple[int, dt.date, dt.date], list[LineKey]] = {}
    for line in lines:
        if line.expense and line.analytic_account_id is not None:
            periods.setdefault((line.analytic_account_id, line.date_from, line.date_to), []).append(line)
    taken = np.zeros(len(commitments), dtype=bool)
    # a day covered by an unrestricted line of the account is already counted there
    for (account_id, date_from, date_to), group in periods.items():
        if any(not line.account_ids for line in group):
            taken |= unknown_account & (analytic == account_id) & (effective >= _ts(date_from)) \
                & (effective <= _ts(date_to))
    for (account_id, date_from, date_to), group in sorted(periods.items(), key=lambda item: item[0]):
        if any(not line.account_ids for line in group):
            continue
        rows = unknown_account & ~taken & (analytic == account_id) & (effective >= _ts(date_from)) \
            & (effective <= _ts(date_to))
        if rows.any():
            chosen = max(group, key=lambda line: (line.planned_minor, -line.line_id))
            in_line[chosen.line_id] |= rows
            taken |= rows
    return in_line
