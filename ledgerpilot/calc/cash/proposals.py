"""Proposals a cash forecast calls for (pure: forecast + open items in, proposals out).

Two rules, both stated on the forecast's expected daily path (``days[].closing``, whose minimum is
``lowest_balance``):

- **Surplus**: when the lowest point stays above the configured surplus level, propose paying the
  bills due soon (within ``due_within_days`` of the as-of date, overdue ones included), oldest due
  first, as long as the lowest point *after paying* stays at or above the level. Paying a bill now
  instead of on its predicted date lowers every day's balance until that date, so the check walks
  the daily path rather than the single lowest day. One ``payment_proposal`` with one
  ``account.payment`` per vendor (company currency); the bill lines each payment settles are in
  the evidence (``bills``: item id, bill, amount) for the reconciliation after it is created.
- **Shortfall**: when the lowest point is below the threshold, propose follow-up activities on
  the overdue invoices whose collection now would lift the lowest point most: an invoice the
  forecast already expects before the lowest date lifts nothing, one it expects later (or never)
  lifts it by its whole residual. The top ``max_followups`` become ``activity`` proposals.

Findings (what a watcher recognises when it finds the same thing again): ``forecast:collect:<move id>``
for a follow-up (an invoice overdue is one finding however its lift moves from day to day) and
``forecast:pay:<move ids>`` for a payment of exactly those bills.

The forecast is read through the attributes of ``calc.cash.forecast.CashForecast`` (``as_of``,
``currency``, ``digits``, ``lowest_balance``, ``lowest_date``, ``days`` with ``date``/``closing``,
``flows`` with ``category``/``source_model``/``source_id``/``expected_date``/``amount``). Open items
are ``CashBooks.open_items`` (item columns + ``residual``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Sequence

import pandas as pd

from ledgerpilot.domain.money import format_amount, quantize
from ledgerpilot.domain.proposal import Evidence, OdooCall, Proposal, RecordRef

CREATED_BY = "ledgerpilot:forecast"
TODO_ACTIVITY = "mail.mail_activity_data_todo"


@dataclass(frozen=True)
class ProposalRules:
    """The levels and limits of the two rules (company currency)."""

    threshold: Decimal | None = None
    surplus_level: Decimal | None = None
    due_within_days: int = 14
    max_followups: int = 5
    followup_deadline_days: int = 2


def _money(value: Any, digits: int) -> Decimal:
    return quantize(value if value is not None else 0, digits)


def _date(value: Any) -> dt.date | None:
    if value is None or value is pd.NaT or (not isinstance(value, (dt.date, str)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _expected_path(forecast) -> list[tuple[dt.date, Decimal]]:
    digits = forecast.digits
    return [(_date(day.date), _money(day.closing, digits)) for day in forecast.days]


def _expected_dates(flows: Iterable, category: str) -> dict[int, list[tuple[dt.date | None, Decimal]]]:
    """Item id -> [(expected date, amount)] of the forecast's flows of one category."""
    found: dict[int, list[tuple[dt.date | None, Decimal]]] = {}
    for flow in flows:
        if flow.category != category or flow.source_id is None:
            continue
        found.setdefault(int(flow.source_id), []).append((_date(flow.expected_date), Decimal(flow.amount)))
    return found


def _item_due(row) -> dt.date:
    return _date(row.date_maturity) or _date(row.date)


def _items(open_items: pd.DataFrame, kind: str, sign: int) -> pd.DataFrame:
    if open_items.empty:
        return open_items
    mask = (open_items["kind"] == kind) & (open_items["residual"].astype("float64") * sign > 0)
    return open_items.loc[mask]


def _ref(model: str, record_id: Any, name: Any) -> RecordRef:
    return RecordRef(model=model, id=int(record_id), name="" if name is None or pd.isna(name) else str(name))


# --------------------------------------------------------------------------------------------- surplus


