"""What approving a proposal writes to Odoo, shown as Odoo shows it.

A journal entry as its form does (date, journal, reference; lines with account code and name, partner,
label, analytic distribution, debit, credit; totals), an activity as its card (type, record, who, due,
summary, note), a chatter note as its text, payments as a list, a lock date or a budget transfer in
words; anything else as the fields it writes. The exact call stays one click away, folded.

Pure: the proposal's call and a :class:`Names` book (Odoo ids -> display names, read by the page
beforehand from :func:`wanted`) in, view objects out; a name Odoo did not give is shown as the model
and id ("account 27"), never guessed.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any

from ledgerpilot.domain.money import format_amount
from ledgerpilot.domain.proposal import Proposal

#: models whose records are shown by their own fields rather than their display name
NAME_FIELDS: Mapping[str, tuple[str, ...]] = {"account.account": ("code", "name"), "account.journal": ("name", "code")}
ACTIVITY_TYPES: Mapping[str, str] = {"mail.mail_activity_data_warning": "Exception",
                                     "mail.mail_activity_data_todo": "To-Do",
                                     "mail.mail_activity_data_call": "Call",
                                     "mail.mail_activity_data_email": "Email",
                                     "mail.mail_activity_data_meeting": "Meeting"}
MODEL_WORDS: Mapping[str, str] = {"account.account": "account", "account.journal": "journal", "res.partner": "partner",
                                  "account.analytic.account": "analytic account", "res.users": "user",
                                  "account.move": "entry", "purchase.order": "purchase order",
                                  "account.payment": "payment", "res.company": "company"}


class Names:
    """Display names of Odoo records, as read from Odoo: ``names[(model, id)]`` or a placeholder."""

    def __init__(self, names: Mapping[tuple[str, int], str] | None = None, *, note: str | None = None):
        self._names = dict(names or {})
        self.note = note        # why some names are missing (Odoo could not be asked), shown on the page

    def get(self, model: str, record_id: Any) -> str:
        try:
            key = (model, int(record_id))
        except (TypeError, ValueError):
            return str(record_id)
        return self._names.get(key) or f"{MODEL_WORDS.get(model, model)} {key[1]}"

    def known(self, model: str, record_id: int) -> bool:
        return (model, record_id) in self._names


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], int):
        return value[0]
    try:
        return int(str(value))
    except ValueError:
        return None


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, False, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def money(value: Decimal | None) -> str:
    return "" if value is None else format_amount(value, 2)


def _commands(lines: Any) -> list[Mapping[str, Any]]:
    """The values of one2many create commands ``(0, 0, values)`` (plain dicts are taken as they are)."""
    values = []
    for command in lines or ():
        if isinstance(command, Mapping):
            values.append(command)
        elif isinstance(command, (list, tuple)) and len(command) == 3 and isinstance(command[2], Mapping):
            values.append(command[2])
    return values


def _records_of(call_args: Sequence[Any]) -> list[Mapping[str, Any]]:
    """The value dicts of a ``create`` call: ``create(values)`` or ``create([values, ...])``."""
    first = call_args[0] if call_args else None
    if isinstance(first, Mapping):
        return [first]
    if isinstance(first, (list, tuple)):
        return [v for v in first if isinstance(v, Mapping)]
    return []


def _analytic_ids(distribution: Any) -> list[int]:
    ids = []
    for key in (distribution or {}) if isinstance(distribution, Mapping) else ():
        ids.extend(int(part) for part in str(key).split(",") if part.strip().isdigit())
    return ids


# ------------------------------------------------------------------------------------------------ names wanted


def wanted(proposals: Iterable[Proposal]) -> dict[str, set[int]]:
    """The Odoo records whose names showing these proposals' writes needs, by model."""
    need: dict[str, set[int]] = {}

    def add(model: str, value: Any) -> None:
        record_id = _int(value)
        if record_id:
            need.setdefault(model, set()).add(record_id)

    for proposal in proposals:
        call = proposal.payload
        known = {(r.model, r.id) for r in proposal.evidence.records if r.name}
        if call.model == "account.move" and call.method == "create":
            for move in _records_of(call.args):
                add("account.journal", move.get("journal_id"))
                for line in _commands(move.get("line_ids")):
                    add("account.account", line.get("account_id"))
                    add("res.partner", line.get("partner_id"))
                    for analytic in _analytic_ids(line.get("analytic_distribution")):
                        add("account.analytic.account", analytic)
        elif call.model == "account.payment" and call.method == "create":
            for payment in _records_of(call.args):
                add("res.partner", payment.get("partner_id"))
                add("account.journal", payment.get("journal_id"))
        elif call.model == "mail.activity" and call.method == "create":
            for activity in _records_of(call.args):
                add("res.users", activity.get("user_id"))
                target = (str(activity.get("res_model") or ""), _int(activity.get("res_id")))
                if target[0] and target[1] and target not in known:
                    add(target[0], target[1])
                if isinstance(activity.get("activity_type_id"), int):
                    add("mail.activity.type", activity["activity_type_id"])
        elif call.method in ("message_post", "write") and call.args:
            for record_id in call.args[0] if isinstance(call.args[0], (list, tuple)) else [call.args[0]]:
                if (call.model, _int(record_id)) not in known:
                    add(call.model, record_id)
    return need


