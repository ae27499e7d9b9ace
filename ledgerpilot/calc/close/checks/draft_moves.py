"""Draft entries dated in the period: they are not in the books yet, and a lock would strand them.

Drafts ledgerpilot itself wrote for an approved proposal are not counted here: they are the close's own
unfinished step (``check_own_entries``), not someone else's draft to chase.
"""

from __future__ import annotations

from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.calc.close.frames import CloseData
from ledgerpilot.calc.close.helpers import fmt, money_sum
from ledgerpilot.calc.close.own_entries import own_mask
from ledgerpilot.domain.findings import Finding
from ledgerpilot.domain.proposal import RecordRef

NAME = "draft_moves"
TITLE = "No draft entries dated in the period"
SEVERITY = "blocking"
NEEDS: tuple[str, ...] = ()


def run(data: CloseData, config: CloseConfig) -> list[Finding]:
    drafts = data.draft_moves[~own_mask(data.draft_moves, data.own_entries)].sort_values(["date", "id"])
    if not len(drafts):
        return []
    period = data.month.label
    total = money_sum(drafts["amount_total"].abs(), data.digits)
    by_journal = drafts.groupby("journal_name", dropna=False).size()
    journals = ", ".join(f"{count} in {name}" for name, count in by_journal.items())
    return [Finding(
        check=NAME, severity=SEVERITY, period=period,
        title=f"{len(drafts)} draft entr{'y' if len(drafts) == 1 else 'ies'} dated in {period}",
        reason=(f"Draft entries are not part of the books: {journals}, {fmt(total, data.currency)} in total. "
                "Post them if they are right or delete them, before the period is locked (a lock date would "
                "keep them from ever being posted in the period)."),
        records=tuple(RecordRef(model="account.move", id=int(r.id), name=str(r.name) if r.name is not None else "")
                      for r in drafts.itertuples()),
        amount=total,
        figures={"draft_count": len(drafts), "total": total,
                 "by_journal": {str(k): int(v) for k, v in by_journal.items()}})]


def passed_detail(data: CloseData, config: CloseConfig, findings: list[Finding]) -> str:
    own = int(own_mask(data.draft_moves, data.own_entries).sum())
    besides = f" (besides {own} written by ledgerpilot for approved proposals: see the next step)" if own else ""
    return f"No entry in the state draft is dated in {data.month.label}{besides}."
