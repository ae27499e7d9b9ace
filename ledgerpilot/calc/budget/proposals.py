"""The proposals a budget report calls for, one per line at risk (pure: report in, proposals out).

- ``note``: a note in the chatter of the budget (``message_post``, subtype note) with the figures.
- ``medium``: an activity for the budget owner (``mail.activity`` create on the budget).
- ``high``, expense line: a budget transfer when another expense line of the same budget has the
  room: the line with the most available whose projected headroom (plan less projected spending and
  commitments) covers the projected overspend gives exactly that amount; one write on the budget
  updates both lines' planned amounts (Odoo's sign: expense lines negative). A donor gives to one
  line per run, so each transfer, approved alone, is still right. Without such a donor: a hold on
  the open purchase order contributing most to the line's commitments, as an activity on the order
  (its note asks to hold the order; never a cancel). An order is held once per run: a line whose
  orders are all held already, or that has none, gets an activity for the owner instead.
- Lines of a finished period get no proposal (see :func:`budget_proposals`).
- ``high``, income line: an activity for the owner (a shortfall in revenue is not fixed by a transfer).

Each proposal carries the finding ``budget:<source>:<line>:<from>:<to>:<tier>``: a line found at the same
tier again (the next hour, the next day, with moved figures) is a known finding and the watcher stores
nothing new for it; a line whose risk rises to another tier is a new decision.

Where the budget is not an Odoo record (a budget file) notes and activities go on the analytic
account, and a transfer cannot be written, so the hold or the activity is proposed instead.
Text is HTML-escaped where Odoo renders it as HTML (message bodies, activity notes).

``similar`` maps a line's ``key`` to past exceptions from the memory (``SimilarException``:
``exception`` + ``similarity``, or ``(exception, similarity)`` pairs); the most similar resolved one
is cited in the summary and the body ("Last time (2026-03) ... was resolved: ...").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ledgerpilot.calc.budget.results import BudgetLineStatus, BudgetReport, OrderCommitment
from ledgerpilot.calc.chatter import paragraphs_html
from ledgerpilot.domain.money import format_amount
from ledgerpilot.domain.proposal import Evidence, OdooCall, Proposal, RecordRef

CREATED_BY = "ledgerpilot:budget"
TODO_ACTIVITY = "mail.mail_activity_data_todo"
NOTE_SUBTYPE = "mail.mt_note"

#: per budget source: (budget model, one2many field to its lines, planned-amount field, sign of expense amounts)
BUDGET_MODELS: Mapping[str, tuple[str, str, str, int]] = {
    "crossovered": ("crossovered.budget", "crossovered_budget_line_ids", "planned_amount", -1),
    "budget_analytic": ("budget.analytic", "budget_line_ids", "budget_amount", 1),
}
LINE_MODELS: Mapping[str, str] = {"crossovered": "crossovered.budget.lines", "budget_analytic": "budget.line"}


def _parts(item: Any) -> tuple[Any, float | None]:
    if isinstance(item, tuple):
        return item[0], (float(item[1]) if len(item) > 1 and item[1] is not None else None)
    return getattr(item, "exception", item), getattr(item, "similarity", None)


def last_time(similar: Sequence[Any] | None) -> str | None:
    """'Last time (2026-03) ...' from the most similar past exception that has a resolution, else None."""
    for item in similar or ():
        exception, _similarity = _parts(item)
        resolution = getattr(exception, "resolution", None)
        if not resolution:
            continue
        occurred = getattr(exception, "occurred_on", None)
        when = occurred.strftime("%Y-%m") if isinstance(occurred, dt.date) else "before"
        status = str(getattr(exception, "status", "resolved") or "resolved")
        outcome = {"resolved": "was resolved", "false_positive": "was judged a false positive"}.get(
            status, f"ended {status.replace('_', ' ')}")
        title = str(getattr(exception, "title", "") or "a similar exception")
        return f"Last time ({when}) {title} {outcome}: {resolution}"
    return None


def risk_category(line: BudgetLineStatus) -> str:
    """The category a budget risk is remembered under: what went wrong where (no dates, no amounts)."""
    what = "budget shortfall" if line.direction == "income" else "budget overrun"
    where = " ".join(p for p in (line.analytic_account_name, line.position_name) if p) or "no analytic account"
    return f"{what}: {where.casefold()}"


def risk_text(line: BudgetLineStatus, budget_name: str | None = None) -> str:
    """A line at risk described in words, to search the memory of past exceptions with (and to store)."""
    what = "Revenue short of target" if line.direction == "income" else "Spending over budget"
    where = " / ".join(p for p in (line.analytic_account_name, line.position_name) if p)
    return f"{what} on {where or 'no analytic account'} in {budget_name or line.budget_name}. {line.reason}"


def _record(report: BudgetReport, line: BudgetLineStatus) -> RecordRef:
    """The Odoo record that notes and activities about the line go on."""
    if report.source in BUDGET_MODELS:
        return RecordRef(model=BUDGET_MODELS[report.source][0], id=line.budget_id, name=line.budget_name)
    return RecordRef(model="account.analytic.account", id=line.analytic_account_id or 0,
                     name=line.analytic_account_name)


def _line_ref(report: BudgetReport, line: BudgetLineStatus) -> RecordRef | None:
    model = LINE_MODELS.get(report.source)
    return None if model is None else RecordRef(model=model, id=line.line_id,
                                                name=f"{line.analytic_account_name} / {line.position_name}")


def _label(line: BudgetLineStatus) -> str:
    return f"{line.analytic_account_name or 'no analytic account'}" + \
        (f" / {line.position_name}" if line.position_name else "") + f" ({line.date_from} to {line.date_to})"


def finding_of(report: BudgetReport, line: BudgetLineStatus) -> str:
    """What a budget proposal is about: the line, its period and its tier (not the day nor the figures)."""
    return f"budget:{report.source}:{line.key}:{line.date_from}:{line.date_to}:{line.tier}"


def _figures(line: BudgetLineStatus) -> dict[str, Any]:
    return {"line_key": line.key, "line_id": line.line_id, "budget_id": line.budget_id, "direction": line.direction,
            "date_from": line.date_from, "date_to": line.date_to, "planned": line.planned, "actual": line.actual,
            "committed": line.committed, "available": line.available, "burn_rate": line.burn_rate,
            "projected_end": line.projected_end, "projected_total": line.projected_total,
            "projection_method": line.projection_method,
            "projected_overspend_pct": None if line.projected_overspend_pct is None
            else round(Decimal(str(line.projected_overspend_pct)), 4),
            "tier": line.tier, "analytic_line_ids": list(line.analytic_line_ids),
            "move_line_ids": list(line.move_line_ids), "po_line_ids": list(line.po_line_ids),
            "orders": [{"order_id": o.order_id, "order_name": o.order_name, "amount": o.amount}
                       for o in line.orders]}


def _records(report: BudgetReport, line: BudgetLineStatus, *extra: RecordRef) -> tuple[RecordRef, ...]:
    refs = [_record(report, line)]
    line_ref = _line_ref(report, line)
    if line_ref is not None:
        refs.append(line_ref)
    if line.analytic_account_id is not None and refs[0].model != "account.analytic.account":
        refs.append(RecordRef(model="account.analytic.account", id=line.analytic_account_id,
                              name=line.analytic_account_name))
    refs.extend(RecordRef(model="purchase.order", id=o.order_id, name=o.order_name) for o in line.orders)
    refs.extend(extra)
    seen, unique = set(), []
    for ref in refs:
        if (ref.model, ref.id) not in seen:
            seen.add((ref.model, ref.id))
            unique.append(ref)
    return tuple(unique)


def _with_memory(text: str, memory: str | None) -> str:
    return text if memory is None else f"{text} {memory}."


def _activity(values_for: RecordRef, report: BudgetReport, line: BudgetLineStatus, summary: str,
              paragraphs: Sequence[str], deadline_days: int, user_id: int | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "res_model": values_for.model, "res_id": values_for.id, "activity_type_id": TODO_ACTIVITY,
        "summary": summary, "note": paragraphs_html(paragraphs),
        "date_deadline": report.as_of + dt.timedelta(days=deadline_days)}
    if user_id is not None:
        values["user_id"] = user_id
    return values


def _note(report: BudgetReport, line: BudgetLineStatus, run_id: str, memory: str | None) -> Proposal:
    target = _record(report, line)
    drift = (line.drift_pct or 0.0) * 100
    title = f"Budget note: {_label(line)} drifting {drift:.1f}%"
    body = paragraphs_html([f"{_label(line)}: a small drift ({drift:.1f}%).", line.reason, memory or ""])
    return Proposal(
        kind="note", title=title, summary=_with_memory(line.reason, memory),
        payload=OdooCall(model=target.model, method="message_post", args=([target.id],),
                         kwargs={"body": body, "message_type": "comment", "subtype_xmlid": NOTE_SUBTYPE,
                                 "body_is_html": True}),
        evidence=Evidence(records=_records(report, line), figures=_figures(line)),
        run_id=run_id, created_by=CREATED_BY, finding=finding_of(report, line))


def _owner_activity(report: BudgetReport, line: BudgetLineStatus, run_id: str, memory: str | None,
                    deadline_days: int, why: str = "") -> Proposal:
    target = _record(report, line)
    drift = (line.drift_pct or 0.0) * 100
    direction = "short of target" if line.direction == "income" else "over budget"
    summary_line = f"Review {_label(line)}: projected {drift:.1f}% {direction}"
    owner = line.owner_name or "the budget owner"
    values = _activity(target, report, line, summary_line, [line.reason, why, memory or ""], deadline_days,
                       line.owner_id)
    return Proposal(
        kind="activity", title=f"Activity for {owner}: {summary_line}",
        summary=_with_memory(" ".join(p for p in (line.reason, why) if p), memory),
        payload=OdooCall(model="mail.activity", method="create", args=(values,)),
        evidence=Evidence(records=_records(report, line), figures=_figures(line)),
        run_id=run_id, created_by=CREATED_BY, finding=finding_of(report, line))


def _headroom(line: BudgetLineStatus) -> Decimal:
    """How much a line can give without itself being projected over its plan."""
    return min(line.available, line.planned - line.projected_total)


def _donor(report: BudgetReport, line: BudgetLineStatus, amount: Decimal, used: set[str]) -> BudgetLineStatus | None:
    candidates = [other for other in report.lines
                  if other.budget_id == line.budget_id and other.key != line.key and other.key not in used
                  and other.direction == "expense" and other.tier == "ok" and _headroom(other) >= amount]
    if not candidates:
        return None
    return max(candidates, key=lambda other: (other.available, -other.line_id))


def _transfer(report: BudgetReport, line: BudgetLineStatus, donor: BudgetLineStatus, amount: Decimal,
              run_id: str, memory: str | None) -> Proposal:
    model, field, amount_field, expense_sign = BUDGET_MODELS[report.source]
    target_new = (line.planned + amount) * expense_sign
    donor_new = (donor.planned - amount) * expense_sign
    currency = report.currency
    summary = (f"{_label(line)} is projected {format_amount(amount)} {currency} over its plan of "
               f"{format_amount(line.planned)}. "
               f"{_label(donor)} has {format_amount(donor.available)} available and is projected "
               f"{format_amount(donor.planned - donor.projected_total)} under plan: move "
               f"{format_amount(amount)} from it "
               f"(plan {format_amount(donor.planned)} -> {format_amount(donor.planned - amount)}; "
               f"{format_amount(line.planned)} -> "
               f"{format_amount(line.planned + amount)}). {line.reason}")
    return Proposal(
        kind="budget_transfer",
        title=f"Budget transfer {format_amount(amount)} {currency}: {_label(donor)} -> {_label(line)}",
        summary=_with_memory(summary, memory),
        payload=OdooCall(model=model, method="write", args=(
            [line.budget_id], {field: [(1, donor.line_id, {amount_field: donor_new}),
                                       (1, line.line_id, {amount_field: target_new})]})),
        evidence=Evidence(
            records=_records(report, line, *(r for r in (_line_ref(report, donor),) if r is not None)),
            figures={**_figures(line), "transfer_amount": amount, "from_line_id": donor.line_id,
                     "from_line_key": donor.key, "from_available": donor.available,
                     "from_projected_total": donor.projected_total, "from_planned_before": donor.planned,
                     "from_planned_after": donor.planned - amount, "to_line_id": line.line_id,
                     "to_planned_before": line.planned, "to_planned_after": line.planned + amount}),
        run_id=run_id, created_by=CREATED_BY, finding=finding_of(report, line))


def _hold(report: BudgetReport, line: BudgetLineStatus, order: OrderCommitment, run_id: str, memory: str | None,
          deadline_days: int) -> Proposal:
    currency = report.currency
    overspend = line.projected_total - line.planned
    summary_line = (f"Hold {order.order_name}: {_label(line)} projected {format_amount(overspend)} {currency} "
                    "over budget")
    paragraphs = [
        (f"Please put {order.order_name} ({order.partner_name}) on hold: it still has "
         f"{format_amount(order.amount)} {currency} "
         f"to bill against {_label(line)}, the largest open commitment on a line projected "
         f"{format_amount(overspend)} "
         f"{currency} over its plan of {format_amount(line.planned)}. No other line of {line.budget_name} "
         f"has the room for a "
         "transfer. Do not cancel the order; release it once the budget is adjusted."),
        line.reason, memory or ""]
    values = _activity(RecordRef(model="purchase.order", id=order.order_id, name=order.order_name), report, line,
                       summary_line, paragraphs, deadline_days, line.owner_id)
    return Proposal(
        kind="po_hold", title=summary_line,
        summary=_with_memory(" ".join(paragraphs[:2]), memory),
        payload=OdooCall(model="mail.activity", method="create", args=(values,)),
        evidence=Evidence(records=_records(report, line),
                          figures={**_figures(line), "hold_order_id": order.order_id,
                                   "hold_order_name": order.order_name, "hold_order_amount": order.amount,
                                   "hold_po_line_ids": list(order.po_line_ids)}),
        run_id=run_id, created_by=CREATED_BY, finding=finding_of(report, line))


def budget_proposals(report: BudgetReport, *, run_id: str, similar: Mapping[str, list] | None = None,
                     deadline_days: int = 5, include_finished: bool = False) -> list[Proposal]:
    """One proposal per line at risk, most serious first (see the module doc for which kind).

    Lines whose period is over are reported by :func:`budget_status` but get no proposal unless
    ``include_finished``: nothing can still be held or moved into a closed period. Their unused
    budget can still be given to a line at risk.
    """
    proposals: list[Proposal] = []
    used_donors: set[str] = set()
    held_orders: set[int] = set()
    for line in report.at_risk():
        if line.projection_method == "period_over" and not include_finished:
            continue
        memory = last_time((similar or {}).get(line.key))
        if line.tier == "note":
            proposals.append(_note(report, line, run_id, memory))
            continue
        if line.tier == "medium" or line.direction == "income":
            proposals.append(_owner_activity(report, line, run_id, memory, deadline_days))
            continue
        overspend = line.projected_total - line.planned
        donor = _donor(report, line, overspend, used_donors) if report.source in BUDGET_MODELS else None
        if donor is not None:
            used_donors.add(donor.key)
            proposals.append(_transfer(report, line, donor, overspend, run_id, memory))
        elif any(o.order_id not in held_orders for o in line.orders):
            order = next(o for o in line.orders if o.order_id not in held_orders)
            held_orders.add(order.order_id)
            proposals.append(_hold(report, line, order, run_id, memory, deadline_days))
        else:
            proposals.append(_owner_activity(
                report, line, run_id, memory, deadline_days,
                why="No other line of the budget has the room for a transfer and no open purchase order "
                    "of this line is left to hold: the spending itself needs a decision."))
    return proposals
