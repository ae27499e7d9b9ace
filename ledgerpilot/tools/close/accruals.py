"""What the accrual, prepaid and reversal proposals of a month need, read once through the gateway.

:func:`load_accrual_data` fills :class:`~ledgerpilot.calc.close.accruals.frames.AccrualData` with a
handful of paged extractions (explicit fields, ids in chunks, never one RPC per record):

- the company, its accounts, the miscellaneous journal (code ``journal_code``, else the first
  general journal that is not the exchange-difference one) and the account accruals credit (code
  ``accrued_account_code``, else the company's ``expense_accrual_account_id``, else the first current
  liability named "accrued");
- confirmed purchase order lines with more received than billed, their orders, month-end exchange
  rates, the account a bill of each product books to, and their done receipts (stock moves);
- product lines of posted vendor bills of the twelve months before the month and the month itself;
- journal items on prepaid-expense accounts up to the month end, and the account their earlier
  amortisations were expensed to;
- the references of entries dated in the month and the next one, so nothing is proposed twice, and
  the vendors already credited on the accrued-expenses account in the month (accruals by hand).

Without the Purchase app the goods-received-not-billed accruals are skipped (``skipped`` says so);
without Inventory the received quantities of the order lines are used as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from ledgerpilot.calc.close.accruals.frames import COLUMNS, AccrualData, AccrualRules, empty_frame
from ledgerpilot.domain.month import Month
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.tools.ledger.overview import company_info

Progress = Callable[[str], None]

ID_CHUNK = 2000
HISTORY_MONTHS = 12
CONFIRMED = ("purchase", "done")
PREPAID_TYPE = "asset_prepayments"

__all__ = ["AccrualConfigError", "AccrualData", "load_accrual_data"]


class AccrualConfigError(LedgerpilotError):
    """A configured account or journal that the database does not have."""

    exit_code = 2


def load_accrual_data(client, month: Month, *, today: dt.date, progress: Progress | None = None,
                      journal_code: str | None = None, accrued_account_code: str | None = None,
                      rules: AccrualRules | None = None) -> AccrualData:
    """Everything :func:`~ledgerpilot.calc.close.accruals.propose_accruals` needs for ``month``."""
    step = progress or (lambda _stage: None)
    skipped: list[str] = []
    step("company")
    company = company_info(client)
    step("accounts and journals")
    accounts = client.extract("account.account", ["code", "name", "account_type"], context={"active_test": False})
    labels = {int(i): f"{c} {n}" for i, c, n in zip(accounts["id"], accounts["code"].fillna(""),
                                                     accounts["name"].fillna(""))}
    journals = client.extract("account.journal", ["code", "name", "type", "sequence", "default_account_id"])
    journal = misc_journal(client, journals, company.id, journal_code)
    accrued = _accrued_account(client, accounts, company.id, accrued_account_code)
    if journal is None:
        skipped.append("no general journal found for adjusting entries")
    if accrued is None:
        skipped.append("no accrued-expenses account found: set one (an account of type current liability)")
    purchase_default = _purchase_default_account(journals)
    step("vendor bills")
    bill_lines = _bill_lines(client, month)
    step("purchase orders")
    purchase_lines, receipt_moves = _purchases(client, month, company.id, company.currency, bill_lines,
                                               purchase_default, skipped)
    step("prepaid expenses")
    prepaid_lines = _prepaid_lines(client, month, accounts, purchase_default, skipped)
    step("existing entries")
    existing = _existing_refs(client, month)
    accrued_partners = _accrued_partners(client, month, accrued) if accrued is not None else {}
    return AccrualData(
        company_name=company.name, currency=company.currency, digits=company.currency_digits, month=month,
        today=today, journal_id=journal[0] if journal else None, journal_name=journal[1] if journal else "",
        accrued_account_id=accrued, accrued_account_name=labels.get(accrued, "") if accrued else "",
        accounts=labels, purchase_lines=purchase_lines, receipt_moves=receipt_moves, bill_lines=bill_lines,
        prepaid_lines=prepaid_lines, existing_refs=existing, skipped=tuple(skipped), rules=rules or AccrualRules(),
        accrued_partners=accrued_partners)


# ----------------------------------------------------------------------------------- company settings

def misc_journal(client, journals: pd.DataFrame, company_id: int,
                  code: str | None) -> tuple[int, str] | None:
    if code is not None:
        found = journals[journals["code"] == code]
        if found.empty:
            raise AccrualConfigError(f"no journal with code {code!r} for adjusting entries")
        return int(found["id"].iloc[0]), str(found["name"].iloc[0])
    general = journals[journals["type"] == "general"].sort_values(["sequence", "id"])
    misc = general[general["code"] == "MISC"]
    if not misc.empty:
        return int(misc["id"].iloc[0]), str(misc["name"].iloc[0])
    if "currency_exchange_journal_id" in client.fields_get("res.company"):
        row = client.read("res.company", [company_id], ["currency_exchange_journal_id"])[0]
        exchange = row["currency_exchange_journal_id"][0] if row["currency_exchange_journal_id"] else None
        general = general[general["id"] != exchange]
    if general.empty:
        return None
    return int(general["id"].iloc[0]), str(general["name"].iloc[0])


def _accrued_account(client, accounts: pd.DataFrame, company_id: int, code: str | None) -> int | None:
    if code is not None:
        found = accounts[accounts["code"] == code]
        if found.empty:
            raise AccrualConfigError(f"no account with code {code!r} to credit accruals to")
        return int(found["id"].iloc[0])
    if "expense_accrual_account_id" in client.fields_get("res.company"):
        row = client.read("res.company", [company_id], ["expense_accrual_account_id"])[0]
        if row["expense_accrual_account_id"]:
            return int(row["expense_accrual_account_id"][0])
    current = accounts[(accounts["account_type"] == "liability_current")
                       & accounts["name"].fillna("").str.contains("accru", case=False)].sort_values("code")
    return int(current["id"].iloc[0]) if not current.empty else None


def _purchase_default_account(journals: pd.DataFrame) -> int | None:
    """The default account of the first purchase journal: where a bill line without product goes."""
    purchase = journals[journals["type"] == "purchase"].sort_values(["sequence", "id"])
    if purchase.empty or "default_account_id_id" not in purchase:
        return None
    value = purchase["default_account_id_id"].iloc[0]
    return None if pd.isna(value) else int(value)


# ----------------------------------------------------------------------------------- vendor bills

def _bill_lines(client, month: Month) -> pd.DataFrame:
    start = month.shift(-HISTORY_MONTHS).start
    domain = [("parent_state", "=", "posted"), ("move_id.move_type", "in", ["in_invoice", "in_refund"]),
              ("display_type", "=", "product"), ("date", ">=", start.isoformat()),
              ("date", "<=", month.end.isoformat())]
    fields = ["move_id", "move_name", "partner_id", "date", "account_id", "analytic_distribution", "balance",
              "product_id"]
    rows = client.extract("account.move.line", fields, domain)
    return pd.DataFrame({
        "line_id": rows["id"], "move_id": rows["move_id_id"], "move_name": rows["move_name"],
        "partner_id": rows["partner_id_id"], "partner_name": rows["partner_id_name"], "date": rows["date"],
        "account_id": rows["account_id_id"], "analytic_distribution": rows["analytic_distribution"],
        "balance": rows["balance"], "product_id": rows["product_id_id"]}, columns=list(COLUMNS["bill_lines"]))


# ----------------------------------------------------------------------------------- purchases

def _chunks(ids: Sequence[int]) -> list[list[int]]:
    ordered = sorted({int(i) for i in ids})
    return [ordered[i:i + ID_CHUNK] for i in range(0, len(ordered), ID_CHUNK)]


def _extract_by_ids(client, model: str, fields: list[str], ids: Sequence[int], field: str = "id",
                    extra: Sequence[Any] = (), context: dict | None = None) -> pd.DataFrame | None:
    frames = [client.extract(model, fields, [(field, "in", chunk), *extra], context=context)
              for chunk in _chunks(ids)]
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _purchases(client, month: Month, company_id: int, company_currency: str, bill_lines: pd.DataFrame,
               fallback_account: int | None, skipped: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not client.has_model("purchase.order.line"):
        skipped.append("goods received not billed: the Purchase app is not installed, so there are no "
                       "purchase orders to accrue from")
        return empty_frame("purchase_lines"), empty_frame("receipt_moves")
    known = client.fields_get("purchase.order.line")
    fields = [f for f in ("order_id", "product_id", "name", "qty_received", "qty_invoiced", "price_unit",
                          "discount", "analytic_distribution") if f in known]
    domain: list[Any] = [("state", "in", list(CONFIRMED)), ("qty_received", ">", 0)]
    if "display_type" in known:
        domain.append(("display_type", "=", False))
    lines = client.extract("purchase.order.line", fields, domain)
    lines = lines[lines["qty_received"] - lines["qty_invoiced"] > 1e-6].reset_index(drop=True)
    if lines.empty:
        return empty_frame("purchase_lines"), empty_frame("receipt_moves")
    orders = _extract_by_ids(client, "purchase.order", ["name", "partner_id", "currency_id", "currency_rate"],
                             lines["order_id_id"].dropna().tolist())
    orders = orders.set_index("id")
    rates = _month_end_rates(client, month, company_id, orders)
    currency_ids = sorted({int(i) for i in orders["currency_id_id"].dropna()})
    decimals = {int(r["id"]): int(r["decimal_places"]) for r in
                client.read("res.currency", currency_ids, ["decimal_places"])} if currency_ids else {}
    accounts = _expense_accounts(client, lines["product_id_id"], bill_lines, fallback_account)
    order = orders.reindex(lines["order_id_id"].astype("int64").to_numpy())
    currency = order["currency_id_name"].fillna(company_currency).to_numpy()
    rate = [1.0 if cur == company_currency else rates.get(cur, r) for cur, r in
            zip(currency, order["currency_rate"].fillna(0.0).to_numpy())]
    purchase_lines = pd.DataFrame({
        "line_id": lines["id"], "order_id": lines["order_id_id"], "order_name": order["name"].to_numpy(),
        "partner_id": order["partner_id_id"].to_numpy(), "partner_name": order["partner_id_name"].to_numpy(),
        "product_id": lines["product_id_id"], "product_name": lines["product_id_name"],
        "description": lines.get("name", None), "qty_received": lines["qty_received"],
        "qty_invoiced": lines["qty_invoiced"], "price_unit": lines["price_unit"],
        "discount": lines.get("discount", 0.0), "currency": currency,
        "currency_digits": [decimals.get(int(c)) if not pd.isna(c) else None for c in order["currency_id_id"]],
        "rate": rate,
        "analytic_distribution": lines.get("analytic_distribution", None),
        "expense_account_id": [accounts.get(int(p)) if not pd.isna(p) else fallback_account
                               for p in lines["product_id_id"]]}, columns=list(COLUMNS["purchase_lines"]))
    if not client.has_model("stock.move"):
        skipped.append("receipts: the Inventory app is not installed; received quantities are taken from the "
                       "purchase order lines")
        return purchase_lines, empty_frame("receipt_moves")
    moves = _extract_by_ids(client, "stock.move", ["purchase_line_id", "picking_id", "date", "quantity"],
                            lines["id"].tolist(), field="purchase_line_id", extra=[("state", "=", "done")])
    receipt_moves = pd.DataFrame({
        "move_id": moves["id"], "purchase_line_id": moves["purchase_line_id_id"],
        "picking_id": moves["picking_id_id"], "picking_name": moves["picking_id_name"], "date": moves["date"],
        "quantity": moves["quantity"]}, columns=list(COLUMNS["receipt_moves"]))
    return purchase_lines, receipt_moves


def _month_end_rates(client, month: Month, company_id: int, orders: pd.DataFrame) -> dict[str, float]:
    """Currency name -> units per company unit at the month end (from ``res.currency.rate`` if served):
    the latest rate dated up to the month end, the company's own before a shared one of the same day."""
    if not client.has_model("res.currency.rate"):
        return {}
    currency_ids = orders["currency_id_id"].dropna().astype("int64").unique().tolist()
    if not currency_ids:
        return {}
    rows = client.extract("res.currency.rate", ["name", "rate", "currency_id", "company_id"],
                          [("currency_id", "in", currency_ids), ("name", "<=", month.end.isoformat()),
                           ("company_id", "in", [company_id, False])])
    if rows.empty:
        return {}
    rows = rows.assign(own=rows["company_id_id"].notna())
    latest = rows.sort_values(["currency_id_id", "name", "own"]).groupby("currency_id_id").tail(1)
    return {str(name): float(rate) for name, rate in zip(latest["currency_id_name"], latest["rate"]) if rate > 0}


