"""The agent's close, anomaly and review-queue tools on the demo sandbox: the figures of the capabilities behind
them, the stored close run, the proposal queue newest first, errors in words, grounded offline answers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerpilot.agent.answer_templates import render_answer
from ledgerpilot.agent.grounding import check_numbers
from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.config import Settings
from ledgerpilot.domain.month import Month
from ledgerpilot.domain.proposal import Evidence, OdooCall, Proposal, RecordRef
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.memory.checkpoints import open_checkpoints
from ledgerpilot.tools.agent.toolkit import ToolContext, run_tool
from ledgerpilot.tools.anomalies.scan import scan_anomalies
from ledgerpilot.tools.close.review import check_month
from tests.conftest import DEMO_TODAY


def _ctx(client, home) -> ToolContext:
    return ToolContext(client=client, settings=Settings(home=home), today=DEMO_TODAY, run_id="chat-close")


@pytest.fixture(scope="module")
def ctx(client, tmp_path_factory):
    return _ctx(client, tmp_path_factory.mktemp("agent-close-home"))


def _grounded(result) -> str:
    text = render_answer(result)
    report = check_numbers(text, [result])
    assert report.ok, (text, report.failures)
    return text


# ------------------------------------------------------------------------------------------------- close


def test_close_status_has_the_checklist_of_the_month(ctx, client):
    month = Month(2026, 10)
    checklist = check_month(client, month, today=DEMO_TODAY, config=CloseConfig.from_settings(ctx.settings))
    result = run_tool(ctx, "close_status", {"month": "2026-10"})
    assert result.ok, result.error
    data = result.data
    assert data["month"] == "2026-10" and data["ready_to_lock"] is checklist.ready_to_lock
    assert data["failed_count"] == sum(1 for item in checklist.items if item.status == "failed")
    assert data["check_count"] == len(checklist.items)
    assert data["blocking_count"] == len(checklist.blocking) > 0
    assert [f["title"] for f in data["findings"]] == [f.title for f in checklist.findings[:len(data["findings"])]]
    amounts = [f["amount"] for f in data["findings"]]
    assert amounts == [None if f.amount is None else str(f.amount) for f in checklist.findings[:len(amounts)]]
    assert data["close_run"] is None and data["currency"] == "EUR"
    first_record = checklist.findings[0].records[0]
    cited = {(c.model, c.id): c for c in result.citations}
    assert (first_record.model, first_record.id) in cited
    assert all(c.name and c.name != "/" for c in result.citations)
    text = _grounded(result)
    assert "not ready to lock" in text and checklist.findings[0].title in text


def test_close_status_defaults_to_the_current_month_and_refuses_bad_months(ctx):
    current = run_tool(ctx, "close_status", {})
    assert current.ok and current.data["month"] == "2026-11"
    bad = run_tool(ctx, "close_status", {"month": "October"})
    assert not bad.ok and "YYYY-MM" in bad.error
    future = run_tool(ctx, "close_status", {"month": "2027-02"})
    assert not future.ok and "has not started yet" in future.error


def test_close_status_reports_the_stored_close_run(client, tmp_path):
    home = tmp_path / "home"
    with open_checkpoints(home) as (_saver, runs):
        row = runs.start("2026-10", "thread-october")
        runs.set_status(row.thread_id, "waiting", "2 proposal(s) wait for a decision (proposals)")
    result = run_tool(_ctx(client, home), "close_status", {"month": "2026-10"})
    assert result.ok, result.error
    assert result.data["close_run"]["status"] == "waiting"
    assert "close run of 2026-10 is waiting" in render_answer(result)
    other = run_tool(_ctx(client, home), "close_status", {"month": "2026-09"})
    assert other.ok and other.data["close_run"] is None


# --------------------------------------------------------------------------------------------- anomalies


@pytest.fixture(scope="module")
def direct_scan(client, tmp_path_factory):
    home = tmp_path_factory.mktemp("direct-scan-home")
    return scan_anomalies(client, home, today=DEMO_TODAY, settings=Settings(home=home))


def test_anomalies_are_the_riskiest_of_the_scan(ctx, direct_scan):
    result = run_tool(ctx, "anomalies", {"limit": 5})
    assert result.ok, result.error
    data = result.data
    alerted = [item for item in direct_scan.items if item.status in ("alert", "investigating")]
    assert data["alert_count"] == len(alerted) > 0 and data["found_count"] == len(direct_scan.items)
    assert [a["id"] for a in data["anomalies"]] == [item.key for item in alerted[:5]]
    assert [a["risk"] for a in data["anomalies"]] == [round(item.shown_risk, 4) for item in alerted[:5]]
    top = alerted[0].anomaly
    assert data["anomalies"][0]["amount"] == (None if top.amount is None else str(top.amount))
    assert (top.primary.model, top.primary.id) in {(c.model, c.id) for c in result.citations}
    assert top.title in _grounded(result)


@pytest.mark.slow
def test_asking_about_anomalies_proposes_nothing(client, tmp_path):
    """A question reads: the findings are kept for their ids, no alert is proposed, and the next scan (the
    scheduled one, or `ledgerpilot anomalies scan --since last`) still proposes for what the question saw."""
    from ledgerpilot.memory import ProposalStore, StateDB
    from ledgerpilot.tools.anomalies.scan import scan_anomalies

    home = tmp_path / "home"
    ctx = _ctx(client, home)
    result = run_tool(ctx, "anomalies", {"limit": 3})
    assert result.ok and result.data["anomalies"]
    assert all(a["proposal_count"] == 0 for a in result.data["anomalies"])
    with StateDB.in_home(home) as db:
        assert ProposalStore(db).list() == []
    scan = scan_anomalies(client, home, today=DEMO_TODAY, since="last", settings=ctx.settings, use_memory=False)
    assert scan.new_proposals > 0


def test_anomalies_filter_by_detector_and_score(ctx, direct_scan):
    detector = direct_scan.alerts[0].anomaly.detector
    result = run_tool(ctx, "anomalies", {"detector": detector.replace("_", " "), "limit": 50})
    assert result.ok and result.data["anomalies"]
    assert {a["detector"] for a in result.data["anomalies"]} == {detector}
    high = run_tool(ctx, "anomalies", {"min_score": 0.9, "limit": 50})
    assert high.ok and all(a["risk"] >= 0.9 for a in high.data["anomalies"])
    low = run_tool(ctx, "anomalies", {"min_score": 0.01, "limit": 50})
    assert low.data["matching_count"] >= high.data["matching_count"]
    unknown = run_tool(ctx, "anomalies", {"detector": "astrology"})
    assert not unknown.ok and "duplicate_bills" in unknown.error
    out_of_range = run_tool(ctx, "anomalies", {"min_score": 3})
    assert not out_of_range.ok and "min_score" in out_of_range.error


# ----------------------------------------------------------------------------------------------- proposals


def _proposal(kind: str, title: str, created: dt.datetime, call: OdooCall, figures: dict | None = None) -> Proposal:
    return Proposal(kind=kind, title=title, summary=f"{title}: why", payload=call, run_id="seed",
                    created_by="ledgerpilot:test", created_at=created,
                    evidence=Evidence(records=(RecordRef(model="account.move", id=7, name="INV/2026/00007"),),
                                      figures=figures or {}))


def _entry_call(amount: str) -> OdooCall:
    values = {"move_type": "entry", "journal_id": 3, "date": "2026-10-31", "ref": "seed",
              "line_ids": [(0, 0, {"account_id": 27, "name": "x", "debit": Decimal(amount), "credit": Decimal(0)}),
                           (0, 0, {"account_id": 17, "name": "x", "debit": Decimal(0), "credit": Decimal(amount)})]}
    return OdooCall(model="account.move", method="create", args=([values],))


def test_pending_proposals_newest_first_with_kind_filter_and_amounts(client, tmp_path):
    home = tmp_path / "home"
    start = dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC)
    with StateDB.in_home(home) as db:
        store = ProposalStore(db)
        old = store.add(_proposal("accrual", "Accrue rent", start, _entry_call("1500.00"))).proposal
        note = store.add(_proposal("note", "Note on a bill", start + dt.timedelta(hours=1),
                                   OdooCall(model="account.move", method="message_post", args=([7],),
                                            kwargs={"body": "<p>x</p>"}), {"amount": Decimal("99.50")})).proposal
        done = store.add(_proposal("accrual", "Accrue power", start + dt.timedelta(hours=2), _entry_call("10.00")))
        store.set_state(done.proposal.id, "rejected")
    ctx = _ctx(client, home)
    result = run_tool(ctx, "pending_proposals", {})
    assert result.ok, result.error
    rows = result.data["proposals"]
    assert [r["id"] for r in rows] == [note.id[:12], old.id[:12]] and result.data["pending_count"] == 2
    assert rows[1]["amount"] == "1500.00" and rows[0]["amount"] == "99.50"
    assert rows[0]["kind"] == "note" and rows[0]["created_at"].startswith("2026-11-18T10:00")
    assert result.citations[0].model == "account.move" and result.citations[0].name == "INV/2026/00007"
    accruals = run_tool(ctx, "pending_proposals", {"kind": "accrual", "limit": 5})
    assert [r["id"] for r in accruals.data["proposals"]] == [old.id[:12]]
    text = _grounded(result)
    assert "2 proposal(s) wait" in text and old.id[:12] in text
    unknown = run_tool(ctx, "pending_proposals", {"kind": "bribe"})
    assert not unknown.ok and "adjusting_entry" in unknown.error
    empty = run_tool(ctx, "pending_proposals", {"kind": "lock_date"})
    assert empty.ok and empty.data["proposals"] == [] and "0 proposals of kind lock date" in render_answer(empty)
