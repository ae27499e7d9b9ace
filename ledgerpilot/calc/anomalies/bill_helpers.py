"""Shared pieces of the detectors over bills, payments and credit notes.

- which bills, credit notes and payments count (and their amounts in exact minor units),
- references normalised so that "INV-0042" and "inv 42" compare equal,
- which bill a payment settled (through ``account.partial.reconcile``),
- a robust z-score per partner (median and MAD of log amounts),
- money and record references for the findings.

Everything is vectorised over the frames of :class:`~ledgerpilot.calc.anomalies.frames.AnomalyData`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.frames import AnomalyData
from ledgerpilot.domain.money import format_amount, minor_to_decimal, to_minor
from ledgerpilot.domain.proposal import RecordRef

MOVE = "account.move"
PAYMENT = "account.payment"

#: 1 / Phi^-1(3/4): turns a median absolute deviation into the standard deviation of a normal law
MAD_TO_SIGMA = 1.4826

_SEPARATORS = r"[\W_]+"
# a run of zeros that starts a number ("0042" -> "42"), not zeros inside one ("2024" stays)
_LEADING_ZEROS = r"(?<![0-9])0+(?=[0-9])"


def normalise_references(refs: pd.Series) -> pd.Series:
    """References compared the way a person reads them: case, spacing, punctuation and the leading
    zeros of numbers ignored ("INV-0042" -> "inv42", "FAC 2024-0456" -> "fac2024456").

    A reference that is empty after normalising, or has no digit at all ("Rent", "Invoice"), is not
    an invoice number and becomes ``None``: it cannot tell two bills apart.
    """
    text = refs.astype(object).where(refs.notna(), None)
    clean = text.astype("string").str.lower().str.replace(_LEADING_ZEROS, "", regex=True)
    clean = clean.str.replace(_SEPARATORS, "", regex=True)
    usable = (clean.notna() & clean.str.contains(r"[0-9]", regex=True)).fillna(False).astype(bool)
    return clean.astype(object).where(usable, None)


def exact_references(refs: pd.Series) -> pd.Series:
    """References as typed, only trimmed (``None`` when empty)."""
    stripped = refs.astype("string").str.strip()
    usable = (stripped.str.len() > 0).fillna(False).astype(bool)
    return stripped.astype(object).where(usable, None)


def document_day(moves: pd.DataFrame) -> pd.Series:
    """The day a bill or invoice is dated: its invoice date, else its accounting date."""
    return moves["invoice_date"].fillna(moves["date"]).dt.normalize()


def documents(data: AnomalyData, move_types: Iterable[str], *, states: Iterable[str] = ("posted",)) -> pd.DataFrame:
    """Invoices, bills or credit notes of ``move_types`` in ``states``, with their amount.

    Adds ``day`` (the document date), ``amount`` (the total in company currency, positive) and
    ``minor`` (that amount in integer minor units, for exact comparisons).
    """
    moves = data.moves
    picked = moves[moves["move_type"].isin(list(move_types)) & moves["state"].isin(list(states))].copy()
    picked["day"] = document_day(picked)
    picked["minor"] = to_minor(picked["amount_total_signed"].abs(), data.digits).to_numpy()
    picked["amount"] = picked["minor"] / 10 ** data.digits
    return picked[picked["partner_id"].notna() & (picked["minor"] > 0)]


def fully_reversed(data: AnomalyData) -> pd.Index:
    """Ids of the moves cancelled by a credit note: Odoo marks them ``reversed``, or posted credit
    notes pointing at them (``reversed_entry_id``) add up to at least their whole amount."""
    moves = data.moves
    marked = moves.loc[moves["payment_state"] == "reversed", "id"]
    reversals = moves[moves["reversed_entry_id"].notna() & (moves["state"] == "posted")]
    credited = to_minor(reversals["amount_total_signed"].abs(), data.digits).groupby(
        reversals["reversed_entry_id"].to_numpy()).sum()
    originals = moves.set_index("id")["amount_total_signed"]
    original_minor = to_minor(originals.reindex(credited.index).abs(), data.digits)
    covered = credited.index[(credited >= original_minor) & (original_minor > 0)]
    return pd.Index(pd.concat([marked.astype("Int64"), pd.Series(covered, dtype="Int64")]).dropna().unique())


def matched_moves(data: AnomalyData) -> pd.DataFrame:
    """Every reconciliation between two journal items, as the pair of moves it joined.

    Columns: ``debit_move_id``, ``credit_move_id``, ``amount`` (company currency), ``max_date``.
    """
    parts = data.partials
    owner = data.lines.set_index("id")["move_id"]
    out = pd.DataFrame({
        "debit_move_id": owner.reindex(parts["debit_move_line_id"].astype("Int64")).to_numpy(),
        "credit_move_id": owner.reindex(parts["credit_move_line_id"].astype("Int64")).to_numpy(),
        "amount": parts["amount"].abs().to_numpy(),
        "max_date": parts["max_date"].to_numpy(),
    })
    out["debit_move_id"] = out["debit_move_id"].astype("Int64")
    out["credit_move_id"] = out["credit_move_id"].astype("Int64")
    return out.dropna(subset=["debit_move_id", "credit_move_id"])


def settlements(data: AnomalyData, move_ids: pd.Series, counterpart_ids: pd.Series | None = None) -> pd.DataFrame:
    """The reconciliations of the moves ``move_ids`` with other moves (either side of the partial).

    Columns: ``move_id`` (one of ``move_ids``), ``other_move_id``, ``amount``, ``max_date``; when
    ``counterpart_ids`` is given, only reconciliations with those moves are kept.
    """
    pairs = matched_moves(data)
    wanted = pd.Index(move_ids.dropna().astype("int64").unique())
    as_debit = pairs[pairs["debit_move_id"].isin(wanted)].rename(
        columns={"debit_move_id": "move_id", "credit_move_id": "other_move_id"})
    as_credit = pairs[pairs["credit_move_id"].isin(wanted)].rename(
        columns={"credit_move_id": "move_id", "debit_move_id": "other_move_id"})
    both = pd.concat([as_debit, as_credit], ignore_index=True)
    both = both[both["move_id"] != both["other_move_id"]]
    if counterpart_ids is not None:
        both = both[both["other_move_id"].isin(pd.Index(counterpart_ids.dropna().astype("int64").unique()))]
    return both.reset_index(drop=True)


def outbound_payments(data: AnomalyData, partner_types: Iterable[str] = ("supplier",)) -> pd.DataFrame:
    """Posted payments that send money out to partners of ``partner_types``, with ``minor`` amounts."""
    pays = data.payments
    picked = pays[(pays["payment_type"] == "outbound") & pays["partner_type"].isin(list(partner_types))
                  & (pays["state"] == "posted") & pays["partner_id"].notna()].copy()
    picked["day"] = picked["date"].dt.normalize()
    picked["minor"] = to_minor(picked["amount"].abs(), data.digits).to_numpy()
    picked["amount"] = picked["minor"] / 10 ** data.digits
    return picked[picked["minor"] > 0]


def robust_z(values: pd.Series, groups: pd.Series | list[pd.Series], *, min_history: int,
             min_spread: float) -> pd.DataFrame:
    """Robust z-score of each log amount against the other amounts of its group.

    The centre is the group's median log amount and the spread 1.4826 x its median absolute
    deviation, floored at ``min_spread`` (a partner billing exactly the same amount every time has
    no spread, yet a 2% price change is no outlier). A row is judged only when its group has at
    least ``min_history`` other rows. Columns: ``history`` (other rows in the group), ``median``
    (the usual amount), ``low``/``high`` (the usual range: median -/+ two spreads, as amounts),
    ``z`` (``NaN`` when not judged) and ``factor`` (amount / usual amount).
    """
    logs = np.log(values.astype("float64"))
    keys = groups if isinstance(groups, list) else [groups]
    grouped = logs.groupby(keys, sort=False, dropna=False)
    centre = grouped.transform("median")
    deviation = (logs - centre).abs().groupby(keys, sort=False, dropna=False).transform("median")
    spread = np.maximum(MAD_TO_SIGMA * deviation, min_spread)
    history = grouped.transform("size") - 1
    judged = history >= min_history
    z = ((logs - centre) / spread).where(judged)
    return pd.DataFrame({
        "history": history.astype("int64"),
        "median": np.exp(centre),
        "low": np.exp(centre - 2 * spread),
        "high": np.exp(centre + 2 * spread),
        "z": z,
        "factor": values.astype("float64") / np.exp(centre),
    }, index=values.index)


def score_from_z(z: pd.Series, threshold: float) -> pd.Series:
    """0.5 at ``|z| = threshold``, rising towards 0.97 as ``|z|`` grows (0.79 at twice the threshold)."""
    excess = (z.abs() - threshold).clip(lower=0) / threshold
    return (0.5 + 0.47 * (1 - np.exp(-excess))).clip(upper=0.97)


def money(data: AnomalyData, minor: int | np.integer) -> Decimal:
    """Integer minor units -> Decimal in the company currency."""
    return minor_to_decimal(int(minor), data.digits)


def fmt(amount: Decimal | float, currency: str, digits: int = 2) -> str:
    """An amount as a person reads it: ``1,843.20 EUR``."""
    return format_amount(amount, digits, currency)


def text(value: object, default: str = "") -> str:
    """A text cell (``None``/``NaN``/``<NA>`` -> ``default``)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return default
    return str(value)


