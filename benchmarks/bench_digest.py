"""Weekly digest generation time, offline, on the default demo company.

Usage: ``python benchmarks/bench_digest.py [--scale 1] [--no-doc]``

The demo company (seed 7, today 2026-11-18) is built into benchmarks/.data/ if missing and served by
the sandbox. The digest is made as ``serve``'s weekly job makes it — a new connection and a new agent
context, offline writer — twice: with an empty gateway cache (every record read over RPC) and again
with the cache the first run left (what a weekly job finds). Each run builds all five sections and the
chart, renders the email and saves its copy. Goal: under 30 s. Results go to the "Weekly digest"
section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from report import machine_description, update_section

from ledgerpilot.agent.agent import open_agent
from ledgerpilot.channels.digest.run import make_digest
from ledgerpilot.config import Settings
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection, ensure_demo_data
from ledgerpilot.sandbox.server.runner import running_sandbox

SEED = 7
TODAY = dt.date(2026, 11, 18)
GOAL_S = 30.0


def one_digest(url: str, home: Path, cache: Path) -> tuple[float, dict]:
    settings = Settings(home=home)
    started = time.perf_counter()
    with connect(demo_connection(url), cache_dir=cache) as client, \
            open_agent(client, settings, today=TODAY, offline=True) as agent:
        outcome = make_digest(agent, settings, out=home / "digests")
    seconds = time.perf_counter() - started
    digest = outcome.digest
    return seconds, {"sections": len(digest.sections), "grounding": digest.grounding_share,
                     "chart": digest.chart_png is not None, "size_kb": outcome.saved.eml.stat().st_size / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    source = ROOT / "benchmarks" / ".data" / f"bench-seed{SEED}-scale{args.scale:g}"
    ensure_demo_data(source, SEED, args.scale, TODAY)
    work = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    try:
        shutil.copytree(source, work / "demo")
        with running_sandbox(work / "demo") as handle:
            cold, facts = one_digest(handle.url, work / "home-cold", work / "cache")
            print(f"cold cache: {cold:.1f} s", flush=True)
            warm, _ = one_digest(handle.url, work / "home-warm", work / "cache")
            print(f"warm cache: {warm:.1f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    verdict = lambda seconds: "met" if seconds < GOAL_S else "NOT met"
    print(f"goal {GOAL_S:.0f} s: cold {verdict(cold)}, warm {verdict(warm)}")
    if args.no_doc:
        return
    command = "python benchmarks/bench_digest.py" + (f" --scale {args.scale:g}" if args.scale != 1 else "")
    body = f"""
Machine: {machine_description()}

Command: `{command}` (demo company seed {SEED} at scale {args.scale:g}, today {TODAY}; offline writer; each
run: a new connection and agent context, cash position, 13-week forecast with its chart, budget status,
close checklist, a full anomaly scan, pending proposals; the email rendered ({facts['size_kb']:.0f} KiB with
the chart) and its copy saved; {facts['sections']} sections, grounding {facts['grounding']:.0%}).

| run | time | goal |
| --- | --- | --- |
| empty gateway cache (every record read over RPC) | {cold:.1f} s | < {GOAL_S:.0f} s: {verdict(cold)} |
| the cache a previous run left (a weekly job) | {warm:.1f} s | < {GOAL_S:.0f} s: {verdict(warm)} |
"""
    update_section("Weekly digest", body)


if __name__ == "__main__":
    main()
