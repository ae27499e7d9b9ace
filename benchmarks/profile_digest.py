"""Where the weekly digest's time goes: per section, per extracted model, RPC against server against client work.

Usage: ``python benchmarks/profile_digest.py SCALE OUT.json``

Runs the digest exactly as benchmarks/bench_digest.py does (cold, then warm on the cache the cold run
left) with light hooks: each section's tool call is timed, every ``OdooClient.extract`` is logged
(model, fields, domain, rows, seconds, RPC pages), every RPC is timed on the client and inside the
sandbox (``SandboxService.call``: the search and read; the WSGI call: plus JSON encoding). The sandbox
runs in a thread of the same process, so its time and the client's share one interpreter.
Prints the breakdown and writes every record to OUT.json.
"""
import collections
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_digest

from ledgerpilot.channels.digest import build as build_mod
from ledgerpilot.odoo.client import OdooClient
from ledgerpilot.sandbox import service as service_mod
from ledgerpilot.sandbox.demo import ensure_demo_data
from ledgerpilot.sandbox.server import app as app_mod
from ledgerpilot.sandbox.server.runner import running_sandbox

state = {"section": "setup"}
rows = []            # one per extract call
rpc = collections.defaultdict(lambda: [0, 0.0])      # (section, model, method) -> [calls, client wall]
server = collections.defaultdict(lambda: [0, 0.0])   # (section, model, method) -> [calls, server call() time]
http = collections.defaultdict(float)                # section -> server request time incl. JSON
sections = {}

orig_run_tool = build_mod.run_tool
def timed_run_tool(ctx, name, args=None):
    state["section"] = name
    t = time.perf_counter(); c = time.thread_time()
    r = orig_run_tool(ctx, name, args)
    sections[name] = (time.perf_counter() - t, time.thread_time() - c, r.ok, r.error)
    state["section"] = "writer+render"
    return r
build_mod.run_tool = timed_run_tool
orig_chart = build_mod._chart
def timed_chart(ctx, notes):
    state["section"] = "chart"; t = time.perf_counter(); c = time.thread_time()
    r = orig_chart(ctx, notes); sections["chart"] = (time.perf_counter() - t, time.thread_time() - c, True, None)
    state["section"] = "writer+render"; return r
build_mod._chart = timed_chart

orig_extract = OdooClient.extract
def extract(self, model, fields, domain=(), **kw):
    t = time.perf_counter(); c = time.thread_time(); n0 = self.rpc_count
    f = orig_extract(self, model, fields, domain, **kw)
    rows.append({"section": state["section"], "model": model, "fields": sorted(fields), "domain": repr(list(domain))[:160],
                 "rows": len(f), "seconds": time.perf_counter() - t, "client_cpu": time.thread_time() - c,
                 "rpcs": self.rpc_count - n0})
    return f
OdooClient.extract = extract

orig_exec = OdooClient._execute_kw
def exec_kw(self, model, method, args, kwargs):
    t = time.perf_counter()
    try:
        return orig_exec(self, model, method, args, kwargs)
    finally:
        e = rpc[(state["section"], model, method)]; e[0] += 1; e[1] += time.perf_counter() - t
OdooClient._execute_kw = exec_kw

orig_call = service_mod.SandboxService.call
def call(self, uid, model, method, args, kwargs):
    t = time.perf_counter()
    try:
        return orig_call(self, uid, model, method, args, kwargs)
    finally:
        e = server[(state["section"], model, method)]; e[0] += 1; e[1] += time.perf_counter() - t
service_mod.SandboxService.call = call
orig_app = app_mod.SandboxApp.__call__
def app_call(self, environ, start_response):
    t = time.perf_counter()
    out = list(orig_app(self, environ, start_response))
    http[state["section"]] += time.perf_counter() - t
    return out
app_mod.SandboxApp.__call__ = app_call

