"""Watchers that find a known finding again add nothing to the approval queue.

Each watcher runs a second time a day or a week later, against the real sandbox: its figures have moved
(a budget line's drift, a follow-up's deadline, an anomaly's risk), so the proposals it would make differ
from the stored ones -- the tests check that first, else they would prove nothing -- and still nothing
new is queued, because the finding (the line at its tier, the overdue invoice, the anomaly) is known.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ledgerpilot.config import Settings
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.tools.anomalies.scan import scan_anomalies
from ledgerpilot.tools.budget.watch import BudgetRequest, run_budget
from ledgerpilot.tools.cash.forecast import ForecastRequest, run_forecast
from tests.conftest import DEMO_TODAY


def _stored(home) -> list:
    with StateDB.in_home(home) as db:
        return ProposalStore(db).list()


def test_a_budget_line_found_again_a_day_and_a_week_later_queues_nothing(client, tmp_path):
    home = tmp_path / "home"
    first = run_budget(client, home, BudgetRequest(as_of=DEMO_TODAY - dt.timedelta(days=7), use_memory=False))
    assert first.new_proposals == len(first.proposals) > 0
    assert all(p.finding.startswith("budget:crossovered:") for p in first.proposals)
    for later in (DEMO_TODAY - dt.timedelta(days=6), DEMO_TODAY):
        request = BudgetRequest(as_of=later, use_memory=False)
        would = run_budget(client, home, request, store=False)
        same_tier = {p.finding for p in would.proposals} & {p.finding for p in first.proposals}
        assert same_tier, "the later run should find some line at the same tier again"
        moved = [p for p in would.proposals if p.finding in same_tier
                 and p.idempotency_key not in {q.idempotency_key for q in first.proposals}]
        assert moved, "the figures should have moved, or this test proves nothing"
        again = run_budget(client, home, request)
        new = [p for p in again.proposals if p.finding not in {q.finding for q in first.proposals}]
        assert again.new_proposals == len({p.finding for p in new})        # only lines at a new tier, if any
        for proposal in again.proposals:
            if proposal.finding in same_tier:
                assert proposal.id in {p.id for p in first.proposals}       # the stored one, not a second
    stored = _stored(home)
    assert len(stored) == len({p.finding for p in stored})                 # one proposal per line and tier


def test_an_overdue_invoice_followed_up_yesterday_is_not_followed_up_again(client, tmp_path):
    home = tmp_path / "home"
    request = ForecastRequest(as_of=DEMO_TODAY - dt.timedelta(days=1), threshold="100000000", weeks=6,
                              simulations=50)
    first = run_forecast(client, home, request, today=DEMO_TODAY)
    follow_ups = [p for p in first.proposals if p.finding.startswith("forecast:collect:")]
    assert follow_ups and first.new_proposals == len(first.proposals)
    later = run_forecast(client, home, ForecastRequest(as_of=DEMO_TODAY, threshold="100000000", weeks=6,
                                                       simulations=50), today=DEMO_TODAY)
    again = {p.finding: p for p in later.proposals}
    known = [p for p in follow_ups if p.finding in again]
    assert known, "the next day's forecast should follow up some of the same invoices"
    for proposal in known:
        # the stored one, due two days after the first run's as-of day: a new one would be due a day later
        assert again[proposal.finding].id == proposal.id
        assert str(again[proposal.finding].payload.args[0]["date_deadline"]) == str(DEMO_TODAY + dt.timedelta(days=1))
    assert later.new_proposals == len([f for f in again if f not in {p.finding for p in follow_ups}])
    assert len(_stored(home)) == len(first.proposals) + later.new_proposals


def test_bills_waiting_in_a_payment_proposal_are_not_proposed_for_payment_again(client, tmp_path):
    home = tmp_path / "home"
    first = run_forecast(client, home, ForecastRequest(as_of=DEMO_TODAY - dt.timedelta(days=3), surplus_level="1",
                                                       weeks=6, simulations=50), today=DEMO_TODAY)
    [payment] = [p for p in first.proposals if p.kind == "payment_proposal"]
    later = run_forecast(client, home, ForecastRequest(as_of=DEMO_TODAY, surplus_level="1", weeks=6, simulations=50),
                         today=DEMO_TODAY)
    payments = [p for p in later.proposals if p.kind == "payment_proposal"]
    assert [p.id for p in payments] == [payment.id]        # the waiting one, not a second covering the same bills
    assert later.new_proposals == 0
    assert [p.id for p in _stored(home) if p.kind == "payment_proposal"] == [payment.id]


@pytest.fixture()
def admin(fresh_sandbox, tmp_path):
    with connect(demo_connection(fresh_sandbox.url, "admin"), cache_dir=tmp_path / "cache") as client:
        yield client


def test_an_anomaly_found_again_the_next_day_queues_nothing_and_its_parts_are_one_finding(admin, tmp_path):
    home = tmp_path / "home"
    settings = Settings(home=home)
    first = scan_anomalies(admin, home, today=DEMO_TODAY, settings=settings, use_memory=False)
    assert first.new_proposals > 0
    by_finding: dict[str, list] = {}
    for proposal in first.proposals:
        by_finding.setdefault(proposal.finding, []).append(proposal)
    assert all(f.startswith("anomaly:") for f in by_finding)
    assert all({p.kind for p in parts} == {"note", "activity"} for parts in by_finding.values())
    assert len(by_finding) == len([item for item in first.items if item.proposal_ids])
    later = scan_anomalies(admin, home, today=DEMO_TODAY + dt.timedelta(days=1), settings=settings, use_memory=False)
    assert later.new_proposals == 0
    assert len(_stored(home)) == len(first.proposals)
