"""Build time and sizes of the seeded demo company.

Usage: ``python benchmarks/bench_generator.py [--scale 1.0] [--seed 7] [--today 2026-11-18] [--keep DIR]``
Prints the wall time, the peak memory of the process and the row counts of the main tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import tempfile
import time
from pathlib import Path

from ledgerpilot.sandbox.generator import build_demo_company

MAIN_MODELS = ("account.move.line", "account.move", "account.partial.reconcile", "account.bank.statement.line",
               "account.payment", "account.analytic.line", "sale.order", "purchase.order", "stock.valuation.layer",
               "res.partner")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 11, 18))
    parser.add_argument("--keep", type=Path, default=None, help="build into this folder and keep it")
    args = parser.parse_args()
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
        print(f"scale {args.scale}: built in {elapsed:.1f}s, database {size_mb:.0f} MB, peak RSS {peak_mb:.0f} MB")
        for model in MAIN_MODELS:
            print(f"  {model:<30} {truth.counts.get(model, 0):>10,}")
    finally:
        if args.keep is None:
            shutil.rmtree(target, ignore_errors=True)


if __name__ == "__main__":
    main()
