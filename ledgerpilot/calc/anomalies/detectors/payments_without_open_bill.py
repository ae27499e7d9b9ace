"""Vendor payments with no bill behind them: money sent to a vendor that owed the company nothing,
or money no bill explains.

A payment is reported when it is not reconciled with any vendor bill or vendor credit note
(``account.partial.reconcile``), so nothing in the books says what it paid, and either:

- the vendor had no open bill on the payment date: every posted bill dated on or before that day
  had already been settled in full before it (a bill settled on the payment day itself still counts
  as open: the payment may simply not have been matched yet); or
- it is still unmatched ``unmatched_days`` after it was made (default 30), and no bill of the vendor
  dated up to ``grace_days`` after it has its amount: the vendor's other open bills, of other
  amounts, do not explain it (a payment of exactly one open bill's amount is a match that waits).

"Open on a day" is computed for all payments at once as a running count per vendor over a sorted
list of events (a bill opens on its date, closes on the day its reconciliations cover its whole
amount), never by comparing every payment with every bill.

The score says how much is unexplained: a vendor that never sent a single bill scores highest; a
vendor that bills but had nothing open scores lower; a bill that arrived within ``grace_days`` after
the payment (an advance that was simply never matched to it) lower still, below the threshold.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.bill_helpers import (
    MOVE,
    PAYMENT,
    day_of,
    documents,
    fmt,
    label,
    money,
    outbound_payments,
    ref,
    score,
    settlements,
    text,
)
from ledgerpilot.calc.anomalies.detector import Detector
from ledgerpilot.calc.anomalies.frames import AnomalyData
from ledgerpilot.domain.anomaly import Anomaly

NAME = "payments_without_open_bill"
KIND = "payment_without_open_bill"

DEFAULTS: dict[str, float] = {
    # a bill from the vendor within this many days after the payment explains it as an advance
    "grace_days": 30,
    # a payment matched to no bill this many days after it was made is reported even when the vendor
    # had open bills, unless one of them (or one that followed within grace_days) has its amount
    "unmatched_days": 30,
    # payments below this amount are not reported
    "min_amount": 0.0,
    # scores: vendor never billed / vendor billed but had nothing open / a bill followed soon after
    "score_never_billed": 0.9,
    "score_nothing_open": 0.75,
    "score_bill_followed": 0.45,
    "score_unexplained": 0.7,
}

_BILL_TYPES = ("in_invoice", "in_refund")
_START, _QUERY, _END = 0, 1, 2


def _closing_days(data: AnomalyData, bills: pd.DataFrame) -> pd.Series:
    """The day each bill was settled in full (by id); bills still open are absent."""
    settled = settlements(data, bills["id"])
    if settled.empty:
        return pd.Series(dtype="datetime64[ns]")
    settled = settled.sort_values(["move_id", "max_date"], kind="mergesort")
    settled["cumulative"] = settled.groupby("move_id")["amount"].cumsum()
    whole = bills.set_index("id")["amount"].reindex(settled["move_id"].astype("int64")).to_numpy()
    done = settled[settled["cumulative"] >= whole - 0.5 * 10 ** -data.digits]
    return done.groupby("move_id")["max_date"].min().dt.normalize()


def _open_bill_counts(bills: pd.DataFrame, closing: pd.Series, payments: pd.DataFrame) -> pd.DataFrame:
    """For each payment (indexed like ``payments``), how many of its vendor's bills were ``open`` on
    its day and how many were dated on or before it (``earlier``)."""
    starts = pd.DataFrame({"partner_id": bills["partner_id"].to_numpy(), "day": bills["day"].to_numpy(),
                           "order": _START, "delta": 1, "row": -1})
    closed = bills.assign(closed=closing.reindex(bills["id"].astype("int64")).to_numpy())
    closed = closed[closed["closed"].notna()]
    ends = pd.DataFrame({"partner_id": closed["partner_id"].to_numpy(), "day": closed["closed"].to_numpy(),
                         "order": _END, "delta": -1, "row": -1})
    queries = pd.DataFrame({"partner_id": payments["partner_id"].to_numpy(), "day": payments["day"].to_numpy(),
                            "order": _QUERY, "delta": 0, "row": np.arange(len(payments))})
    events = pd.concat([starts, ends, queries], ignore_index=True)
    events = events.sort_values(["partner_id", "day", "order"], kind="mergesort")
    by_vendor = events.groupby("partner_id")
    events["open"] = by_vendor["delta"].cumsum()
    events["earlier"] = (events["order"] == _START).astype("int64").groupby(events["partner_id"]).cumsum()
    asked = events[events["order"] == _QUERY].set_index("row")[["open", "earlier"]].sort_index()
    return asked.set_index(payments.index)


def _next_bills(bills: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
    """For each payment, the vendor's first bill dated on or after the payment day (if any)."""
    left = payments[["partner_id", "day"]].assign(row=np.arange(len(payments))).sort_values("day")
    right = bills[["partner_id", "day", "id", "name"]].rename(columns={"day": "bill_day", "id": "bill_id",
                                                                       "name": "bill_name"})
    right = right.sort_values("bill_day")
    left["partner_id"] = left["partner_id"].astype("int64")
    right["partner_id"] = right["partner_id"].astype("int64")
    merged = pd.merge_asof(left, right, left_on="day", right_on="bill_day", by="partner_id", direction="forward")
    return merged.set_index("row").sort_index().set_index(payments.index)


