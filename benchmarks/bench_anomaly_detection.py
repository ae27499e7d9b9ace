"""Anomaly detection quality: the scan against the demo company's injected anomalies.

Usage: ``python benchmarks/bench_anomaly_detection.py [--data-dir DIR] [--no-doc]``

The demo company (seed 7, scale 1, today 2026-11-18) is built once into benchmarks/.data/ (or
``--data-dir`` names one already built, read-only) and served by the sandbox in-process; its books
are loaded through the gateway as from a real Odoo (``load_anomaly_data``), scanned in full with
the default configuration (``run_scan``) and scored against the labels
(``ledgerpilot.evals.anomalies``): top-2K recall (goal at least 90%), precision above the default
threshold (goal at least 60%) and AUC-PR of the per-entry risk. The same evals on four regimes and
several seeds, with clean books: ``bench_regimes.py``. Results go to the "Anomaly detection:
quality" section of docs/benchmarks.md.
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

from ledgerpilot.calc.anomalies.config import AnomalyConfig
from ledgerpilot.evals.anomalies import PRECISION_GOAL, TOP_RECALL_GOAL, describe, score_anomaly_scan
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection, ensure_demo_data
from ledgerpilot.sandbox.generator import load_ground_truth
from ledgerpilot.sandbox.server.runner import running_sandbox
from ledgerpilot.tools.anomalies.data import load_anomaly_data
from ledgerpilot.tools.anomalies.scan import timed_scan

SEED = 7
TODAY = dt.date(2026, 11, 18)


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def outcome_table(score) -> str:
    rows = ["| injected anomaly | found in top 2K | best rank | cited by (detector/kind) |", "| --- | --- | --- | --- |"]
    for o in score.injected:
        rows.append(f"| {o.kind} | {'yes' if o.found else 'NO'} | {o.rank if o.rank is not None else '-'} | "
                    f"{', '.join(o.found_by) or '-'} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="a scale-1 demo already built (read only)")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()

    data_dir = args.data_dir
    if data_dir is None:
        data_dir, build = timed(ensure_demo_data, ROOT / "benchmarks" / ".data" / f"anomaly-seed{SEED}-scale1",
                                SEED, 1.0, TODAY)
        print(f"demo company (scale 1) ready in {build:.1f} s")
    truth = load_ground_truth(data_dir)
    with running_sandbox(data_dir) as handle, connect(demo_connection(handle.url, "readonly")) as client:
        data, load_s = timed(load_anomaly_data, client, today=dt.date.fromisoformat(truth.today))
    items = len(data.lines)
    print(f"loaded {len(data.moves):,} entries, {items:,} journal items in {load_s:.2f} s")

    config = AnomalyConfig()
    result, scan_s = timed(timed_scan, data, config)
    score = score_anomaly_scan(truth, result, data)
    print(f"scan: {len(result.anomalies)} findings in {scan_s:.2f} s; skipped: {result.skipped or 'none'}")
    for line in describe(score):
        print(line)
    for line in score.false_above_threshold:
        print(f"  false above threshold: {line}")
    for missed in score.missed:
        print(f"  missed: {missed.kind} {missed.ids} (best rank {missed.rank})")

    if args.no_doc:
        return
    command = "python benchmarks/bench_anomaly_detection.py" + (f" --data-dir {args.data_dir}" if args.data_dir else "")
    false_lines = "\n".join(f"- {line}" for line in score.false_above_threshold) or "- none"
    look_alikes = ", ".join(score.look_alikes_flagged) or "none"
    steps = " + ".join(f"{name.split(':', 1)[-1]} {seconds:.2f} s" for name, seconds in result.timings.items()
                       if name != "total")
    body = f"""
Machine: {machine_description()}

Command: `{command}` (demo company seed {truth.seed}, scale {truth.scale:g}, today {truth.today};
served by the sandbox and read through the gateway with `load_anomaly_data` in {load_s:.1f} s:
{len(data.moves):,} entries, {items:,} journal items).

Full scan with the default configuration (every detector, threshold {config.min_score:g}):
{len(result.anomalies)} findings in {scan_s:.2f} s ({steps}).
K = {score.k} injected anomalies.

| measure | result | goal |
| --- | --- | --- |
| top-{score.top_n} recall | {score.found} / {score.k} = {score.top_recall:.1%} | >= {TOP_RECALL_GOAL:.0%}: {'met' if score.top_recall >= TOP_RECALL_GOAL else 'NOT met'} |
| precision above the threshold | {score.true_above_threshold} / {score.above_threshold} = {score.precision:.1%} | >= {PRECISION_GOAL:.0%}: {'met' if score.precision >= PRECISION_GOAL else 'NOT met'} |
| AUC-PR, per-entry risk ({score.entries:,} entries, {score.positive_entries} labelled) | {score.ap_risk:.3f} | |
| look-alikes (credit note and re-issue, monthly rent) above the threshold | {look_alikes} | none |

{outcome_table(score)}

False findings above the threshold:
{false_lines}

Findings above the threshold citing a planted close defect (counted as true):
{chr(10).join(f"- {line}" for line in score.defects_above_threshold) or "- none"}
"""
    update_section("Anomaly detection: quality", body)
    print("docs/benchmarks.md updated")


if __name__ == "__main__":
    main()
