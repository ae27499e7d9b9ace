"""Receipts and deliveries: pickings, stock moves, valuation layers and their STJ entries.

Goods use average cost with real-time (perpetual, Anglo-Saxon) valuation as Odoo 17 does:
a receipt debits Stock Valuation and credits Stock Interim (Received), which the vendor bill then
debits; a delivery debits Stock Interim (Delivered) and credits Stock Valuation, and the customer
invoice moves that interim to Cost of Goods Sold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledgerpilot.sandbox.generator.context import COMPANY_ID, BuildContext
from ledgerpilot.sandbox.generator.moves import add_move
from ledgerpilot.sandbox.generator.products import Product
from ledgerpilot.sandbox.generator.timestamps import later, office_time


@dataclass
class StockLine:
    product: Product
    quantity: float
    order_line_id: int
    unit_cost: float | None = None  # receipts: the cost the layer records (defaults to the order price)


@dataclass
class Transfer:
    picking_id: int
    name: str
    move_ids: list[int]
    layer_ids: list[int]
    values: list[float]  # EUR value per line (positive)
    entry_ids: list[int]


def transfer(ctx: BuildContext, *, incoming: bool, day: dt.date, partner_id: int, origin: str,
             lines: list[StockLine], user: str = "admin", done: bool = True) -> Transfer:
    """A receipt (``incoming``) or delivery, valued and posted when ``done``."""
    led, rng = ctx.ledger, ctx.rng
    name = ctx.seq.next_plain("WH/IN/" if incoming else "WH/OUT/")
    picking_id = led.reserve("stock.picking")
    created = office_time(rng, day)
    uid = ctx.users[user]
    audit = {"create_uid": uid, "write_uid": uid, "create_date": created, "write_date": later(created, rng)}
    led.add("stock.picking", {
        "id": picking_id, "name": name, "origin": origin, "partner_id": partner_id, "company_id": COMPANY_ID,
        "state": "done" if done else "assigned", "scheduled_date": f"{day} 09:00:00",
        "date": f"{day} 09:00:00", "date_done": created if done else None, "date_deadline": None,
        "move_type": "direct", "priority": "0", "is_locked": True, "printed": False, "user_id": uid,
        "has_deadline_issue": False, **audit})
    move_ids, layer_ids, values, entry_ids = [], [], [], []
    for seq, line in enumerate(lines, start=1):
        product = line.product
        qty = round(line.quantity, 2)
        if incoming:
            unit = round(line.unit_cost if line.unit_cost is not None else product.cost, 2)
        else:
            unit = product.average_cost
        value = round(qty * unit, 2)
        move_id = led.add("stock.move", {
            "name": product.name, "product_id": product.id, "product_uom_qty": qty, "product_qty": qty,
            "quantity": qty if done else 0.0, "state": "done" if done else "assigned", "date": created,
            "picking_id": picking_id, "partner_id": partner_id, "origin": origin, "reference": name,
            "purchase_line_id": line.order_line_id if incoming else None,
            "sale_line_id": None if incoming else line.order_line_id, "price_unit": unit if incoming else 0.0,
            "company_id": COMPANY_ID, "procure_method": "make_to_stock", "picked": done, "scrapped": False,
            "is_inventory": False, "sequence": seq * 10, "priority": "0", "additional": False, "to_refund": False,
            "propagate_cancel": False, **audit})
        move_ids.append(move_id)
        values.append(value)
        if not done:
            continue
        label = f"{name} - {product.name}"
        if incoming:
            entry_lines = [{"account": "110100", "balance": value}, {"account": "110200", "balance": -value}]
            product.on_hand += qty
            product.stock_value = round(product.stock_value + value, 2)
        else:
            entry_lines = [{"account": "110300", "balance": value}, {"account": "110100", "balance": -value}]
            product.on_hand -= qty
            product.stock_value = round(product.stock_value - value, 2)
        for entry_line in entry_lines:
            entry_line.update(name=label, product_id=product.id, quantity=qty, partner_id=partner_id)
        entry = add_move(ctx, journal="STJ", date=day, lines=entry_lines, ref=label, user=user, created=created,
                         fields={"stock_move_id": move_id})
        entry_ids.append(entry.id)
        layer_ids.append(led.add("stock.valuation.layer", {
            "product_id": product.id, "quantity": qty if incoming else -qty, "unit_cost": unit,
            "value": value if incoming else -value, "remaining_qty": qty if incoming else 0.0,
            "remaining_value": value if incoming else 0.0, "description": label, "stock_move_id": move_id,
            "account_move_id": entry.id, "account_move_line_id": entry.line_ids[0], "categ_id":
                ctx.products["categories"]["Saleable"], "company_id": COMPANY_ID, "price_diff_value": 0.0, **audit}))
    return Transfer(picking_id, name, move_ids, layer_ids, values, entry_ids)


def opening_inventory(ctx: BuildContext, day: dt.date, quantities: dict[int, float]) -> None:
    """Stock on hand on the first day, brought in as a contribution in kind (one valued move per product)."""
    led = ctx.ledger
    created = f"{day.isoformat()} 09:45:00"
    uid = ctx.users["admin"]
    audit = {"create_uid": uid, "write_uid": uid, "create_date": created, "write_date": created}
    for product in ctx.products["goods"]:
        qty = quantities.get(product.id, 0.0)
        if qty <= 0:
            continue
        value = round(qty * product.cost, 2)
        move_id = led.add("stock.move", {
            "name": "Product Quantity Confirmed", "product_id": product.id, "product_uom_qty": qty,
            "product_qty": qty, "quantity": qty, "state": "done", "date": created, "is_inventory": True,
            "reference": "Product Quantity Confirmed", "company_id": COMPANY_ID, "procure_method": "make_to_stock",
            "picked": True, "scrapped": False, "sequence": 10, "priority": "0", "additional": False,
            "to_refund": False, "propagate_cancel": False, "price_unit": product.cost, **audit})
        label = f"Opening inventory - {product.name}"
        entry = add_move(ctx, journal="STJ", date=day, user="admin", created=created, ref=label,
                         fields={"stock_move_id": move_id},
                         lines=[{"account": "110100", "balance": value, "name": label, "product_id": product.id,
                                 "quantity": qty},
                                {"account": "301000", "balance": -value, "name": label, "product_id": product.id,
                                 "quantity": qty}])
        led.add("stock.valuation.layer", {
            "product_id": product.id, "quantity": qty, "unit_cost": product.cost, "value": value,
            "remaining_qty": qty, "remaining_value": value, "description": label, "stock_move_id": move_id,
            "account_move_id": entry.id, "account_move_line_id": entry.line_ids[0],
            "categ_id": ctx.products["categories"]["Saleable"], "company_id": COMPANY_ID, "price_diff_value": 0.0,
            **audit})
        product.on_hand += qty
        product.stock_value = round(product.stock_value + value, 2)
