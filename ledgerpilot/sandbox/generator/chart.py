"""Chart of accounts (codes of Odoo's generic chart), journals, taxes and payment terms."""

from __future__ import annotations

from ledgerpilot.sandbox.generator.context import EUR_ID, BuildContext
from ledgerpilot.sandbox.generator.timestamps import at

#: (code, name, account_type, reconcile)
ACCOUNTS: tuple[tuple[str, str, str, bool], ...] = (
    ("101401", "Bank", "asset_cash", False),
    ("101402", "Bank Suspense Account", "asset_current", False),
    ("101403", "Outstanding Receipts", "asset_current", True),
    ("101404", "Outstanding Payments", "asset_current", True),
    ("101501", "Cash", "asset_cash", False),
    ("101701", "Liquidity Transfer", "asset_current", True),
    ("110100", "Stock Valuation", "asset_current", False),
    ("110200", "Stock Interim (Received)", "asset_current", True),
    ("110300", "Stock Interim (Delivered)", "asset_current", True),
    ("121000", "Account Receivable", "asset_receivable", True),
    ("131000", "Tax Paid", "asset_current", False),
    ("132000", "Tax Receivable", "asset_current", False),
    ("141000", "Prepaid Expenses", "asset_prepayments", False),
    ("151000", "Fixed Asset", "asset_fixed", False),
    ("151900", "Accumulated Depreciation", "asset_fixed", False),
    ("211000", "Account Payable", "liability_payable", True),
    ("212000", "Accrued Expenses", "liability_current", False),
    ("230000", "Salaries Payable", "liability_current", False),
    ("251000", "Tax Received", "liability_current", False),
    ("252000", "Tax Payable", "liability_current", False),
    ("301000", "Capital", "equity", False),
    ("999999", "Undistributed Profits/Losses", "equity_unaffected", False),
    ("400000", "Product Sales", "income", False),
    ("441000", "Foreign Exchange Gain", "income_other", False),
    ("442000", "Other Income", "income_other", False),
    ("500000", "Cost of Goods Sold", "expense_direct_cost", False),
    ("600000", "Expenses", "expense", False),
    ("611000", "Rent", "expense", False),
    ("612000", "Utilities", "expense", False),
    ("613000", "Software Subscriptions", "expense", False),
    ("614000", "Professional Fees", "expense", False),
    ("620000", "Bank Fees", "expense", False),
    ("630000", "Salaries", "expense", False),
    ("641000", "Foreign Exchange Loss", "expense", False),
    ("681000", "Depreciation", "expense_depreciation", False),
)

#: (code, name, type, default account, sequence)
JOURNALS: tuple[tuple[str, str, str, str | None, int], ...] = (
    ("INV", "Customer Invoices", "sale", "400000", 5),
    ("BILL", "Vendor Bills", "purchase", "600000", 6),
    ("MISC", "Miscellaneous Operations", "general", None, 7),
    ("EXCH", "Exchange Difference", "general", None, 9),
    ("STJ", "Inventory Valuation", "general", None, 8),
    ("BNK1", "Bank", "bank", "101401", 10),
    ("CSH1", "Cash", "cash", "101501", 11),
)

#: key -> (name, [(share, delay_type, days)])
PAYMENT_TERMS: dict[str, tuple[str, list[tuple[float, str, int]]]] = {
    "immediate": ("Immediate Payment", [(1.0, "days_after", 0)]),
    "15d": ("15 Days", [(1.0, "days_after", 15)]),
    "30d": ("30 Days", [(1.0, "days_after", 30)]),
    "45d": ("45 Days", [(1.0, "days_after", 45)]),
    "eofm": ("End of Following Month", [(1.0, "days_after_end_of_next_month", 0)]),
    "30now70": ("30% Now, Balance 60 Days", [(0.3, "days_after", 0), (0.7, "days_after", 60)]),
}


def _group(account_type: str) -> str:
    for prefix, group in (("asset", "asset"), ("liability", "liability"), ("equity", "equity"),
                          ("income", "income"), ("expense", "expense")):
        if account_type.startswith(prefix):
            return group
    return "off_balance"


