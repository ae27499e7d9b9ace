"""The built-in demo: where its data lives, building it on first use, and how to log in to it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

from ledgerpilot.config import OdooConnection
from ledgerpilot.sandbox.store import database_path

DEMO_DB = "demo"
DEMO_USERS: dict[str, str] = {
    "admin": "accounting manager (Billing Administrator), all rights, both companies",
    "controller": "accounting manager, a second approver, both companies",
    "clerk": "Billing: creates and posts entries, cannot set lock dates, first company only",
    "readonly": "read-only integration user, both companies",
    "demo": "no accounting rights",
}


def demo_data_dir(home: Path, seed: int, scale: float, today: dt.date | None = None,
                  regime: str = "standard") -> Path:
    """One folder per (seed, scale, today, regime), so that different demos never overwrite each other."""
    suffix = f"-{today.isoformat()}" if today else ""
    kind = "" if regime == "standard" else f"-{regime}"
    return home / "sandbox" / f"seed{seed}-scale{scale:g}{kind}{suffix}"


def ensure_demo_data(data_dir: Path, seed: int, scale: float, today: dt.date | None = None,
                     progress: Callable[[str, float], None] | None = None, rebuild: bool = False,
                     follow_calendar: bool = False, regime: str = "standard") -> Path:
    """Build the demo company into ``data_dir`` unless it is already there. Returns the folder.

    With ``follow_calendar`` (the default demo folder, no explicit ``today``) books built on an
    earlier day are rebuilt so that "today" in the demo is today. A folder named by the user is
    never rebuilt behind their back.
    """
    from ledgerpilot.sandbox.generator import build_demo_company
    from ledgerpilot.sandbox.store import Store

    path = database_path(data_dir)
    if follow_calendar and not rebuild and today is None and path.exists():
        store = Store(path)
        try:
            rebuild = store.get_meta("today") != dt.date.today().isoformat()
        finally:
            store.close()
    if rebuild or not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        build_demo_company(data_dir, seed=seed, scale=scale, today=today, progress=progress, overwrite=rebuild,
                           regime=regime)
    return data_dir


def demo_connection(url: str, user: str = "admin", password: str | None = None) -> OdooConnection:
    """How the product logs in to a running sandbox: exactly as to a real Odoo."""
    return OdooConnection(url=url, db=DEMO_DB, user=user, password=password or user)


def demo_today(data_dir: Path) -> dt.date:
    """The "today" the demo company was built for (its books end there)."""
    from ledgerpilot.sandbox.store import Store

    store = Store(database_path(data_dir))
    try:
        stored = store.get_meta("today")
    finally:
        store.close()
    return dt.date.fromisoformat(stored) if stored else dt.date.today()
