"""Writing approved activities (``activity``, ``po_hold``) and chatter notes (``note``) to Odoo.

Activity payloads name things the way people read them: ``res_model`` as a model name and
``activity_type_id`` as an external id (``mail.mail_activity_data_todo``). Odoo 17 needs ids:
``res_model_id`` (``ir.model``; ``res_model`` is a stored related field) and the activity type's id,
looked up in ``ir.model.data`` -- or, on a server that does not serve it, by the standard type's
name. The marker goes at the end of the activity's note (HTML) or the message's body, and the record
is searched for by it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerpilot.approvals.writers.common import (
    PayloadError,
    WriteContext,
    WriteOutcome,
    html_with_marker,
    m2o_id,
    marker,
    one_call_args,
    wire_values,
)
from ledgerpilot.domain.proposal import RecordRef
from ledgerpilot.odoo.client import OdooClient
from ledgerpilot.odoo.errors import MissingModuleError, OdooError

#: Odoo's standard activity types (module mail): external id -> name, for servers without ir.model.data.
STANDARD_ACTIVITY_TYPES = {
    "mail.mail_activity_data_email": "Email",
    "mail.mail_activity_data_call": "Call",
    "mail.mail_activity_data_meeting": "Meeting",
    "mail.mail_activity_data_todo": "To-Do",
    "mail.mail_activity_data_upload_document": "Upload Document",
    "mail.mail_activity_data_warning": "Exception",
}
ACTIVITY_FIELDS = ["res_model", "res_id", "activity_type_id", "summary", "date_deadline", "user_id", "note"]


class UnresolvedReference(PayloadError):
    """A model name or external id in a payload that Odoo does not know."""


def model_id(client: OdooClient, model: str) -> int:
    rows = client.search_read("ir.model", [("model", "=", model)], ["id"], limit=1)
    if not rows:
        raise UnresolvedReference(f"Odoo has no model {model!r} (ir.model): the activity cannot be attached to it")
    return int(rows[0]["id"])


def xmlid_to_id(client: OdooClient, xmlid: str, model: str) -> int:
    """The id of the record with external id ``xmlid`` (``module.name``) of ``model``."""
    module, _, name = xmlid.partition(".")
    if not module or not name:
        raise UnresolvedReference(f"{xmlid!r} is not an external id (module.name)")
    try:
        has_data = client.has_model("ir.model.data")
    except (OdooError, MissingModuleError):
        has_data = False
    if has_data:
        rows = client.search_read("ir.model.data", [("module", "=", module), ("name", "=", name),
                                                    ("model", "=", model)], ["res_id"], limit=1)
        if rows:
            return int(rows[0]["res_id"])
        raise UnresolvedReference(f"Odoo has no {model} with external id {xmlid!r}")
    label = STANDARD_ACTIVITY_TYPES.get(xmlid) if model == "mail.activity.type" else None
    if label is None:
        raise UnresolvedReference(f"cannot resolve the external id {xmlid!r}: this Odoo does not serve "
                                  "ir.model.data and it is not a standard activity type")
    rows = client.search_read(model, [("name", "=", label)], ["id"], limit=1)
    if not rows:
        raise UnresolvedReference(f"Odoo has no activity type {label!r} ({xmlid})")
    return int(rows[0]["id"])


def activity_values(client: OdooClient, values: Mapping[str, Any], mark: str) -> dict[str, Any]:
    """Payload values -> what Odoo 17's ``mail.activity.create`` needs."""
    out = dict(values)
    res_model = out.get("res_model")
    if res_model and not out.get("res_model_id"):
        out["res_model_id"] = model_id(client, str(res_model))
    out.pop("res_model", None)  # stored related field of res_model_id: Odoo fills it
    activity_type = out.get("activity_type_id")
    if isinstance(activity_type, str) and not activity_type.isdigit():
        out["activity_type_id"] = xmlid_to_id(client, activity_type, "mail.activity.type")
    out["note"] = html_with_marker(out.get("note"), mark)
    return wire_values(client, "mail.activity", out)


