"""Writing approved journal entries (adjusting entries, accruals, reversals) to Odoo.

Each entry is created as a draft with the idempotency marker at the end of its ``ref``, unless a move
carrying that marker already exists (then it is adopted). Its chatter gets the approval note (who approved
it in ledgerpilot, when, the proposal: ``writers/chatter.py``). It is posted (``action_post``) only when the
approval said so, and only if it is still a draft. Then it is read back -- date, state, ref,
journal, every line's account, partner, debit and credit, and the note -- and compared with what was
approved: Odoo 17 re-dates an entry posted into a locked period, and such a change is reported, never hidden.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from ledgerpilot.approvals.writers.chatter import note_read_back, post_approval_note
from ledgerpilot.approvals.writers.common import (
    PayloadError,
    WriteContext,
    WriteOutcome,
    as_number,
    m2o_id,
    marker,
    one_call_args,
    wire_values,
    with_marker,
)
from ledgerpilot.domain.money import quantize
from ledgerpilot.domain.proposal import RecordRef
from ledgerpilot.odoo.lock_dates import entry_lock_date, read_lock_dates

MOVE_FIELDS = ["name", "state", "date", "ref", "journal_id", "company_id", "move_type", "amount_total"]
LINE_FIELDS = ["move_id", "account_id", "partner_id", "debit", "credit", "name"]


def entries_of(ctx: WriteContext) -> list[Mapping[str, Any]]:
    args = one_call_args(ctx.proposal, "account.move", "create")
    values = args[0] if args else None
    if isinstance(values, Mapping):
        values = [values]
    if not isinstance(values, (list, tuple)) or not values or not all(isinstance(v, Mapping) for v in values):
        raise PayloadError(f"proposal {ctx.proposal.id[:12]}: account.move.create needs the entry values "
                           "(a dict or a list of dicts) as its first argument")
    return list(values)


def write_moves(ctx: WriteContext) -> WriteOutcome:
    entries = entries_of(ctx)
    outcome = WriteOutcome(adopted=True)
    for index, values in enumerate(entries, start=1):
        mark = marker(ctx.proposal, index if len(entries) > 1 else None)
        move_id, adopted = _find_or_create(ctx, values, mark)
        outcome.adopted = outcome.adopted and adopted
        post_approval_note(ctx, "account.move", move_id, mark)
        _post_if_approved(ctx, move_id)
        record, differences, read_back = _read_back(ctx, move_id, values, mark)
        outcome.records.append(record)
        outcome.differences.extend(differences)
        outcome.read_back[str(move_id)] = read_back
    return outcome


def _find_or_create(ctx: WriteContext, values: Mapping[str, Any], mark: str) -> tuple[int, bool]:
    client = ctx.client
    found = client.search_read("account.move", [("ref", "ilike", mark)], ["id", "state", "name"], order="id asc")
    if found:
        ids = [row["id"] for row in found]
        ctx.audit_found("account.move", ids, mark)
        return ids[0], True
    wire = wire_values(client, "account.move", {**values, "ref": with_marker(values.get("ref"), mark)})
    new_id = client.create("account.move", wire)
    move_id = new_id[0] if isinstance(new_id, list) else int(new_id)
    ctx.audit_write("account.move", "create", [move_id], marker=mark, date=values.get("date"),
                    journal_id=values.get("journal_id"), lines=len(values.get("line_ids") or []))
    return move_id, False


def _post_if_approved(ctx: WriteContext, move_id: int) -> None:
    if not ctx.decision.post:
        return
    state = ctx.client.read("account.move", [move_id], ["state"])
    if state and state[0]["state"] == "draft":
        ctx.client.call("account.move", "action_post", [move_id])
        ctx.audit_write("account.move", "action_post", [move_id], why=f"approved with post by {ctx.decision.login}")


def _read_back(ctx: WriteContext, move_id: int, values: Mapping[str, Any], mark: str
               ) -> tuple[RecordRef, list[str], dict[str, Any]]:
    client = ctx.client
    rows = client.read("account.move", [move_id], MOVE_FIELDS)
    if not rows:
        return (RecordRef(model="account.move", id=move_id),
                [f"account.move {move_id} cannot be read back: it was deleted in Odoo after it was written"], {})
    move = rows[0]
    lines = client.search_read("account.move.line", [("move_id", "=", move_id)], LINE_FIELDS, order="id asc")
    name = move.get("name") or ""
    label = f"entry {name if name and name != '/' else move_id}"
    differences: list[str] = []

    expected_state = "posted" if ctx.decision.post else "draft"
    if move.get("state") != expected_state:
        differences.append(f"{label}: state is {move.get('state')}, the approval asked for {expected_state}")
    approved_date = str(values.get("date") or "")
    if approved_date and str(move.get("date")) != approved_date:
        differences.append(f"{label}: date approved {approved_date}, Odoo has {move.get('date')}"
                           + _lock_reason(ctx, move, approved_date))
    expected_ref = with_marker(values.get("ref"), mark)
    if (move.get("ref") or "") != expected_ref:
        differences.append(f"{label}: ref approved {expected_ref!r}, Odoo has {move.get('ref')!r}")
    journal = values.get("journal_id")
    if journal and m2o_id(move.get("journal_id")) != int(journal):
        differences.append(f"{label}: journal approved {journal}, Odoo has {move.get('journal_id')}")
    differences.extend(f"{label}: {text}" for text in _line_differences(values.get("line_ids") or [], lines))
    chatter, missing_note = note_read_back(ctx, "account.move", move_id, mark, label)
    differences.extend(missing_note)

    read_back = {**chatter, "name": name, "state": move.get("state"), "date": move.get("date"), "ref": move.get("ref"),
                 "journal_id": m2o_id(move.get("journal_id")), "amount_total": move.get("amount_total"),
                 "lines": [{"account_id": m2o_id(line.get("account_id")), "partner_id": m2o_id(line.get("partner_id")),
                            "debit": line.get("debit"), "credit": line.get("credit")} for line in lines]}
    ctx.audit.record("read_back", actor=ctx.actor, subject=ctx.proposal.id,
                     details={"model": "account.move", "id": move_id, "read": read_back, "differences": differences})
    return RecordRef(model="account.move", id=move_id, name=name if name != "/" else ""), differences, read_back


def _lock_reason(ctx: WriteContext, move: Mapping[str, Any], approved_date: str) -> str:
    company_id = m2o_id(move.get("company_id"))
    if company_id is None:
        return ""
    journal_id = m2o_id(move.get("journal_id"))
    journals = ctx.client.read("account.journal", [journal_id], ["type"]) if journal_id else []
    lock_day = entry_lock_date(read_lock_dates(ctx.client, company_id), journals[0]["type"] if journals else None)
    lock = lock_day.isoformat() if lock_day else None
    if lock and approved_date <= lock:
        return (f" (the approved date is inside the period locked up to {lock}: Odoo moved the entry past the "
                "lock date when it was posted)")
    return ""


def _line_key(account: Any, partner: Any, debit: Any, credit: Any) -> tuple:
    return (m2o_id(account), m2o_id(partner), quantize(as_number(debit)), quantize(as_number(credit)))


def _describe(key: tuple) -> str:
    account, partner, debit, credit = key
    side = f"debit {debit}" if debit else f"credit {credit}"
    return f"account {account}{f', partner {partner}' if partner else ''}, {side}"


def _line_differences(commands: list, lines: list[Mapping[str, Any]]) -> list[str]:
    approved: Counter = Counter()
    for command in commands:
        if isinstance(command, (list, tuple)) and len(command) == 3 and command[0] == 0 and isinstance(command[2], Mapping):
            vals = command[2]
            approved[_line_key(vals.get("account_id"), vals.get("partner_id"), vals.get("debit"), vals.get("credit"))] += 1
    actual: Counter = Counter(_line_key(line.get("account_id"), line.get("partner_id"), line.get("debit"),
                                        line.get("credit")) for line in lines)
    out = []
    for key, count in (approved - actual).items():
        out.append(f"approved line missing in Odoo ({_describe(key)})" + (f" x{count}" if count > 1 else ""))
    for key, count in (actual - approved).items():
        out.append(f"line in Odoo that was not approved ({_describe(key)})" + (f" x{count}" if count > 1 else ""))
    return out