def seed_chart(ctx: BuildContext, with_terms: bool = True) -> None:
    """The chart, journals and taxes of ``ctx.company_id``; the payment terms (shared by every
    company, as Odoo's are) unless ``with_terms`` is off."""
    led = ctx.ledger
    stamp = at(ctx.start, 8)
    admin = ctx.users["admin"]
    audit = {"create_date": stamp, "write_date": stamp, "create_uid": admin, "write_uid": admin}
    for code, name, account_type, reconcile in ACCOUNTS:
        group = _group(account_type)
        aid = led.add("account.account", {
            "code": code, "name": name, "account_type": account_type, "internal_group": group,
            "reconcile": reconcile, "deprecated": False, "company_id": ctx.company_id, "non_trade": False,
            "include_initial_balance": group in ("asset", "liability", "equity"), **audit})
        ctx.accounts[code] = aid
        ctx.account_reconcile[aid] = reconcile
        if account_type == "asset_cash":
            ctx.account_cash.add(aid)
    for code, name, jtype, default, sequence in JOURNALS:
        ctx.journals[code] = led.add("account.journal", {
            "code": code, "name": name, "type": jtype, "sequence": sequence, "active": True,
            "company_id": ctx.company_id, "currency_id": None,
            "default_account_id": ctx.accounts[default] if default else None,
            "suspense_account_id": ctx.accounts["101402"] if jtype in ("bank", "cash") else None,
            "profit_account_id": ctx.accounts["442000"] if jtype in ("bank", "cash") else None,
            "loss_account_id": ctx.accounts["600000"] if jtype in ("bank", "cash") else None,
            "refund_sequence": jtype in ("sale", "purchase"), "payment_sequence": jtype in ("bank", "cash"),
            "show_on_dashboard": jtype != "general", "bank_statements_source": "undefined" if jtype == "bank" else None,
            "invoice_reference_type": "invoice" if jtype == "sale" else None,
            "invoice_reference_model": "odoo" if jtype == "sale" else None,
            "restrict_mode_hash_table": False, "color": 0, **audit})
    for key, (name, use, account) in {"sale15": ("15%", "sale", "251000"),
                                      "purchase15": ("15%", "purchase", "131000")}.items():
        ctx.taxes[key] = led.add("account.tax", {
            "name": name, "type_tax_use": use, "amount_type": "percent", "amount": 15.0, "active": True,
            "sequence": 1, "description": "15%", "invoice_label": "15%", "price_include": False,
            "include_base_amount": False, "is_base_affected": True, "analytic": False,
            "tax_exigibility": "on_invoice", "tax_scope": None, "company_id": ctx.company_id, **audit})
    if not with_terms:
        return
    for seq, (key, (name, lines)) in enumerate(PAYMENT_TERMS.items(), start=1):
        tid = led.add("account.payment.term", {
            "name": name, "sequence": seq, "active": True, "company_id": None, "display_on_invoice": True,
            "early_discount": False, "discount_percentage": 0.0, "discount_days": 0,
            "early_pay_discount_computation": "included", "note": f"<p>Payment terms: {name}</p>", **audit})
        ctx.terms[key] = tid
        ctx.term_lines[tid] = lines
        for share, delay_type, days in lines:
            led.add("account.payment.term.line", {
                "payment_id": tid, "value": "percent", "value_amount": round(share * 100, 2),
                "delay_type": delay_type, "nb_days": days, "days_next_month": "10", **audit})


COMPANY_NAME = "Brightwave Supplies SA"


def company_row(ctx: BuildContext, partner_id: int, name: str = COMPANY_NAME, sequence: int = 10,
                user_ids: list[int] | None = None) -> dict:
    a = ctx.accounts
    return {
        "id": ctx.company_id, "name": name, "partner_id": partner_id, "currency_id": EUR_ID,
        "sequence": sequence, "active": True, "email": "accounting@brightwave.example", "phone": "+32 2 555 01 00",
        "chart_template": "generic_coa", "anglo_saxon_accounting": True,
        "account_journal_suspense_account_id": a["101402"], "transfer_account_id": a["101701"],
        "account_journal_payment_debit_account_id": a["101403"],
        "account_journal_payment_credit_account_id": a["101404"],
        "income_currency_exchange_account_id": a["441000"], "expense_currency_exchange_account_id": a["641000"],
        "currency_exchange_journal_id": ctx.journals["EXCH"], "expense_accrual_account_id": a["212000"],
        "account_sale_tax_id": ctx.taxes["sale15"], "account_purchase_tax_id": ctx.taxes["purchase15"],
        "default_cash_difference_income_account_id": a["442000"],
        "default_cash_difference_expense_account_id": a["600000"],
        "fiscalyear_last_day": 31, "fiscalyear_last_month": "12", "tax_calculation_rounding_method": "round_per_line",
        "bank_account_code_prefix": "1014", "cash_account_code_prefix": "1015", "transfer_account_code_prefix": "1017",
        "account_opening_date": ctx.start, "account_opening_move_id": ctx.notes["opening_move"][0],
        "fiscalyear_lock_date": None, "period_lock_date": None,
        "tax_lock_date": None, "po_lead": 0.0, "security_lead": 0.0, "quotation_validity_days": 30,
        "parent_path": f"{ctx.company_id}/", "tax_exigibility": False,
        "user_ids": sorted(user_ids if user_ids is not None else ctx.users.values()), "expects_chart_of_accounts": True,
        "create_date": at(ctx.start, 8), "write_date": at(ctx.start, 8),
    }
