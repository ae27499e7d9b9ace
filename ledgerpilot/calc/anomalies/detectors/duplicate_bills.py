"""Duplicate vendor bills: the same bill entered twice, so the company would pay it twice.

Two signals, both within one vendor and one document type (bills with bills, vendor credit notes
with vendor credit notes, never a credit note against the bill it credits):

- **reference**: the vendor's invoice number appears twice. Exactly the same text ->
  ``duplicate_bill_same_reference``; the same only once case, spacing, punctuation and leading zeros
  are ignored ("INV-0042" / "inv 42") -> ``duplicate_bill_reference_variant``. A reference without
  a digit ("Rent") or one the vendor reuses on many bills is a label, not an invoice number, and is
  not compared.
- **amount**: the same amount to the cent within ``amount_window_days`` days and no reference in
  common -> ``duplicate_bill_same_amount``, scored lower: vendors do send equal invoices. Lower
  still when the vendor bills that amount in many months, and not reported at all when such a
  recurring amount (a monthly rent of exactly 5,000.00) falls in two different months: that is the
  rhythm of the contract, not a duplicate.

Bills cancelled by a credit note (Odoo's ``reversed``, or credit notes covering their whole amount)
are left out: a bill reversed and entered again is a correction, not a duplicate. Pairs are formed
between neighbours in a sorted order (never a self-join), so a vendor with thousands of bills costs
no more than a sort. The later bill of a pair is the primary record: that is the one to hold.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.bill_helpers import (
    MOVE,
    day_of,
    documents,
    exact_references,
    fmt,
    fully_reversed,
    label,
    money,
    normalise_references,
    ref,
    score,
    text,
)
from ledgerpilot.calc.anomalies.detector import Detector
from ledgerpilot.calc.anomalies.frames import AnomalyData
from ledgerpilot.domain.anomaly import Anomaly

NAME = "duplicate_bills"
SAME_REFERENCE = "duplicate_bill_same_reference"
REFERENCE_VARIANT = "duplicate_bill_reference_variant"
SAME_AMOUNT = "duplicate_bill_same_amount"

DEFAULTS: dict[str, float] = {
    # bills of the same amount further apart than this are not compared
    "amount_window_days": 7,
    # a vendor reference on more bills than this is a label ("April delivery 2"), not an invoice number
    "max_reference_repeats": 3,
    # the same reference further apart than this scores lower (some vendors restart numbering each year)
    "reference_window_days": 365,
    # an amount billed by the vendor in at least this many different months is its recurring charge
    "recurring_months": 3,
    # same-amount pairs below this amount are not reported (small identical fees are common)
    "min_amount": 10.0,
}

_PAIR_COLUMNS = ["id", "name", "ref", "norm_ref", "exact_ref", "day", "date", "minor", "state", "create_login", "month"]
_TYPE_WORDS = {"in_invoice": "bill", "in_refund": "vendor credit note"}


def _candidates(data: AnomalyData) -> pd.DataFrame:
    bills = documents(data, ("in_invoice", "in_refund"), states=("posted", "draft"))
    bills = bills[~bills["id"].isin(fully_reversed(data))].copy()
    bills["norm_ref"] = normalise_references(bills["ref"])
    bills["exact_ref"] = exact_references(bills["ref"])
    bills["month"] = bills["day"].dt.to_period("M")
    return bills


def _neighbour_pairs(bills: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Each bill with the bill just before it in its ``keys`` group (sorted by day, then id)."""
    ordered = bills.sort_values(keys + ["day", "id"], kind="mergesort")
    previous = ordered.groupby(keys, sort=False)[_PAIR_COLUMNS].shift(1)
    pairs = ordered.join(previous.add_prefix("first_"))
    pairs = pairs[pairs["first_id"].notna()].copy()
    pairs["days_apart"] = (pairs["day"] - pairs["first_day"]).dt.days.astype("int64")
    return pairs


def _reference_pairs(bills: pd.DataFrame, params: Mapping[str, float]) -> pd.DataFrame:
    keyed = bills[bills["norm_ref"].notna()]
    keys = ["partner_id", "move_type", "norm_ref"]
    repeats = keyed.groupby(keys, sort=False)["id"].transform("size")
    keyed = keyed.assign(times_billed=repeats)
    keyed = keyed[(repeats >= 2) & (repeats <= params["max_reference_repeats"])]
    pairs = _neighbour_pairs(keyed, keys)
    if pairs.empty:
        return pairs
    exact = pairs["exact_ref"] == pairs["first_exact_ref"]
    same_amount = pairs["minor"] == pairs["first_minor"]
    pairs["kind"] = np.where(exact, SAME_REFERENCE, REFERENCE_VARIANT)
    base = np.where(exact, np.where(same_amount, 0.95, 0.8), np.where(same_amount, 0.9, 0.7))
    far = pairs["days_apart"] > params["reference_window_days"]
    pairs["score"] = np.where(far, base - 0.3, base)
    pairs["same_amount"] = same_amount
    pairs["recurring"] = False
    pairs["months_billed"] = 0
    return pairs


