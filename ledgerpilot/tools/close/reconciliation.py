"""Pulls what bank matching needs from Odoo: unreconciled statement lines and open items.

A few paged extractions with named fields (never one RPC per record):

- ``account.bank.statement.line`` with ``is_reconciled = False`` dated on or before ``as_of``
  (optionally only some journals);
- ``account.move.line`` of posted entries, not reconciled, with ``amount_residual != 0``, dated on
  or before ``as_of``, on the reconcilable receivable and payable accounts and on the outstanding
  receipts/payments accounts of payments the bank has not shown yet (``account.payment`` with
  ``is_matched = False``: a vendor payment sent today waits there for its bank line);
- the ``move_type`` of the items' entries (``account.move``, read by id in pages);
- ``account.account`` and ``account.journal`` to know which accounts those are and which
  journals are bank or cash journals.

The frames follow the contract documented in :mod:`ledgerpilot.calc.close.matching`. The item
``kind``: ``invoice`` (customer invoice), ``bill`` (vendor bill), ``refund`` (either side's credit
note), ``payment`` (a payment's entry, or any entry booked in a bank or cash journal); other
entries on a receivable account count as ``invoice`` and on a payable account as ``bill``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from ledgerpilot.calc.frame_types import contract_dtype
from ledgerpilot.tools.ledger.overview import company_info

Progress = Callable[[str], None]

STATEMENT_LINE_FIELDS = ["date", "amount", "payment_ref", "partner_id", "partner_name", "journal_id", "move_id",
                         "currency_id", "foreign_currency_id", "amount_currency"]
ITEM_FIELDS = ["move_id", "move_name", "ref", "partner_id", "date", "date_maturity",
               "amount_residual", "amount_residual_currency", "currency_id", "account_id", "journal_id",
               "payment_id"]
ITEM_ACCOUNT_TYPES = ("asset_receivable", "liability_payable")
#: How many ids go into one ``('id', 'in', [...])`` page when the items' moves are read.
ID_CHUNK = 2000
MOVE_KINDS = {"out_invoice": "invoice", "out_receipt": "invoice", "in_invoice": "bill", "in_receipt": "bill",
              "out_refund": "refund", "in_refund": "refund"}

BANK_LINE_COLUMNS = ["id", "date", "amount", "payment_ref", "partner_id", "partner_name", "journal_id", "move_id",
                     "currency", "foreign_currency", "amount_currency"]
OPEN_ITEM_COLUMNS = ["id", "move_id", "move_name", "ref", "move_type", "partner_id", "partner_name", "date",
                     "date_maturity", "amount_residual", "account_id", "kind", "currency", "amount_residual_currency",
                     "journal_id"]
_DATES = {"date", "date_maturity"}
_IDS = {"id", "partner_id", "journal_id", "move_id", "account_id"}
_FLOATS = {"amount", "amount_currency", "amount_residual", "amount_residual_currency"}


@dataclass(frozen=True)
class ReconciliationData:
    """Unreconciled bank lines and open items as of one day, with where they came from."""

    company_name: str
    currency: str
    digits: int
    as_of: dt.date
    bank_lines: pd.DataFrame
    open_items: pd.DataFrame
    journal_ids: tuple[int, ...]       # the bank/cash journals read


def _conform(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    out = pd.DataFrame({c: frame[c] if c in frame.columns else pd.Series([None] * len(frame), dtype="object")
                        for c in columns}, index=frame.index).reset_index(drop=True)
    types = {c: contract_dtype(c, dates=_DATES, ids=_IDS, floats=_FLOATS) for c in columns}
    for column, dtype in types.items():
        if dtype == "datetime64[ns]":
            out[column] = pd.to_datetime(out[column], errors="coerce").astype("datetime64[ns]")
        elif dtype == "Int64":
            out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
        elif dtype == "float64":
            out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
        else:
            out[column] = out[column].astype("object").where(out[column].notna(), None).astype("string")
    return out


def _falsy_text(series: pd.Series) -> pd.Series:
    """Odoo sends False for an empty char field: None instead."""
    return series.astype("object").where(series.notna() & (series.astype("object") != False), None)


def load_reconciliation_data(client, *, as_of: dt.date, journal_ids: Sequence[int] | None = None,
                             progress: Progress | None = None) -> ReconciliationData:
    """Unreconciled statement lines of the bank and cash journals (or ``journal_ids``) and every open
    receivable/payable item and unmatched payment, both dated on or before ``as_of``."""
    step = progress or (lambda _stage: None)
    step("company")
    company = company_info(client)
    step("journals and accounts")
    journals = client.extract("account.journal", ["type", "code"], [("type", "in", ["bank", "cash"])])
    cash_journals = [int(i) for i in journals["id"].tolist()]
    if journal_ids is not None:
        unknown = sorted({int(j) for j in journal_ids} - set(cash_journals))
        if unknown:
            raise ValueError(f"journal(s) {', '.join(map(str, unknown))} are not bank or cash journals of "
                             f"{company.name} (bank/cash journals: {', '.join(map(str, cash_journals)) or 'none'})")
        chosen = [int(j) for j in journal_ids]
    else:
        chosen = cash_journals
    accounts = client.extract("account.account", ["account_type"],
                              [("account_type", "in", list(ITEM_ACCOUNT_TYPES)), ("reconcile", "=", True)])
    item_accounts = accounts["id"].astype("int64").tolist()
    outstanding = _outstanding_accounts(client)

    step("bank statement lines")
    bank_lines = _bank_lines(client, as_of, chosen, company.currency)
    step("open items")
    open_items = _open_items(client, as_of, sorted(set(item_accounts) | set(outstanding)), accounts, cash_journals)
    return ReconciliationData(company_name=company.name, currency=company.currency, digits=company.currency_digits,
                              as_of=as_of, bank_lines=bank_lines, open_items=open_items, journal_ids=tuple(chosen))


def _outstanding_accounts(client) -> list[int]:
    """The accounts where sent or received payments wait for their bank line."""
    if not client.has_model("account.payment"):
        return []
    payments = client.extract("account.payment", ["outstanding_account_id"], [("is_matched", "=", False)])
    return sorted({int(i) for i in payments["outstanding_account_id_id"].dropna().tolist()})


def _move_types(client, move_ids: pd.Series) -> pd.Series:
    """move id -> move_type of the moves behind the open items, read in pages of ids."""
    ids = sorted({int(i) for i in move_ids.dropna().tolist()})
    frames = [client.extract("account.move", ["move_type"], [("id", "in", ids[start:start + ID_CHUNK])])
              for start in range(0, len(ids), ID_CHUNK)]
    if not frames:
        return pd.Series(dtype="object")
    moves = pd.concat(frames, ignore_index=True)
    return pd.Series(moves["move_type"].astype("object").to_numpy(), index=moves["id"].astype("int64").to_numpy())


def _bank_lines(client, as_of: dt.date, journal_ids: list[int], currency: str) -> pd.DataFrame:
    if not journal_ids:
        return _conform(pd.DataFrame(), BANK_LINE_COLUMNS)
    rows = client.extract("account.bank.statement.line", STATEMENT_LINE_FIELDS,
                          [("is_reconciled", "=", False), ("date", "<=", as_of.isoformat()),
                           ("journal_id", "in", journal_ids)])
    return bank_line_frame(rows, currency)


def bank_line_frame(rows: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Extracted ``account.bank.statement.line`` rows (``STATEMENT_LINE_FIELDS``) -> the bank-lines
    frame of the matching contract, by date then id."""
    typed_name = _falsy_text(rows["partner_name"])
    frame = pd.DataFrame({
        "id": rows["id"],
        "date": rows["date"],
        "amount": rows["amount"],
        "payment_ref": _falsy_text(rows["payment_ref"]),
        "partner_id": rows["partner_id_id"],
        "partner_name": _falsy_text(rows["partner_id_name"]).fillna(typed_name),
        "journal_id": rows["journal_id_id"],
        "move_id": rows["move_id_id"],
        "currency": _falsy_text(rows["currency_id_name"]).fillna(currency),
        "foreign_currency": _falsy_text(rows["foreign_currency_id_name"]),
        "amount_currency": rows["amount_currency"],
    })
    return _conform(frame.sort_values(["date", "id"]), BANK_LINE_COLUMNS)


