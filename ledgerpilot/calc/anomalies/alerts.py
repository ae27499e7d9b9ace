"""Alerts as proposals: what an anomaly worth a look asks of people (pure: anomaly in, proposals out).

For each alerted anomaly that may propose (see :mod:`ledgerpilot.calc.anomalies.suppression`):

- an ``activity`` (``mail.activity`` create, type "Exception") on the record to open, for the person
  whose work it is: the AP manager for bills, payments and purchase mismatches, the inventory
  accountant for inventory valuation, the controller for journal entries, postings and credit notes
  (:func:`role_of`; the users come from settings, and without one the activity has no assignee and
  Odoo gives it to whoever approves it);
- a ``note`` in that record's chatter (``message_post``, subtype note) with the reason, the risk, the
  records involved and what happened last time with a similar finding;
- for a duplicate vendor bill at or above :attr:`AlertSettings.hold_min_risk` that is not paid yet, a
  second activity "Do not pay until cleared" on the suspect bill. Odoo 17 has no standard way to block
  the payment of a posted vendor bill over RPC (``to_check`` only flags it for review and does not stop
  a payment run), so the hold is that activity plus the note, for the AP manager: it asks, it never blocks.

The proposals of one alert share the finding ``anomaly:<key>``: they are one item on the approval page,
approved or rejected together.

Records without a chatter (``stock.valuation.layer``) get their activity and note on the product of
the finding when it cites one, else its purchase order, else the first record that has a chatter (the
valuation's journal entry). Every proposal carries the
anomaly's key and figures as evidence; deadlines count from the day the anomaly was first seen, so a
rescan proposes exactly the same payload and the store's idempotency keeps it single.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ledgerpilot.calc.chatter import paragraphs_html
from ledgerpilot.domain.money import format_amount
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.proposal import Evidence, OdooCall, Proposal, RecordRef

CREATED_BY = "ledgerpilot:anomalies"
EXCEPTION_ACTIVITY = "mail.mail_activity_data_warning"
NOTE_SUBTYPE = "mail.mt_note"

Role = Literal["ap", "inventory", "gl"]
ROLE_NAMES: Mapping[str, str] = {"ap": "the AP manager", "inventory": "the inventory accountant",
                                 "gl": "the controller"}
#: kind -> role, where the kind alone decides
ROLE_BY_KIND: Mapping[str, Role] = {
    "duplicate_bill_same_reference": "ap", "duplicate_bill_same_amount": "ap",
    "duplicate_bill_reference_variant": "ap", "payment_without_open_bill": "ap", "bill_amount_outlier": "ap",
    "payment_amount_outlier": "ap", "quantity_mismatch": "ap",
    "unit_cost_jump": "inventory",
    "large_credit_note": "gl", "round_amount_manual_entry": "gl", "posting_at_odd_hour": "gl",
    "posting_on_weekend": "gl", "posting_by_unusual_user": "gl", "rare_account_combination": "gl",
}
#: primary record model -> role, for kinds not listed above
ROLE_BY_MODEL: Mapping[str, Role] = {"account.payment": "ap", "purchase.order": "ap",
                                     "stock.valuation.layer": "inventory", "product.product": "inventory"}
#: models with a chatter and activities (mail.thread + mail.activity.mixin) in Odoo 17
MAIL_MODELS = ("account.move", "account.payment", "purchase.order", "product.product", "product.template",
               "res.partner", "stock.picking", "sale.order")
DUPLICATE_KINDS = ("duplicate_bill_same_reference", "duplicate_bill_same_amount", "duplicate_bill_reference_variant")


@dataclass(frozen=True)
class AlertSettings:
    """Who gets which alerts and when a duplicate bill calls for a hold."""

    ap_user_id: int | None = None
    inventory_user_id: int | None = None
    gl_user_id: int | None = None
    hold_min_risk: float = 0.85
    deadline_days: int = 3

    def __post_init__(self) -> None:
        if not 0 < self.hold_min_risk <= 1:
            raise ValueError(f"hold_min_risk must be above 0 and at most 1, not {self.hold_min_risk}")
        if self.deadline_days < 0:
            raise ValueError(f"deadline_days must not be negative, not {self.deadline_days}")

    def user_for(self, role: str) -> int | None:
        return {"ap": self.ap_user_id, "inventory": self.inventory_user_id, "gl": self.gl_user_id}[role]


@dataclass(frozen=True)
class Alert:
    """One anomaly to alert on, with what the scan knows around it."""

    anomaly: Anomaly
    risk: float
    first_seen: dt.date
    last_time: str | None = None      # what happened with the most similar past finding
    unpaid: bool = True               # for a duplicate bill: the suspect bill is not paid yet


def role_of(anomaly: Anomaly) -> Role:
    """Whose work the anomaly is: ``ap``, ``inventory`` or ``gl`` (the controller, by default)."""
    return ROLE_BY_KIND.get(anomaly.kind) or ROLE_BY_MODEL.get(anomaly.primary.model, "gl")


def chatter_target(anomaly: Anomaly) -> RecordRef | None:
    """The record an activity and a note about ``anomaly`` go on (None when none has a chatter)."""
    if anomaly.primary.model in MAIL_MODELS:
        return anomaly.primary
    for model in ("product.product", "purchase.order"):
        for ref in anomaly.records:
            if ref.model == model:
                return ref
    product_id = (anomaly.figures or {}).get("product_id")
    if isinstance(product_id, int) and not isinstance(product_id, bool) and product_id > 0:
        return RecordRef(model="product.product", id=product_id, name=str(anomaly.figures.get("product_name") or ""))
    return next((ref for ref in anomaly.records if ref.model in MAIL_MODELS), None)


def finding_of(anomaly: Anomaly) -> str:
    """The finding an anomaly's proposals share (its key: detector and records, stable across scans)."""
    return f"anomaly:{anomaly.key}"


