"""Cutting the cash history at a date: what was open, ordered, paid and in the bank on that day.

Pure functions over ``CashHistory`` (no I/O, no clock). The forecast runs on ``books_as_of(today)``;
the backtest runs on ``books_as_of(past day)`` and compares with ``actual_bank_flows`` afterwards,
so nothing here may look past ``as_of``: an item exists once its accounting date is reached, a
reconciliation counts once its ``max_date`` is reached, an order line once it is confirmed, an
invoice of an order line once its invoice date is reached.

Amounts are summed in integer minor units and handed back as floats rounded to the currency's
decimals (the frames' convention) or ``Decimal`` where stated.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ledgerpilot.calc.cash.frames import empty_paid, empty_typed, typed
from ledgerpilot.calc.cash.history import (
    ITEM_COLUMNS,
    OPEN_ITEM_COLUMNS,
    OPEN_ORDER_COLUMNS,
    PAID_COLUMNS,
    CashBooks,
    CashHistory,
)
from ledgerpilot.calc.cash.rates import latest_rates
from ledgerpilot.domain.money import to_minor

#: Moves whose receivable/payable line is an installment of an invoice or bill.
INVOICE_MOVE_TYPES = frozenset({"out_invoice", "in_invoice", "out_receipt", "in_receipt"})
#: Journals whose entries move money: a match with one of their entries is a cash settlement.
CASH_JOURNAL_TYPES = frozenset({"bank", "cash"})

BANK_FLOW_COLUMNS = ("date", "amount", "record_ids")


def books_as_of(history: CashHistory, as_of: dt.date) -> CashBooks:
    """What was known at the end of ``as_of``: open items with their residual on that day (foreign
    ones converted at the latest rate known then), order lines not yet invoiced, the bank balance,
    the bank history, the cash settlements and the rates known then."""
    cut = pd.Timestamp(as_of)
    return CashBooks(
        as_of=as_of,
        currency=history.currency,
        digits=history.digits,
        opening_balance=bank_balance_on(history, as_of),
        open_items=open_items_as_of(history, as_of),
        open_order_lines=open_order_lines_as_of(history, as_of),
        bank_history=history.bank[(history.bank["date"] <= cut).fillna(False).to_numpy()].reset_index(drop=True),
        paid_items=paid_items_as_of(history, as_of),
        payment_terms=history.payment_terms,
        rates=history.rates[(history.rates["date"] <= cut).fillna(False).to_numpy()].reset_index(drop=True),
    )


def residual_minor_as_of(history: CashHistory, as_of: dt.date) -> pd.Series:
    """Residual of every item dated on or before ``as_of``, in company minor units, signed like
    ``balance``: the balance minus the partial reconciles that took effect by ``as_of``
    (index: item id). This is Odoo's ``amount_residual`` as it stood that day."""
    cut = pd.Timestamp(as_of)
    items = history.items[(history.items["date"] <= cut).fillna(False).to_numpy()]
    recs = history.reconciliations[(history.reconciliations["max_date"] <= cut).fillna(False).to_numpy()]
    amount = to_minor(recs["amount"], history.digits)
    settled_debit = amount.groupby(_ids(recs["debit_move_id"])).sum()
    settled_credit = amount.groupby(_ids(recs["credit_move_id"])).sum()
    ids = items["id"].to_numpy(dtype="int64")
    balance = to_minor(items["balance"], history.digits).to_numpy()
    residual = (balance - settled_debit.reindex(ids, fill_value=0).to_numpy()
                + settled_credit.reindex(ids, fill_value=0).to_numpy())
    return pd.Series(residual, index=ids, name="residual")


def open_items_as_of(history: CashHistory, as_of: dt.date) -> pd.DataFrame:
    """Items with a non-zero residual on ``as_of`` (OPEN_ITEM_COLUMNS).

    ``residual_booked`` is the residual at the booking rates (what Odoo shows as
    ``amount_residual``); ``residual`` is what it is worth in cash on ``as_of``: for an item in a
    foreign currency, its open share of ``amount_currency`` at the latest rate known that day.
    """
    digits = history.digits
    residual = residual_minor_as_of(history, as_of)
    residual = residual[residual != 0]
    items = history.items.set_index(history.items["id"].to_numpy(dtype="int64"), drop=False)
    open_items = items.loc[residual.index, list(ITEM_COLUMNS)].copy()
    booked = residual.to_numpy() / 10**digits
    open_items["residual_booked"] = np.round(booked, digits)
    open_items["residual"] = _cash_value(open_items, booked, history, as_of)
    open_items = open_items.sort_values(["date", "id"], kind="stable")
    return typed(open_items, OPEN_ITEM_COLUMNS)


