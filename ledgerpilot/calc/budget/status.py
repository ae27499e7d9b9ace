"""Budget vs actual vs committed per budget line, with projection and risk tier (pure).

Presentation: Odoo stores expense budgets negative. Here every line is shown in its own direction:
an expense line (planned amount negative, or zero) has ``planned`` = what may be spent and
``actual`` = what was spent, both positive; an income line (planned amount positive) has
``planned`` = what should be earned and ``actual`` = what was earned. Commitments (open purchase
order amounts) count only against expense lines.

Figures per line: ``available = planned - actual - committed``; ``utilisation = (actual +
committed) / planned``; ``variance = actual - planned``; ``burn_rate`` = actual per elapsed day;
``projected_end`` from :mod:`ledgerpilot.calc.budget.projection`; ``projected_overspend_pct =
(projected_end + committed - planned) / planned``.

Tiers are judged on the adverse drift: for an expense line the projected overspend, for an income
line the projected shortfall ((planned - projected_end) / planned). No adverse drift (to the cent):
``ok``; a drift below ``note_drift``: ``note``; from ``note_drift`` up to ``high_overspend``
inclusive: ``medium``; above ``high_overspend``: ``high``. An expense line with nothing planned and
something spent or committed is ``high``. The comparisons are exact (Decimal), so a drift of exactly
5% is ``medium`` and exactly 15% is still ``medium``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from ledgerpilot.calc.budget.errors import UnknownAnalyticAccountError
from ledgerpilot.calc.budget.match import ActualIndex, LineKey, assign_commitments
from ledgerpilot.calc.budget.projection import LastYear, project, year_earlier
from ledgerpilot.calc.budget.results import (
    TIER_ORDER,
    BudgetLineStatus,
    BudgetReport,
    BudgetTotal,
    OrderCommitment,
)
from ledgerpilot.domain.money import format_amount, minor_to_decimal, quantize, to_minor


@dataclass(frozen=True)
class BudgetThresholds:
    """Where a projected drift becomes a note, an activity, or a transfer/hold (fractions of the plan)."""

    note_drift: float = 0.05
    high_overspend: float = 0.15

    def __post_init__(self) -> None:
        if not 0 < self.note_drift <= self.high_overspend:
            raise ValueError(f"budget thresholds must satisfy 0 < note_drift <= high_overspend; got note_drift="
                             f"{self.note_drift} and high_overspend={self.high_overspend}")


EXCLUDED_BUDGET_STATES = frozenset({"cancel"})


def _text(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _date(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


def _planned(row) -> float:
    """The planned amount as Odoo stores it; a line without one plans nothing."""
    value = row.planned_amount
    return 0.0 if value is None or pd.isna(value) else float(value)


def _ratio(numerator: Decimal, denominator: Decimal) -> float | None:
    return None if denominator == 0 else float(numerator / denominator)


def tier_for(adverse: Decimal, planned: Decimal, thresholds: BudgetThresholds) -> str:
    """The tier of an adverse drift amount against a (positive) plan; exact at the boundaries."""
    if adverse <= 0:
        return "ok"
    if planned <= 0:
        return "high"
    if adverse < planned * Decimal(str(thresholds.note_drift)):
        return "note"
    if adverse <= planned * Decimal(str(thresholds.high_overspend)):
        return "medium"
    return "high"


def resolve_account(data, account: str | int) -> int:
    """An analytic account id from an id, a name or a code (case-insensitive), or a clear error."""
    accounts = data.analytic_accounts
    names = {int(r.id): (_text(r.name), _text(r.code)) for r in accounts.itertuples() if not pd.isna(r.id)}
    for r in data.budget_lines.itertuples():
        if not pd.isna(r.analytic_account_id):
            names.setdefault(int(r.analytic_account_id), (_text(r.analytic_account_name), ""))
    if not isinstance(account, str):
        account = int(account)
        if account in names:
            return account
        raise UnknownAnalyticAccountError(account, [name for name, _code in names.values()])
    if account.strip().isdigit() and int(account) in names:
        return int(account)
    wanted = str(account).strip().casefold()
    for account_id, (name, code) in names.items():
        if wanted and wanted in (name.casefold(), code.casefold()):
            return account_id
    raise UnknownAnalyticAccountError(account, [name for name, _code in names.values()])


def _plans(data) -> dict[int, tuple[int | None, str]]:
    return {int(r.id): (_int(r.plan_id), _text(r.plan_name)) for r in data.analytic_accounts.itertuples()
            if not pd.isna(r.id)}


def _orders(frame: pd.DataFrame, digits: int) -> tuple[OrderCommitment, ...]:
    if frame.empty:
        return ()
    work = frame.loc[frame["order_id"].notna()]
    work = work.assign(_minor=to_minor(work["amount"], digits).to_numpy())
    sums = work.groupby("order_id", sort=True).agg(order_name=("order_name", "first"),
                                                   partner_name=("partner_name", "first"), minor=("_minor", "sum"))
    pairs = work.loc[work["po_line_id"].notna(), ["order_id", "po_line_id"]].drop_duplicates()
    pairs = pairs.sort_values(["order_id", "po_line_id"])
    line_ids: dict[int, tuple[int, ...]] = {}
    order_ids = pairs["order_id"].to_numpy(dtype="int64")
    po_ids = pairs["po_line_id"].to_numpy(dtype="int64")
    bounds = np.flatnonzero(np.diff(order_ids)) + 1
    for chunk_orders, chunk_ids in zip(np.split(order_ids, bounds), np.split(po_ids, bounds)):
        if len(chunk_orders):
            line_ids[int(chunk_orders[0])] = tuple(chunk_ids.tolist())
    found = [OrderCommitment(order_id=int(order_id), order_name=_text(row.order_name),
                             partner_name=_text(row.partner_name), amount=minor_to_decimal(int(row.minor), digits),
                             po_line_ids=line_ids.get(int(order_id), ()))
             for order_id, row in zip(sums.index, sums.itertuples())]
    return tuple(sorted(found, key=lambda o: (-o.amount, o.order_id)))


def _reason(s: dict, currency: str, thresholds: BudgetThresholds, method_words: str) -> str:
    label = f"{s['analytic_account_name'] or 'no analytic account'}"
    if s["position_name"]:
        label += f" / {s['position_name']}"
    period = f"{s['date_from']} to {s['date_to']}"
    planned, actual, committed = s["planned"], s["actual"], s["committed"]
    if s["direction"] == "income":
        head = (f"{label}, {period}: earned {format_amount(actual)} of {format_amount(planned)} {currency} "
                "to earn after "
                f"{s['elapsed_days']} of {s['total_days']} days")
    else:
        head = (f"{label}, {period}: spent {format_amount(actual)} of {format_amount(planned)} {currency} "
                "allowed after "
                f"{s['elapsed_days']} of {s['total_days']} days")
    if s["burn_rate"] is not None and s["projection_method"] != "period_over":
        head += f" ({format_amount(s['burn_rate'])} a day)"
    parts = [head]
    if s["direction"] == "expense":
        parts.append(f"committed on open purchase orders {format_amount(committed)}; available "
                     f"{format_amount(s['available'])}")
    parts.append(f"projected {format_amount(s['projected_end'])} by {s['date_to']} ({method_words})")
    tier = s["tier"]
    if s["direction"] == "expense":
        total = s["projected_total"]
        if planned == 0:
            verdict = (f"nothing is planned but {format_amount(total)} is spent or committed" if total > 0
                       else "nothing is planned and nothing is spent")
        elif total > planned:
            verdict = (f"{format_amount(total)} with commitments, {format_amount(total - planned)} "
                       f"({(total - planned) / planned * 100:.1f}%) "
                       f"over budget")
        else:
            verdict = f"{format_amount(total)} with commitments, {format_amount(planned - total)} within budget"
    else:
        end = s["projected_end"]
        if planned == 0:
            verdict = "nothing is planned to be earned"
        elif end < planned:
            verdict = (f"{format_amount(planned - end)} ({(planned - end) / planned * 100:.1f}%) short of the "
                       "target")
        else:
            verdict = f"{format_amount(end - planned)} above the target"
    limits = (f"note below {thresholds.note_drift:.0%}, activity up to {thresholds.high_overspend:.0%}, "
              f"transfer or hold above")
    parts.append(f"{verdict} -> {tier} ({limits})")
    return "; ".join(parts) + "."


def _line_status(row, index: ActualIndex, committed_rows: pd.DataFrame, as_of: dt.date, data,
                 thresholds: BudgetThresholds, plans: dict) -> BudgetLineStatus:
    digits = data.digits
    planned_odoo = quantize(_planned(row), digits)
    expense = planned_odoo <= 0
    sign = -1 if expense else 1
    planned = planned_odoo * sign
    date_from, date_to = _date(row.date_from), _date(row.date_to)
    account_id = _int(row.analytic_account_id)
    positions = tuple(int(a) for a in (row.position_account_ids or []))
    selected = index.select(account_id, date_from, min(date_to, as_of), positions)
    actual = minor_to_decimal(sign * selected.minor, digits)
    if expense and not committed_rows.empty:
        committed = minor_to_decimal(int(to_minor(committed_rows["amount"], digits).sum()), digits)
        orders = _orders(committed_rows, digits)
        po_line_ids = tuple(sorted({int(i) for i in committed_rows["po_line_id"] if not pd.isna(i)}))
    else:
        committed, orders, po_line_ids = quantize(0, digits), (), ()
    ly_from, ly_to, ly_as_of = year_earlier(date_from), year_earlier(date_to), year_earlier(as_of)
    last_year = None
    if index.has_account(account_id):
        ly_total = minor_to_decimal(sign * index.total(account_id, ly_from, ly_to, positions), digits)
        ly_before = minor_to_decimal(
            sign * index.total(account_id, ly_from, ly_as_of - dt.timedelta(days=1), positions), digits)
        last_year = LastYear(total=ly_total, before=ly_before) if ly_total != 0 else None
    projection = project(actual, planned, committed, date_from, date_to, as_of, last_year, digits)
    projected_end = projection.projected_end
    projected_total = projected_end + committed
    if expense:
        adverse = projected_total - planned
    else:
        adverse = planned - projected_end
    tier = tier_for(adverse, planned, thresholds)
    plan_id, plan_name = plans.get(account_id, (None, "")) if account_id is not None else (None, "")
    figures = {
        "analytic_account_name": _text(row.analytic_account_name), "position_name": _text(row.position_name),
        "date_from": date_from, "date_to": date_to, "direction": "expense" if expense else "income",
        "planned": planned, "actual": actual, "committed": committed,
        "available": planned - actual - committed, "elapsed_days": projection.elapsed_days,
        "total_days": projection.total_days, "burn_rate": projection.burn_rate,
        "projected_end": projected_end, "projected_total": projected_total,
        "projection_method": projection.method, "tier": tier,
    }
    line_id, budget_id = int(row.line_id), int(row.budget_id)
    return BudgetLineStatus(
        key=f"{budget_id}/{line_id}", line_id=line_id, budget_id=budget_id, budget_name=_text(row.budget_name),
        analytic_account_id=account_id, analytic_account_name=figures["analytic_account_name"],
        plan_id=plan_id, plan_name=plan_name, position_id=_int(row.position_id),
        position_name=figures["position_name"], position_account_ids=positions, date_from=date_from,
        date_to=date_to, direction=figures["direction"], planned=planned, planned_odoo=planned_odoo,
        actual=actual, committed=committed, available=figures["available"],
        utilisation=_ratio(actual + committed, planned), variance=actual - planned,
        elapsed_days=projection.elapsed_days, total_days=projection.total_days, burn_rate=projection.burn_rate,
        projected_end=projected_end, projected_total=projected_total, projection_method=projection.method,
        projected_overspend_pct=_ratio(projected_total - planned, planned),
        drift_pct=_ratio(adverse, planned), tier=tier,
        reason=_reason(figures, data.currency, thresholds, projection.words),
        owner_id=_int(row.owner_id), owner_name=_text(row.owner_name),
        analytic_line_ids=selected.ids["analytic_line"], move_line_ids=selected.ids["move_line"],
        po_line_ids=po_line_ids, orders=orders)


def _totals(lines: list[BudgetLineStatus], level: str) -> tuple[BudgetTotal, ...]:
    groups: dict[tuple, list[BudgetLineStatus]] = {}
    for line in lines:
        key = (line.analytic_account_id, line.analytic_account_name) if level == "account" \
            else (line.plan_id, line.plan_name)
        groups.setdefault((key, line.direction), []).append(line)
    totals = []
    for ((group_id, name), direction), members in groups.items():
        planned = sum((m.planned for m in members), Decimal(0))
        actual = sum((m.actual for m in members), Decimal(0))
        committed = sum((m.committed for m in members), Decimal(0))
        projected_end = sum((m.projected_end for m in members), Decimal(0))
        projected_total = projected_end + committed
        totals.append(BudgetTotal(
            level=level, id=group_id, name=name or ("no analytic account" if level == "account" else "no plan"),
            direction=direction, line_count=len(members), planned=planned, actual=actual, committed=committed,
            available=planned - actual - committed, projected_end=projected_end, projected_total=projected_total,
            utilisation=_ratio(actual + committed, planned),
            projected_overspend_pct=_ratio(projected_total - planned, planned),
            worst_tier=max((m.tier for m in members), key=lambda t: TIER_ORDER[t])))
    return tuple(sorted(totals, key=lambda t: (t.direction, t.name, t.id or 0)))


def budget_status(data, as_of: dt.date, thresholds: BudgetThresholds = BudgetThresholds(), *,
                  account: str | int | None = None) -> BudgetReport:
    """Every budget line of ``data`` (all but cancelled budgets) as of ``as_of``, optionally one account."""
    lines_frame = data.budget_lines
    if not lines_frame.empty:
        lines_frame = lines_frame.loc[~lines_frame["budget_state"].astype(object).isin(EXCLUDED_BUDGET_STATES)]
    findings: list[str] = []
    if account is not None:
        wanted = resolve_account(data, account)
        lines_frame = lines_frame.loc[lines_frame["analytic_account_id"] == wanted]
        if lines_frame.empty:
            findings.append(f"analytic account {account!r} has no budget line")
    index = ActualIndex(data.actuals, data.digits)
    keys = []
    for row in lines_frame.itertuples():
        planned_minor = round(_planned(row) * 10 ** data.digits)
        keys.append(LineKey(line_id=int(row.line_id), analytic_account_id=_int(row.analytic_account_id),
                            date_from=_date(row.date_from), date_to=_date(row.date_to),
                            account_ids=tuple(int(a) for a in (row.position_account_ids or [])),
                            expense=planned_minor <= 0, planned_minor=abs(planned_minor)))
    commitments = data.commitments
    masks = assign_commitments(commitments, keys, as_of)
    plans = _plans(data)
    empty = commitments.iloc[0:0]
    statuses = []
    for row in lines_frame.itertuples():
        mask = masks.get(int(row.line_id))
        rows = commitments.loc[mask] if mask is not None and mask.any() else empty
        statuses.append(_line_status(row, index, rows, as_of, data, thresholds, plans))
    statuses.sort(key=lambda s: (s.budget_name, s.analytic_account_name, s.position_name, s.date_from, s.line_id))
    if not statuses and account is None:
        findings.append(f"no budget lines ({data.source.reason})")
    unanalysed = [s for s in statuses if s.analytic_account_id is None]
    if unanalysed:
        findings.append(f"{len(unanalysed)} budget line(s) have no analytic account; their actual is read from "
                        "analytic data only, so it shows 0.00: give them an analytic account")
    if masks and not commitments.empty and account is None:
        counted = np.zeros(len(commitments), dtype=bool)
        for mask in masks.values():
            counted |= mask
        no_account = commitments["analytic_account_id"].isna().to_numpy()
        for rows, words in ((~counted & ~no_account, ("fall under no budget line (no line for their analytic "
                                                     "account, period or expense account)")),
                            (~counted & no_account, "have no analytic distribution, so no budget covers them")):
            if rows.any():
                loose = commitments.loc[rows]
                amount = minor_to_decimal(int(to_minor(loose["amount"], data.digits).sum()), data.digits)
                findings.append(f"{len(loose)} open purchase-order amounts ({format_amount(amount)} "
                                f"{data.currency}) {words}")
    return BudgetReport(
        as_of=as_of, company_name=data.company_name, currency=data.currency, digits=data.digits,
        source=data.source.kind, source_reason=data.source.reason, note_drift=thresholds.note_drift,
        high_overspend=thresholds.high_overspend, lines=tuple(statuses), accounts=_totals(statuses, "account"),
        plans=_totals(statuses, "plan"), findings=tuple(findings))
