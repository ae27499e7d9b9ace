"""Three-way match: purchase order lines billed for more than was received.

Ordered, received and billed quantities disagree all the time in harmless ways (a backorder still
to come, goods received and not yet billed). The disagreement that costs money is a vendor bill for
goods that never arrived: ``qty_invoiced`` above ``qty_received`` by more than ``qty_tolerance``
(a share of the billed quantity, so rounding in the unit of measure is not reported). Each order
gives one finding (primary record the ``purchase.order``, then its bills and its receipts), with the
value billed but not received (excess quantity x PO unit price).

Score: 0.6 rising to 0.95 as the unreceived share of the billed quantity reaches one half. When
goods are still expected (received below ordered) and the latest bill is less than ``grace_days``
old, the bill may simply have arrived before the goods: the finding is kept below the threshold
(0.4) until the grace period is over.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.bill_helpers import day_of, fmt, money, ref, score, text
from ledgerpilot.calc.anomalies.detector import Detector
from ledgerpilot.calc.anomalies.frames import AnomalyData
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.money import quantize, to_minor

NAME = "three_way_match"
KIND = "quantity_mismatch"

DEFAULTS: dict[str, float] = {
    # billed above received by more than this share of the billed quantity is a mismatch
    "qty_tolerance": 0.02,
    # a bill younger than this (days before today) may precede goods still on their way
    "grace_days": 14,
    # unreceived share of the billed quantity that gives the strongest score
    "strong_share": 0.5,
}

_STATES = ("purchase", "done")
_BILL_ORIGINS = ("bill", "vendor_refund")


def mismatched_lines(data: AnomalyData, params: Mapping[str, float]) -> pd.DataFrame:
    """The confirmed purchase lines billed beyond what was received, with the excess and its value."""
    lines = data.purchase_lines
    lines = lines[lines["state"].isin(_STATES) & lines["order_id"].notna()].copy()
    excess = lines["qty_invoiced"] - lines["qty_received"]
    tolerance = params["qty_tolerance"] * lines["qty_invoiced"].abs()
    lines = lines.assign(excess=excess)[(excess > tolerance) & (excess > 1e-9)]
    lines["minor"] = to_minor(lines["excess"] * lines["price_unit"], data.digits).to_numpy()
    return lines


def _bills(data: AnomalyData, line_ids: pd.Series) -> pd.DataFrame:
    """The vendor bills (and credit notes) of the purchase lines: purchase_line_id, move_id, name, date."""
    items = data.lines[data.lines["purchase_line_id"].isin(line_ids)][["purchase_line_id", "move_id"]]
    moves = data.moves[data.moves["origin"].isin(_BILL_ORIGINS)][["id", "name", "date"]]
    return items.drop_duplicates().merge(moves.rename(columns={"id": "move_id"}), on="move_id")


def run(data: AnomalyData, params: Mapping[str, float]) -> list[Anomaly]:
    lines = mismatched_lines(data, params)
    if lines.empty:
        return []
    bills = _bills(data, lines["id"])
    bills = bills.merge(lines[["id", "order_id"]].rename(columns={"id": "purchase_line_id"}), on="purchase_line_id")
    receipts = data.receipts[data.receipts["purchase_line_id"].isin(lines["id"])]
    receipts = receipts.merge(lines[["id", "order_id"]].rename(columns={"id": "purchase_line_id"}),
                              on="purchase_line_id")
    orders = lines.assign(pending=(lines["qty_received"] < lines["product_qty"])).groupby("order_id").agg(
        order_name=("order_name", "first"), partner_name=("partner_name", "first"), minor=("minor", "sum"),
        ordered=("product_qty", "sum"), received=("qty_received", "sum"), billed=("qty_invoiced", "sum"),
        excess=("excess", "sum"), pending=("pending", "any"), date_order=("date_order", "first"),
        lines=("id", "count"), products=("product_name", lambda names: sorted({text(n) for n in names})))
    last_bill = bills.groupby("order_id")["date"].max()
    orders["last_bill"] = last_bill.reindex(orders.index).to_numpy()
    share = (orders["excess"] / orders["billed"].where(orders["billed"] > 0)).fillna(1.0).to_numpy()
    strength = np.clip(share / params["strong_share"], 0.0, 1.0)
    today = pd.Timestamp(data.today)
    recent = (orders["last_bill"].notna() & ((today - orders["last_bill"]).dt.days < params["grace_days"])).to_numpy()
    waiting = orders["pending"].to_numpy() & recent
    orders["score"] = np.where(waiting, 0.4, 0.6 + 0.35 * strength)
    orders["share"] = share
    orders["waiting"] = waiting
    bill_refs = bills.sort_values(["date", "move_id"]).drop_duplicates(["order_id", "move_id"]).groupby("order_id")
    receipt_refs = receipts.sort_values(["date", "id"]).groupby("order_id")
    bill_map = {key: group for key, group in bill_refs}
    receipt_map = {key: group for key, group in receipt_refs}
    out: list[Anomaly] = []
    for order_id, row in orders.sort_values(["score", "minor"], ascending=False).iterrows():
        amount = money(data, row["minor"])
        order_bills = bill_map.get(order_id, pd.DataFrame(columns=["move_id", "name"]))
        order_receipts = receipt_map.get(order_id, pd.DataFrame(columns=["id"]))
        records = [ref("purchase.order", order_id, row["order_name"])]
        records += [ref("account.move", m, n) for m, n in zip(order_bills["move_id"], order_bills["name"])]
        records += [ref("stock.move", r) for r in order_receipts["id"]]
        what = ", ".join(row["products"]) or "its goods"
        reason = (f"Purchase order {text(row['order_name'])} ({what}) ordered {row['ordered']:g}, received "
                  f"{row['received']:g} and was billed for {row['billed']:g}: {row['excess']:g} billed but never "
                  f"received, {fmt(amount, data.currency, data.digits)} at the PO price")
        if row["waiting"]:
            reason += (f"; the last bill is less than {int(params['grace_days'])} days old and goods are still "
                       "expected, so the receipt may simply be late")
        bill_names = [text(n) for n in order_bills["name"]]
        out.append(Anomaly(
            detector=NAME, kind=KIND, score=score(row["score"]),
            title=f"{text(row['order_name'])}: billed {row['billed']:g}, received {row['received']:g}",
            reason=reason + (f" (bills {', '.join(bill_names)})." if bill_names else "."),
            records=tuple(records), amount=amount, occurred_on=day_of(row["last_bill"]) or day_of(row["date_order"]),
            partner=text(row["partner_name"]) or None,
            figures={"ordered": quantize(row["ordered"], 4), "received": quantize(row["received"], 4),
                     "billed": quantize(row["billed"], 4), "billed_not_received": quantize(row["excess"], 4),
                     "value_billed_not_received": amount, "lines": int(row["lines"]),
                     "unreceived_share": quantize(row["share"], 3), "bills": bill_names},
        ))
    return out


DETECTOR = Detector(name=NAME, kinds=(KIND,), needs=("purchase_lines", "lines", "moves"), run=run,
                    defaults=DEFAULTS)