def _cash_value(open_items: pd.DataFrame, booked: np.ndarray, history: CashHistory, as_of: dt.date) -> np.ndarray:
    """Booked residuals with the foreign-currency ones revalued at the latest rate known on ``as_of``."""
    value = booked.copy()
    currency = open_items["currency"].astype("string").fillna(history.currency)
    foreign = (currency != history.currency).to_numpy()
    if foreign.any():
        rates = latest_rates(history.rates, as_of)
        rate = currency[foreign].map(rates).astype("float64").to_numpy()
        balance = open_items["balance"].to_numpy(dtype="float64")[foreign]
        amount_currency = open_items["amount_currency"].to_numpy(dtype="float64")[foreign]
        share = np.divide(booked[foreign], balance, out=np.zeros_like(balance), where=balance != 0)
        revalued = amount_currency * share / rate
        usable = np.isfinite(revalued) & (balance != 0)
        value[foreign] = np.where(usable, revalued, booked[foreign])
    return np.round(value, history.digits)


def open_order_lines_as_of(history: CashHistory, as_of: dt.date) -> pd.DataFrame:
    """Confirmed order lines not fully invoiced on ``as_of`` (OPEN_ORDER_COLUMNS).

    ``qty_invoiced`` is replaced by the quantity invoiced by ``as_of`` (invoices dated on or
    before it, refunds negative); ``remaining_amount`` is the not-yet-invoiced share of the taxed
    ``price_total`` (positive; fully invoiced lines are left out). ``qty_delivered`` and
    ``qty_received`` stay Odoo's figures on the extraction day (no delivery history is extracted),
    so on a past cut they may include deliveries made after it.
    """
    cut = pd.Timestamp(as_of)
    invoicing = history.order_invoicing[(history.order_invoicing["invoice_date"] <= cut).fillna(False).to_numpy()]
    frames = []
    for kind, lines, qty_column in (("sale", history.sale_lines, "product_uom_qty"),
                                    ("purchase", history.purchase_lines, "product_qty")):
        lines = lines[(lines["date_order"] <= cut).fillna(False).to_numpy()]
        if lines.empty:
            continue
        done = invoicing[(invoicing["order_kind"] == kind).fillna(False).to_numpy()]
        invoiced = done.groupby(done["order_line_id"].to_numpy(dtype="int64"))["quantity"].sum()
        ordered = lines[qty_column].to_numpy(dtype="float64")
        invoiced_qty = invoiced.reindex(lines["id"].to_numpy(dtype="int64"), fill_value=0.0).to_numpy()
        remaining_qty = ordered - invoiced_qty
        share = np.divide(remaining_qty, ordered, out=np.zeros_like(ordered), where=ordered > 0)
        remaining = np.round(lines["price_total"].to_numpy(dtype="float64") * np.clip(share, 0.0, 1.0),
                             history.digits)
        frame = lines.assign(kind=kind, ordered_qty=ordered, qty_invoiced=invoiced_qty,
                             remaining_qty=remaining_qty, remaining_amount=remaining)
        frames.append(frame[(np.rint(remaining * 10**history.digits) > 0) & (remaining_qty > 0)])
    if not frames:
        return empty_typed(OPEN_ORDER_COLUMNS)
    combined = pd.concat(frames, ignore_index=True)
    for column in OPEN_ORDER_COLUMNS:
        if column not in combined:
            combined[column] = None
    return typed(combined, OPEN_ORDER_COLUMNS)


