"""Intercompany entries present on one side only: company A booked something with company B that
company B never booked with company A, so the consolidated books will not eliminate.

Runs only where the data holds several companies (``companies`` has two rows or more); with one
company there is no other side and it returns nothing. An entry is intercompany when its partner
(the entry's partner, else the partner of one of its items) is the partner of *another* company of
the group. Its counterpart is an entry of that other company whose partner is the first company,
for the same amount to the cent (in absolute value: A's invoice is B's bill), dated within
``date_window_days`` days (the nearest such entry; references are not required to agree, since each
side numbers its documents its own way). The books read are one company's (``moves``); the other
companies' side comes in ``counterparts``. Only this company's entries are judged.

Score: 0.75 for an entry older than ``grace_days`` with no counterpart (0.85 from
``large_amount`` up); within the grace period the other side may not have booked it yet, and the
finding stays below the threshold (0.35). Amounts are compared as the loader gives them (company
currency); companies keeping different currencies need their entries in one currency first.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.bill_helpers import day_of, fmt, money, ref, score, text
from ledgerpilot.calc.anomalies.detector import Detector
from ledgerpilot.calc.anomalies.frames import AnomalyData
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.money import to_minor

NAME = "intercompany"
KIND = "intercompany_one_sided"

DEFAULTS: dict[str, float] = {
    # the counterpart must be dated within this many days of the entry
    "date_window_days": 10,
    # younger than this (days before today), the other side may not have booked it yet
    "grace_days": 5,
    # from this amount up an unmatched entry scores higher
    "large_amount": 10000.0,
}


def intercompany_entries(data: AnomalyData) -> pd.DataFrame:
    """Entries whose partner is another company of the group: company_id, other_company_id, minor, day."""
    return _intercompany(data.moves, data.lines, data.companies, data.digits)


def _intercompany(moves: pd.DataFrame, lines: pd.DataFrame, companies: pd.DataFrame, digits: int) -> pd.DataFrame:
    companies = companies.dropna(subset=["id", "partner_id"])
    company_of_partner = pd.Series(companies["id"].astype("int64").to_numpy(),
                                   index=companies["partner_id"].astype("int64").to_numpy())
    moves = moves[moves["company_id"].notna()]
    item_partner = lines[lines["partner_id"].isin(company_of_partner.index)] \
        .groupby("move_id")["partner_id"].first()
    partner = moves["partner_id"].where(moves["partner_id"].isin(company_of_partner.index))
    partner = partner.fillna(pd.Series(item_partner.reindex(moves["id"].to_numpy()).to_numpy(), index=moves.index))
    moves = moves.assign(ic_partner=partner)[partner.notna()]
    other = moves["ic_partner"].astype("int64").map(company_of_partner)
    moves = moves.assign(other_company_id=other.to_numpy(), own_company_id=moves["company_id"].astype("int64"))
    moves = moves[moves["other_company_id"] != moves["own_company_id"]].copy()
    moves["minor"] = to_minor(moves["amount_total_signed"].abs(), digits).to_numpy()
    moves["day"] = moves["date"].dt.normalize()
    return moves[moves["minor"] > 0]


def _paired(entries: pd.DataFrame, window_days: float) -> pd.Series:
    """For each entry, whether the other company booked a counterpart: the nearest entry by date of
    the mirrored pair of companies with the same amount, no more than ``window_days`` away."""
    key = ["own_company_id", "other_company_id", "minor"]
    left = entries[["id", "day"] + key].sort_values("day", kind="mergesort")
    mirror = entries[["id", "day"] + key].rename(columns={
        "own_company_id": "other_company_id", "other_company_id": "own_company_id", "id": "other_id"})
    mirror = mirror.assign(other_day=mirror["day"]).sort_values("day", kind="mergesort")
    joined = pd.merge_asof(left, mirror, on="day", by=key, direction="nearest",
                           tolerance=pd.Timedelta(days=float(window_days)))
    return pd.Series(joined["other_id"].notna().to_numpy(), index=joined["id"].to_numpy())


def run(data: AnomalyData, params: Mapping[str, float]) -> list[Anomaly]:
    if len(data.companies) < 2:
        return []
    entries = intercompany_entries(data)
    if entries.empty:
        return []
    pool = entries
    if len(data.counterparts):
        no_lines = data.lines.iloc[0:0]
        pool = pd.concat([entries, _intercompany(data.counterparts, no_lines, data.companies, data.digits)])
    matched = _paired(pool, params["date_window_days"])
    alone = entries[~entries["id"].map(matched).fillna(False).astype(bool)].copy()
    if alone.empty:
        return []
    names = dict(zip(data.companies["id"].astype("int64"), data.companies["name"]))
    age = (pd.Timestamp(data.today) - alone["day"]).dt.days.to_numpy()
    large = alone["minor"].to_numpy() >= params["large_amount"] * 10 ** data.digits
    alone["score"] = np.where(age < params["grace_days"], 0.35, np.where(large, 0.85, 0.75))
    alone = alone.sort_values(["score", "minor", "id"], ascending=[False, False, True])
    out: list[Anomaly] = []
    for row in alone.itertuples(index=False):
        amount = money(data, row.minor)
        own, other = text(names.get(row.own_company_id)), text(names.get(row.other_company_id))
        reason = (f"{text(row.name, 'A draft entry')} in {own} books {fmt(amount, data.currency, data.digits)} with "
                  f"{other} on {day_of(row.date)}, but {other} has no entry with {own} for that amount within "
                  f"{int(params['date_window_days'])} days: the group's books will not eliminate")
        if row.score < 0.5:
            reason += f" (it is less than {int(params['grace_days'])} days old: the other side may still book it)"
        out.append(Anomaly(
            detector=NAME, kind=KIND, score=score(row.score),
            title=f"Intercompany entry with {other} not booked on the other side",
            reason=reason + ".", records=(ref("account.move", row.id, row.name),), amount=amount,
            occurred_on=day_of(row.date), partner=text(row.partner_name) or other or None,
            user=text(row.create_login) or None,
            figures={"company": own, "other_company": other, "amount": amount, "reference": text(row.ref) or None,
                     "date_window_days": int(params["date_window_days"])},
        ))
    return out


DETECTOR = Detector(name=NAME, kinds=(KIND,), needs=("moves", "lines", "companies"), run=run, defaults=DEFAULTS,
                    also_reads=("counterparts",))
