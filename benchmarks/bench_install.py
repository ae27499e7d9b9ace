"""Install size, the demo on a fresh clone, and the cold start of `ledgerpilot chat`.

Usage: ``python benchmarks/bench_install.py [--repeat 5] [--keep] [--no-doc]``

1. **Fresh clone.** The repository (the committed HEAD) is cloned into a new folder under /tmp and
   ``./dev.sh demo`` is run there with its defaults and the package cache as it is (warm once the lock
   files' packages were downloaded by an earlier set-up): the time from the command to the demo's last
   line, set-up of `.venv` included, and the set-up alone (``./dev.sh setup`` on a second fresh clone).
2. **Install size.** ``du`` of that clone's `.venv` -- only the runtime dependencies
   (requirements/runtime.txt; the tests' tools are not installed by ``./dev.sh demo``) -- right after the
   set-up, after the demo and the chat runs (the bytecode Python writes for the modules it imports), and
   with every module compiled (``python -m compileall``, the most it can take). Whether torch,
   transformers or sentence-transformers are installed is reported too.
3. **Cold chat.** In the clone, ``ledgerpilot chat --demo --scale 1 "How much cash do we have?"`` once to
   build the demo company and warm the gateway cache and the router's kept fit, then ``--repeat`` more
   times, each a new process: wall time from start to exit (the answer printed), median and max.

Goals: runtime install <= 1 GB; ``./dev.sh demo`` on a fresh clone <= 2 min; cold chat <= 3 s.
Results go to the "Install and start-up" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from report import machine_description, update_section

QUESTION = "How much cash do we have?"
GOALS = {"size": 1000, "demo": 120.0, "chat": 3.0}
HEAVY = ("torch", "transformers", "sentence_transformers", "kubernetes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="cold chat runs after the warm-up")
    parser.add_argument("--keep", action="store_true", help="keep the clones under /tmp")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    scratch = Path(tempfile.mkdtemp(prefix="ledgerpilot-bench-install-"))
    try:
        setup_only = _clone(scratch / "setup")
        started = time.perf_counter()
        setup_cpu = _run(["./dev.sh", "setup"], setup_only)
        setup_seconds = time.perf_counter() - started

        clone = _clone(scratch / "demo")
        env = {**os.environ, "LEDGERPILOT_HOME": str(scratch / "home"), "COLUMNS": "120"}
        for key in [k for k in env if k.startswith("LEDGERPILOT_") and k != "LEDGERPILOT_HOME"]:
            del env[key]
        started = time.perf_counter()
        demo_cpu = _run(["./dev.sh", "demo"], clone, env=env)
        demo_seconds = time.perf_counter() - started
        venv = clone / ".venv"
        size_after_demo = _megabytes(venv)
        heavy = [name for name in HEAVY if list((venv / "lib").glob(f"python3*/site-packages/{name}"))]

        chat = [str(venv / "bin" / "ledgerpilot"), "chat", "--demo", "--scale", "1", QUESTION]
        _run(chat, clone, env=env)    # builds the scale-1 company, warms the gateway cache and the router's fit
        times, cpu = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            cpu.append(_run(chat, clone, env=env))
            times.append(time.perf_counter() - started)
        size_after_use = _megabytes(venv)
        size_fresh = _megabytes(setup_only / ".venv")
        _run([str(venv / "bin" / "python"), "-m", "compileall", "-q", "-j", "2", str(venv / "lib")], clone,
             check=False)
        size_compiled = _megabytes(venv)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)

    median, worst, median_cpu = statistics.median(times), max(times), statistics.median(cpu)
    print(f"set-up {setup_seconds:.1f} s; ./dev.sh demo {demo_seconds:.1f} s; .venv {size_fresh} MB fresh, "
          f"{size_after_use} MB after use, {size_compiled} MB compiled; chat median {median:.2f} s "
          f"(CPU {median_cpu:.2f} s), max {worst:.2f} s")

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    body = f"""
Machine: {machine_description()}; load average {load:.1f} when the benchmark started (other work on the
same cores slows every step in proportion).

Command: `python benchmarks/bench_install.py --repeat {args.repeat}` (a fresh `git clone` of the committed
tree under /tmp; pip's package cache warm: every package of the lock files downloaded by an earlier set-up).
Beside each wall time, the CPU time (user + system) of the command and its children: on a loaded machine
the wall time stretches, the CPU time much less. PYTHONDONTWRITEBYTECODE was
{'set (Python wrote no bytecode after the set-up)' if os.environ.get('PYTHONDONTWRITEBYTECODE') else 'not set'}.

| measure | result | goal |
| --- | --- | --- |
| `./dev.sh demo` on a fresh clone (creating `.venv`, installing requirements/runtime.txt, building the demo company, the whole demo) | {demo_seconds:.1f} s (CPU {demo_cpu:.1f} s) | <= 120 s: {met(demo_seconds <= GOALS['demo'])} |
| of which the set-up alone (`./dev.sh setup` on another fresh clone) | {setup_seconds:.1f} s (CPU {setup_cpu:.1f} s) | |
| runtime install on disk: `.venv` right after `./dev.sh setup` | {size_fresh} MB | <= 1,000 MB: {met(size_fresh <= GOALS['size'])} |
| the demo's `.venv` after the demo (the bytecode of the modules it imported) | {size_after_demo} MB | |
| the same after {args.repeat + 1} chats | {size_after_use} MB | |
| the same with every module compiled (`python -m compileall`) | {size_compiled} MB | |
| torch, transformers, sentence-transformers or kubernetes installed | {', '.join(heavy) or 'none'} | none |
| cold `ledgerpilot chat --demo --scale 1 "{QUESTION}"` (new process, gateway cache warm), median of {args.repeat} | {median:.2f} s (CPU {median_cpu:.2f} s) | <= 3 s: {met(median <= GOALS['chat'])} |
| the same, slowest run | {worst:.2f} s | |

All chat runs: {', '.join(f'{t:.2f}' for t in times)} s (CPU {', '.join(f'{t:.2f}' for t in cpu)} s).
"""
    if not args.no_doc:
        update_section("Install and start-up", body)
    print(body)


def _clone(target: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    return target


def _run(command: list[str], cwd: Path, *, env: dict | None = None, check: bool = True) -> float:
    """Run ``command``; the CPU time (user + system) it and its children used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _megabytes(folder: Path) -> int:
    out = subprocess.run(["du", "-sm", str(folder)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


if __name__ == "__main__":
    main()
