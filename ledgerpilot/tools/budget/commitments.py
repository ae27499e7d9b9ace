"""Commitments: what confirmed purchase orders will still bill, by analytic account.

A purchase order line in state ``purchase`` or ``done`` commits ``(product_qty - qty_invoiced) *
price_unit * (1 - discount / 100)`` untaxed, in the order currency, converted to the company
currency with the order's ``currency_rate`` (units of order currency per company unit, as Odoo's
own budget report does). The amount is split by the line's ``analytic_distribution`` to the cent
(:mod:`budget_split`); a line without a distribution keeps one row with no analytic account and
share 1 (a budget by account can still use it). Lines billed in full (or over) commit nothing.

The expense account a line will book to is the product's expense account, else its category's.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ledgerpilot.calc.budget.frames import conform, empty_frame
from ledgerpilot.tools.budget.errors import PurchaseOrderNotFoundError
from ledgerpilot.tools.budget.split import explode_distribution, split_amounts

ID_CHUNK = 2000
CONFIRMED = ("purchase", "done")
LINE_FIELDS = ["order_id", "product_id", "product_qty", "qty_invoiced", "price_unit", "discount",
               "analytic_distribution", "date_planned", "display_type"]
ORDER_FIELDS = ["name", "state", "partner_id", "currency_rate"]


def load_commitments(client, plan_of: Mapping[int, int], digits: int) -> pd.DataFrame:
    """Open commitments of every confirmed purchase order (empty without the Purchase app)."""
    if not client.has_model("purchase.order.line"):
        return empty_frame("commitments")
    orders = client.extract("purchase.order", ORDER_FIELDS, [("state", "in", list(CONFIRMED))])
    lines = client.extract("purchase.order.line", _line_fields(client),
                           [("state", "in", list(CONFIRMED)), ("display_type", "=", False)])
    return commitment_rows(lines, orders, _expense_accounts(client, lines["product_id_id"]), plan_of, digits)


def load_purchase_order(client, name: str, plan_of: Mapping[int, int], digits: int) -> pd.DataFrame:
    """The lines of the purchase order ``name`` (any state but cancelled: a draft RFQ too), in the
    ``commitments`` shape: what it would still bill, split by analytic account."""
    if not client.has_model("purchase.order"):
        raise PurchaseOrderNotFoundError(name)
    orders = client.extract("purchase.order", ORDER_FIELDS, [("name", "=", name), ("state", "!=", "cancel")])
    if orders.empty:
        raise PurchaseOrderNotFoundError(name)
    lines = client.extract("purchase.order.line", _line_fields(client),
                           [("order_id", "in", [int(i) for i in orders["id"]]), ("display_type", "=", False)])
    return commitment_rows(lines, orders, _expense_accounts(client, lines["product_id_id"]), plan_of, digits)


def commitment_rows(lines: pd.DataFrame, orders: pd.DataFrame, expense_account: Mapping[int, int],
                    plan_of: Mapping[int, int], digits: int) -> pd.DataFrame:
    """Commitment rows from typed extractions of order lines and their orders (pure).

    ``expense_account`` maps product id -> the account its bills book to.
    """
    order = orders.set_index("id").reindex(lines["order_id_id"].to_numpy())
    keep = order["name"].notna().to_numpy(dtype=bool)
    lines, order = lines[keep].reset_index(drop=True), order[keep]
    remaining = lines["product_qty"].to_numpy(dtype="float64") - lines["qty_invoiced"].to_numpy(dtype="float64")
    open_ = remaining > 1e-9
    lines, order, remaining = lines[open_].reset_index(drop=True), order[open_], remaining[open_]
    if lines.empty:
        return empty_frame("commitments")
    discount = lines["discount"].to_numpy(dtype="float64") if "discount" in lines else np.zeros(len(lines))
    rate = order["currency_rate"].to_numpy(dtype="float64")
    rate = np.where((rate > 0) & ~np.isnan(rate), rate, 1.0)
    value = remaining * lines["price_unit"].to_numpy(dtype="float64") * (1 - discount / 100.0) / rate
    distributions = lines["analytic_distribution"].map(lambda d: d if d else {"": 100.0})
    exploded = _explode_with_blank(distributions, plan_of)
    amounts = split_amounts(exploded, value, digits)
    row = exploded["row"].to_numpy()
    products = lines["product_id_id"].to_numpy(dtype="float64", na_value=np.nan)
    general = [expense_account.get(int(p)) if not np.isnan(p) else None for p in products]
    frame = pd.DataFrame({
        "po_line_id": lines["id"].to_numpy()[row],
        "order_id": lines["order_id_id"].to_numpy()[row],
        "order_name": order["name"].to_numpy()[row],
        "order_state": order["state"].to_numpy()[row],
        "partner_name": order["partner_id_name"].to_numpy()[row],
        "analytic_account_id": exploded["analytic_account_id"].astype("Int64").to_numpy(),
        "share": exploded["percent"].to_numpy() / 100.0,
        "amount": amounts,
        "date_planned": pd.to_datetime(lines["date_planned"]).dt.normalize().to_numpy()[row],
        "general_account_id": pd.array(general, dtype="Int64")[row],
    })
    return conform("commitments", frame)


def _explode_with_blank(distributions: pd.Series, plan_of: Mapping[int, int]) -> pd.DataFrame:
    """As :func:`explode_distribution`, a blank key ``""`` standing for "no analytic account"."""
    marker = -1
    marked = distributions.map(lambda d: {(str(marker) if k == "" else k): v for k, v in d.items()})
    exploded = explode_distribution(marked, {**plan_of, marker: 0})
    ids = exploded["analytic_account_id"].astype("Int64")
    exploded["analytic_account_id"] = ids.mask(ids == marker)
    return exploded


def _line_fields(client) -> list[str]:
    known = client.fields_get("purchase.order.line")
    return [name for name in LINE_FIELDS if name in known]


def _expense_accounts(client, product_ids: pd.Series) -> dict[int, int]:
    """product id -> expense account (the product's, else its category's), read by id in pages."""
    ids = sorted({int(i) for i in product_ids.dropna().unique()})
    if not ids:
        return {}
    product_fields = client.fields_get("product.product")
    if "property_account_expense_id" not in product_fields:
        return {}
    frames = [client.extract("product.product", ["property_account_expense_id", "categ_id"],
                             [("id", "in", ids[start:start + ID_CHUNK])], context={"active_test": False})
              for start in range(0, len(ids), ID_CHUNK)]
    products = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    category: dict[int, int] = {}
    if "property_account_expense_categ_id" in client.fields_get("product.category"):
        categories = client.extract("product.category", ["property_account_expense_categ_id"])
        category = dict(zip(categories["id"].tolist(),
                            categories["property_account_expense_categ_id_id"].astype(object).tolist()))
    accounts: dict[int, int] = {}
    for pid, own, categ in zip(products["id"].tolist(), products["property_account_expense_id_id"].astype(object),
                               products["categ_id_id"].astype(object)):
        account = own if own is not pd.NA and own is not None else category.get(categ) if categ is not pd.NA else None
        if account is not None and account is not pd.NA:
            accounts[int(pid)] = int(account)
    return accounts
