"""Company overview: bank position, receivables/payables ageing, open orders. Pure functions.

Inputs are DataFrames as the gateway extracts them (many2one split into ``<field>_id`` and
``<field>_name``, monetary columns as floats already rounded by Odoo). Amounts are summed exactly in
integer minor units and returned as ``Decimal``; every figure carries the record ids behind it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from ledgerpilot.domain.money import minor_to_decimal, to_minor

#: Ageing buckets in days past due: (label, lowest day, highest day or None).
DEFAULT_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("not due", -10**6, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("over 90", 91, None),
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class AgeingBucket(_Frozen):
    label: str
    amount: Decimal
    count: int
    record_ids: tuple[int, ...]  # account.move.line ids


class PartnerBalance(_Frozen):
    partner_id: int | None
    partner_name: str
    amount: Decimal
    overdue: Decimal
    record_ids: tuple[int, ...]


class Ageing(_Frozen):
    kind: Literal["receivable", "payable"]
    as_of: dt.date
    currency: str
    total: Decimal      # net: what is owed less unapplied credits
    overdue: Decimal    # amounts owed past their due date (credits left out)
    credits: Decimal    # unapplied credits and advances (refunds, payments not matched), as a positive amount
    buckets: tuple[AgeingBucket, ...]
    top_partners: tuple[PartnerBalance, ...]


class BankAccountBalance(_Frozen):
    account_id: int
    account_name: str
    balance: Decimal
    line_count: int


class BankPosition(_Frozen):
    as_of: dt.date
    currency: str
    total: Decimal
    accounts: tuple[BankAccountBalance, ...]


class OpenOrder(_Frozen):
    order_id: int
    order_name: str
    partner_name: str
    amount: Decimal  # untaxed amount still to invoice / to be billed


class OpenOrders(_Frozen):
    kind: Literal["sale", "purchase"]
    currency: str
    count: int
    amount: Decimal
    largest: tuple[OpenOrder, ...]
    record_ids: tuple[int, ...]  # order ids


def _days_past_due(frame: pd.DataFrame, as_of: dt.date) -> np.ndarray:
    due = frame["date_maturity"].fillna(frame["date"]) if "date" in frame else frame["date_maturity"]
    return (pd.Timestamp(as_of) - pd.to_datetime(due)).dt.days.fillna(0).to_numpy()


def ageing(lines: pd.DataFrame, as_of: dt.date, kind: Literal["receivable", "payable"], currency: str,
           digits: int = 2, buckets: Sequence[tuple[str, int, int | None]] = DEFAULT_BUCKETS,
           top: int = 5) -> Ageing:
    """Age open receivable or payable journal items by days past their due date.

    ``lines``: open items (``amount_residual`` != 0) with ``id``, ``date``, ``date_maturity``,
    ``amount_residual``, ``partner_id_id``, ``partner_id_name``. Payables are shown as positive
    amounts owed (Odoo keeps them negative). Items on the other side (a customer's unapplied
    payment, a vendor's credit note) reduce the buckets and the total, are left out of ``overdue``
    and are summed in ``credits``.
    """
    sign = 1 if kind == "receivable" else -1
    frame = lines[lines["amount_residual"].fillna(0) != 0] if len(lines) else lines
    minor = to_minor(frame["amount_residual"], digits) * sign if len(frame) else pd.Series([], dtype="int64")
    days = _days_past_due(frame, as_of) if len(frame) else np.array([], dtype="int64")
    ids = frame["id"].to_numpy() if len(frame) else np.array([], dtype="int64")

    result_buckets = []
    for label, low, high in buckets:
        mask = (days >= low) & ((days <= high) if high is not None else True)
        result_buckets.append(AgeingBucket(
            label=label, amount=minor_to_decimal(minor[mask].sum(), digits), count=int(mask.sum()),
            record_ids=tuple(int(i) for i in ids[mask])))
    overdue_mask = days > 0
    owed = minor.to_numpy() > 0 if len(frame) else np.array([], dtype=bool)

    partners: list[PartnerBalance] = []
    if len(frame):
        by_partner = pd.DataFrame({
            "partner_id": frame["partner_id_id"].to_numpy(), "partner_name": frame["partner_id_name"].to_numpy(),
            "minor": minor.to_numpy(), "overdue": np.where(overdue_mask, minor.to_numpy(), 0), "id": ids,
        })
        by_partner["partner_id"] = by_partner["partner_id"].astype("Int64")
        grouped = by_partner.groupby("partner_id", dropna=False, sort=False).agg(
            partner_name=("partner_name", "first"), minor=("minor", "sum"), overdue=("overdue", "sum"),
            ids=("id", lambda s: tuple(int(i) for i in s)))
        grouped = grouped.sort_values(["minor", "partner_name"], ascending=[False, True]).head(top)
        for partner_id, row in grouped.iterrows():
            partners.append(PartnerBalance(
                partner_id=None if pd.isna(partner_id) else int(partner_id),
                partner_name=str(row["partner_name"]) if not pd.isna(row["partner_name"]) else "(no partner)",
                amount=minor_to_decimal(row["minor"], digits), overdue=minor_to_decimal(row["overdue"], digits),
                record_ids=row["ids"]))

    return Ageing(kind=kind, as_of=as_of, currency=currency,
                  total=minor_to_decimal(int(minor.sum()), digits),
                  overdue=minor_to_decimal(int(minor[overdue_mask & owed].sum()) if len(frame) else 0, digits),
                  credits=minor_to_decimal(-int(minor[~owed].sum()) if len(frame) else 0, digits),
                  buckets=tuple(result_buckets), top_partners=tuple(partners))


def bank_position(groups: pd.DataFrame, as_of: dt.date, currency: str, digits: int = 2) -> BankPosition:
    """Balance of each bank/cash account from ``read_group`` rows (``account_id_id``,
    ``account_id_name``, ``balance``, ``__count``) over posted items dated up to ``as_of``."""
    accounts = []
    total = 0
    for row in groups.sort_values("account_id_name").itertuples(index=False):
        minor = int(round(float(row.balance) * 10**digits))
        total += minor
        accounts.append(BankAccountBalance(account_id=int(row.account_id_id), account_name=str(row.account_id_name),
                                           balance=minor_to_decimal(minor, digits),
                                           line_count=int(getattr(row, "__count", 0) or 0)))
    return BankPosition(as_of=as_of, currency=currency, total=minor_to_decimal(total, digits),
                        accounts=tuple(accounts))


def open_orders(lines: pd.DataFrame, kind: Literal["sale", "purchase"], currency: str, digits: int = 2,
                top: int = 5) -> OpenOrders:
    """What confirmed orders still have to invoice (sales) or to be billed (purchases), untaxed.

    ``lines``: order lines with ``order_id_id``, ``order_id_name``, ``partner_name``, ``price_unit``,
    ``discount`` and the ordered/invoiced quantities (``product_uom_qty``/``product_qty`` and
    ``qty_invoiced``). Lines with nothing left to invoice are ignored.
    """
    if lines.empty:
        return OpenOrders(kind=kind, currency=currency, count=0, amount=Decimal(0), largest=(), record_ids=())
    ordered = lines["product_uom_qty"] if kind == "sale" else lines["product_qty"]
    remaining_qty = (ordered.astype("float64") - lines["qty_invoiced"].astype("float64")).clip(lower=0)
    discount = lines["discount"].astype("float64").fillna(0.0) if "discount" in lines else 0.0
    remaining = remaining_qty * lines["price_unit"].astype("float64") * (1 - discount / 100.0)
    frame = pd.DataFrame({
        "order_id": lines["order_id_id"].to_numpy(), "order_name": lines["order_id_name"].to_numpy(),
        "partner_name": lines["partner_name"].to_numpy(), "minor": to_minor(remaining, digits).to_numpy(),
    })
    per_order = frame.groupby("order_id", sort=False).agg(order_name=("order_name", "first"),
                                                          partner_name=("partner_name", "first"),
                                                          minor=("minor", "sum"))
    per_order = per_order[per_order["minor"] > 0]
    largest = per_order.sort_values(["minor", "order_name"], ascending=[False, True]).head(top)
    return OpenOrders(
        kind=kind, currency=currency, count=len(per_order),
        amount=minor_to_decimal(int(per_order["minor"].sum()), digits),
        largest=tuple(OpenOrder(order_id=int(oid), order_name=str(r["order_name"]), partner_name=str(r["partner_name"]),
                                amount=minor_to_decimal(r["minor"], digits)) for oid, r in largest.iterrows()),
        record_ids=tuple(int(i) for i in per_order.index),
    )
