"""Agent benchmark: the in-house question set and every blind set, offline, on several demo companies.

Usage: ``python benchmarks/bench_agent.py [--scale 1] [--only-set NAME] [--no-doc]``

Each demo company (seed 7 standard, seed 11 late-paying market, seed 23 batch payers; today 2026-11-18)
is built at ``--scale`` into benchmarks/.data/ when missing, served by the sandbox in-process and read
through the gateway as the read-only integration user; ledgerpilot's state goes to a temporary home per
company. Offline mode (router + templates), whatever the environment configures.

For every (company, question set): the honest scores of ``ledgerpilot eval agent`` (docs/agent-evals.md):
passed, right tools and arguments of the questions that need tools, refusals, proposals stored by
questions, facts against plain queries, grounding. The mean and the worst company are reported beside
each other. On the first company, the in-house set is then asked a second time on the same context
(warm cache, new threads): the agent's overhead per question, p50/p95/max (goal p95 < 1.5 s).

Results go to the "Agent" section of docs/benchmarks.md. The first score of each blind set, taken when
it was added and before any tuning on it, is kept by hand in the section "Agent: blind question sets".
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
    OVERHEAD_P95_GOAL_S,
    PASS_GOAL,
    RIGHT_GOAL,
    AgentEvalReport,
    eval_agent,
    evaluate_agent,
    load_questions,
)
from ledgerpilot.evals.question_file import BLIND_DIR, QUESTIONS_FILE
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection, ensure_demo_data
from ledgerpilot.sandbox.server.runner import running_sandbox

TODAY = dt.date(2026, 11, 18)
COMPANIES = ((7, "standard"), (11, "late_market"), (23, "batch_payers"))


def question_sets(only: str | None) -> list[tuple[str, Path]]:
    sets = [("in-house", QUESTIONS_FILE)] + [(f"blind {p.stem.removeprefix('set-')}", p)
                                             for p in sorted(BLIND_DIR.glob("set-*.yaml"))]
    return [s for s in sets if only is None or s[0] == only or s[0].endswith(f" {only}")]


def measure(data_dir: Path, sets: list[tuple[str, Path]], warm: bool) -> tuple[dict[str, AgentEvalReport],
                                                                                AgentEvalReport | None, int]:
    home = Path(tempfile.mkdtemp(prefix="agent-bench-home-"))
    reports: dict[str, AgentEvalReport] = {}
    warm_report = None
    try:
        settings = Settings(home=home, llm_base_url=None, llm_model=None)
        with running_sandbox(data_dir) as handle, \
                connect(demo_connection(handle.url, "readonly"), cache_dir=home / "cache") as client:
            items = client.search_count("account.move.line", [])
            agent, ctx = eval_agent(client, settings, today=TODAY, offline=True)
            for name, path in sets:
                report = evaluate_agent(agent, ctx, load_questions(path), mode="offline", source=str(data_dir.name))
                reports[name] = report
                print(f"  {name:10} {report.questions:3} questions: passed {report.pass_rate:.1%}, right (need tools) "
                      f"{_pct(report.answerable_right_rate)}, refused {_pct(report.refusal_rate)}, stored "
                      f"{report.proposals_stored_by_reads}, grounding {report.grounding_share:.1%}", flush=True)
            if warm and "in-house" in reports:
                warm_report = evaluate_agent(agent, ctx, load_questions(QUESTIONS_FILE), mode="offline",
                                             source=str(data_dir.name))
                print(f"  warm pass: overhead p50 {warm_report.overhead_p50:.3f} s, p95 "
                      f"{warm_report.overhead_p95:.3f} s, max {warm_report.overhead_max:.3f} s", flush=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return reports, warm_report, items


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _misses(report: AgentEvalReport, limit: int = 30) -> list[str]:
    lines = []
    for result in report.results:
        if result.scored and not result.passed:
            for miss in result.misses:
                detail = miss.detail.replace("|", "/")[:140]
                lines.append(f"| {result.id} | {miss.kind} | {detail} | {miss.where} |")
    return lines[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only-set", default=None, help="one question set: in-house, or a blind set's letter")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    sets = question_sets(args.only_set)
    load = os.getloadavg()[0]
    by_company: dict[str, dict[str, AgentEvalReport]] = {}
    warm = None
    items = {}
    for index, (seed, regime) in enumerate(COMPANIES):
        label = f"seed {seed} {regime}"
        source = ROOT / "benchmarks" / ".data" / f"agent-seed{seed}-{regime}-scale{args.scale:g}"
        started = time.perf_counter()
        ensure_demo_data(source, seed, args.scale, TODAY, regime=regime)
        print(f"{label}: demo company ready in {time.perf_counter() - started:.1f} s", flush=True)
        reports, warm_pass, count = measure(source, sets, warm=index == 0)
        by_company[label] = reports
        items[label] = count
        warm = warm if warm_pass is None else warm_pass

    rows = []
    goals_ok = True
    for name, _path in sets:
        reports = [by_company[c][name] for c in by_company]
        passed = [r.pass_rate for r in reports]
        right = [r.answerable_right_rate or 0.0 for r in reports]
        refused = [r.refusal_rate for r in reports if r.refusal_rate is not None]
        complete = [r.refusal_right_rate for r in reports if r.refusal_right_rate is not None]
        stored = sum(r.proposals_stored_by_reads for r in reports)
        grounding = min(r.grounding_share for r in reports)
        goal = PASS_GOAL if name == "in-house" else RIGHT_GOAL
        measured = passed if name == "in-house" else right
        ok = min(measured) >= goal and (not refused or min(refused) == 1.0) and stored == 0 and grounding >= 1.0
        goals_ok &= ok
        rows.append(f"| {name} | {reports[0].questions} | {sum(passed) / len(passed):.1%} / {min(passed):.1%} | "
                    f"{sum(right) / len(right):.1%} / {min(right):.1%} | "
                    f"{(sum(refused) / len(refused)) if refused else 0:.1%} / {min(refused) if refused else 0:.1%} | "
                    f"{(sum(complete) / len(complete)) if complete else 0:.1%} / {min(complete) if complete else 0:.1%} | "
                    f"{stored} | {grounding:.1%} | {'met' if ok else 'NOT met'} |")
    print("goals: " + _met(goals_ok))
    if args.no_doc:
        return
    overhead_ok = warm is not None and warm.overhead_p95 < OVERHEAD_P95_GOAL_S
    miss_lines = [f"| {company} / {name} |" + line[1:] for company, reports in by_company.items()
                  for name, report in reports.items() for line in _misses(report, 12)]
    modules = Counter(m.where for reports in by_company.values() for r in reports.values() for q in r.results
                      if q.scored and not q.passed for m in q.misses)
    command = "python benchmarks/bench_agent.py" + (f" --scale {args.scale:g}" if args.scale != 1 else "")
    companies = ", ".join(f"{label} ({n:,} journal items)" for label, n in items.items())
    body = f"""
