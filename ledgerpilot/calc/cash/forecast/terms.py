"""Due dates of invoices that do not exist yet, from Odoo 17 payment-term lines.

Odoo 17 (``account.payment.term.line._get_due_date``): ``days_after`` = invoice date + nb_days;
``days_after_end_of_month`` = end of the invoice's month + nb_days;
``days_after_end_of_next_month`` = end of the next month + nb_days; ``days_end_of_month_on_the``
= (invoice date + nb_days), then the given day of the following month (the day is not among the
extracted columns, so the 1st is used, Odoo's fallback). Amounts: ``fixed`` lines take their
amount (capped at what is left), ``percent`` lines their share of the total, and the last line
takes the remainder so the installments add up to the total exactly.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ledgerpilot.domain.month import add_months, month_end, month_start


def _next_month_first(day: dt.date) -> dt.date:
    return month_start(add_months(day, 1))


def due_date(invoice_date: dt.date, delay_type: str, nb_days: int) -> dt.date:
    """One payment-term line's due date for an invoice dated ``invoice_date``."""
    days = dt.timedelta(days=int(nb_days or 0))
    if delay_type == "days_after_end_of_month":
        return month_end(invoice_date) + days
    if delay_type == "days_after_end_of_next_month":
        return month_end(add_months(month_start(invoice_date), 1)) + days
    if delay_type == "days_end_of_month_on_the":
        return _next_month_first(invoice_date + days)
    return invoice_date + days


class PaymentTerms:
    """Payment-term lines by term id, to split a future invoice into dated installments."""

    def __init__(self, frame: pd.DataFrame):
        self._lines: dict[int, list[tuple[str, float, int, str]]] = {}
        if frame is not None and len(frame):
            for row in frame.itertuples(index=False):
                if pd.isna(row.payment_term_id):
                    continue
                self._lines.setdefault(int(row.payment_term_id), []).append(
                    (str(row.value or "percent"), float(row.value_amount or 0.0), int(row.nb_days or 0),
                     str(row.delay_type or "days_after")))

    def __contains__(self, term_id: object) -> bool:
        return term_id in self._lines

    def installments(self, term_id: int | None, invoice_date: dt.date, amount_minor: int,
                     digits: int = 2) -> list[tuple[dt.date, int]]:
        """``(due date, amount in minor units)`` per installment; no term: due on the invoice date."""
        lines = self._lines.get(int(term_id)) if term_id is not None and not pd.isna(term_id) else None
        if not lines:
            return [(invoice_date, amount_minor)]
        out: list[tuple[dt.date, int]] = []
        left = amount_minor
        sign = 1 if amount_minor >= 0 else -1
        for index, (value, value_amount, nb_days, delay_type) in enumerate(lines):
            due = due_date(invoice_date, delay_type, nb_days)
            if index == len(lines) - 1:
                part = left
            elif value == "fixed":
                part = sign * min(abs(left), round(abs(value_amount) * 10**digits))
            else:
                part = round(amount_minor * value_amount / 100.0)
            left -= part
            out.append((due, part))
        return [(due, part) for due, part in out if part != 0] or [(invoice_date, amount_minor)]
