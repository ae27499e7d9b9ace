"""Inventory unit-cost jumps: goods received at a unit cost far from what the product usually costs.

A receipt valued at the wrong cost (a misplaced decimal, the wrong unit of measure, a landed cost
applied twice) flows straight into the inventory value and, through average costing, into every
later cost of goods sold. Each incoming valuation layer (quantity above 0) is compared with:

- **history**: the median unit cost of the product's previous ``window`` incoming layers (at least
  ``min_history`` of them; layers before it in time, so the finding does not move when later
  receipts arrive). A ratio beyond ``jump_ratio`` either way is a jump;
- **the purchase order**: the unit price of its purchase order line, when there is one.

Scores: a jump vs history with a unit cost that also disagrees with the PO price by more than
``po_tolerance`` (or a jump with no PO to explain it) is worth a look: 0.6 (0.5 without a PO)
rising to 0.95 as the ratio reaches ``strong_ratio``. A jump that matches the PO price is a price
change the buyer agreed: it is kept below the threshold (0.3-0.45) for whoever reviews prices.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.bill_helpers import day_of, fmt, ref, score, text
from ledgerpilot.calc.anomalies.detector import Detector
from ledgerpilot.calc.anomalies.frames import AnomalyData
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.money import quantize

NAME = "unit_cost_jumps"
KIND = "unit_cost_jump"

DEFAULTS: dict[str, float] = {
    # how many previous incoming layers of the product make its usual cost (their median)
    "window": 6,
    # fewer previous incoming layers than this: the product has no usual cost yet
    "min_history": 3,
    # unit cost / usual cost beyond this (or below its inverse) is a jump
    "jump_ratio": 1.3,
    # a ratio at or beyond this is the strongest evidence
    "strong_ratio": 3.0,
    # unit cost within this share of the PO price agrees with the PO
    "po_tolerance": 0.1,
}


def _strength(ratio: np.ndarray, threshold: float, strong: float) -> np.ndarray:
    """0 at ``threshold`` (either way), 1 at ``strong`` or beyond, log-linear in between."""
    distance = np.abs(np.log(ratio))
    return np.clip((distance - np.log(threshold)) / max(np.log(strong) - np.log(threshold), 1e-9), 0.0, 1.0)


def judge(data: AnomalyData, params: Mapping[str, float]) -> pd.DataFrame:
    """Every incoming layer with its usual cost, PO price and score (0 when not a jump)."""
    layers = data.valuation_layers
    incoming = layers[(layers["quantity"] > 0) & (layers["unit_cost"] > 0) & layers["product_id"].notna()]
    incoming = incoming.sort_values(["create_date", "id"], kind="mergesort").reset_index(drop=True)
    if incoming.empty:
        return incoming.assign(usual=[], ratio=[], po_price=[], po_ratio=[], score=[])
    product = incoming["product_id"].astype("int64")
    previous = incoming["unit_cost"].groupby(product).shift()
    usual = previous.groupby(product).rolling(int(params["window"]), min_periods=int(params["min_history"])) \
        .median().reset_index(level=0, drop=True).sort_index()
    history = incoming.groupby(product).cumcount()
    orders = data.purchase_lines[["id", "order_id", "order_name", "price_unit", "partner_name"]].rename(
        columns={"id": "purchase_line_id", "price_unit": "po_price"})
    incoming = incoming.assign(usual=usual.to_numpy(), history=history.to_numpy())
    incoming = incoming.merge(orders, on="purchase_line_id", how="left")
    ratio = (incoming["unit_cost"] / incoming["usual"]).to_numpy(dtype="float64")
    po_price = incoming["po_price"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        po_ratio = np.where(po_price > 0, incoming["unit_cost"].to_numpy() / po_price, np.nan)
    jump_ratio = params["jump_ratio"]
    jumped = np.isfinite(ratio) & ((ratio >= jump_ratio) | (ratio <= 1 / jump_ratio))
    strength = np.where(jumped, _strength(np.where(jumped, ratio, 1.0), jump_ratio, params["strong_ratio"]), 0.0)
    has_po = np.isfinite(po_ratio)
    agrees = has_po & (np.abs(np.where(has_po, po_ratio, 1.0) - 1) <= params["po_tolerance"])
    po_strength = np.where(has_po & ~agrees, _strength(np.where(has_po, po_ratio, 1.0),
                                                       1 + params["po_tolerance"], params["strong_ratio"]), 0.0)
    value = np.select(
        [~jumped, agrees, has_po],
        [0.0, 0.3 + 0.15 * strength, 0.6 + 0.35 * np.maximum(strength, po_strength)],
        default=0.5 + 0.3 * strength)
    return incoming.assign(ratio=ratio, po_ratio=po_ratio, has_po=has_po, po_agrees=agrees, score=value)


def run(data: AnomalyData, params: Mapping[str, float]) -> list[Anomaly]:
    judged = judge(data, params)
    if judged.empty:
        return []
    found = judged[judged["score"] > 0].sort_values(["score", "id"], ascending=[False, True])
    out: list[Anomaly] = []
    for row in found.itertuples(index=False):
        unit_cost = quantize(row.unit_cost, data.digits)
        usual = quantize(row.usual, data.digits)
        excess = quantize((row.unit_cost - row.usual) * row.quantity, data.digits)
        product = text(row.product_name, f"product {int(row.product_id)}")
        records = [ref("stock.valuation.layer", row.id, text(row.description))]
        if pd.notna(row.order_id):
            records.append(ref("purchase.order", row.order_id, row.order_name))
        if pd.notna(row.stock_move_id):
            records.append(ref("stock.move", row.stock_move_id))
        if pd.notna(row.account_move_id):
            records.append(ref("account.move", row.account_move_id))
        direction = "above" if row.ratio > 1 else "below"
        reason = (f"{product} was received ({text(row.description)}) at {fmt(unit_cost, data.currency, data.digits)} "
                  f"a unit, {row.ratio:.1f} times its usual {fmt(usual, data.currency, data.digits)} (median of its "
                  f"last {min(int(row.history), int(params['window']))} receipts)")
        if row.has_po:
            po_price = quantize(row.po_price, data.digits)
            if row.po_agrees:
                reason += (f"; the purchase order {text(row.order_name)} agreed that price "
                           f"({fmt(po_price, data.currency, data.digits)}), so it looks like a real price change")
            else:
                reason += (f" and {row.po_ratio:.1f} times the price on purchase order {text(row.order_name)} "
                           f"({fmt(po_price, data.currency, data.digits)})")
        else:
            reason += "; no purchase order line explains it"
        out.append(Anomaly(
            detector=NAME, kind=KIND, score=score(row.score),
            title=f"Unit cost of {product} {direction} its history",
            reason=reason + f": {fmt(abs(excess), data.currency, data.digits)} of inventory value at stake.",
            records=tuple(records), amount=abs(excess), occurred_on=day_of(row.create_date),
            partner=text(row.partner_name) or None,
            figures={"product": product, "quantity": quantize(row.quantity, 4), "unit_cost": unit_cost,
                     "usual_unit_cost": usual, "ratio_to_history": quantize(row.ratio, 3),
                     "po_price": quantize(row.po_price, data.digits) if row.has_po else None,
                     "ratio_to_po": quantize(row.po_ratio, 3) if row.has_po else None,
                     "value_difference": excess},
        ))
    return out


DETECTOR = Detector(name=NAME, kinds=(KIND,), needs=("valuation_layers",), run=run, defaults=DEFAULTS)
