"""Recurring vendors without a bill this month: accrue the usual amount.

A vendor is recurring when it billed in at least ``rules.recurring_min_months`` of the
``rules.recurring_window`` months before the closed month, at a regular amount: the standard
deviation of those monthly totals (untaxed, company currency) is at most
``rules.recurring_max_variation`` of their median. When such a vendor has no posted bill dated in
the month, the estimate is the median monthly total; it is booked on the accounts and analytic
distributions of the vendor's latest bill, split in the same proportions to the cent.
"""

from __future__ import annotations

import statistics
from typing import Any

import pandas as pd

from ledgerpilot.calc.close.accruals.entries import DraftEntry, EntryLine, allocate
from ledgerpilot.calc.close.accruals.frames import AccrualData, text
from ledgerpilot.domain.money import format_amount, minor_to_decimal, to_minor
from ledgerpilot.domain.month import Month
from ledgerpilot.domain.proposal import RecordRef


def recurring_ref(label: str, partner_name: str) -> str:
    return f"Accrual {label}: bill not received from {partner_name}"


def _distribution_key(value: Any) -> str:
    if not value or not isinstance(value, dict):
        return ""
    return ",".join(f"{k}:{float(v)}" for k, v in sorted(value.items()))


def _bills(data: AccrualData) -> pd.DataFrame:
    """One row per vendor bill: move, partner, date, month and untaxed total in minor units."""
    lines = data.bill_lines
    if lines.empty:
        return pd.DataFrame(columns=["move_id", "move_name", "partner_id", "partner_name", "date", "month", "minor"])
    frame = lines.assign(minor=to_minor(lines["balance"], data.digits), date=pd.to_datetime(lines["date"]))
    bills = (frame.groupby("move_id", sort=True)
             .agg(move_name=("move_name", "first"), partner_id=("partner_id", "first"),
                  partner_name=("partner_name", "first"), date=("date", "first"), minor=("minor", "sum"))
             .reset_index())
    bills = bills[bills["partner_id"].notna()]
    bills["month"] = [Month(d.year, d.month) for d in bills["date"]]
    return bills


def _median(values: list[int]) -> int:
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    total = ordered[mid - 1] + ordered[mid]
    return (total + 1) // 2 if total >= 0 else -((-total + 1) // 2)  # half up, in minor units


def recurring_entries(data: AccrualData) -> tuple[list[DraftEntry], list[str]]:
    """Accruals for recurring vendors with no bill in the month, and the reasons for none."""
    if data.accrued_account_id is None:
        return [], ["recurring vendors: no accrued-expenses account to credit (configure one)"]
    bills = _bills(data)
    if bills.empty:
        return [], []
    rules, month, digits = data.rules, data.month, data.digits
    window = [month.shift(-k) for k in range(rules.recurring_window, 0, -1)]
    entries: list[DraftEntry] = []
    skipped: list[str] = []
    for partner_id, vendor_bills in bills.groupby("partner_id", sort=True):
        partner_name = text(vendor_bills["partner_name"].iloc[0], f"partner {partner_id}")
        if ((vendor_bills["month"] == month) & (vendor_bills["minor"] > 0)).any():
            continue  # billed this month (a credit note alone is no bill): nothing to accrue
        past = vendor_bills[vendor_bills["month"].isin(window)]
        monthly = past.groupby("month")["minor"].sum()
        monthly = monthly[monthly > 0]
        if len(monthly) < rules.recurring_min_months:
            continue
        totals = [int(v) for v in monthly.tolist()]
        median = _median(totals)
        spread = statistics.pstdev(totals)
        if median <= 0 or spread > rules.recurring_max_variation * median:
            skipped.append(f"{partner_name}: billed in {len(monthly)} of the last {rules.recurring_window} "
                           f"months but at irregular amounts (spread {minor_to_decimal(round(spread), digits)} "
                           f"around {minor_to_decimal(median, digits)}): no estimate accrued")
            continue
        booked = data.accrued_partners.get(int(partner_id))
        if booked is not None:
            skipped.append(f"{partner_name}: no bill in {month.label}, but entry {booked} already accrues for it "
                           f"on {data.accrued_account_name}: not proposed again")
            continue
        latest = past.sort_values(["date", "move_id"]).iloc[-1]
        template = data.bill_lines[data.bill_lines["move_id"] == latest["move_id"]]
        template = template.assign(minor=to_minor(template["balance"], digits))
        template = template[template["minor"] > 0]
        groups: dict[tuple[int, str], list[Any]] = {}
        for row in template.itertuples(index=False):
            key = (int(row.account_id), _distribution_key(row.analytic_distribution))
            if key not in groups:
                distribution = row.analytic_distribution
                groups[key] = [int(row.account_id), dict(distribution) if isinstance(distribution, dict) and
                               distribution else None, 0]
            groups[key][2] += int(row.minor)
        if not groups:
            continue
        parts = allocate(median, [g[2] for g in groups.values()])
        debit_lines = [EntryLine(account_id=account_id, partner_id=int(partner_id), debit=part,
                                 analytic_distribution=distribution,
                                 name=f"Expected bill of {partner_name} for {month.label} (estimate)")
                       for (account_id, distribution, _w), part in zip(groups.values(), parts) if part > 0]
        credit = EntryLine(account_id=int(data.accrued_account_id), partner_id=int(partner_id), credit=median,
                           name=f"Expected bill of {partner_name} for {month.label} (estimate)")
        amount = minor_to_decimal(median, digits)
        used = past.sort_values(["date", "move_id"])
        bill_words = ", ".join(f"{text(r.move_name, f'entry {r.move_id}')} {pd.Timestamp(r.date).date().isoformat()} "
                               f"{minor_to_decimal(int(r.minor), digits)}" for r in used.itertuples(index=False))
        month_words = ", ".join(f"{m.label}: {minor_to_decimal(v, digits)}" for m, v in zip(monthly.index, totals))
        entries.append(DraftEntry(
            kind="accrual", ref=recurring_ref(month.label, partner_name), date=month.end,
            title=f"Accrue {format_amount(amount)} {data.currency} for {partner_name}: no bill in "
                  f"{month.label}",
            summary=(f"{partner_name} billed in {len(monthly)} of the last {rules.recurring_window} months at a "
                     f"regular amount and has no bill dated in {month.label}; accrue the median monthly amount "
                     f"on the accounts of its latest bill ({text(latest['move_name'])}) and reverse it next month."),
            lines=(*debit_lines, credit),
            records=(RecordRef(model="res.partner", id=int(partner_id), name=partner_name),
                     *(RecordRef(model="account.move", id=int(r.move_id), name=text(r.move_name))
                       for r in used.itertuples(index=False))),
            figures={"rule": "recurring_vendor_without_bill", "vendor": partner_name, "amount": amount,
                     "currency": data.currency, "months_billed": len(monthly), "window_months": rules.recurring_window,
                     "monthly_totals": {m.label: minor_to_decimal(v, digits) for m, v in zip(monthly.index, totals)},
                     "median": amount, "spread": minor_to_decimal(round(spread), digits),
                     "template_bill": text(latest["move_name"], f"entry {latest['move_id']}"),
                     "calculation": (f"median of the monthly bill totals ({month_words}) = {amount} "
                                     f"{data.currency}; bills used: {bill_words}; no bill dated "
                                     f"{month.start.isoformat()}..{month.end.isoformat()}")},
            reverse=True))
    return entries, skipped