def _amount_pairs(bills: pd.DataFrame, params: Mapping[str, float], digits: int) -> pd.DataFrame:
    keys = ["partner_id", "move_type", "minor"]
    months_billed = bills.groupby(keys, sort=False)["month"].transform("nunique")
    times_billed = bills.groupby(keys, sort=False)["id"].transform("size")
    bills = bills.assign(months_billed=months_billed, times_billed=times_billed)
    bills = bills[(bills["times_billed"] >= 2) & (bills["minor"] >= params["min_amount"] * 10 ** digits)]
    pairs = _neighbour_pairs(bills, keys)
    if pairs.empty:
        return pairs
    same_ref = pairs["norm_ref"].notna() & (pairs["norm_ref"] == pairs["first_norm_ref"])
    close = pairs["days_apart"] <= params["amount_window_days"]
    recurring = pairs["months_billed"] >= params["recurring_months"]
    same_month = pairs["month"] == pairs["first_month"]
    pairs = pairs.assign(recurring=recurring, same_month=same_month)
    pairs = pairs[close & ~same_ref & ~(recurring & ~same_month)].copy()
    base = 0.85 - 0.03 * pairs["days_apart"].clip(lower=0)
    repeated = pairs["times_billed"] > 2
    pairs["score"] = np.where(pairs["recurring"], base * 0.5, np.where(repeated, base * 0.8, base))
    pairs["kind"] = SAME_AMOUNT
    pairs["same_amount"] = True
    return pairs


def _finding(data: AnomalyData, row: pd.Series) -> Anomaly:
    vendor = text(row["partner_name"], "the vendor")
    what = _TYPE_WORDS.get(str(row["move_type"]), "bill")
    second, first = label(row["name"], row["id"], what), label(row["first_name"], row["first_id"], what)
    amount = money(data, row["minor"])
    first_amount = money(data, row["first_minor"])
    days = int(row["days_apart"])
    when = "the same day" if days == 0 else f"{days} day{'s' if days != 1 else ''} apart"
    kind = str(row["kind"])
    reference, first_reference = text(row["ref"]), text(row["first_ref"])
    if kind == SAME_REFERENCE:
        title = f"{vendor}: {what} reference {reference} entered twice"
        reason = (f"{first} and {second} are both {what}s from {vendor} with the reference {reference}, "
                  f"{when}")
    elif kind == REFERENCE_VARIANT:
        title = f"{vendor}: {what} references {first_reference!r} and {reference!r} are the same number"
        reason = (f"{first} ({first_reference}) and {second} ({reference}) are {what}s from {vendor} whose "
                  f"references differ only in case, spacing, punctuation or leading zeros, {when}")
    else:
        title = f"{vendor}: two {what}s of {fmt(amount, data.currency, data.digits)} {when}"
        reason = (f"{first} and {second} are {what}s from {vendor} for exactly "
                  f"{fmt(amount, data.currency, data.digits)}, {when}, with no reference in common")
        if row["recurring"]:
            reason += (f"; the vendor bills this amount regularly ({int(row['months_billed'])} months), "
                       "yet twice in the same month")
        elif row["times_billed"] > 2:
            reason += f"; the vendor billed this amount {int(row['times_billed'])} times in all"
    if kind != SAME_AMOUNT:
        if row["same_amount"]:
            reason += f", for the same amount of {fmt(amount, data.currency, data.digits)}"
        else:
            reason += (f", for {fmt(first_amount, data.currency, data.digits)} and "
                       f"{fmt(amount, data.currency, data.digits)}")
    reason += ". Check that it was not entered twice before it is paid."
    figures = {
        "first_bill": first, "second_bill": second, "days_apart": days,
        "first_amount": first_amount, "second_amount": amount,
        "first_reference": first_reference or None, "second_reference": reference or None,
        "normalised_reference": text(row["norm_ref"]) or None,
        "first_state": text(row["first_state"]), "second_state": text(row["state"]),
    }
    if kind == SAME_AMOUNT:
        figures.update(times_billed=int(row["times_billed"]), months_billed=int(row["months_billed"]))
    return Anomaly(
        detector=NAME, kind=kind, score=score(row["score"]), title=title, reason=reason,
        records=(ref(MOVE, row["id"], row["name"]), ref(MOVE, row["first_id"], row["first_name"])),
        amount=amount, occurred_on=day_of(row["date"]), partner=text(row["partner_name"]) or None,
        user=text(row["create_login"]) or None, figures=figures)


def run(data: AnomalyData, params: Mapping[str, float]) -> list[Anomaly]:
    """Pairs of vendor bills (or vendor credit notes) that look like one document entered twice."""
    bills = _candidates(data)
    if bills.empty:
        return []
    by_reference = _reference_pairs(bills, params)
    by_amount = _amount_pairs(bills, params, data.digits)
    pairs = pd.concat([frame for frame in (by_reference, by_amount) if not frame.empty], ignore_index=True) \
        if not (by_reference.empty and by_amount.empty) else by_reference
    if pairs.empty:
        return []
    pairs = pairs.sort_values(["score", "id"], ascending=[False, True], kind="mergesort")
    # one finding per pair of bills: a reference match wins over the amount match
    pairs = pairs.drop_duplicates(subset=["id", "first_id"], keep="first")
    return [_finding(data, row) for _, row in pairs.iterrows()]


DETECTOR = Detector(name=NAME, kinds=(SAME_REFERENCE, REFERENCE_VARIANT, SAME_AMOUNT), needs=("moves",),
                    run=run, defaults=DEFAULTS)