# ------------------------------------------------------------------------------------------------ views


@dataclass(frozen=True)
class EntryLineView:
    account: str
    partner: str
    label: str
    analytic: str
    debit: str
    credit: str


@dataclass(frozen=True)
class EntryView:
    kind: str = "entry"
    date: str = ""
    journal: str = ""
    reference: str = ""
    lines: tuple[EntryLineView, ...] = ()
    total_debit: str = ""
    total_credit: str = ""
    balanced: bool = True


@dataclass(frozen=True)
class ActivityView:
    kind: str = "activity"
    activity_type: str = ""
    record: str = ""
    assignee: str = ""
    deadline: str = ""
    summary: str = ""
    note: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoteView:
    kind: str = "note"
    record: str = ""
    paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaymentView:
    kind: str = "payments"
    rows: tuple[tuple[str, str, str, str], ...] = ()     # partner, date, reference, amount
    total: str = ""


@dataclass(frozen=True)
class ChangesView:
    """A write: on which record, which field becomes what (before, when known)."""

    kind: str = "changes"
    record: str = ""
    rows: tuple[tuple[str, str, str], ...] = ()          # what, before, after


@dataclass(frozen=True)
class PartView:
    """One part of an item: the proposal, what it writes, and the exact call (JSON) folded beside it."""

    proposal: Proposal
    kind_label: str
    write: Any
    call: str
    decision: Mapping[str, Any] | None = None
    application: Mapping[str, Any] | None = None
    application_links: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


