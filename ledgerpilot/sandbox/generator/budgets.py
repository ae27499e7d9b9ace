"""Budgets: the yearly budget per department and position, and the project budgets.

``seed_budgets`` writes an OCA ``crossovered.budget`` for the current year (one line per quarter,
department and budgetary position), then the project budgets: consulting orders per project, billed
in part, and a yearly budget per project set so that the projects show every budget situation.
"""

from __future__ import annotations

import datetime as dt
import random

from ledgerpilot.sandbox.generator.analytics import dept, proj
from ledgerpilot.sandbox.generator.context import COMPANY_ID, BuildContext
from ledgerpilot.sandbox.generator.purchases import PurchaseLine, service_order
from ledgerpilot.sandbox.generator.timestamps import at, shift_weekday

#: budgetary positions: name -> (account codes, sign of the planned amount: expenses negative)
BUDGET_POSTS = {
    "Salaries": (("630000",), -1),
    "Rent": (("611000",), -1),
    "Software": (("613000",), -1),
    "Purchases & Services": (("600000", "612000", "614000"), -1),
    "Revenue": (("400000",), 1),
}


def seed_budgets(ctx: BuildContext, quarterly_plan: dict[tuple[str, str], float]) -> None:
    """A ``crossovered.budget`` for the current year with one line per quarter, department and position.

    ``quarterly_plan`` maps (position, department) to the planned amount per quarter (positive);
    expenses are planned negative, as the OCA budget module expects.
    """
    led = ctx.ledger
    year = ctx.today.year
    stamp = at(max(dt.date(year, 1, 1), ctx.start), 9)
    post_ids = {}
    for name, (codes, _sign) in BUDGET_POSTS.items():
        post_ids[name] = led.add("account.budget.post", {
            "name": name, "company_id": COMPANY_ID, "account_ids": [ctx.accounts[c] for c in codes],
            "create_date": stamp, "write_date": stamp, "create_uid": ctx.users["controller"],
            "write_uid": ctx.users["controller"]})
    budget_id = led.add("crossovered.budget", {
        "name": f"Budget {year}", "date_from": dt.date(year, 1, 1), "date_to": dt.date(year, 12, 31),
        "state": "validate", "company_id": COMPANY_ID, "creating_user_id": ctx.users["controller"],
        "create_date": stamp, "write_date": stamp, "create_uid": ctx.users["controller"],
        "write_uid": ctx.users["controller"]})
    quarters = [(dt.date(year, m, 1), dt.date(year, m + 2, 30 if m + 2 in (6, 9) else 31)) for m in (1, 4, 7, 10)]
    for (post, department), amount in sorted(quarterly_plan.items()):
        sign = BUDGET_POSTS[post][1]
        for date_from, date_to in quarters:
            led.add("crossovered.budget.lines", {
                "crossovered_budget_id": budget_id, "general_budget_id": post_ids[post],
                "analytic_account_id": ctx.analytic[f"dept:{department}"], "date_from": date_from,
                "date_to": date_to, "planned_amount": round(sign * amount, 2), "company_id": COMPANY_ID,
                "create_date": stamp, "write_date": stamp, "create_uid": ctx.users["controller"],
                "write_uid": ctx.users["controller"]})
    seed_project_budgets(ctx)


#: project -> (day rate in EUR, how far the cost to complete runs over the budget, ground-truth case);
#: the budget is (billed + still ordered) / overrun: under 1 stays within, 1.03 drifts, 1.10 and 1.30 overspend
PROJECT_CASES = {
    "Website Relaunch": (650.0, 0.80, "budget_within"),
    "Warehouse Automation": (720.0, 1.03, "budget_drift"),
    "Nordic Expansion": (800.0, 1.10, "budget_medium_overspend"),
    "ERP Upgrade": (900.0, 1.30, "budget_high_overspend"),
}
PROJECT_ORDER_DAYS = 10.0
PROJECT_POSITION = ("Project costs", ("614000",))


