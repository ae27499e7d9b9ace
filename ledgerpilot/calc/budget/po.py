"""Does a purchase order fit the remaining budget of each analytic account it touches? (pure)

The order's lines come in the commitments shape (one row per PO line and analytic account, the
distribution share applied, amount = untaxed amount still to be billed). Each row is placed on a
budget line exactly as open commitments are (see :mod:`ledgerpilot.calc.budget.match`): the period
containing ``max(date_planned, as_of)`` and the position listing its expense account, a restricted
position preferred to an unrestricted one.

"Remaining before" is the line's available amount without this order: for a confirmed order, whose
open amounts are already among the commitments, they are added back so the order is not counted
twice. "Remaining after" subtracts the order's amount; it fits when that stays at or above zero.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from ledgerpilot.calc.budget.errors import EmptyPurchaseOrderError
from ledgerpilot.calc.budget.match import effective_dates
from ledgerpilot.calc.budget.results import BudgetLineStatus, PoAccountCheck, PoCheck
from ledgerpilot.calc.budget.status import BudgetThresholds, budget_status
from ledgerpilot.domain.money import format_amount, minor_to_decimal, to_minor


def _text(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _line_for(lines: list[BudgetLineStatus], account_id: int, day: dt.date,
              general_account_id: int | None) -> BudgetLineStatus | None:
    covering = [line for line in lines if line.direction == "expense" and line.analytic_account_id == account_id
                and line.date_from <= day <= line.date_to]
    if general_account_id is not None:
        specific = [line for line in covering if general_account_id in line.position_account_ids]
        if specific:
            return min(specific, key=lambda line: line.line_id)
    unrestricted = [line for line in covering if not line.position_account_ids]
    if unrestricted:
        return min(unrestricted, key=lambda line: line.line_id)
    if general_account_id is None and covering:
        return max(covering, key=lambda line: (line.planned, -line.line_id))
    return None


def _already(line: BudgetLineStatus, order_id: int | None) -> Decimal:
    """What this order already commits on the line (a confirmed order is among the commitments)."""
    zero = Decimal(0).quantize(line.planned)
    if order_id is None:
        return zero
    return sum((o.amount for o in line.orders if o.order_id == order_id), zero)


DEFAULT_THRESHOLDS = BudgetThresholds()


def check_po(data, po_lines: pd.DataFrame, as_of: dt.date,
             thresholds: BudgetThresholds = DEFAULT_THRESHOLDS) -> PoCheck:
    """Whether the order in ``po_lines`` fits the remaining budget of every analytic account it touches."""
    if po_lines.empty:
        raise EmptyPurchaseOrderError()
    digits, currency = data.digits, data.currency
    first = po_lines.iloc[0]
    order_id = None if pd.isna(first["order_id"]) else int(first["order_id"])
    order_name = _text(first["order_name"])
    minor = to_minor(po_lines["amount"], digits).to_numpy()
    total = minor_to_decimal(int(minor.sum()), digits)
    has_account = po_lines["analytic_account_id"].notna().to_numpy()
    unallocated = minor_to_decimal(int(minor[~has_account].sum()), digits)
    unallocated_ids = tuple(sorted({int(i) for i in po_lines.loc[~has_account, "po_line_id"] if not pd.isna(i)}))
    report = budget_status(data, as_of, thresholds)
    lines = list(report.lines)
    days = effective_dates(po_lines, as_of)
    groups: dict[tuple[int, str], list[int]] = {}
    placed: dict[str, BudgetLineStatus | None] = {}
    for position in np.flatnonzero(has_account):
        row = po_lines.iloc[position]
        account_id = int(row["analytic_account_id"])
        day = pd.Timestamp(days[position]).date()
        general = None if pd.isna(row["general_account_id"]) else int(row["general_account_id"])
        line = _line_for(lines, account_id, day, general)
        key = line.key if line is not None else f"none:{day}"
        placed[key] = line
        groups.setdefault((account_id, key), []).append(position)
    names = {int(r.id): _text(r.name) for r in data.analytic_accounts.itertuples() if not pd.isna(r.id)}
    checks = []
    for (account_id, key), positions in sorted(groups.items()):
        rows = po_lines.iloc[positions]
        day = pd.Timestamp(days[positions].min()).date()
        amount = minor_to_decimal(int(minor[positions].sum()), digits)
        ids = tuple(sorted({int(i) for i in rows["po_line_id"] if not pd.isna(i)}))
        line = placed[key]
        name = names.get(account_id) or _text(rows["analytic_account_id"].iloc[0])
        if line is None:
            checks.append(PoAccountCheck(
                analytic_account_id=account_id, analytic_account_name=name, amount=amount, po_line_ids=ids,
                date=day, line_key=None, budget_name="", position_name="", date_from=None, date_to=None,
                planned=None, available_before=None, available_after=None, fits=None,
                reason=f"{name}: {format_amount(amount)} {currency} on {day}, but no expense budget line "
                       "covers this analytic "
                       "account at that date (and expense account): it cannot be checked"))
            continue
        before = line.available + _already(line, order_id)
        after = before - amount
        fits = after >= 0
        where = f"{line.budget_name}, {line.position_name or 'all accounts'}, {line.date_from} to {line.date_to}"
        verdict = (f"fits: {format_amount(after)} remains" if fits
                   else f"does not fit: {format_amount(-after)} {currency} over the budget")
        checks.append(PoAccountCheck(
            analytic_account_id=account_id, analytic_account_name=name, amount=amount, po_line_ids=ids,
            date=day, line_key=line.key, budget_name=line.budget_name,
            position_name=line.position_name, date_from=line.date_from, date_to=line.date_to,
            planned=line.planned, available_before=before, available_after=after, fits=fits,
            reason=(f"{name} ({where}): planned {format_amount(line.planned)}, spent "
                    f"{format_amount(line.actual)}, committed by other orders "
                    f"{format_amount(line.committed - _already(line, order_id))}, remaining "
                    f"{format_amount(before)}; this order adds "
                    f"{format_amount(amount)} -> {verdict}")))
    verdicts = [c.fits for c in checks]
    if any(v is False for v in verdicts):
        fits, head = False, "does not fit the budget of " + ", ".join(
            c.analytic_account_name for c in checks if c.fits is False)
    elif verdicts and all(v is True for v in verdicts):
        fits, head = True, "fits the remaining budget of every analytic account it touches"
    elif any(v is True for v in verdicts):
        fits, head = None, "fits where a budget exists, but some analytic accounts have no budget line"
    else:
        fits, head = None, "could not be checked: no budget line covers what it touches"
    if not checks:
        head = "has no analytic distribution: it is not charged to any budget, so it cannot be checked"
    reason = f"{order_name} ({format_amount(total)} {currency} to bill) {head}"
    if unallocated and checks:
        reason += (f"; {format_amount(unallocated)} {currency} of it has no analytic distribution and is "
                   "charged to no budget")
    return PoCheck(order_id=order_id, order_name=order_name, order_state=_text(first["order_state"]),
                   partner_name=_text(first["partner_name"]), as_of=as_of, currency=currency, total=total,
                   unallocated=unallocated, unallocated_po_line_ids=unallocated_ids, accounts=tuple(checks),
                   fits=fits, reason=reason + ".")
