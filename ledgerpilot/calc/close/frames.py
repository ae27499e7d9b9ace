"""The close data contract: the frames the pure close checks and the trial-balance review read.

One producer (:func:`ledgerpilot.tools.close.data.load_close_data`) fills :class:`CloseData` from
the connected Odoo; the checks never talk to Odoo and never read the clock (``today`` is a field).
Columns and dtypes are fixed here, so hand-built books in tests and the real extraction look the
same: dates ``datetime64[ns]``, ids ``Int64``, text ``string``, amounts ``float64`` (company
currency, Odoo's sign: debit positive), flags ``boolean``, counts ``Int64``.

Frames (what each row is):

- ``accounts``: every account of the chart (``id, code, name, account_type, reconcile``).
- ``journals``: every journal (``id, code, name, type, suspense_account_id, default_account_id``).
- ``draft_moves``: entries in the state ``draft`` dated in the period.
- ``journal_activity``: posted entries per journal and month, for the history months and the period
  (``month`` is ``"YYYY-MM"``; months without an entry have no row).
- ``period_lines``: every posted journal item dated in the period, with its id for citations;
  ``has_analytic``/``has_taxes`` say whether it carries an analytic distribution / taxes.
- ``account_history``: the posted movement (sum of balances) and item count per account and month,
  for the history months and the period (months without a movement have no row).
- ``analytic_history``: per account, posted items of the history months and how many of them had an
  analytic distribution (to learn which accounts carry one as a rule).
- ``tax_history``: per account, product lines of sale and purchase journals in the history months
  and how many of them carried taxes.
- ``bank_lines``: bank and cash statement lines not reconciled, dated on or before the period end.
- ``open_special_lines``: posted items on or before the period end that are not reconciled, on the
  suspense accounts and the outstanding receipts/payments accounts.
- ``partnerless_lines``: posted items on or before the period end on receivable and payable accounts
  without a partner.
- ``control_balances``: the balance at the period end of the suspense, outstanding, receivable and
  payable accounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from ledgerpilot.calc.close.own_entries import OwnEntry
from ledgerpilot.calc.frame_types import contract_dtype
from ledgerpilot.domain.month import Month

ACCOUNT_COLUMNS = ("id", "code", "name", "account_type", "reconcile")
JOURNAL_COLUMNS = ("id", "code", "name", "type", "suspense_account_id", "default_account_id")
DRAFT_MOVE_COLUMNS = ("id", "name", "date", "move_type", "journal_id", "journal_name", "partner_id",
                      "partner_name", "ref", "amount_total")
JOURNAL_ACTIVITY_COLUMNS = ("journal_id", "month", "move_count")
PERIOD_LINE_COLUMNS = ("id", "move_id", "move_name", "date", "journal_id", "account_id", "partner_id",
                       "partner_name", "label", "display_type", "balance", "has_analytic", "has_taxes")
ACCOUNT_HISTORY_COLUMNS = ("account_id", "month", "balance", "line_count")
ANALYTIC_HISTORY_COLUMNS = ("account_id", "line_count", "analytic_count")
TAX_HISTORY_COLUMNS = ("account_id", "line_count", "taxed_count")
BANK_LINE_COLUMNS = ("id", "date", "amount", "payment_ref", "partner_id", "partner_name", "journal_id",
                     "move_id", "statement_id")
SPECIAL_LINE_COLUMNS = ("id", "move_id", "move_name", "date", "account_id", "partner_id", "label", "balance")
PARTNERLESS_LINE_COLUMNS = ("id", "move_id", "move_name", "date", "account_id", "label", "balance")
CONTROL_BALANCE_COLUMNS = ("account_id", "balance")

FRAMES: dict[str, tuple[str, ...]] = {
    "accounts": ACCOUNT_COLUMNS,
    "journals": JOURNAL_COLUMNS,
    "draft_moves": DRAFT_MOVE_COLUMNS,
    "journal_activity": JOURNAL_ACTIVITY_COLUMNS,
    "period_lines": PERIOD_LINE_COLUMNS,
    "account_history": ACCOUNT_HISTORY_COLUMNS,
    "analytic_history": ANALYTIC_HISTORY_COLUMNS,
    "tax_history": TAX_HISTORY_COLUMNS,
    "bank_lines": BANK_LINE_COLUMNS,
    "open_special_lines": SPECIAL_LINE_COLUMNS,
    "partnerless_lines": PARTNERLESS_LINE_COLUMNS,
    "control_balances": CONTROL_BALANCE_COLUMNS,
}

DATE_COLUMNS = frozenset({"date"})
ID_COLUMNS = frozenset({"id", "move_id", "journal_id", "account_id", "partner_id", "statement_id",
                        "suspense_account_id", "default_account_id", "move_count", "line_count",
                        "analytic_count", "taxed_count"})
FLOAT_COLUMNS = frozenset({"balance", "amount", "amount_total"})
BOOL_COLUMNS = frozenset({"reconcile", "has_analytic", "has_taxes"})


def column_dtype(column: str) -> str:
    """The contract dtype of a column name (the same name has the same dtype in every frame)."""
    if column in BOOL_COLUMNS:
        return "boolean"
    return contract_dtype(column, dates=DATE_COLUMNS, ids=ID_COLUMNS, floats=FLOAT_COLUMNS)


def conform(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame`` with exactly the columns of the ``name`` contract, in order and typed.

    Missing columns are an error naming them: a producer that forgets a column must fail loudly.
    """
    columns = FRAMES[name]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"close frame {name!r} lacks the column(s) {', '.join(missing)}")
    out = frame.loc[:, list(columns)].copy()
    for column in columns:
        dtype = column_dtype(column)
        if dtype == "datetime64[ns]":
            out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
        elif dtype == "float64":
            out[column] = pd.to_numeric(out[column]).astype("float64")
        else:
            out[column] = out[column].astype(dtype)
    return out.reset_index(drop=True)


