"""The two input frames of bank matching, checked and reduced to the arrays the matcher works on.

Amounts become integer cents (``np.rint(amount * 10**digits)``) once, here; every comparison
after that is exact integer arithmetic. Ids become ``int64`` with -1 for "none", dates become
day numbers, so that the candidate search can stay in numpy and hash joins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

BANK_LINE_COLUMNS = ("id", "date", "amount", "payment_ref", "partner_id", "partner_name", "journal_id",
                     "move_id", "currency")
OPEN_ITEM_COLUMNS = ("id", "move_id", "move_name", "ref", "move_type", "partner_id", "partner_name", "date",
                     "date_maturity", "amount_residual", "account_id", "kind")
ITEM_KINDS = ("invoice", "bill", "refund", "payment")


class MatchingInputError(ValueError):
    """A matching input frame lacks a column or holds a value the matcher cannot use."""


@dataclass(frozen=True)
class LineArrays:
    frame: pd.DataFrame          # the caller's rows, reindexed 0..n-1
    ids: np.ndarray
    cents: np.ndarray            # signed, + = money in
    partner: np.ndarray          # -1 when unknown
    day: np.ndarray              # days since epoch
    foreign: np.ndarray          # foreign currency code or "" (object)
    foreign_cents: np.ndarray    # signed amount in the foreign currency, 0 when none


@dataclass(frozen=True)
class ItemArrays:
    frame: pd.DataFrame
    ids: np.ndarray
    cents: np.ndarray            # signed residual, + = to collect
    partner: np.ndarray
    move: np.ndarray
    day: np.ndarray              # due date (maturity, else the item's date) in days since epoch
    currency: np.ndarray         # the item's currency code or "" (object)
    currency_cents: np.ndarray   # signed residual in that currency, 0 when unknown


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise MatchingInputError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MatchingInputError(f"{what} lacks the column(s) {', '.join(missing)} "
                                 f"(expected {', '.join(columns)})")


def _ids(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").fillna(-1).astype("int64").to_numpy()


def _days(series: pd.Series) -> np.ndarray:
    values = pd.to_datetime(series, errors="coerce")
    return (values.to_numpy(dtype="datetime64[D]").astype("int64"))


def _cents(series: pd.Series, digits: int, what: str) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce").astype("float64")
    if values.isna().any():
        raise MatchingInputError(f"{what} has empty or non-numeric amounts")
    return np.rint(values.to_numpy() * 10**digits).astype("int64")


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    return frame[column].astype("object").where(frame[column].notna(), "").astype(str).to_numpy(dtype=object)


def line_arrays(bank_lines: pd.DataFrame, digits: int) -> LineArrays:
    _require(bank_lines, BANK_LINE_COLUMNS, "bank_lines")
    frame = bank_lines.reset_index(drop=True)
    if frame["id"].isna().any():
        raise MatchingInputError("bank_lines has rows without an id")
    days = _days(frame["date"])
    if len(frame) and (pd.to_datetime(frame["date"], errors="coerce").isna()).any():
        raise MatchingInputError("bank_lines has rows without a date")
    company = _text(frame, "currency")
    foreign = _text(frame, "foreign_currency")
    foreign = np.where(foreign == company, "", foreign)
    if "amount_currency" in frame.columns:
        amount_currency = pd.to_numeric(frame["amount_currency"], errors="coerce").fillna(0.0).to_numpy()
        foreign_cents = np.rint(amount_currency * 10**digits).astype("int64")
    else:
        foreign_cents = np.zeros(len(frame), dtype="int64")
    foreign = np.where(foreign_cents == 0, "", foreign)
    return LineArrays(frame, _ids(frame["id"]), _cents(frame["amount"], digits, "bank_lines.amount"),
                      _ids(frame["partner_id"]), days, foreign.astype(object), foreign_cents)


def item_arrays(open_items: pd.DataFrame, digits: int) -> ItemArrays:
    _require(open_items, OPEN_ITEM_COLUMNS, "open_items")
    frame = open_items.reset_index(drop=True)
    unknown = sorted(set(frame["kind"].dropna().astype(str)) - set(ITEM_KINDS))
    if unknown:
        raise MatchingInputError(f"open_items.kind has unknown value(s) {', '.join(unknown)} "
                                 f"(expected one of {', '.join(ITEM_KINDS)})")
    due = pd.to_datetime(frame["date_maturity"], errors="coerce").fillna(pd.to_datetime(frame["date"],
                                                                                         errors="coerce"))
    day = due.to_numpy(dtype="datetime64[D]").astype("int64")
    currency = _text(frame, "currency")
    if "amount_residual_currency" in frame.columns:
        residual_currency = pd.to_numeric(frame["amount_residual_currency"], errors="coerce").fillna(0.0)
        currency_cents = np.rint(residual_currency.to_numpy() * 10**digits).astype("int64")
    else:
        currency_cents = np.zeros(len(frame), dtype="int64")
    return ItemArrays(frame, _ids(frame["id"]), _cents(frame["amount_residual"], digits, "open_items.amount_residual"),
                      _ids(frame["partner_id"]), _ids(frame["move_id"]), day, currency, currency_cents)
