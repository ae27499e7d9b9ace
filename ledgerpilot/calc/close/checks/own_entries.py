"""The close's own entries are posted: the accruals, reversals and adjustments ledgerpilot wrote as drafts.

An entry approved in ledgerpilot and written as a draft (the approver chose not to post it, or someone reset
it to draft in Odoo afterwards) is not in the period's figures, and Odoo refuses a lock date while it is a
draft. It is not a stranger's draft to chase: it is a step of the close still to finish, so it is reported
here -- with who approved it and the proposal -- and its checklist item is *pending*, not *failed*.
"""

from __future__ import annotations

from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.calc.close.frames import CloseData
from ledgerpilot.calc.close.helpers import fmt, money_sum
from ledgerpilot.calc.close.own_entries import own_mask
from ledgerpilot.domain.findings import Finding
from ledgerpilot.domain.proposal import RecordRef

NAME = "own_entries"
TITLE = "Entries approved in ledgerpilot are posted"
SEVERITY = "blocking"
NEEDS: tuple[str, ...] = ()
#: its findings are the close's own unfinished steps: the checklist item is pending, not failed
STEP = True

KIND_WORDS = {"accrual": "accrual", "reversal": "reversal", "adjusting_entry": "adjusting entry"}


def run(data: CloseData, config: CloseConfig) -> list[Finding]:
    drafts = data.draft_moves[own_mask(data.draft_moves, data.own_entries)].sort_values(["date", "id"])
    findings = []
    for row in drafts.itertuples():
        own = data.own_entries[int(row.id)]
        what = KIND_WORDS.get(own.kind, own.kind.replace("_", " "))
        amount = money_sum(drafts.loc[drafts["id"] == row.id, "amount_total"].abs(), data.digits)
        name = str(row.name) if row.name is not None and str(row.name) not in ("", "/") else f"entry {int(row.id)}"
        day = row.date.date().isoformat() if hasattr(row.date, "date") else str(row.date)
        if own.post_chosen:
            why = (f"{own.approved_by} approved it to be posted, and ledgerpilot posted it; it is a draft again in "
                   "Odoo (reset to draft after it was written). Post it again in Odoo once it is right")
        else:
            why = (f"{own.approved_by} approved it as a draft (not to be posted), and ledgerpilot wrote it so. Post "
                   "it in Odoo once it is final")
        findings.append(Finding(
            check=NAME, severity=SEVERITY, period=data.month.label,
            title=f"Post the {what} '{own.title}' ({name}, {day}): still a draft",
            reason=(f"The close's own step: {why}. Until it is posted its {fmt(amount, data.currency)} are not in the "
                    f"books of {data.month.label}, and Odoo refuses a lock date over it. Proposal "
                    f"{own.proposal_id[:12]}, approved {own.approved_at[:16].replace('T', ' ')}."),
            records=(RecordRef(model="account.move", id=int(row.id), name="" if name.startswith("entry ") else name),),
            amount=amount,
            figures={"proposal_id": own.proposal_id, "kind": own.kind, "approved_by": own.approved_by,
                     "post_chosen": own.post_chosen, "amount": amount, "date": day}))
    return findings


def passed_detail(data: CloseData, config: CloseConfig, findings: list[Finding]) -> str:
    written = len(data.own_entries)
    if not written:
        return "No entry written by ledgerpilot for an approved proposal is a draft."
    return (f"Every entry ledgerpilot wrote for an approved proposal and dated in {data.month.label} is posted "
            "(or not a draft any more).")
