"""Everything the generator's stages share: the row buffers, the random source and the lookups."""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledgerpilot.sandbox.generator.ground_truth import GroundTruthBuilder
from ledgerpilot.sandbox.generator.ledger import Ledger
from ledgerpilot.sandbox.generator.params import Sizes
from ledgerpilot.sandbox.generator.regimes import REGIMES, Regime
from ledgerpilot.sandbox.generator.sequences import Sequencer
from ledgerpilot.sandbox.store import Store

COMPANY_ID = 1
EUR_ID = 1
USD_ID = 2


@dataclass
class BuildContext:
    store: Store
    ledger: Ledger
    rng: random.Random
    sizes: Sizes
    today: dt.date
    start: dt.date  # first day of the first month of history
    seq: Sequencer = field(default_factory=Sequencer)
    truth: GroundTruthBuilder = field(default_factory=GroundTruthBuilder)
    accounts: dict[str, int] = field(default_factory=dict)  # code -> id
    account_reconcile: dict[int, bool] = field(default_factory=dict)
    account_cash: set[int] = field(default_factory=set)
    journals: dict[str, int] = field(default_factory=dict)  # code -> id
    taxes: dict[str, int] = field(default_factory=dict)
    terms: dict[str, int] = field(default_factory=dict)
    term_lines: dict[int, list[tuple[float, str, int]]] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)  # login -> res.users id
    user_partner: dict[int, int] = field(default_factory=dict)
    rate_days: list[dt.date] = field(default_factory=list)
    rate_values: list[float] = field(default_factory=list)
    analytic: dict[str, int] = field(default_factory=dict)  # key -> account.analytic.account id
    analytic_plan_of: dict[int, int] = field(default_factory=dict)  # analytic account id -> root plan id
    projects_plan_id: int = 0
    partners: dict[str, Any] = field(default_factory=dict)  # filled by partners.py
    products: dict[str, Any] = field(default_factory=dict)  # filled by products.py
    events: list[tuple[dt.date, int, Callable[[], None]]] = field(default_factory=list)  # a heap
    notes: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    tax_totals: dict[tuple[int, int], list[float]] = field(default_factory=dict)  # (year, quarter) -> [sale, purchase]
    progress: Callable[[str, float], None] | None = None
    regime: Regime = REGIMES["standard"]
    #: separate random sources (seeded from the build's seed and regime): the variety the books' main
    #: stream never had (bank labels, registered receipts, weekend-dated bills) and the shapes of
    #: the injected anomalies; they vary per seed without moving the main stream's draws
    variety_rng: random.Random = field(default_factory=lambda: random.Random(0))
    anomaly_rng: random.Random = field(default_factory=lambda: random.Random(0))
    label_number_share: float = 0.4
    inject_anomalies: bool = True
    book: Any = None  # bank.StatementBook
    cash_book: Any = None
    #: the company the books being written belong to (the second company writes through a copy)
    company_id: int = COMPANY_ID
    _seq: int = 0

    # -- dates -----------------------------------------------------------------------------
    @property
    def current_month(self) -> dt.date:
        return self.today.replace(day=1)

    def months(self) -> list[dt.date]:
        out, d = [], self.start
        while d <= self.current_month:
            out.append(d)
            d = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return out

    # -- currency ----------------------------------------------------------------------------
    def usd_rate(self, day: dt.date) -> float:
        """USD per EUR on ``day`` (the latest published rate on or before it)."""
        i = bisect.bisect_right(self.rate_days, day) - 1
        return self.rate_values[max(i, 0)]

    def to_eur(self, amount: float, currency_id: int, day: dt.date) -> float:
        if currency_id == EUR_ID:
            return round(amount, 2)
        return round(amount / self.usd_rate(day), 2)

    # -- scheduling ---------------------------------------------------------------------------
    def schedule(self, day: dt.date, action: Callable[[], None]) -> None:
        """Run ``action`` on ``day`` (in date order, after the documents of earlier days).

        Actions dated after today never run: in the books of "today" they have not happened.
        """
        if day <= self.today:
            self._seq += 1
            heapq.heappush(self.events, (day, self._seq, action))

    def run_until(self, last: dt.date) -> None:
        """Run every scheduled action dated on or before ``last``, including ones they schedule."""
        while self.events and self.events[0][0] <= last:
            _day, _seq, action = heapq.heappop(self.events)
            action()

    def report(self, stage: str, fraction: float) -> None:
        if self.progress is not None:
            self.progress(stage, max(0.0, min(1.0, fraction)))
