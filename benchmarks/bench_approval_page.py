"""Approval page speed with 1,000 pending proposals: every page a controller opens, timed over real HTTP.

Usage: ``python benchmarks/bench_approval_page.py [--proposals 1000] [--scale 0.2] [--no-doc]``

The demo company (seed 7) is built into benchmarks/.data/ if missing and served by the sandbox; the
approval page runs under uvicorn exactly as ``ledgerpilot serve`` runs it (same app, same store, the
exceptions memory as its source of past cases); a controller signs in over HTTP, then the benchmark
opens every page of the pending list, the list filtered by kind, and 200 proposals' evidence pages.
Goal: each page answers in under 200 ms. Results go to the "Approval page" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from report import machine_description, update_section

from ledgerpilot.channels.web.approval_app import ApprovalPageConfig, create_approval_app
from ledgerpilot.channels.web.similar_cases import SimilarCasesFromMemory
from ledgerpilot.domain.proposal import Evidence, OdooCall, Proposal, RecordRef
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.sandbox.demo import demo_connection, ensure_demo_data
from ledgerpilot.sandbox.server.runner import running_sandbox
from tests.channels.web.conftest import ServedApp

SEED = 7
TODAY = dt.date(2026, 11, 18)
GOAL_MS = 200.0
KINDS = ("accrual", "adjusting_entry", "note", "activity")


def proposals(count: int, rng: random.Random):
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        amount = Decimal(rng.randrange(10_000, 5_000_000)) / 100
        if kind in ("accrual", "adjusting_entry"):
            values = {"move_type": "entry", "journal_id": 3, "date": "2026-10-31", "ref": f"Bench {index}",
                      "line_ids": [(0, 0, {"account_id": 27, "name": f"Bench {index}", "debit": amount,
                                           "credit": Decimal(0)}),
                                   (0, 0, {"account_id": 23, "name": f"Bench {index}", "debit": Decimal(0),
                                           "credit": amount})]}
            call = OdooCall(model="account.move", method="create", args=([values],))
        else:
            call = OdooCall(model="account.move", method="message_post", args=([index + 1],),
                            kwargs={"body": f"Review bill {index}", "message_type": "comment"})
        yield Proposal(kind=kind, title=f"{kind.replace('_', ' ').capitalize()} {index}",
                       summary=f"Benchmark proposal {index}: {amount} to review.", payload=call,
                       run_id=f"bench-{index // 50}", created_by="ledgerpilot-agent",
                       evidence=Evidence(records=(RecordRef(model="account.move", id=index + 1, name=f"BILL/{index}"),),
                                         figures={"amount": amount, "lines": 2}))


def timed_get(http: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    answer = http.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"GET {path} answered {answer.status_code}")
    return elapsed


def measure(data_dir: Path, count: int) -> dict:
    rng = random.Random(SEED)
    home = Path(tempfile.mkdtemp(prefix="approval-bench-home-"))
    results: dict = {}
    try:
        with running_sandbox(data_dir) as handle:
            db = StateDB.in_home(home)
            store, audit = ProposalStore(db), AuditLog(db)
            started = time.perf_counter()
            for proposal in proposals(count, rng):
                store.add(proposal)
            results["store_seconds"] = time.perf_counter() - started
            odoo = demo_connection(handle.url)
            config = ApprovalPageConfig(odoo=odoo, write_connection=None, agent_logins={"admin"}, approval_groups={})
            served = ServedApp(create_approval_app(config, store, audit,
                                                   similar_cases=SimilarCasesFromMemory(home))).start()
            try:
                with httpx.Client(base_url=served.url, timeout=30, follow_redirects=True) as http:
                    form = http.get("/login")
                    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
                    started = time.perf_counter()
                    signed = http.post("/login", data={"login": "controller", "password": "controller", "csrf": csrf})
                    results["sign_in_ms"] = (time.perf_counter() - started) * 1000
                    if signed.status_code != 200 or "Pending proposals" not in signed.text:
                        raise SystemExit(f"sign-in failed: {signed.status_code}")
                    pages = -(-count // 50)
                    results["list_ms"] = [timed_get(http, f"/proposals?page={page}") for page in range(1, pages + 1)]
                    results["filter_ms"] = [timed_get(http, f"/proposals?kind={kind}") for kind in KINDS]
                    ids = [p.id for p in store.list(state="proposed")]
                    results["detail_ms"] = [timed_get(http, f"/proposals/{pid}") for pid in rng.sample(ids, 200)]
            finally:
                served.stop()
                db.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return results


def _row(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
    ok = "met" if max(ordered) < GOAL_MS else "NOT met"
    return (f"| {name} | {len(ordered)} | {statistics.median(ordered):.1f} ms | {p95:.1f} ms | {max(ordered):.1f} ms "
            f"| < {GOAL_MS:.0f} ms: {ok} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=1000)
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    source = ROOT / "benchmarks" / ".data" / f"bench-seed{SEED}-scale{args.scale:g}"
    ensure_demo_data(source, SEED, args.scale, TODAY)
    work = Path(tempfile.mkdtemp(prefix="approval-bench-"))
    try:
        shutil.copytree(source, work / "demo")
        results = measure(work / "demo", args.proposals)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [_row(f"pending list, every page (50 per page, {args.proposals:,} pending)", results["list_ms"]),
            _row("pending list filtered by kind", results["filter_ms"]),
            _row("a proposal's evidence page (figures, records, past cases, the Odoo call)", results["detail_ms"])]
    print("\n".join(rows))
    if args.no_doc:
        return
    command = "python benchmarks/bench_approval_page.py" + (f" --proposals {args.proposals}"
                                                              if args.proposals != 1000 else "")
    body = f"""
Machine: {machine_description()}

Command: `{command}` ({args.proposals:,} pending proposals in the state database; the page served by uvicorn
in front of the sandbox demo company as in `ledgerpilot serve`; a controller signed in over HTTP, sign-in
itself {results['sign_in_ms']:.0f} ms as Odoo checks the password and the group; times are from request
sent to page received).

| page | requests | median | p95 | max | goal |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}
"""
    update_section("Approval page", body)


if __name__ == "__main__":
    main()
