"""The checks an Odoo event starts: a posted vendor bill or a registered payment is scanned for
anomalies (duplicate bill, payment without an open bill, unusual amount, ...), a confirmed purchase
order is checked against its budget.

Nothing in the webhook body is trusted: the record is read back from Odoo first, and an event that
does not call for a check (a customer invoice, a draft bill, a cancelled order) is recorded as
skipped with the reason. Each check is one of the product's own capabilities, so its findings,
alerts and proposals are stored exactly as when the check runs on the schedule or from the CLI.

What is read back decides, version by version (the record's ``write_date``):
- a record older than the version the body announced, or not there at all, is a change Odoo has not
  committed yet (Odoo 17 notifies from inside its transaction): :class:`NotCommittedYet`, tried again;
- a version some earlier event already checked is not checked again (:class:`EventSkipped` naming it):
  two rules on one change, or a rule and a relay, make one check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledgerpilot.channels.webhooks.payload import record_version
from ledgerpilot.memory.serve_state import ServeState, WebhookEvent

VENDOR_BILL_TYPES = ("in_invoice", "in_refund")
CONFIRMED_ORDER_STATES = ("purchase", "done")
#: payments in these states move no money (17: draft/cancel; 18+: also canceled, rejected)
IDLE_PAYMENT_STATES = ("draft", "cancel", "canceled", "rejected")
#: what is read back of each model before anything is decided
READ_FIELDS = {
    "account.move": ["name", "move_type", "state", "write_date"],
    "account.payment": ["name", "state", "write_date", "move_id"],
    "purchase.order": ["name", "state", "write_date"],
}
#: look this far before the record's write_date so the scan's scope surely includes it
SCAN_MARGIN = dt.timedelta(seconds=2)


class EventSkipped(Exception):
    """The event calls for no check (wrong type or state, already checked); the message says why."""

    def __init__(self, message: str, **details: Any):
        super().__init__(message)
        self.details = details


class NotCommittedYet(Exception):
    """The record read back is older than the change announced, or not there: Odoo has not committed it yet."""


@dataclass
class WebhookChecks:
    """Runs the check an event calls for; returns a JSON-safe summary of what it found.

    ``versions``: where the versions already checked are kept (serve's state); None: no memory of them."""

    client_factory: Callable[[], Any]          # a connected OdooClient (closed after each event)
    home: Path
    settings: Any
    today: Callable[[], dt.date] = dt.date.today
    versions: ServeState | None = None

    def run(self, event: WebhookEvent) -> dict[str, Any]:
        client = self.client_factory()
        try:
            record = self._read_back(client, event)
            version = record_version(record["write_date"])
            earlier = self.versions.checked_by(event.model, event.record_id, version) if self.versions else None
            if earlier is not None and earlier != event.key:
                raise EventSkipped(f"{_label(event.model, record)} was already checked at this version (last "
                                   f"updated {version}) by event {earlier}", duplicate_of=earlier, version=version)
            try:
                if event.model == "purchase.order":
                    result = self._purchase_order(client, record)
                else:
                    result = self._scan_record(client, event.model, record)
            except EventSkipped as exc:
                exc.details.setdefault("version", version)
                self._checked(event, version)
                raise
            self._checked(event, version)
            return {**result, "version": version}
        finally:
            client.close()

    def _checked(self, event: WebhookEvent, version: str) -> None:
        if self.versions is not None:
            self.versions.mark_checked(event.model, event.record_id, version, event.key)

    def _read_back(self, client, event: WebhookEvent) -> Mapping[str, Any]:
        """The record as Odoo has it now; :class:`NotCommittedYet` when it is missing or older than announced."""
        rows = client.read(event.model, [event.record_id], READ_FIELDS[event.model])
        if not rows:
            raise NotCommittedYet(f"{event.model} {event.record_id} does not exist (deleted, or created by a change "
                                  "Odoo has not committed yet)")
        record = rows[0]
        announced = event.payload.get("write_date")
        if announced:
            read, sent = record_version(record["write_date"]), record_version(announced)
            if read < sent:
                raise NotCommittedYet(f"{_label(event.model, record)} was last updated {read} in Odoo, before the "
                                      f"change announced at {sent}: not committed yet")
        return record

    def _scan_record(self, client, model: str, record: Mapping[str, Any]) -> dict[str, Any]:
        from ledgerpilot.tools.anomalies.scan import scan_anomalies

        record_id = int(record["id"])
        if model == "account.move":
            if record["move_type"] not in VENDOR_BILL_TYPES:
                raise EventSkipped(f"{record['name']} is not a vendor bill ({record['move_type']})")
            if record["state"] != "posted":
                raise EventSkipped(f"{record['name']} is {record['state']}, not posted")
        elif record["state"] in IDLE_PAYMENT_STATES:
            raise EventSkipped(f"payment {record['name']} is {record['state']}")
        name, changed = record["name"], record["write_date"]
        since = dt.datetime.fromisoformat(str(changed)) - SCAN_MARGIN
        outcome = scan_anomalies(client, self.home, today=self.today(), since=since, settings=self.settings)
        mine = [item for item in outcome.items if any(r.model == model and r.id == record_id
                                                      for r in item.anomaly.records)]
        return {"check": "anomaly scan", "record": name, "findings": [
            {"id": item.key, "detector": item.anomaly.detector, "title": item.anomaly.title, "risk": round(item.shown_risk, 4), "status": item.status,
             "proposals": list(item.proposal_ids)} for item in mine],
            "scope": dict(outcome.scope_counts or {})}

    def _purchase_order(self, client, order: Mapping[str, Any]) -> dict[str, Any]:
        from ledgerpilot.calc.budget.errors import EmptyPurchaseOrderError
        from ledgerpilot.tools.budget.watch import check_purchase_order

        if order["state"] not in CONFIRMED_ORDER_STATES:
            raise EventSkipped(f"{order['name']} is {order['state']}, not confirmed")
        try:
            outcome = check_purchase_order(client, order["name"], as_of=self.today(),
                                           budget_file=self.settings.budget.file)
        except EmptyPurchaseOrderError as exc:
            raise EventSkipped(f"{order['name']}: {exc}") from None
        check = outcome.check
        return {"check": "purchase order budget", "record": check.order_name, "fits": check.fits,
                "reason": check.reason, "total": str(check.total), "currency": check.currency,
                "period": outcome.period}


def _label(model: str, record: Mapping[str, Any]) -> str:
    name = record.get("name") or f"{model} {record.get('id')}"
    return f"payment {name}" if model == "account.payment" else str(name)
