"""Customer credit notes large relative to the sale they credit, and unusual for who gave them.

Each posted customer credit note (``out_refund``) is set against its original sale: the invoice it
reverses (``reversed_entry_id``) or, failing that, the customer's invoices of the same sales order
(``invoice_origin``) dated on or before it. Its *ratio* is credit note / original sale.

A credit note is reported when its ratio is at least ``min_ratio`` and exceeds the usual ratio of
the customer *or* of the salesperson (the credit note's ``invoice_user_id``, else the original's) by
at least ``min_excess``. "Usual" is the median ratio of their credit notes when they have at least
``min_history`` of them, else the company's median (else ``usual_ratio``). The score grows with the
larger of the two excesses. A credit note for a single unit (the smallest return there is) is
weighted by ``single_unit_weight``: its ratio says how small the sale was rather than how large the
credit is, so it stays listed but below the threshold.

Not an anomaly: a credit note of the whole sale followed by a re-issued invoice of the same amount
to the same customer (dated from the original invoice to ``reissue_days`` after the credit note),
which is how an invoice is corrected. Credit notes with no original sale cannot be measured and are
left to the other detectors.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.bill_helpers import (
    MOVE,
    day_of,
    documents,
    fmt,
    label,
    money,
    ref,
    score,
    text,
)
from ledgerpilot.calc.anomalies.detector import Detector
from ledgerpilot.calc.anomalies.frames import AnomalyData
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.money import quantize

NAME = "large_credit_notes"
KIND = "large_credit_note"

DEFAULTS: dict[str, float] = {
    # a credit note below this share of the original sale is an ordinary return or discount
    "min_ratio": 0.5,
    # how far above the customer's or salesperson's usual ratio it must be
    "min_excess": 0.25,
    # credit notes a customer or salesperson needs before their own usual ratio is used
    "min_history": 3,
    # the usual ratio assumed when the company has fewer than min_history measured credit notes
    "usual_ratio": 0.2,
    # a same-amount invoice to the customer up to this many days after a full credit note re-issues it
    "reissue_days": 30,
    # share of the sale from which a credit note counts as the whole sale (for the re-issue rule)
    "full_ratio": 0.99,
    # score weight of a credit note for a single unit: returning the one item of a small sale is
    # 100% of it by necessity, not by choice
    "single_unit_weight": 0.5,
}


def _originals(refunds: pd.DataFrame, invoices: pd.DataFrame) -> pd.DataFrame:
    """Each credit note with the invoice(s) it credits: ``original_minor``, ``original_ids``,
    ``original_names``, ``original_day`` and ``original_user_id``."""
    by_id = invoices.set_index("id")
    direct = refunds[refunds["reversed_entry_id"].isin(by_id.index)]
    linked = pd.DataFrame({
        "refund_id": direct["id"].to_numpy(),
        "invoice_id": direct["reversed_entry_id"].to_numpy(),
    })
    rest = refunds[~refunds["id"].isin(direct["id"]) & refunds["invoice_origin"].notna()]
    if not rest.empty:
        same_order = rest[["id", "partner_id", "invoice_origin", "day"]].merge(
            invoices[["id", "partner_id", "invoice_origin", "day"]], on=["partner_id", "invoice_origin"],
            suffixes=("", "_invoice"))
        same_order = same_order[same_order["day_invoice"] <= same_order["day"]]
        linked = pd.concat([linked, pd.DataFrame({"refund_id": same_order["id"].to_numpy(),
                                                  "invoice_id": same_order["id_invoice"].to_numpy()})],
                           ignore_index=True)
    if linked.empty:
        return pd.DataFrame(columns=["original_minor", "original_ids", "original_names", "original_day",
                                     "original_user_id"])
    linked["invoice_id"] = linked["invoice_id"].astype("int64")
    facts = by_id.loc[linked["invoice_id"], ["minor", "name", "day", "invoice_user_id"]].reset_index(drop=True)
    linked = pd.concat([linked.reset_index(drop=True), facts], axis=1).sort_values(["refund_id", "invoice_id"])
    grouped = linked.groupby("refund_id")
    return pd.DataFrame({
        "original_minor": grouped["minor"].sum(),
        "original_ids": grouped["invoice_id"].agg(tuple),
        "original_names": grouped["name"].agg(tuple),
        "original_day": grouped["day"].min(),
        "original_user_id": grouped["invoice_user_id"].first(),
    })


def _usual(ratios: pd.Series, keys: pd.Series, fallback: float, min_history: int) -> tuple[pd.Series, pd.Series]:
    """The median ratio of each row's group, or ``fallback`` where the group is too small; and
    whether the group's own median was used."""
    grouped = ratios.groupby(keys.fillna(-1).to_numpy())
    median = grouped.transform("median")
    own = (grouped.transform("size") >= min_history) & keys.notna().to_numpy()
    return median.where(own, fallback), own


def _reissued(refunds: pd.DataFrame, invoices: pd.DataFrame, params: Mapping[str, float]) -> pd.Index:
    """Ids of full credit notes followed by an invoice of the same amount to the same customer."""
    full = refunds[refunds["ratio"] >= params["full_ratio"]]
    if full.empty:
        return pd.Index([])
    candidates = full[["id", "partner_id", "minor", "day", "original_day", "original_ids"]].merge(
        invoices[["id", "partner_id", "minor", "day"]], on=["partner_id", "minor"], suffixes=("", "_invoice"))
    window = (candidates["day_invoice"] >= candidates["original_day"]) & (
        candidates["day_invoice"] <= candidates["day"] + pd.to_timedelta(params["reissue_days"], unit="D"))
    candidates = candidates[window]
    credited = full[["id", "original_ids"]].explode("original_ids").rename(columns={"original_ids": "id_invoice"})
    credited["id_invoice"] = credited["id_invoice"].astype("int64")
    candidates = candidates.assign(id_invoice=candidates["id_invoice"].astype("int64")).merge(
        credited.assign(credited=True), on=["id", "id_invoice"], how="left")
    return pd.Index(candidates.loc[candidates["credited"].isna(), "id"].unique())


