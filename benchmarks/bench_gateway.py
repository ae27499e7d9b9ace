"""Gateway benchmark: extracting account.move.line from a large demo company.

Measures, for about a dozen typical journal-item fields:
1. one raw ``/jsonrpc`` ``search_read`` of every row in a single call (the fastest a client can
   hope for, if memory allows);
2. the gateway's ``extract`` (paged by id, typed DataFrame): rows/s, peak memory, ratio to raw;
3. a second incremental run with nothing changed, against the first (goal: <= 5%);
4. the naive one-read-per-record pattern on a sample, extrapolated to all rows.

The sandbox server runs in this process (``running_sandbox``); each measurement runs in its own
child process so that its peak memory (``ru_maxrss``) is its own and it does not share the GIL
with the server.

    .venv/bin/python benchmarks/bench_gateway.py                 # --scale 20: >= 1M journal items
    .venv/bin/python benchmarks/bench_gateway.py --scale 1 --rows 20000 --no-doc   # quick look

The demo company is built once into benchmarks/.data/scale<N> (that takes minutes at scale 20).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

MODEL = "account.move.line"
FIELDS = ["move_id", "account_id", "partner_id", "date", "date_maturity", "debit", "credit", "balance",
          "amount_residual", "reconciled", "parent_state"]
NAIVE_SAMPLE = 2000


def _peak_rss_mb() -> float:
    """Peak resident memory of this process image. ``ru_maxrss`` would include the parent's peak from
    before the fork (Linux keeps it across exec), so read VmHWM where there is /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _connection(url: str, db: str, batch_size: int):
    from ledgerpilot.config import OdooConnection

    return OdooConnection(url=url, db=db, user="admin", password="admin", transport="jsonrpc",
                          batch_size=batch_size, timeout=3600)


# ---------------------------------------------------------------------------------- child phases

def phase_raw(url: str, db: str, domain: list, _batch: int) -> dict:
    import httpx

    body = {"jsonrpc": "2.0", "method": "call", "id": 1,
            "params": {"service": "object", "method": "execute_kw",
                       "args": [db, 2, "admin", MODEL, "search_read", [domain], {"fields": FIELDS}]}}
    uid = httpx.post(f"{url}/jsonrpc", json={"jsonrpc": "2.0", "method": "call", "id": 0, "params": {
        "service": "common", "method": "login", "args": [db, "admin", "admin"]}}).json()["result"]
    body["params"]["args"][1] = uid
    started = time.perf_counter()
    response = httpx.post(f"{url}/jsonrpc", json=body, timeout=3600)
    rows = response.json()["result"]
    seconds = time.perf_counter() - started
    return {"rows": len(rows), "seconds": seconds, "peak_rss_mb": _peak_rss_mb()}


def phase_extract(url: str, db: str, domain: list, batch: int) -> dict:
    from ledgerpilot.odoo import connect

    client = connect(_connection(url, db, batch))
    client.fields_get(MODEL)
    calls = client.rpc_count
    started = time.perf_counter()
    frame = client.extract(MODEL, FIELDS, domain)
    seconds = time.perf_counter() - started
    return {"rows": len(frame), "seconds": seconds, "peak_rss_mb": _peak_rss_mb(),
            "rpcs": client.rpc_count - calls, "frame_mb": frame.memory_usage(deep=True).sum() / 2**20}


def phase_incremental(url: str, db: str, domain: list, batch: int) -> dict:
    from ledgerpilot.odoo import connect

    with tempfile.TemporaryDirectory() as cache:
        client = connect(_connection(url, db, batch), cache_dir=Path(cache))
        client.fields_get(MODEL)
        started = time.perf_counter()
        first = client.extract(MODEL, FIELDS, domain, incremental=True)
        first_seconds = time.perf_counter() - started
        calls = client.rpc_count
        started = time.perf_counter()
        second = client.extract(MODEL, FIELDS, domain, incremental=True)
        second_seconds = time.perf_counter() - started
        assert second.equals(first), "the incremental result differs from the first extraction"
        return {"rows": len(first), "first_seconds": first_seconds, "second_seconds": second_seconds,
                "second_rpcs": client.rpc_count - calls, "second_mode": client.last_sync.mode,
                "second_fetched": client.last_sync.fetched}


def phase_naive(url: str, db: str, domain: list, batch: int) -> dict:
    from ledgerpilot.odoo import connect

    client = connect(_connection(url, db, batch))
    ids = client.search(MODEL, domain, limit=NAIVE_SAMPLE, order="id asc")
    client.fields_get(MODEL)
    started = time.perf_counter()
    for record_id in ids:
        client.read(MODEL, [record_id], FIELDS)
    seconds = time.perf_counter() - started
    return {"rows": len(ids), "seconds": seconds}


PHASES = {"raw": phase_raw, "extract": phase_extract, "incremental": phase_incremental, "naive": phase_naive}


