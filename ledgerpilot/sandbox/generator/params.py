"""How big the demo company is for a given ``scale``.

Scale multiplies the volume (documents per month and partners); the fixed cast (landlord,
subscriptions, the anomaly and defect actors) is there at every scale so that even a small
build contains every behaviour, anomaly and defect kind.
"""

from __future__ import annotations

from dataclasses import dataclass

HISTORY_MONTHS = 24


@dataclass(frozen=True)
class Sizes:
    scale: float
    customers_per_behaviour: int
    usd_customers: int
    trade_vendors: int
    usd_vendors: int
    products_goods: int
    products_services: int
    sale_orders_per_month: int
    expense_bills_per_month: int
    petty_cash_per_month: int
    open_sale_orders: int
    open_purchase_orders: int


def sizes_for(scale: float) -> Sizes:
    """Volumes for ``scale`` (1.0 gives about 50,000 journal items over 24 months)."""
    if not (0 < scale <= 1000):
        raise ValueError(f"scale must be in (0, 1000], got {scale!r}")

    def n(base: float, minimum: int) -> int:
        return max(minimum, round(base * scale))

    return Sizes(
        scale=scale,
        customers_per_behaviour=n(16, 2),
        usd_customers=n(6, 2),
        trade_vendors=n(30, 5),
        usd_vendors=n(3, 1),
        products_goods=n(30, 8),
        products_services=n(10, 4),
        sale_orders_per_month=n(155, 20),
        expense_bills_per_month=n(30, 5),
        petty_cash_per_month=n(4, 2),
        open_sale_orders=n(40, 6),
        open_purchase_orders=n(15, 4),
    )