def _expense_accounts(client, product_ids: pd.Series, bill_lines: pd.DataFrame,
                      fallback: int | None) -> dict[int, int]:
    """product id -> the account a bill of it books to.

    In order: the category's stock input account for goods valued in real time (Anglo-Saxon bills
    book there), the product's expense account, its category's, the account of the product's latest
    bill line, the purchase journal's default account.
    """
    ids = sorted({int(i) for i in product_ids.dropna().unique()})
    if not ids:
        return {}
    product_fields = client.fields_get("product.product")
    wanted = [f for f in ("property_account_expense_id", "categ_id") if f in product_fields]
    products = _extract_by_ids(client, "product.product", wanted, ids, context={"active_test": False})
    categories: dict[int, dict[str, Any]] = {}
    if "categ_id" in wanted and client.has_model("product.category"):
        known = client.fields_get("product.category")
        cat_fields = [f for f in ("property_account_expense_categ_id", "property_stock_account_input_categ_id",
                                  "property_valuation") if f in known]
        if cat_fields:
            rows = client.extract("product.category", cat_fields)
            for row in rows.to_dict("records"):
                categories[int(row["id"])] = row
    history: dict[int, int] = {}
    if not bill_lines.empty:
        latest = bill_lines.dropna(subset=["product_id", "account_id"]).sort_values(["date", "line_id"])
        history = {int(p): int(a) for p, a in zip(latest["product_id"], latest["account_id"])}
    found: dict[int, int] = {}
    for row in products.to_dict("records"):
        pid = int(row["id"])
        category = categories.get(_int(row.get("categ_id_id")) or -1, {})
        candidates = [
            category.get("property_stock_account_input_categ_id_id")
            if category.get("property_valuation") == "real_time" else None,
            row.get("property_account_expense_id_id"),
            category.get("property_account_expense_categ_id_id"),
            history.get(pid),
            fallback,
        ]
        account = next((_int(c) for c in candidates if _int(c) is not None), None)
        if account is not None:
            found[pid] = account
    return found


