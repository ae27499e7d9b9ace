"""Finding the Odoo record a reference names: an invoice, bill, entry, payment, order or partner.

People quote what they see: a document number ("INV/2026/00042", "P00059"), a vendor's bill
reference, a payment reference, a customer's order reference, or a partner's name. The search goes
from the most precise to the loosest and stops at the first step that finds something:

1. the record's own number (``name``), ignoring case, on every model;
2. the references: ``ref`` / ``payment_reference`` of moves, ``payment_reference`` of payments,
   the vendor's ``partner_ref`` of purchase orders, the customer's ``client_order_ref`` of sale
   orders, a partner's ``ref``;
3. a part of a number or of a partner's name.

One ``search_read`` per model and step, with a limit; never one call per record. A payment's own
journal entry carries the same number and reference as the payment, so it is folded into it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ledgerpilot.domain.money import from_wire
from ledgerpilot.odoo.extract import m2o_id

#: rows read per model and step: enough to see that a reference is ambiguous
LIMIT = 6

MOVE_FIELDS = ["name", "ref", "payment_reference", "move_type", "partner_id", "date", "invoice_date",
               "invoice_date_due", "amount_total", "amount_residual", "state", "payment_state", "currency_id",
               "journal_id"]
PAYMENT_FIELDS = ["name", "payment_reference", "partner_id", "date", "amount", "state", "currency_id", "move_id",
                  "is_reconciled", "payment_type", "partner_type"]
PURCHASE_FIELDS = ["name", "partner_ref", "partner_id", "date_order", "date_planned", "amount_untaxed",
                   "amount_total", "state", "invoice_status", "currency_id"]
SALE_FIELDS = ["name", "client_order_ref", "partner_id", "date_order", "amount_untaxed", "amount_total", "state",
               "invoice_status", "currency_id"]
PARTNER_FIELDS = ["name", "ref", "email", "customer_rank", "supplier_rank", "is_company"]

FIELDS: dict[str, list[str]] = {"account.move": MOVE_FIELDS, "account.payment": PAYMENT_FIELDS,
                                "purchase.order": PURCHASE_FIELDS, "sale.order": SALE_FIELDS,
                                "res.partner": PARTNER_FIELDS}
#: the order in which models are searched and candidates listed
MODELS: tuple[str, ...] = ("account.move", "account.payment", "purchase.order", "sale.order", "res.partner")

MOVE_KINDS = {"out_invoice": "customer invoice", "out_refund": "customer credit note", "in_invoice": "vendor bill",
              "in_refund": "vendor credit note", "out_receipt": "sales receipt", "in_receipt": "purchase receipt",
              "entry": "journal entry"}


def _steps(reference: str) -> list[tuple[str, dict[str, list]]]:
    """(step name, model -> domain) from the most precise step to the loosest."""
    return [
        ("exact", {model: [("name", "=ilike", reference)] for model in MODELS}),
        ("reference", {
            "account.move": ["|", ("ref", "ilike", reference), ("payment_reference", "ilike", reference)],
            "account.payment": [("payment_reference", "ilike", reference)],
            "purchase.order": [("partner_ref", "ilike", reference)],
            "sale.order": [("client_order_ref", "ilike", reference)],
            "res.partner": [("ref", "=ilike", reference)],
        }),
        ("partial", {model: [("name", "ilike", reference)] for model in MODELS}),
    ]


@dataclass(frozen=True)
class Found:
    """One record that matches, with the fields the answer shows."""

    model: str
    id: int
    name: str
    kind: str
    row: dict[str, Any]

    @property
    def is_document(self) -> bool:
        """An invoice, bill, credit note, order: what a reference usually means."""
        return self.kind not in ("journal entry", "customer payment", "vendor payment", "customer", "vendor",
                                 "customer and vendor", "contact")

    def label(self) -> str:
        partner = _name(self.row.get("partner_id"))
        return f"{self.kind} {self.name}" + (f" ({partner})" if partner and partner != self.name else "")


def _name(many2one: Any) -> str | None:
    return str(many2one[1]) if isinstance(many2one, (list, tuple)) and len(many2one) > 1 else None


def _kind(model: str, row: dict[str, Any]) -> str:
    if model == "account.move":
        return MOVE_KINDS.get(row.get("move_type") or "entry", "journal entry")
    if model == "account.payment":
        return "customer payment" if row.get("partner_type") == "customer" else "vendor payment"
    if model == "purchase.order":
        return "purchase order"
    if model == "sale.order":
        return "sale order"
    customer, vendor = (row.get("customer_rank") or 0) > 0, (row.get("supplier_rank") or 0) > 0
    return "customer and vendor" if customer and vendor else "customer" if customer else \
        "vendor" if vendor else "contact"


def search_step(client, domains: dict[str, list]) -> tuple[list[Found], bool]:
    """Every model's matches for one step (payments' own journal entries folded into the payment), and
    whether a model had more matches than were read."""
    found: list[Found] = []
    more = False
    for model in MODELS:
        if model not in ("account.move", "res.partner") and not client.has_model(model):
            continue
        rows = client.search_read(model, domains[model], FIELDS[model], limit=LIMIT, order="id desc")
        more = more or len(rows) >= LIMIT
        found.extend(Found(model=model, id=int(r["id"]), name=str(r.get("name") or f"{model} {r['id']}"),
                           kind=_kind(model, r), row=r) for r in rows)
    payment_moves = {m2o_id(f.row.get("move_id")) for f in found if f.model == "account.payment"}
    return [f for f in found if not (f.model == "account.move" and f.id in payment_moves)], more


@dataclass(frozen=True)
class Lookup:
    """What a reference found: the step that matched, the matches, and whether there were more."""

    step: str
    found: list[Found]
    more: bool


def find_records(client, reference: str) -> Lookup:
    """The first step with matches and its matches (empty when nothing matches anywhere)."""
    for step, domains in _steps(reference):
        found, more = search_step(client, domains)
        if found:
            return Lookup(step, found, more)
    return Lookup("none", [], False)


def step_words(step: str) -> str:
    """How the record was matched, in words."""
    return {"exact": "its number or name", "reference": "a reference", "partial": "part of its number or name"}.get(
        step, step)


def pick(found: list[Found]) -> tuple[Found | None, list[Found]]:
    """The one record meant, and the others: a single match, else the single document among them."""
    if len(found) == 1:
        return found[0], []
    documents = [f for f in found if f.is_document]
    if len(documents) == 1:
        return documents[0], [f for f in found if f is not documents[0]]
    return None, found


def _day(value: Any) -> str | None:
    if not value:
        return None
    return str(value)[:10]


def record_data(found: Found, digits: dict[str, int], today: dt.date, company_currency: str) -> dict[str, Any]:
    """The record's key fields: every figure in its own field, money as Decimal, dates ISO."""
    row, model = found.row, found.model
    currency = _name(row.get("currency_id")) or company_currency
    places = digits.get(currency or "", 2)
    data: dict[str, Any] = {"model": model, "name": found.name, "kind": found.kind,
                            "partner": _name(row.get("partner_id")), "currency": currency}
    if model == "account.move":
        due = _day(row.get("invoice_date_due"))
        residual = from_wire(row.get("amount_residual"), places)
        data.update({"reference": row.get("ref") or None, "payment_reference": row.get("payment_reference") or None,
                     "journal": _name(row.get("journal_id")), "date": _day(row.get("date")),
                     "invoice_date": _day(row.get("invoice_date")), "due_date": due,
                     "amount_total": from_wire(row.get("amount_total"), places), "amount_residual": residual,
                     "state": row.get("state"), "payment_state": row.get("payment_state") or None,
                     "days_overdue": None})
        if due and residual and row.get("state") == "posted" and found.kind != "journal entry":
            data["days_overdue"] = max(0, (today - dt.date.fromisoformat(due)).days)
    elif model == "account.payment":
        data.update({"reference": row.get("payment_reference") or None, "date": _day(row.get("date")),
                     "amount": from_wire(row.get("amount"), places), "state": row.get("state"),
                     "direction": "incoming" if row.get("payment_type") == "inbound" else "outgoing",
                     "reconciled": bool(row.get("is_reconciled"))})
    elif model in ("purchase.order", "sale.order"):
        reference = row.get("partner_ref") if model == "purchase.order" else row.get("client_order_ref")
        data.update({"reference": reference or None, "order_date": _day(row.get("date_order")),
                     "amount_untaxed": from_wire(row.get("amount_untaxed"), places),
                     "amount_total": from_wire(row.get("amount_total"), places), "state": row.get("state"),
                     "invoice_status": row.get("invoice_status") or None})
        if model == "purchase.order":
            data["planned_date"] = _day(row.get("date_planned"))
    else:
        data.update({"reference": row.get("ref") or None, "email": row.get("email") or None,
                     "is_company": bool(row.get("is_company"))})
    return data