def _amount_explained(bills: pd.DataFrame, payments: pd.DataFrame, grace_days: float) -> pd.Series:
    """For each payment, whether a bill of its vendor dated up to ``grace_days`` after it has exactly its
    amount (the bill it pays, not matched yet)."""
    if bills.empty or payments.empty:
        return pd.Series(False, index=payments.index)
    left = payments[["partner_id", "minor", "day"]].assign(row=np.arange(len(payments)))
    left["partner_id"] = left["partner_id"].astype("int64")
    right = bills[["partner_id", "minor", "day"]].rename(columns={"day": "bill_day"})
    right = right.assign(partner_id=right["partner_id"].astype("int64"))
    merged = left.merge(right, on=["partner_id", "minor"])
    ok = merged[merged["bill_day"] <= merged["day"] + pd.Timedelta(days=float(grace_days))]
    return pd.Series(np.isin(np.arange(len(payments)), ok["row"].to_numpy()), index=payments.index)


def run(data: AnomalyData, params: Mapping[str, float]) -> list[Anomaly]:
    """Outbound vendor payments matched to no bill, made when the vendor had no open bill or left
    unexplained by any bill of its amount."""
    payments = outbound_payments(data, ("supplier",))
    payments = payments[payments["minor"] >= params["min_amount"] * 10 ** data.digits]
    if payments.empty:
        return []
    bills = documents(data, ("in_invoice",))
    vendor_documents = documents(data, _BILL_TYPES)
    matched = settlements(data, payments["move_id"], vendor_documents["id"])
    payments = payments[~payments["move_id"].isin(matched["move_id"])]
    if payments.empty:
        return []
    counts = _open_bill_counts(bills, _closing_days(data, bills), payments)
    payments = payments.assign(earlier_bills=counts["earlier"], open_bills=counts["open"])
    age = (pd.Timestamp(data.today) - payments["day"]).dt.days
    unexplained = (payments["open_bills"] > 0) & (age >= params["unmatched_days"]) \
        & ~_amount_explained(bills, payments, params["grace_days"])
    payments = payments[(payments["open_bills"] == 0) | unexplained].copy()
    if payments.empty:
        return []
    bills_ever = bills.groupby("partner_id")["id"].size()
    payments["bills_ever"] = bills_ever.reindex(payments["partner_id"]).fillna(0).astype("int64").to_numpy()
    following = _next_bills(bills, payments)
    payments["next_bill_id"] = following["bill_id"]
    payments["next_bill_name"] = following["bill_name"]
    payments["next_bill_days"] = (following["bill_day"] - payments["day"]).dt.days
    followed = payments["next_bill_days"].notna() & (payments["next_bill_days"] <= params["grace_days"])
    payments["score"] = np.where(payments["bills_ever"] == 0, params["score_never_billed"],
                                 np.where(payments["open_bills"] > 0, params["score_unexplained"],
                                          np.where(followed, params["score_bill_followed"],
                                                   params["score_nothing_open"])))
    payments["followed"] = followed
    payments = payments.sort_values(["score", "id"], ascending=[False, True], kind="mergesort")
    return [_finding(data, row) for _, row in payments.iterrows()]


