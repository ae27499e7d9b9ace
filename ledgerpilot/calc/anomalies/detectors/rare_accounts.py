"""Rare account combinations: an entry that debits one account against another that (almost) never
go together in these books, such as Cost of Goods Sold against Tax Payable.

Each entry is read as the pairs (account debited, account credited) it contains. A pair is judged
within the entry's journal type (sales, purchases, bank, cash, miscellaneous): a pair that sales
invoices use every day is still rare in a manual entry. Entries written by Odoo's own mechanisms
(payments, statement lines with their write-offs, exchange differences: ``SYSTEM_ORIGINS``) are
not judged and their pairs are not counted: receivable and Outstanding Receipts, bank and capital,
the exchange gain are Odoo's doing, not anyone's choice; they still count as uses of their accounts
(salaries paid from the bank make the salaries account a busy one). For every pair the support is
the number of *other* judged entries of the same journal type holding it, and two Laplace-smoothed
rates say how often the pair occurs given each of its accounts (used in entries of any kind):

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
from dataclasses import dataclass

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
    "max_rate": 0.05,
    # a pair found in more other entries than this is established, however rare its rate
    "max_support": 2,
    # 1: entries dated on the first day of the books (opening balances) are not judged
    "skip_opening": 1,
}

MAX_SCORE = 0.95
_DECADES = 2.0
#: entries written by Odoo's own mechanisms (``moves.origin``): their pairs are not people's choices
SYSTEM_ORIGINS = ("payment", "bank", "exchange")
#: journal types a pair is judged within (``jtype`` is the index; any other type is one more)
JOURNAL_TYPES = ("sale", "purchase", "cash", "bank", "general")
_JTYPE_CODE = {kind: code for code, kind in enumerate(JOURNAL_TYPES)}



def judged_entries(moves: pd.DataFrame) -> pd.DataFrame:
    """The entries whose account pairs say something about people's choices: not the ones Odoo's own
    mechanisms write (``SYSTEM_ORIGINS``: payments, statement lines with their write-offs, exchange
    differences)."""
    return moves.loc[~moves["origin"].isin(SYSTEM_ORIGINS).to_numpy()]


def sides(lines: pd.DataFrame, moves: pd.DataFrame, digits: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per entry of ``moves`` and account: the debited accounts and the credited ones (amount in minor
    units, first item id), each with its entry's journal type (``jtype``, a code of
    ``JOURNAL_TYPES``) and whether it is judged (``judged``: not written by Odoo's own mechanisms)."""
    moves = moves.drop_duplicates("id")
    entry_ids = pd.Index(moves["id"].astype("int64").to_numpy())
    kinds = moves["journal_type"].astype("string").fillna("").to_numpy(dtype=object)
    entry_jtype = pd.Series(kinds).map(_JTYPE_CODE).fillna(len(JOURNAL_TYPES)).to_numpy(dtype="int64")
    entry_judged = ~moves["origin"].isin(SYSTEM_ORIGINS).to_numpy()
    lines = lines[lines["balance"].notna() & (lines["balance"] != 0) & lines["account_id"].notna()]
    position = entry_ids.get_indexer(lines["move_id"].astype("int64").to_numpy())
    lines = lines[position >= 0]
    frame = pd.DataFrame({
        "move_id": lines["move_id"].astype("int64").to_numpy(),
        "account_id": lines["account_id"].astype("int64").to_numpy(),
        "account_code": lines["account_code"].to_numpy(),
        "line_id": lines["id"].astype("int64").to_numpy(),
        "minor": to_minor(lines["balance"], digits).to_numpy(),
    })
    debit = frame["minor"] > 0
    grouped = []
    for side in (frame[debit], frame[~debit]):
        out = side.groupby(["move_id", "account_id"], sort=False).agg(
            account_code=("account_code", "first"), line_id=("line_id", "min"), minor=("minor", "sum")).reset_index()
        at = entry_ids.get_indexer(out["move_id"].to_numpy())
        grouped.append(out.assign(jtype=entry_jtype[at], judged=entry_judged[at]))
    return grouped[0], grouped[1]


def _pairs(debits: pd.DataFrame, credits: pd.DataFrame) -> pd.DataFrame:
    """The (debit, credit) pairs of the judged entries."""
    pairs = debits[debits["judged"]].drop(columns="judged").merge(
        credits[credits["judged"]].drop(columns=["jtype", "judged"]), on="move_id", suffixes=("_d", "_c"))
    return pairs[pairs["account_id_d"] != pairs["account_id_c"]]


