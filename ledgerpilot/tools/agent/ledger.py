"""The agent's ledger tools: receivables and payables ageing, a customer's payment behaviour, the
customers ranked by how late they pay, and finding a record by its number or reference.

Read-only. Ageing is the overview's calculator (``calc.ledger.overview.ageing``) on the open items read
once per context; payment behaviour is the forecast's model (``calc.cash.payment_behaviour.model``), fitted
once for every partner and sliced per question.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ledgerpilot.calc.cash.payment_behaviour.words import ON_TIME_DAYS
from ledgerpilot.calc.ledger.overview import DEFAULT_BUCKETS, Ageing, ageing
from ledgerpilot.domain.money import minor_to_decimal, to_minor
from ledgerpilot.tools.agent.books import LedgerKind, cash_books, company, open_items
from ledgerpilot.tools.agent.lookup import find_records, pick, record_data, step_words
from ledgerpilot.tools.agent.names import resolve_partner
from ledgerpilot.tools.agent.toolkit import ToolContext, ToolError, ToolOutput, tool

#: a customer's open invoices listed (oldest due date first)
OPEN_INVOICES_SHOWN = 8
#: the "recent" invoices whose delay is compared with the customer's whole history
RECENT_INVOICES = 6
#: a fitted drift of at least this many days is reported as a trend
TREND_DAYS = ON_TIME_DAYS + 1
#: candidates listed when a reference is ambiguous
CANDIDATES_SHOWN = 8


class AgeingArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    top: int = Field(5, ge=1, le=20, description="how many partners with the largest balances to list")


class CustomerArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer: str = Field(min_length=1, max_length=200, description="the customer's name (or a unique part of it)")


class SlowPayersArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    top: int = Field(5, ge=1, le=20, description="how many of the latest-paying customers to list")


class ReferenceArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=200,
                           description="a document number (INV/2026/00042, BILL/..., P00042, S00042), a vendor or "
                                       "payment reference, or a partner's name")


# -------------------------------------------------------------------------------------------- ageing


def _ageing(ctx: ToolContext, kind: LedgerKind, top: int) -> Ageing:
    info = company(ctx)
    return ageing(open_items(ctx, kind), ctx.today, kind, info.currency, info.currency_digits, top=top)


def _bucket(label: str, amount: Decimal, count: int) -> dict[str, Any]:
    """One ageing bucket with its bounds in days past due as figures (None: open-ended; "not due" has none)."""
    low, high = next(((lo, hi) for name, lo, hi in DEFAULT_BUCKETS if name == label), (None, None))
    return {"bucket": label, "days_from": low if low is not None and low > 0 else None,
            "days_to": high if high is not None and high > 0 else None, "amount": amount, "count": count}


def _ageing_output(ctx: ToolContext, result: Ageing, role: str) -> ToolOutput:
    owed = result.total + result.credits
    data = {
        "as_of": result.as_of, "currency": result.currency, "kind": result.kind,
        "total": result.total, "overdue": result.overdue, "credits": result.credits,
        "overdue_share": round(float(result.overdue / owed), 4) if owed > 0 else None,
        "item_count": sum(b.count for b in result.buckets),
        "buckets": [_bucket(b.label, b.amount, b.count) for b in result.buckets],
        f"top_{role}s": [{role: p.partner_name, "amount": p.amount, "overdue": p.overdue, "items": len(p.record_ids)}
                         for p in result.top_partners],
    }
    citations = tuple(ctx.cite("res.partner", p.partner_id, p.partner_name)
                      for p in result.top_partners if p.partner_id is not None)
    return ToolOutput(data=data, citations=citations)


@tool(kind="read")
def receivables_ageing(ctx: ToolContext, args: AgeingArgs) -> ToolOutput:
    """What customers owe us today, aged by days past due (not due, 1-30, 31-60, 61-90, over 90): total,
    overdue amount and share, unapplied credits, and the customers with the largest balances. Use for "who owes
    us", "overdue receivables", "AR ageing", "DSO worries".

    Amounts are open residuals of posted customer items in the company currency.
    """
    return _ageing_output(ctx, _ageing(ctx, "receivable", args.top), "customer")


@tool(kind="read")
def payables_ageing(ctx: ToolContext, args: AgeingArgs) -> ToolOutput:
    """What we owe vendors today, aged by days past due (not due, 1-30, 31-60, 61-90, over 90): total, overdue
    amount and share, vendor credits, and the vendors with the largest balances. Use for "what do we owe",
    "overdue bills", "AP ageing", "which vendors are we late with".

    Amounts are open residuals of posted vendor items in the company currency.
    """
    return _ageing_output(ctx, _ageing(ctx, "payable", args.top), "vendor")


# ------------------------------------------------------------------------------------ payment behaviour


def _settlements(paid: pd.DataFrame, partner_id: int) -> pd.DataFrame:
    """The customer's cash settlements (one row per payment of an invoice installment)."""
    mask = ((paid["kind"] == "receivable") & (paid["partner_id"] == partner_id)).fillna(False).to_numpy()
    return paid[mask]


