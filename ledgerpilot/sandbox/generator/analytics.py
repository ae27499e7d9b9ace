"""Analytic plans and accounts, analytic lines of posted entries, projects (budgets: budgets.py).

Odoo 17 keeps an analytic distribution on journal items as JSON ``{"<analytic account id>": percent}``
and writes one ``account.analytic.line`` per account in it when the entry is posted, with
``amount = -balance * percent / 100`` (costs negative, revenue positive). The first plan
(Projects) fills ``account_id``; the Departments plan fills ``x_plan2_id``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ledgerpilot.sandbox.generator.context import COMPANY_ID, EUR_ID, BuildContext
from ledgerpilot.sandbox.generator.timestamps import at

PLANS = (("Projects", 1), ("Departments", 2))
DEPARTMENTS = ("Sales", "Operations", "Administration", "Research & Development")
PROJECTS = ("Website Relaunch", "Warehouse Automation", "Nordic Expansion", "ERP Upgrade")
TASKS = (("Scoping", "1_done"), ("Delivery", "01_in_progress"), ("Acceptance", "04_waiting_normal"))
#: operating expense accounts whose posted lines must carry a department (the close checks this)
ANALYTIC_REQUIRED_ACCOUNTS = ("600000", "611000", "612000", "613000", "614000", "620000", "630000", "681000")
CATEGORY = {"out_invoice": "invoice", "out_refund": "invoice", "in_invoice": "vendor_bill",
            "in_refund": "vendor_bill"}


def seed_analytics(ctx: BuildContext) -> None:
    led = ctx.ledger
    stamp = at(ctx.start, 8)
    for name, pid in PLANS:
        led.add("account.analytic.plan", {"id": pid, "name": name, "complete_name": name, "parent_path": f"{pid}/",
                                          "sequence": pid * 10, "color": pid, "create_date": stamp,
                                          "write_date": stamp, "create_uid": ctx.users["admin"],
                                          "write_uid": ctx.users["admin"]})
    ctx.projects_plan_id = 1
    code = 0
    for plan_id, names, prefix in ((2, DEPARTMENTS, "dept"), (1, PROJECTS, "proj")):
        for name in names:
            code += 1
            aid = led.add("account.analytic.account", {
                "name": name, "code": f"{prefix.upper()}{code:03d}", "plan_id": plan_id, "root_plan_id": plan_id,
                "company_id": COMPANY_ID, "active": True, "create_date": stamp, "write_date": stamp,
                "create_uid": ctx.users["admin"], "write_uid": ctx.users["admin"]})
            key = f"{prefix}:{name}"
            ctx.analytic[key] = aid
            ctx.analytic_plan_of[aid] = plan_id
    for seq, name in enumerate(PROJECTS, start=1):
        project_id = led.add("project.project", {
            "name": name, "analytic_account_id": ctx.analytic[f"proj:{name}"], "active": True,
            "company_id": COMPANY_ID, "sequence": seq * 10, "privacy_visibility": "employees",
            "allow_billable": True, "label_tasks": "Tasks", "color": seq, "user_id": ctx.users["admin"],
            "date_start": ctx.start, "create_date": stamp, "write_date": stamp,
            "create_uid": ctx.users["admin"], "write_uid": ctx.users["admin"]})
        for step, (task, state) in enumerate(TASKS, start=1):
            led.add("project.task", {
                "name": f"{task} - {name}", "project_id": project_id, "state": state, "priority": "0",
                "sequence": step * 10, "active": True, "company_id": COMPANY_ID, "display_in_project": True,
                "analytic_account_id": ctx.analytic[f"proj:{name}"], "allocated_hours": 8.0 * step * 5,
                "date_deadline": f"{ctx.today + dt.timedelta(days=14 * step)} 16:00:00" if state != "1_done" else None,
                "date_end": stamp if state == "1_done" else None, "user_ids": [ctx.users["admin"]],
                "create_date": stamp, "write_date": stamp, "create_uid": ctx.users["admin"],
                "write_uid": ctx.users["admin"]})


def dept(ctx: BuildContext, name: str) -> str:
    return str(ctx.analytic[f"dept:{name}"])


def proj(ctx: BuildContext, name: str) -> str:
    return str(ctx.analytic[f"proj:{name}"])


def analytic_rows(ctx: BuildContext, move: dict[str, Any], line: dict[str, Any]) -> list[dict[str, Any]]:
    """The analytic lines Odoo writes for one posted journal item with a distribution."""
    distribution = line.get("analytic_distribution")
    if not distribution:
        return []
    rows = []
    for account_key, percent in distribution.items():
        account_id = int(account_key)
        amount = round(-line["balance"] * percent / 100.0, 2)
        plan_id = ctx.analytic_plan_of[account_id]
        rows.append({
            "name": line.get("name") or move["name"],
            "date": line["date"],
            "amount": amount,
            "unit_amount": line.get("quantity") or 0.0,
            "account_id": account_id if plan_id == ctx.projects_plan_id else None,
            "x_plan2_id": account_id if plan_id == 2 else None,
            "general_account_id": line["account_id"],
            "move_line_id": line["id"],
            "journal_id": line["journal_id"],
            "partner_id": line.get("partner_id"),
            "product_id": line.get("product_id"),
            "ref": move.get("ref") or move["name"],
            "category": CATEGORY.get(move["move_type"], "other"),
            "company_id": COMPANY_ID,
            "currency_id": EUR_ID,
            "user_id": line["create_uid"],
            "create_uid": line["create_uid"],
            "write_uid": line["create_uid"],
            "create_date": line["create_date"],
            "write_date": line["write_date"],
        })
    return rows