def payment_proposal(forecast, open_items: pd.DataFrame, rules: ProposalRules, run_id: str,
                     *, journal_id: int | None = None) -> Proposal | None:
    """One payment proposal for bills due soon when the lowest point has room above the surplus level."""
    if rules.surplus_level is None or not forecast.days:
        return None
    digits = forecast.digits
    level = _money(rules.surplus_level, digits)
    lowest = _money(forecast.lowest_balance, digits)
    if lowest <= level:
        return None
    horizon_end = forecast.as_of + dt.timedelta(days=rules.due_within_days)
    bills = _items(open_items, "payable", -1)
    if bills.empty:
        return None
    bills = bills.assign(_due=[_item_due(r) for r in bills.itertuples()])
    bills = bills[bills["_due"] <= horizon_end].sort_values(["_due", "id"], kind="stable")
    if bills.empty:
        return None

    path = _expected_path(forecast)
    shift = [Decimal(0)] * len(path)          # how much lower each day is once the chosen bills are paid now
    expected = _expected_dates(forecast.flows, "payable")
    chosen: list[tuple[Any, Decimal, dt.date | None]] = []
    for bill in bills.itertuples():
        amount = _money(-float(bill.residual), digits)
        # the forecast pays it on its expected date(s); paying now lowers every day before those
        planned = expected.get(int(bill.id), [])
        trial = list(shift)
        for i, (day, _balance) in enumerate(path):
            still_unpaid = amount - sum((-a for d, a in planned if d is not None and d <= day), Decimal(0))
            trial[i] = shift[i] + max(still_unpaid, Decimal(0))
        if min(balance - s for (_day, balance), s in zip(path, trial)) < level:
            break   # oldest first: a later bill is not paid ahead of an older one
        shift = trial
        first_planned = min((d for d, _a in planned if d is not None), default=None)
        chosen.append((bill, amount, first_planned))
    if not chosen:
        return None

    lowest_after = min(balance - s for (_day, balance), s in zip(path, shift))
    total = sum((amount for _b, amount, _d in chosen), Decimal(0))
    by_vendor: dict[int, list[tuple[Any, Decimal]]] = {}
    for bill, amount, _d in chosen:
        by_vendor.setdefault(int(bill.partner_id) if not pd.isna(bill.partner_id) else 0, []).append((bill, amount))
    payments = []
    for partner_id, rows in sorted(by_vendor.items()):
        values: dict[str, Any] = {
            "payment_type": "outbound",
            "partner_type": "supplier",
            "partner_id": partner_id or False,
            "amount": sum((a for _b, a in rows), Decimal(0)),
            "date": forecast.as_of,
            "ref": ", ".join(str(b.move_name) for b, _a in rows),
        }
        if journal_id is not None:
            values["journal_id"] = journal_id
        payments.append(values)
    bill_rows = [{"item_id": int(b.id), "move_id": int(b.move_id), "bill": str(b.move_name),
                  "vendor": "" if pd.isna(b.partner_name) else str(b.partner_name), "due_date": _item_due(b),
                  "amount": amount, "forecast_payment_date": planned}
                 for b, amount, planned in chosen]
    n = len(chosen)
    summary = (f"The lowest forecast balance is {format_amount(lowest)} {forecast.currency} on "
               f"{forecast.lowest_date}, "
               f"{format_amount(lowest - level)} above the surplus level of {format_amount(level)}. Paying "
               f"{n} bill{'s' if n > 1 else ''} "
               f"due by {horizon_end} now ({format_amount(total)} {forecast.currency}, oldest due first) "
               f"keeps the lowest "
               f"point at {format_amount(lowest_after)}, not below the level.")
    return Proposal(
        kind="payment_proposal",
        title=f"Pay {n} bill{'s' if n > 1 else ''} due by {horizon_end}: {format_amount(total)} "
              f"{forecast.currency}",
        summary=summary,
        payload=OdooCall(model="account.payment", method="create", args=(payments,)),
        evidence=Evidence(
            records=tuple(_ref("account.move", b.move_id, b.move_name) for b, _a, _d in chosen),
            figures={"lowest_balance": lowest, "lowest_date": forecast.lowest_date, "surplus_level": level,
                     "surplus": lowest - level, "total": total, "lowest_after_paying": lowest_after,
                     "due_within_days": rules.due_within_days, "bills": bill_rows}),
        run_id=run_id, created_by=CREATED_BY,
        finding="forecast:pay:" + ",".join(str(i) for i in sorted({int(b.move_id) for b, _a, _d in chosen})))


# ------------------------------------------------------------------------------------------- shortfall


@dataclass(frozen=True)
class CollectionLift:
    """How much collecting one overdue invoice now would raise the lowest point."""

    item_id: int
    move_id: int
    move_name: str
    partner_id: int | None
    partner_name: str
    due_date: dt.date
    days_overdue: int
    residual: Decimal
    expected_before_lowest: Decimal   # what the forecast already lands before the lowest date
    lift: Decimal


