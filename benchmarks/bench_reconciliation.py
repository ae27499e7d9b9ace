"""Bank reconciliation: matching speed on 5,000 bank lines against 50,000 open items, and the
precision/coverage of the high-confidence proposals on the demo company.

Usage: ``python benchmarks/bench_reconciliation.py [--lines 5000] [--items 50000] [--scale 1] [--no-doc]``

Speed: a seeded synthetic statement shaped like the demo's (customers paying invoices with the
invoice number and their name in the label or just "Payment <name>", several invoices paid at once,
partial payments, bank fees taken off, vendor payments named by the vendor's reference, salaries
and fees with no counterpart, separators and case changed) is matched with ``match_bank_lines``.
Goal: under 30 s on 2 cores. Since the synthetic lines know what they pay, precision and coverage
on them are printed too (a sanity check, not the target).

Quality: the demo company (seed 7, today 2026-11-18, ``--scale``) is built into a temporary folder,
served by the sandbox in-process and scored by ``ledgerpilot.evals.reconciliation`` over its whole
history (see that module for how the truth is built). Goals: precision >= 99 %, coverage >= 85 %.
Results go to the "Bank reconciliation" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import pandas as pd
from report import machine_description, update_section

from ledgerpilot.calc.close.matching import MatchConfig, match_bank_lines

SEED = 42                    # of the synthetic statement
DEMO_SEED = 7                # of the demo company (the CLI's default)
TODAY = dt.date(2026, 11, 18)
GOAL_SECONDS = 30.0
WORDS = ("Azure", "Granite", "Harbor", "Indigo", "Lumen", "Orion", "Quartz", "Riverside", "Vertex", "Yarrow",
         "Willow", "Cobalt", "Delta", "Falcon", "Golden", "Kestrel", "Pioneer", "Summit", "Atlas", "Beacon")
TRADES = ("Retail", "Foods", "Services", "Builders", "Hotels", "Logistics", "Studios", "Trading", "Interiors")


def synthetic_books(lines: int, items: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(bank_lines, open_items, truth: bank line id -> item ids or ()), seeded."""
    rng = random.Random(seed)
    partners = [(i + 1, f"{rng.choice(WORDS)} {rng.choice(TRADES)} {i}") for i in range(max(50, items // 120))]
    customers = partners[: len(partners) * 2 // 3]
    vendors = partners[len(partners) * 2 // 3:]
    start = TODAY - dt.timedelta(days=180)
    rows = []
    for i in range(items):
        roll = rng.random()
        day = start + dt.timedelta(days=rng.randint(0, 175))
        amount = round(rng.lognormvariate(6.5, 1.0), 2) + 1.0
        if roll < 0.62:
            pid, name = rng.choice(customers)
            rows.append((i + 1, 100_000 + i, f"INV/{day.year}/{i + 1:05d}", None, "out_invoice", pid, name, day,
                         day + dt.timedelta(days=30), amount, 10, "invoice"))
        elif roll < 0.90:
            pid, name = rng.choice(vendors)
            rows.append((i + 1, 100_000 + i, f"BILL/{day:%Y/%m}/{i + 1:04d}", f"V{pid}-{day.year}-{i:05d}",
                         "in_invoice", pid, name, day, day + dt.timedelta(days=30), -amount, 20, "bill"))
        elif roll < 0.95:
            pid, name = rng.choice(customers)
            rows.append((i + 1, 100_000 + i, f"RINV/{day.year}/{i + 1:05d}", None, "out_refund", pid, name, day,
                         day, -round(amount / 4, 2), 10, "refund"))
        else:
            pid, name = rng.choice(vendors)
            rows.append((i + 1, 100_000 + i, f"PBNK1/{day.year}/{i + 1:05d}", f"PAY-{i:06d}", "entry", pid, name,
                         day, day, -amount, 30, "payment"))
    open_items = pd.DataFrame(rows, columns=["id", "move_id", "move_name", "ref", "move_type", "partner_id",
                                             "partner_name", "date", "date_maturity", "amount_residual",
                                             "account_id", "kind"])
    invoices = open_items[open_items["kind"] == "invoice"]
    by_partner = {pid: group for pid, group in invoices.groupby("partner_id")}
    payables = open_items[open_items["kind"].isin(["bill", "payment"])]
    used: set[int] = set()
    bank, truth = [], {}

    def line(line_id, day, amount, label, partner):
        pid, name = partner if partner else (None, None)
        bank.append((line_id, day, round(amount, 2), label, pid, name, 1, 500_000 + line_id, "EUR"))

    attempts = 0
    while len(bank) < lines and attempts < lines * 20:
        attempts += 1
        line_id = len(bank) + 1
        roll = rng.random()
        if roll < 0.55:                                   # one invoice paid
            item = invoices.iloc[rng.randrange(len(invoices))]
            if int(item.id) in used:
                continue
            used.add(int(item.id))
            name = item.move_name if rng.random() < 0.5 else item.move_name.replace("/", " ").lower()
            label = f"{name} {item.partner_name}" if rng.random() < 0.85 else f"Payment {item.partner_name}"
            day = item.date_maturity + dt.timedelta(days=rng.randint(-5, 20))
            fee = round(rng.uniform(0.5, 9.0), 2) if rng.random() < 0.05 else 0.0
            line(line_id, day, item.amount_residual - fee, label, (int(item.partner_id), item.partner_name))
            truth[line_id] = (int(item.id),)
        elif roll < 0.62:                                 # several invoices of one customer at once
            pid = rng.choice(list(by_partner))
            group = by_partner[pid]
            picks = group.sample(n=min(len(group), rng.randint(2, 4)), random_state=rng.randrange(10**6))
            if any(int(i) in used for i in picks["id"]):
                continue
            used.update(int(i) for i in picks["id"])
            names = " ".join(picks["move_name"]) if rng.random() < 0.5 else f"Payment {picks.iloc[0].partner_name}"
            day = picks["date_maturity"].max() + dt.timedelta(days=rng.randint(0, 10))
            line(line_id, day, picks["amount_residual"].sum(), names, (pid, picks.iloc[0].partner_name))
            truth[line_id] = tuple(sorted(int(i) for i in picks["id"]))
        elif roll < 0.90:                                 # a bill or a sent payment
            item = payables.iloc[rng.randrange(len(payables))]
            if int(item.id) in used:
                continue
            used.add(int(item.id))
            day = item.date_maturity + dt.timedelta(days=rng.randint(0, 3))
            line(line_id, day, item.amount_residual, f"Payment {item.ref}", (int(item.partner_id), item.partner_name))
            truth[line_id] = (int(item.id),)
        else:                                             # fees, salaries: nothing to match
            day = start + dt.timedelta(days=rng.randint(0, 179))
            line(line_id, day, -round(rng.uniform(10, 20000), 2),
                 rng.choice(("Account maintenance fee", "SALARIES", "VAT Q3", "CARD SETTLEMENT 4471")), None)
            truth[line_id] = ()
    bank_lines = pd.DataFrame(bank, columns=["id", "date", "amount", "payment_ref", "partner_id", "partner_name",
                                             "journal_id", "move_id", "currency"])
    bank_lines["partner_id"] = bank_lines["partner_id"].astype("Int64")
    return bank_lines, open_items, truth


def synthetic_quality(result, truth: dict) -> tuple[float, float]:
    high = [m for m in result.matches if m.best.level == "high"]
    correct = sum(1 for m in high if set(m.best.item_ids) == set(truth.get(m.bank_line_id, ())))
    return (correct / len(high) if high else 0.0), len(high) / max(1, len(truth))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--items", type=int, default=50000)
    parser.add_argument("--scale", type=float, default=1.0, help="scale of the demo company scored")
    parser.add_argument("--no-doc", action="store_true", help="print only, do not update docs/benchmarks.md")
    args = parser.parse_args()

    bank_lines, open_items, truth = synthetic_books(args.lines, args.items)
    started = time.perf_counter()
    result = match_bank_lines(bank_lines, open_items, config=MatchConfig())
    seconds = time.perf_counter() - started
    precision, coverage = synthetic_quality(result, truth)
    print(f"matching {len(bank_lines):,} lines x {len(open_items):,} items: {seconds:.2f} s "
          f"(goal < {GOAL_SECONDS:.0f} s); synthetic precision {precision:.1%}, coverage {coverage:.1%}")

    from ledgerpilot.evals.reconciliation import score_reconciliation
    from ledgerpilot.odoo import connect
    from ledgerpilot.sandbox.demo import demo_connection
    from ledgerpilot.sandbox.generator import build_demo_company
    from ledgerpilot.sandbox.server.runner import running_sandbox

    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "demo"
        build_demo_company(data_dir, seed=DEMO_SEED, scale=args.scale, today=TODAY)
        with running_sandbox(data_dir) as sandbox, connect(demo_connection(sandbox.url, "readonly")) as client:
            score = score_reconciliation(client, data_dir, months=None)
    print(score.summary(), f"({score.seconds:.1f} s)")
    for mistake in score.mistakes()[:10]:
        print("wrong:", mistake.bank_line_id, mistake.label, mistake.best.reason if mistake.best else "")
    if args.no_doc:
        return
    precision_text = "n/a" if score.precision is None else f"{score.precision:.1%}"
    update_section("Bank reconciliation", f"""
Machine: {machine_description()}
Command: `python benchmarks/bench_reconciliation.py --lines {args.lines} --items {args.items} --scale {args.scale:g}`

| measure | result | goal |
|---|---|---|
| `match_bank_lines`, {len(bank_lines):,} bank lines x {len(open_items):,} open items (synthetic, seed {SEED}) | {seconds:.2f} s | < {GOAL_SECONDS:.0f} s |
| precision of high-confidence proposals, demo company (seed {DEMO_SEED}, scale {args.scale:g}, whole history) | {precision_text} ({score.correct} of {score.correct + score.wrong}) | >= 99 % |
| coverage: bank lines with a high-confidence proposal | {score.coverage:.1%} ({score.high} of {score.lines}) | >= 85 % |

Demo: {score.summary()}. Scoring took {score.seconds:.1f} s (replaying every reconciled line against the
items open on its date). On the synthetic statement (truth known by construction): precision {precision:.1%},
coverage {coverage:.1%}. How the truth is built and which lines count: docs/reconciliation.md.
""")


if __name__ == "__main__":
    main()
