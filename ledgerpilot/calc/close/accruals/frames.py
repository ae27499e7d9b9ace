"""The accrual data contract: what the adjusting-entry calculators read, as plain frames.

:func:`ledgerpilot.tools.close.accruals.load_accrual_data` fills :class:`AccrualData` from Odoo;
tests build it by hand. Amounts in the frames are floats exactly as Odoo sends them (already
rounded to their currency); the calculators turn them into integer minor units before adding.

Frames (one row per record, columns in this order):

- ``purchase_lines``: confirmed purchase order lines with something received. ``qty_received`` and
  ``qty_invoiced`` in the line's unit, ``price_unit`` and ``discount`` (percent) in the order
  currency ``currency`` (with ``currency_digits`` decimals), ``rate`` = units of that currency per company-currency unit at the month
  end (1.0 in the company currency), ``analytic_distribution`` a dict or None, and
  ``expense_account_id`` the account a bill of the product books to (None when unknown).
- ``receipt_moves``: done incoming stock moves of those lines up to the month end (receipt date
  and quantity, with the picking), the evidence of what was received when.
- ``bill_lines``: product lines of posted vendor bills and refunds of the twelve months before the
  month and the month itself; ``balance`` in company currency (a refund is negative).
- ``prepaid_lines``: posted journal items on prepaid-expense accounts up to the month end;
  ``balance`` debit-positive; ``expense_account_id`` the account the share is expensed to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ledgerpilot.domain.month import Month

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "purchase_lines": ("line_id", "order_id", "order_name", "partner_id", "partner_name", "product_id",
                       "product_name", "description", "qty_received", "qty_invoiced", "price_unit", "discount",
                       "currency", "currency_digits", "rate", "analytic_distribution", "expense_account_id"),
    "receipt_moves": ("move_id", "purchase_line_id", "picking_id", "picking_name", "date", "quantity"),
    "bill_lines": ("line_id", "move_id", "move_name", "partner_id", "partner_name", "date", "account_id",
                   "analytic_distribution", "balance", "product_id"),
    "prepaid_lines": ("line_id", "move_id", "move_name", "ref", "account_id", "account_code", "date", "name",
                      "partner_id", "analytic_distribution", "balance", "expense_account_id"),
}


def text(value: Any, default: str = "") -> str:
    """A text cell as ``str``: missing (None, NaN, pandas NA) or empty -> ``default``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return default
    return str(value) or default


def empty_frame(name: str) -> pd.DataFrame:
    """An empty frame with the columns of ``name`` (for a database without the data)."""
    return pd.DataFrame({column: pd.Series(dtype=object) for column in COLUMNS[name]})


def check_columns(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame itself when it has the contract's columns; a clear error naming what is missing."""
    missing = [column for column in COLUMNS[name] if column not in frame.columns]
    if missing:
        raise ValueError(f"accrual frame {name!r} lacks column(s) {', '.join(missing)}")
    return frame


@dataclass(frozen=True)
class AccrualRules:
    """Thresholds of the recurring-vendor and prepaid rules (defaults suit a monthly close).

    A vendor is *recurring* when it billed in at least ``recurring_min_months`` of the
    ``recurring_window`` months before the closed month, and the monthly totals of those months vary
    little (standard deviation at most ``recurring_max_variation`` of their median). A prepaid
    entry whose label names no period is spread over ``prepaid_default_months`` months.
    """

    recurring_window: int = 6
    recurring_min_months: int = 5
    recurring_max_variation: float = 0.25
    prepaid_default_months: int = 12


@dataclass(frozen=True)
class AccrualData:
    """Everything the accrual, prepaid and reversal proposals of one month need."""

    company_name: str
    currency: str
    digits: int
    month: Month
    today: dt.date
    journal_id: int | None
    journal_name: str
    accrued_account_id: int | None
    accrued_account_name: str
    accounts: Mapping[int, str]  # account id -> "code name", for words in proposals
    purchase_lines: pd.DataFrame
    receipt_moves: pd.DataFrame
    bill_lines: pd.DataFrame
    prepaid_lines: pd.DataFrame
    existing_refs: Mapping[str, int]  # ref of a non-cancelled entry dated in the month or the next -> move id
    skipped: tuple[str, ...] = ()  # what could not be read and why (missing modules)
    #: vendor -> an entry dated in the month that already credits the accrued-expenses account for it
    accrued_partners: Mapping[int, int] = field(default_factory=dict)
    rules: AccrualRules = field(default_factory=AccrualRules)

    def __post_init__(self) -> None:
        for name in COLUMNS:
            check_columns(name, getattr(self, name))

    def account_label(self, account_id: int | None) -> str:
        if account_id is None:
            return "(no account)"
        return self.accounts.get(int(account_id), f"account {account_id}")
