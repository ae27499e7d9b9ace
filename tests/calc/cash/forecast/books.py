"""Hand-made books for the forecast tests: every cent known, built with the contract's dtypes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ledgerpilot.calc.cash.frames import empty_typed, typed
from ledgerpilot.calc.cash.history import (
    BANK_COLUMNS,
    OPEN_ITEM_COLUMNS,
    OPEN_ORDER_COLUMNS,
    PAID_COLUMNS,
    PAYMENT_TERM_COLUMNS,
    RATE_COLUMNS,
    CashBooks,
)

AS_OF = dt.date(2026, 3, 2)  # a Monday


def day(offset: int) -> dt.date:
    return AS_OF + dt.timedelta(days=offset)


def item(item_id: int, kind: str, partner_id: int, partner_name: str, residual: float, due_in: int,
         name: str | None = None, currency: str = "EUR") -> dict:
    """An open installment due ``due_in`` days after AS_OF (negative: overdue)."""
    return {"id": item_id, "move_id": item_id, "move_name": name or f"DOC/{item_id}",
            "move_type": "out_invoice" if kind == "receivable" else "in_invoice",
            "journal_type": "sale" if kind == "receivable" else "purchase", "kind": kind,
            "partner_id": partner_id, "partner_name": partner_name, "date": day(min(due_in, 0) - 30),
            "invoice_date": day(min(due_in, 0) - 30), "date_maturity": day(due_in), "balance": residual,
            "currency": currency, "amount_currency": residual, "origin": "", "payment_term_id": None,
            "residual_booked": residual, "residual": residual}


def order_line(line_id: int, kind: str, order_name: str, partner_id: int, partner_name: str, remaining: float,
               *, commitment_in: int | None = None, planned_in: int | None = None, term_id: int | None = None,
               ordered_days_ago: int = 1) -> dict:
    return {"kind": kind, "id": line_id, "order_id": line_id, "order_name": order_name, "partner_id": partner_id,
            "partner_name": partner_name, "date_order": day(-ordered_days_ago),
            "commitment_date": day(commitment_in) if commitment_in is not None else None,
            "date_planned": day(planned_in) if planned_in is not None else None, "payment_term_id": term_id,
            "product_uom_qty": 1.0, "qty_delivered": 0.0, "product_qty": 1.0, "qty_received": 0.0,
            "qty_invoiced": 0.0, "ordered_qty": 1.0, "remaining_qty": 1.0, "price_total": remaining,
            "currency": "EUR", "remaining_amount": remaining}


def bank_line(line_id: int, when: dt.date, amount: float, *, partner: tuple[int, str] | None = None,
              account: tuple[int, str, str] = (630, "230000", "liability_current"), label: str = "SALARIES",
              account_name: str = "Salaries Payable") -> dict:
    return {"id": line_id, "move_id": line_id, "move_name": f"BNK1/{line_id}", "date": when, "amount": amount,
            "partner_id": partner[0] if partner else None, "partner_name": partner[1] if partner else None,
            "label": label, "journal_id": 10, "counterpart_account_id": account[0],
            "counterpart_account_code": account[1], "counterpart_account_name": account_name,
            "counterpart_account_type": account[2]}


def frame(rows: list[dict], columns) -> pd.DataFrame:
    if not rows:
        return empty_typed(columns)
    return typed(pd.DataFrame(rows), columns)


def make_books(opening: float, items: list[dict] = (), orders: list[dict] = (), bank: list[dict] = (),
               terms: list[dict] = (), paid: list[dict] = ()) -> CashBooks:
    return CashBooks(
        as_of=AS_OF, currency="EUR", digits=2, opening_balance=opening,
        open_items=frame(list(items), OPEN_ITEM_COLUMNS), open_order_lines=frame(list(orders), OPEN_ORDER_COLUMNS),
        bank_history=frame(list(bank), BANK_COLUMNS), paid_items=frame(list(paid), PAID_COLUMNS),
        payment_terms=frame(list(terms), PAYMENT_TERM_COLUMNS), rates=empty_typed(RATE_COLUMNS))


class FixedDelays:
    """A payment-behaviour double with one fixed delay per (kind, partner): inf = never pays.

    Same interface as ``PaymentBehaviourModel`` for what the forecast uses. ``spread`` adds
    seeded uniform noise of +/- spread days to the samples (for band and seed tests)."""

    def __init__(self, delays: dict[tuple[str, int], float] | None = None, default: float = 0.0,
                 spread: float = 0.0):
        self.delays = delays or {}
        self.default = default
        self.spread = spread

    def expected_delay(self, kind: str, partner_id: int | None) -> float:
        return float(self.delays.get((kind, partner_id), self.default))

    def sample_delays(self, kind, partner_ids, n_sims, rng, already_overdue=None):
        base = np.array([self.expected_delay(kind, None if p < 0 else int(p)) for p in partner_ids], dtype=float)
        out = np.repeat(base[:, None], n_sims, axis=1)
        if self.spread:
            out = out + rng.uniform(-self.spread, self.spread, size=out.shape)
        if already_overdue is not None:
            out = np.maximum(out, np.asarray(already_overdue, dtype=float)[:, None] + 1)
        return out

    def explain(self, kind: str, partner_id: int | None) -> str:
        return f"{kind} partner {partner_id} pays {self.expected_delay(kind, partner_id):g} days after due"


class TwoOutcomeDelays(FixedDelays):
    """A double for customers that pay either on time or much later: each item is paid ``early``
    days after due with probability ``p_early``, otherwise ``late`` days after (inf: never)."""

    def __init__(self, p_early: float, early: float, late: float):
        super().__init__(default=early if p_early >= 0.5 else late)
        self.p_early, self.early, self.late = p_early, early, late

    def sample_delays(self, kind, partner_ids, n_sims, rng, already_overdue=None):
        out = np.where(rng.random((len(partner_ids), n_sims)) < self.p_early, self.early, self.late)
        if already_overdue is not None:
            out = np.maximum(out, np.asarray(already_overdue, dtype=float)[:, None] + 1)
        return out
