"""Prepaid-expense amortisation: move this month's share of each prepayment to expense.

Every posted debit on a prepaid-expense account (``asset_prepayments``) is a prepayment covering a
run of months. The run is read from the item's label or its entry's reference when they name it:
``12 months`` (from the entry's month), ``2026-01 to 2026-12``, ``Q4 2026``, ``FY 2026`` / ``year
2026``; otherwise ``rules.prepaid_default_months`` months from the entry's month. The share of a
month is the amount split evenly over the run to the cent (the last cents go to the first months).
Shares are taken oldest prepayment first and never exceed what is left on the account at the
month end, so amortisation already booked by hand is not repeated beyond the balance.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ledgerpilot.calc.close.accruals.entries import DraftEntry, EntryLine, allocate
from ledgerpilot.calc.close.accruals.frames import AccrualData, text
from ledgerpilot.domain.money import format_amount, minor_to_decimal, to_minor
from ledgerpilot.domain.month import Month
from ledgerpilot.domain.proposal import RecordRef

_RANGE = re.compile(r"\b(\d{4})-(\d{2})\s*(?:to|until|-|–|\.\.)\s*(\d{4})-(\d{2})\b", re.IGNORECASE)
_MONTHS = re.compile(r"\b(\d{1,2})\s*months?\b", re.IGNORECASE)
_QUARTER = re.compile(r"\bQ([1-4])\s*(\d{4})\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:FY|year)\s*(\d{4})\b", re.IGNORECASE)


def prepaid_ref(label: str, source_name: str) -> str:
    return f"Prepaid amortisation {label}: {source_name}"


def coverage(description: str, booked: Month, default_months: int) -> tuple[Month, int, str]:
    """(first month, number of months, how it was found) of a prepayment described by ``description``."""
    if match := _RANGE.search(description):
        first = Month(int(match.group(1)), int(match.group(2)))
        last = Month(int(match.group(3)), int(match.group(4)))
        count = (last.year - first.year) * 12 + last.month - first.month + 1
        if count >= 1:
            return first, count, f"period {first.label} to {last.label} named in '{description}'"
    if match := _QUARTER.search(description):
        quarter, year = int(match.group(1)), int(match.group(2))
        return Month(year, quarter * 3 - 2), 3, f"quarter Q{quarter} {year} named in '{description}'"
    if match := _YEAR.search(description):
        return Month(int(match.group(1)), 1), 12, f"year {match.group(1)} named in '{description}'"
    if (match := _MONTHS.search(description)) and int(match.group(1)) >= 1:
        return booked, int(match.group(1)), f"{match.group(1)} months named in '{description}', from {booked.label}"
    return booked, default_months, f"no period named; spread over {default_months} months from {booked.label}"


def _index(month: Month, first: Month) -> int:
    return (month.year - first.year) * 12 + month.month - first.month


def _opt_int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def prepaid_entries(data: AccrualData) -> tuple[list[DraftEntry], list[str]]:
    """This month's amortisation entries (one per prepayment with a share), and reasons for none."""
    lines = data.prepaid_lines
    if lines.empty:
        return [], []
    month, digits, rules = data.month, data.digits, data.rules
    frame = lines.assign(minor=to_minor(lines["balance"], digits), date=pd.to_datetime(lines["date"]))
    frame = frame[frame["date"] <= pd.Timestamp(month.end)]
    entries: list[DraftEntry] = []
    skipped: list[str] = []
    for account_id, items in frame.groupby("account_id", sort=True):
        left = int(items["minor"].sum())
        code = text(items["account_code"].iloc[0], f"account {account_id}")
        if left <= 0:
            continue
        for row in items[items["minor"] > 0].sort_values(["date", "line_id"]).itertuples(index=False):
            booked = Month(row.date.year, row.date.month)
            label_text = " ".join(t for t in (text(row.name), text(row.ref)) if t)
            first, count, how = coverage(label_text, booked, rules.prepaid_default_months)
            index = _index(month, first)
            if not 0 <= index < count:
                continue
            share = min(allocate(int(row.minor), [1] * count)[index], left)
            if share <= 0:
                continue
            expense_account = _opt_int(row.expense_account_id)
            source = text(row.move_name, f"entry {row.move_id}")
            if expense_account is None:
                skipped.append(f"prepaid {source} on {code}: no expense account known; not amortised")
                continue
            left -= share
            amount = minor_to_decimal(share, digits)
            total = minor_to_decimal(int(row.minor), digits)
            label = f"{source}: {month.label} share ({index + 1}/{count}) of {label_text or 'prepayment'}"
            last = first.shift(count - 1)
            entries.append(DraftEntry(
                kind="adjusting_entry", ref=prepaid_ref(month.label, source), date=month.end,
                title=f"Amortise {format_amount(amount)} {data.currency} of prepaid {source} for "
                      f"{month.label}",
                summary=(f"{source} prepaid {total} {data.currency} for {first.label} to {last.label}; expense "
                         f"this month's share ({index + 1} of {count}) from {data.account_label(int(account_id))}."),
                lines=(EntryLine(account_id=expense_account, partner_id=_opt_int(row.partner_id), debit=share,
                                 analytic_distribution=row.analytic_distribution if isinstance(
                                     row.analytic_distribution, dict) and row.analytic_distribution else None,
                                 name=label),
                       EntryLine(account_id=int(account_id), partner_id=_opt_int(row.partner_id), credit=share,
                                 name=label)),
                records=(RecordRef(model="account.move", id=int(row.move_id), name=source),
                         RecordRef(model="account.move.line", id=int(row.line_id), name=label_text)),
                figures={"rule": "prepaid_amortisation", "prepaid_account": data.account_label(int(account_id)),
                         "prepaid_amount": total, "first_month": first.label, "months": count,
                         "month_index": index + 1, "amount": amount, "currency": data.currency,
                         "balance_before": minor_to_decimal(left + share, digits),
                         "calculation": (f"{total} {data.currency} over {count} months ({how}) = {amount} for "
                                         f"{month.label} (month {index + 1} of {count}); balance on {code} before "
                                         f"{minor_to_decimal(left + share, digits)}")},
                reverse=False))
    return entries, skipped
