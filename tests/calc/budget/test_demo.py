"""The budget calculators on the demo company's books, read through the gateway from the sandbox.

The hand-made tests pin every cent; these check that the frames the loader really produces go
through every calculator, and that the figures agree with an independent pandas computation.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from ledgerpilot.calc.budget import budget_proposals, budget_status, check_po, project_burn
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.tools.budget.data import load_budget_data, load_purchase_order
from tests.conftest import DEMO_TODAY

PERIOD = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.fixture(scope="module")
def demo(sandbox):
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        data = load_budget_data(client, *PERIOD, today=DEMO_TODAY)
        confirmed = data.commitments.dropna(subset=["analytic_account_id"])
        order_name = str(confirmed["order_name"].iloc[0]) if not confirmed.empty else None
        order = load_purchase_order(client, order_name) if order_name else None
    return data, order


def _expected_actual(data, line) -> Decimal:
    actuals = data.actuals
    mask = (actuals["analytic_account_id"] == line.analytic_account_id) \
        & (actuals["date"] >= pd.Timestamp(line.date_from)) \
        & (actuals["date"] <= pd.Timestamp(min(line.date_to, DEMO_TODAY)))
    if line.position_account_ids:
        mask &= actuals["general_account_id"].isin(line.position_account_ids)
    cents = int((actuals.loc[mask, "amount"] * 100).round().astype("int64").sum())
    sign = -1 if line.direction == "expense" else 1
    return Decimal(sign * cents).scaleb(-2)


def test_every_line_adds_up_and_matches_an_independent_sum(demo):
    data, _order = demo
    report = budget_status(data, DEMO_TODAY)
    assert len(report.lines) == len(data.budget_lines) > 0
    for line in report.lines:
        assert line.actual == _expected_actual(data, line), line.key
        assert line.available == line.planned - line.actual - line.committed
        assert line.projected_total == line.projected_end + line.committed
        assert line.tier in ("ok", "note", "medium", "high")
    total_committed = Decimal(int((data.commitments["amount"] * 100).round().sum())).scaleb(-2)
    assert sum((line.committed for line in report.lines), Decimal(0)) <= total_committed
    for total in report.accounts:
        members = [line for line in report.lines
                   if line.analytic_account_id == total.id and line.direction == total.direction]
        assert total.planned == sum((line.planned for line in members), Decimal(0))
        assert total.actual == sum((line.actual for line in members), Decimal(0))


def test_every_current_line_at_risk_gets_one_proposal_of_its_tier(demo):
    data, _order = demo
    report = budget_status(data, DEMO_TODAY)
    proposals = budget_proposals(report, run_id="demo")
    current = [line for line in report.at_risk() if line.projection_method != "period_over"]
    assert [p.evidence.figures["line_key"] for p in proposals] == [line.key for line in current]
    for line, proposal in zip(current, proposals):
        expected = {"note": {"note"}, "medium": {"activity"},
                    "high": {"budget_transfer", "po_hold", "activity"}}[line.tier]
        assert proposal.kind in expected
        assert proposal.idempotency_key


def test_check_po_and_burn_down_run_on_the_demo(demo):
    data, order = demo
    if order is not None:
        check = check_po(data, order, DEMO_TODAY)
        for account in check.accounts:
            if account.fits is not None:
                assert account.available_after == account.available_before - account.amount
                assert account.fits == (account.available_after >= 0)
    for name in data.projects.dropna(subset=["analytic_account_id"])["name"]:
        burn = project_burn(data, str(name), DEMO_TODAY)
        assert burn.cost_to_date >= 0 and burn.projected_final_cost >= burn.cost_to_date
