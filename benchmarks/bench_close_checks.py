"""Close checks: detection of the demo company's injected close defects, and the time to check a month.

Usage: ``python benchmarks/bench_close_checks.py [--scale 20] [--data-dir DIR] [--no-doc]``

The demo company (seed 7, today 2026-11-18) at scale 1 is built once into benchmarks/.data/ and
served by the sandbox in-process; the current month and the one before are loaded through the
gateway as from a real Odoo (``load_close_data``), every check runs (``run_checks``) and the findings
are scored against the labelled close defects (``ledgerpilot.evals.close_checks``). Goals: recall at
least 95%, at most 10% of findings false. With ``--scale 20`` the time of ``load_close_data`` +
``run_checks`` (and the trial-balance review) of the current month is also measured on the
1,000,000-journal-item company (``--data-dir`` reuses a demo already built at that scale). Results go
to the "Close checks" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from report import machine_description, update_section

from ledgerpilot.calc.close import CloseConfig, review_trial_balance, run_checks
from ledgerpilot.domain.month import Month
from ledgerpilot.evals.close_checks import FALSE_SHARE_GOAL, RECALL_GOAL, evaluate_close_checks
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection, ensure_demo_data
from ledgerpilot.sandbox.generator import load_ground_truth
from ledgerpilot.sandbox.server.runner import running_sandbox
from ledgerpilot.tools.close.data import load_close_data

SEED = 7
TODAY = dt.date(2026, 11, 18)


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def detection(data_dir: Path):
    """Score the checks on the demo in ``data_dir``; returns (score, findings, seconds, journal items)."""
    with running_sandbox(data_dir) as handle, connect(demo_connection(handle.url, "readonly")) as client:
        items = client.search_count("account.move.line", [])
        (score, findings), seconds = timed(evaluate_close_checks, client, data_dir, config=CloseConfig())
    return score, findings, seconds, items


def month_timing(data_dir: Path) -> dict:
    """Time load_close_data + run_checks + review of the demo's current month in ``data_dir``."""
    today = dt.date.fromisoformat(load_ground_truth(data_dir).today)
    month = Month.of(today)
    config = CloseConfig()
    with running_sandbox(data_dir) as handle, connect(demo_connection(handle.url, "readonly")) as client:
        items = client.search_count("account.move.line", [])
        data, load_s = timed(load_close_data, client, month, today=today)
    checklist, checks_s = timed(run_checks, data, config)
    review, review_s = timed(review_trial_balance, data, config)
    return {"items": items, "month": month.label, "load": load_s, "checks": checks_s, "review": review_s,
            "period_lines": len(data.period_lines), "findings": len(checklist.findings),
            "flagged": len(review.flagged), "accounts": len(review.rows)}


def score_table(score) -> str:
    rows = ["| defect kind | found / labelled |", "| --- | --- |"]
    rows += [f"| {kind} | {found} / {total} |" for kind, (found, total) in sorted(score.by_kind().items())]
    rows += [f"| {kind} | not scored: {why} |" for kind, why in sorted(score.not_scored.items())]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=None, help="also time a month at this scale (e.g. 20)")
    parser.add_argument("--data-dir", type=Path, default=None, help="a demo already built at --scale")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()

    small_dir, build = timed(ensure_demo_data, ROOT / "benchmarks" / ".data" / f"close-seed{SEED}-scale1", SEED,
                             1.0, TODAY)
    print(f"demo company (scale 1) ready in {build:.1f} s")
    score, findings, detect_s, items = detection(small_dir)
    print(f"scale 1: {items:,} journal items; periods {', '.join(score.periods)}; {len(findings)} findings in "
          f"{detect_s:.2f} s; recall {score.recall:.1%} ({score.found}/{len(score.defects)}), false "
          f"{score.false_share:.1%} ({len(score.false_findings)}/{score.findings})")
    for line in score.false_findings:
        print(f"  false: {line}")
    for missed in score.missed:
        print(f"  missed: {missed.kind} {missed.period} {missed.ids}")

    large = None
    if args.scale:
        data_dir = args.data_dir or ROOT / "benchmarks" / ".data" / f"close-seed{SEED}-scale{args.scale:g}"
        if args.data_dir is None:
            ensure_demo_data(data_dir, SEED, args.scale, TODAY)
        large = month_timing(data_dir)
        total = large["load"] + large["checks"]
        print(f"scale {args.scale:g}: {large['items']:,} journal items; {large['month']}: load_close_data "
              f"{large['load']:.2f} s ({large['period_lines']:,} items of the period), run_checks "
              f"{large['checks']:.3f} s, trial-balance review {large['review']:.3f} s; total {total:.2f} s")

    if args.no_doc:
        return
    command = "python benchmarks/bench_close_checks.py" + (f" --scale {args.scale:g}" if args.scale else "") \
        + (f" --data-dir {args.data_dir}" if args.scale and args.data_dir else "")
    false_lines = "\n".join(f"- {line}" for line in score.false_findings) or "- none"
    body = f"""
Machine: {machine_description()}

Command: `{command}` (demo company seed {SEED}, today {TODAY}; served by the sandbox and read
through the gateway).

Detection at scale 1 ({items:,} journal items), periods {', '.join(score.periods)}, every check
enabled with the default thresholds, {len(findings)} findings in {detect_s:.2f} s (loading both
months and checking them):

- recall {score.recall:.1%} ({score.found} of {len(score.defects)} labelled defects; goal at least
  {RECALL_GOAL:.0%}: {'met' if score.recall >= RECALL_GOAL else 'NOT met'})
- false findings {score.false_share:.1%} ({len(score.false_findings)} of {score.findings}; goal at most
  {FALSE_SHARE_GOAL:.0%}: {'met' if score.false_share <= FALSE_SHARE_GOAL else 'NOT met'})

{score_table(score)}

False findings:
{false_lines}
"""
    if large:
        body += f"""
Time of one month at scale {args.scale:g} ({large['items']:,} journal items), month {large['month']}:

| step | time |
| --- | --- |
| `load_close_data` (paged items of the period: {large['period_lines']:,}; history by read_group) | {large['load']:.2f} s |
| `run_checks` ({large['findings']} findings) | {large['checks']:.3f} s |
| `review_trial_balance` ({large['accounts']} accounts, {large['flagged']} flagged) | {large['review']:.3f} s |
"""
    update_section("Close checks", body)
    print("updated docs/benchmarks.md (section Close checks)")


if __name__ == "__main__":
    main()