def _weighted_delay(rows: pd.DataFrame) -> float | None:
    weight = rows["amount"].astype("float64").to_numpy()
    if not len(rows) or weight.sum() <= 0:
        return None
    return round(float(np.average(rows["delay_days"].astype("float64").to_numpy(), weights=weight)), 1)


def _history_figures(paid: pd.DataFrame) -> dict[str, Any]:
    """On-time share and average delays of the paid history (amount-weighted: a large invoice counts more)."""
    if paid.empty:
        return {"paid_invoice_count": 0, "on_time_share": None, "average_delay_days": None,
                "recent_average_delay_days": None}
    amount = paid["amount"].astype("float64").to_numpy()
    on_time = paid["delay_days"].astype("float64").to_numpy() <= ON_TIME_DAYS
    recent_items = (paid.groupby("item_id")["due_date"].first().sort_values(kind="stable")
                    .index[-RECENT_INVOICES:])
    recent = paid[paid["item_id"].isin(recent_items).to_numpy()]
    return {"paid_invoice_count": int(paid["item_id"].nunique()),
            "on_time_share": round(float(amount[on_time].sum() / amount.sum()), 4) if amount.sum() > 0 else None,
            "average_delay_days": _weighted_delay(paid), "recent_average_delay_days": _weighted_delay(recent)}


def _open_invoices(ctx: ToolContext, partner_id: int, digits: int) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """The customer's open items today (the ageing's figures): totals and the oldest open invoices."""
    items = open_items(ctx, "receivable")
    mine = items[(items["partner_id_id"] == partner_id).fillna(False).to_numpy()]
    minor = to_minor(mine["amount_residual"], digits)
    due = pd.to_datetime(mine["date_maturity"].fillna(mine["date"]))
    late = (pd.Timestamp(ctx.today) - due).dt.days.to_numpy()
    owed = minor.to_numpy() > 0
    frame = pd.DataFrame({"move_id": mine["move_id_id"].to_numpy(), "name": mine["move_id_name"].to_numpy(),
                          "due": due.to_numpy(), "late": late, "minor": minor.to_numpy()})[owed]
    frame = frame.sort_values(["due", "name"], kind="stable")
    rows = [{"invoice": str(r.name), "due_date": pd.Timestamp(r.due).date(), "amount": minor_to_decimal(r.minor, digits),
             "days_overdue": max(0, int(r.late))} for r in frame.head(OPEN_INVOICES_SHOWN).itertuples()]
    figures = {"open_amount": minor_to_decimal(int(minor.sum()), digits),
               "overdue_amount": minor_to_decimal(int(minor[owed & (late > 0)].sum()), digits),
               "open_invoice_count": int(owed.sum()), "oldest_open_invoices": rows}
    cited = [(int(r.move_id), str(r.name)) for r in frame.head(OPEN_INVOICES_SHOWN).itertuples() if pd.notna(r.move_id)]
    return figures, cited


def _trend(drift_days: float) -> str:
    if drift_days >= TREND_DAYS:
        return "paying later"
    if drift_days <= -TREND_DAYS:
        return "paying sooner"
    return "steady"


