"""Errors the calculators report when the books cannot support a computation (shown as messages)."""

from __future__ import annotations

from ledgerpilot.errors import LedgerpilotError


class EmptyBooksError(LedgerpilotError):
    """The company has no posted journal items: there is nothing to learn from or forecast."""

    def __init__(self, company: str = "the company") -> None:
        super().__init__(f"{company} has no posted journal items: post invoices, bills or bank entries "
                         "(or connect to another database) before forecasting cash")


class NoBankJournalError(LedgerpilotError):
    """No bank or cash account: there is no opening balance to project from."""

    def __init__(self, company: str = "the company") -> None:
        super().__init__(f"{company} has no bank or cash account (account_type asset_cash): create a bank "
                         "or cash journal in Odoo (Accounting > Configuration > Journals) so that the cash "
                         "position can be read")