def _decimals(value: Any) -> Any:
    """Figures -> evidence values: floats become Decimals (proposals refuse floats), NaN becomes None."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return None if not math.isfinite(value) else Decimal(str(round(value, 6)))
    if isinstance(value, Mapping):
        return {str(k): _decimals(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_decimals(v) for v in value]
    if hasattr(value, "item") and callable(value.item):   # numpy scalars
        return _decimals(value.item())
    return value


def _evidence(alert: Alert) -> Evidence:
    anomaly = alert.anomaly
    figures = {"anomaly_key": anomaly.key, "title": anomaly.title, "detector": anomaly.detector, "kind": anomaly.kind,
               "score": _decimals(round(anomaly.score, 4)), "risk": _decimals(round(alert.risk, 4)),
               "amount": anomaly.amount, "occurred_on": anomaly.occurred_on, "partner": anomaly.partner,
               "user": anomaly.user, "first_seen": alert.first_seen, "figures": _decimals(dict(anomaly.figures))}
    return Evidence(records=anomaly.records, figures=figures)


def _ref_words(ref: RecordRef) -> str:
    return f"{ref.name} ({ref.model} {ref.id})" if ref.name else f"{ref.model} {ref.id}"


def _paragraphs(alert: Alert, currency: str) -> list[str]:
    anomaly = alert.anomaly
    amount = f" Amount: {format_amount(anomaly.amount)} {currency}." if anomaly.amount is not None else ""
    lines = [f"{anomaly.title}. {anomaly.reason}",
             (f"Risk {alert.risk:.2f} (detector {anomaly.detector}, {anomaly.kind.replace('_', ' ')}, "
              f"score {anomaly.score:.2f}).{amount}"),
             "Records: " + "; ".join(_ref_words(ref) for ref in anomaly.records) + ".",
             alert.last_time or "",
             (f"Anomaly id {anomaly.key}: dispose of it with `ledgerpilot anomalies dispose {anomaly.key} "
              "false-positive|investigate|corrected --note ...`.")]
    return [line for line in lines if line]


def activity_values(target: RecordRef, summary: str, paragraphs: Sequence[str], deadline: dt.date,
              user_id: int | None) -> dict[str, Any]:
    values: dict[str, Any] = {"res_model": target.model, "res_id": target.id, "activity_type_id": EXCEPTION_ACTIVITY,
                              "summary": summary[:250], "note": paragraphs_html(paragraphs), "date_deadline": deadline}
    if user_id is not None:
        values["user_id"] = int(user_id)
    return values


def alert_proposals(alert: Alert, *, settings: AlertSettings, run_id: str, currency: str = "") -> list[Proposal]:
    """The proposals one alert calls for: an activity and a note, and a hold for a strong unpaid duplicate."""
    anomaly = alert.anomaly
    target = chatter_target(anomaly)
    if target is None:
        return []
    role = role_of(anomaly)
    user_id = settings.user_for(role)
    who = ROLE_NAMES[role]
    deadline = alert.first_seen + dt.timedelta(days=settings.deadline_days)
    paragraphs = _paragraphs(alert, currency)
    evidence = _evidence(alert)
    finding = finding_of(anomaly)
    summary = f"Review anomaly: {anomaly.title}"
    activity = Proposal(
        kind="activity", title=f"Activity for {who}: {summary}"[:300],
        summary=f"{anomaly.reason} (risk {alert.risk:.2f})" + (f" {alert.last_time}" if alert.last_time else ""),
        payload=OdooCall(model="mail.activity", method="create",
                         args=(activity_values(target, summary, paragraphs, deadline, user_id),)),
        evidence=evidence, run_id=run_id, created_by=CREATED_BY, finding=finding)
    note = Proposal(
        kind="note", title=f"Note on {_ref_words(target)}: {anomaly.title}"[:300], summary=anomaly.reason,
        payload=OdooCall(model=target.model, method="message_post", args=([target.id],),
                         kwargs={"body": paragraphs_html(["Possible anomaly found by ledgerpilot.", *paragraphs]),
                                 "message_type": "comment", "subtype_xmlid": NOTE_SUBTYPE, "body_is_html": True}),
        evidence=evidence, run_id=run_id, created_by=CREATED_BY, finding=finding)
    proposals = [activity, note]
    if (anomaly.kind in DUPLICATE_KINDS and alert.risk >= settings.hold_min_risk and alert.unpaid
            and target.model == "account.move"):
        others = [ref for ref in anomaly.records[1:] if ref.model == "account.move"]
        of = f" of {', '.join(_ref_words(ref) for ref in others)}" if others else ""
        hold_summary = f"Do not pay until cleared: possible duplicate{of}"
        hold = Proposal(
            kind="activity", title=f"Payment hold for {ROLE_NAMES['ap']}: {_ref_words(target)}"[:300],
            summary=(f"{hold_summary}. A hold asks the AP manager not to pay this bill until the duplicate is "
                     "cleared; nothing in Odoo is blocked."),
            payload=OdooCall(model="mail.activity", method="create",
                             args=(activity_values(target, hold_summary,
                                             [f"{hold_summary}.", *paragraphs,
                                              "Mark this activity done once the bill is cleared (or cancelled)."],
                                             alert.first_seen, settings.ap_user_id),)),
            evidence=evidence, run_id=run_id, created_by=CREATED_BY, finding=finding)
        proposals.append(hold)
    return proposals
