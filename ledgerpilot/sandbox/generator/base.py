"""The company's frame: partner, users and groups, currencies and rates, installed models,
activity types and discuss channels."""

from __future__ import annotations

import datetime as dt
import math

from ledgerpilot.sandbox import groups
from ledgerpilot.sandbox.generator.context import COMPANY_ID, EUR_ID, USD_ID, BuildContext
from ledgerpilot.sandbox.generator.timestamps import at
from ledgerpilot.sandbox.registry import registry

COMPANY_PARTNER_ID = 1

#: login -> (partner name, email, groups, password); ids follow Odoo (uid 2 is the administrator)
USERS: tuple[tuple[int, str, str, tuple[str, ...]], ...] = (
    (2, "admin", "Mitchell Admin", ("base.group_system", "account.group_account_manager",
                                    "purchase.group_purchase_manager", "sales_team.group_sale_manager",
                                    "stock.group_stock_user", "project.group_project_user")),
    (3, "readonly", "Rita Reader", ("base.group_user", "account.group_account_readonly")),
    (4, "demo", "Marc Demo", ("base.group_user",)),
    (5, "controller", "Chloe Controller", ("account.group_account_manager",)),
    (6, "clerk", "Colin Clerk", ("account.group_account_invoice",)),
)

ACTIVITY_TYPES = (("Email", "default", "fa-envelope"), ("Call", "phonecall", "fa-phone"),
                  ("Meeting", "default", "fa-users"), ("To-Do", "default", "fa-check"),
                  ("Upload Document", "upload_file", "fa-upload"), ("Exception", "default", "fa-warning"))


def seed_base(ctx: BuildContext) -> None:
    """Partners of the company and users, groups, users (with passwords), currencies, models."""
    store, led = ctx.store, ctx.ledger
    stamp = at(ctx.start, 8)
    audit = {"create_date": stamp, "write_date": stamp, "create_uid": 1, "write_uid": 1}
    groups.seed_groups(store)
    ctx.partners["names"] = {}

    def partner(pid: int, name: str, email: str, is_company: bool) -> None:
        led.add("res.partner", {
            "id": pid, "name": name, "complete_name": name, "email": email, "email_normalized": email,
            "is_company": is_company, "active": True, "type": "contact", "commercial_partner_id": pid,
            "company_id": COMPANY_ID if not is_company else None, "lang": "en_US", "tz": "Europe/Brussels",
            "customer_rank": 0, "supplier_rank": 0, "partner_share": False, "employee": False, **audit})
        ctx.partners["names"][pid] = name

    partner(COMPANY_PARTNER_ID, "Brightwave Supplies SA", "info@brightwave.example", True)
    partner(2, "OdooBot", "odoobot@example.com", False)
    led.add("res.users", {"id": 1, "login": "__system__", "partner_id": 2, "company_id": COMPANY_ID,
                          "active": False, "share": False, "notification_type": "email",
                          "company_ids": [COMPANY_ID], **audit})
    for uid, login, name, xmlids in USERS:
        pid = uid + 1
        partner(pid, name, f"{login}@brightwave.example", False)
        led.add("res.users", {
            "id": uid, "login": login, "partner_id": pid, "company_id": COMPANY_ID, "active": True,
            "share": False, "notification_type": "email", "odoobot_state": "disabled",
            "groups_id": groups.group_ids(list(xmlids)), "company_ids": [COMPANY_ID], **audit})
        ctx.users[login] = uid
        ctx.user_partner[uid] = pid
    for code, name, symbol, full in (("EUR", "EUR", "€", "Euro"), ("USD", "USD", "$", "United States dollar")):
        led.add("res.currency", {
            "id": EUR_ID if code == "EUR" else USD_ID, "name": name, "symbol": symbol, "full_name": full,
            "active": True, "rounding": 0.01, "decimal_places": 2, "position": "after" if code == "EUR" else "before",
            "currency_unit_label": "Euros" if code == "EUR" else "Dollars",
            "currency_subunit_label": "Cents", **audit})
    _seed_rates(ctx)
    for seq, (name, category, icon) in enumerate(ACTIVITY_TYPES, start=1):
        led.add("mail.activity.type", {
            "name": name, "category": category, "icon": icon, "sequence": seq, "active": True,
            "delay_count": 0, "delay_unit": "days", "delay_from": "previous_activity", "chaining_type": "suggest",
            "decoration_type": "warning" if name == "Exception" else None, "keep_done": False, **audit})
    for name, description in (("general", "General announcements for all employees."),
                              ("finance", "Month-end close, approvals and finance questions.")):
        led.add("discuss.channel", {
            "name": name, "description": description, "channel_type": "channel", "active": True,
            "allow_public_upload": False, "default_display_mode": None, "group_public_id": 1,
            "uuid": f"{name:0<8}-0000-4000-8000-{COMPANY_ID:012d}", **audit})
    for spec in registry().values():
        led.add("ir.model", {"model": spec.name, "name": _model_label(spec.name), "state": "base",
                             "transient": False, "order": spec.order, "info": None,
                             "is_mail_thread": spec.name in _MAIL_THREAD, "is_mail_activity": spec.name in _MAIL_THREAD,
                             "is_mail_blacklist": spec.name == "res.partner", **audit})


