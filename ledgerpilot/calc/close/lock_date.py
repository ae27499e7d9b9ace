"""The last step of the close: propose the lock date, or say why not.

Odoo 17 refuses a fiscal-year lock date while draft entries or unreconciled bank statement lines lie
on or before it (RedirectWarning), and a lock date never moves backwards in practice. So the lock
date is proposed only when

- no blocking finding of the close checks is left for the month, and no entry the close itself wrote is
  still a draft (its own step, said apart from the others), and
- no draft entry and no unreconciled bank line is dated on or before the month's last day, in any
  earlier month either (the checks look at one month; Odoo looks at everything before the date), and
- no proposal for the month (an accrual, an adjustment) still waits for a decision, and
- the company's current lock date is before the month's end.

Otherwise the decision says, in words, what stands in the way. Pure: the facts come in a
:class:`LockGuard`, read from Odoo by :func:`ledgerpilot.tools.close.lock_guard.load_lock_guard`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ledgerpilot.domain.findings import Finding
from ledgerpilot.domain.month import Month
from ledgerpilot.domain.proposal import Evidence, OdooCall, Proposal, RecordRef

LOCK_GROUP = "account.group_account_manager"
CREATED_BY = "ledgerpilot"
#: the check whose findings are the close's own drafts (``check_own_entries``)
OWN_ENTRIES_CHECK = "own_entries"


@dataclass(frozen=True)
class LockGuard:
    """What Odoo would check before accepting a lock date at the end of ``month``."""

    company_id: int
    company_name: str
    fiscalyear_lock_date: dt.date | None
    draft_move_ids: tuple[int, ...] = ()           # draft entries dated on or before the month's end
    unreconciled_line_ids: tuple[int, ...] = ()    # bank statement lines not reconciled, same dates


@dataclass(frozen=True)
class LockDecision:
    month: str
    lock_date: dt.date
    proposal: Proposal | None
    reasons: tuple[str, ...] = field(default_factory=tuple)  # why not, when there is no proposal

    @property
    def proposed(self) -> bool:
        return self.proposal is not None


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def decide_lock_date(month: Month, guard: LockGuard, blocking: list[Finding], *, run_id: str,
                     undecided: int = 0) -> LockDecision:
    """A lock-date proposal for the end of ``month`` when nothing stands in the way, else the reasons.

    ``undecided``: proposals for the month (accruals, adjustments) still waiting for a decision; the
    books are not final while they wait, so they stand in the way too.
    """
    lock = month.end
    reasons: list[str] = []
    if guard.fiscalyear_lock_date is not None and guard.fiscalyear_lock_date >= lock:
        reasons.append(f"{guard.company_name} is already locked up to {guard.fiscalyear_lock_date}")
    own_steps = [f for f in blocking if f.check == OWN_ENTRIES_CHECK]
    others = [f for f in blocking if f.check != OWN_ENTRIES_CHECK]
    if others:
        names = ", ".join(sorted({f.check for f in others}))
        reasons.append(f"{_plural(len(others), 'blocking finding', 'blocking findings')} left ({names})")
    if own_steps:
        reasons.append(f"{_plural(len(own_steps), 'entry', 'entries')} the close wrote for approved proposals "
                       f"{'is' if len(own_steps) == 1 else 'are'} still a draft: post "
                       f"{'it' if len(own_steps) == 1 else 'them'} in Odoo to finish the close")
    own_ids = {ref.id for f in own_steps for ref in f.records if ref.model == "account.move"}
    stranger_drafts = [i for i in guard.draft_move_ids if i not in own_ids]
    if undecided:
        reasons.append(f"{_plural(undecided, 'proposal', 'proposals')} for {month.label} still "
                       f"wait{'s' if undecided == 1 else ''} for a decision")
    if stranger_drafts:
        reasons.append(f"{_plural(len(stranger_drafts), 'draft entry', 'draft entries')} dated on or before "
                       f"{lock}: Odoo refuses the lock until they are posted or deleted")
    if guard.unreconciled_line_ids:
        count = _plural(len(guard.unreconciled_line_ids), "unreconciled bank statement line",
                        "unreconciled bank statement lines")
        reasons.append(f"{count} dated on or before {lock}: Odoo refuses the lock until they are reconciled or "
                       "deleted")
    if reasons:
        return LockDecision(month.label, lock, None, tuple(reasons))
    previous = guard.fiscalyear_lock_date.isoformat() if guard.fiscalyear_lock_date else "none"
    proposal = Proposal(
        kind="lock_date",
        title=f"Lock {guard.company_name}'s books up to {lock}",
        summary=(f"Every close check for {month.label} passed and nothing on or before {lock} is left in draft or "
                 f"unreconciled; set the fiscal-year lock date to {lock} (now: {previous}) so no entry on or before "
                 "it can be added or changed."),
        payload=OdooCall(model="res.company", method="write",
                         args=([guard.company_id], {"fiscalyear_lock_date": lock.isoformat()})),
        evidence=Evidence(records=(RecordRef(model="res.company", id=guard.company_id, name=guard.company_name),),
                          figures={"month": month.label, "lock_date": lock, "previous_lock_date": previous}),
        run_id=run_id, created_by=CREATED_BY, required_group=LOCK_GROUP)
    return LockDecision(month.label, lock, proposal, ())