def seed_project_budgets(ctx: BuildContext) -> None:
    """Consulting orders per project, billed in part, and a yearly budget per project set so that the
    projects show every budget situation; plus a draft RFQ that would not fit its project's budget.

    Written after the books, with a private random stream, so that nothing else in the demo changes.
    """
    saved, ctx.rng = ctx.rng, random.Random(ctx.today.toordinal())
    try:
        led, year = ctx.ledger, ctx.today.year
        vendors = ctx.partners["by_role"]["services"]
        vendor = next((v for v in vendors if v.name == "Brightline Legal LLP"), vendors[0])
        product = ctx.products["expense"]["legal"]
        this_month = ctx.today.replace(day=1)
        previous_month = (this_month - dt.timedelta(days=1)).replace(day=1)
        order_day = shift_weekday(previous_month - dt.timedelta(days=10))
        bill_days = [(shift_weekday(previous_month + dt.timedelta(days=4)), 3.0),
                     (shift_weekday(this_month + dt.timedelta(days=2)), 2.0)]
        bill_days = [(day, qty) for day, qty in bill_days if day <= ctx.today]
        stamp = at(max(dt.date(year, 1, 1), ctx.start), 9)
        audit = {"create_date": stamp, "write_date": stamp, "create_uid": ctx.users["admin"],
                 "write_uid": ctx.users["admin"]}
        post_id = led.add("account.budget.post", {"name": PROJECT_POSITION[0], "company_id": COMPANY_ID,
                                                  "account_ids": [ctx.accounts[c] for c in PROJECT_POSITION[1]],
                                                  **audit})
        budget_id = led.add("crossovered.budget", {
            "name": f"Projects {year}", "date_from": dt.date(year, 1, 1), "date_to": dt.date(year, 12, 31),
            "state": "validate", "company_id": COMPANY_ID, "creating_user_id": ctx.users["admin"], **audit})
        for name, (rate, overrun, case) in PROJECT_CASES.items():
            analytic = {proj(ctx, name): 100.0}
            if name == "Warehouse Automation":  # shared by two departments, 60/40
                analytic.update({dept(ctx, "Operations"): 60.0, dept(ctx, "Research & Development"): 40.0})
            order = service_order(ctx, vendor, order_day, PurchaseLine(product, PROJECT_ORDER_DAYS, rate,
                                                                       analytic=analytic), bill_days)
            billed = round(sum(qty for _day, qty in bill_days) * rate, 2)
            committed = round((PROJECT_ORDER_DAYS - sum(qty for _day, qty in bill_days)) * rate, 2)
            planned = round((billed + committed) / overrun, -1)
            line_id = led.add("crossovered.budget.lines", {
                "crossovered_budget_id": budget_id, "general_budget_id": post_id,
                "analytic_account_id": ctx.analytic[f"proj:{name}"], "date_from": dt.date(year, 1, 1),
                "date_to": dt.date(year, 12, 31), "planned_amount": -planned, "company_id": COMPANY_ID, **audit})
            ctx.truth.budget_case(case, "crossovered.budget.lines", [line_id],
                                  f"{name}: {billed:.2f} billed and {committed:.2f} still ordered on {order.name} "
                                  f"against a budget of {planned:.2f}",
                                  project=name, purchase_order=order.name, purchase_order_id=order.id,
                                  billed=billed, committed=committed, planned=planned,
                                  overrun_pct=round(((billed + committed) / planned - 1) * 100, 1))
            if case == "budget_within":
                room = planned - billed - committed
                days = float(int(room * 1.4 / rate) + 1)
                rfq = service_order(ctx, vendor, shift_weekday(ctx.today - dt.timedelta(days=1)),
                                    PurchaseLine(product, days, rate, analytic={proj(ctx, name): 100.0}), [],
                                    state="draft")
                ctx.truth.budget_case("po_exceeds_remaining_budget", "purchase.order", [rfq.id],
                                      f"draft {rfq.name} for {name} asks {days * rate:.2f} where "
                                      f"{room:.2f} of the budget remains",
                                      project=name, purchase_order=rfq.name, amount=round(days * rate, 2),
                                      remaining=round(room, 2))
    finally:
        ctx.rng = saved