def day_of(value: object) -> dt.date | None:
    """A timestamp cell as a date (``None`` when missing)."""
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def label(name: object, record_id: object, what: str) -> str:
    """How a document is named in a reason: its number, or ``draft bill #12`` while Odoo shows "/"."""
    number = text(name).strip()
    if number and number != "/":
        return number
    return f"draft {what} #{int(record_id)}"


def ref(model: str, record_id: object, name: object = "") -> RecordRef:
    return RecordRef(model=model, id=int(record_id), name=text(name))


def score(value: float) -> float:
    """A score rounded to three decimals and kept within 0-1."""
    if math.isnan(value):
        raise ValueError("a score cannot be NaN")
    return round(min(max(float(value), 0.0), 1.0), 3)


_COUNTERPART_TYPES = ("liability_payable", "asset_receivable")
_NOT_SPENDING = ("tax", "payment_term", "rounding")


def main_accounts(data: AnomalyData, move_ids: pd.Series) -> pd.Series:
    """The account that carries most of each move's amount, tax and payable/receivable lines aside
    (what the bill is *for*: stock received, couriers, legal fees); indexed by move id.

    A vendor that sells both goods on purchase orders and small services has two usual sizes; each
    bill is compared with the bills booked like it.
    """
    lines = data.lines
    wanted = lines[lines["move_id"].isin(pd.Index(move_ids.dropna().astype("int64").unique()))
                   & ~lines["account_type"].isin(_COUNTERPART_TYPES)
                   & ~lines["display_type"].isin(_NOT_SPENDING)]
    if wanted.empty:
        return pd.Series(dtype="Int64")
    sizes = wanted.assign(size=wanted["balance"].abs()).groupby(["move_id", "account_id"], as_index=False)["size"].sum()
    sizes = sizes.sort_values(["move_id", "size", "account_id"], ascending=[True, False, True], kind="mergesort")
    top = sizes.drop_duplicates("move_id", keep="first")
    return pd.Series(top["account_id"].to_numpy(), index=top["move_id"].to_numpy(), dtype="Int64")
