"""Agent benchmark: every eval question offline on the default demo company, with a warm context.

Usage: ``python benchmarks/bench_agent.py [--scale 1] [--data-dir DIR] [--no-doc]``

The demo company (seed 7, today 2026-11-18) is read from ``--data-dir`` or built at ``--scale`` into
benchmarks/.data/ when missing, served by the sandbox in-process and read through the gateway as the
read-only integration user; ledgerpilot's state (proposals the budget and anomaly tools store, the
audit log) goes to a temporary home. Offline mode (router + templates), whatever the environment
configures.

1. cold pass: every question of ``ledgerpilot/evals/agent_questions.yaml`` once, on a new context
   (loads the books, the embedding model, the forecast, the scan...): reported, not a goal;
2. warm pass: the same questions again on the same context (its cache is warm), in new conversation
   threads: overhead per question (``Answer.overhead_seconds``) p50/p95/max (goal p95 < 1.5 s),
   routing accuracy (goal >= 90%), grounding (goal 100%), fact and argument accuracy, and every miss
   with the module it points at.

Results go to the "Agent" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from report import machine_description, update_section

from ledgerpilot.config import Settings
from ledgerpilot.evals.agent import (
    GROUNDING_GOAL,
    OVERHEAD_P95_GOAL_S,
    ROUTING_GOAL,
    AgentEvalReport,
    eval_agent,
    evaluate_agent,
    load_questions,
)
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection, ensure_demo_data
from ledgerpilot.sandbox.server.runner import running_sandbox

SEED = 7
TODAY = dt.date(2026, 11, 18)


def measure(data_dir: Path) -> tuple[AgentEvalReport, AgentEvalReport, int]:
    home = Path(tempfile.mkdtemp(prefix="agent-bench-home-"))
    try:
        settings = Settings(home=home, llm_base_url=None, llm_model=None)
        questions = load_questions()
        with running_sandbox(data_dir) as handle, \
                connect(demo_connection(handle.url, "readonly"), cache_dir=home / "cache") as client:
            items = client.search_count("account.move.line", [])
            agent, ctx = eval_agent(client, settings, today=TODAY, offline=True)
            cold = evaluate_agent(agent, ctx, questions, mode="offline", source="demo")
            print(f"cold pass: {cold.questions} questions in {cold.wall_seconds:.1f} s; overhead p50 "
                  f"{cold.overhead_p50:.3f} s, p95 {cold.overhead_p95:.3f} s, max {cold.overhead_max:.2f} s", flush=True)
            warm = evaluate_agent(agent, ctx, questions, mode="offline", source="demo")
            print(f"warm pass: {warm.questions} questions in {warm.wall_seconds:.1f} s; overhead p50 "
                  f"{warm.overhead_p50:.3f} s, p95 {warm.overhead_p95:.3f} s, max {warm.overhead_max:.3f} s; "
                  f"routing {warm.routing_accuracy:.1%}, grounding {warm.grounding_share:.1%} "
                  f"({warm.numbers_checked} numbers), facts {_pct(warm.fact_accuracy)}", flush=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return cold, warm, items


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _misses(report: AgentEvalReport) -> str:
    lines = []
    for result in report.results:
        for miss in result.misses:
            detail = miss.detail.replace("|", "/")
            lines.append(f"| {result.id} | {miss.kind} | {detail} | {miss.where} |")
    return "\n".join(lines) if lines else "| none | | | |"


def _slowest(report: AgentEvalReport, count: int = 5) -> str:
    ranked = sorted(report.results, key=lambda r: -r.overhead_seconds)[:count]
    return ", ".join(f"{r.id} {r.overhead_seconds:.3f} s ({'+'.join(r.called_tools) or 'no tool'})" for r in ranked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--data-dir", type=Path, default=None, help="a demo already built (read, never written)")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()

    if args.data_dir is not None:
        source = args.data_dir
    else:
        source = ROOT / "benchmarks" / ".data" / f"agent-seed{SEED}-scale{args.scale:g}"
        started = time.perf_counter()
        ensure_demo_data(source, SEED, args.scale, TODAY)
        print(f"demo company (scale {args.scale:g}) ready in {time.perf_counter() - started:.1f} s", flush=True)
    load = os.getloadavg()[0]
    cold, warm, items = measure(source)

    routing_ok = warm.routing_accuracy >= ROUTING_GOAL
    grounding_ok = warm.grounding_share >= GROUNDING_GOAL
    overhead_ok = warm.overhead_p95 < OVERHEAD_P95_GOAL_S
    print(f"goals: overhead p95 {warm.overhead_p95:.3f} s < {OVERHEAD_P95_GOAL_S} s: {_met(overhead_ok)}; routing "
          f"{warm.routing_accuracy:.1%} >= {ROUTING_GOAL:.0%}: {_met(routing_ok)}; grounding "
          f"{warm.grounding_share:.1%}: {_met(grounding_ok)}")
    modules = Counter(m.where for r in warm.results for m in r.misses)
    print("misses by module: " + ("; ".join(f"{where} {n}" for where, n in modules.most_common()) or "none"))
    if args.no_doc:
        return
    command = "python benchmarks/bench_agent.py" + (f" --scale {args.scale:g}" if args.scale != 1 else "") \
        + (f" --data-dir {args.data_dir}" if args.data_dir else "")
    categories = "\n".join(f"| {c.category} | {c.questions} | {c.routing_accuracy:.0%} | {_pct(c.fact_accuracy)} |"
                           for c in warm.categories)
    body = f"""