@dataclass(frozen=True)
class PairCounts:
    """How many entries of each journal type hold each (debit account, credit account) pair, debit
    each account and credit each account: the baseline of this detector. Counts add up over
    entries, so a long-running scanner keeps them current by removing the old version of each
    changed entry and adding the new one (:meth:`updated`) instead of recounting a million items."""

    pairs: pd.Series       # (jtype, account_id_d, account_id_c) -> entries of that journal type
    debit_uses: pd.Series  # account_id -> entries debiting it (every journal type)
    credit_uses: pd.Series  # account_id -> entries crediting it

    @classmethod
    def of(cls, lines: pd.DataFrame, moves: pd.DataFrame, digits: int) -> PairCounts:
        """The counts over the entries ``moves`` (their items in ``lines``)."""
        debits, credits = sides(lines, moves, digits)
        pairs = _pairs(debits, credits)
        return cls(pairs=pairs.groupby(["jtype", "account_id_d", "account_id_c"]).size().astype("int64"),
                   debit_uses=debits.groupby("account_id").size().astype("int64"),
                   credit_uses=credits.groupby("account_id").size().astype("int64"))

    def updated(self, removed: PairCounts, added: PairCounts) -> PairCounts:
        """These counts without the entries of ``removed`` and with those of ``added``."""
        def change(base: pd.Series, minus: pd.Series, plus: pd.Series) -> pd.Series:
            out = base.sub(minus, fill_value=0).add(plus, fill_value=0).astype("int64")
            return out[out > 0]
        return PairCounts(pairs=change(self.pairs, removed.pairs, added.pairs),
                          debit_uses=change(self.debit_uses, removed.debit_uses, added.debit_uses),
                          credit_uses=change(self.credit_uses, removed.credit_uses, added.credit_uses))


def pair_rates(data: AnomalyData, counts: PairCounts | None = None, move_ids: pd.Index | None = None) -> pd.DataFrame:
    """Every (entry, debit account, credit account) of the judged entries with its support (other
    entries of the same journal type holding the pair) and smoothed rates (against each account's
    uses in every journal type).

    With ``counts`` (the counts over all of ``data``'s entries) only the entries ``move_ids`` are
    read and judged against them: the same rates as over all entries, at the cost of a few.
    """
    moves = data.moves if counts is None or move_ids is None else data.moves[data.moves["id"].isin(move_ids)]
    debits, credits = sides(data.lines, moves, data.digits)
    pairs = _pairs(debits, credits)
    if pairs.empty:
        return pairs.assign(support=[], rate=[])
    if counts is None:
        support = pairs.groupby(["jtype", "account_id_d", "account_id_c"], sort=False)["move_id"].transform("size") - 1
        uses_d = debits.groupby("account_id").size()
        uses_c = credits.groupby("account_id").size()
    else:
        keys = pd.MultiIndex.from_arrays([pairs["jtype"].to_numpy(), pairs["account_id_d"].to_numpy(),
                                          pairs["account_id_c"].to_numpy()])
        support = pd.Series(counts.pairs.reindex(keys, fill_value=1).to_numpy() - 1, index=pairs.index)
        uses_d, uses_c = counts.debit_uses, counts.credit_uses
    n_d = uses_d.reindex(pairs["account_id_d"].to_numpy(), fill_value=1).to_numpy() - 1
    n_c = uses_c.reindex(pairs["account_id_c"].to_numpy(), fill_value=1).to_numpy() - 1
    rate_d = (support + 1) / (n_d + 2)
    rate_c = (support + 1) / (n_c + 2)
    return pairs.assign(support=support.to_numpy(), debit_uses=n_d, credit_uses=n_c,
                        rate=np.sqrt(rate_d * rate_c))


def run(data: AnomalyData, params: Mapping[str, float]) -> list[Anomaly]:
    return findings(data, pair_rates(data), params)


def run_for(data: AnomalyData, params: Mapping[str, float], counts: PairCounts, move_ids: pd.Index) -> list[Anomaly]:
    """The findings about the entries ``move_ids`` only, judged against ``counts`` (which must be the
    counts over every entry of ``data``): the findings :func:`run` reports for them."""
    return findings(data, pair_rates(data, counts, move_ids), params)


def findings(data: AnomalyData, pairs: pd.DataFrame, params: Mapping[str, float]) -> list[Anomaly]:
    """The rare pairs among ``pairs`` (from :func:`pair_rates`) as findings, one per entry."""
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
    moves = data.moves[data.moves["id"].isin(rare["move_id"])]
    top = rare.drop_duplicates("move_id").merge(
        moves.drop_duplicates("id").assign(move_id=lambda m: m["id"].astype("int64")), on="move_id")
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
                    f"({fmt(amount, data.currency, data.digits)}); in the other entries of "
                    f"{_jtype_name(row.jtype)} journals this pair appears {seen}, while {debit} is debited in "
                    f"{int(row.debit_uses)} and {credit} credited in {int(row.credit_uses)} entries of any journal."),
            records=(ref("account.move", row.move_id, row.name), ref("account.move.line", row.line_id_d),
                     ref("account.move.line", row.line_id_c)),
            amount=amount, occurred_on=day_of(row.date), partner=text(row.partner_name) or None, user=login,
            figures={"account_pair": f"{debit} / {credit}", "debit_account": debit, "credit_account": credit,
                     "support": int(row.support),
                     "debit_uses": int(row.debit_uses), "credit_uses": int(row.credit_uses),
                     "rate": quantize(float(row.rate), 6), "rare_pairs": int(counts[row.move_id]),
                     "pairs": others[row.move_id], "journal": text(row.journal_code),
                     "journal_type": _jtype_name(row.jtype)},
        ))
    return out


def _jtype_name(code: int) -> str:
    return JOURNAL_TYPES[int(code)] if 0 <= int(code) < len(JOURNAL_TYPES) else "other"


DETECTOR = Detector(name=NAME, kinds=(KIND,), needs=("moves", "lines"), run=run, defaults=DEFAULTS)