def _int(value: Any) -> int | None:
    if value is None or value is False or (not isinstance(value, (int, str)) and pd.isna(value)):
        return None
    return int(value)


# ----------------------------------------------------------------------------------- prepaid expenses

def _prepaid_lines(client, month: Month, accounts: pd.DataFrame, fallback: int | None,
                   skipped: list[str]) -> pd.DataFrame:
    prepaid = accounts[accounts["account_type"] == PREPAID_TYPE]
    if prepaid.empty:
        skipped.append("prepaid amortisation: the chart has no prepaid-expense account (type asset_prepayments)")
        return empty_frame("prepaid_lines")
    ids = [int(i) for i in prepaid["id"]]
    codes = dict(zip(prepaid["id"].astype("int64"), prepaid["code"]))
    fields = ["move_id", "move_name", "ref", "account_id", "date", "name", "partner_id", "analytic_distribution",
              "balance"]
    rows = client.extract("account.move.line", fields, [("account_id", "in", ids), ("parent_state", "=", "posted"),
                                                        ("date", "<=", month.end.isoformat())])
    expense = _amortisation_accounts(client, rows, set(ids))
    return pd.DataFrame({
        "line_id": rows["id"], "move_id": rows["move_id_id"], "move_name": rows["move_name"], "ref": rows["ref"],
        "account_id": rows["account_id_id"], "account_code": [codes.get(int(a)) for a in rows["account_id_id"]],
        "date": rows["date"], "name": rows["name"], "partner_id": rows["partner_id_id"],
        "analytic_distribution": rows["analytic_distribution"], "balance": rows["balance"],
        "expense_account_id": [expense.get(int(a), fallback) for a in rows["account_id_id"]]},
        columns=list(COLUMNS["prepaid_lines"]))


