"""Round amounts in manual journal entries: a person typed a figure that was estimated, not computed.

Amounts that come from documents (invoices, bills, payments, statements, stock moves) carry cents;
an entry typed by hand for exactly 10,000.00 with nothing behind it is a classic sign of an
estimate, a plug or a made-up figure, so auditors look at those first. Only entries whose ``origin``
is ``manual`` are judged: a monthly rent bill of exactly 5,000.00 is a bill, not a manual entry.

An entry is reported when its amount (the sum of its debits) is a multiple of ``min_unit``
(1,000.00 by default) and it has no supporting reference:

- no partner on the entry (a counterparty would hold the document),
- no link to an entry it reverses,
- no document number in its reference (a run of at least three digits that is not just a year or a
  period: "Year-end provision" or "Payroll 2026-05" name no document, "CTR-20931" does).

Rarer roundness scores higher: a multiple of 1,000 scores ``base_score``, each tenfold rounder
unit adds ``score_per_decade`` (10,000 -> 0.7, 100,000 -> 0.8 with the defaults), up to 0.95.
Two kinds of round entries are not reported: a standing entry (the same amount typed in at least
``recurring_months`` different months, such as a fixed monthly management fee) and, with
``skip_opening`` on, the opening entries (dated on the first day of the books in the data and
touching an equity account), which bring in the balances from before the books and are checked
when the books are taken on.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.bill_helpers import day_of, fmt, money, ref, score, text
from ledgerpilot.calc.anomalies.detector import Detector
from ledgerpilot.calc.anomalies.frames import AnomalyData, opening_entries
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.money import to_minor

NAME = "round_amounts"
KIND = "round_amount_manual_entry"

DEFAULTS: dict[str, float] = {
    # the smallest round unit reported (company currency)
    "min_unit": 1000.0,
    # score of an amount that is a multiple of min_unit (and of nothing rounder)
    "base_score": 0.6,
    # added for each tenfold rounder unit (a multiple of 10 x min_unit, 100 x min_unit...)
    "score_per_decade": 0.1,
    # the same round amount typed in at least this many different months is a standing entry
    "recurring_months": 3,
    # 1: entries dated on the first day of the books (opening balances) are not judged
    "skip_opening": 1,
}

MAX_SCORE = 0.95
# a year (2026), a year and month (2026-05, 05/2026) or a quarter (Q2 2026) is a period, not a document
_PERIODS = r"\b(?:19|20)\d{2}(?:[-/.]\d{1,2})?\b|\b\d{1,2}[-/.](?:19|20)\d{2}\b"
_DOCUMENT_NUMBER = r"\d{3,}"



def has_document_number(refs: pd.Series) -> pd.Series:
    """Whether each reference names a document: three digits or more once years and periods are removed."""
    clean = refs.astype("string").str.replace(_PERIODS, " ", regex=True)
    return clean.str.contains(_DOCUMENT_NUMBER, regex=True).fillna(False).astype(bool)


def _roundness(minor: pd.Series, unit_minor: int) -> pd.Series:
    """The roundest unit (min_unit x 1, 5, 10, 50, 100...) each amount is a multiple of; 0 when none.

    Loops over the handful of candidate units, never over the rows.
    """
    best = pd.Series(0, index=minor.index, dtype="int64")
    largest = int(minor.max()) if len(minor) else 0
    unit, step = unit_minor, 0
    while unit <= largest:
        best = best.where(~((minor % unit == 0) & (minor > 0)), unit)
        unit = unit * 5 if step % 2 == 0 else unit * 2    # 1, 5, 10, 50, 100... x min_unit
        step += 1
    return best


def _entry_amounts(data: AnomalyData, move_ids: pd.Index) -> pd.Series:
    """Sum of the debits of each entry in integer minor units (indexed by move id)."""
    lines = data.lines[data.lines["move_id"].isin(move_ids) & (data.lines["balance"] > 0)]
    minor = to_minor(lines["balance"], data.digits)
    return minor.groupby(lines["move_id"].astype("int64").to_numpy()).sum()


def candidates(data: AnomalyData, params: Mapping[str, float]) -> pd.DataFrame:
    """The manual entries with a round amount and no supporting reference, with their roundness."""
    moves = data.moves
    manual = moves[moves["origin"] == "manual"].copy()
    if manual.empty:
        return manual.assign(minor=pd.Series(dtype="int64"), unit=pd.Series(dtype="int64"))
    manual["minor"] = _entry_amounts(data, pd.Index(manual["id"].astype("int64"))).reindex(
        manual["id"].astype("int64").to_numpy()).fillna(0).astype("int64").to_numpy()
    unit_minor = round(params["min_unit"] * 10 ** data.digits)
    if unit_minor <= 0:
        raise ValueError(f"detector {NAME!r}: min_unit must be above 0, not {params['min_unit']}")
    manual["unit"] = _roundness(manual["minor"], unit_minor).to_numpy()
    round_ = manual[manual["unit"] > 0].copy()
    if round_.empty:
        return round_
    # a standing entry: the same round amount typed in several different months
    all_round = round_.assign(month=round_["date"].dt.to_period("M"))
    months = all_round.groupby("minor")["month"].transform("nunique")
    round_ = round_[(months < params["recurring_months"]).to_numpy()]
    supported = (round_["partner_id"].notna() | round_["reversed_entry_id"].notna()
                 | has_document_number(round_["ref"]))
    round_ = round_[~supported.to_numpy()]
    if params["skip_opening"]:
        round_ = round_[~round_["id"].isin(opening_entries(data))]
    return round_


def run(data: AnomalyData, params: Mapping[str, float]) -> list[Anomaly]:
    found = candidates(data, params)
    if found.empty:
        return []
    unit_minor = params["min_unit"] * 10 ** data.digits
    decades = np.log10(found["unit"].to_numpy() / unit_minor)
    scores = np.minimum(params["base_score"] + params["score_per_decade"] * decades, MAX_SCORE)
    found = found.assign(score=scores).sort_values(["score", "minor", "id"], ascending=[False, False, True])
    out: list[Anomaly] = []
    for row in found.itertuples(index=False):
        amount = money(data, row.minor)
        unit = money(data, row.unit)
        shown = fmt(amount, data.currency, data.digits)
        who = text(row.create_login) or data.user_login(row.create_uid) or "an unknown user"
        reference = text(row.ref)
        said = f"its reference {reference!r} names no document" if reference else "it has no reference"
        out.append(Anomaly(
            detector=NAME, kind=KIND, score=score(row.score),
            title=f"Round manual entry of {shown}",
            reason=(f"{text(row.name, 'A draft entry')} in {text(row.journal_code)} was typed in by {who} for "
                    f"exactly {shown} (a multiple of {fmt(unit, data.currency, 0)}); {said}, it names no "
                    "partner and reverses no entry, so nothing supports the figure."),
            records=(ref("account.move", row.id, row.name),),
            amount=amount, occurred_on=day_of(row.date), user=who if who != "an unknown user" else None,
            figures={"amount": amount, "round_unit": unit, "journal": text(row.journal_code),
                     "reference": reference or None, "state": text(row.state)},
        ))
    return out


DETECTOR = Detector(name=NAME, kinds=(KIND,), needs=("moves", "lines"), run=run, defaults=DEFAULTS)
