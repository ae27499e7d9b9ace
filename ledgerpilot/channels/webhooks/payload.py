"""The body of an Odoo automation-rule webhook, validated, and the check each event calls for.

Odoo 17's "Send Webhook Notification" action posts JSON with ``_model``, ``_id`` and ``_action``
(the rule's name and id) plus the fields the rule selects. We need the model and the record; the
record is read back from Odoo before any check, so nothing in the body is trusted beyond that.

Types are strict: ``_model`` a string, ``_id`` a JSON integer from 1 to 2**31 - 1 (Odoo's ids are
PostgreSQL ``integer``) -- ``true``, ``1.0`` and ``"7"`` are refused, not coerced -- ``_action`` and
``write_date`` strings. The receiver caps the body at :data:`MAX_BODY_BYTES` before and while reading it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

EventKind = Literal["vendor_bill", "purchase_order", "payment"]

#: the models whose events start a check, and which check
EVENT_KINDS: dict[str, EventKind] = {
    "account.move": "vendor_bill",
    "purchase.order": "purchase_order",
    "account.payment": "payment",
}
MAX_BODY_BYTES = 256 * 1024
#: The largest id Odoo can have: its ids are PostgreSQL ``integer`` columns.
MAX_ODOO_ID = 2**31 - 1


class PayloadRejected(Exception):
    """The body is not a webhook we handle; the message says what is wrong (HTTP 400)."""


class OdooWebhook(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    model: StrictStr = Field(alias="_model", min_length=1, max_length=128)
    id: StrictInt = Field(alias="_id", gt=0, le=MAX_ODOO_ID)
    action: StrictStr = Field(default="", alias="_action", max_length=256)
    write_date: StrictStr | None = Field(default=None, max_length=64)

    @property
    def kind(self) -> EventKind:
        return EVENT_KINDS[self.model]

    @property
    def key(self) -> str:
        """One key per distinct event: the same record changed again is a new event; a resent call is not."""
        text = json.dumps([self.model, self.id, self.action, self.write_date or ""])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def parse_webhook(body: bytes) -> OdooWebhook:
    if len(body) > MAX_BODY_BYTES:
        raise PayloadRejected(f"the body is larger than {MAX_BODY_BYTES // 1024} KiB")
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadRejected(f"the body is not JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise PayloadRejected("the body must be a JSON object with _model and _id")
    try:
        event = OdooWebhook.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                             for e in exc.errors(include_input=False))
        raise PayloadRejected(f"invalid webhook body: {problems}") from None
    if event.model not in EVENT_KINDS:
        raise PayloadRejected(f"events of {event.model!r} are not handled; send account.move (vendor bills), "
                              "purchase.order or account.payment")
    return event
