"""Small hand-made accrual data: purchase lines, receipts, vendor bills and prepaid items for 2026-11."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ledgerpilot.calc.close.accruals.frames import COLUMNS, AccrualData, AccrualRules
from ledgerpilot.domain.month import Month

MONTH = Month(2026, 11)
TODAY = dt.date(2026, 11, 18)

# accounts
STOCK_IN, PREPAID, PAYABLE, ACCRUED, EXPENSES, UTILITIES, SOFTWARE, FEES = 7, 13, 16, 17, 27, 29, 30, 31
ACCOUNTS = {STOCK_IN: "110200 Stock Interim (Received)", PREPAID: "141000 Prepaid Expenses",
            PAYABLE: "211000 Account Payable", ACCRUED: "212000 Accrued Expenses", EXPENSES: "600000 Expenses",
            UTILITIES: "612000 Utilities", SOFTWARE: "613000 Software Subscriptions",
            FEES: "614000 Professional Fees"}
MISC = 3
# analytic accounts (departments)
OPERATIONS, ADMINISTRATION, SALES = 2, 3, 4


def po_line(line_id: int, order_id: int, order_name: str, *, qty_received: float, price_unit: float,
            qty_invoiced: float = 0.0, partner_id: int = 30, partner_name: str = "Bluebird Interiors",
            product: str = "Standing Desk", discount: float = 0.0, currency: str = "EUR", rate: float = 1.0,
            analytic: dict | None = None, account: int | None = STOCK_IN) -> dict[str, Any]:
    return {"line_id": line_id, "order_id": order_id, "order_name": order_name, "partner_id": partner_id,
            "partner_name": partner_name, "product_id": line_id + 100, "product_name": product, "description": product,
            "qty_received": qty_received, "qty_invoiced": qty_invoiced, "price_unit": price_unit,
            "discount": discount, "currency": currency, "currency_digits": 0 if currency == "JPY" else 2, "rate": rate, "analytic_distribution": analytic,
            "expense_account_id": account}


def receipt(move_id: int, line_id: int, day: str, quantity: float, picking_id: int = 700,
            picking_name: str = "WH/IN/00700") -> dict[str, Any]:
    return {"move_id": move_id, "purchase_line_id": line_id, "picking_id": picking_id, "picking_name": picking_name,
            "date": pd.Timestamp(day), "quantity": quantity}


_line_ids = iter(range(10_000, 1_000_000))


def bill(move_id: int, partner_id: int, partner_name: str, day: str,
         lines: Iterable[tuple[int, float, dict | None]]) -> list[dict[str, Any]]:
    """The product lines of one posted vendor bill: (account, untaxed company amount, distribution)."""
    return [{"line_id": next(_line_ids), "move_id": move_id, "move_name": f"BILL/{move_id}", "partner_id": partner_id,
             "partner_name": partner_name, "date": pd.Timestamp(day), "account_id": account,
             "analytic_distribution": distribution, "balance": amount, "product_id": None}
            for account, amount, distribution in lines]


def monthly_bills(first_move: int, partner_id: int, partner_name: str, amounts: dict[str, float], *,
                  account: int = UTILITIES, day: int = 12, analytic: dict | None = None) -> list[dict[str, Any]]:
    """One single-line bill per month label (``"2026-05": 1450.0``) dated ``day`` of that month."""
    rows: list[dict[str, Any]] = []
    for offset, (label, amount) in enumerate(amounts.items()):
        rows += bill(first_move + offset, partner_id, partner_name, f"{label}-{day:02d}", [(account, amount, analytic)])
    return rows


def prepaid_item(line_id: int, move_id: int, day: str, balance: float, name: str, *, ref: str = "",
                 expense: int | None = FEES, analytic: dict | None = None, partner_id: int | None = None,
                 account: int = PREPAID) -> dict[str, Any]:
    return {"line_id": line_id, "move_id": move_id, "move_name": f"MISC/{move_id}", "ref": ref,
            "account_id": account, "account_code": ACCOUNTS[account].split()[0], "date": pd.Timestamp(day),
            "name": name, "partner_id": partner_id, "analytic_distribution": analytic, "balance": balance,
            "expense_account_id": expense}


def frame(name: str, rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(COLUMNS[name]))


def accrual_data(*, purchase_lines=(), receipts=(), bills=(), prepaid=(), existing: dict[str, int] | None = None,
                 month: Month = MONTH, accrued: int | None = ACCRUED, journal: int | None = MISC,
                 rules: AccrualRules | None = None, skipped: tuple[str, ...] = (),
                 accrued_partners: dict[int, int] | None = None) -> AccrualData:
    return AccrualData(
        company_name="Brightwave Supplies SA", currency="EUR", digits=2, month=month, today=TODAY,
        journal_id=journal, journal_name="Miscellaneous Operations", accrued_account_id=accrued,
        accrued_account_name=ACCOUNTS.get(accrued, "") if accrued else "", accounts=ACCOUNTS,
        purchase_lines=frame("purchase_lines", purchase_lines), receipt_moves=frame("receipt_moves", receipts),
        bill_lines=frame("bill_lines", bills), prepaid_lines=frame("prepaid_lines", prepaid),
        existing_refs=dict(existing or {}), skipped=skipped, rules=rules or AccrualRules(),
        accrued_partners=dict(accrued_partners or {}))


def entry_values(proposal) -> dict[str, Any]:
    """The ``account.move`` values of a proposal's create call."""
    return proposal.payload.args[0][0]


def entry_lines(proposal) -> list[dict[str, Any]]:
    return [command[2] for command in entry_values(proposal)["line_ids"]]
