"""The close graph end to end: real sandbox over HTTP, real SQLite stores and LangGraph checkpointer.

It reviews a month, pauses for decisions, resumes in a new process (the restart), applies exactly
what was approved, and proposes the lock date only on books Odoo would let it lock.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledgerpilot.approvals.decide import approve, reject
from ledgerpilot.config import load_settings
from ledgerpilot.domain.month import Month
from ledgerpilot.graphs.close_runner import run_close
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.checkpoints import close_status
from ledgerpilot.memory.proposal_store import ProposalStore
from ledgerpilot.memory.state import StateDB
from ledgerpilot.odoo.connection import connect
from ledgerpilot.odoo.errors import OdooConnectionError
from ledgerpilot.sandbox.demo import demo_connection
from tests.channels.conftest import odoo_env_for, run_cli
from tests.conftest import DEMO_TODAY

AGENT = {"admin"}


def _settings(handle, home):
    return load_settings(home=home, odoo_url=handle.url, odoo_db=handle.db, odoo_user="admin", odoo_password="admin")


def _run(settings, month, **kwargs):
    return run_close(settings, month, connection=settings.odoo.connection(),
                     write_connection=settings.odoo.write_connection(), today=DEMO_TODAY, **kwargs)


def _cli(handle, home, *args):
    return run_cli(*args, env=odoo_env_for(handle, home))


def _decide_all(settings, handle, pending, *, approve_ids=(), post=False):
    with StateDB.in_home(settings.home) as db:
        store, audit = ProposalStore(db), AuditLog(db)
        controller = demo_connection(handle.url, "controller")
        for pid in pending:
            if pid in approve_ids:
                approve(store, audit, controller, pid, post=post, agent_logins=AGENT)
            else:
                reject(store, audit, controller, pid, note="not this month", agent_logins=AGENT)


def test_close_waits_for_decisions_resumes_in_a_new_process_and_applies_what_was_approved(fresh_sandbox, tmp_path):
    settings = _settings(fresh_sandbox, tmp_path / "home")
    month = Month(2026, 11)
    first = _run(settings, month)
    assert first.status == "waiting" and first.waiting_for == "proposals" and first.pending
    assert {f["check"] for f in first.state["findings"] if f["severity"] == "blocking"} >= {
        "draft_moves", "unreconciled_bank_lines"}
    with StateDB.in_home(settings.home) as db:
        kinds = {pid: ProposalStore(db).get(pid).kind for pid in first.pending}
    accrual = next(pid for pid, kind in kinds.items() if kind == "accrual")
    _decide_all(settings, fresh_sandbox, first.pending, approve_ids={accrual}, post=True)

    # the same month again from another process: the paused run resumes instead of starting over
    done = _cli(fresh_sandbox, tmp_path / "home", "close", "run", "--period", "2026-11", "--today",
                DEMO_TODAY.isoformat(), "--json")
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["status"] == "finished" and outcome["resumed"] and outcome["thread_id"] == first.thread_id
    assert [a["proposal_id"] for a in outcome["applied"]] == [accrual]
    applied = outcome["applied"][0]
    assert applied["state"] == "applied" and applied["record"]["model"] == "account.move"
    assert not outcome["lock"]["proposed"] and any("blocking" in r for r in outcome["lock"]["reasons"])

    with connect(demo_connection(fresh_sandbox.url, "admin")) as admin:
        [entry] = admin.read("account.move", [applied["record"]["id"]], ["state", "ref", "date"])
    assert entry["state"] == "posted" and entry["date"] == "2026-11-30" and "[lp:" in entry["ref"]
    report = outcome["report"]
    markdown = Path(report["markdown"]).read_text(encoding="utf-8")
    assert "## Applied" in markdown and "applied → account.move" in markdown
    assert "<!DOCTYPE html>" in Path(report["html"]).read_text(encoding="utf-8")

    [status] = close_status(settings, month)
    assert status.run.status == "finished" and status.pending == [] and status.report == report
    # a third run starts afresh and finds the decided proposals rather than proposing them again
    again = _run(settings, month)
    assert again.thread_id != first.thread_id
    assert accrual not in again.pending and not set(again.pending) & set(first.pending)


def _clean_october(handle) -> None:
    """What a controller would do in Odoo: delete the stray draft, the unknown bank line, the bad entry."""
    with connect(demo_connection(handle.url, "admin")) as admin:
        drafts = admin.execute("account.move", "search", [("state", "=", "draft"), ("date", "<=", "2026-10-31")])
        admin.execute("account.move", "unlink", drafts)
        lines = admin.execute("account.bank.statement.line", "search",
                              [("is_reconciled", "=", False), ("date", "<=", "2026-10-31")])
        moves = [r["move_id"][0] for r in admin.read("account.bank.statement.line", lines, ["move_id"])]
        admin.execute("account.move", "button_draft", moves)
        admin.execute("account.bank.statement.line", "unlink", lines)
        stray = admin.search_read("account.move.line", [("account_id.account_type", "in", ["asset_receivable",
                                                                                          "liability_payable"]),
                                                        ("partner_id", "=", False), ("date", "<=", "2026-10-31"),
                                                        ("parent_state", "=", "posted")], ["move_id"])
        entries = sorted({r["move_id"][0] for r in stray})
        admin.execute("account.move", "button_draft", entries)
        admin.execute("account.move", "unlink", entries)


def test_the_lock_date_is_proposed_only_when_odoo_would_accept_it_and_then_applied(fresh_sandbox, tmp_path):
    settings = _settings(fresh_sandbox, tmp_path / "home")
    october = Month(2026, 10)
    outcome = _run(settings, october)
    if outcome.status == "waiting":
        _decide_all(settings, fresh_sandbox, outcome.pending)
        outcome = _run(settings, october)
    assert outcome.status == "finished"
    lock = outcome.state["lock"]
    assert not lock["proposed"] and lock["proposal_id"] is None
    assert any("unreconciled bank statement line" in reason for reason in lock["reasons"])

    _clean_october(fresh_sandbox)
    outcome = _run(settings, october)
    while outcome.status == "waiting" and outcome.waiting_for == "proposals":
        _decide_all(settings, fresh_sandbox, outcome.pending)
        outcome = _run(settings, october)
    assert outcome.status == "waiting" and outcome.waiting_for == "lock_date", outcome.state.get("lock")
    [lock_id] = outcome.pending
    _decide_all(settings, fresh_sandbox, [lock_id], approve_ids={lock_id})
    finished = _run(settings, october)
    assert finished.status == "finished" and finished.state["lock"]["state"] == "applied"
    with connect(demo_connection(fresh_sandbox.url, "admin")) as admin:
        [company] = admin.search_read("res.company", [], ["fiscalyear_lock_date"], limit=1)
    assert company["fiscalyear_lock_date"] == "2026-10-31"


def test_a_run_stopped_by_an_odoo_outage_resumes_at_the_step_that_failed(fresh_sandbox, tmp_path):
    settings = _settings(fresh_sandbox, tmp_path / "home")
    month = Month(2026, 11)
    first = _run(settings, month)
    assert first.status == "waiting"
    _decide_all(settings, fresh_sandbox, first.pending)
    fresh_sandbox.faults.error_rate = 1.0
    try:
        with pytest.raises(OdooConnectionError):
            _run(settings, month)
    finally:
        fresh_sandbox.faults.error_rate = 0.0
    [status] = close_status(settings, month)
    assert status.run.status == "failed"
    resumed = _run(settings, month)
    assert resumed.status == "finished" and resumed.resumed and resumed.thread_id == first.thread_id


@pytest.mark.slow
def test_the_close_finishes_what_it_starts_its_own_draft_is_its_own_step(fresh_sandbox, tmp_path):
    """What happened on a real Odoo 17: an accrual approved as a draft came back in the next close run as a
    blocking "draft entry dated in the period". Now it is the close's own pending step; accruals and reversals
    approved without a choice are posted; each entry written says in Odoo's chatter who approved it."""
    settings = _settings(fresh_sandbox, tmp_path / "home")
    month = Month(2026, 11)
    first = _run(settings, month)
    with StateDB.in_home(settings.home) as db:
        store, audit = ProposalStore(db), AuditLog(db)
        kinds = {pid: store.get(pid).kind for pid in first.pending}
        accruals = [pid for pid, kind in kinds.items() if kind == "accrual"]
        assert len(accruals) >= 2, kinds
        kept_draft, by_default = accruals[:2]
        reversal = next(pid for pid, kind in kinds.items() if kind == "reversal"
                        and store.get(pid).evidence.figures.get("reverses_proposal_id") == by_default)
        controller = demo_connection(fresh_sandbox.url, "controller")
        approve(store, audit, controller, kept_draft, post=False, agent_logins=AGENT)     # the approver's choice
        for pid in (by_default, reversal):
            assert approve(store, audit, controller, pid, agent_logins=AGENT).post is True
        for pid in set(first.pending) - {kept_draft, by_default, reversal}:
            reject(store, audit, controller, pid, note="not this month", agent_logins=AGENT)
    finished = _run(settings, month)
    assert finished.status == "finished"
    written = {a["proposal_id"]: a["record"]["id"] for a in finished.state["applied"]}
    assert set(written) == {kept_draft, by_default, reversal}

    with connect(demo_connection(fresh_sandbox.url, "admin")) as admin:
        states = {pid: admin.read("account.move", [move], ["state"])[0]["state"] for pid, move in written.items()}
        notes = {pid: admin.search_read("mail.message", [("model", "=", "account.move"), ("res_id", "=", move),
                                                         ("body", "ilike", "Approved in ledgerpilot")], ["body"])
                 for pid, move in written.items()}
    assert states == {kept_draft: "draft", by_default: "posted", reversal: "posted"}
    for pid, found in notes.items():
        [note] = found
        assert "Approved in ledgerpilot by controller" in note["body"] and pid in note["body"]
    assert "as a draft" in notes[kept_draft][0]["body"] and "to be posted" in notes[by_default][0]["body"]

    again = _run(settings, month, new=True)                      # the next close run of the month
    findings = again.state["findings"]
    strangers = [f for f in findings if f["check"] == "draft_moves"]
    assert all(written[kept_draft] != r["id"] for f in strangers for r in f["records"])
    [own] = [f for f in findings if f["check"] == "own_entries"]
    assert [r["id"] for r in own["records"]] == [written[kept_draft]]
    assert "controller approved it as a draft" in own["reason"] and kept_draft[:12] in own["reason"]
    [item] = [i for i in again.state["checklist"] if i["check"] == "own_entries"]
    assert item["status"] == "pending"
    if again.status == "finished":
        assert any("the close wrote for approved proposals is still a draft" in r
                   for r in again.state["lock"]["reasons"])

    checked = _cli(fresh_sandbox, tmp_path / "home", "close", "checks", "--period", "2026-11", "--today",
                   DEMO_TODAY.isoformat(), "--json")
    assert checked.returncode == 0, checked.stderr
    on_the_command_line = json.loads(checked.stdout)
    assert [f["records"][0]["id"] for f in on_the_command_line["findings"] if f["check"] == "own_entries"] == [
        written[kept_draft]]
