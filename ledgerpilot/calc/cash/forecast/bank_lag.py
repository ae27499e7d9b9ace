"""How long a settlement takes to show on the bank: payment entry date -> bank statement date.

The payment-behaviour model dates a payment when it is reconciled with the invoice or bill; for
vendor payments that is the day the payment entry is made, and the bank shows it one to a few
working days later (it clears the outstanding-payments account then). The lag is learned by
matching recent settlements to bank lines of the same partner and amount within ``MAX_LAG_DAYS``
after them, so the forecast lands cash on the day the bank will move, with the lag's spread as
timing noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_LAG_DAYS = 10
LOOKBACK_DAYS = 180
MIN_MATCHES = 5


@dataclass(frozen=True)
class BankLag:
    days: int          # median lag, whole days
    spread: float      # standard deviation of the lag, days
    matches: int


NO_LAG = BankLag(0, 0.0, 0)


def bank_lags(paid_items: pd.DataFrame, bank_history: pd.DataFrame, as_of, digits: int) -> dict[str, BankLag]:
    """The lag per kind ("receivable"/"payable"); ``NO_LAG`` where too few settlements match."""
    out = {"receivable": NO_LAG, "payable": NO_LAG}
    if paid_items is None or bank_history is None or not len(paid_items) or not len(bank_history):
        return out
    since = pd.Timestamp(as_of) - pd.Timedelta(days=LOOKBACK_DAYS)
    paid = paid_items[(pd.to_datetime(paid_items["paid_date"]) > since) & paid_items["partner_id"].notna()]
    bank = bank_history[(pd.to_datetime(bank_history["date"]) > since) & bank_history["partner_id"].notna()]
    if not len(paid) or not len(bank):
        return out
    left = pd.DataFrame({
        "kind": paid["kind"].astype(str).to_numpy(),
        "partner_id": paid["partner_id"].astype("int64").to_numpy(),
        "minor": np.rint(paid["amount"].astype("float64").to_numpy() * 10**digits).astype("int64"),
        "paid": pd.to_datetime(paid["paid_date"]).to_numpy(),
    })
    amounts = np.rint(bank["amount"].astype("float64").to_numpy() * 10**digits).astype("int64")
    right = pd.DataFrame({
        "partner_id": bank["partner_id"].astype("int64").to_numpy(),
        "minor": np.abs(amounts),
        "direction": np.where(amounts > 0, "receivable", "payable"),
        "bank": pd.to_datetime(bank["date"]).to_numpy(),
    })
    merged = left.merge(right, on=["partner_id", "minor"])
    merged = merged[merged["kind"] == merged["direction"]]
    merged["lag"] = (merged["bank"] - merged["paid"]).dt.days
    merged = merged[(merged["lag"] >= 0) & (merged["lag"] <= MAX_LAG_DAYS)]
    if not len(merged):
        return out
    # the nearest bank line per settlement
    nearest = merged.sort_values("lag").drop_duplicates(["kind", "partner_id", "minor", "paid"])
    for kind, group in nearest.groupby("kind"):
        if len(group) >= MIN_MATCHES:
            lags = group["lag"].to_numpy(dtype="float64")
            out[str(kind)] = BankLag(int(np.median(lags)), float(lags.std()), len(lags))
    return out


def in_transit(paid_items: pd.DataFrame, bank_history: pd.DataFrame, as_of, digits: int,
               lags: dict[str, BankLag]) -> pd.DataFrame:
    """Payments recorded on or before ``as_of`` that the bank has not shown yet: settled items
    (so no longer open) whose cash still has to move. One row per settlement (PAID_COLUMNS), those
    of the last ``lag + 3 x spread`` days without a bank line of the same partner and amount on or
    after their date."""
    empty = paid_items.iloc[0:0] if paid_items is not None else pd.DataFrame()
    if paid_items is None or not len(paid_items):
        return empty
    keep = []
    paid_day = pd.to_datetime(paid_items["paid_date"])
    bank = bank_history if bank_history is not None else pd.DataFrame(columns=["partner_id", "amount", "date"])
    bank_minor = np.abs(np.rint(bank["amount"].astype("float64").to_numpy() * 10**digits)).astype("int64")
    bank_keys = pd.DataFrame({"partner_id": bank["partner_id"].astype("Int64").to_numpy(), "minor": bank_minor,
                              "bank": pd.to_datetime(bank["date"]).to_numpy()})
    for kind, lag in lags.items():
        if not lag.days:
            continue
        window = min(MAX_LAG_DAYS, int(np.ceil(lag.days + 3 * lag.spread)))
        recent = paid_items[(paid_items["kind"] == kind).fillna(False).to_numpy()
                            & (paid_day > pd.Timestamp(as_of) - pd.Timedelta(days=window)).to_numpy()
                            & paid_items["partner_id"].notna().to_numpy()]
        if not len(recent):
            continue
        left = pd.DataFrame({"row": recent.index, "partner_id": recent["partner_id"].astype("Int64").to_numpy(),
                             "minor": np.rint(recent["amount"].astype("float64").to_numpy() * 10**digits)
                             .astype("int64"), "paid": pd.to_datetime(recent["paid_date"]).to_numpy()})
        merged = left.merge(bank_keys, on=["partner_id", "minor"], how="left")
        shown = merged[(merged["bank"] >= merged["paid"]).fillna(False)]["row"].unique()
        keep.extend(r for r in left["row"] if r not in set(shown))
    return paid_items.loc[keep] if keep else empty