def empty_frame(name: str) -> pd.DataFrame:
    return conform(pd.DataFrame({c: [] for c in FRAMES[name]}), name)


@dataclass(frozen=True)
class AnalyticRules:
    """Which accounts must carry an analytic distribution, and where that rule came from.

    ``mandatory_prefixes`` are account code prefixes from Odoo's analytic applicability rules
    (``account.analytic.applicability`` with ``applicability = 'mandatory'``); ``None`` when the
    database has no such model, in which case the check falls back to the configured prefixes or
    to the accounts whose history shows a distribution on (nearly) every item. ``available`` is
    false when the database has no analytic accounting at all.
    """

    available: bool
    mandatory_prefixes: tuple[str, ...] | None
    source: str


@dataclass(frozen=True)
class CloseData:
    """Everything the close checks read, for one month, as known on ``today``.

    ``lock_dates`` maps the company's lock date fields (``fiscalyear_lock_date``, ``tax_lock_date``, and
    ``period_lock_date`` on 17 or ``sale_lock_date``/``purchase_lock_date``/``hard_lock_date`` on 18+) to
    a date or ``None``. ``history`` lists the months before ``month`` whose movements are in the history
    frames (oldest first). ``suspense_account_ids`` and ``outstanding_account_ids`` are the accounts
    that must be empty (or only hold payments in transit) at the period end. ``unavailable`` maps
    a feature (``"bank_statements"``, ``"analytic"``) to the reason it could not be read; the checks
    that need it are skipped with that reason. ``own_entries`` maps the id of each entry ledgerpilot wrote
    for an approved proposal to what it was (``own_entries.py``): its drafts are the close's own step.
    """

    company_name: str
    currency: str
    digits: int
    month: Month
    today: dt.date
    lock_dates: Mapping[str, dt.date | None]
    history: tuple[Month, ...]
    accounts: pd.DataFrame
    journals: pd.DataFrame
    draft_moves: pd.DataFrame
    journal_activity: pd.DataFrame
    period_lines: pd.DataFrame
    account_history: pd.DataFrame
    analytic_history: pd.DataFrame
    tax_history: pd.DataFrame
    bank_lines: pd.DataFrame
    open_special_lines: pd.DataFrame
    partnerless_lines: pd.DataFrame
    control_balances: pd.DataFrame
    suspense_account_ids: tuple[int, ...] = ()
    outstanding_account_ids: tuple[int, ...] = ()
    analytic_rules: AnalyticRules = AnalyticRules(True, None, "no applicability rules read")
    unavailable: Mapping[str, str] = field(default_factory=dict)
    own_entries: Mapping[int, OwnEntry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, columns in FRAMES.items():
            frame = getattr(self, name)
            if tuple(frame.columns) != columns:
                raise ValueError(f"close frame {name!r} has columns {tuple(frame.columns)}, expected {columns}")

    @property
    def period_end(self) -> dt.date:
        return self.month.end

    @property
    def as_of(self) -> dt.date:
        """The last day the books of the period can show: the period end, or today if earlier."""
        return min(self.month.end, self.today)

    def account_code(self, account_id: int) -> str:
        rows = self.accounts.loc[self.accounts["id"] == account_id, "code"]
        return str(rows.iloc[0]) if len(rows) else f"#{account_id}"

    def account_label(self, account_id: int) -> str:
        rows = self.accounts.loc[self.accounts["id"] == account_id]
        if not len(rows):
            return f"account #{account_id}"
        return f"{rows['code'].iloc[0]} {rows['name'].iloc[0]}"

    def journal_label(self, journal_id: int) -> str:
        rows = self.journals.loc[self.journals["id"] == journal_id]
        if not len(rows):
            return f"journal #{journal_id}"
        return f"{rows['name'].iloc[0]} ({rows['code'].iloc[0]})"
