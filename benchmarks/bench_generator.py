"""Build time and sizes of the seeded demo company.

Usage: ``python benchmarks/bench_generator.py [--scale 1.0 ...] [--seed 7] [--today 2026-11-18] [--keep DIR]``
Prints the wall time, the peak memory of the process and the row counts of the main tables, and
records them in the "Demo company generator" section of docs/benchmarks.md (unless --no-doc).
Several scales are built one after the other, each in a child process so peak memory is its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ledgerpilot.sandbox.generator import build_demo_company

MAIN_MODELS = ("account.move.line", "account.move", "account.partial.reconcile", "account.bank.statement.line",
               "account.payment", "account.analytic.line", "sale.order", "purchase.order", "stock.valuation.layer",
               "res.partner")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, nargs="+", default=[1.0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 11, 18))
    parser.add_argument("--keep", type=Path, default=None, help="build into this folder and keep it (one scale)")
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--json-result", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if len(args.scale) > 1 or not args.json_result:
        return run_all(args)
    args.scale = args.scale[0]
    target = args.keep or Path(tempfile.mkdtemp(prefix="ledgerpilot-bench-"))
    last = [""]

    def progress(stage: str, fraction: float) -> None:
        if stage != last[0] or fraction >= 1.0:
            last[0] = stage
            print(f"  {stage:<10} {fraction:6.1%}  {time.perf_counter() - started:7.1f}s", flush=True)

    started = time.perf_counter()
    try:
        truth = build_demo_company(target, seed=args.seed, scale=args.scale, today=args.today, progress=progress,
                                   overwrite=args.keep is not None)
        elapsed = time.perf_counter() - started
        size_mb = (target / "demo.sqlite").stat().st_size / 1e6
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"scale": args.scale, "seconds": elapsed, "size_mb": size_mb, "peak_mb": peak_mb,
                          "counts": {m: truth.counts.get(m, 0) for m in MAIN_MODELS}}))
    finally:
        if args.keep is None:
            shutil.rmtree(target, ignore_errors=True)


def run_all(args: argparse.Namespace) -> None:
    results = []
    for scale in args.scale:
        command = [sys.executable, __file__, "--json-result", "--scale", str(scale), "--seed", str(args.seed),
                   "--today", args.today.isoformat()]
        if args.keep:
            command += ["--keep", str(args.keep)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        results.append(result)
        print(f"scale {scale:g}: built in {result['seconds']:.1f}s, database {result['size_mb']:.0f} MB, "
              f"peak RSS {result['peak_mb']:.0f} MB, {result['counts']['account.move.line']:,} journal items")
    if not args.no_doc:
        sys.path.insert(0, str(Path(__file__).parent))
        from report import machine_description, update_section

        header = "| scale | build time | peak RSS | database | " + " | ".join(MAIN_MODELS) + " |"
        rule = "|" + " --- |" * (4 + len(MAIN_MODELS))
        rows = [f"| {r['scale']:g} | {r['seconds']:.1f} s | {r['peak_mb']:.0f} MiB | {r['size_mb']:.0f} MB | "
                + " | ".join(f"{r['counts'][m]:,}" for m in MAIN_MODELS) + " |" for r in results]
        scales = " ".join(f"{s:g}" for s in args.scale)
        update_section("Demo company generator", f"""
Machine: {machine_description()}

Command: `python benchmarks/bench_generator.py --scale {scales} --seed {args.seed} --today {args.today}`
(each scale built in its own process; goal: the default scale in under a minute, scale 20 with at
least 1,000,000 journal items).

{header}
{rule}
""" + "\n".join(rows))


if __name__ == "__main__":
    main()