@tool(kind="read")
def customer_payment_behaviour(ctx: ToolContext, args: CustomerArgs) -> ToolOutput:
    """How one customer pays: typical days late (median, 90th percentile), share paid on time, whether it is
    paying later over time, the chance an invoice stays unpaid 90 days past due, and its open and overdue
    invoices. Use for "does X pay on time", "how late is X", "is X getting worse", "what does X owe".

    Learned from the customer's paid and open invoices, recency-weighted and shrunk towards the company's
    pattern when its history is short.
    """
    loaded = cash_books(ctx)
    model = loaded.behaviour
    customers = {b.partner_id: b.partner_name for b in model.partners
                 if b.kind == "receivable" and b.partner_id is not None}
    partner_id = resolve_partner(args.customer, customers, role="customer", scope=" with invoices in the books")
    behaviour = model.behaviour("receivable", partner_id)
    digits = loaded.digits
    open_figures, open_cited = _open_invoices(ctx, partner_id, digits)
    data = {
        "customer": behaviour.partner_name, "currency": loaded.currency, "as_of": ctx.today,
        "median_delay_days": behaviour.median_delay, "p90_delay_days": behaviour.p90_delay,
        "mean_delay_days": behaviour.mean_delay,
        "company_median_delay_days": model.company("receivable").median_delay,
        "unpaid_after_90_days_share": behaviour.prob_unpaid_90,
        "own_history_share": behaviour.own_weight,
        "trend": _trend(behaviour.drift_days), "trend_days": behaviour.drift_days,
        "invoice_count": behaviour.invoices, "payment_count": behaviour.payments,
        "open_over_90_days_count": behaviour.open_overdue_90,
        **_history_figures(_settlements(loaded.books.paid_items, partner_id)),
        **open_figures,
        "explanation": behaviour.explanation,
    }
    citations = (ctx.cite("res.partner", partner_id, behaviour.partner_name),
                 *(ctx.cite("account.move", move_id, name) for move_id, name in open_cited))
    return ToolOutput(data=data, citations=citations)


#: a customer needs this many paid invoices to be ranked (fewer say more about chance than about habit)
RANKING_MIN_PAID_INVOICES = 3


def _paid_figures_by_customer(paid: pd.DataFrame) -> pd.DataFrame:
    """Per customer: paid invoices, amount-weighted average delay and on-time share of its settlements."""
    rows = paid[(paid["kind"] == "receivable").fillna(False).to_numpy() & paid["partner_id"].notna().to_numpy()]
    if rows.empty:
        return pd.DataFrame(columns=["paid_invoices", "average_delay_days", "on_time_share"])
    amount = rows["amount"].astype("float64")
    delay = rows["delay_days"].astype("float64")
    frame = pd.DataFrame({"partner_id": rows["partner_id"].astype("int64").to_numpy(), "item_id": rows["item_id"],
                          "amount": amount.to_numpy(), "weighted": (amount * delay).to_numpy(),
                          "on_time": np.where(delay.to_numpy() <= ON_TIME_DAYS, amount.to_numpy(), 0.0)})
    grouped = frame.groupby("partner_id").agg(paid_invoices=("item_id", "nunique"), amount=("amount", "sum"),
                                              weighted=("weighted", "sum"), on_time=("on_time", "sum"))
    positive = grouped["amount"] > 0
    grouped["average_delay_days"] = np.where(positive, grouped["weighted"] / grouped["amount"].where(positive, 1), 0)
    grouped["on_time_share"] = np.where(positive, grouped["on_time"] / grouped["amount"].where(positive, 1), 0)
    return grouped[["paid_invoices", "average_delay_days", "on_time_share"]]


