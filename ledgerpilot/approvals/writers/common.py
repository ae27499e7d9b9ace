"""What every write-back shares: the idempotency marker, payload values at the wire, the context.

The marker ``[lp:<first 12 hex of the proposal's idempotency key>]`` is put into the record Odoo
creates (a move's ``ref``, a payment's ``ref``, an activity's note, a message's body), and before
creating anything the record is searched for by it: a second apply after a crash or a lost answer
finds the first record and adopts it instead of creating another one. A proposal that creates
several records (a payment proposal paying several vendors) marks each one ``[lp:<key>/<n>]``.

Money travels in proposals as Decimal strings; Odoo wants numbers. :func:`wire_values` converts
each value by the field's type in Odoo's own ``fields_get`` (float/monetary -> number, many2one
``None`` -> ``False``, one2many/many2many commands recursively on the related model).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerpilot.domain.proposal import Proposal, RecordRef
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.proposal_store import Decision
from ledgerpilot.odoo.client import OdooClient
from ledgerpilot.odoo.extract import m2o_id  # noqa: F401  (the write modules take it from here)

MARKER_LENGTH = 12


class PayloadError(LedgerpilotError):
    """The proposal's payload is not a call this kind of proposal can make."""


def marker(proposal: Proposal, index: int | None = None) -> str:
    """The idempotency marker of the proposal (of its ``index``-th record when it makes several)."""
    key = proposal.idempotency_key[:MARKER_LENGTH]
    return f"[lp:{key}]" if index is None else f"[lp:{key}/{index}]"


def with_marker(text: Any, mark: str) -> str:
    """``text`` ending with the marker (once)."""
    base = "" if text in (None, False) else str(text)
    if mark in base:
        return base
    return f"{base} {mark}".strip()


def html_with_marker(html: Any, mark: str) -> str:
    base = "" if html in (None, False) else str(html)
    if mark in base:
        return base
    return f"{base}<p>{mark}</p>"


def _number(value: Any, where: str) -> Any:
    if isinstance(value, str):
        try:
            return float(Decimal(value))
        except InvalidOperation:
            raise PayloadError(f"{where}: {value!r} is not a number") from None
    if isinstance(value, Decimal):
        return float(value)
    return value


def wire_values(client: OdooClient, model: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` as Odoo expects them on the wire, by the field types of ``model``."""
    fields = client.fields_get(model)
    out: dict[str, Any] = {}
    for name, value in values.items():
        spec = fields.get(name)
        ftype = spec.get("type") if spec else None
        where = f"{model}.{name}"
        if value is None:
            value = False
        elif ftype in ("float", "monetary"):
            value = _number(value, where)
        elif ftype == "integer" and isinstance(value, str):
            value = int(value)
        elif ftype in ("one2many", "many2many") and isinstance(value, (list, tuple)):
            value = [_wire_command(client, spec.get("relation"), command, where) for command in value]
        elif ftype == "json" and isinstance(value, Mapping):
            value = {str(k): _number(v, where) for k, v in value.items()}
        elif isinstance(value, Decimal):
            value = float(value)
        out[name] = value
    return out


def _wire_command(client: OdooClient, relation: str | None, command: Any, where: str) -> Any:
    if (isinstance(command, (list, tuple)) and len(command) == 3 and command[0] in (0, 1)
            and isinstance(command[2], Mapping) and relation):
        return [command[0], command[1], wire_values(client, relation, command[2])]
    if isinstance(command, (list, tuple)):
        return list(command)
    return command


def as_number(value: Any) -> Decimal:
    """A wire or payload amount as Decimal (for comparisons, rounded by the caller)."""
    if value in (None, False, ""):
        return Decimal(0)
    return Decimal(str(value))


@dataclass
class WriteContext:
    """One apply: the client that writes, the approved proposal and its decision, the audit log."""

    client: OdooClient
    proposal: Proposal
    decision: Decision
    audit: AuditLog
    written: list[RecordRef] = field(default_factory=list)  # records touched so far, kept even on failure

    @property
    def actor(self) -> str:
        return self.client.connection.user

    def audit_write(self, model: str, method: str, ids: list[int] | int | None, **details: Any) -> None:
        for record_id in [ids] if isinstance(ids, int) else (ids or []):
            if not any(r.model == model and r.id == record_id for r in self.written):
                self.written.append(RecordRef(model=model, id=int(record_id)))
        self.audit.record("write", actor=self.actor, subject=self.proposal.id,
                          details={"model": model, "method": method, "ids": ids, **details})

    def audit_found(self, model: str, ids: list[int], mark: str) -> None:
        self.audit.record("write", actor=self.actor, subject=self.proposal.id,
                          details={"model": model, "method": "adopt", "ids": ids, "marker": mark,
                                   "why": "found in Odoo by its idempotency marker: not created again"})


@dataclass
class WriteOutcome:
    """What a writer did: the records, whether they were all already there, what Odoo changed."""

    records: list[RecordRef] = field(default_factory=list)
    adopted: bool = False
    differences: list[str] = field(default_factory=list)
    read_back: dict[str, Any] = field(default_factory=dict)


def one_call_args(proposal: Proposal, model: str | tuple[str, ...] | None, method: str) -> tuple[Any, ...]:
    """The payload's args after checking it is the call this kind of proposal makes."""
    call = proposal.payload
    models = (model,) if isinstance(model, str) else model
    if (models is not None and call.model not in models) or call.method != method:
        expected = f"{' or '.join(models)}.{method}" if models else f"<model>.{method}"
        raise PayloadError(f"a {proposal.kind} proposal must call {expected}, but proposal {proposal.id[:12]} "
                           f"calls {call.model}.{call.method}")
    return tuple(call.args)
