"""Payment behaviour in words, from the fitted numbers only (no figure is invented here)."""

from __future__ import annotations

#: within this many days of the due date a payer counts as "on time"
ON_TIME_DAYS = 2
#: below this own weight the partner's figures are mostly the company's
MOSTLY_COMPANY = 0.5


def _days(value: float) -> str:
    n = round(abs(value))
    return f"{n} day" if n == 1 else f"{n} days"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def explain_behaviour(*, kind: str, partner_id: int | None, partner_name: str, invoices: int, payments: int,
                      open_overdue_90: int, own_weight: float, median_delay: float, prob_unpaid_90: float,
                      drift_days: float = 0.0, **_: object) -> str:
    """E.g. "Customer X pays 9 days late (median of its last 6 invoices)"."""
    customer = kind == "receivable"
    documents = "invoice" if customer else "bill"
    if partner_id is None:
        subject = "Customers" if customer else "Vendors"
        verb_pays = "pay" if customer else "are paid"
    else:
        subject = f"{'Customer' if customer else 'Vendor'} {partner_name}"
        verb_pays = "pays" if customer else "is paid"
    if median_delay > ON_TIME_DAYS:
        timing = f"{verb_pays} {_days(median_delay)} late"
    elif median_delay < -ON_TIME_DAYS:
        timing = f"{verb_pays} {_days(median_delay)} early"
    else:
        timing = (f"usually {verb_pays} on time" if customer
                  else f"{verb_pays.split()[0]} usually paid on time")
    if partner_id is None:
        basis = (f"median of {_plural(invoices, documents)}" if invoices else
                 "no payment history yet: assumed paid on the due date")
    elif own_weight < MOSTLY_COMPANY:
        basis = (f"only {_plural(invoices, documents)} of its own, so mostly the company's pattern"
                 if invoices else "no history of its own: the company's pattern")
    else:
        basis = f"median of its last {_plural(invoices, documents)}"
    text = f"{subject} {timing} ({basis})"
    if abs(drift_days) >= ON_TIME_DAYS + 1:
        text += (f"; {'paying' if customer else 'paid'} {'later' if drift_days > 0 else 'sooner'} over time "
                 f"({_days(drift_days)} {'later' if drift_days > 0 else 'earlier'} than its average)")
    if open_overdue_90:
        who = "has" if partner_id is not None else "have"
        text += (f"; {who} not paid {_plural(open_overdue_90, documents)} for over 90 days"
                 if customer else f"; {_plural(open_overdue_90, documents)} unpaid for over 90 days")
    if prob_unpaid_90 >= 0.05:
        text += f"; {prob_unpaid_90:.0%} chance an item is still unpaid 90 days after its due date"
    return text
