"""A small set of books for the write-side tests, built with ``Store.bulk_insert`` (no generator).

One USD company (so amounts format as Odoo's demo: ``$\u00a0100.00``), five users covering the
access levels of docs/sandbox.md, four journals, a chart of accounts, partners, two posted
entries in November 2026, one unreconciled bank statement line dated 2026-01-01 and a channel.
"""

from __future__ import annotations

from pathlib import Path

from ledgerpilot.sandbox import groups
from ledgerpilot.sandbox.service import SandboxService
from ledgerpilot.sandbox.store import Store

DB_NAME = "demo"

ADMIN, READONLY, DEMO, CONTROLLER, CLERK = 2, 5, 6, 7, 8

USERS = {
    # login: (uid, partner id, name, groups)
    "admin": (ADMIN, 3, "Mitchell Admin", ["base.group_system", "account.group_account_manager",
                                           "purchase.group_purchase_manager", "sales_team.group_sale_manager",
                                           "stock.group_stock_user"]),
    "readonly": (READONLY, 5, "Read Only", ["base.group_user", "account.group_account_readonly"]),
    "demo": (DEMO, 6, "Marc Demo", ["base.group_user"]),
    "controller": (CONTROLLER, 7, "Clara Controller", ["account.group_account_manager"]),
    "clerk": (CLERK, 8, "Carl Clerk", ["account.group_account_invoice"]),
}

# journals
INV, BILL, MISC, BNK = 1, 2, 3, 4
# accounts
RECEIVABLE, PAYABLE, BANK, SUSPENSE, LIABILITIES, SALES, RENT, EXPENSES = 10, 11, 12, 13, 14, 15, 16, 17
# partners
AZURE, DECO, AZURE_CONTACT = 14, 10, 20


