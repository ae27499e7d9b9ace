"""Products: storable goods (average cost, real-time valuation), services, and expense items."""

from __future__ import annotations

from dataclasses import dataclass

from ledgerpilot.sandbox.generator.context import EUR_ID, BuildContext
from ledgerpilot.sandbox.generator.timestamps import at

_GOODS = ("Office Chair", "Standing Desk", "Monitor Arm", "LED Desk Lamp", "Filing Cabinet", "Conference Table",
          "Whiteboard", "Ergonomic Keyboard", "Wireless Mouse", "Docking Station", "Acoustic Panel", "Bookshelf",
          "Printer Paper Box", "Toner Cartridge", "Laptop Stand", "Webcam HD", "Headset Pro", "Cable Kit",
          "Storage Box", "Coat Stand", "Desk Organizer", "Footrest", "Privacy Screen", "Locker Unit")
_SERVICES = ("Installation Service", "Consulting Hour", "Support Contract", "Design Workshop", "Delivery Fee",
             "Training Session")
#: key -> (name, expense account)
EXPENSE_ITEMS = {
    "rent": ("Office Rent", "611000"),
    "utilities": ("Electricity & Water", "612000"),
    "software": ("Software Subscription", "613000"),
    "legal": ("Legal & Advisory Fees", "614000"),
    "courier": ("Courier Services", "600000"),
    "supplies": ("Office Supplies", "600000"),
}


@dataclass
class Product:
    id: int
    template_id: int
    name: str
    code: str
    kind: str  # goods, service, expense
    cost: float
    price: float
    account: str
    on_hand: float = 0.0
    stock_value: float = 0.0
    on_order: float = 0.0  # ordered from vendors, not yet received

    @property
    def average_cost(self) -> float:
        return round(self.stock_value / self.on_hand, 2) if self.on_hand > 0.0001 else self.cost


def seed_products(ctx: BuildContext) -> None:
    rng, led, sizes = ctx.rng, ctx.ledger, ctx.sizes
    stamp = at(ctx.start, 9)
    audit = {"create_date": stamp, "write_date": stamp, "create_uid": ctx.users["admin"],
             "write_uid": ctx.users["admin"]}
    categories = {}
    for name, parent in (("All", None), ("Saleable", "All"), ("Services", "All"), ("Expenses", "All")):
        cid = led.reserve("product.category")
        parent_id = categories.get(parent)
        led.add("product.category", {"id": cid, "name": name, "parent_id": parent_id,
                                     "complete_name": f"All / {name}" if parent else name,
                                     "parent_path": f"{parent_id}/{cid}/" if parent_id else f"{cid}/", **audit})
        categories[name] = cid

    def product(name: str, code: str, kind: str, cost: float, price: float, account: str) -> Product:
        detailed = {"goods": "product", "service": "service", "expense": "service"}[kind]
        tmpl = led.add("product.template", {
            "name": name, "categ_id": categories[{"goods": "Saleable", "service": "Services", "expense": "Expenses"}[kind]],
            "list_price": price, "standard_price": cost, "detailed_type": detailed, "type": detailed,
            "sale_ok": kind != "expense", "purchase_ok": kind != "service", "company_id": None, "active": True,
            "invoice_policy": "delivery" if kind == "goods" else "order",
            "purchase_method": "receive" if kind == "goods" else "purchase",
            "cost_method": "average" if kind == "goods" else "standard", "currency_id": EUR_ID,
            "property_account_income_id": ctx.accounts["400000"] if kind != "expense" else None,
            "property_account_expense_id": ctx.accounts[account] if kind == "expense" else None, **audit})
        pid = led.add("product.product", {"product_tmpl_id": tmpl, "default_code": code, "active": True,
                                          "combination_indices": "", **audit})
        return Product(pid, tmpl, name, code, kind, cost, price, account)

    goods, services = [], []
    for i in range(sizes.products_goods):
        base = _GOODS[i % len(_GOODS)]
        name = base if i < len(_GOODS) else f"{base} Mk{i // len(_GOODS) + 1}"
        cost = round(rng.uniform(8, 420), 2)
        goods.append(product(name, f"FURN_{i + 1:04d}", "goods", cost, round(cost * rng.uniform(1.35, 1.9), 2),
                             "110200"))
    for i in range(sizes.products_services):
        base = _SERVICES[i % len(_SERVICES)]
        name = base if i < len(_SERVICES) else f"{base} ({i // len(_SERVICES) + 1})"
        services.append(product(name, f"SERV_{i + 1:04d}", "service", 0.0, round(rng.uniform(60, 180), 2), "400000"))
    expense = {key: product(name, f"EXP_{key.upper()}", "expense", 0.0, 0.0, account)
               for key, (name, account) in EXPENSE_ITEMS.items()}
    ctx.products.update(goods=goods, services=services, expense=expense, categories=categories,
                        monthly_units=expected_monthly_units(ctx))


def expected_monthly_units(ctx: BuildContext) -> float:
    """Units of one storable product sold in a month, on average (drives replenishment).

    Orders per month x share of goods lines (0.72) x lines per order (1.83) x units per line (6.4),
    spread over the catalogue.
    """
    return ctx.sizes.sale_orders_per_month * 0.72 * 1.83 * 6.4 / ctx.sizes.products_goods
