"""Recurring flows learned from the bank's own history: payroll, rent, taxes, subscriptions, fees.

Bank lines of the last ``LOOKBACK_DAYS`` are grouped by what they pay: by partner when the line
has one (the landlord, a software vendor), otherwise by counterpart account (net salaries
payable, VAT payable, bank charges). A flow is named the way the books name it -- the partner, or the
account with its code ("Salaries Payable (230000)") -- never by one bank line's free text, which
changes every month ("PAYROLL NET PAY MAY"). Lines whose counterpart is a receivable or payable account
are customer and vendor settlements (already in the open items and orders) and cash-to-cash
transfers move nothing; both are left out. A group is recurring when its occurrences (one per
day) are at least ``MIN_OCCURRENCES``, their gaps match a cadence (weekly, monthly, quarterly) for
at least ``REGULARITY`` of the gaps, and the last one is recent enough that the flow is still
alive. It is projected on its typical day (the day of the month, or the weekday) with its
recency-weighted median amount; the relative spread of its past amounts becomes the amount noise
of the simulation.

No double counting with bills: a partner's projected occurrence is dropped when an open bill or
purchase order of the same partner falls within half a period of it (the bill already carries
that payment).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ledgerpilot.domain.month import add_months, next_working_day

LOOKBACK_DAYS = 400
MIN_OCCURRENCES = 3
REGULARITY = 0.7
HALF_LIFE_DAYS = 120.0
EXCLUDED_COUNTERPARTS = ("asset_receivable", "liability_payable", "asset_cash")

#: cadence -> (nominal period in days, accepted gap range)
CADENCES = {
    "weekly": (7, (5, 9)),
    "monthly": (30, (25, 36)),
    "quarterly": (91, (80, 102)),
}


@dataclass(frozen=True)
class RecurringPattern:
    """One recurring flow: what it is, how often, on which day, how much."""

    key: str
    label: str
    cadence: str
    period_days: int
    typical_day: int           # day of month (monthly/quarterly) or weekday 0-6 (weekly)
    amount_minor: int          # signed, recency-weighted median
    amount_cv: float           # relative spread of past amounts
    last_date: dt.date
    occurrences: int
    partner_id: int | None
    partner_name: str
    bank_line_ids: tuple[int, ...]


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = np.cumsum(w)
    return float(v[np.searchsorted(cum, 0.5 * cum[-1])])


def _text(value) -> str:
    return "" if value is None or pd.isna(value) else str(value).strip()


def _group_label(row: pd.Series) -> str:
    """The partner's name, else the counterpart account's name and code: "Salaries Payable (230000)"."""
    partner = _text(row["partner_name"])
    if not pd.isna(row["partner_id"]) and partner:
        return partner
    code, name = _text(row["counterpart_account_code"]), _text(row.get("counterpart_account_name"))
    if name and code:
        return f"{name} ({code})"
    return name or (f"account {code}" if code else "bank movements")


def flow_name(pattern: RecurringPattern) -> str:
    """How a recurring flow is shown: "Salaries Payable (230000), monthly", "Meridian Real Estate SA, monthly"."""
    return f"{pattern.label}, {pattern.cadence}"


def detect_recurring(bank_history: pd.DataFrame, as_of: dt.date, digits: int) -> list[RecurringPattern]:
    """The recurring groups of the bank history up to ``as_of``, largest first."""
    if bank_history is None or not len(bank_history):
        return []
    bank = bank_history
    dates = pd.to_datetime(bank["date"])
    keep = (dates <= pd.Timestamp(as_of)) & (dates > pd.Timestamp(as_of - dt.timedelta(days=LOOKBACK_DAYS)))
    keep &= ~bank["counterpart_account_type"].isin(EXCLUDED_COUNTERPARTS)
    keep &= bank["counterpart_account_type"].notna()
    bank = bank[keep].copy()
    if not len(bank):
        return []
    bank["_date"] = pd.to_datetime(bank["date"]).dt.date
    bank["_minor"] = np.rint(bank["amount"].astype("float64").to_numpy() * 10**digits).astype("int64")
    bank["_sign"] = np.sign(bank["_minor"])
    partner_key = bank["partner_id"].astype("Int64").astype(str)
    account_key = bank["counterpart_account_id"].astype("Int64").astype(str)
    bank["_key"] = np.where(bank["partner_id"].notna(), "partner:" + partner_key, "account:" + account_key)
    bank["_key"] = bank["_key"] + ":" + bank["_sign"].astype(str)
    patterns: list[RecurringPattern] = []
    for key, group in bank.groupby("_key", sort=True):
        pattern = _pattern(str(key), group, as_of)
        if pattern is not None:
            patterns.append(pattern)
    patterns.sort(key=lambda p: (-abs(p.amount_minor), p.key))
    return patterns


def _pattern(key: str, group: pd.DataFrame, as_of: dt.date) -> RecurringPattern | None:
    per_day = group.groupby("_date")["_minor"].sum().sort_index()
    per_day = per_day[per_day != 0]
    if len(per_day) < MIN_OCCURRENCES:
        return None
    days = list(per_day.index)
    gaps = np.diff(np.array([d.toordinal() for d in days]))
    median_gap = float(np.median(gaps))
    cadence = next((name for name, (_p, (lo, hi)) in CADENCES.items() if lo <= median_gap <= hi), None)
    if cadence is None:
        return None
    period, (lo, hi) = CADENCES[cadence]
    if np.mean((gaps >= lo) & (gaps <= hi)) < REGULARITY:
        return None
    last = days[-1]
    if (as_of - last).days > 1.5 * period:
        return None  # stopped
    amounts = per_day.to_numpy().astype("float64")
    ages = np.array([(as_of - d).days for d in days], dtype="float64")
    weights = 0.5 ** (ages / HALF_LIFE_DAYS)
    amount = _weighted_median(amounts, weights)
    spread = float(np.median(np.abs(amounts - np.median(amounts))) * 1.4826 / max(abs(np.median(amounts)), 1.0))
    if cadence == "weekly":
        typical = int(pd.Series([d.weekday() for d in days]).mode().iloc[0])
    else:
        typical = round(_weighted_median(np.array([d.day for d in days], dtype="float64"), weights))
    first_row = group.iloc[0]
    return RecurringPattern(
        key=key, label=_group_label(first_row), cadence=cadence, period_days=period, typical_day=typical,
        amount_minor=round(amount), amount_cv=min(spread, 1.0), last_date=last, occurrences=len(days),
        partner_id=None if pd.isna(first_row["partner_id"]) else int(first_row["partner_id"]),
        partner_name="" if pd.isna(first_row["partner_name"]) else str(first_row["partner_name"]),
        bank_line_ids=tuple(int(i) for i in group["id"]))


def occurrences(pattern: RecurringPattern, as_of: dt.date, horizon_days: int) -> list[dt.date]:
    """The pattern's dates in (as_of, as_of + horizon]: after the last one seen, on its typical day;
    one that is due but has not shown yet (within a third of a period) is put on the first day."""
    end = as_of + dt.timedelta(days=horizon_days)
    first = as_of + dt.timedelta(days=1)
    out: list[dt.date] = []
    step = 0
    while True:
        step += 1
        if pattern.cadence == "weekly":
            nearest = pattern.last_date + dt.timedelta(days=(pattern.typical_day - pattern.last_date.weekday()) % 7)
            day = nearest + dt.timedelta(days=7 * step if nearest == pattern.last_date else 7 * (step - 1))
        else:
            months = 1 if pattern.cadence == "monthly" else 3
            day = next_working_day(add_months(pattern.last_date, months * step, day_of_month=pattern.typical_day))
        if day > end:
            break
        if day <= as_of:
            if (as_of - day).days <= pattern.period_days / 3:
                out.append(first)
            continue
        out.append(day)
    return out


def recurring_flows(patterns: list[RecurringPattern], as_of: dt.date, horizon_days: int,
                    covered: pd.DataFrame | None) -> pd.DataFrame:
    """Flow rows for every projected occurrence, minus those an open bill/order already covers.

    ``covered``: flow rows of open payables and purchase orders (partner_id, due)."""
    from ledgerpilot.calc.cash.forecast.flows import FLOW_COLUMNS, empty_flow_table

    rows: list[dict] = []
    for p in patterns:
        partner_dues = np.array([], dtype="int64")
        if p.partner_id is not None and covered is not None and len(covered):
            same_partner = (covered["partner_id"] == p.partner_id).fillna(False).to_numpy(dtype=bool)
            same_way = np.sign(covered["amount_minor"].to_numpy(dtype="int64")) == np.sign(p.amount_minor)
            same = covered[same_partner & same_way]
            partner_dues = same["due"].to_numpy(dtype="int64")
        for n, day in enumerate(occurrences(p, as_of, horizon_days)):
            offset = (day - as_of).days
            if len(partner_dues) and np.any(np.abs(partner_dues - offset) <= p.period_days / 2):
                continue
            rows.append({
                "category": "recurring", "source_model": "account.move.line", "source_id": None,
                "source_name": flow_name(p), "source_ids": p.bank_line_ids,
                "partner_id": p.partner_id, "partner_name": p.partner_name, "behaviour_kind": "",
                "use_delay": False, "due": offset, "overdue": 0, "amount_minor": p.amount_minor,
                "timing_sd": 1.0, "amount_cv": max(p.amount_cv, 0.02), "shift": 0, "stream": "", "level_cv": 0.0,
            })
    if not rows:
        return empty_flow_table()
    return pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
