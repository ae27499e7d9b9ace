"""Balanced draft journal entries for the adjusting-entry proposals, and their reversals.

Amounts are carried in integer minor units (cents) while an entry is built, so that debits and
credits are compared exactly; :func:`entry_call` refuses an unbalanced entry (that would be a bug
in a calculator, never something to propose) and writes money as ``Decimal`` in the payload.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from ledgerpilot.domain.money import minor_to_decimal, quantize
from ledgerpilot.domain.proposal import Evidence, OdooCall, Proposal, RecordRef

CREATED_BY = "ledgerpilot"
REQUIRED_GROUP = "account.group_account_manager"


class UnbalancedEntryError(AssertionError):
    """An entry whose debits and credits differ: a calculation error, never a proposal."""


@dataclass(frozen=True)
class EntryLine:
    """One journal item of a proposed entry; exactly one of ``debit``/``credit`` is non-zero (minor units)."""

    account_id: int
    name: str
    debit: int = 0
    credit: int = 0
    partner_id: int | None = None
    analytic_distribution: Mapping[str, Any] | None = None

    def reversed(self, name: str) -> EntryLine:
        return replace(self, name=name, debit=self.credit, credit=self.debit)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` minor units in proportion to ``weights`` so the parts add up exactly.

    Each part is rounded down and the cents left over go to the largest remainders (ties: first).
    """
    if not weights:
        raise ValueError("cannot allocate an amount over no lines")
    whole = sum(weights)
    if whole == 0:
        parts = [0] * len(weights)
        parts[0] = total
        return parts
    raw = [total * w for w in weights]
    parts = [r // whole for r in raw]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] % whole), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def analytic_payload(distribution: Any) -> dict[str, Decimal] | None:
    """An Odoo ``analytic_distribution`` (account id(s) -> percent) with Decimal percentages (2 decimals)."""
    if not distribution or not isinstance(distribution, Mapping):
        return None
    return {str(key): quantize(value, 2) for key, value in distribution.items()}


def assert_balanced(lines: Sequence[EntryLine], what: str) -> None:
    debit = sum(line.debit for line in lines)
    credit = sum(line.credit for line in lines)
    if debit != credit or debit <= 0:
        raise UnbalancedEntryError(f"{what}: debits {debit} and credits {credit} (minor units) do not balance")
    for line in lines:
        if line.debit < 0 or line.credit < 0 or (line.debit and line.credit):
            raise UnbalancedEntryError(f"{what}: line {line.name!r} has debit {line.debit} and credit {line.credit}")


def entry_call(*, journal_id: int, date: dt.date, ref: str, lines: Sequence[EntryLine], digits: int) -> OdooCall:
    """The ``account.move.create`` call of a draft miscellaneous entry (balanced, or an error)."""
    assert_balanced(lines, ref)
    values = {
        "move_type": "entry",
        "journal_id": int(journal_id),
        "date": date.isoformat(),
        "ref": ref,
        "line_ids": [(0, 0, {
            "account_id": int(line.account_id),
            "name": line.name,
            "debit": minor_to_decimal(line.debit, digits),
            "credit": minor_to_decimal(line.credit, digits),
            "partner_id": int(line.partner_id) if line.partner_id is not None else None,
            "analytic_distribution": analytic_payload(line.analytic_distribution),
        }) for line in lines],
    }
    return OdooCall(model="account.move", method="create", args=([values],))


def entry_total(call: OdooCall) -> tuple[Decimal, Decimal]:
    """(sum of debits, sum of credits) of an entry payload."""
    lines = [command[2] for command in call.args[0][0]["line_ids"]]
    return sum((Decimal(str(v["debit"])) for v in lines), Decimal(0)), \
        sum((Decimal(str(v["credit"])) for v in lines), Decimal(0))


@dataclass(frozen=True)
class DraftEntry:
    """An entry a rule wants proposed, before it becomes a :class:`Proposal`."""

    kind: str  # "accrual" | "adjusting_entry"
    ref: str
    date: dt.date
    title: str
    summary: str
    lines: tuple[EntryLine, ...]
    records: tuple[RecordRef, ...]
    figures: Mapping[str, Any]
    reverse: bool  # accruals are reversed on the first day of the next month


def to_proposal(entry: DraftEntry, *, journal_id: int, digits: int, run_id: str) -> Proposal:
    call = entry_call(journal_id=journal_id, date=entry.date, ref=entry.ref, lines=entry.lines, digits=digits)
    return Proposal(kind=entry.kind, title=entry.title, summary=entry.summary, payload=call,
                    evidence=Evidence(records=entry.records, figures=dict(entry.figures)), run_id=run_id,
                    created_by=CREATED_BY, required_group=REQUIRED_GROUP)


def reversal_ref(ref: str) -> str:
    return f"Reversal of {ref}"


def reversal_entry(entry: DraftEntry, date: dt.date) -> DraftEntry:
    """The mirror of ``entry`` dated ``date``: every debit becomes a credit of the same amount."""
    lines = tuple(line.reversed(f"Reversal: {line.name}") for line in entry.lines)
    return DraftEntry(kind="reversal", ref=reversal_ref(entry.ref), date=date,
                      title=f"Reverse on {date.isoformat()}: {entry.title}",
                      summary=(f"Reverses the entry '{entry.ref}' dated {entry.date.isoformat()} on the first day of "
                               f"the next month, so that the real bill booked then is not counted twice."),
                      lines=lines, records=entry.records, figures={}, reverse=False)


def reversal_proposal(entry: DraftEntry, accrual: Proposal | None, existing_move_id: int | None, date: dt.date, *,
                      journal_id: int, digits: int, run_id: str) -> Proposal:
    """The reversal of ``entry``; it names the accrual proposal, or the entry already in Odoo."""
    mirror = reversal_entry(entry, date)
    records = tuple(mirror.records)
    if existing_move_id is not None:
        records = (RecordRef(model="account.move", id=int(existing_move_id), name=entry.ref), *records)
    debit = sum(line.debit for line in entry.lines)
    figures: dict[str, Any] = {
        "reverses_ref": entry.ref,
        "reverses_date": entry.date.isoformat(),
        "reverses_proposal_id": accrual.id if accrual is not None else None,
        "reverses_move_id": existing_move_id,
        "amount": minor_to_decimal(debit, digits),
        "calculation": (f"every line of '{entry.ref}' with debit and credit swapped, dated {date.isoformat()} "
                        f"(total {minor_to_decimal(debit, digits)})"),
    }
    mirror = replace(mirror, records=records, figures=figures)
    return to_proposal(mirror, journal_id=journal_id, digits=digits, run_id=run_id)
