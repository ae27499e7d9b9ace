"""Rare account combinations: an entry that debits one account against another that (almost) never
go together in these books, such as Cost of Goods Sold against Tax Payable.

Each entry is read as the pairs (account debited, account credited) it contains. For every pair the
support is the number of *other* entries holding the same pair, and two Laplace-smoothed rates say
how often the pair occurs given each of its accounts:

- ``(support + 1) / (entries debiting the first account + 2)``
- ``(support + 1) / (entries crediting the second account + 2)``

(all counts leave the entry itself out). The pair's rate is the geometric mean of the two: a pair
is rare when the debit account's many entries never credit that account *and* the credit account's
entries never debit that one; two accounts seen once each are not evidence of anything. A pair
whose rate is below ``max_rate`` and that no more than ``max_support`` other entries hold is
reported ("almost never": a pair seen in a dozen entries is a habit, however busy its accounts); the score is 0.5 at ``max_rate`` and reaches 0.95 at
a hundredth of it. One finding per entry, for its rarest pair; the other rare pairs are in the
figures. Baselines use every entry (posted and draft) of all history.

With ``skip_opening`` on, the opening entries (dated on the first day of the books in the data and
touching an equity account) are not judged: opening balances are brought in once, against capital
accounts nothing else touches.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.bill_helpers import day_of, fmt, money, ref, score, text
from ledgerpilot.calc.anomalies.detector import Detector
from ledgerpilot.calc.anomalies.frames import AnomalyData, opening_entries
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.money import quantize, to_minor

NAME = "rare_accounts"
KIND = "rare_account_combination"

DEFAULTS: dict[str, float] = {
    # a pair whose smoothed rate (geometric mean of both directions) is below this is rare
    "max_rate": 0.03,
    # a pair found in more other entries than this is established, however rare its rate
    "max_support": 2,
    # 1: entries dated on the first day of the books (opening balances) are not judged
    "skip_opening": 1,
}

MAX_SCORE = 0.95
_DECADES = 2.0



def _sides(data: AnomalyData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per entry and account: the debited accounts and the credited ones (amount in minor units, first item id)."""
    lines = data.lines[data.lines["balance"].notna() & (data.lines["balance"] != 0)
                       & data.lines["account_id"].notna() & data.lines["move_id"].isin(data.moves["id"])]
    frame = pd.DataFrame({
        "move_id": lines["move_id"].astype("int64").to_numpy(),
        "account_id": lines["account_id"].astype("int64").to_numpy(),
        "account_code": lines["account_code"].to_numpy(),
        "line_id": lines["id"].astype("int64").to_numpy(),
        "minor": to_minor(lines["balance"], data.digits).to_numpy(),
    })
    debit = frame["minor"] > 0
    grouped = []
    for side in (frame[debit], frame[~debit]):
        grouped.append(side.groupby(["move_id", "account_id"], sort=False).agg(
            account_code=("account_code", "first"), line_id=("line_id", "min"),
            minor=("minor", "sum")).reset_index())
    return grouped[0], grouped[1]


def pair_rates(data: AnomalyData) -> pd.DataFrame:
    """Every (entry, debit account, credit account) with its support and smoothed rates."""
    debits, credits = _sides(data)
    pairs = debits.merge(credits, on="move_id", suffixes=("_d", "_c"))
    pairs = pairs[pairs["account_id_d"] != pairs["account_id_c"]]
    if pairs.empty:
        return pairs.assign(support=[], rate=[])
    support = pairs.groupby(["account_id_d", "account_id_c"], sort=False)["move_id"].transform("size") - 1
    uses_d = debits.groupby("account_id").size()
    uses_c = credits.groupby("account_id").size()
    n_d = pairs["account_id_d"].map(uses_d).to_numpy() - 1
    n_c = pairs["account_id_c"].map(uses_c).to_numpy() - 1
    rate_d = (support + 1) / (n_d + 2)
    rate_c = (support + 1) / (n_c + 2)
    return pairs.assign(support=support.to_numpy(), debit_uses=n_d, credit_uses=n_c,
                        rate=np.sqrt(rate_d * rate_c))


def run(data: AnomalyData, params: Mapping[str, float]) -> list[Anomaly]:
    pairs = pair_rates(data)
    if pairs.empty:
        return []
    limit = params["max_rate"]
    rare = pairs[(pairs["rate"] < limit) & (pairs["support"] <= params["max_support"])].copy()
    if params["skip_opening"]:
        rare = rare[~rare["move_id"].isin(opening_entries(data))]
    if rare.empty:
        return []
    depth = np.log10(limit / rare["rate"].to_numpy()) / _DECADES
    rare["score"] = 0.5 + (MAX_SCORE - 0.5) * np.clip(depth, 0.0, 1.0)
    rare = rare.sort_values(["move_id", "rate", "account_id_d", "account_id_c"], kind="mergesort")
    counts = rare.groupby("move_id").size()
    labels = rare["account_code_d"].astype(str) + " / " + rare["account_code_c"].astype(str)
    others = labels.groupby(rare["move_id"].to_numpy()).agg(list)
    top = rare.drop_duplicates("move_id").merge(
        data.moves.drop_duplicates("id").assign(move_id=lambda m: m["id"].astype("int64")), on="move_id")
    top = top.sort_values(["score", "move_id"], ascending=[False, True])
    out: list[Anomaly] = []
    for row in top.itertuples(index=False):
        amount = money(data, min(abs(row.minor_d), abs(row.minor_c)))
        debit, credit = text(row.account_code_d), text(row.account_code_c)
        seen = "never" if row.support == 0 else f"only {int(row.support)} time{'s' if row.support > 1 else ''}"
        login = text(row.create_login) or data.user_login(row.create_uid)
        out.append(Anomaly(
            detector=NAME, kind=KIND, score=score(row.score),
            title=f"Rare account combination {debit} / {credit}",
            reason=(f"{text(row.name, 'A draft entry')} debits {debit} against a credit to {credit} "
                    f"({fmt(amount, data.currency, data.digits)}); in the other entries this pair appears "
                    f"{seen}, while {debit} is debited in {int(row.debit_uses)} and {credit} credited in "
                    f"{int(row.credit_uses)} of them."),
            records=(ref("account.move", row.move_id, row.name), ref("account.move.line", row.line_id_d),
                     ref("account.move.line", row.line_id_c)),
            amount=amount, occurred_on=day_of(row.date), partner=text(row.partner_name) or None, user=login,
            figures={"account_pair": f"{debit} / {credit}", "debit_account": debit, "credit_account": credit,
                     "support": int(row.support),
                     "debit_uses": int(row.debit_uses), "credit_uses": int(row.credit_uses),
                     "rate": quantize(float(row.rate), 6), "rare_pairs": int(counts[row.move_id]),
                     "pairs": others[row.move_id], "journal": text(row.journal_code)},
        ))
    return out


DETECTOR = Detector(name=NAME, kinds=(KIND,), needs=("moves", "lines"), run=run, defaults=DEFAULTS)
