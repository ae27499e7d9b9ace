"""Regimes: the kind of customer base a demo company has, so that models are scored on more than one.

A regime sets the mix of payment behaviours among the customers, how many invoices each customer
gets (more customers for the same volume means fewer invoices each), how strongly sales follow the
seasons, whether large invoices are paid later, whether payments due in the holiday months slip,
and how often a customer's bank transfer names the invoice it pays. ``standard`` is the demo
company of the README; the others are there to test that the models generalise.

``regime_for(name, seed)``: a regime by name, or with ``"drawn"`` the one the seed draws among the
non-standard regimes (the same seed always draws the same one).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: every payment behaviour a customer can have (``partners.Customer.settlements`` implements them)
BEHAVIOURS = ("on_time", "early", "late_by_habit", "erratic", "deteriorating", "defaulting",
              "batch", "partial", "disputing")
DRAWN = "drawn"


@dataclass(frozen=True)
class Regime:
    name: str
    description: str
    #: behaviour -> relative number of customers with it (behaviours absent here have none)
    mix: tuple[tuple[str, float], ...]
    #: customers relative to the standard company for the same number of orders
    customers_factor: float = 1.0
    #: amplitude of the sales cycle (busy spring and autumn, quiet summer and December)
    seasonality: float = 0.15
    #: extra days of delay per doubling of an invoice's amount above ``amount_reference``
    amount_delay_days: float = 0.0
    amount_reference: float = 2000.0
    #: extra days of delay of payments falling due in July, August and December
    holiday_delay_days: float = 0.0
    #: share of the customers' transfers whose label carries the invoice number (drawn per seed in the range)
    label_number_share: tuple[float, float] = (0.30, 0.50)
    #: share of single receipts registered as payments first (through Outstanding Receipts)
    registered_receipts_share: float = 0.2

    @property
    def behaviours(self) -> tuple[str, ...]:
        return tuple(name for name, weight in self.mix if weight > 0)


REGIMES: dict[str, Regime] = {regime.name: regime for regime in (
    Regime("standard", "the README's demo company: six behaviours in equal numbers",
           mix=tuple((b, 1.0) for b in BEHAVIOURS[:6])),
    Regime("late_market", "a market that pays late: chronic late payers, disputes, partial payments, "
           "worsening payers, large invoices paid later and holiday slippage",
           mix=(("on_time", 0.10), ("late_by_habit", 0.25), ("erratic", 0.10), ("deteriorating", 0.15),
                ("defaulting", 0.05), ("partial", 0.15), ("disputing", 0.20)),
           seasonality=0.10, amount_delay_days=4.0, holiday_delay_days=8.0),
    Regime("fragmented", "many small customers with few invoices each, erratic and seasonal",
           mix=(("on_time", 0.25), ("early", 0.10), ("late_by_habit", 0.20), ("erratic", 0.20), ("batch", 0.10),
                ("disputing", 0.10), ("defaulting", 0.05)),
           customers_factor=4.0, seasonality=0.35, amount_delay_days=1.5),
    Regime("batch_payers", "customers who pay in monthly payment runs or in parts, seasonal sales",
           mix=(("on_time", 0.15), ("late_by_habit", 0.15), ("erratic", 0.10), ("deteriorating", 0.05),
                ("batch", 0.35), ("partial", 0.20)),
           seasonality=0.25, amount_delay_days=2.0, holiday_delay_days=5.0),
)}


def regime_for(name: str | None, seed: int) -> Regime:
    """The regime called ``name`` (None: standard); ``"drawn"``: the one ``seed`` draws among the others."""
    if name is None:
        return REGIMES["standard"]
    if name == DRAWN:
        others = sorted(n for n in REGIMES if n != "standard")
        return REGIMES[random.Random(f"regime-{seed}").choice(others)]
    if name not in REGIMES:
        raise ValueError(f"unknown regime {name!r}: expected one of {', '.join(REGIMES)} or {DRAWN!r}")
    return REGIMES[name]
