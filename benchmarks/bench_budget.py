"""Budget monitoring: time of a budget run after extraction on the 1,000,000-journal-item company.

Usage: ``python benchmarks/bench_budget.py [--scale 20] [--no-doc]``

The demo company (seed 7, today 2026-11-18) is built once into benchmarks/.data/ and served by the
sandbox in-process; the budget data of the current period (budgets, two years of actuals, open
purchase commitments, projects) is read through the gateway as from a real Odoo (extraction,
reported separately), then timed: the status of every budget line with its projection and tier,
the proposals, a purchase-order check and the burn-down of every project. Goal: under 10 s.
The memory lookups (one search per line at risk among 1,000 resolved past risks, the embedding
model already loaded) are timed beside it. Results go to the "Budget monitoring" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from report import machine_description, update_section  # noqa: E402

from ledgerpilot.calc.budget import BudgetThresholds, budget_proposals, budget_status, check_po, project_burn  # noqa: E402
from ledgerpilot.odoo import connect  # noqa: E402
from ledgerpilot.sandbox.demo import demo_connection, ensure_demo_data  # noqa: E402
from ledgerpilot.sandbox.server.runner import running_sandbox  # noqa: E402
from ledgerpilot.tools.budget.data import load_purchase_order  # noqa: E402
from ledgerpilot.tools.budget.watch import load_period_data, similar_cases  # noqa: E402

SEED = 7
TODAY = dt.date(2026, 11, 18)
GOAL_SECONDS = 10.0
HISTORY = 1000               # past budget risks in the memory when the lookups are timed


def past_risks(lines, count: int):
    """``count`` resolved risks of earlier quarters, worded as the budget run words them."""
    from ledgerpilot.calc.budget import risk_category, risk_text
    from ledgerpilot.memory.exceptions import PastException

    resolutions = ("budget transfer approved by the CFO", "purchase order put on hold until the next quarter",
                   "accepted as a one-off: the plan was too low", "vendor credit note reduced the spending")
    items = []
    for i in range(count):
        line = lines[i % len(lines)]
        quarter = 1 + i // len(lines)
        items.append(PastException(
            id=f"bench:{i}", kind="budget_overrun", category=risk_category(line),
            title=f"Budget risk: {line.analytic_account_name} / {line.position_name}, {quarter} quarters ago",
            text=f"{risk_text(line)} ({quarter} quarters before)", occurred_on=TODAY - dt.timedelta(days=91 * quarter),
            partner="", amount=None, resolution=resolutions[i % len(resolutions)], status="resolved", metadata={}))
    return items


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()

    data_dir, build = timed(ensure_demo_data, ROOT / "benchmarks" / ".data" / f"budget-seed{SEED}-scale{args.scale:g}",
                            SEED, args.scale, TODAY)
    print(f"demo company ready in {build:.1f} s")
    with running_sandbox(data_dir) as handle, connect(demo_connection(handle.url, "readonly")) as client:
        journal_items = client.search_count("account.move.line", [])
        (data, period), extraction = timed(load_period_data, client, None, TODAY, None)
        drafts = client.search_read("purchase.order", [("state", "=", "draft")], ["name"], limit=1, order="id desc")
        po_lines = load_purchase_order(client, drafts[0]["name"]) if drafts else None
    print(f"scale {args.scale:g}: {journal_items:,} journal items; extraction {extraction:.1f} s "
          f"({len(data.budget_lines):,} budget lines, {len(data.actuals):,} actual rows, "
          f"{len(data.commitments):,} commitment rows, period {period.start} to {period.end})")

    report, status_s = timed(budget_status, data, TODAY, BudgetThresholds())
    proposals, proposals_s = timed(budget_proposals, report, run_id="bench")
    po_check_s = 0.0
    if po_lines is not None:
        _check, po_check_s = timed(check_po, data, po_lines, TODAY)
    burns_s = 0.0
    projects = [int(p) for p in data.projects.loc[data.projects["analytic_account_id"].notna(), "project_id"]]
    for project in projects:
        _burn, seconds = timed(project_burn, data, project, TODAY)
        burns_s += seconds
    total = status_s + proposals_s + po_check_s + burns_s
    at_risk = report.at_risk()
    tiers = {tier: sum(1 for line in report.lines if line.tier == tier) for tier in ("high", "medium", "note", "ok")}
    print(f"budget run: status {status_s:.2f} s, proposals {proposals_s:.2f} s, PO check {po_check_s:.2f} s, "
          f"{len(projects)} burn-downs {burns_s:.2f} s; total {total:.2f} s (goal < {GOAL_SECONDS:g} s); "
          f"{len(report.lines)} lines {tiers}, {len(proposals)} proposals")

    from ledgerpilot.memory.exceptions import ExceptionMemory, load_embedder

    embedder, model_s = timed(load_embedder)
    history = past_risks(report.lines, HISTORY)
    with tempfile.TemporaryDirectory() as folder:
        memory = ExceptionMemory(Path(folder), embedder=embedder)
        _none, history_s = timed(memory.add, history)
        similar, memory_s = timed(similar_cases, memory, at_risk, data.source.kind, TODAY)
    found = sum(len(hits) for hits in similar.values())
    print(f"memory: model loaded in {model_s:.1f} s; {len(history):,} past risks added in {history_s:.1f} s; "
          f"{len(at_risk)} lookups in {memory_s:.2f} s ({found} past cases found)")

    if args.no_doc:
        return
    update_section("Budget monitoring", f"""
Machine: {machine_description()}

Command: `python benchmarks/bench_budget.py --scale {args.scale:g}` (demo company seed {SEED}, today
{TODAY}; served by the sandbox and read through the gateway).

{journal_items:,} journal items. Extraction of the current period's budget data: {extraction:.1f} s
({len(data.budget_lines):,} budget lines, {len(data.actuals):,} actual rows over two years,
{len(data.commitments):,} open commitment rows; not part of the goal).

| step (after extraction) | time |
| --- | --- |
| status of every line (actual, committed, projection with last year's seasonality, tier) | {status_s:.2f} s |
| proposals ({len(proposals)}) | {proposals_s:.2f} s |
| check of a draft purchase order | {po_check_s:.2f} s |
| burn-down of {len(projects)} projects | {burns_s:.2f} s |
| **budget run** | **{total:.2f} s** (goal < {GOAL_SECONDS:g} s: {'met' if total < GOAL_SECONDS else 'NOT met'}) |
| memory lookups for the {len(at_risk)} lines at risk among {len(history):,} past risks | {memory_s:.2f} s |

The memory lookups ran with the embedding model already loaded (loading it took {model_s:.1f} s;
adding the {len(history):,} past risks {history_s:.1f} s).

Tiers: high {tiers['high']}, medium {tiers['medium']}, note {tiers['note']}, ok {tiers['ok']}.
""")
    print("updated docs/benchmarks.md (section Budget monitoring)")


if __name__ == "__main__":
    main()