Machine: {machine_description()}; load average {load:.1f} when the benchmark started (other work on
the same cores slows every step in proportion).

Command: `{command}` (demo company seed {SEED}, scale {args.scale:g}, today {TODAY}, {items:,} journal items;
served by the sandbox in the benchmark's process and read through the gateway as the read-only user;
offline mode: the router with the offline embedding model, answers from the templates). The
{warm.questions} questions of `ledgerpilot/evals/agent_questions.yaml` are asked twice on one context: a
cold pass (loads the books, the model, the forecast, the anomaly scan) and a warm pass in new
conversation threads, which is what the goals are measured on: the tool results then come from the
context's cache, as they do for a long-running bot within the cache's lifetime (15 minutes), so the
warm overhead is routing, argument reading, the graph, the templates and the grounding check. `ledgerpilot eval agent` computes the
same scores (docs/agent-evals.md).

| measure (warm pass) | result | goal |
| --- | --- | --- |
| agent overhead per question, p50 / p95 / max | {warm.overhead_p50:.3f} / {warm.overhead_p95:.3f} / {warm.overhead_max:.3f} s | p95 < {OVERHEAD_P95_GOAL_S} s: {_met(overhead_ok)} |
| routing accuracy | {warm.routing_accuracy:.1%} ({sum(r.routing_ok for r in warm.results if r.scored)} of {warm.questions}) | >= {ROUTING_GOAL:.0%}: {_met(routing_ok)} |
| grounding: numbers in answers traceable to tool results | {warm.grounding_share:.1%} ({warm.numbers_checked:,} numbers) | {GROUNDING_GOAL:.0%}: {_met(grounding_ok)} |
| answers with every number traceable | {warm.grounded_answers_share:.1%} | |
| argument accuracy (expected tools that were called) | {_pct(warm.argument_accuracy)} | |
| fact accuracy (required figures stated) | {_pct(warm.fact_accuracy)} | |
| names mentioned | {_pct(warm.mention_accuracy)} | |
| tokens per question | {warm.tokens_per_question:.0f} (offline) | |

Cold pass (first question of each kind loads what it needs): {cold.wall_seconds:.1f} s for the
{cold.questions} questions; overhead p50 {cold.overhead_p50:.3f} s, p95 {cold.overhead_p95:.3f} s,
max {cold.overhead_max:.2f} s. Warm pass: {warm.wall_seconds:.1f} s including the scorer's own
reference tool runs. Slowest warm questions: {_slowest(warm)}.

| category | questions | routing | facts |
| --- | --- | --- | --- |
{categories}

Misses (warm pass), with the module each points at:

| question | kind | detail | module |
| --- | --- | --- | --- |
{_misses(warm)}
"""
    update_section("Agent", body)
    print("updated docs/benchmarks.md (section Agent)")


if __name__ == "__main__":
    main()
