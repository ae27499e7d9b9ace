"""Surplus and shortfall proposals on hand-made forecasts where every cent is known."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from ledgerpilot.calc.cash.forecast.params import ForecastParams
from ledgerpilot.calc.cash.forecast.results import CashForecast, DayRow, Flow, WeekRow
from ledgerpilot.calc.cash.history import ITEM_COLUMNS
from ledgerpilot.calc.cash.proposals import (
    ProposalRules,
    cash_proposals,
    collection_lifts,
    followup_proposals,
    payment_proposal,
)

AS_OF = dt.date(2026, 11, 18)
D = Decimal


def _day(n: int) -> dt.date:
    return AS_OF + dt.timedelta(days=n)


def _flow(category: str, item_id: int, expected: dt.date | None, amount: str) -> Flow:
    return Flow(category=category, source_model="account.move.line", source_id=item_id, source_name=f"M{item_id}",
                partner_id=None, partner_name="", due_date=None, expected_date=expected, amount=D(amount),
                probability=1.0 if expected else 0.2)


def _forecast(p50: list[str], flows: list[Flow]) -> CashForecast:
    opening = D("10000.00")
    days, previous = [], opening
    for i, value in enumerate(p50, start=1):
        closing = D(value)
        net = closing - previous
        days.append(DayRow(date=_day(i), opening=previous, inflows=max(net, D(0)), outflows=max(-net, D(0)), net=net,
                           closing=closing, p10=closing - 500, p50=closing, p90=closing + 500))
        previous = closing
    lowest = min(days, key=lambda d: (d.p50, d.date))
    week = WeekRow(index=1, start=days[0].date, end=days[-1].date, opening=opening, inflows=D(0), outflows=D(0),
                   net=days[-1].closing - opening, closing=days[-1].closing, p10=days[-1].p10, p50=days[-1].p50,
                   p90=days[-1].p90, drivers=(), below_threshold=False)
    return CashForecast(as_of=AS_OF, currency="EUR", digits=2, weeks=1, opening_balance=opening, threshold=None,
                        days=tuple(days), weeks_rows=(week,), lowest_balance=lowest.p50, lowest_date=lowest.date,
                        lowest_p10=lowest.p10, lowest_p10_date=lowest.date, breaches=(), flows=tuple(flows),
                        assumptions=(), params=ForecastParams(weeks=1))


def _items(rows: list[tuple[int, str, int, str, dt.date, float]]) -> pd.DataFrame:
    """(id, kind, partner_id, partner_name, due, residual) -> CashBooks.open_items."""
    records = []
    for item_id, kind, partner_id, partner, due, residual in rows:
        record = {c: None for c in ITEM_COLUMNS}
        record.update(id=item_id, move_id=item_id + 1000, move_name=f"M{item_id}", kind=kind, partner_id=partner_id,
                      partner_name=partner, date=pd.Timestamp(due) - pd.Timedelta(days=30),
                      date_maturity=pd.Timestamp(due), balance=residual, residual=residual, currency="EUR")
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    frame["partner_id"] = frame["partner_id"].astype("Int64")
    return frame


P50_PATH = ["10000.00", "9000.00", "8000.00", "8500.00", "9000.00"]   # lowest 8,000.00 on day 3


def _bills():
    return _items([
        (1, "payable", 7, "Vendor A", _day(-8), -1000.00),   # the forecast pays it on day 2 (before the low)
        (2, "payable", 8, "Vendor B", _day(-3), -2500.00),   # paid on day 5 (after the low)
        (3, "payable", 7, "Vendor A", _day(2), -600.00),     # not expected within the horizon
        (4, "payable", 9, "Vendor C", _day(40), -50.00),     # not due soon
    ])


def _bill_flows():
    return [_flow("payable", 1, _day(2), "-1000.00"), _flow("payable", 2, _day(5), "-2500.00")]


def test_surplus_pays_bills_oldest_first_while_the_low_stays_above_the_level():
    forecast = _forecast(P50_PATH, _bill_flows())
    proposal = payment_proposal(forecast, _bills(), ProposalRules(surplus_level=D("5000")), run_id="run")
    assert proposal is not None and proposal.kind == "payment_proposal" and proposal.state == "proposed"
    # bill 1 is already paid before the low, so paying it now costs the low nothing; bill 2 costs 2,500;
    # bill 3 would cost 600 more (low 4,900 < 5,000) and is left out.
    figures = proposal.evidence.figures
    assert D(figures["total"]) == D("3500.00")
    assert D(figures["lowest_after_paying"]) == D("5500.00")
    assert D(figures["surplus"]) == D("3000.00")
    assert [b["item_id"] for b in figures["bills"]] == [1, 2]
    payments = proposal.payload.args[0]
    assert proposal.payload.model == "account.payment" and proposal.payload.method == "create"
    assert [(p["partner_id"], p["amount"]) for p in payments] == [(7, D("1000.00")), (8, D("2500.00"))]
    assert all(p["payment_type"] == "outbound" and p["partner_type"] == "supplier" for p in payments)
    assert {r.id for r in proposal.evidence.records} == {1001, 1002}
    assert "3,500.00 EUR" in proposal.title


def test_no_payment_proposal_without_room_above_the_level():
    forecast = _forecast(P50_PATH, _bill_flows())
    assert payment_proposal(forecast, _bills(), ProposalRules(surplus_level=D("8000")), "run") is None
    assert payment_proposal(forecast, _bills(), ProposalRules(surplus_level=None), "run") is None
    # room, but even the oldest bill would push the low below the level: nothing is proposed
    tight = _items([(2, "payable", 8, "Vendor B", _day(-3), -2500.00)])
    assert payment_proposal(forecast, tight, ProposalRules(surplus_level=D("7000")), "run") is None


def _invoices():
    return _items([
        (11, "receivable", 21, "Acme", _day(-17), 700.00),     # expected on day 2: lifts nothing
        (12, "receivable", 22, "Beta", _day(-13), 1200.00),    # expected on day 5: lifts 1,200
        (13, "receivable", 23, "Gamma", _day(-8), 300.00),     # not expected: lifts 300
        (14, "receivable", 24, "Delta", _day(12), 5000.00),    # not overdue
        (15, "receivable", 25, "Epsilon", _day(-48), 2000.00), # 500 expected by the low: lifts 1,500
    ])


def _invoice_flows():
    return [_flow("receivable", 11, _day(2), "700.00"), _flow("receivable", 12, _day(5), "1200.00"),
            _flow("receivable", 15, _day(3), "500.00"), _flow("receivable", 15, _day(5), "1500.00")]


def test_collection_lifts_rank_overdue_invoices_by_what_they_add_before_the_low():
    lifts = collection_lifts(_forecast(P50_PATH, _invoice_flows()), _invoices())
    assert [(c.item_id, c.lift) for c in lifts] == [(15, D("1500.00")), (12, D("1200.00")), (13, D("300.00"))]
    assert lifts[0].expected_before_lowest == D("500.00") and lifts[0].days_overdue == 48


def test_shortfall_proposes_follow_ups_on_the_top_invoices():
    forecast = _forecast(P50_PATH, _invoice_flows())
    proposals = followup_proposals(forecast, _invoices(), ProposalRules(threshold=D("9000"), max_followups=2), "run")
    assert [p.kind for p in proposals] == ["activity", "activity"]
    first = proposals[0]
    values = first.payload.args[0]
    assert first.payload.model == "mail.activity" and first.payload.method == "create"
    assert values["res_model"] == "account.move" and values["res_id"] == 1015
    assert values["activity_type_id"] == "mail.mail_activity_data_todo"
    assert values["date_deadline"] == AS_OF + dt.timedelta(days=2)
    assert D(first.evidence.figures["lift"]) == D("1500.00") and D(first.evidence.figures["gap"]) == D("1000.00")
    assert "Epsilon" in first.title and "48 days overdue" in first.summary
    assert proposals[1].payload.args[0]["res_id"] == 1012
    assert len({p.idempotency_key for p in proposals}) == 2


def test_no_follow_ups_when_the_low_stays_above_the_threshold():
    forecast = _forecast(P50_PATH, _invoice_flows())
    assert followup_proposals(forecast, _invoices(), ProposalRules(threshold=D("8000")), "run") == []
    assert followup_proposals(forecast, _invoices(), ProposalRules(threshold=None), "run") == []


@pytest.mark.parametrize("rules,kinds", [
    (ProposalRules(threshold=D("9000"), surplus_level=D("5000"), max_followups=1), ["payment_proposal", "activity"]),
    (ProposalRules(), []),
])
def test_cash_proposals_combines_both_rules_deterministically(rules, kinds):
    forecast = _forecast(P50_PATH, _bill_flows() + _invoice_flows())
    items = pd.concat([_bills(), _invoices()], ignore_index=True)
    first = cash_proposals(forecast, items, rules, "run")
    again = cash_proposals(forecast, items, rules, "other-run")
    assert [p.kind for p in first] == kinds
    assert [p.idempotency_key for p in first] == [p.idempotency_key for p in again]
