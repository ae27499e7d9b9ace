"""The agent's propose-only tools: a draft adjusting entry, an activity, a chatter note.

They only read Odoo (to check every account, journal, partner, user and record named) and store a
:class:`~ledgerpilot.domain.proposal.Proposal` in the state ``proposed``; nothing reaches Odoo until a
person holding the required group approves it (``ledgerpilot proposals approve``) and it is applied
(``ledgerpilot proposals apply``). The payloads are the ones the write-back already applies: the
draft-entry call of the close's adjusting entries and the activity/note calls of the anomaly alerts.
The same proposal asked twice is found by its idempotency key and returned, never stored again.

Text from the conversation or from Odoo goes into the proposal as data: titles and summaries are plain
text, and the HTML that Odoo renders (activity notes, message bodies) is escaped.

Each proposal records who asked for it (``requested_by``: the context's actor -- the chat user, the
Discuss author, the login a CLI run acts as); that person can never approve it. When the same proposal
was stored before and its write to Odoo failed, the answer says so and points to it
(``ledgerpilot proposals retry``) instead of pretending it is new.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ledgerpilot.calc.anomalies.alerts import NOTE_SUBTYPE, activity_values
from ledgerpilot.calc.budget.proposals import TODO_ACTIVITY
from ledgerpilot.calc.chatter import paragraphs_html
from ledgerpilot.calc.close.accruals.entries import EntryLine, entry_call
from ledgerpilot.config import setting_value
from ledgerpilot.domain.money import format_amount, minor_to_decimal, quantize
from ledgerpilot.domain.proposal import DEFAULT_REQUIRED_GROUP, Evidence, OdooCall, Proposal, RecordRef
from ledgerpilot.tools.agent import references as refs
from ledgerpilot.tools.agent.requesters import requester_login
from ledgerpilot.tools.agent.toolkit import ToolContext, ToolError, ToolOutput, tool

AGENT_LOGIN = "ledgerpilot-agent"
REF_LENGTH = 64
TITLE_LENGTH = 300
MAX_AMOUNT = Decimal(10**12)   # beyond any adjusting entry; keeps Decimal arithmetic exact
APPROVAL_WORDS = ("Stored as a proposal: a controller must approve it (ledgerpilot proposals approve) before "
                  "anything is written to Odoo.")


class EntryLineArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: str = Field(min_length=1, max_length=32, description="the account's code, e.g. 600000")
    partner: str | None = Field(default=None, max_length=200, description="the partner's name, if any")
    label: str = Field(min_length=1, max_length=200, description="the journal item's label")
    debit: Decimal = Field(default=Decimal(0), ge=0, le=MAX_AMOUNT,
                           description="debit amount (0 when this is a credit line)")
    credit: Decimal = Field(default=Decimal(0), ge=0, le=MAX_AMOUNT,
                            description="credit amount (0 when this is a debit line)")


class JournalEntryArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: str = Field(min_length=8, max_length=10, description="accounting date, YYYY-MM-DD")
    journal: str | None = Field(default=None, max_length=64,
                                description="journal code or name; omit for miscellaneous operations")
    reason: str = Field(min_length=3, max_length=500, description="why the entry is needed, in words")
    lines: list[EntryLineArgs] = Field(min_length=2, max_length=40,
                                       description="journal items; debits must equal credits")


class ActivityArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record: str = Field(min_length=1, max_length=200,
                        description="the record it is about: an invoice/bill/entry number, P00042, S00012, a "
                                    "partner's name, or model,id")
    summary: str = Field(min_length=3, max_length=200, description="one line: what is to be done")
    note: str = Field(default="", max_length=2000, description="details for the person doing it")
    assign_to: str | None = Field(default=None, max_length=64, description="the Odoo login of the person; omit to "
                                                                           "leave it to the approver")
    due_in_days: int = Field(default=3, ge=0, le=90, description="days from today until it is due")


class NoteArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record: str = Field(min_length=1, max_length=200,
                        description="the record whose chatter gets the note: an invoice/bill/entry number, "
                                    "P00042, a partner's name, or model,id")
    text: str = Field(min_length=3, max_length=4000, description="the note's text")


# ---------------------------------------------------------------------------------------------- helpers


def _plain(text: str, limit: int) -> str:
    """One line of plain text: whitespace (newlines included) collapsed, cut to ``limit``."""
    return " ".join(str(text).split())[:limit]


def _ref_words(ref: RecordRef) -> str:
    return f"{ref.name} ({ref.model} {ref.id})" if ref.name else f"{ref.model} {ref.id}"


def _required_group(ctx: ToolContext, kind: str) -> str:
    return (setting_value(ctx.settings, "approval_groups") or {}).get(kind) or DEFAULT_REQUIRED_GROUP


def _requester(ctx: ToolContext) -> str:
    """Who asked: the login of the conversation's person (never one of ledgerpilot's own names)."""
    login = requester_login(ctx.actor or "")
    return "" if not login or login == AGENT_LOGIN or login.startswith("ledgerpilot") else login


def _store(ctx: ToolContext, proposal: Proposal) -> tuple[Proposal, bool, str | None]:
    """Store the proposal; ``(stored, created, the earlier attempt's error when the stored one had failed)``."""
    from ledgerpilot.memory.proposal_store import ProposalStore
    from ledgerpilot.memory.state import StateDB

    with StateDB.in_home(ctx.home) as db:
        stored = ProposalStore(db).add(proposal)
    failure = stored.previous_failure
    return stored.proposal, stored.created, (failure.error or "the write failed") if failure else None


def _answer(ctx: ToolContext, stored: tuple[Proposal, bool, str | None], extra: dict[str, Any],
            records: tuple[RecordRef, ...]) -> ToolOutput:
    proposal, created, failed_with = stored
    next_step = APPROVAL_WORDS
    if failed_with is not None:
        next_step = (f"This exact proposal was made before (proposal {proposal.id[:12]}) and writing it to Odoo "
                     f"failed: {failed_with}. It is not proposed again: once the cause is fixed, an approver sends "
                     f"it back with `ledgerpilot proposals retry {proposal.id[:12]} --user LOGIN`.")
    elif proposal.state != "proposed":
        next_step = f"This exact proposal was made before (proposal {proposal.id[:12]}) and is {proposal.state}."
    data = {"proposal_id": proposal.id[:12], "kind": proposal.kind, "state": proposal.state,
            "title": proposal.title, "already_proposed": not created, "required_group": proposal.required_group,
            "needs_approval": proposal.state == "proposed", "next_step": next_step,
            **({"previous_failure": failed_with} if failed_with is not None else {}), **extra}
    citations = tuple(ctx.cite(r.model, r.id, r.name or f"{r.model} {r.id}") for r in records
                      if r.model not in ("account.account", "account.journal", "res.users"))
    return ToolOutput(data=data, citations=citations)


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ToolError(f"date {text!r} is not a date written as YYYY-MM-DD (e.g. 2026-11-30)") from None


def _minor(value: Decimal, digits: int, where: str) -> int:
    if quantize(value, digits) != value:
        raise ToolError(f"{where}: {value} has more than {digits} decimals; amounts are to the cent")
    return int(value.scaleb(digits))


def _entry_lines(ctx: ToolContext, args: JournalEntryArgs, company: refs.Company
                 ) -> tuple[list[EntryLine], list[RecordRef], list[dict[str, Any]]]:
    """The lines checked (one side each, to the cent, balanced) and resolved (accounts, partners)."""
    accounts = refs.accounts_by_code(ctx.client, [line.account for line in args.lines], company.id)
    partners: dict[str, RecordRef] = {}
    lines, shown = [], []
    for number, line in enumerate(args.lines, start=1):
        where = f"line {number} ({line.account})"
        debit, credit = _minor(line.debit, company.digits, where), _minor(line.credit, company.digits, where)
        if (debit > 0) == (credit > 0):
            raise ToolError(f"{where}: give either a debit or a credit above zero, not "
                            f"{'both' if debit else 'neither'}")
        partner = None
        if line.partner:
            key = line.partner.strip().casefold()
            partner = partners.get(key) or refs.partner(ctx.client, line.partner)
            partners[key] = partner
        account = accounts[line.account.strip()]
        lines.append(EntryLine(account_id=account["id"], name=_plain(line.label, 200), debit=debit, credit=credit,
                               partner_id=partner.id if partner else None))
        shown.append({"account": account["code"], "account_name": account["name"],
                      "partner": partner.name if partner else None, "label": _plain(line.label, 200),
                      "side": "debit" if debit else "credit",
                      "amount": minor_to_decimal(debit or credit, company.digits)})
    debit = sum(line.debit for line in lines)
    credit = sum(line.credit for line in lines)
    if debit != credit:
        raise ToolError(f"the entry does not balance: debits {minor_to_decimal(debit, company.digits)} and credits "
                        f"{minor_to_decimal(credit, company.digits)} {company.currency} differ by "
                        f"{minor_to_decimal(abs(debit - credit), company.digits)}")
    records = [RecordRef(model="account.account", id=a["id"], name=f"{a['code']} {a['name']}")
               for a in accounts.values()] + list(partners.values())
    return lines, records, shown


# ------------------------------------------------------------------------------------------------ tools


@tool(kind="propose")
def propose_journal_entry(ctx: ToolContext, args: JournalEntryArgs) -> ToolOutput:
    """Propose a draft adjusting journal entry (accounts by code, debits equal to credits) for a controller to
    approve; nothing is written to Odoo until then. Use it when asked to book, accrue, reclassify or correct
    something.
    """
    company = refs.company_of(ctx)
    day = _day(args.date)
    if company.lock_date and day.isoformat() <= company.lock_date:
        raise ToolError(f"{day.isoformat()} is inside the period locked up to {company.lock_date}: Odoo would move "
                        "the entry past the lock date; choose a later date")
    chosen = refs.journal(ctx.client, args.journal, company.id)
    lines, records, shown = _entry_lines(ctx, args, company)
    reason = _plain(args.reason, 500)
    total = minor_to_decimal(sum(line.debit for line in lines), company.digits)
    payload = entry_call(journal_id=chosen["id"], date=day, ref=_plain(reason, REF_LENGTH), lines=lines,
                         digits=company.digits)
    records = [RecordRef(model="account.journal", id=chosen["id"], name=chosen["name"]), *records]
    proposal = Proposal(
        kind="adjusting_entry", title=_plain(f"Adjusting entry {day.isoformat()} ({format_amount(total)} "
                                             f"{company.currency}): "
                                             f"{reason}", TITLE_LENGTH),
        summary=(f"Draft entry in {chosen['code']} dated {day.isoformat()}, {len(lines)} lines, total "
                 f"{format_amount(total)} {company.currency}. Reason given: {reason}"),
        payload=payload,
        evidence=Evidence(records=tuple(records), figures={"reason": reason, "total": total,
                                                           "currency": company.currency, "asked_by": ctx.actor}),
        run_id=ctx.run_id, created_by=AGENT_LOGIN, requested_by=_requester(ctx),
        required_group=_required_group(ctx, "adjusting_entry"))
    extra = {"date": day, "journal": chosen["code"], "currency": company.currency, "total": total,
             "line_count": len(lines), "lines": shown}
    return _answer(ctx, _store(ctx, proposal), extra, tuple(records))


@tool(kind="propose")
def propose_activity(ctx: ToolContext, args: ActivityArgs) -> ToolOutput:
    """Propose a to-do activity on an Odoo record (an invoice, bill, order, partner...), optionally for a user by
    login, due in a few days, for a controller to approve; nothing is written to Odoo until then. Use it when
    asked to follow up, chase or remind someone.
    """
    target = refs.record(ctx.client, args.record)
    user = refs.user_by_login(ctx.client, args.assign_to) if args.assign_to else None
    summary = _plain(args.summary, 200)
    note = args.note.strip()
    deadline = ctx.today + dt.timedelta(days=args.due_in_days)
    values = {**activity_values(target, summary, [note] if note else [summary], deadline, user.id if user else None),
              "activity_type_id": TODO_ACTIVITY}
    who = f" for {user.name}" if user else ""
    proposal = Proposal(
        kind="activity", title=_plain(f"Activity{who} on {_ref_words(target)}: {summary}", TITLE_LENGTH),
        summary=_plain(f"{summary}. Due {deadline.isoformat()}. {note}", 2000),
        payload=OdooCall(model="mail.activity", method="create", args=(values,)),
        evidence=Evidence(records=(target,), figures={"reason": note or summary, "asked_by": ctx.actor,
                                                      "due": deadline}),
        run_id=ctx.run_id, created_by=AGENT_LOGIN, requested_by=_requester(ctx),
        required_group=_required_group(ctx, "activity"))
    extra = {"record": target.name, "record_model": target.model, "summary": summary,
             "assigned_to": user.name if user else None, "due_date": deadline, "due_in_days": args.due_in_days}
    return _answer(ctx, _store(ctx, proposal), extra, (target,))


@tool(kind="propose")
def propose_note(ctx: ToolContext, args: NoteArgs) -> ToolOutput:
    """Propose a note in the chatter of an Odoo record (an invoice, bill, order, partner...) for a controller to
    approve; nothing is written to Odoo until then. Use it when asked to leave a note or comment on a record.
    """
    target = refs.record(ctx.client, args.record)
    text = args.text.strip()
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    proposal = Proposal(
        kind="note", title=_plain(f"Note on {_ref_words(target)}: {text}", TITLE_LENGTH),
        summary=_plain(text, 2000),
        payload=OdooCall(model=target.model, method="message_post", args=([target.id],),
                         kwargs={"body": paragraphs_html(paragraphs), "message_type": "comment",
                                 "subtype_xmlid": NOTE_SUBTYPE, "body_is_html": True}),
        evidence=Evidence(records=(target,), figures={"reason": text, "asked_by": ctx.actor}),
        run_id=ctx.run_id, created_by=AGENT_LOGIN, requested_by=_requester(ctx),
        required_group=_required_group(ctx, "note"))
    return _answer(ctx, _store(ctx, proposal), {"record": target.name, "record_model": target.model}, (target,))
