"""Who may do what: model access by group (Odoo's ``ir.model.access``), field groups, private methods.

Simplified but faithful for the models served: every model has, per operation (read, write,
create, unlink), the groups allowed to do it. A refusal raises ``AccessError`` with the message
real Odoo 17 gives, listing the allowed groups as ``Category/Name``. Consequences that matter:

- accounting documents (entries, items, payments, bank lines) are read by the read-only
  accounting group and by Billing users, and written by Billing (``account.group_account_invoice``);
- accounting configuration (accounts, journals, taxes, budgets, analytic plans) is written by the
  Billing Administrator (``account.group_account_manager``) only;
- ``res.company`` is written by Administration/Access Rights; its accounting fields (lock dates,
  default accounts, ...) need the Billing Administrator, who may write them even without the
  administration right (what Odoo's lock-date wizard lets an accountant do);
- the read-only integration user (``account.group_account_readonly``) writes nothing: every
  write-side group list below leaves that group out.
"""

from __future__ import annotations

from collections.abc import Iterable

from ledgerpilot.sandbox.env import SUPERUSER_ID, Env
from ledgerpilot.sandbox.exceptions import AccessError
from ledgerpilot.sandbox.groups import GROUP_BY_XMLID
from ledgerpilot.sandbox.registry import MODEL_DESCRIPTIONS

OPERATIONS = ("read", "write", "create", "unlink")

_OPERATION_VERB = {"read": "access", "write": "modify", "create": "create", "unlink": "delete"}

_USER = "base.group_user"
_ACCESS_RIGHTS = "base.group_erp_manager"
_SETTINGS = "base.group_system"
_BILLING = "account.group_account_invoice"
_ACC_READONLY = "account.group_account_readonly"
_ACC_MANAGER = "account.group_account_manager"
_PURCHASE = "purchase.group_purchase_user"
_PURCHASE_MANAGER = "purchase.group_purchase_manager"
_SALES = "sales_team.group_sale_salesman_all_leads"
_SALES_MANAGER = "sales_team.group_sale_manager"
_STOCK = "stock.group_stock_user"
_PROJECT = "project.group_project_user"

#: Groups that do business with records (may post messages, plan activities). Read-only
#: accounting is deliberately absent: that user writes nothing.
_COLLABORATORS = (_BILLING, _PURCHASE, _SALES, _STOCK, _PROJECT, _ACCESS_RIGHTS)


