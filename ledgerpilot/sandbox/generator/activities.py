"""Planned activities a finance team would have open on "today": collection calls on the oldest
open invoice of each customer that stopped paying, and a budget review for the controller."""

from __future__ import annotations

import datetime as dt

from ledgerpilot.sandbox.generator.context import BuildContext
from ledgerpilot.sandbox.generator.timestamps import at


def seed_activities(ctx: BuildContext) -> None:
    """Call after the books are written: the activities point at existing invoices."""
    conn = ctx.store.conn
    model_ids = dict(conn.execute("SELECT model, id FROM ir_model").fetchall())
    types = dict(conn.execute("SELECT name, id FROM mail_activity_type").fetchall())
    admin, controller = ctx.users["admin"], ctx.users["controller"]
    created = at(ctx.today - dt.timedelta(days=2), 10, 15)
    audit = {"create_date": created, "write_date": created, "create_uid": controller, "write_uid": controller}
    defaulting = {c.id: c for c in ctx.partners["customers"] if c.behaviour == "defaulting"}
    marks = ",".join("?" for _ in defaulting)
    oldest_open = conn.execute(
        f"SELECT partner_id, id, name FROM (SELECT partner_id, id, name, ROW_NUMBER() OVER "
        f"(PARTITION BY partner_id ORDER BY invoice_date, id) AS rank FROM account_move "
        f"WHERE move_type = 'out_invoice' AND state = 'posted' AND payment_state IN ('not_paid', 'partial') "
        f"AND partner_id IN ({marks})) WHERE rank = 1 ORDER BY partner_id", list(defaulting)).fetchall()
    for partner_id, move_id, move_name in oldest_open:
        customer = defaulting[partner_id]
        ctx.ledger.add("mail.activity", {
            "res_model": "account.move", "res_model_id": model_ids["account.move"], "res_id": move_id,
            "res_name": move_name, "activity_type_id": types["Call"], "summary": "Call about overdue invoices",
            "note": f"<p>{customer.name} has not paid since {customer.params['stops_paying_from']}.</p>",
            "date_deadline": ctx.today + dt.timedelta(days=2), "user_id": admin, "active": True,
            "automated": False, **audit})
    budget = conn.execute("SELECT id, name FROM crossovered_budget ORDER BY id LIMIT 1").fetchone()
    if budget is not None:
        ctx.ledger.add("mail.activity", {
            "res_model": "crossovered.budget", "res_model_id": model_ids["crossovered.budget"], "res_id": budget[0],
            "res_name": budget[1], "activity_type_id": types["To-Do"], "summary": "Quarterly budget review",
            "note": "<p>Compare actuals with the budget before the quarter closes.</p>",
            "date_deadline": ctx.today + dt.timedelta(days=7), "user_id": controller, "active": True,
            "automated": False, **audit})
