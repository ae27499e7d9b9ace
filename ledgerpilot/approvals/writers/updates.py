"""Writing approved updates of existing records: the lock date and budget transfers.

Both are writes of absolute values (a lock date, the planned amounts of two budget lines), so doing
one twice changes nothing: the record is read first, and when it already holds the approved values
the write is skipped and reported as adopted. Afterwards the record is read back and compared.

Setting a lock date is refused by Odoo 17 with a RedirectWarning while unposted entries or
unreconciled bank statement lines lie on or before it; that refusal reaches the caller as an
:class:`~ledgerpilot.odoo.errors.OdooRedirectWarning` and the proposal fails with Odoo's words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerpilot.approvals.writers.common import (
    PayloadError,
    WriteContext,
    WriteOutcome,
    as_number,
    one_call_args,
    wire_values,
)
from ledgerpilot.domain.money import quantize
from ledgerpilot.domain.proposal import RecordRef
from ledgerpilot.odoo.lock_dates import lock_date_fields


def _write_args(ctx: WriteContext, model: str | None) -> tuple[list[int], dict[str, Any]]:
    args = one_call_args(ctx.proposal, model, "write")
    if len(args) != 2 or not isinstance(args[0], (list, tuple)) or not isinstance(args[1], Mapping):
        raise PayloadError(f"proposal {ctx.proposal.id[:12]}: write needs ([ids], {{values}}), got {args!r}")
    return [int(i) for i in args[0]], dict(args[1])


def _norm(value: Any) -> Any:
    return None if value in (None, False, "") else str(value)


def write_lock_date(ctx: WriteContext) -> WriteOutcome:
    ids, values = _write_args(ctx, "res.company")
    client = ctx.client
    allowed = lock_date_fields(client)  # this Odoo's: period_lock_date up to 17, sale/purchase/hard from 18
    unknown = sorted(set(values) - set(allowed))
    if unknown or not values:
        raise PayloadError(f"a lock_date proposal may only set {', '.join(allowed)} on this Odoo; proposal "
                           f"{ctx.proposal.id[:12]} writes {', '.join(unknown) or 'nothing'}")
    fields = list(values)
    before = client.read("res.company", ids, ["name", *fields])
    already = len(before) == len(ids) and all(_norm(row.get(f)) == _norm(values[f]) for row in before for f in fields)
    if already:
        ctx.audit_found("res.company", ids, "values already set")
    else:
        client.write("res.company", ids, wire_values(client, "res.company", values))
        ctx.audit_write("res.company", "write", ids, values=values,
                        before={str(row["id"]): {f: row.get(f) for f in fields} for row in before})
    after = client.read("res.company", ids, ["name", *fields])
    differences = [f"{row.get('name')}: {f} approved {values[f]}, Odoo has {row.get(f) or 'no date'}"
                   for row in after for f in fields if _norm(row.get(f)) != _norm(values[f])]
    read_back = {str(row["id"]): {f: row.get(f) for f in fields} for row in after}
    ctx.audit.record("read_back", actor=ctx.actor, subject=ctx.proposal.id,
                     details={"model": "res.company", "ids": ids, "read": read_back, "differences": differences})
    return WriteOutcome(records=[RecordRef(model="res.company", id=row["id"], name=str(row.get("name") or ""))
                                 for row in after],
                        adopted=already, differences=differences, read_back=read_back)


def write_budget_transfer(ctx: WriteContext) -> WriteOutcome:
    call = ctx.proposal.payload
    ids, values = _write_args(ctx, None)
    client = ctx.client
    fields = client.fields_get(call.model)
    targets: dict[int, dict[str, Any]] = {}
    relation = None
    for name, commands in values.items():
        spec = fields.get(name) or {}
        if spec.get("type") != "one2many" or not isinstance(commands, (list, tuple)):
            raise PayloadError(f"a budget_transfer proposal updates budget lines through a one2many field; "
                               f"{call.model}.{name} is {spec.get('type') or 'not a field'}")
        relation = spec.get("relation")
        for command in commands:
            if not (isinstance(command, (list, tuple)) and len(command) == 3 and command[0] == 1
                    and isinstance(command[2], Mapping)):
                raise PayloadError(f"a budget_transfer proposal only updates existing lines (command 1), got "
                                   f"{command!r}")
            targets[int(command[1])] = dict(command[2])
    if relation is None or not targets:
        raise PayloadError(f"proposal {ctx.proposal.id[:12]}: no budget line to update")
    amount_fields = sorted({f for vals in targets.values() for f in vals})

    def current() -> dict[int, dict[str, Any]]:
        return {row["id"]: row for row in client.read(relation, list(targets), amount_fields)}

    def same(row: Mapping[str, Any] | None, vals: Mapping[str, Any]) -> bool:
        return row is not None and all(quantize(as_number(row.get(f))) == quantize(as_number(v)) for f, v in vals.items())

    before = current()
    already = all(same(before.get(line_id), vals) for line_id, vals in targets.items())
    if already:
        ctx.audit_found(relation, list(targets), "amounts already set")
    else:
        client.write(call.model, ids, wire_values(client, call.model, values))
        ctx.audit_write(call.model, "write", ids, lines=list(targets),
                        before={str(k): {f: v.get(f) for f in amount_fields} for k, v in before.items()})
    after = current()
    differences = []
    for line_id, vals in targets.items():
        row = after.get(line_id)
        if row is None:
            differences.append(f"{relation} {line_id} no longer exists in Odoo")
            continue
        for f, v in vals.items():
            if quantize(as_number(row.get(f))) != quantize(as_number(v)):
                differences.append(f"{relation} {line_id}: {f} approved {v}, Odoo has {row.get(f)}")
    read_back = {str(k): {f: v.get(f) for f in amount_fields} for k, v in after.items()}
    ctx.audit.record("read_back", actor=ctx.actor, subject=ctx.proposal.id,
                     details={"model": relation, "ids": list(targets), "read": read_back, "differences": differences})
    return WriteOutcome(records=[RecordRef(model=call.model, id=i) for i in ids]
                        + [RecordRef(model=relation, id=i) for i in targets],
                        adopted=already, differences=differences, read_back=read_back)