def report(label, total):
    print(f"\n===== {label}: {total:.1f} s")
    print("-- sections (wall s, main-thread cpu s)")
    for k, (w, c, ok, err) in sections.items():
        rpc_w = sum(v[1] for (s, *_), v in rpc.items() if s == k)
        srv = sum(v[1] for (s, *_), v in server.items() if s == k)
        calls = sum(v[0] for (s, *_), v in rpc.items() if s == k)
        print(f"{k:20s} wall {w:7.1f}  rpc-wall {rpc_w:7.1f} ({calls} calls)  server-call {srv:7.1f}  server-http {http[k]:7.1f}  client-cpu {c:7.1f} ok={ok} {err or ''}")
    other = [k for k in {s for s, *_ in rpc} if k not in sections]
    for k in other:
        print(f"{k:20s} rpc-wall {sum(v[1] for (s,*_),v in rpc.items() if s==k):7.1f} calls {sum(v[0] for (s,*_),v in rpc.items() if s==k)}")
    print("-- extracts by model (all sections)")
    bym = collections.defaultdict(lambda: [0, 0, 0.0, 0, set(), set()])
    for r in rows:
        e = bym[r["model"]]; e[0] += 1; e[1] += r["rows"]; e[2] += r["seconds"]; e[3] += r["rpcs"]; e[4].add(r["section"]); e[5].add((tuple(r["fields"]), r["domain"]))
    for m, e in sorted(bym.items(), key=lambda kv: -kv[1][2]):
        print(f"{m:32s} extracts {e[0]:3d} distinct(fields,domain) {len(e[5]):3d} rows {e[1]:9d} secs {e[2]:7.1f} rpcs {e[3]:5d} sections {sorted(e[4])}")
    print("-- server time by (model, method), top 25")
    agg = collections.defaultdict(lambda: [0, 0.0])
    for (s, m, meth), v in server.items():
        agg[(m, meth)][0] += v[0]; agg[(m, meth)][1] += v[1]
    for (m, meth), v in sorted(agg.items(), key=lambda kv: -kv[1][1])[:25]:
        cw = sum(x[1] for (s, mm, me), x in rpc.items() if mm == m and me == meth)
        print(f"{m:32s} {meth:14s} calls {v[0]:5d} server-call {v[1]:7.1f}  client-rpc-wall {cw:7.1f}")
    tot_rpc = sum(v[1] for v in rpc.values()); tot_srv = sum(v[1] for v in server.values()); tot_http = sum(http.values())
    print(f"-- totals: rpc wall {tot_rpc:.1f} s ({sum(v[0] for v in rpc.values())} calls); server call() {tot_srv:.1f} s; "
          f"server request incl. JSON {tot_http:.1f} s; client-side outside RPC {total - tot_rpc:.1f} s")

def main():
    scale = float(sys.argv[1]); out = Path(sys.argv[2])
    source = ROOT / "benchmarks" / ".data" / f"bench-seed7-scale{scale:g}"
    ensure_demo_data(source, 7, scale, bench_digest.TODAY)
    work = Path(tempfile.mkdtemp(prefix="digest-prof-"))
    dump = {}
    try:
        shutil.copytree(source, work / "demo")
        with running_sandbox(work / "demo") as handle:
            for label, home in (("cold", "home-cold"), ("warm", "home-warm")):
                rows.clear(); rpc.clear(); server.clear(); http.clear(); sections.clear()
                secs, facts = bench_digest.one_digest(handle.url, work / home, work / "cache")
                report(f"{label} (scale {scale:g})", secs)
                dump[label] = {"seconds": secs, "facts": facts, "sections": sections.copy(), "extracts": list(rows),
                               "rpc": {"|".join(k): v for k, v in rpc.items()}, "server": {"|".join(k): v for k, v in server.items()},
                               "http": dict(http), "load": Path("/proc/loadavg").read_text()}
                sys.stdout.flush()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out.write_text(json.dumps(dump, indent=1, default=str))

if __name__ == "__main__":
    main()
