"""Pulls the whole cash history of the connected company through the gateway, once.

Every frame of :mod:`ledgerpilot.calc.cash.history` is filled with a handful of paged extractions
(explicit fields, paged by id, never one RPC per record); the joins (item -> invoice and journal,
bank line -> counterpart line -> account, order line -> order) are done here in pandas. The pure
cash calculators then cut this history at any date (:mod:`ledgerpilot.calc.cash.cut`) without
going back to Odoo.

What is extracted, with Odoo 17 names:

- receivable/payable journal items: ``account.move.line`` of posted moves on ``asset_receivable`` /
  ``liability_payable`` accounts, with their journal's type and, for invoices, bills and refunds,
  the ``account.move`` data (type, invoice date, origin, payment term);
- ``account.partial.reconcile`` rows between those items (a match never crosses accounts);
- bank: posted lines on ``asset_cash`` accounts and, for each, the largest other line of its move;
- lines of confirmed sale / purchase orders and the invoice lines linked to them;
- ``account.payment.term.line`` and ``res.currency.rate``.

When the client keeps a cache folder, the paged reads go through the gateway's incremental cache
(:mod:`ledgerpilot.odoo.incremental`): a later run reads over RPC only what was written since.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

from ledgerpilot.calc.cash.frames import conform, empty_frame
from ledgerpilot.calc.cash.history import CashHistory
from ledgerpilot.calc.cash.rates import rate_on
from ledgerpilot.calc.errors import EmptyBooksError, NoBankJournalError
from ledgerpilot.tools.ledger.overview import company_info

Progress = Callable[[str], None]

ITEM_ACCOUNT_TYPES = {"asset_receivable": "receivable", "liability_payable": "payable"}
INVOICE_REFUND_TYPES = ("out_refund", "in_refund")
#: How many ids go into one ``('id', 'in', [...])`` page when a few records must be read by id.
ID_CHUNK = 2000

ITEM_FIELDS = ["move_id", "move_name", "journal_id", "account_type", "partner_id", "date", "date_maturity",
               "balance", "currency_id", "amount_currency"]
#: Read from the invoices, bills and refunds only; every other posted move is a plain ``entry``.
MOVE_FIELDS = ["move_type", "invoice_date", "invoice_origin", "invoice_payment_term_id"]
INVOICING_FIELDS = ["move_id", "date", "quantity"]
RECONCILE_FIELDS = ["debit_move_id", "credit_move_id", "amount", "max_date"]
BANK_FIELDS = ["move_id", "date", "balance", "partner_id", "name", "journal_id"]
COUNTERPART_FIELDS = ["move_id", "account_id", "balance"]
SALE_LINE_FIELDS = ["order_id", "order_partner_id", "product_uom_qty", "qty_delivered", "qty_invoiced",
                    "price_total", "currency_id"]
SALE_ORDER_FIELDS = ["name", "date_order", "commitment_date", "payment_term_id"]
PURCHASE_LINE_FIELDS = ["order_id", "partner_id", "product_qty", "qty_received", "qty_invoiced", "price_total",
                        "currency_id", "date_planned"]
PURCHASE_ORDER_FIELDS = ["name", "date_order", "payment_term_id"]
TERM_LINE_FIELDS = ["payment_id", "value", "value_amount", "nb_days", "delay_type"]
RATE_FIELDS = ["name", "rate", "currency_id"]

POSTED = ("parent_state", "=", "posted")


def _extract(client, model: str, fields: Sequence[str], domain: Sequence = ()) -> pd.DataFrame:
    """``client.extract``, incremental when the client keeps a cache folder (as the anomaly scan reads):
    a weekly run then reads only the records written since the last one. Reads of a few records by id
    stay plain (their domains change from run to run; a cache of each would only pile up)."""
    cached = getattr(client, "cache_dir", None) is not None
    return client.extract(model, list(fields), list(domain), incremental=cached)


def load_cash_history(client, *, progress: Progress | None = None,
                      today: dt.date | None = None) -> CashHistory:
    """Every frame the cash calculators need, extracted from the connected Odoo.

    ``today`` is the day the books are read on (nothing after it is known; default: the calendar
    day). Raises ``EmptyBooksError`` when the company has no posted journal items and
    ``NoBankJournalError`` when it has no bank or cash account. Missing apps (no Sales, no
    Purchase) give empty order frames and a note in ``source``.
    """
    step = progress or (lambda _stage: None)
    step("company")
    company = company_info(client)
    if client.search_count("account.move.line", [POSTED]) == 0:
        raise EmptyBooksError(company.name)
    if client.search_count("account.account", [("account_type", "=", "asset_cash")]) == 0:
        raise NoBankJournalError(company.name)
    notes: list[str] = []

    step("journals and accounts")
    journals = client.extract("account.journal", ["type"])
    accounts = client.extract("account.account", ["code", "name", "account_type"])
    step("currency rates")
    rates = _rates(client)
    step("invoices and bills")
    moves = _invoice_moves(client)
    step("receivables and payables")
    items = _items(client, moves, journals)
    step("reconciliations")
    reconciliations = _reconciliations(client, items)
    step("bank")
    bank = _bank(client, journals, accounts)
    step("sale orders")
    if client.has_model("sale.order.line"):
        sale_lines = _sale_lines(client, rates, company.currency, company.currency_digits)
        sale_invoicing = _sale_invoicing(client, moves)
    else:
        notes.append("the Sales app is not installed: no sale orders in the forecast")
        sale_lines, sale_invoicing = _empty("sale_lines"), _empty("order_invoicing")
    step("purchase orders")
    if client.has_model("purchase.order.line"):
        purchase_lines = _purchase_lines(client, rates, company.currency, company.currency_digits)
        purchase_invoicing = _purchase_invoicing(client, moves)
    else:
        notes.append("the Purchase app is not installed: no purchase orders in the forecast")
        purchase_lines, purchase_invoicing = _empty("purchase_lines"), _empty("order_invoicing")
    step("payment terms")
    payment_terms = _payment_terms(client)

    frames = {
        "items": items, "reconciliations": reconciliations, "bank": bank, "sale_lines": sale_lines,
        "purchase_lines": purchase_lines,
        "order_invoicing": _concat("order_invoicing", [sale_invoicing, purchase_invoicing]),
        "payment_terms": payment_terms, "rates": rates,
    }
    frames = {name: conform(name, frame) for name, frame in frames.items()}
    source = {"url": client.url, "db": client.db, "server_version": str(client.server_version),
              "company": company.name}
    source.update({f"hash.{name}": frame_hash(frame) for name, frame in frames.items()})
    if notes:
        source["notes"] = "; ".join(notes)
    return CashHistory(company_name=company.name, currency=company.currency, digits=company.currency_digits,
                       extracted_on=today or dt.date.today(), source=MappingProxyType(source), **frames)


def frame_hash(frame: pd.DataFrame) -> str:
    """A content hash of ``frame`` (columns, dtypes and values, row order included): the same books
    give the same hash from run to run (with the same pandas major version)."""
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    if len(frame):
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------- pieces

def _invoice_moves(client) -> pd.DataFrame:
    """Posted invoices, bills, refunds and receipts (not plain entries: payments, statement lines,
    valuation entries, which carry no invoice data), indexed by move id."""
    moves = _extract(client, "account.move", MOVE_FIELDS, [("state", "=", "posted"), ("move_type", "!=", "entry")])
    return moves.set_index("id", drop=False)


def _items(client, moves: pd.DataFrame, journals: pd.DataFrame) -> pd.DataFrame:
    lines = _extract(client, "account.move.line", ITEM_FIELDS,
                     [POSTED, ("account_type", "in", list(ITEM_ACCOUNT_TYPES))])
    move = moves.reindex(lines["move_id_id"].to_numpy())
    journal_type = pd.Series(journals["type"].to_numpy(), index=journals["id"].to_numpy())
    return pd.DataFrame({
        "id": lines["id"],
        "move_id": lines["move_id_id"],
        "move_name": _text(lines["move_name"]),
        "move_type": _text(move["move_type"].fillna("entry")),
        "journal_type": _text(lines["journal_id_id"].map(journal_type)),
        "kind": lines["account_type"].map(ITEM_ACCOUNT_TYPES).astype("string"),
        "partner_id": lines["partner_id_id"],
        "partner_name": _text(lines["partner_id_name"]),
        "date": lines["date"],
        "invoice_date": move["invoice_date"].to_numpy(),
        "date_maturity": lines["date_maturity"],
        "balance": lines["balance"],
        "currency": _text(lines["currency_id_name"]),
        "amount_currency": lines["amount_currency"],
        "origin": _text(move["invoice_origin"].fillna("")),
        "payment_term_id": move["invoice_payment_term_id_id"].to_numpy(),
    }).astype({"payment_term_id": "Int64"})


def _reconciliations(client, items: pd.DataFrame) -> pd.DataFrame:
    """Partial reconciles between receivable/payable items (both sides of a match share an account)."""
    partials = _extract(client, "account.partial.reconcile", RECONCILE_FIELDS)
    item_ids = items["id"].to_numpy()
    keep = partials["debit_move_id_id"].isin(item_ids) | partials["credit_move_id_id"].isin(item_ids)
    partials = partials[keep.fillna(False).to_numpy()]
    by_item = items.set_index("id")
    debit = by_item.reindex(partials["debit_move_id_id"].to_numpy())
    credit = by_item.reindex(partials["credit_move_id_id"].to_numpy())
    return pd.DataFrame({
        "id": partials["id"].to_numpy(),
        "debit_move_id": partials["debit_move_id_id"].to_numpy(),
        "credit_move_id": partials["credit_move_id_id"].to_numpy(),
        "amount": partials["amount"].to_numpy(),
        "max_date": partials["max_date"].to_numpy(),
        "debit_move_type": _text(debit["move_type"]),
        "credit_move_type": _text(credit["move_type"]),
        "debit_journal_type": _text(debit["journal_type"]),
        "credit_journal_type": _text(credit["journal_type"]),
    }).astype({"id": "Int64", "debit_move_id": "Int64", "credit_move_id": "Int64"})


def _bank(client, journals: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Bank and cash lines, each with the largest other line of its move as counterpart."""
    lines = _extract(client, "account.move.line", BANK_FIELDS, [POSTED, ("account_type", "=", "asset_cash")])
    cash_accounts = accounts.loc[accounts["account_type"] == "asset_cash", "id"].tolist()
    others = _counterpart_lines(client, lines, journals, cash_accounts)
    others = others[~others["account_id_id"].isin(cash_accounts).fillna(False).to_numpy()]
    others = others.assign(size=others["balance"].abs()).sort_values(["move_id_id", "size", "id"],
                                                                     ascending=[True, False, True])
    main = others.drop_duplicates("move_id_id").set_index("move_id_id")["account_id_id"]
    account_id = lines["move_id_id"].map(main).astype("Int64")
    by_account = accounts.set_index("id")
    account = by_account.reindex(account_id.to_numpy())
    return pd.DataFrame({
        "id": lines["id"],
        "move_id": lines["move_id_id"],
        "move_name": _text(lines["move_id_name"]),
        "date": lines["date"],
        "amount": lines["balance"],
        "partner_id": lines["partner_id_id"],
        "partner_name": _text(lines["partner_id_name"]),
        "label": _text(lines["name"]),
        "journal_id": lines["journal_id_id"],
        "counterpart_account_id": account_id,
        "counterpart_account_code": _text(account["code"]),
        "counterpart_account_name": _text(account["name"]),
        "counterpart_account_type": _text(account["account_type"]),
    })


