"""The lock-date step: proposed only when Odoo would accept it and nothing is left to decide."""

import datetime as dt

from ledgerpilot.calc.close.lock_date import LockGuard, decide_lock_date
from ledgerpilot.domain.findings import Finding
from ledgerpilot.domain.month import Month

OCTOBER = Month(2026, 10)
CLEAN = LockGuard(company_id=1, company_name="Demo Co", fiscalyear_lock_date=dt.date(2026, 9, 30))


def _blocking(check: str = "draft_moves") -> Finding:
    return Finding(check=check, severity="blocking", title="2 draft entries", reason="post them")


def test_clean_books_get_a_lock_date_proposal_at_the_month_end():
    decision = decide_lock_date(OCTOBER, CLEAN, [], run_id="r1")
    assert decision.proposed and decision.reasons == ()
    proposal = decision.proposal
    assert proposal.kind == "lock_date" and proposal.required_group == "account.group_account_manager"
    assert proposal.payload.model == "res.company" and proposal.payload.method == "write"
    assert proposal.payload.args == ([1], {"fiscalyear_lock_date": "2026-10-31"})
    assert proposal.evidence.figures["previous_lock_date"] == "2026-09-30"


def test_a_blocking_finding_stops_the_lock():
    decision = decide_lock_date(OCTOBER, CLEAN, [_blocking(), _blocking("suspense_balance")], run_id="r1")
    assert decision.proposal is None
    assert decision.reasons == ("2 blocking findings left (draft_moves, suspense_balance)",)


def test_what_odoo_would_refuse_stops_the_lock_even_in_earlier_months():
    guard = LockGuard(1, "Demo Co", None, draft_move_ids=(7,), unreconciled_line_ids=(3, 4))
    decision = decide_lock_date(OCTOBER, guard, [], run_id="r1")
    assert decision.proposal is None
    assert decision.reasons == (
        "1 draft entry dated on or before 2026-10-31: Odoo refuses the lock until they are posted or deleted",
        "2 unreconciled bank statement lines dated on or before 2026-10-31: Odoo refuses the lock until they are "
        "reconciled or deleted")


def test_undecided_proposals_and_an_existing_later_lock_stop_it():
    guard = LockGuard(1, "Demo Co", dt.date(2026, 10, 31))
    decision = decide_lock_date(OCTOBER, guard, [], run_id="r1", undecided=3)
    assert decision.proposal is None
    assert decision.reasons == ("Demo Co is already locked up to 2026-10-31",
                                "3 proposals for 2026-10 still wait for a decision")


def test_the_same_lock_proposed_twice_has_the_same_idempotency_key():
    first = decide_lock_date(OCTOBER, CLEAN, [], run_id="r1").proposal
    second = decide_lock_date(OCTOBER, CLEAN, [], run_id="r2").proposal
    assert first.idempotency_key == second.idempotency_key and first.id != second.id


def test_the_closes_own_drafts_are_named_as_its_own_step_not_as_strangers():
    from ledgerpilot.domain.proposal import RecordRef

    own = Finding(check="own_entries", severity="blocking", title="Post the accrual", reason="approved as a draft",
                  records=(RecordRef(model="account.move", id=601),))
    guard = LockGuard(1, "Demo Co", None, draft_move_ids=(601, 702))
    decision = decide_lock_date(OCTOBER, guard, [own, _blocking()], run_id="r1")
    assert decision.proposal is None
    assert decision.reasons == (
        "1 blocking finding left (draft_moves)",
        "1 entry the close wrote for approved proposals is still a draft: post it in Odoo to finish the close",
        "1 draft entry dated on or before 2026-10-31: Odoo refuses the lock until they are posted or deleted")
