"""Adjusting-entry proposals of a month-end close (pure: :class:`AccrualData` in, proposals out).

Three rules, each in its own module, give draft entries:

- goods received not billed (:mod:`accrual_grni`), kind ``accrual``;
- recurring vendors with no bill this month (:mod:`accrual_recurring`), kind ``accrual``;
- prepaid-expense amortisation (:mod:`accrual_prepaid`), kind ``adjusting_entry``.

Every accrual is followed by its ``reversal`` dated the first day of the next month. Entries are
dated the month end in the miscellaneous journal, balanced to the cent (checked when built) and
carry the calculation in words. An entry whose reference already exists in Odoo (a previous run
that was approved and applied) is not proposed again; nor is a reversal that already exists.
"""

from __future__ import annotations

from collections.abc import Iterable

from ledgerpilot.calc.close.accruals.entries import (
    DraftEntry,
    reversal_proposal,
    reversal_ref,
    to_proposal,
)
from ledgerpilot.calc.close.accruals.frames import AccrualData, AccrualRules
from ledgerpilot.calc.close.accruals.grni import grni_entries
from ledgerpilot.calc.close.accruals.prepaid import prepaid_entries
from ledgerpilot.calc.close.accruals.recurring import recurring_entries
from ledgerpilot.domain.month import Month
from ledgerpilot.domain.proposal import Proposal

__all__ = ["AccrualData", "AccrualProposals", "AccrualRules", "propose_accruals"]


class AccrualProposals(list[Proposal]):
    """The proposals (each accrual followed by its reversal, amortisations last) as a plain list, with
    ``skipped``: what was not proposed and why, in words (already booked, missing module, no account
    to use, irregular vendor), and the ``month`` they are for."""

    def __init__(self, proposals: Iterable[Proposal] = (), *, month: Month, skipped: Iterable[str] = ()) -> None:
        super().__init__(proposals)
        self.month = month
        self.skipped: tuple[str, ...] = tuple(skipped)

    def of_kind(self, kind: str) -> list[Proposal]:
        return [p for p in self if p.kind == kind]

    def __repr__(self) -> str:
        return f"AccrualProposals({self.month.label}: {len(self)} proposals, {len(self.skipped)} skipped)"


def propose_accruals(data: AccrualData, month: Month, *, run_id: str) -> AccrualProposals:
    """Accrual, reversal and amortisation proposals for ``month`` from ``data`` (loaded for that month)."""
    if data.month != month:
        raise ValueError(f"the accrual data was loaded for {data.month.label}, not for {month.label}")
    skipped: list[str] = list(data.skipped)
    if data.journal_id is None:
        skipped.append("no miscellaneous (general) journal to book adjusting entries in: nothing proposed")
        return AccrualProposals(month=month, skipped=skipped)
    drafts: list[DraftEntry] = []
    for rule in (grni_entries, recurring_entries, prepaid_entries):
        entries, reasons = rule(data)
        drafts.extend(entries)
        skipped.extend(reasons)
    proposals: list[Proposal] = []
    reverse_on = month.next().start
    for entry in drafts:
        existing = data.existing_refs.get(entry.ref)
        accrual: Proposal | None = None
        if existing is None:
            accrual = to_proposal(entry, journal_id=data.journal_id, digits=data.digits, run_id=run_id)
            proposals.append(accrual)
        else:
            skipped.append(f"'{entry.ref}' is already booked (entry {existing}): not proposed again")
        if not entry.reverse:
            continue
        reversal = reversal_ref(entry.ref)
        if reversal in data.existing_refs:
            skipped.append(f"'{reversal}' is already booked (entry {data.existing_refs[reversal]})")
            continue
        proposals.append(reversal_proposal(entry, accrual, existing, reverse_on, journal_id=data.journal_id,
                                           digits=data.digits, run_id=run_id))
    return AccrualProposals(proposals, month=month, skipped=skipped)