def _open_items(client, as_of: dt.date, account_ids: list[int], accounts: pd.DataFrame,
                cash_journals: list[int]) -> pd.DataFrame:
    if not account_ids:
        return _conform(pd.DataFrame(), OPEN_ITEM_COLUMNS)
    rows = client.extract("account.move.line", ITEM_FIELDS,
                          [("parent_state", "=", "posted"), ("account_id", "in", account_ids),
                           ("reconciled", "=", False), ("amount_residual", "!=", 0),
                           ("date", "<=", as_of.isoformat())])
    return item_frame(client, rows, accounts, cash_journals)


def item_frame(client, rows: pd.DataFrame, accounts: pd.DataFrame, cash_journals: Sequence[int]) -> pd.DataFrame:
    """Extracted ``account.move.line`` rows (``ITEM_FIELDS``) -> the open-items frame of the
    matching contract (reads the ``move_type`` of their entries)."""
    account_type = pd.Series(accounts["account_type"].to_numpy(), index=accounts["id"].astype("int64").to_numpy())
    line_account_type = rows["account_id_id"].map(account_type)
    move_type = rows["move_id_id"].map(_move_types(client, rows["move_id_id"])).fillna("entry")
    kind = move_type.map(MOVE_KINDS)
    is_payment = rows["payment_id_id"].notna() | rows["journal_id_id"].isin(cash_journals) | line_account_type.isna()
    kind = kind.where(kind.notna() | ~is_payment, "payment")
    kind = kind.fillna(line_account_type.map({"asset_receivable": "invoice", "liability_payable": "bill"}))
    frame = pd.DataFrame({
        "id": rows["id"],
        "move_id": rows["move_id_id"],
        "move_name": _falsy_text(rows["move_name"]),
        "ref": _falsy_text(rows["ref"]),
        "move_type": move_type,
        "partner_id": rows["partner_id_id"],
        "partner_name": _falsy_text(rows["partner_id_name"]),
        "date": rows["date"],
        "date_maturity": rows["date_maturity"],
        "amount_residual": rows["amount_residual"],
        "account_id": rows["account_id_id"],
        "kind": kind,
        "currency": _falsy_text(rows["currency_id_name"]),
        "amount_residual_currency": rows["amount_residual_currency"],
        "journal_id": rows["journal_id_id"],
    })
    return _conform(frame.sort_values(["date", "id"]), OPEN_ITEM_COLUMNS)
