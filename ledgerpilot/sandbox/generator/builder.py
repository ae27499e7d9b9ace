"""Orchestration: build the whole demo company, month by month, into a fresh SQLite store."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path

from ledgerpilot.sandbox.generator.activities import seed_activities
from ledgerpilot.sandbox.generator.analytics import DEPARTMENTS, seed_analytics
from ledgerpilot.sandbox.generator.anomalies import plan_anomalies
from ledgerpilot.sandbox.generator.bank import StatementBook
from ledgerpilot.sandbox.generator.base import COMPANY_PARTNER_ID, seed_base, set_passwords
from ledgerpilot.sandbox.generator.budgets import BUDGET_POSTS, seed_budgets
from ledgerpilot.sandbox.generator.chart import company_row, seed_chart
from ledgerpilot.sandbox.generator.context import BuildContext
from ledgerpilot.sandbox.generator.current_month import plan_current_month
from ledgerpilot.sandbox.generator.ground_truth import GROUND_TRUTH_FILENAME, GroundTruth, write_ground_truth
from ledgerpilot.sandbox.generator.ledger import Ledger
from ledgerpilot.sandbox.generator.moves import add_move
from ledgerpilot.sandbox.generator.params import HISTORY_MONTHS, sizes_for
from ledgerpilot.sandbox.generator.partners import seed_partners
from ledgerpilot.sandbox.generator.products import seed_products
from ledgerpilot.sandbox.generator.purchases import generate_expense_bills_month, generate_purchases_month
from ledgerpilot.sandbox.generator.recurring import generate_recurring_month
from ledgerpilot.sandbox.generator.regimes import regime_for
from ledgerpilot.sandbox.generator.sales import generate_sales_month
from ledgerpilot.sandbox.generator.second_company import seed_second_company
from ledgerpilot.sandbox.generator.stock import opening_inventory
from ledgerpilot.sandbox.generator.timestamps import add_months, at, last_day
from ledgerpilot.sandbox.store import Store, database_path

Progress = Callable[[str, float], None]


def build_demo_company(data_dir: str | Path, seed: int = 7, scale: float = 1.0, today: dt.date | None = None,
                       progress: Progress | None = None, overwrite: bool = False,
                       regime: str | None = None, inject_anomalies: bool = True,
                       second_company: bool = True) -> GroundTruth:
    """Write ``<data_dir>/demo.sqlite`` and ``<data_dir>/ground_truth.json`` for a seeded demo company.

    The same ``(seed, scale, today, regime)`` gives identical table contents. ``today`` defaults to
    the current date; the books cover the 24 months ending on it, the last one unfinished.
    ``regime`` (``regimes.REGIMES``; default ``standard``; ``"drawn"``: the seed picks one) sets the
    customers' payment behaviours and the seasons. ``inject_anomalies`` off gives a clean book: the
    same company without the injected anomalies (the look-alikes and close defects stay).
    ``second_company`` adds Brightwave Logistics BV, a second company of the same database
    (:mod:`second_company`); the first company's books are the same without it. Refuses to replace
    an existing database unless ``overwrite`` is true.
    """
    chosen = regime_for(regime, seed)
    today = today or dt.date.today()
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = database_path(data_dir)
    if path.exists():
        if not overwrite:
            raise FileExistsError(f"{path} already exists; pass overwrite=True to rebuild the demo company")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        (data_dir / GROUND_TRUTH_FILENAME).unlink(missing_ok=True)
    sizes = sizes_for(scale)
    store = Store(path)
    try:
        store.set_meta("db_name", "demo")
        store.set_meta("today", today.isoformat())
        store.set_meta("now", f"{today.isoformat()} 18:00:00")
        store.set_meta("regime", chosen.name)
        store.set_meta("anomalies", "injected" if inject_anomalies else "none")
        variety_rng = random.Random(f"labels-{seed}-{chosen.name}")
        ctx = BuildContext(store=store, ledger=Ledger(store), rng=random.Random(seed), sizes=sizes, today=today,
                           start=add_months(today.replace(day=1), -(HISTORY_MONTHS - 1)), progress=progress,
                           regime=chosen, variety_rng=variety_rng, inject_anomalies=inject_anomalies,
                           anomaly_rng=random.Random(f"anomalies-{seed}-{chosen.name}"),
                           label_number_share=round(variety_rng.uniform(*chosen.label_number_share), 3))
        _build(ctx)
        if second_company:
            ctx.report("second company", 0.0)
            seed_second_company(ctx, seed)
        store.set_meta("companies", "2" if second_company else "1")
        ctx.store.fill_derived()
        ctx.report("indexes", 0.0)
        ctx.store.create_indexes()
        counts = {spec.name: store.count(spec.name) for spec in store.registry.values()}
        truth = ctx.truth.build(seed, scale, today.isoformat(), counts, regime=chosen.name)
        write_ground_truth(data_dir, truth)
        ctx.report("done", 1.0)
        return truth
    finally:
        store.close()


def _build(ctx: BuildContext) -> None:
    ctx.report("company", 0.0)
    seed_base(ctx)
    seed_chart(ctx)
    ctx.notes["opening_move"].append(ctx.ledger.reserve("account.move"))
    ctx.ledger.add("res.company", company_row(ctx, COMPANY_PARTNER_ID))
    seed_partners(ctx)
    seed_products(ctx)
    seed_analytics(ctx)
    ctx.book = StatementBook(ctx, "BNK1", "101401", "101402")
    ctx.cash_book = StatementBook(ctx, "CSH1", "101501", "101402")
    _opening(ctx)
    plan_anomalies(ctx)
    plan_current_month(ctx)
    months = ctx.months()
    for index, month in enumerate(months):
        last = min(last_day(month), ctx.today)
        generate_recurring_month(ctx, month, last)
        generate_sales_month(ctx, month, last)
        generate_purchases_month(ctx, month, last)
        generate_expense_bills_month(ctx, month, last)
        ctx.run_until(last)
        ctx.book.close_month(month)
        ctx.cash_book.close_month(month)
        ctx.ledger.maybe_flush()
        ctx.report("books", (index + 1) / len(months))
    ctx.ledger.flush()
    for finalize in ctx.notes["finalizers"]:
        finalize()
    ctx.report("budgets", 0.0)
    seed_budgets(ctx, _budget_plan(ctx))
    ctx.ledger.flush()
    seed_activities(ctx)
    ctx.ledger.flush()
    for finalize in ctx.notes["late_finalizers"]:
        finalize()
    set_passwords(ctx)


def _opening(ctx: BuildContext) -> None:
    """Capital paid into the bank on the first day and the opening entry of the fixed assets."""
    day = ctx.start
    capital = round(150000 + 300000 * ctx.sizes.scale, 2)
    ctx.book.add_line(date=day, amount=capital, payment_ref="Capital contribution", partner_id=None,
                      counterpart={"account": "301000", "balance": -capital}, user="controller", created=at(day, 9))
    # Odoo's opening entry (``res.company.account_opening_move_id``): balances brought in from before
    # the books, dated the day before they open, the difference on Undistributed Profits/Losses
    add_move(ctx, journal="MISC", date=day - dt.timedelta(days=1), user="admin", ref="Opening Journal Entry",
             created=at(day, 9, 30), move_id=ctx.notes["opening_move"][0],
             lines=[{"account": "151000", "balance": 120000.0, "name": "Office fit-out and equipment"},
                    {"account": "301000", "balance": -100000.0, "name": "Contribution in kind"},
                    {"account": "999999", "balance": -20000.0, "name": "Automatic Balancing Line"}])
    monthly = ctx.products["monthly_units"]
    opening_inventory(ctx, day, {p.id: float(5 * round(1.5 * monthly / 5) or 5) for p in ctx.products["goods"]})


def _budget_plan(ctx: BuildContext) -> dict[tuple[str, str], float]:
    """Quarterly budget per (position, department): last year's actual plus 5%, rounded to 100."""
    year_start = dt.date(ctx.today.year, 1, 1)
    prev_start = dt.date(ctx.today.year - 1, 1, 1)
    plan: dict[tuple[str, str], float] = {}
    conn = ctx.store.conn
    for post, (codes, _sign) in BUDGET_POSTS.items():
        account_ids = [ctx.accounts[c] for c in codes]
        marks = ",".join("?" for _ in account_ids)
        for department in DEPARTMENTS:
            analytic_id = ctx.analytic[f"dept:{department}"]
            total = conn.execute(
                f"SELECT COALESCE(SUM(amount), 0) FROM account_analytic_line WHERE x_plan2_id = ? "
                f"AND general_account_id IN ({marks}) AND date >= ? AND date < ?",
                (analytic_id, *account_ids, prev_start.isoformat(), year_start.isoformat())).fetchone()[0]
            if abs(total) >= 1.0:
                plan[(post, department)] = round(abs(total) / 4 * 1.05, -2)
    return plan