def _credited_units(data: AnomalyData, refund_ids: pd.Series) -> pd.Series:
    """Units credited by each credit note (its product lines' quantities), by id; absent when none."""
    lines = data.lines
    products = lines[lines["move_id"].isin(pd.Index(refund_ids.astype("int64"))) & (lines["display_type"] == "product")
                     & lines["quantity"].notna()]
    return products["quantity"].abs().groupby(products["move_id"].astype("int64")).sum()


def run(data: AnomalyData, params: Mapping[str, float]) -> list[Anomaly]:
    """Customer credit notes large relative to their original sale and unusual for the customer or salesperson."""
    refunds = documents(data, ("out_refund",))
    invoices = documents(data, ("out_invoice",))
    if refunds.empty or invoices.empty:
        return []
    refunds = refunds.join(_originals(refunds, invoices), on="id", how="inner")
    if refunds.empty:
        return []
    refunds["ratio"] = refunds["minor"] / refunds["original_minor"].astype("float64")
    refunds["salesperson_id"] = refunds["invoice_user_id"].fillna(refunds["original_user_id"])
    min_history = int(params["min_history"])
    company = float(refunds["ratio"].median()) if len(refunds) >= min_history else params["usual_ratio"]
    refunds["usual_customer"], refunds["own_customer"] = _usual(refunds["ratio"], refunds["partner_id"], company,
                                                                min_history)
    refunds["usual_salesperson"], refunds["own_salesperson"] = _usual(refunds["ratio"], refunds["salesperson_id"],
                                                                      company, min_history)
    refunds["excess"] = refunds["ratio"] - np.minimum(refunds["usual_customer"], refunds["usual_salesperson"])
    flagged = refunds[(refunds["ratio"] >= params["min_ratio"]) & (refunds["excess"] >= params["min_excess"])]
    flagged = flagged[~flagged["id"].isin(_reissued(flagged, invoices, params))].copy()
    if flagged.empty:
        return []
    flagged["units"] = _credited_units(data, flagged["id"]).reindex(flagged["id"].astype("int64")).to_numpy()
    flagged["single_unit"] = flagged["units"].notna() & (flagged["units"] <= 1)
    weight = np.where(flagged["single_unit"], params["single_unit_weight"], 1.0)
    flagged["score"] = (0.45 + 0.6 * flagged["excess"]).clip(upper=0.95) * weight
    flagged = flagged.sort_values(["score", "id"], ascending=[False, True], kind="mergesort")
    users = data.users.set_index("id")["name"]
    return [_finding(data, row, users, company) for _, row in flagged.iterrows()]


def _finding(data: AnomalyData, row: pd.Series, users: pd.Series, company: float) -> Anomaly:
    customer = text(row["partner_name"], "the customer")
    amount = money(data, row["minor"])
    original = money(data, row["original_minor"])
    ratio = float(row["ratio"])
    name = label(row["name"], row["id"], "credit note")
    originals = ", ".join(text(n) for n in row["original_names"] if text(n)) or "the original invoice"
    seller_id = row["salesperson_id"]
    seller = text(users.get(int(seller_id))) if pd.notna(seller_id) else ""
    by_customer = float(row["ratio"] - row["usual_customer"])
    by_seller = float(row["ratio"] - row["usual_salesperson"])
    if by_seller > by_customer and seller and row["own_salesperson"]:
        usual = f"{seller}'s credit notes are usually {float(row['usual_salesperson']):.0%} of the sale"
    elif row["own_customer"]:
        usual = f"{customer}'s credit notes are usually {float(row['usual_customer']):.0%} of the sale"
    else:
        usual = f"credit notes are usually {company:.0%} of the sale (too few for {customer} to have its own usual)"
    reason = (f"{name} credits {fmt(amount, data.currency, data.digits)} to {customer}: {ratio:.0%} of "
              f"{originals} ({fmt(original, data.currency, data.digits)}), while {usual}."
              + (" It credits a single unit, the smallest return there is, so it weighs less." if row["single_unit"]
                 else "") + " No invoice of the same amount followed it, so it is not a "
              "correction. Check the return or the reason for the credit.")
    return Anomaly(
        detector=NAME, kind=KIND, score=score(row["score"]),
        title=f"Credit note {name} for {customer} is {ratio:.0%} of the original sale", reason=reason,
        records=(ref(MOVE, row["id"], row["name"]),
                 *(ref(MOVE, i, n) for i, n in zip(row["original_ids"], row["original_names"]))),
        amount=amount, occurred_on=day_of(row["date"]), partner=text(row["partner_name"]) or None,
        user=seller or text(row["create_login"]) or None,
        figures={"credit_note": name, "amount": amount, "original_amount": original,
                 "original_invoices": list(originals.split(", ")), "ratio": quantize(ratio, 3),
                 "usual_ratio_customer": quantize(float(row["usual_customer"]), 3),
                 "usual_ratio_salesperson": quantize(float(row["usual_salesperson"]), 3),
                 "company_median_ratio": quantize(company, 3), "salesperson": seller or None,
                 "units_credited": None if pd.isna(row["units"]) else quantize(float(row["units"]), 3)})


DETECTOR = Detector(name=NAME, kinds=(KIND,), needs=("moves", "lines"), run=run, defaults=DEFAULTS)
