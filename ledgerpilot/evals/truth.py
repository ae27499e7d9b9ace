"""What the books say, computed for the agent eval by plain queries, apart from the tools under test.

A fact in an eval question is scored against one of these truths, never against the output of the tool
that answered (a wrong tool, or a tool with a wrong formula, must not score itself right). Each truth
is a short, separate reading of the books: a ``search_read`` of the records concerned and a sum in
``Decimal``, with the definitions the product documents (README "The demo", docs/agent.md):

- cash: posted journal items on bank and cash accounts (``account_type`` = ``asset_cash``) dated up to
  the day;
- what customers owe / what we owe: posted, unreconciled receivable / payable journal items, their
  ``amount_residual`` summed (credits reduce it); *overdue* is the part of the positive residuals past
  the due date (``date_maturity``, else the item's date);
- a document's amounts: the record's own ``amount_total`` / ``amount_residual``;
- draft entries of a month: journal entries in state draft dated in that month;
- a purchase order's amount: its ``amount_untaxed``; what it still has to bill: (ordered - billed
  quantity) x unit price over its lines.

Model outputs with no independent truth (the forecast's lowest point, a scenario's difference) have no
truths here; their questions are scored on routing, arguments and grounding only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ledgerpilot.domain.month import Month
from ledgerpilot.errors import LedgerpilotError

PAGE = 5000


class TruthError(LedgerpilotError):
    """A truth cannot be computed in these books (a partner or record that does not exist)."""


def _rows(client, model: str, domain: list, fields: list[str]) -> list[dict[str, Any]]:
    """Every record of ``search_read``, paged by id (no OFFSET)."""
    rows: list[dict[str, Any]] = []
    last = 0
    while True:
        page = client.search_read(model, [*domain, ("id", ">", last)], ["id", *fields], limit=PAGE, order="id asc")
        rows.extend(page)
        if len(page) < PAGE:
            return rows
        last = page[-1]["id"]


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _id(value: Any) -> int | None:
    return value[0] if isinstance(value, (list, tuple)) and value else None


def _name(value: Any) -> str:
    return value[1] if isinstance(value, (list, tuple)) and len(value) == 2 else ""


def _partner_id(client, name: str) -> int:
    rows = client.search_read("res.partner", [("name", "=ilike", name)], ["name"], limit=2)
    if len(rows) != 1:
        raise TruthError(f"{len(rows) or 'no'} partner(s) named {name!r}")
    return rows[0]["id"]


def _open_items(client, today: dt.date, account_type: str, partner: str | None = None) -> list[dict[str, Any]]:
    domain: list = [("parent_state", "=", "posted"), ("account_id.account_type", "=", account_type),
                    ("reconciled", "=", False), ("date", "<=", today.isoformat())]
    if partner is not None:
        domain.append(("partner_id", "=", _partner_id(client, partner)))
    rows = _rows(client, "account.move.line", domain, ["amount_residual", "date", "date_maturity", "partner_id"])
    return [r for r in rows if r.get("amount_residual")]


def _sign(account_type: str) -> int:
    return 1 if account_type == "asset_receivable" else -1


def _open_total(client, today: dt.date, account_type: str, partner: str | None = None) -> Decimal:
    sign = _sign(account_type)
    return sum((_money(r["amount_residual"]) * sign for r in _open_items(client, today, account_type, partner)),
               Decimal(0))


def _overdue(client, today: dt.date, account_type: str, partner: str | None = None) -> Decimal:
    sign = _sign(account_type)
    total = Decimal(0)
    for row in _open_items(client, today, account_type, partner):
        amount = _money(row["amount_residual"]) * sign
        due = dt.date.fromisoformat(str(row.get("date_maturity") or row["date"])[:10])
        if amount > 0 and due < today:
            total += amount
    return total


def _largest(client, today: dt.date, account_type: str) -> str:
    sign = _sign(account_type)
    balances: dict[int, Decimal] = defaultdict(Decimal)
    names: dict[int, str] = {}
    for row in _open_items(client, today, account_type):
        pid = _id(row.get("partner_id"))
        if pid is None:
            continue
        balances[pid] += _money(row["amount_residual"]) * sign
        names[pid] = _name(row["partner_id"])
    if not balances:
        raise TruthError("nothing is open")
    return names[max(balances, key=lambda pid: (balances[pid], -pid))]


# ----------------------------------------------------------------------------------------- truths


def cash_total(client, today: dt.date) -> Decimal:
    rows = _rows(client, "account.move.line", [("parent_state", "=", "posted"),
                                               ("account_id.account_type", "=", "asset_cash"),
                                               ("date", "<=", today.isoformat())], ["balance"])
    return sum((_money(r["balance"]) for r in rows), Decimal(0))


def receivables_total(client, today: dt.date) -> Decimal:
    return _open_total(client, today, "asset_receivable")


def receivables_overdue(client, today: dt.date) -> Decimal:
    return _overdue(client, today, "asset_receivable")


def payables_total(client, today: dt.date) -> Decimal:
    return _open_total(client, today, "liability_payable")


def payables_overdue(client, today: dt.date) -> Decimal:
    return _overdue(client, today, "liability_payable")


def largest_debtor(client, today: dt.date) -> str:
    return _largest(client, today, "asset_receivable")


def largest_creditor(client, today: dt.date) -> str:
    return _largest(client, today, "liability_payable")


def partner_receivable(client, today: dt.date, partner: str) -> Decimal:
    return _open_total(client, today, "asset_receivable", partner)


def partner_overdue(client, today: dt.date, partner: str) -> Decimal:
    return _overdue(client, today, "asset_receivable", partner)


def partner_payable(client, today: dt.date, partner: str) -> Decimal:
    return _open_total(client, today, "liability_payable", partner)


def _document(client, reference: str, field: str) -> Any:
    rows = client.search_read("account.move", [("name", "=", reference)], [field], limit=1)
    if not rows:
        rows = client.search_read("purchase.order", [("name", "=", reference)], [field], limit=1)
    if not rows:
        raise TruthError(f"no invoice, bill, entry or purchase order numbered {reference!r}")
    return rows[0][field]


def document_total(client, today: dt.date, reference: str) -> Decimal:
    return _money(_document(client, reference, "amount_total"))


def document_open(client, today: dt.date, reference: str) -> Decimal:
    return _money(_document(client, reference, "amount_residual"))


def document_partner(client, today: dt.date, reference: str) -> str:
    return _name(_document(client, reference, "partner_id"))


def order_untaxed(client, today: dt.date, order: str) -> Decimal:
    rows = client.search_read("purchase.order", [("name", "=", order)], ["amount_untaxed"], limit=1)
    if not rows:
        raise TruthError(f"no purchase order {order!r}")
    return _money(rows[0]["amount_untaxed"])


def order_to_bill(client, today: dt.date, order: str) -> Decimal:
    """What a purchase order still has to bill, before tax: (ordered - billed quantity) x unit price per line."""
    rows = client.search_read("purchase.order", [("name", "=", order)], ["id"], limit=1)
    if not rows:
        raise TruthError(f"no purchase order {order!r}")
    lines = _rows(client, "purchase.order.line", [("order_id", "=", rows[0]["id"]), ("display_type", "=", False)],
                  ["product_qty", "qty_invoiced", "price_unit"])
    total = sum((Decimal(str(r["product_qty"] or 0)) - Decimal(str(r["qty_invoiced"] or 0))) * Decimal(str(r["price_unit"] or 0))
                for r in lines)
    return _money(max(total, Decimal(0)))


def draft_entries(client, today: dt.date, month: str | None = None) -> int:
    period = Month.parse(month) if month else Month.of(today)
    return client.search_count("account.move", [("state", "=", "draft"), ("date", ">=", period.start.isoformat()),
                                                ("date", "<=", period.end.isoformat())])


#: name -> fn(client, today, **params); the names questions use under ``truths``
TRUTHS: Mapping[str, Callable[..., Any]] = {fn.__name__: fn for fn in (
    cash_total, receivables_total, receivables_overdue, payables_total, payables_overdue, largest_debtor,
    largest_creditor, partner_receivable, partner_overdue, partner_payable, document_total, document_open,
    document_partner, order_untaxed, order_to_bill, draft_entries)}


def compute(client, today: dt.date, name: str, params: Mapping[str, Any]) -> Any:
    """The value of truth ``name`` in these books; :class:`TruthError` when it has none."""
    try:
        return TRUTHS[name](client, today, **dict(params))
    except TypeError as exc:
        raise TruthError(f"truth {name}: {exc}") from None
