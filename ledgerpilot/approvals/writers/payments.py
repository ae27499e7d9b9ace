"""Writing approved payment proposals: one draft ``account.payment`` per vendor paid.

A payment proposal may pay several vendors, so each payment carries its own marker
``[lp:<key>/<n>]`` at the end of its ``ref`` (the memo) and is searched for by it: after a crash
only the payments not yet in Odoo are created. Each carries the approval note in its chatter (who approved
it in ledgerpilot: ``writers/chatter.py``). Payments are created as drafts; confirming and sending them stays a
step a person takes in Odoo.
"""

from __future__ import annotations

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
from ledgerpilot.odoo.field_names import field_on

PAYMENT_FIELDS = ["name", "state", "date", "ref", "amount", "partner_id", "payment_type", "partner_type", "journal_id"]


def _memo_field(client) -> str:
    """The payment's memo: ``ref`` up to 17, ``memo`` from 18 (the proposal's values say ``ref``)."""
    return field_on(client, "account.payment", "ref") or "ref"


def write_payments(ctx: WriteContext) -> WriteOutcome:
    args = one_call_args(ctx.proposal, "account.payment", "create")
    payments = args[0] if args else None
    if isinstance(payments, Mapping):
        payments = [payments]
    if not isinstance(payments, (list, tuple)) or not payments or not all(isinstance(p, Mapping) for p in payments):
        raise PayloadError(f"proposal {ctx.proposal.id[:12]}: account.payment.create needs the payment values")
    client = ctx.client
    memo = _memo_field(client)
    outcome = WriteOutcome(adopted=True)
    for index, values in enumerate(payments, start=1):
        mark = marker(ctx.proposal, index)
        found = client.search_read("account.payment", [(memo, "ilike", mark)], ["id"], order="id asc")
        if found:
            payment_id = int(found[0]["id"])
            ctx.audit_found("account.payment", [r["id"] for r in found], mark)
        else:
            outcome.adopted = False
            plain = {k: v for k, v in values.items() if k != "ref"}
            wire = wire_values(client, "account.payment", {**plain, memo: with_marker(values.get("ref"), mark)})
            new_id = client.create("account.payment", wire)
            payment_id = new_id[0] if isinstance(new_id, list) else int(new_id)
            ctx.audit_write("account.payment", "create", [payment_id], marker=mark, amount=values.get("amount"),
                            partner_id=values.get("partner_id"))
        post_approval_note(ctx, "account.payment", payment_id, mark)
        record, differences, read_back = _read_back(ctx, payment_id, values, mark)
        outcome.records.append(record)
        outcome.differences.extend(differences)
        outcome.read_back[str(payment_id)] = read_back
    return outcome


def _read_back(ctx: WriteContext, payment_id: int, values: Mapping[str, Any], mark: str
               ) -> tuple[RecordRef, list[str], dict[str, Any]]:
    memo = _memo_field(ctx.client)
    rows = ctx.client.read("account.payment", [payment_id], [memo if f == "ref" else f for f in PAYMENT_FIELDS])
    if rows and memo != "ref":
        rows[0]["ref"] = rows[0].pop(memo)
    if not rows:
        return (RecordRef(model="account.payment", id=payment_id),
                [f"payment {payment_id} cannot be read back: it was deleted in Odoo"], {})
    row = rows[0]
    label = f"payment {row.get('name') or payment_id}"
    differences = []
    if quantize(as_number(row.get("amount"))) != quantize(as_number(values.get("amount"))):
        differences.append(f"{label}: amount approved {values.get('amount')}, Odoo has {row.get('amount')}")
    if values.get("partner_id") and m2o_id(row.get("partner_id")) != int(values["partner_id"]):
        differences.append(f"{label}: partner approved {values['partner_id']}, Odoo has {row.get('partner_id')}")
    if values.get("date") and str(row.get("date")) != str(values["date"]):
        differences.append(f"{label}: date approved {values['date']}, Odoo has {row.get('date')}")
    for name in ("payment_type", "partner_type"):
        if values.get(name) and row.get(name) != values[name]:
            differences.append(f"{label}: {name} approved {values[name]}, Odoo has {row.get(name)}")
    if mark not in str(row.get("ref") or ""):
        differences.append(f"{label}: memo approved {with_marker(values.get('ref'), mark)!r}, Odoo has "
                           f"{row.get('ref')!r}")
    chatter, missing_note = note_read_back(ctx, "account.payment", payment_id, mark, label)
    differences.extend(missing_note)
    read_back = {"name": row.get("name"), "state": row.get("state"), "date": row.get("date"),
                 "amount": row.get("amount"), "partner_id": m2o_id(row.get("partner_id")), "ref": row.get("ref"),
                 **chatter}
    ctx.audit.record("read_back", actor=ctx.actor, subject=ctx.proposal.id,
                     details={"model": "account.payment", "id": payment_id, "read": read_back,
                              "differences": differences})
    return RecordRef(model="account.payment", id=payment_id, name=str(row.get("name") or "")), differences, read_back