@tool(kind="read")
def slowest_payers(ctx: ToolContext, args: SlowPayersArgs) -> ToolOutput:
    """The customers who pay latest, ranked by how many days after the due date they typically pay (not by
    how much they owe): median and 90th-percentile delay, share paid on time, trend, and what each has open
    and overdue today. Use for "who are our slowest payers", "which customers are chronically late".

    Ranked by the payment-behaviour model's median delay (recency-weighted), then its mean, among customers
    with at least three paid invoices; the company's median is given for comparison.
    """
    loaded = cash_books(ctx)
    model = loaded.behaviour
    figures = _paid_figures_by_customer(loaded.books.paid_items)
    ranked = []
    for behaviour in model.partners:
        if behaviour.kind != "receivable" or behaviour.partner_id is None:
            continue
        pid = int(behaviour.partner_id)
        if pid not in figures.index or int(figures.at[pid, "paid_invoices"]) < RANKING_MIN_PAID_INVOICES:
            continue
        ranked.append((behaviour, figures.loc[pid]))
    ranked.sort(key=lambda pair: (-pair[0].median_delay, -pair[0].mean_delay, pair[0].partner_name))
    digits = loaded.digits
    rows = []
    citations = []
    for behaviour, paid in ranked[:args.top]:
        open_figures, _ = _open_invoices(ctx, int(behaviour.partner_id), digits)
        rows.append({"customer": behaviour.partner_name, "median_delay_days": behaviour.median_delay,
                     "p90_delay_days": behaviour.p90_delay, "mean_delay_days": behaviour.mean_delay,
                     "paid_invoice_count": int(paid["paid_invoices"]),
                     "average_delay_days": round(float(paid["average_delay_days"]), 1),
                     "on_time_share": round(float(paid["on_time_share"]), 4),
                     "trend": _trend(behaviour.drift_days), "open_amount": open_figures["open_amount"],
                     "overdue_amount": open_figures["overdue_amount"]})
        citations.append(ctx.cite("res.partner", int(behaviour.partner_id), behaviour.partner_name))
    data = {"currency": loaded.currency, "as_of": ctx.today, "customers": rows, "ranked_count": len(ranked),
            "min_paid_invoices": RANKING_MIN_PAID_INVOICES,
            "company_median_delay_days": model.company("receivable").median_delay}
    return ToolOutput(data=data, citations=tuple(citations))


# ---------------------------------------------------------------------------------------------- lookup


def _currency_digits(ctx: ToolContext) -> dict[str, int]:
    return ctx.memo(("currency_digits", ctx.client.url, ctx.client.db), lambda: {
        row["name"]: int(row["decimal_places"])
        for row in ctx.client.search_read("res.currency", [], ["name", "decimal_places"])})


def _partner_balances(ctx: ToolContext, partner_id: int) -> dict[str, Decimal]:
    """What a partner owes us and what we owe it today (the ageing's open items)."""
    digits = company(ctx).currency_digits
    out = {}
    for kind, key, sign in (("receivable", "receivable_open", 1), ("payable", "payable_open", -1)):
        items = open_items(ctx, kind)
        mine = items[(items["partner_id_id"] == partner_id).fillna(False).to_numpy()]
        out[key] = minor_to_decimal(int(to_minor(mine["amount_residual"], digits).sum()) * sign, digits)
    return out


@tool(kind="read")
def find_record(ctx: ToolContext, args: ReferenceArgs) -> ToolOutput:
    """Look up one Odoo record by its number or a reference: a customer invoice, vendor bill, credit note,
    journal entry, payment, purchase order, sale order or partner. Returns its kind, partner, dates, amounts
    (total, still open), state, payment state, currency and a link. Use for "show me INV/2026/00042", "status
    of P00059", "find the bill with reference BL/2026-00434".

    Numbers are matched first, then vendor/payment/order references, then parts of numbers and names.
    """
    reference = args.reference.strip()
    if not reference:
        raise ToolError("give a document number, a reference or a partner name to look up")
    lookup = find_records(ctx.client, reference)
    found = lookup.found
    if not found:
        raise ToolError(f"no invoice, bill, entry, payment, order or partner matches {reference!r}; check the "
                        "number (e.g. INV/2026/00042, BILL/2026/11/0009, P00042, S00042) or give the partner's name")
    chosen, others = pick(found)
    if chosen is None:
        listed = "; ".join(f.label() for f in found[:CANDIDATES_SHOWN])
        more = " and more" if lookup.more or len(found) > CANDIDATES_SHOWN else ""
        raise ToolError(f"{reference!r} matches several records: {listed}{more}; give the full number or name")
    data = record_data(chosen, _currency_digits(ctx), ctx.today, company(ctx).currency)
    if chosen.model == "res.partner":
        data.update(_partner_balances(ctx, chosen.id))
    data["matched_by"] = step_words(lookup.step)
    data["url"] = ctx.record_url(chosen.model, chosen.id)
    data["other_matches"] = [f.label() for f in others[:CANDIDATES_SHOWN]]
    return ToolOutput(data=data, citations=(ctx.cite(chosen.model, chosen.id, chosen.name),))
