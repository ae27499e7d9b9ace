"""The package's imports flow one way: no import circles, no import from a lower layer into a higher one.

Every module's imports are read with :mod:`ast`, function-level and ``TYPE_CHECKING`` ones included
(an import hidden in a function is still a dependency). ``from package import name`` counts as an
import of ``package`` (its ``__init__`` runs) and, when ``name`` is a module, of that module too.

The layers, lowest first (a package may import only from layers below its own; packages of the same
layer do not import each other)::

    errors, jsonsafe                 the base: the error types, JSON-safe values
    domain, config                   the vocabulary (money, months, proposals, findings) and the settings
    calc, odoo, prompts, sandbox     pure calculators | the Odoo gateway | prompt texts | the built-in Odoo
    config_doc                       the settings table of docs/settings.md, written from the settings
    memory                           local state: proposals, audit log, exceptions, checkpoints
    approvals                        deciding and applying proposals (the gateway + memory)
    tools                            the capabilities: read through the gateway, compute with calc
    agent, graphs                    the chat agent and the LangGraph workflows
    evals                            scoring against the sandbox's ground truth
    channels                         the CLI, the web pages, Discuss, the digest, serve

The test fails on any import circle and on any upward import. Registration is by explicit
tables (the sandbox's write handlers, the sandbox server's routes), never by the side effect of an import.

The calculators (``calc/``) do not read the clock either: no ``time`` module, no ``now()``/``today()``,
no ``"now"`` or ``"today"`` handed to pandas or numpy; whoever times them does it in ``tools/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ledgerpilot

PACKAGE = Path(ledgerpilot.__file__).parent

LAYERS: dict[str, int] = {
    "ledgerpilot": 0, "errors": 0, "jsonsafe": 0,  # "ledgerpilot": the (empty) package itself
    "domain": 1, "config": 1,
    "calc": 2, "odoo": 2, "prompts": 2, "sandbox": 2, "config_doc": 2,
    "memory": 3,
    "approvals": 4,
    "tools": 5,
    "agent": 6, "graphs": 6,
    "evals": 7,
    "channels": 8,
}

def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _owner(name: str, modules: dict[str, Path]) -> str:
    while name not in modules:
        name = name.rsplit(".", 1)[0]
    return name


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets |= {_owner(a.name, modules) for a in node.names if a.name.startswith("ledgerpilot.")}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if source != "ledgerpilot" and not source.startswith("ledgerpilot."):
                    continue
                targets.add(_owner(source, modules))
                targets |= {f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in modules}
        targets.discard(name)
        graph[name] = targets
    return graph


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start, first in graph.items():
        if start in index:
            continue
        work = [(start, iter(sorted(first)))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def _upward(graph: dict[str, set[str]]) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for importer, targets in graph.items():
        for target in targets:
            a, b = _layer(importer), _layer(target)
            if a != b and LAYERS[b] >= LAYERS[a]:
                out.setdefault((a, b), []).append(f"{importer} -> {target}")
    return out


def test_every_package_has_a_layer():
    assert {_layer(m) for m in import_graph()} <= set(LAYERS)


def test_no_import_circles():
    circles = [sorted(m.removeprefix("ledgerpilot.") for m in c) for c in _circles(import_graph())]
    assert circles == [], f"import circles: {circles}"


def test_imports_only_go_down_the_layers():
    upward = {edge: sorted(where)[:5] for edge, where in _upward(import_graph()).items()}
    assert upward == {}, f"imports into a higher (or the same) layer: {upward}"


def test_the_gateway_speaks_only_odoo():
    """odoo/ imports nothing of the state, the tools, the workflows or the channels."""
    graph = import_graph()
    assert {t for m, ts in graph.items() if _layer(m) == "odoo" for t in ts
            if _layer(t) in {"memory", "tools", "graphs", "channels", "approvals", "agent"}} == set()


#: modules that only read the clock, and the calls that read it whatever module they come from
CLOCK_MODULES = {"time", "timeit"}
CLOCK_CALLS = {"now", "today", "utcnow", "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns",
               "time_ns", "process_time", "process_time_ns", "thread_time", "thread_time_ns"}
CLOCK_WORDS = {"now", "today"}      # pd.Timestamp("now"), pd.to_datetime("today"), np.datetime64("now")


def clock_reads(source: str) -> list[str]:
    """Where ``source`` reads the clock: ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] in CLOCK_MODULES]
        elif isinstance(node, ast.ImportFrom) and not node.level \
                and (node.module or "").split(".")[0] in CLOCK_MODULES:
            found.append(f"{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in CLOCK_CALLS:
                found.append(f"{node.lineno}: {name}()")
            elif any(isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                     and arg.value.strip().lower() in CLOCK_WORDS for arg in node.args):
                found.append(f"{node.lineno}: {name}(\"now\"/\"today\")")
    return found


def test_the_clock_check_sees_every_way_of_reading_the_clock():
    source = """
import time
from time import perf_counter
import datetime as dt
from datetime import datetime
a = time.perf_counter()
b = dt.datetime.now()
c = dt.date.today()
d = datetime.utcnow()
e = pd.Timestamp("now")
f = pd.to_datetime("today")
g = pd.Timestamp.now(tz="UTC")
h = dt.date(2026, 1, 31) + dt.timedelta(days=1)
i = frame["date"].dt.to_period("M")
"""
    assert sorted(int(line.split(":")[0]) for line in clock_reads(source)) == [2, 3, 6, 7, 8, 9, 10, 11, 12]


def test_no_calculator_reads_the_clock():
    reads = {str(path.relative_to(PACKAGE)): found for path in sorted((PACKAGE / "calc").rglob("*.py"))
             if (found := clock_reads(path.read_text(encoding="utf-8")))}
    assert reads == {}, f"calc/ reads the clock (time it in tools/): {reads}"