def build_books(path: Path) -> Store:
    store = Store(path)
    store.set_meta("db_name", DB_NAME)
    store.set_meta("today", "2026-11-18")
    store.set_meta("now", "2026-11-18 08:00:00")
    groups.seed_groups(store)
    store.bulk_insert("res.currency", [
        {"id": 1, "name": "USD", "symbol": "$", "decimal_places": 2, "rounding": 0.01, "position": "before",
         "active": True},
        {"id": 2, "name": "EUR", "symbol": "€", "decimal_places": 2, "rounding": 0.01, "position": "after",
         "active": True},
    ])
    store.bulk_insert("res.currency.rate", [{"id": 1, "name": "2026-01-01", "rate": 0.8, "currency_id": 2,
                                             "company_id": 1}])
    store.bulk_insert("res.company", [{"id": 1, "name": "YourCompany", "currency_id": 1, "partner_id": 1,
                                       "active": True, "fiscalyear_last_day": 31, "fiscalyear_last_month": "12",
                                       "sequence": 0}])
    partners = [
        {"id": 1, "name": "YourCompany", "complete_name": "YourCompany", "is_company": True, "active": True,
         "commercial_partner_id": 1},
        {"id": AZURE, "name": "Azure Interior", "complete_name": "Azure Interior", "is_company": True,
         "active": True, "commercial_partner_id": AZURE},
        {"id": DECO, "name": "Deco Addict", "complete_name": "Deco Addict", "is_company": True, "active": True,
         "commercial_partner_id": DECO},
        {"id": AZURE_CONTACT, "name": "Brandon Freeman", "complete_name": "Azure Interior, Brandon Freeman",
         "parent_id": AZURE, "active": True, "commercial_partner_id": AZURE},
    ]
    for login, (uid, partner, name, _groups) in USERS.items():
        partners.append({"id": partner, "name": name, "complete_name": f"YourCompany, {name}", "parent_id": 1,
                         "lang": "en_US", "tz": "Europe/Brussels", "active": True, "commercial_partner_id": 1})
    store.bulk_insert("res.partner", partners)
    store.bulk_insert("res.users", [
        {"id": uid, "login": login, "partner_id": partner, "company_id": 1, "active": True, "share": False,
         "company_ids": [1], "groups_id": groups.group_ids(group_list), "notification_type": "email"}
        for login, (uid, partner, _name, group_list) in USERS.items()
    ])
    for login, (uid, *_rest) in USERS.items():
        groups.set_password(store, uid, login)
    store.bulk_insert("account.account", [
        {"id": RECEIVABLE, "code": "121000", "name": "Account Receivable", "account_type": "asset_receivable",
         "reconcile": True, "company_id": 1},
        {"id": PAYABLE, "code": "211000", "name": "Account Payable", "account_type": "liability_payable",
         "reconcile": True, "company_id": 1},
        {"id": BANK, "code": "101401", "name": "Bank", "account_type": "asset_cash", "company_id": 1},
        {"id": SUSPENSE, "code": "101402", "name": "Bank Suspense Account", "account_type": "asset_current",
         "company_id": 1},
        {"id": LIABILITIES, "code": "201000", "name": "Current Liabilities", "account_type": "liability_current",
         "company_id": 1},
        {"id": SALES, "code": "400000", "name": "Product Sales", "account_type": "income", "company_id": 1},
        {"id": RENT, "code": "612000", "name": "Rent", "account_type": "expense", "company_id": 1},
        {"id": EXPENSES, "code": "600000", "name": "Expenses", "account_type": "expense", "company_id": 1},
    ])
    store.bulk_insert("account.journal", [
        {"id": INV, "name": "Customer Invoices", "code": "INV", "type": "sale", "company_id": 1, "active": True,
         "sequence": 5, "default_account_id": SALES, "refund_sequence": True},
        {"id": BILL, "name": "Vendor Bills", "code": "BILL", "type": "purchase", "company_id": 1, "active": True,
         "sequence": 6, "default_account_id": EXPENSES, "refund_sequence": True},
        {"id": MISC, "name": "Miscellaneous Operations", "code": "MISC", "type": "general", "company_id": 1,
         "active": True, "sequence": 9},
        {"id": BNK, "name": "Bank", "code": "BNK1", "type": "bank", "company_id": 1, "active": True,
         "sequence": 10, "default_account_id": BANK, "suspense_account_id": SUSPENSE},
    ])
    _posted_entry(store, 1, MISC, "MISC/2026/11/0001", "2026-11-02", RENT, LIABILITIES, 1200.0)
    _posted_entry(store, 2, MISC, "MISC/2026/11/0002", "2026-11-05", RENT, LIABILITIES, 300.0)
    # an unreconciled bank line of 2026-01-01 (its entry in the bank journal)
    _posted_entry(store, 3, BNK, "BNK1/2026/00001", "2026-01-01", BANK, SUSPENSE, 500.0)
    store.bulk_insert("account.bank.statement.line", [{"id": 8, "move_id": 3, "amount": 500.0, "currency_id": 1,
                                                       "payment_ref": "unknown deposit", "is_reconciled": False,
                                                       "internal_index": "20260101000000000003"}])
    store.bulk_insert("ir.model", [
        {"id": 1, "model": "account.move", "name": "Journal Entry", "order": "id"},
        {"id": 2, "model": "res.partner", "name": "Contact", "order": "id"},
    ])
    store.bulk_insert("mail.activity.type", [{"id": 4, "name": "To-Do", "chaining_type": "suggest",
                                              "delay_from": "previous_activity", "delay_unit": "days"}])
    store.bulk_insert("product.category", [{"id": 1, "name": "All", "complete_name": "All"}])
    store.bulk_insert("discuss.channel", [{"id": 1, "name": "general", "channel_type": "channel", "active": True}])
    return store


def _posted_entry(store: Store, move_id: int, journal: int, name: str, date: str, debit_account: int,
                  credit_account: int, amount: float) -> None:
    prefix, number = name.rsplit("/", 1)
    store.bulk_insert("account.move", [{
        "id": move_id, "name": name, "move_type": "entry", "journal_id": journal, "company_id": 1, "currency_id": 1,
        "date": date, "state": "posted", "posted_before": True, "auto_post": "no", "amount_total": amount,
        "amount_total_signed": amount, "sequence_prefix": prefix + "/", "sequence_number": int(number),
        "payment_state": "not_paid",
    }])
    store.bulk_insert("account.move.line", [
        {"move_id": move_id, "account_id": account, "name": f"{name} line", "debit": debit, "credit": credit,
         "balance": debit - credit, "amount_currency": debit - credit, "date": date, "journal_id": journal,
         "company_id": 1, "currency_id": 1, "company_currency_id": 1, "parent_state": "posted", "move_name": name,
         "display_type": "product"}
        for account, debit, credit in ((debit_account, amount, 0.0), (credit_account, 0.0, amount))
    ])


def make_service(tmp_path: Path) -> SandboxService:
    return SandboxService(build_books(tmp_path / "books.sqlite"))


def call(svc: SandboxService, uid: int, model: str, method: str, *args, **kwargs):
    """``model.method(*args, **kwargs)`` as user ``uid``, through the service like an RPC would."""
    return svc.call(uid, model, method, list(args), kwargs)
