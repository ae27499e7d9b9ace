"""What the approval page shows of a proposal: list rows and the evidence of one proposal.

Pure functions over stored proposals (no web framework here), so the page's content can be
tested and reused (the digest lists pending proposals the same way).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerpilot.domain.proposal import Proposal, to_jsonable
from ledgerpilot.odoo.approvals import ENTRY_KINDS, default_post
from ledgerpilot.odoo.links import record_url

KIND_LABELS = {
    "adjusting_entry": "Adjusting entry", "accrual": "Accrual", "reversal": "Reversal", "lock_date": "Lock date",
    "budget_transfer": "Budget transfer", "payment_proposal": "Payment proposal", "po_hold": "Purchase order hold",
    "activity": "Activity", "note": "Note",
}
#: evidence figures that state the proposal's amount, in the order they are looked for
AMOUNT_FIGURES = ("amount", "total", "accrual_amount", "amount_total", "amount_residual", "difference")


@dataclass(frozen=True)
class ProposalRow:
    id: str
    short_id: str
    kind: str
    kind_label: str
    title: str
    created_at: str
    created_by: str
    amount: str | None


@dataclass(frozen=True)
class RecordLink:
    model: str
    id: int
    name: str
    url: str


@dataclass(frozen=True)
class ProposalDetail:
    row: ProposalRow
    summary: str
    state: str
    required_group: str
    figures: tuple[tuple[str, str], ...]
    records: tuple[RecordLink, ...]
    call: str                     # the exact Odoo call, as JSON
    can_post: bool                # an entry: the approver may have it posted
    decision: Mapping[str, Any] | None
    application: Mapping[str, Any] | None
    requested_by: tuple[str, ...] = ()   # who asked for it: none of them may approve it
    post_by_default: bool = False        # the post box starts ticked (the close's accruals and reversals)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def _amount(figures: Mapping[str, Any]) -> str | None:
    for key in AMOUNT_FIGURES:
        if key in figures and figures[key] not in (None, ""):
            return _figure_text(figures[key])
    return None


def _figure_text(value: Any) -> str:
    value = to_jsonable(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        return f"{number:,}" if number == number.to_integral_value() and "." not in value else f"{number:,.2f}"
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def row_of(proposal: Proposal) -> ProposalRow:
    return ProposalRow(id=proposal.id, short_id=proposal.id[:12], kind=proposal.kind, kind_label=kind_label(proposal.kind),
                       title=proposal.title, created_at=proposal.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                       created_by=proposal.created_by, amount=_amount(proposal.evidence.figures))


def rows_of(proposals: Sequence[Proposal]) -> list[ProposalRow]:
    return [row_of(p) for p in proposals]


def detail_of(proposal: Proposal, *, odoo_url: str, decision: Mapping[str, Any] | None = None,
              application: Mapping[str, Any] | None = None, requested_by: Sequence[str] = ()) -> ProposalDetail:
    figures = tuple((str(key).replace("_", " "), _figure_text(value))
                    for key, value in proposal.evidence.figures.items())
    records = tuple(RecordLink(model=r.model, id=r.id, name=r.name or f"{r.model} {r.id}",
                               url=record_url(odoo_url, r.model, r.id)) for r in proposal.evidence.records)
    call = json.dumps(proposal.payload.model_dump(mode="json"), indent=2, ensure_ascii=False, sort_keys=True)
    return ProposalDetail(row=row_of(proposal), summary=proposal.summary, state=proposal.state,
                          required_group=proposal.required_group, figures=figures, records=records, call=call,
                          can_post=proposal.kind in ENTRY_KINDS, post_by_default=default_post(proposal.kind),
                          decision=decision, application=application,
                          requested_by=tuple(dict.fromkeys([*([proposal.requested_by] if proposal.requested_by else []),
                                                            *requested_by])))