class _Text(HTMLParser):
    """Paragraphs of text from the small HTML ledgerpilot writes into notes and activities."""

    BREAKS = frozenset({"p", "br", "li", "div", "tr", "h1", "h2", "h3", "h4"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.current = ""

    def handle_starttag(self, tag, attrs):
        if tag in self.BREAKS:
            self._flush()

    def handle_endtag(self, tag):
        if tag in self.BREAKS:
            self._flush()

    def handle_data(self, data):
        self.current += data

    def _flush(self):
        text = " ".join(self.current.split())
        if text:
            self.parts.append(text)
        self.current = ""


def paragraphs(markup: Any) -> tuple[str, ...]:
    if not markup:
        return ()
    parser = _Text()
    parser.feed(str(markup))
    parser.close()
    parser._flush()
    return tuple(parser.parts) or (html.unescape(str(markup)),)


def _record_name(proposal: Proposal, model: str, record_id: Any, names: Names) -> str:
    rid = _int(record_id)
    for ref in proposal.evidence.records:
        if ref.model == model and ref.id == rid and ref.name:
            return ref.name
    return names.get(model, rid)


def _account(names: Names, record_id: Any) -> str:
    return names.get("account.account", record_id)


def _analytic_words(distribution: Any, names: Names) -> str:
    if not isinstance(distribution, Mapping) or not distribution:
        return ""
    words = []
    for key, share in distribution.items():
        accounts = " + ".join(names.get("account.analytic.account", part) for part in str(key).split(",")
                              if part.strip())
        words.append(f"{accounts} {_decimal(share).normalize():f}%")
    return "; ".join(words)


def entry_view(values: Mapping[str, Any], names: Names) -> EntryView:
    lines, debit, credit = [], Decimal(0), Decimal(0)
    for line in _commands(values.get("line_ids")):
        d, c = _decimal(line.get("debit")), _decimal(line.get("credit"))
        debit, credit = debit + d, credit + c
        lines.append(EntryLineView(account=_account(names, line.get("account_id")),
                                   partner=names.get("res.partner", line["partner_id"]) if _int(line.get("partner_id"))
                                   else "",
                                   label=str(line.get("name") or ""),
                                   analytic=_analytic_words(line.get("analytic_distribution"), names),
                                   debit=money(d) if d else "", credit=money(c) if c else ""))
    return EntryView(date=str(values.get("date") or ""),
                     journal=names.get("account.journal", values.get("journal_id")) if values.get("journal_id")
                     else "", reference=str(values.get("ref") or ""), lines=tuple(lines),
                     total_debit=money(debit), total_credit=money(credit), balanced=debit == credit)


def _activity_type(value: Any, names: Names) -> str:
    if isinstance(value, str):
        return ACTIVITY_TYPES.get(value, value.rsplit(".", 1)[-1].replace("_", " "))
    return names.get("mail.activity.type", value) if value else "Activity"


def write_view(proposal: Proposal, names: Names) -> Any:
    """What the proposal writes, as a view object (see the module docstring)."""
    call = proposal.payload
    if call.model == "account.move" and call.method == "create":
        moves = _records_of(call.args)
        if len(moves) == 1:
            return entry_view(moves[0], names)
    if call.model == "mail.activity" and call.method == "create":
        activities = _records_of(call.args)
        if len(activities) == 1:
            values = activities[0]
            assignee = names.get("res.users", values["user_id"]) if _int(values.get("user_id")) else \
                "no one named: Odoo gives it to the user that writes it"
            return ActivityView(activity_type=_activity_type(values.get("activity_type_id"), names),
                                record=_record_name(proposal, str(values.get("res_model")), values.get("res_id"), names),
                                assignee=assignee, deadline=str(values.get("date_deadline") or ""),
                                summary=str(values.get("summary") or ""), note=paragraphs(values.get("note")))
    if call.method == "message_post" and call.args:
        ids = call.args[0] if isinstance(call.args[0], (list, tuple)) else [call.args[0]]
        return NoteView(record=", ".join(_record_name(proposal, call.model, i, names) for i in ids),
                        paragraphs=paragraphs(call.kwargs.get("body")))
    if call.model == "account.payment" and call.method == "create":
        rows, total = [], Decimal(0)
        for payment in _records_of(call.args):
            amount = _decimal(payment.get("amount"))
            total += amount
            rows.append((names.get("res.partner", payment.get("partner_id")) if _int(payment.get("partner_id"))
                         else "no partner", str(payment.get("date") or ""), str(payment.get("ref") or ""),
                         money(amount)))
        return PaymentView(rows=tuple(rows), total=money(total))
    if call.method == "write" and len(call.args) >= 2 and isinstance(call.args[1], Mapping):
        return _changes(proposal, names)
    return None


def _changes(proposal: Proposal, names: Names) -> ChangesView:
    call = proposal.payload
    ids = call.args[0] if isinstance(call.args[0], (list, tuple)) else [call.args[0]]
    record = ", ".join(_record_name(proposal, call.model, i, names) for i in ids)
    figures = proposal.evidence.figures
    rows: list[tuple[str, str, str]] = []
    for field_name, value in call.args[1].items():
        if field_name == "fiscalyear_lock_date":
            rows.append(("Lock date (all users)", str(figures.get("previous_lock_date") or ""), str(value)))
            continue
        commands = [c for c in value if isinstance(c, (list, tuple)) and len(c) == 3] if isinstance(value, list) \
            else []
        if commands:
            for command in commands:
                line_id, values = command[1], command[2] if isinstance(command[2], Mapping) else {}
                line = _budget_line(proposal, line_id)
                plan = _plan(figures, line_id)
                for sub_field, sub_value in values.items():
                    if plan is not None:      # the evidence's amounts, allowed to spend (the call keeps Odoo's sign)
                        rows.append((f"{line}: plan", *plan))
                    else:
                        rows.append((f"{line}: {sub_field.replace('_', ' ')}", "", _plain(sub_value)))
            continue
        rows.append((field_name.replace("_", " "), "", _plain(value)))
    return ChangesView(record=record, rows=tuple(rows))


def _budget_line(proposal: Proposal, line_id: Any) -> str:
    for ref in proposal.evidence.records:
        if ref.id == _int(line_id) and ref.model in ("crossovered.budget.lines", "budget.line") and ref.name:
            return ref.name
    return f"line {line_id}"


def _plan(figures: Mapping[str, Any], line_id: Any) -> tuple[str, str] | None:
    """(before, after) of a budget transfer's line, from its evidence."""
    for side in ("from", "to"):
        if _int(figures.get(f"{side}_line_id")) == _int(line_id) and figures.get(f"{side}_planned_before") is not None:
            return money(_decimal(figures[f"{side}_planned_before"])), money(_decimal(figures[f"{side}_planned_after"]))
    return None


def _plain(value: Any) -> str:
    number = _decimal(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    if number is not None and str(value).replace("-", "").replace(".", "").isdigit():
        return money(number) if "." in str(value) else f"{number:,}"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