def _amortisation_accounts(client, rows: pd.DataFrame, prepaid_ids: set[int]) -> dict[int, int]:
    """prepaid account -> the account most often debited in the entries that credited it before."""
    credits = rows[rows["balance"] < 0]
    if credits.empty:
        return {}
    others = _extract_by_ids(client, "account.move.line", ["move_id", "account_id", "balance"],
                             credits["move_id_id"].dropna().tolist(), field="move_id",
                             extra=[("balance", ">", 0)])
    others = others[~others["account_id_id"].isin(list(prepaid_ids))]
    account_of_move = dict(zip(credits["move_id_id"], credits["account_id_id"]))
    found: dict[int, int] = {}
    pairs = pd.DataFrame({"prepaid": [account_of_move.get(m) for m in others["move_id_id"]],
                          "expense": others["account_id_id"]}).dropna()
    for prepaid, group in pairs.groupby("prepaid"):
        found[int(prepaid)] = int(group["expense"].mode().sort_values().iloc[0])
    return found


# ----------------------------------------------------------------------------------- what exists already

def _existing_refs(client, month: Month) -> dict[str, int]:
    """ref -> entry id of the non-cancelled entries dated in the month or the next one."""
    rows = client.extract("account.move", ["ref", "state"],
                          [("move_type", "=", "entry"), ("state", "!=", "cancel"),
                           ("date", ">=", month.start.isoformat()), ("date", "<=", month.next().end.isoformat())])
    found: dict[str, int] = {}
    for move_id, ref in zip(rows["id"], rows["ref"]):
        if isinstance(ref, str) and ref:
            found.setdefault(ref, int(move_id))
    return found


def _accrued_partners(client, month: Month, accrued: int) -> dict[int, int]:
    """vendor -> entry of the month (draft or posted) that credits the accrued-expenses account for it."""
    rows = client.extract("account.move.line", ["move_id", "partner_id", "balance"],
                          [("account_id", "=", accrued), ("parent_state", "!=", "cancel"),
                           ("date", ">=", month.start.isoformat()), ("date", "<=", month.end.isoformat()),
                           ("partner_id", "!=", False), ("balance", "<", 0)])
    found: dict[int, int] = {}
    for partner, move in zip(rows["partner_id_id"], rows["move_id_id"]):
        found.setdefault(int(partner), int(move))
    return found
