"""Odoo 17 style document names: ``INV/2026/00001`` (yearly), ``BILL/2026/11/0001`` (monthly)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

#: journal code prefix -> True when the sequence restarts every month (Odoo's default per journal type)
MONTHLY = {"BILL": True, "RBILL": True, "MISC": True, "EXCH": True, "STJ": True}


class Sequencer:
    """Hands out the next number of a prefix, per year or per month as Odoo 17 does."""

    def __init__(self) -> None:
        self._counters: dict[str, int] = defaultdict(int)

    def next(self, code: str, date: dt.date) -> tuple[str, str, int]:
        """Return ``(name, sequence_prefix, sequence_number)`` for a document of ``code`` on ``date``."""
        if MONTHLY.get(code, False):
            prefix = f"{code}/{date.year}/{date.month:02d}/"
            width = 4
        else:
            prefix = f"{code}/{date.year}/"
            width = 5
        self._counters[prefix] += 1
        number = self._counters[prefix]
        return f"{prefix}{number:0{width}d}", prefix, number

    def next_plain(self, prefix: str, width: int = 5) -> str:
        """Names like ``S00042`` or ``P00007`` or ``WH/IN/00012`` (never reset)."""
        self._counters[prefix] += 1
        return f"{prefix}{self._counters[prefix]:0{width}d}"