Machine: {machine_description()}; load average {load:.1f} when the benchmark started.

Command: `{command}` — every question set on three demo companies ({companies}; scale {args.scale:g}, today
{TODAY}), served by the sandbox in the benchmark's process and read through the gateway as the read-only
user; offline mode (router + templates). Names are picked from each company's books at run time; facts
are checked against plain queries (`ledgerpilot/evals/truth.py`), never against the tool under test.
Mean / worst company:

| question set | questions | passed | right tools and arguments (questions that need tools) | action and out-of-scope refused | ... with the reads asked beside them | proposals stored by questions | grounding (worst) | goals |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

Goals (docs/agent-evals.md): the in-house set passes ≥ {PASS_GOAL:.0%}; the newest blind set gets ≥ {RIGHT_GOAL:.0%} of the
questions that need tools right; every set: 100% of action and out-of-scope requests refused, no proposal
stored by a question, 100% of the numbers traceable. The in-house set and the older blind sets were used for
tuning after their first score (see "Agent: blind question sets"); only the newest blind set's first score is
an unseen measure.

Warm context (seed 7, in-house set asked again on the same context, new threads): agent overhead per
question p50 / p95 / max {warm.overhead_p50 if warm else 0:.3f} / {warm.overhead_p95 if warm else 0:.3f} /
{warm.overhead_max if warm else 0:.3f} s (goal p95 < {OVERHEAD_P95_GOAL_S} s: {_met(overhead_ok)}).

Questions that did not pass (at most 12 per company and set), with the module each points at:

| company / set | question | kind | detail | module |
| --- | --- | --- | --- | --- |
{chr(10).join(miss_lines) or "| none | | | | |"}

Misses by module: {"; ".join(f"{where} {n}" for where, n in modules.most_common()) or "none"}.
"""
    update_section("Agent", body)
    print("updated docs/benchmarks.md (section Agent)")


if __name__ == "__main__":
    main()