def write_activity(ctx: WriteContext) -> WriteOutcome:
    args = one_call_args(ctx.proposal, "mail.activity", "create")
    values = args[0] if args else None
    if not isinstance(values, Mapping):
        raise PayloadError(f"proposal {ctx.proposal.id[:12]}: mail.activity.create needs the activity values")
    client = ctx.client
    mark = marker(ctx.proposal)
    found = client.search_read("mail.activity", [("note", "ilike", mark)], ["id"], order="id asc")
    if found:
        activity_id, adopted = int(found[0]["id"]), True
        ctx.audit_found("mail.activity", [r["id"] for r in found], mark)
    else:
        new_id = client.create("mail.activity", activity_values(client, values, mark))
        activity_id, adopted = (new_id[0] if isinstance(new_id, list) else int(new_id)), False
        ctx.audit_write("mail.activity", "create", [activity_id], marker=mark, res_model=values.get("res_model"),
                        res_id=values.get("res_id"))
    rows = client.read("mail.activity", [activity_id], ACTIVITY_FIELDS)
    differences: list[str] = []
    if not rows:
        differences.append(f"activity {activity_id} cannot be read back: it was marked done or deleted in Odoo")
        read_back: dict[str, Any] = {}
    else:
        row = rows[0]
        label = f"activity {activity_id}"
        for name in ("res_model", "res_id", "summary", "date_deadline"):
            if name in values and values[name] not in (None, False) and str(row.get(name)) != str(values[name]):
                differences.append(f"{label}: {name} approved {values[name]!r}, Odoo has {row.get(name)!r}")
        if values.get("user_id") and m2o_id(row.get("user_id")) != int(values["user_id"]):
            differences.append(f"{label}: assigned to user {values['user_id']} as approved, Odoo has "
                               f"{row.get('user_id')}")
        read_back = {k: row.get(k) for k in ("res_model", "res_id", "summary", "date_deadline")}
        read_back.update(activity_type_id=m2o_id(row.get("activity_type_id")), user_id=m2o_id(row.get("user_id")))
    ctx.audit.record("read_back", actor=ctx.actor, subject=ctx.proposal.id,
                     details={"model": "mail.activity", "id": activity_id, "read": read_back,
                              "differences": differences})
    return WriteOutcome(records=[RecordRef(model="mail.activity", id=activity_id, name=str(values.get("summary") or ""))],
                        adopted=adopted, differences=differences, read_back=read_back)


def write_note(ctx: WriteContext) -> WriteOutcome:
    call = ctx.proposal.payload
    args = one_call_args(ctx.proposal, None, "message_post")
    ids = args[0] if args else None
    if isinstance(ids, int):
        ids = [ids]
    if not isinstance(ids, (list, tuple)) or len(ids) != 1:
        raise PayloadError(f"proposal {ctx.proposal.id[:12]}: message_post is made on exactly one record, "
                           f"got {ids!r}")
    record_id = int(ids[0])
    kwargs = dict(call.kwargs)
    mark = marker(ctx.proposal)
    if kwargs.get("body_is_html"):
        kwargs["body"] = html_with_marker(kwargs.get("body"), mark)
    else:
        body = "" if kwargs.get("body") in (None, False) else str(kwargs.get("body"))
        kwargs["body"] = body if mark in body else f"{body}\n\n{mark}".strip()
    client = ctx.client
    found = client.search_read("mail.message", [("model", "=", call.model), ("res_id", "=", record_id),
                                                ("body", "ilike", mark)], ["id"], order="id asc")
    if found:
        message_id, adopted = int(found[0]["id"]), True
        ctx.audit_found("mail.message", [r["id"] for r in found], mark)
    else:
        message_id = int(client.call(call.model, "message_post", [record_id], **kwargs))
        adopted = False
        ctx.audit_write(call.model, "message_post", [record_id], marker=mark, message_id=message_id)
    rows = client.read("mail.message", [message_id], ["model", "res_id", "body", "message_type", "subtype_id"])
    differences: list[str] = []
    if not rows:
        differences.append(f"message {message_id} cannot be read back: it was deleted in Odoo")
        read_back: dict[str, Any] = {}
    else:
        row = rows[0]
        if row.get("model") != call.model or int(row.get("res_id") or 0) != record_id:
            differences.append(f"message {message_id} is on {row.get('model')} {row.get('res_id')}, approved on "
                               f"{call.model} {record_id}")
        if mark not in str(row.get("body") or ""):
            differences.append(f"message {message_id}: Odoo stored a body without the approved text")
        read_back = {"model": row.get("model"), "res_id": row.get("res_id"), "message_type": row.get("message_type"),
                     "subtype_id": m2o_id(row.get("subtype_id"))}
    ctx.audit.record("read_back", actor=ctx.actor, subject=ctx.proposal.id,
                     details={"model": "mail.message", "id": message_id, "read": read_back,
                              "differences": differences})
    return WriteOutcome(records=[RecordRef(model="mail.message", id=message_id),
                                 RecordRef(model=call.model, id=record_id)],
                        adopted=adopted, differences=differences, read_back=read_back)