def paid_items_as_of(history: CashHistory, as_of: dt.date) -> pd.DataFrame:
    """One row per cash settlement of an invoice or bill installment effective by ``as_of``
    (PAID_COLUMNS): a partial reconcile between an invoice/bill line and an entry of a bank or
    cash journal. Credit notes, write-offs and exchange differences are not cash and are left out."""
    cut = pd.Timestamp(as_of)
    recs = history.reconciliations[(history.reconciliations["max_date"] <= cut).fillna(False).to_numpy()]
    if recs.empty:
        return empty_paid()
    debit_is_invoice = recs["debit_move_type"].isin(INVOICE_MOVE_TYPES).fillna(False).to_numpy()
    credit_is_invoice = recs["credit_move_type"].isin(INVOICE_MOVE_TYPES).fillna(False).to_numpy()
    debit_is_cash = _is_cash(recs["debit_move_type"], recs["debit_journal_type"])
    credit_is_cash = _is_cash(recs["credit_move_type"], recs["credit_journal_type"])
    sides = [(recs[debit_is_invoice & credit_is_cash], "debit_move_id"),
             (recs[credit_is_invoice & debit_is_cash], "credit_move_id")]
    settlements = pd.concat([pd.DataFrame({"item_id": part[column].to_numpy(dtype="int64"),
                                           "amount": part["amount"].to_numpy(dtype="float64"),
                                           "paid_date": part["max_date"].to_numpy(),
                                           "partial_id": part["id"].to_numpy(dtype="int64")})
                             for part, column in sides], ignore_index=True)
    if settlements.empty:
        return empty_paid()
    items = history.items.set_index(history.items["id"].to_numpy(dtype="int64"))
    item = items.reindex(settlements["item_id"].to_numpy())
    due = item["date_maturity"].fillna(item["date"]).to_numpy(dtype="datetime64[ns]")
    paid = settlements["paid_date"].to_numpy(dtype="datetime64[ns]")
    frame = pd.DataFrame({
        "item_id": settlements["item_id"].to_numpy(),
        "move_id": item["move_id"].to_numpy(),
        "move_name": item["move_name"].to_numpy(),
        "kind": item["kind"].to_numpy(),
        "partner_id": item["partner_id"].to_numpy(),
        "partner_name": item["partner_name"].to_numpy(),
        "invoice_date": item["invoice_date"].to_numpy(),
        "due_date": due,
        "amount": settlements["amount"].to_numpy(),
        "paid_date": paid,
        "delay_days": (paid - due) / np.timedelta64(1, "D"),
        "partial_id": settlements["partial_id"].to_numpy(),
    }).sort_values(["paid_date", "item_id", "partial_id"], kind="stable")
    return typed(frame, PAID_COLUMNS)


def _ids(values: pd.Series) -> np.ndarray:
    """Record ids as int64 (a missing id, which Odoo never sends for these columns, becomes -1)."""
    return values.astype("Int64").fillna(-1).to_numpy(dtype="int64")


def _is_cash(move_types: pd.Series, journal_types: pd.Series) -> np.ndarray:
    return ((move_types == "entry") & journal_types.isin(CASH_JOURNAL_TYPES)).fillna(False).to_numpy()


def bank_balance_on(history: CashHistory, day: dt.date) -> float:
    """Balance of all bank and cash accounts at the end of ``day`` (company currency)."""
    bank = history.bank
    known = (bank["date"] <= pd.Timestamp(day)).fillna(False).to_numpy()
    total = int(to_minor(bank.loc[known, "amount"], history.digits).sum())
    return round(total / 10**history.digits, history.digits)


def actual_bank_flows(history: CashHistory, start: dt.date, end: dt.date) -> pd.DataFrame:
    """What the bank actually did each day in (``start``, ``end``]: one row per day, net amount
    (+ in, - out; 0 on quiet days) and the bank line ids behind it."""
    if end < start:
        raise ValueError(f"actual_bank_flows: the end {end} is before the start {start}")
    days = pd.date_range(pd.Timestamp(start) + pd.Timedelta(days=1), pd.Timestamp(end), freq="D")
    bank = history.bank
    dates = bank["date"]
    inside = ((dates > pd.Timestamp(start)) & (dates <= pd.Timestamp(end))).fillna(False).to_numpy()
    moves = bank[inside]
    minor = to_minor(moves["amount"], history.digits)
    by_day = minor.groupby(moves["date"].to_numpy()).sum().reindex(days, fill_value=0)
    ids = moves.sort_values("id")["id"].astype("int64").groupby(moves.sort_values("id")["date"].to_numpy())
    record_ids = ids.agg(tuple).reindex(days)
    return pd.DataFrame({
        "date": days.astype("datetime64[ns]"),
        "amount": np.round(by_day.to_numpy() / 10**history.digits, history.digits),
        "record_ids": [value if isinstance(value, tuple) else () for value in record_ids.to_numpy()],
    })
