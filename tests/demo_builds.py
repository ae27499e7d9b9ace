"""Demo companies built once per test session, shared by the pytest-xdist workers.

``pristine_demo_company(cache_root, seed=..., scale=..., today=...)`` returns the folder of a demo
company built with those arguments. The first worker that asks builds it while holding a file lock; the
others wait for the lock and find it built, so one session never builds the same company twice. The
folder is never served nor written: a test that serves or writes works on a copy of it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
from pathlib import Path


def session_cache_root(tmp_path_factory) -> Path:
    """A folder shared by every worker of this session (the xdist controller's base temp folder)."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "demo-builds"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _key(seed: int, scale: float, today: dt.date, options: dict[str, object]) -> str:
    extra = "".join(f"-{name}={options[name]}" for name in sorted(options))
    return f"seed{seed}-scale{scale:g}-{today.isoformat()}{extra}"


def pristine_demo_company(cache_root: Path, *, seed: int, scale: float, today: dt.date, **options) -> Path:
    """The folder of the demo company ``build_demo_company(seed, scale, today, **options)`` builds; read only."""
    from ledgerpilot.sandbox.generator import build_demo_company

    key = _key(seed, scale, today, options)
    target = cache_root / key
    with open(cache_root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not target.exists():
                building = cache_root / f"{key}.building"
                shutil.rmtree(building, ignore_errors=True)     # left by a worker that died mid-build
                build_demo_company(building, seed=seed, scale=scale, today=today, **options)
                building.rename(target)                        # complete or absent, never half-built
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


def copy_of_demo_company(cache_root: Path, destination: Path, *, seed: int, scale: float, today: dt.date,
                         **options) -> Path:
    """A private, writable copy at ``destination`` of the session's build of that demo company."""
    shutil.copytree(pristine_demo_company(cache_root, seed=seed, scale=scale, today=today, **options), destination)
    return destination