def _counterpart_lines(client, bank_lines: pd.DataFrame, journals: pd.DataFrame,
                       cash_accounts: Sequence[int]) -> pd.DataFrame:
    """The other lines of the moves touching the bank: the bank/cash journals in one paged
    extraction, then the few moves booked elsewhere by id."""
    cash_journals = journals.loc[journals["type"].isin(["bank", "cash"]), "id"].tolist()
    frames = [_extract(client, "account.move.line", COUNTERPART_FIELDS,
                       [POSTED, ("journal_id", "in", cash_journals),
                        ("account_id", "not in", list(cash_accounts))])] if cash_journals else []
    elsewhere = bank_lines.loc[~bank_lines["journal_id_id"].isin(cash_journals).fillna(False).to_numpy(),
                               "move_id_id"].dropna().unique().tolist()
    for start in range(0, len(elsewhere), ID_CHUNK):
        chunk = [int(i) for i in elsewhere[start:start + ID_CHUNK]]
        frames.append(client.extract("account.move.line", COUNTERPART_FIELDS, [("move_id", "in", chunk)]))
    if not frames:
        return client.extract("account.move.line", COUNTERPART_FIELDS, [("id", "=", 0)])
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _order_lines(client, rates: pd.DataFrame, company_currency: str, digits: int, *, model: str,
                 line_fields: list[str], order_fields: list[str], states: list[str], partner: str,
                 own: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Confirmed order lines of ``model`` (``sale.order``/``purchase.order``) with their order's facts.

    The two models name the same facts differently (``order_partner_id`` vs ``partner_id``, delivered
    vs received quantities); ``partner`` is the line's partner field and ``own`` maps each column only
    one of them has to ``(source, field)``: "line" (as read), "line_day" or "order_day" (a date).
    """
    lines = _extract(client, f"{model}.line", line_fields, [("state", "in", states), ("display_type", "=", False)])
    orders = _extract(client, model, order_fields, [("state", "in", states)])
    order = orders.set_index("id").reindex(lines["order_id_id"].to_numpy())
    date_order = _day(order["date_order"])
    columns = {
        "id": lines["id"],
        "order_id": lines["order_id_id"],
        "order_name": _text(order["name"]),
        "partner_id": lines[f"{partner}_id"],
        "partner_name": _text(lines[f"{partner}_name"]),
        "date_order": date_order,
    }
    for column, (source, field) in own.items():
        if source == "line_day":
            columns[column] = _day(lines[field])
        elif source == "order_day":
            columns[column] = _day(order[field])
        else:
            columns[column] = lines[field]
    columns.update({
        "payment_term_id": order["payment_term_id_id"].to_numpy(),
        "qty_invoiced": lines["qty_invoiced"],
        "price_total": _to_company(lines["price_total"], lines["currency_id_name"], date_order, rates,
                                   company_currency, digits),
        "currency": _text(lines["currency_id_name"]),
    })
    return pd.DataFrame(columns).astype({"payment_term_id": "Int64"})


def _sale_lines(client, rates: pd.DataFrame, company_currency: str, digits: int) -> pd.DataFrame:
    return _order_lines(client, rates, company_currency, digits, model="sale.order", line_fields=SALE_LINE_FIELDS,
                        order_fields=SALE_ORDER_FIELDS, states=["sale", "done"], partner="order_partner_id",
                        own={"commitment_date": ("order_day", "commitment_date"),
                             "product_uom_qty": ("line", "product_uom_qty"),
                             "qty_delivered": ("line", "qty_delivered")})


def _purchase_lines(client, rates: pd.DataFrame, company_currency: str, digits: int) -> pd.DataFrame:
    return _order_lines(client, rates, company_currency, digits, model="purchase.order",
                        line_fields=PURCHASE_LINE_FIELDS, order_fields=PURCHASE_ORDER_FIELDS,
                        states=["purchase", "done"], partner="partner_id",
                        own={"date_planned": ("line_day", "date_planned"),
                             "product_qty": ("line", "product_qty"),
                             "qty_received": ("line", "qty_received")})


def _sale_invoicing(client, moves: pd.DataFrame) -> pd.DataFrame:
    lines = _extract(client, "account.move.line", [*INVOICING_FIELDS, "sale_line_ids"],
                     [POSTED, ("sale_line_ids", "!=", False)])
    exploded = lines.explode("sale_line_ids")
    return _invoicing(exploded, exploded["sale_line_ids"], "sale", moves)


def _purchase_invoicing(client, moves: pd.DataFrame) -> pd.DataFrame:
    lines = _extract(client, "account.move.line", [*INVOICING_FIELDS, "purchase_line_id"],
                     [POSTED, ("purchase_line_id", "!=", False)])
    return _invoicing(lines, lines["purchase_line_id_id"], "purchase", moves)


def _invoicing(lines: pd.DataFrame, order_line_ids: pd.Series, kind: str, moves: pd.DataFrame) -> pd.DataFrame:
    """Invoiced quantities by order line and invoice date; refunds count negative."""
    move = moves.reindex(lines["move_id_id"].to_numpy())
    refund = move["move_type"].isin(INVOICE_REFUND_TYPES).fillna(False).to_numpy()
    invoice_date = move["invoice_date"].fillna(pd.Series(lines["date"].to_numpy(), index=move.index))
    quantity = lines["quantity"].to_numpy(dtype="float64")
    frame = pd.DataFrame({
        "order_line_id": pd.array(pd.to_numeric(order_line_ids, errors="coerce"), dtype="Int64"),
        "order_kind": pd.array([kind] * len(lines), dtype="string"),
        "invoice_date": invoice_date.to_numpy(),
        "quantity": np.where(refund, -np.abs(quantity), quantity),
    })
    return frame[frame["order_line_id"].notna().to_numpy()]


def _payment_terms(client) -> pd.DataFrame:
    terms = client.extract("account.payment.term.line", TERM_LINE_FIELDS)
    return pd.DataFrame({
        "payment_term_id": terms["payment_id_id"],
        "value": _text(terms["value"]),
        "value_amount": terms["value_amount"],
        "nb_days": terms["nb_days"],
        "delay_type": _text(terms["delay_type"]),
    })


def _rates(client) -> pd.DataFrame:
    rates = client.extract("res.currency.rate", RATE_FIELDS)
    frame = pd.DataFrame({"currency": _text(rates["currency_id_name"]), "date": rates["name"],
                          "rate": rates["rate"]})
    return frame.sort_values(["currency", "date"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- helpers

def _to_company(amounts: pd.Series, currencies: pd.Series, days: pd.Series, rates: pd.DataFrame,
                company_currency: str, digits: int) -> np.ndarray:
    """Amounts in their document currency -> company currency at the latest rate known on ``days``
    (Odoo's rate is units of the currency per company unit). Unknown rates leave the amount as is."""
    values = amounts.to_numpy(dtype="float64")
    foreign = (currencies.astype("string").fillna(company_currency) != company_currency).to_numpy()
    if not foreign.any():
        return values
    rate = rate_on(rates, currencies[foreign], days[foreign])
    converted = values.copy()
    converted[foreign] = np.where(np.isnan(rate), values[foreign], values[foreign] / rate)
    return np.round(converted, digits)


def _day(values: pd.Series) -> np.ndarray:
    """A datetime column (Odoo datetimes are UTC) reduced to its day."""
    return pd.to_datetime(values).dt.normalize().to_numpy(dtype="datetime64[ns]")


def _text(values: pd.Series) -> pd.arrays.StringArray:
    return pd.array(values.to_numpy(dtype=object), dtype="string")


def _empty(name: str) -> pd.DataFrame:
    return empty_frame(name)


def _concat(name: str, frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return _empty(name)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