def _acl(read: Iterable[str], write: Iterable[str], create: Iterable[str] | None = None,
         unlink: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
    write = tuple(write)
    return {
        "read": tuple(read),
        "write": write,
        "create": tuple(create) if create is not None else write,
        "unlink": tuple(unlink) if unlink is not None else write,
    }


_ACCOUNTING_READERS = (_BILLING, _ACC_READONLY)
_ACCOUNTING_DOCUMENT = _acl(_ACCOUNTING_READERS, (_BILLING,))
_ACCOUNTING_CONFIG = _acl(_ACCOUNTING_READERS, (_ACC_MANAGER,))

#: model -> operation -> groups allowed (any one suffices).
MODEL_ACCESS: dict[str, dict[str, tuple[str, ...]]] = {
    "account.move": _ACCOUNTING_DOCUMENT,
    "account.move.line": _ACCOUNTING_DOCUMENT,
    "account.payment": _ACCOUNTING_DOCUMENT,
    "account.bank.statement": _ACCOUNTING_DOCUMENT,
    "account.bank.statement.line": _ACCOUNTING_DOCUMENT,
    "account.partial.reconcile": _ACCOUNTING_DOCUMENT,
    "account.full.reconcile": _ACCOUNTING_DOCUMENT,
    "account.analytic.line": _ACCOUNTING_DOCUMENT,
    "account.account": _ACCOUNTING_CONFIG,
    "account.journal": _ACCOUNTING_CONFIG,
    "account.tax": _ACCOUNTING_CONFIG,
    "account.payment.term": _ACCOUNTING_CONFIG,
    "account.payment.term.line": _ACCOUNTING_CONFIG,
    "account.analytic.plan": _ACCOUNTING_CONFIG,
    "account.analytic.account": _ACCOUNTING_CONFIG,
    "account.budget.post": _ACCOUNTING_CONFIG,
    "crossovered.budget": _ACCOUNTING_CONFIG,
    "crossovered.budget.lines": _ACCOUNTING_CONFIG,
    "res.company": _acl((_USER,), (_ACCESS_RIGHTS,)),
    "res.partner": _acl((_USER,), (_BILLING, _PURCHASE, _SALES, _ACCESS_RIGHTS)),
    "res.users": _acl((_USER,), (_ACCESS_RIGHTS,)),
    "res.groups": _acl((_USER,), (_ACCESS_RIGHTS,)),
    "res.currency": _acl((_USER,), (_ACC_MANAGER, _SETTINGS)),
    "res.currency.rate": _acl((_USER,), (_ACC_MANAGER, _SETTINGS)),
    "sale.order": _acl((_SALES, *_ACCOUNTING_READERS), (_SALES,)),
    "sale.order.line": _acl((_SALES, *_ACCOUNTING_READERS), (_SALES,)),
    "purchase.order": _acl((_PURCHASE, *_ACCOUNTING_READERS), (_PURCHASE,)),
    "purchase.order.line": _acl((_PURCHASE, *_ACCOUNTING_READERS), (_PURCHASE,)),
    "stock.picking": _acl((_STOCK, *_ACCOUNTING_READERS), (_STOCK,)),
    "stock.move": _acl((_STOCK, *_ACCOUNTING_READERS), (_STOCK,)),
    "stock.valuation.layer": _acl((_STOCK, *_ACCOUNTING_READERS), (_ACC_MANAGER,)),
    "product.product": _acl((_USER,), (_SALES_MANAGER, _PURCHASE_MANAGER, _ACCESS_RIGHTS)),
    "product.template": _acl((_USER,), (_SALES_MANAGER, _PURCHASE_MANAGER, _ACCESS_RIGHTS)),
    "product.category": _acl((_USER,), (_SALES_MANAGER, _PURCHASE_MANAGER, _ACCESS_RIGHTS)),
    "project.project": _acl((_PROJECT, *_ACCOUNTING_READERS), (_PROJECT,)),
    "project.task": _acl((_PROJECT, *_ACCOUNTING_READERS), (_PROJECT,)),
    "mail.message": _acl((_USER,), (_ACCESS_RIGHTS,), create=_COLLABORATORS),
    "mail.activity": _acl((_USER,), _COLLABORATORS),
    "mail.activity.type": _acl((_USER,), (_ACCESS_RIGHTS,)),
    "discuss.channel": _acl((_USER,), _COLLABORATORS),
    "ir.model": _acl((_USER,), (_SETTINGS,)),
}

#: res.company fields that are accounting configuration: written by the Billing Administrator.
_COMPANY_ACCOUNTING_PREFIXES = ("account_", "fiscalyear_", "tax_", "transfer_account_", "invoice_",
                                "default_cash_difference_")
_COMPANY_ACCOUNTING_FIELDS = frozenset({
    "period_lock_date", "sale_lock_date", "purchase_lock_date", "hard_lock_date", "currency_exchange_journal_id", "income_currency_exchange_account_id",
    "expense_currency_exchange_account_id", "bank_account_code_prefix", "cash_account_code_prefix",
    "anglo_saxon_accounting", "expense_accrual_account_id", "revenue_accrual_account_id",
    "automatic_entry_default_journal_id", "terms_type", "quick_edit_mode", "chart_template",
    "expense_journal_id", "display_invoice_amount_total_words", "qr_code", "expects_chart_of_accounts",
})


def is_company_accounting_field(name: str) -> bool:
    return name in _COMPANY_ACCOUNTING_FIELDS or name.startswith(_COMPANY_ACCOUNTING_PREFIXES)


def check_method_name(method: str) -> None:
    """Odoo's ``check_method_name``: methods starting with an underscore are not callable remotely."""
    if not isinstance(method, str) or method.startswith("_"):
        raise AccessError(f"Private methods (such as {method}) cannot be called remotely.")


def group_label(xmlid: str) -> str:
    """A group as access errors name it: ``Category/Name`` (``Invoicing/Billing Administrator``)."""
    group = GROUP_BY_XMLID[xmlid]
    return f"{group.category}/{group.name}" if group.category else group.name


def allowed_groups(model: str, operation: str) -> tuple[str, ...]:
    if operation not in OPERATIONS:
        raise ValueError(f"Invalid access mode: {operation!r} (expected one of {', '.join(OPERATIONS)})")
    access = MODEL_ACCESS.get(model)
    if access is None:
        return (_SETTINGS,)
    return access[operation]


def has_model_access(env: Env, model: str, operation: str) -> bool:
    if env.uid == SUPERUSER_ID:
        return True
    return any(g in env.groups for g in allowed_groups(model, operation))


def access_error(model: str, operation: str) -> AccessError:
    """The AccessError Odoo 17 raises for a missing ``ir.model.access`` right."""
    description = MODEL_DESCRIPTIONS.get(model, model)
    groups = sorted(group_label(g) for g in allowed_groups(model, operation))
    if groups:
        listing = "This operation is allowed for the following groups:\n" + "\n".join(f"\t- {g}" for g in groups)
    else:
        listing = "No group currently allows this operation."
    return AccessError(
        f"You are not allowed to {_OPERATION_VERB[operation]} '{description}' ({model}) records.\n\n"
        f"{listing}\n\nContact your administrator to request access if necessary."
    )


def check_access_rights(env: Env, model: str, operation: str, raise_exception: bool = True) -> bool:
    """Odoo's ``check_access_rights``: True, or AccessError (or False when not raising)."""
    if has_model_access(env, model, operation):
        return True
    if raise_exception:
        raise access_error(model, operation)
    return False


def check_write_fields(env: Env, model: str, operation: str, field_names: Iterable[str]) -> None:
    """Model access for a create/write, with the field groups of ``res.company``.

    A Billing Administrator may write the company's accounting fields without the administration
    right; anyone writing those fields needs the Billing Administrator group.
    """
    names = list(field_names)
    if model != "res.company" or env.uid == SUPERUSER_ID:
        check_access_rights(env, model, operation)
        return
    accounting = sorted(n for n in names if is_company_accounting_field(n))
    others = [n for n in names if not is_company_accounting_field(n)]
    is_accountant = _ACC_MANAGER in env.groups
    if others or not accounting or not is_accountant:
        check_access_rights(env, model, operation)
    if accounting and not is_accountant:
        raise AccessError(
            f'You do not have enough rights to access the fields "{",".join(accounting)}" on '
            f"{MODEL_DESCRIPTIONS['res.company']} (res.company). Please contact your system administrator."
            f"\n\n(Operation: {operation})"
        )
