"""Invoice payment history from a CSV file, for ``ledgerpilot eval payment-delays --csv``.

Required columns: ``partner, invoice_date, due_date, amount, paid_date`` (ISO dates, amount a
positive number with a dot as decimal separator). Optional: ``invoice`` (an identifier: several rows
with the same one are the partial payments of one invoice; without it every row is one invoice) and
``kind`` (``receivable``, the default, or ``payable``). An empty ``paid_date`` means the row's amount
was still unpaid when the file was written. See docs/payment-delays.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import pandas as pd

from ledgerpilot.calc.cash.payment_behaviour.model import KINDS
from ledgerpilot.errors import LedgerpilotError

REQUIRED_COLUMNS = ("partner", "invoice_date", "due_date", "amount", "paid_date")
OPTIONAL_COLUMNS = ("invoice", "kind")


class InvoiceHistoryError(LedgerpilotError):
    """The invoice history file cannot be read; the message names the line and column."""


def _date(value: str, line: int, column: str, path: Path, required: bool = True) -> dt.date | None:
    text = value.strip()
    if not text:
        if required:
            raise InvoiceHistoryError(f"{path}: line {line}, column {column!r}: a date is required (YYYY-MM-DD)")
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvoiceHistoryError(
            f"{path}: line {line}, column {column!r}: {text!r} is not an ISO date (YYYY-MM-DD)") from None


def _amount(value: str, line: int, path: Path) -> float:
    text = value.strip()
    try:
        amount = float(text)
    except ValueError:
        raise InvoiceHistoryError(f"{path}: line {line}, column 'amount': {text!r} is not a number "
                                  "(use a dot as decimal separator, no thousands separator)") from None
    if not math.isfinite(amount) or amount <= 0:
        raise InvoiceHistoryError(f"{path}: line {line}, column 'amount': {text!r} must be a positive amount")
    return amount


def read_invoice_history(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(settlements in PAID_COLUMNS, open amounts as open items) read from the CSV at ``path``.

    Partners get ids in order of first appearance; invoices get ids 1, 2, ... The open items carry
    ``id, kind, partner_id, partner_name, invoice_date, date_maturity, balance, residual``.
    """
    path = Path(path)
    if not path.is_file():
        raise InvoiceHistoryError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        if not header:
            raise InvoiceHistoryError(f"{path}: the file is empty; expected the header {','.join(REQUIRED_COLUMNS)}")
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise InvoiceHistoryError(f"{path}: line 1: missing column(s) {', '.join(missing)}; expected "
                                      f"{', '.join(REQUIRED_COLUMNS)} (optional: {', '.join(OPTIONAL_COLUMNS)})")
        reader.fieldnames = header
        partners: dict[str, int] = {}
        invoices: dict[tuple, dict] = {}
        settlements: list[dict] = []
        for record in reader:
            line = reader.line_num
            if None in record or any(record.get(c) is None for c in REQUIRED_COLUMNS):
                raise InvoiceHistoryError(f"{path}: line {line}: expected {len(header)} fields")
            partner = record["partner"].strip()
            if not partner:
                raise InvoiceHistoryError(f"{path}: line {line}, column 'partner': a partner name is required")
            kind = (record.get("kind") or "receivable").strip() or "receivable"
            if kind not in KINDS:
                raise InvoiceHistoryError(f"{path}: line {line}, column 'kind': {kind!r} is not one of "
                                          f"{', '.join(KINDS)}")
            invoice_date = _date(record["invoice_date"], line, "invoice_date", path)
            due_date = _date(record["due_date"], line, "due_date", path)
            amount = _amount(record["amount"], line, path)
            paid_date = _date(record["paid_date"], line, "paid_date", path, required=False)
            pid = partners.setdefault(partner, len(partners) + 1)
            key = ((kind, partner, (record.get("invoice") or "").strip()) if (record.get("invoice") or "").strip()
                   else ("line", line))
            invoice = invoices.get(key)
            if invoice is None:
                invoice = invoices[key] = {"id": len(invoices) + 1, "kind": kind, "partner_id": pid,
                                           "partner_name": partner, "invoice_date": invoice_date,
                                           "due_date": due_date, "total": 0.0, "open": 0.0, "line": line}
            elif (invoice["invoice_date"], invoice["due_date"]) != (invoice_date, due_date):
                raise InvoiceHistoryError(
                    f"{path}: line {line}: invoice {key[2]!r} of {partner} has other dates than on line "
                    f"{invoice['line']} (invoice_date and due_date must agree between its rows)")
            invoice["total"] += amount
            if paid_date is None:
                invoice["open"] += amount
            else:
                settlements.append({"item_id": invoice["id"], "amount": amount, "paid_date": paid_date})
    if not invoices:
        raise InvoiceHistoryError(f"{path}: no invoice rows after the header")
    items = pd.DataFrame(list(invoices.values()))
    paid = pd.DataFrame(settlements, columns=["item_id", "amount", "paid_date"]).merge(
        items.drop(columns=["total", "open", "line"]), left_on="item_id", right_on="id").drop(columns="id")
    paid["paid_date"] = pd.to_datetime(paid["paid_date"])
    paid["invoice_date"] = pd.to_datetime(paid["invoice_date"])
    paid["due_date"] = pd.to_datetime(paid["due_date"])
    paid["move_id"] = paid["item_id"]
    paid["move_name"] = "line " + paid["item_id"].map(dict(zip(items["id"], items["line"]))).astype(str)
    paid["delay_days"] = (paid["paid_date"] - paid["due_date"]).dt.days
    paid["partner_id"] = paid["partner_id"].astype("Int64")
    paid = paid[["item_id", "move_id", "move_name", "kind", "partner_id", "partner_name", "invoice_date",
                 "due_date", "amount", "paid_date", "delay_days"]]
    still_open = items[items["open"] > 0]
    open_items = pd.DataFrame({
        "id": still_open["id"].astype("int64"), "kind": still_open["kind"],
        "partner_id": still_open["partner_id"].astype("Int64"), "partner_name": still_open["partner_name"],
        "invoice_date": pd.to_datetime(still_open["invoice_date"]),
        "date_maturity": pd.to_datetime(still_open["due_date"]),
        "balance": still_open["total"].round(2), "residual": still_open["open"].round(2),
    }).reset_index(drop=True)
    return paid.reset_index(drop=True), open_items
