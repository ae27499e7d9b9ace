"""The forecast's assumptions in words, so a reader can check what it rests on."""

from __future__ import annotations

import pandas as pd

from ledgerpilot.calc.cash.forecast.flows import ORDER_INVOICE_LAG_DAYS
from ledgerpilot.calc.cash.forecast.params import ForecastParams
from ledgerpilot.calc.cash.forecast.recurring import RecurringPattern
from ledgerpilot.domain.money import format_amount, minor_to_decimal

#: how many partners' payment habits are spelled out
MAIN_PARTNERS = 5


def _money(minor: int, digits: int, currency: str) -> str:
    return format_amount(minor_to_decimal(abs(int(minor)), digits), digits, currency)


def describe(table: pd.DataFrame, behaviour, params: ForecastParams, patterns: list[RecurringPattern],
             notes: list[str], currency: str, digits: int, foreign: list[str]) -> tuple[str, ...]:
    opening = f"Opening balance: every bank and cash account at the end of the as-of day; amounts in {currency}."
    out: list[str] = [opening]
    if params.use_behaviour and behaviour is not None:
        out.append("Open invoices and bills are paid at due date plus a delay drawn from the partner's payment "
                   "history (shrunk towards the company's when it is short), given that they are still unpaid; "
                   "the projected balance is the average over the simulations, so an invoice from a customer "
                   "that pays either on time or late counts partly on each date.")
        for kind in ("receivable", "payable"):
            rows = table[(table["behaviour_kind"] == kind) & table["partner_id"].notna()]
            if not len(rows):
                continue
            weight = rows.assign(_abs=rows["amount_minor"].abs()).groupby("partner_id")["_abs"].sum()
            for partner_id in weight.sort_values(ascending=False).index[:MAIN_PARTNERS]:
                out.append(behaviour.explain(kind, int(partner_id)))
    else:
        out.append("Open invoices and bills are expected on their due dates (overdue ones on the first day).")
    if params.include_orders:
        delay = "plus the partner's payment delay" if params.order_delays and params.use_behaviour else "with no delay"
        out.append(f"Open sale order lines not invoiced yet: invoiced on the commitment date, at once when "
                   f"delivered, else {ORDER_INVOICE_LAG_DAYS} days after the order; then the customer's "
                   f"payment term, {delay}. Purchase lines: billed on the planned date, then the vendor's "
                   f"term, {delay}. Only the part not invoiced yet is counted.")
    if params.include_recurring:
        if patterns:
            for p in patterns:
                out.append(f"Recurring: {p.label}, {p.cadence} around "
                           f"{'weekday ' + str(p.typical_day) if p.cadence == 'weekly' else 'day ' + str(p.typical_day)}, "
                           f"{'+' if p.amount_minor > 0 else '-'}{_money(p.amount_minor, digits, currency)} "
                           f"(from {p.occurrences} past payments, last {p.last_date.isoformat()}); skipped "
                           f"where an open bill of the same partner already covers the period.")
        else:
            out.append("No recurring bank flows were found in the last year.")
    out.extend(notes)
    if foreign:
        out.append(f"Items in {', '.join(sorted(foreign))} are converted into {currency} at the latest Odoo "
                   f"rate known on the as-of day.")
    if params.threshold is not None:
        out.append(f"Safety threshold: {params.threshold:,.{digits}f} {currency}; a week breaches it when its "
                   f"expected balance or its P10 falls below it on any day.")
    out.append(f"Bands: P10/P50/P90 of {params.simulations} seeded simulations (seed {params.seed}).")
    return tuple(out)