def collection_lifts(forecast, open_items: pd.DataFrame) -> list[CollectionLift]:
    """Overdue invoices ranked by how much of them would newly land before the lowest date."""
    digits = forecast.digits
    invoices = _items(open_items, "receivable", +1)
    if invoices.empty or forecast.lowest_date is None:
        return []
    lowest_date = _date(forecast.lowest_date)
    expected = _expected_dates(forecast.flows, "receivable")
    lifts = []
    for item in invoices.itertuples():
        due = _item_due(item)
        if due is None or due >= forecast.as_of:
            continue
        residual = _money(float(item.residual), digits)
        before = sum((a for d, a in expected.get(int(item.id), []) if d is not None and d <= lowest_date),
                     Decimal(0))
        before = min(max(before, Decimal(0)), residual)
        lift = residual - before
        if lift <= 0:
            continue
        lifts.append(CollectionLift(
            item_id=int(item.id), move_id=int(item.move_id), move_name=str(item.move_name),
            partner_id=None if pd.isna(item.partner_id) else int(item.partner_id),
            partner_name="" if pd.isna(item.partner_name) else str(item.partner_name), due_date=due,
            days_overdue=(forecast.as_of - due).days, residual=residual, expected_before_lowest=before, lift=lift))
    lifts.sort(key=lambda c: (-c.lift, c.due_date, c.item_id))
    return lifts


def followup_proposals(forecast, open_items: pd.DataFrame, rules: ProposalRules, run_id: str,
                       *, user_id: int | None = None) -> list[Proposal]:
    """Follow-up activities on the overdue invoices that lift a below-threshold lowest point most."""
    if rules.threshold is None or not forecast.days:
        return []
    digits = forecast.digits
    threshold = _money(rules.threshold, digits)
    lowest = _money(forecast.lowest_balance, digits)
    if lowest >= threshold:
        return []
    gap = threshold - lowest
    deadline = forecast.as_of + dt.timedelta(days=rules.followup_deadline_days)
    proposals = []
    for rank, lift in enumerate(collection_lifts(forecast, open_items)[: rules.max_followups], start=1):
        values: dict[str, Any] = {
            "res_model": "account.move",
            "res_id": lift.move_id,
            "activity_type_id": TODO_ACTIVITY,
            "summary": f"Collect {lift.move_name}: {format_amount(lift.residual)} {forecast.currency}, "
                       f"{lift.days_overdue} days overdue",
            "note": (f"The cash forecast of {forecast.as_of} falls to {format_amount(lowest)} "
                     f"{forecast.currency} on "
                     f"{forecast.lowest_date}, {format_amount(gap)} below the threshold of "
                     f"{format_amount(threshold)}. Collecting this "
                     f"invoice now would raise that lowest point by {format_amount(lift.lift)}."),
            "date_deadline": deadline,
        }
        if user_id is not None:
            values["user_id"] = user_id
        proposals.append(Proposal(
            kind="activity",
            title=f"Follow up {lift.move_name} ({lift.partner_name}): +{format_amount(lift.lift)} "
                  f"{forecast.currency} "
                  f"at the lowest point",
            summary=(f"{lift.partner_name}'s invoice {lift.move_name} ({format_amount(lift.residual)} "
                     f"{forecast.currency}) is "
                     f"{lift.days_overdue} days overdue; the forecast lands "
                     f"{format_amount(lift.expected_before_lowest)} of it "
                     f"before the lowest point on {forecast.lowest_date}. Collected now it lifts that point by "
                     f"{format_amount(lift.lift)} (rank {rank}; the gap to the threshold is "
                     f"{format_amount(gap)})."),
            payload=OdooCall(model="mail.activity", method="create", args=(values,)),
            evidence=Evidence(
                records=(RecordRef(model="account.move", id=lift.move_id, name=lift.move_name),
                         RecordRef(model="account.move.line", id=lift.item_id, name=lift.move_name)),
                figures={"lowest_balance": lowest, "lowest_date": forecast.lowest_date, "threshold": threshold,
                         "gap": gap, "residual": lift.residual, "days_overdue": lift.days_overdue,
                         "expected_before_lowest": lift.expected_before_lowest, "lift": lift.lift, "rank": rank}),
            run_id=run_id, created_by=CREATED_BY, finding=f"forecast:collect:{lift.move_id}"))
    return proposals


def cash_proposals(forecast, open_items: pd.DataFrame, rules: ProposalRules, run_id: str) -> list[Proposal]:
    """Every proposal the forecast calls for under ``rules`` (payment first, then follow-ups)."""
    found: list[Proposal] = []
    payment = payment_proposal(forecast, open_items, rules, run_id)
    if payment is not None:
        found.append(payment)
    found.extend(followup_proposals(forecast, open_items, rules, run_id))
    return found


__all__: Sequence[str] = ("CollectionLift", "ProposalRules", "cash_proposals", "collection_lifts",
                          "followup_proposals", "payment_proposal")
