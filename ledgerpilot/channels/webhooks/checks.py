"""The checks an Odoo event starts: a posted vendor bill or a registered payment is scanned for
anomalies (duplicate bill, payment without an open bill, unusual amount, ...), a confirmed purchase
order is checked against its budget.

Nothing in the webhook body is trusted: the record is read back from Odoo first, and an event that
does not call for a check (a customer invoice, a draft bill, a cancelled order) is recorded as
skipped with the reason. Each check is one of the product's own capabilities, so its findings,
alerts and proposals are stored exactly as when the check runs on the schedule or from the CLI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledgerpilot.memory.serve_state import WebhookEvent

VENDOR_BILL_TYPES = ("in_invoice", "in_refund")
CONFIRMED_ORDER_STATES = ("purchase", "done")
#: look this far before the record's write_date so the scan's scope surely includes it
SCAN_MARGIN = dt.timedelta(seconds=2)


class EventSkipped(Exception):
    """The event calls for no check (wrong type or state); the message says why."""


@dataclass
class WebhookChecks:
    """Runs the check an event calls for; returns a JSON-safe summary of what it found."""

    client_factory: Callable[[], Any]          # a connected OdooClient (closed after each event)
    home: Path
    settings: Any
    today: Callable[[], dt.date] = dt.date.today

    def run(self, event: WebhookEvent) -> dict[str, Any]:
        client = self.client_factory()
        try:
            if event.model == "purchase.order":
                return self._purchase_order(client, event.record_id)
            return self._scan_record(client, event.model, event.record_id)
        finally:
            client.close()

    def _read(self, client, model: str, record_id: int, fields: list[str]) -> Mapping[str, Any]:
        rows = client.read(model, [record_id], fields)
        if not rows:
            raise EventSkipped(f"{model} {record_id} does not exist (deleted since the event?)")
        return rows[0]

    def _scan_record(self, client, model: str, record_id: int) -> dict[str, Any]:
        from ledgerpilot.tools.anomaly_scan import scan_anomalies

        if model == "account.move":
            move = self._read(client, model, record_id, ["name", "move_type", "state", "write_date"])
            if move["move_type"] not in VENDOR_BILL_TYPES:
                raise EventSkipped(f"{move['name']} is not a vendor bill ({move['move_type']})")
            if move["state"] != "posted":
                raise EventSkipped(f"{move['name']} is {move['state']}, not posted")
            name, changed = move["name"], move["write_date"]
        else:
            payment = self._read(client, model, record_id, ["name", "state", "write_date", "move_id"])
            if payment["state"] in ("draft", "cancel", "canceled"):
                raise EventSkipped(f"payment {payment['name']} is {payment['state']}")
            name, changed = payment["name"], payment["write_date"]
        since = dt.datetime.fromisoformat(str(changed)) - SCAN_MARGIN
        outcome = scan_anomalies(client, self.home, today=self.today(), since=since, settings=self.settings)
        mine = [item for item in outcome.items if any(r.model == model and r.id == record_id
                                                      for r in item.anomaly.records)]
        return {"check": "anomaly scan", "record": name, "findings": [
            {"id": item.key, "detector": item.anomaly.detector, "title": item.anomaly.title, "risk": round(item.shown_risk, 4), "status": item.status,
             "proposals": list(item.proposal_ids)} for item in mine],
            "scope": dict(outcome.scope_counts or {})}

    def _purchase_order(self, client, record_id: int) -> dict[str, Any]:
        from ledgerpilot.calc.budget_errors import EmptyPurchaseOrderError
        from ledgerpilot.tools.budget_watch import check_purchase_order

        order = self._read(client, "purchase.order", record_id, ["name", "state"])
        if order["state"] not in CONFIRMED_ORDER_STATES:
            raise EventSkipped(f"{order['name']} is {order['state']}, not confirmed")
        try:
            outcome = check_purchase_order(client, order["name"], as_of=self.today(),
                                           budget_file=self.settings.budget_file)
        except EmptyPurchaseOrderError as exc:
            raise EventSkipped(f"{order['name']}: {exc}") from None
        check = outcome.check
        return {"check": "purchase order budget", "record": check.order_name, "fits": check.fits,
                "reason": check.reason, "total": str(check.total), "currency": check.currency,
                "period": outcome.period}
