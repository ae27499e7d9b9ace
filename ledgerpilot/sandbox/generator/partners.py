"""Customers with distinct payment behaviours, and vendors with their payment terms.

A behaviour turns a due date (and the amount due) into the days the customer actually pays and
the share paid on each (``Customer.settlements``). The parameters of each
customer are drawn once from the seeded generator and written to the ground truth, so a payment
behaviour calculator can be scored against them.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

from ledgerpilot.sandbox.generator.context import EUR_ID, USD_ID, BuildContext
from ledgerpilot.sandbox.generator.regimes import Regime
from ledgerpilot.sandbox.generator.timestamps import at, shift_weekday

_COMPANY_WORDS = ("Azure", "Northwind", "Bluebird", "Cedar", "Delta", "Evergreen", "Falcon", "Granite", "Harbor",
                  "Iris", "Juniper", "Kestrel", "Lumen", "Maple", "Nimbus", "Orion", "Pioneer", "Quartz", "Riverside",
                  "Summit", "Tidewater", "Umber", "Vertex", "Willow", "Xenon", "Yarrow", "Zephyr", "Atlas", "Beacon",
                  "Cobalt", "Dune", "Ember", "Fjord", "Golden", "Helix", "Indigo")
_COMPANY_KINDS = ("Interiors", "Retail", "Logistics", "Hospitality", "Builders", "Labs", "Trading", "Foods", "Studios",
                  "Clinics", "Outfitters", "Systems", "Partners", "Workshop", "Hotels", "Services")
_CITIES = (("Brussels", "1000"), ("Antwerp", "2000"), ("Ghent", "9000"), ("Liège", "4000"), ("Namur", "5000"),
           ("Leuven", "3000"), ("Bruges", "8000"), ("Mons", "7000"))


@dataclass
class Customer:
    id: int
    name: str
    behaviour: str
    currency_id: int
    term: str
    params: dict[str, Any]
    weight: float
    rng: random.Random = field(repr=False, default=None)  # type: ignore[assignment]

    def settlements(self, due: dt.date, start: dt.date, amount: float = 0.0) -> list[tuple[dt.date, float]] | None:
        """When this customer pays an amount (in EUR) due on ``due``: ``(day, share of the amount)``
        pairs whose shares sum to 1, or None when it never pays."""
        p, r = self.params, self.rng
        months = (due.year - start.year) * 12 + due.month - start.month
        extra = self._extra_delay(due, amount)
        if self.behaviour in ("on_time", "early", "late_by_habit"):
            delay = r.gauss(p["mean_delay_days"], p["sd_days"])
        elif self.behaviour == "erratic":
            mean, sd = r.choice(list(zip(p["mixture_delays_days"], p["mixture_sd_days"])))
            delay = r.gauss(mean, sd)
        elif self.behaviour == "deteriorating":
            delay = p["initial_delay_days"] + p["delay_growth_days_per_month"] * months + r.gauss(0, p["sd_days"])
        elif self.behaviour == "defaulting":  # pays a little late until it stops paying
            if due >= dt.date.fromisoformat(p["stops_paying_from"]):
                return None
            delay = r.gauss(p["mean_delay_days_before_default"], p["sd_days"])
        elif self.behaviour == "batch":  # the first payment run on or after the due date plus its lag
            ready = due + dt.timedelta(days=round(p["lag_days"] + extra + r.gauss(0, p["sd_days"])))
            return [(_payment_run(ready, int(p["run_day"])), 1.0)]
        elif self.behaviour == "partial":  # a first part around the due date, the rest weeks later
            first = due + dt.timedelta(days=round(r.gauss(p["first_delay_days"], p["sd_days"]) + extra))
            rest = first + dt.timedelta(days=max(5, round(r.gauss(p["rest_after_days"], p["sd_days"] * 3))))
            share = p["first_share"]
            return [(shift_weekday(first), share), (shift_weekday(rest), round(1.0 - share, 6))]
        else:  # disputing: usually pays on time, but disputes some invoices for weeks
            if r.random() < p["dispute_share"]:
                delay = r.gauss(p["dispute_delay_days"], p["dispute_sd_days"])
            else:
                delay = r.gauss(p["mean_delay_days"], p["sd_days"])
        return [(shift_weekday(due + dt.timedelta(days=round(delay + extra))), 1.0)]

    def _extra_delay(self, due: dt.date, amount: float) -> float:
        """Days the regime adds: large invoices paid later, payments due in the holiday months slip."""
        p = self.params
        extra = 0.0
        per_doubling = p.get("amount_delay_days_per_doubling", 0.0)
        if per_doubling and amount > 0:
            extra += per_doubling * max(0.0, math.log2(amount / p["amount_reference"]))
        if due.month in (7, 8, 12):
            extra += p.get("holiday_delay_days", 0.0)
        return extra


def _payment_run(ready: dt.date, run_day: int) -> dt.date:
    """The first monthly payment run (on day ``run_day``, a working day) on or after ``ready``."""
    month = ready.replace(day=1)
    while True:
        run = shift_weekday(month.replace(day=min(run_day, 28)))
        if run >= ready:
            return run
        month = (month + dt.timedelta(days=32)).replace(day=1)


@dataclass
class Vendor:
    id: int
    name: str
    term: str
    currency_id: int
    role: str  # trade, landlord, subscription, utilities, services
    ref_prefix: str


def _params(rng: random.Random, behaviour: str, today: dt.date) -> dict[str, Any]:
    if behaviour == "on_time":
        return {"mean_delay_days": 0.0, "sd_days": round(rng.uniform(0.8, 1.8), 2)}
    if behaviour == "early":
        return {"mean_delay_days": -round(rng.uniform(5, 10), 1), "sd_days": round(rng.uniform(1, 2), 2)}
    if behaviour == "late_by_habit":
        return {"mean_delay_days": round(rng.uniform(7, 16), 1), "sd_days": round(rng.uniform(1, 2.5), 2)}
    if behaviour == "erratic":
        return {"mixture_delays_days": [-5, 0, 20, 55], "mixture_sd_days": [2, 3, 8, 15]}
    if behaviour == "deteriorating":
        return {"initial_delay_days": round(rng.uniform(0, 4), 1),
                "delay_growth_days_per_month": round(rng.uniform(1.5, 3.0), 2), "sd_days": 2.0}
    if behaviour == "batch":
        return {"run_day": rng.choice((5, 10, 15, 20, 25, 28)), "lag_days": round(rng.uniform(0, 6), 1),
                "sd_days": 1.0}
    if behaviour == "partial":
        return {"first_share": rng.choice((0.3, 0.4, 0.5, 0.6)), "first_delay_days": round(rng.uniform(-2, 8), 1),
                "rest_after_days": round(rng.uniform(18, 45), 1), "sd_days": 2.0}
    if behaviour == "disputing":
        return {"mean_delay_days": round(rng.uniform(0, 6), 1), "sd_days": 1.5,
                "dispute_share": round(rng.uniform(0.12, 0.3), 2), "dispute_delay_days": round(rng.uniform(35, 75), 1),
                "dispute_sd_days": 10.0}
    stop_months = rng.randint(4, 6)
    stop = (today.replace(day=1) - dt.timedelta(days=30 * stop_months)).replace(day=1)
    return {"stops_paying_from": stop.isoformat(), "mean_delay_days_before_default": round(rng.uniform(3, 12), 1),
            "sd_days": 3.0}


def _regime_params(regime: Regime) -> dict[str, Any]:
    """What the regime adds to every customer's delays (nothing in the standard regime)."""
    out: dict[str, Any] = {}
    if regime.amount_delay_days:
        out.update(amount_delay_days_per_doubling=regime.amount_delay_days, amount_reference=regime.amount_reference)
    if regime.holiday_delay_days:
        out["holiday_delay_days"] = regime.holiday_delay_days
    return out


