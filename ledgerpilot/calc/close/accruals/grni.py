"""Goods received not billed: accrue the untaxed value of what arrived and was not invoiced yet.

Per purchase order line, the quantity to accrue is what was received by the month end less what
was billed (``qty_received - qty_invoiced`` on the line; when stock moves exist for the line, only
the receipts dated up to the month end count). Its value is ``quantity x price_unit x (1 -
discount)`` in the order currency, rounded to that currency's decimals, then divided by the month-end rate (units
of order currency per company unit) and rounded again. One entry per purchase order: each line
debits the account a bill of its product books to (with the line's analytic distribution), one line
credits the accrued-expenses account with the vendor as partner.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from ledgerpilot.calc.close.accruals.entries import DraftEntry, EntryLine
from ledgerpilot.calc.close.accruals.frames import AccrualData, text
from ledgerpilot.domain.money import format_amount, minor_to_decimal, quantize
from ledgerpilot.domain.proposal import RecordRef

QTY_TOLERANCE = Decimal("0.0001")


def grni_ref(label: str, order_name: str) -> str:
    return f"Accrual {label}: goods received not billed {order_name}"


def _num(value: Any) -> Decimal:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return Decimal(0)
    return Decimal(str(float(value)))


def _qty_text(qty: Decimal) -> str:
    return format(qty.normalize(), "f")


def _distribution(value: Any) -> dict | None:
    return dict(value) if isinstance(value, dict) and value else None


def _opt_int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _receipts_by_line(data: AccrualData) -> dict[int, list[tuple[dt.date, Decimal, int | None, str]]]:
    """line id -> [(date, quantity, picking id, picking name)] of its done receipts (any date)."""
    found: dict[int, list[tuple[dt.date, Decimal, int | None, str]]] = {}
    moves = data.receipt_moves
    for row in moves.itertuples(index=False):
        line_id = _opt_int(row.purchase_line_id)
        if line_id is None:
            continue
        day = pd.Timestamp(row.date).date()
        found.setdefault(line_id, []).append((day, _num(row.quantity), _opt_int(row.picking_id),
                                              text(row.picking_name)))
    return found


def grni_entries(data: AccrualData) -> tuple[list[DraftEntry], list[str]]:
    """The goods-received-not-billed entries of the month, and the lines left out with the reason."""
    skipped: list[str] = []
    lines = data.purchase_lines
    if lines.empty:
        return [], skipped
    if data.accrued_account_id is None:
        return [], ["goods received not billed: no accrued-expenses account to credit (configure one)"]
    month, digits = data.month, data.digits
    receipts = _receipts_by_line(data)
    entries: list[DraftEntry] = []
    for order_id, group in lines.groupby("order_id", sort=True):
        order_name = text(group["order_name"].iloc[0], f"purchase order {order_id}")
        partner_id = _opt_int(group["partner_id"].iloc[0])
        partner_name = text(group["partner_name"].iloc[0], f"partner {partner_id}")
        debit_lines: list[EntryLine] = []
        details: list[dict[str, Any]] = []
        words: list[str] = []
        records = [RecordRef(model="purchase.order", id=int(order_id), name=order_name)]
        pickings: dict[int, str] = {}
        for row in group.sort_values("line_id").itertuples(index=False):
            line_id = int(row.line_id)
            received = _num(row.qty_received)
            moves = receipts.get(line_id)
            if moves:  # stock-based: only what arrived by the month end
                received = min(received, sum((m[1] for m in moves if m[0] <= month.end), Decimal(0)))
            billed = _num(row.qty_invoiced)
            quantity = received - billed
            if quantity <= QTY_TOLERANCE:
                continue
            price = _num(row.price_unit)
            discount = _num(row.discount)
            currency = text(row.currency, data.currency)
            order_digits = digits if pd.isna(row.currency_digits) else int(row.currency_digits)
            value_currency = quantize(quantity * price * (1 - discount / 100), order_digits)
            rate = _num(row.rate) if currency != data.currency else Decimal(1)
            if rate <= 0:
                skipped.append(f"{order_name} line {line_id}: no exchange rate for {currency}; not accrued")
                continue
            value = quantize(value_currency / rate, digits)
            if value <= 0:
                continue
            account_id = _opt_int(row.expense_account_id)
            product = text(row.product_name, text(row.description, f"line {line_id}"))
            if account_id is None:
                skipped.append(f"{order_name}: no expense account known for {product}; line {line_id} not accrued")
                continue
            minor = int((value * (10 ** digits)).to_integral_value(rounding=ROUND_HALF_UP))
            debit_lines.append(EntryLine(account_id=account_id, partner_id=partner_id,
                                         name=f"{order_name}: {product}, {_qty_text(quantity)} received not billed",
                                         debit=minor, analytic_distribution=_distribution(row.analytic_distribution)))
            line_moves = [m for m in (moves or []) if m[0] <= month.end]
            for _day, _qty, picking_id, picking_name in line_moves:
                if picking_id is not None:
                    pickings[picking_id] = picking_name
            when = ", ".join(f"{_qty_text(q)} on {d.isoformat()}" + (f" ({p})" if p else "")
                             for d, q, _pid, p in line_moves)
            line_words = (f"{product}: {_qty_text(received)} received" + (f" [{when}]" if when else "")
                          + f", {_qty_text(billed)} billed -> {_qty_text(quantity)} x {price} {currency}")
            if discount:
                line_words += f" less {discount}%"
            line_words += f" = {value_currency} {currency}"
            if currency != data.currency:
                line_words += f" / {rate} = {value} {data.currency}"
            words.append(line_words)
            records.append(RecordRef(model="purchase.order.line", id=line_id, name=product))
            details.append({"line_id": line_id, "product": product, "qty_received": received, "qty_billed": billed,
                            "qty_accrued": quantity, "price_unit": price, "discount_percent": discount,
                            "currency": currency, "rate": rate, "value_currency": value_currency,
                            "value": value, "account": data.account_label(account_id)})
        if not debit_lines:
            continue
        total = sum(line.debit for line in debit_lines)
        credit = EntryLine(account_id=int(data.accrued_account_id), partner_id=partner_id, credit=total,
                           name=f"{order_name}: goods received not billed ({partner_name})")
        records.extend(RecordRef(model="stock.picking", id=pid, name=name) for pid, name in sorted(pickings.items()))
        amount = minor_to_decimal(total, digits)
        ref = grni_ref(month.label, order_name)
        entries.append(DraftEntry(
            kind="accrual", ref=ref, date=month.end,
            title=f"Accrue {format_amount(amount)} {data.currency} of goods received not billed on "
                  f"{order_name} ({partner_name})",
            summary=(f"{partner_name} delivered goods on {order_name} that are not billed yet; accrue their untaxed "
                     f"value at {month.end.isoformat()} (debit the expense, credit {data.accrued_account_name}) "
                     f"and reverse it on the first day of next month."),
            lines=(*debit_lines, credit), records=tuple(records),
            figures={"rule": "goods_received_not_billed", "purchase_order": order_name, "vendor": partner_name,
                     "amount": amount, "currency": data.currency, "lines": details,
                     "calculation": "; ".join(words) + f"; total {amount} {data.currency}"},
            reverse=True))
    return entries, skipped