def _finding(data: AnomalyData, row: pd.Series) -> Anomaly:
    vendor = text(row["partner_name"], "the vendor")
    amount = money(data, row["minor"])
    shown = fmt(amount, data.currency, data.digits)
    name = label(row["name"], row["id"], "payment")
    memo = text(row["ref"])
    reason = f"{name} paid {shown} to {vendor}" + (f" (memo {memo!r})" if memo else "") + ", is matched to no bill"
    if row["open_bills"] > 0:
        open_bills = int(row["open_bills"])
        reason += (f" {(pd.Timestamp(data.today) - row['day']).days} days later, and none of the vendor's "
                   f"{open_bills} open bill{'s' if open_bills != 1 else ''} on that day (nor any bill after it) "
                   "is of that amount. Check what it paid and match it, or ask for it back.")
        return _anomaly(data, row, shown, vendor, amount, name, memo, reason)
    reason += ", and the vendor had no open bill on that day"
    if row["bills_ever"] == 0:
        reason += f": {vendor} has never sent a bill. Check who asked for this payment and what it was for."
    elif row["followed"]:
        days = int(row["next_bill_days"])
        bill_name = label(row["next_bill_name"], row["next_bill_id"], "bill")
        reason += (f"; bill {bill_name} arrived {days} day{'s' if days != 1 else ''} later: if the payment "
                   "was an advance on it, reconcile the two.")
    elif row["earlier_bills"] == 0:
        reason += "; the vendor had not billed anything yet. Check whether it was paid in advance, and for what."
    else:
        earlier = int(row["earlier_bills"])
        reason += ("; its only earlier bill was" if earlier == 1 else f"; its {earlier} earlier bills were all") + \
            " settled before. Check whether it was paid twice or paid in advance."
    return _anomaly(data, row, shown, vendor, amount, name, memo, reason)


def _anomaly(data: AnomalyData, row: pd.Series, shown: str, vendor: str, amount, name: str, memo: str,
             reason: str) -> Anomaly:
    # the payment and its journal entry only: a bill arriving later must not change the finding's key
    records = (ref(PAYMENT, row["id"], row["name"]), ref(MOVE, row["move_id"], row["name"]))
    title = (f"{shown} paid to {vendor}, explained by no bill" if row["open_bills"] > 0
             else f"{shown} paid to {vendor} with no open bill")
    return Anomaly(
        detector=NAME, kind=KIND, score=score(row["score"]),
        title=title, reason=reason, records=records,
        amount=amount, occurred_on=day_of(row["date"]), partner=text(row["partner_name"]) or None,
        figures={"payment": name, "amount": amount, "memo": memo or None, "vendor_bills_ever": int(row["bills_ever"]),
                 "vendor_bills_before": int(row["earlier_bills"]), "vendor_open_bills": int(row["open_bills"]),
                 "next_bill": text(row["next_bill_name"]) or None,
                 "next_bill_days": None if pd.isna(row["next_bill_days"]) else int(row["next_bill_days"])})


DETECTOR = Detector(name=NAME, kinds=(KIND,), needs=("moves", "lines", "payments", "partials"),
                    run=run, defaults=DEFAULTS)