def set_passwords(ctx: BuildContext) -> None:
    for _uid, login, _name, _groups in USERS:
        groups.set_password(ctx.store, ctx.users[login], login)


_MAIL_THREAD = {"res.partner", "account.move", "account.payment", "account.bank.statement.line", "sale.order",
                "purchase.order", "stock.picking", "project.project", "project.task", "crossovered.budget",
                "discuss.channel", "account.journal", "product.template", "product.product", "hr.expense"}


#: ``ir.model.name`` of the main models, as Odoo 17 describes them
MODEL_LABELS = {
    "account.move": "Journal Entry", "account.move.line": "Journal Item", "res.partner": "Contact",
    "res.users": "User", "res.company": "Companies", "account.account": "Account", "account.journal": "Journal",
    "account.payment": "Payments", "account.bank.statement": "Bank Statement",
    "account.bank.statement.line": "Bank Statement Line", "sale.order": "Sales Order",
    "sale.order.line": "Sales Order Line", "purchase.order": "Purchase Order",
    "purchase.order.line": "Purchase Order Line", "stock.picking": "Transfer", "stock.move": "Stock Move",
    "stock.valuation.layer": "Stock Valuation Layer", "crossovered.budget": "Budget",
    "crossovered.budget.lines": "Budget Line", "account.budget.post": "Budgetary Position",
    "account.analytic.account": "Analytic Account", "account.analytic.line": "Analytic Line",
    "account.analytic.plan": "Analytic Plans", "mail.message": "Message", "mail.activity": "Activity",
    "discuss.channel": "Discussion Channel", "res.currency.rate": "Currency Rate", "res.currency": "Currency",
    "product.product": "Product Variant", "product.template": "Product", "ir.model": "Models",
    "res.groups": "Access Groups", "account.tax": "Tax", "account.payment.term": "Payment Terms",
    "account.partial.reconcile": "Partial Reconcile", "account.full.reconcile": "Full Reconcile",
}


def _model_label(model: str) -> str:
    if model in MODEL_LABELS:
        return MODEL_LABELS[model]
    words = model.split(".")[-1].replace("_", " ")
    return " ".join(w.capitalize() for w in words.split())


def _seed_rates(ctx: BuildContext) -> None:
    """Weekly USD rates (USD per EUR) as a smooth, seeded random walk around 1.08."""
    day = ctx.start - dt.timedelta(days=ctx.start.weekday() + 7)
    level = 1.08
    stamp = at(ctx.start, 8)
    while day <= ctx.today:
        level = level + ctx.rng.gauss(0, 0.006) + 0.02 * (1.08 - level) + 0.004 * math.sin(day.toordinal() / 60)
        rate = round(level, 6)
        ctx.rate_days.append(day)
        ctx.rate_values.append(rate)
        ctx.ledger.add("res.currency.rate", {"name": day, "rate": rate, "currency_id": USD_ID,
                                             "company_id": COMPANY_ID, "create_date": stamp, "write_date": stamp})
        day += dt.timedelta(days=7)