def customer_counts(regime: Regime, per_behaviour: int) -> list[tuple[str, int]]:
    """How many EUR customers of each behaviour: the standard company's total, times the regime's
    ``customers_factor``, shared by the regime's mix (at least one of each behaviour it names)."""
    weights = [(b, w) for b, w in regime.mix if w > 0]
    total = per_behaviour * 6 * regime.customers_factor
    whole = sum(w for _, w in weights)
    return [(b, max(1, round(total * w / whole))) for b, w in weights]


def seed_partners(ctx: BuildContext) -> None:
    """Customers (``customer_rank``) per behaviour, USD customers, and the vendors."""
    rng, led, sizes = ctx.rng, ctx.ledger, ctx.sizes
    stamp = at(ctx.start, 9)
    names = ctx.partners["names"]
    used: set[str] = set()

    def company_name(suffix: str = "") -> str:
        while True:
            name = f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_KINDS)}{suffix}"
            if name not in used:
                used.add(name)
                return name
            suffix = suffix or f" {len(used)}"

    def partner(name: str, customer: bool, supplier: bool, country_usd: bool = False) -> int:
        city, zip_code = rng.choice(_CITIES)
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
        pid = led.reserve("res.partner")
        led.add("res.partner", {
            "id": pid, "commercial_partner_id": pid, "name": name, "complete_name": name, "is_company": True, "active": True, "type": "contact",
            "email": f"billing@{slug}.example", "email_normalized": f"billing@{slug}.example",
            "phone": f"+32 {rng.randint(2, 9)} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "street": f"{rng.randint(1, 240)} {rng.choice(('Rue Royale', 'Avenue Louise', 'Meir', 'Korenmarkt'))}",
            "city": "New York" if country_usd else city, "zip": "10001" if country_usd else zip_code,
            "vat": None if country_usd else f"BE0{rng.randint(100000000, 999999999)}",
            "customer_rank": 1 if customer else 0, "supplier_rank": 1 if supplier else 0, "lang": "en_US",
            "tz": "America/New_York" if country_usd else "Europe/Brussels", "partner_share": True,
            "employee": False, "ref": None, "create_date": stamp, "write_date": stamp,
            "create_uid": ctx.users["admin"], "write_uid": ctx.users["admin"]})
        names[pid] = name
        return pid

    customers: list[Customer] = []
    terms = ("immediate", "15d", "30d", "30d", "30d", "45d", "eofm", "30now70")
    extra = _regime_params(ctx.regime)
    for behaviour, count in customer_counts(ctx.regime, sizes.customers_per_behaviour):
        for _ in range(count):
            name = company_name()
            pid = partner(name, True, False)
            term = rng.choice(terms)
            if behaviour in ("defaulting", "partial"):
                term = rng.choice(("30d", "45d"))
            params = {**_params(rng, behaviour, ctx.today), **extra}
            customers.append(Customer(pid, name, behaviour, EUR_ID, term, params,
                                      weight=rng.uniform(0.4, 2.5), rng=random.Random(rng.random())))
    for i in range(sizes.usd_customers):
        name = company_name(" Inc.")
        pid = partner(name, True, False, country_usd=True)
        behaviour = ("on_time", "late_by_habit")[i % 2]
        customers.append(Customer(pid, name, behaviour, USD_ID, "30d", {**_params(rng, behaviour, ctx.today), **extra},
                                  weight=rng.uniform(0.5, 1.5), rng=random.Random(rng.random())))
    ctx.partners["customers"] = customers

    vendors: list[Vendor] = []
    for i in range(sizes.trade_vendors):
        name = company_name(" Wholesale" if i % 3 == 0 else "")
        vendors.append(Vendor(partner(name, False, True), name, rng.choice(("30d", "45d", "eofm", "15d")), EUR_ID,
                              "trade", rng.choice(("INV-", "F", "FAC/", "SI-", ""))))
    for i in range(sizes.usd_vendors):
        name = company_name(" Corp.")
        vendors.append(Vendor(partner(name, False, True, country_usd=True), name, "30d", USD_ID, "trade", "US-"))
    fixed = (
        ("Meridian Real Estate SA", "immediate", EUR_ID, "landlord", "RENT-"),
        ("CloudStack Software Inc.", "immediate", USD_ID, "subscription", "CS-"),
        ("Ledgerly SaaS BV", "15d", EUR_ID, "subscription", "LS"),
        ("Officenet Utilities", "15d", EUR_ID, "utilities", "UTIL-"),
        ("Brightline Legal LLP", "30d", EUR_ID, "services", "BL/"),
        ("Swiftmove Couriers", "30d", EUR_ID, "services", "SWM"),
    )
    for name, term, currency, role, prefix in fixed:
        used.add(name)
        vendors.append(Vendor(partner(name, False, True, country_usd=currency == USD_ID), name, term, currency,
                              role, prefix))
    ctx.partners["vendors"] = vendors
    ctx.partners["by_role"] = {role: [v for v in vendors if v.role == role] for role in
                               ("trade", "landlord", "subscription", "utilities", "services")}
    for c in customers:
        ctx.truth.customer(c.id, c.name, c.behaviour, c.currency_id == USD_ID and "USD" or "EUR", c.term, c.params)
