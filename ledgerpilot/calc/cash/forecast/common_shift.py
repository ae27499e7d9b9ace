"""How much customers (and the company's own payments) run late or early together.

Partners' delays are not independent: in a slow month most customers pay later. The spread of
the month-by-month amount-weighted mean delay over the last ``MONTHS`` months (around its mean)
is drawn once per simulation as a shift shared by every item of that kind, so the bands carry
this common risk instead of letting it average away over many items.
"""

from __future__ import annotations

import pandas as pd

MONTHS = 12
MIN_MONTHS = 4


def common_delay_spread(paid_items: pd.DataFrame, as_of) -> dict[str, float]:
    out = {"receivable": 0.0, "payable": 0.0}
    if paid_items is None or not len(paid_items):
        return out
    paid = pd.to_datetime(paid_items["paid_date"])
    recent = paid_items[(paid > pd.Timestamp(as_of) - pd.DateOffset(months=MONTHS)) & paid_items["delay_days"].notna()]
    if not len(recent):
        return out
    month = pd.to_datetime(recent["paid_date"]).dt.to_period("M")
    amount = recent["amount"].astype("float64").abs()
    delay = recent["delay_days"].astype("float64").clip(-60, 120)
    frame = pd.DataFrame({"kind": recent["kind"].astype(str).to_numpy(), "month": month.to_numpy(),
                          "w": amount.to_numpy(), "wd": (amount * delay).to_numpy()})
    grouped = frame.groupby(["kind", "month"])[["w", "wd"]].sum()
    for kind in out:
        if kind not in grouped.index.get_level_values(0):
            continue
        rows = grouped.loc[kind]
        rows = rows[rows["w"] > 0]
        if len(rows) >= MIN_MONTHS:
            out[kind] = float((rows["wd"] / rows["w"]).std(ddof=1))
    return out
