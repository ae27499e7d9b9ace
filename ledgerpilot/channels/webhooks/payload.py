"""The body of an Odoo automation-rule webhook, validated, and the check each event calls for.

Odoo's "Send Webhook Notification" action (Odoo 17, 18, 19) posts JSON with ``_model``, ``_id`` and
``_action`` (the rule's name and id, ``"Name(#id)"``) plus the fields the rule selects, read with
``load=None`` (a many2one as its bare id) and serialised with ``str`` for dates: a selected
``write_date`` arrives as ``"2026-12-01 10:20:30"``. We need the model and the record; the record is
read back from Odoo before any check, so nothing in the body is trusted beyond that.

Types are strict: ``_model`` a string, ``_id`` a JSON integer from 1 to 2**31 - 1 (Odoo's ids are
PostgreSQL ``integer``) -- ``true``, ``1.0`` and ``"7"`` are refused, not coerced -- ``_action`` a
string, ``write_date`` a date and time (Odoo's ``YYYY-MM-DD HH:MM:SS``, or ISO 8601). The receiver
caps the body at :data:`MAX_BODY_BYTES` before and while reading it.

An event is one version of one record: (model, id, ``write_date``). The same version announced twice
-- two rules firing on one change, Odoo's rule and a relay both sending it -- is one event and one
check. Without a ``write_date`` in the body the version is only known once the record is read back,
so the worker makes the same comparison there (see ``checks.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError, field_validator

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


def record_version(value: Any) -> str:
    """A record's ``write_date`` as one canonical text, ``YYYY-MM-DD HH:MM:SS`` (Odoo keeps whole seconds).

    Accepts Odoo's own form (``"2026-12-01 10:20:30"``), ISO 8601 (``T``, a fraction, ``Z`` or an offset
    of zero) and a :class:`datetime.datetime`; anything else is a :class:`ValueError`."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and 10 <= len(value.strip()) <= 40:
        text = value.strip()
        text = text[:-1] + "+00:00" if text.endswith("Z") else text
        moment = dt.datetime.fromisoformat(text)
    else:
        raise ValueError(f"{value!r} is not a date and time")
    if moment.utcoffset() not in (None, dt.timedelta(0)):
        raise ValueError(f"{value!r} is not in UTC (Odoo sends its dates in UTC)")
    return moment.replace(tzinfo=None, microsecond=0).strftime("%Y-%m-%d %H:%M:%S")


def event_key(model: str, record_id: int, version: str | None) -> str:
    """The key of one version of one record (``version`` None: not known from the body)."""
    text = json.dumps([model, int(record_id), version or ""])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class OdooWebhook(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    model: StrictStr = Field(alias="_model", min_length=1, max_length=128)
    id: StrictInt = Field(alias="_id", gt=0, le=MAX_ODOO_ID)
    action: StrictStr = Field(default="", alias="_action", max_length=256)
    write_date: StrictStr | None = Field(default=None, max_length=64)

    @field_validator("write_date")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            record_version(value)
        except ValueError:
            raise ValueError("must be the record's last update as Odoo sends it (YYYY-MM-DD HH:MM:SS)") from None
        return value

    @property
    def kind(self) -> EventKind:
        return EVENT_KINDS[self.model]

    @property
    def version(self) -> str | None:
        """The record's ``write_date`` the body announces, canonical; None when the rule does not send it."""
        return record_version(self.write_date) if self.write_date is not None else None

    @property
    def key(self) -> str:
        """One key per version of a record: the same record changed again is a new event; the same change
        announced again (another rule, a resent call) is not."""
        return event_key(self.model, self.id, self.version)


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
