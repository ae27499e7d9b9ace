"""The entries ledgerpilot wrote for approved proposals, read from the state store for the close checks.

For each applied accrual, reversal or adjusting entry: the Odoo ids of the moves it wrote, the marker each
carries in its ``ref``, the proposal, who approved it and whether they asked for it to be posted
(:class:`~ledgerpilot.calc.close.own_entries.OwnEntry`). The close checks hold them against the drafts they
find in Odoo (``check_own_entries``).
"""

from __future__ import annotations

from pathlib import Path

from ledgerpilot.approvals.decide import ENTRY_KINDS
from ledgerpilot.approvals.writers.common import marker
from ledgerpilot.calc.close.own_entries import OwnEntry
from ledgerpilot.memory.proposal_store import ProposalStore
from ledgerpilot.memory.state import STATE_FILE, StateDB


def approved_entries(store: ProposalStore) -> dict[int, OwnEntry]:
    """move id -> what ledgerpilot wrote it for, for every entry of an applied entry proposal."""
    out: dict[int, OwnEntry] = {}
    for proposal in store.list(state="applied"):
        if proposal.kind not in ENTRY_KINDS:
            continue
        application = store.application(proposal.id)
        decision = store.decision(proposal.id)
        if application is None or decision is None:
            continue
        moves = [ref for ref in application.records if ref.model == "account.move"]
        for index, ref in enumerate(moves, start=1):
            out[int(ref.id)] = OwnEntry(
                move_id=int(ref.id), marker=marker(proposal, index if len(moves) > 1 else None),
                proposal_id=proposal.id, kind=proposal.kind, title=proposal.title, approved_by=decision.login,
                approved_at=decision.decided_at.isoformat(), post_chosen=decision.post)
    return out


def approved_entries_in_home(home: Path) -> dict[int, OwnEntry]:
    """:func:`approved_entries` of the state database in ``home``; nothing when there is none (nothing is
    created just to look)."""
    if not (Path(home) / STATE_FILE).exists():
        return {}
    db = StateDB.in_home(home)
    try:
        return approved_entries(ProposalStore(db))
    finally:
        db.close()
