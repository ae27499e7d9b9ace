"""Hand-built bank statements and open items for the matching tests (frames of the matching contract)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

DAY = dt.date(2026, 11, 16)

PARTNERS = {5: "Azure Services", 6: "Swiftmove Couriers", 7: "Granite Hotels", 8: "Yarrow Retail"}


def item(item_id: int, name: str, residual: float, *, partner: int | None = 5, kind: str | None = None,
         ref: str | None = None, due: dt.date = DAY - dt.timedelta(days=3), date: dt.date | None = None,
         move_id: int | None = None, currency: str | None = None, residual_currency: float | None = None) -> dict:
    kind = kind or ("invoice" if residual > 0 else "bill")
    move_type = {"invoice": "out_invoice", "bill": "in_invoice", "refund": "out_refund", "payment": "entry"}[kind]
    row = {"id": item_id, "move_id": move_id or 1000 + item_id, "move_name": name, "ref": ref, "move_type": move_type,
           "partner_id": partner, "partner_name": PARTNERS.get(partner) if partner else None,
           "date": pd.Timestamp(date or due - dt.timedelta(days=30)), "date_maturity": pd.Timestamp(due),
           "amount_residual": residual, "account_id": 10 if residual > 0 else 20, "kind": kind}
    if currency:
        row.update(currency=currency, amount_residual_currency=residual_currency)
    return row


def line(line_id: int, amount: float, label: str, *, partner: int | None = None, day: dt.date = DAY,
         foreign: str | None = None, amount_currency: float | None = None) -> dict:
    row = {"id": line_id, "date": pd.Timestamp(day), "amount": amount, "payment_ref": label, "partner_id": partner,
           "partner_name": PARTNERS.get(partner) if partner else None, "journal_id": 1, "move_id": 5000 + line_id,
           "currency": "EUR"}
    if foreign:
        row.update(foreign_currency=foreign, amount_currency=amount_currency)
    return row


def items_frame(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    return frame.astype({"partner_id": "Int64"})


def lines_frame(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    return frame.astype({"partner_id": "Int64"})
