"""Hand-built close books where every record is known, shared by the close check tests.

The period is October 2026, looked at on 18 November 2026 (a finished month); the history is
April to September 2026. Chart: 1 Bank, 2 Bank Suspense, 3 Outstanding Receipts, 4 Outstanding
Payments, 10 Receivable, 16 Payable, 23 Product Sales, 27 Expenses, 31 Professional Fees,
34 Foreign Exchange Loss, 7 Stock Interim. Journals: 1 INV (sale), 2 BILL (purchase), 3 MISC,
6 BNK1 (bank), 7 CSH1 (cash); both bank journals use suspense account 2. Every frame is empty
unless a test fills it, so each test shows exactly the records that make (or must not make) a finding.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ledgerpilot.calc.close.frames import FRAMES, AnalyticRules, CloseData, conform, empty_frame
from ledgerpilot.domain.month import Month

MONTH = Month(2026, 10)
TODAY = dt.date(2026, 11, 18)
HISTORY = tuple(MONTH.shift(-n) for n in range(6, 0, -1))

ACCOUNTS = [
    (1, "101401", "Bank", "asset_cash", False), (2, "101402", "Bank Suspense Account", "asset_current", False),
    (3, "101403", "Outstanding Receipts", "asset_current", True),
    (4, "101404", "Outstanding Payments", "asset_current", True),
    (7, "110200", "Stock Interim (Received)", "asset_current", True),
    (10, "121000", "Account Receivable", "asset_receivable", True),
    (16, "211000", "Account Payable", "liability_payable", True), (23, "400000", "Product Sales", "income", False),
    (27, "600000", "Expenses", "expense", False), (31, "614000", "Professional Fees", "expense", False),
    (34, "641000", "Foreign Exchange Loss", "expense", False),
]
JOURNALS = [(1, "INV", "Customer Invoices", "sale", None, 23), (2, "BILL", "Vendor Bills", "purchase", None, 27),
            (3, "MISC", "Miscellaneous Operations", "general", None, None), (6, "BNK1", "Bank", "bank", 2, 1),
            (7, "CSH1", "Cash", "cash", 2, None)]


def frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A contract frame from row dicts; columns a row leaves out are empty (None)."""
    if not rows:
        return empty_frame(name)
    columns = FRAMES[name]
    unknown = {k for row in rows for k in row} - set(columns)
    if unknown:
        raise KeyError(f"{name} has no column(s) {sorted(unknown)}")
    return conform(pd.DataFrame([{c: row.get(c) for c in columns} for row in rows]), name)


def period_line(id: int, account_id: int, balance: float, *, date: str = "2026-10-15", journal_id: int = 3,
                move_id: int | None = None, partner_id: int | None = None, has_analytic: bool = True,
                has_taxes: bool = False, display_type: str = "product", label: str = "") -> dict[str, Any]:
    return {"id": id, "move_id": move_id or id, "move_name": f"MOVE/{move_id or id}", "date": date,
            "journal_id": journal_id, "account_id": account_id, "partner_id": partner_id, "partner_name": None,
            "label": label or f"item {id}", "display_type": display_type, "balance": balance,
            "has_analytic": has_analytic, "has_taxes": has_taxes}


def history(account_id: int, balances: list[float]) -> list[dict[str, Any]]:
    """``account_history`` rows for the six history months, oldest first (0 = no row)."""
    return [{"account_id": account_id, "month": m.label, "balance": b, "line_count": 3}
            for m, b in zip(HISTORY, balances) if b]


def journal_months(journal_id: int, months: int, *, in_period: int = 0) -> list[dict[str, Any]]:
    """``journal_activity`` rows: entries in the last ``months`` history months and in the period."""
    rows = [{"journal_id": journal_id, "month": m.label, "move_count": 4} for m in HISTORY[len(HISTORY) - months:]]
    if in_period:
        rows.append({"journal_id": journal_id, "month": MONTH.label, "move_count": in_period})
    return rows


def make_data(*, today: dt.date = TODAY, suspense: tuple[int, ...] = (2,), outstanding: tuple[int, ...] = (3, 4),
              analytic_rules: AnalyticRules | None = None, unavailable: dict[str, str] | None = None,
              **rows: list[dict[str, Any]]) -> CloseData:
    """Close data of October 2026 with the chart above and the given frame rows (by frame name)."""
    unknown = set(rows) - set(FRAMES)
    if unknown:
        raise KeyError(f"no close frame(s) {sorted(unknown)}")
    frames = {name: frame(name, rows.get(name, [])) for name in FRAMES if name not in ("accounts", "journals")}
    accounts = frame("accounts", [dict(zip(FRAMES["accounts"], a)) for a in ACCOUNTS])
    journals = frame("journals", [dict(zip(FRAMES["journals"], j)) for j in JOURNALS])
    return CloseData(
        company_name="Books Ltd", currency="EUR", digits=2, month=MONTH, today=today,
        lock_dates={"fiscalyear_lock_date": None, "period_lock_date": None, "tax_lock_date": None},
        history=HISTORY, accounts=accounts, journals=journals, suspense_account_ids=suspense,
        outstanding_account_ids=outstanding,
        analytic_rules=analytic_rules or AnalyticRules(True, None, "the database has no analytic applicability rules"),
        unavailable=unavailable or {}, **frames)