def run_child(phase: str, url: str, db: str, domain: list, batch: int) -> dict:
    command = [sys.executable, __file__, "--phase", phase, "--url", url, "--db", db,
               "--domain", json.dumps(domain), "--batch-size", str(batch)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------- parent

def ensure_company(data_dir: Path, scale: float) -> None:
    from ledgerpilot.sandbox.store import database_path

    if database_path(data_dir).exists():
        return
    from ledgerpilot.sandbox.generator import build_demo_company

    print(f"building the scale-{scale:g} demo company into {data_dir} (once; this takes a while)...", flush=True)
    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    build_demo_company(data_dir, seed=7, scale=scale)
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


def measured_domain(handle, rows: int | None) -> tuple[list, int]:
    """All journal items, or the first ``rows`` of them by id."""
    from ledgerpilot.odoo import connect

    with connect(_connection(handle.url, handle.db, 5000)) as client:
        total = client.search_count(MODEL)
        if not rows or rows >= total:
            return [], total
        last = client.search(MODEL, [], offset=rows - 1, limit=1, order="id asc")[0]
        return [("id", "<=", last)], rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=20, help="demo company scale (20: >= 1M journal items)")
    parser.add_argument("--rows", type=int, default=None, help="measure only the first N journal items")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--domain", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        domain = [tuple(leaf) for leaf in json.loads(args.domain)]
        print(json.dumps(PHASES[args.phase](args.url, args.db, domain, args.batch_size)))
        return

    from report import machine_description, update_section

    from ledgerpilot.sandbox.server.runner import running_sandbox

    data_dir = args.data_dir or ROOT / "benchmarks" / ".data" / f"scale{args.scale:g}"
    ensure_company(data_dir, args.scale)
    with running_sandbox(data_dir) as handle:
        domain, rows = measured_domain(handle, args.rows)
        print(f"{MODEL}: measuring {rows:,} rows, fields {', '.join(FIELDS)}", flush=True)
        raw = run_child("raw", handle.url, handle.db, domain, args.batch_size)
        print(f"raw single search_read: {raw['seconds']:.1f} s", flush=True)
        extract = run_child("extract", handle.url, handle.db, domain, args.batch_size)
        print(f"gateway extract: {extract['seconds']:.1f} s", flush=True)
        incremental = run_child("incremental", handle.url, handle.db, domain, args.batch_size)
        print(f"incremental: {incremental['first_seconds']:.1f} s then {incremental['second_seconds']:.2f} s",
              flush=True)
        naive = run_child("naive", handle.url, handle.db, domain, args.batch_size)

    raw_rate = raw["rows"] / raw["seconds"]
    extract_rate = extract["rows"] / extract["seconds"]
    naive_rate = naive["rows"] / naive["seconds"]
    naive_total = rows / naive_rate
    share = incremental["second_seconds"] / incremental["first_seconds"]
    command = "python benchmarks/bench_gateway.py --scale " + f"{args.scale:g}" + \
        (f" --rows {args.rows}" if args.rows else "") + f" --batch-size {args.batch_size}"
    body = f"""
Machine: {machine_description()}

Command: `{command}` ({rows:,} `{MODEL}` rows; fields {', '.join(f'`{f}`' for f in FIELDS)};
batch size {args.batch_size}; the sandbox server in the benchmark's process, each measurement in its
own child process).

| measurement | result |
| --- | --- |
| raw `/jsonrpc` `search_read`, one call | {raw['seconds']:.1f} s, {raw_rate:,.0f} rows/s, client peak RSS {raw['peak_rss_mb']:,.0f} MiB |
| gateway `extract` (paged by id, typed DataFrame) | {extract['seconds']:.1f} s, {extract_rate:,.0f} rows/s, {extract['rpcs']} RPCs, client peak RSS {extract['peak_rss_mb']:,.0f} MiB (DataFrame {extract['frame_mb']:,.0f} MiB) |
| gateway vs raw | {extract_rate / raw_rate:.2f}x (goal >= 0.8x) |
| incremental, first run (full + parquet cache) | {incremental['first_seconds']:.1f} s |
| incremental, second run, nothing changed | {incremental['second_seconds']:.2f} s = {share:.1%} of the first (goal <= 5%); {incremental['second_rpcs']} RPCs, {incremental['second_fetched']} rows re-read (those of the newest `write_date` second, while it is under 5 minutes old) |
| naive one `read` per record ({naive['rows']:,}-record sample) | {naive_rate:,.0f} rows/s, extrapolated {naive_total:,.0f} s for {rows:,} rows = {naive_total / extract['seconds']:.0f}x slower than `extract` |
"""
    print(body)
    if not args.no_doc:
        update_section("Gateway", body)
        print("updated docs/benchmarks.md (section Gateway)")


if __name__ == "__main__":
    main()
