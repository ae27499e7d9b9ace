"""Budget monitoring orchestration: Odoo -> budget data -> status -> memory -> proposals -> memory.

The entry points the CLI (and later the agent) call:

- :func:`run_budget`: read the budgets, actuals and open purchase commitments of one period, compute
  each budget line's status and risk tier, look up similar past exceptions for every line at risk
  (the exceptions memory under ``Settings.home / "memory"``), store the proposals the risks call for
  in the state ``proposed`` (a re-run that finds a line at the same tier again adds nothing, even a day
  later with other figures: the line's finding is known),
  and record the new risks in the memory as open ``budget_overrun`` exceptions so the next run and
  the people resolving them find them;
- :func:`check_purchase_order`: does a draft or confirmed purchase order fit the remaining budget of
  each analytic account it touches;
- :func:`project_burndown`: cost to date, committed, projected final cost and run-out date of a project.

The memory is optional at run time: when the embedding model (or Chroma) is not installed the run
continues without it and says so in :attr:`BudgetOutcome.memory_note`. A risk already recorded is
never overwritten once someone resolved it, so a resolution survives every later run.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ledgerpilot.calc.budget.frames import BudgetData
from ledgerpilot.domain.month import Period, PeriodError, year_earlier
from ledgerpilot.domain.proposal import Proposal
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.tools import Timings

Progress = Callable[[str], None]

MEMORY_FOLDER = "memory"
SIMILAR_SHOWN = 3
SEARCH_MARGIN = 50           # extra neighbours asked for, so that enough remain once today's risks are left out
CURRENT = "current"          # the label of the default period: the budget lines running on the as-of day
AT_RISK_TIERS = ("note", "medium", "high")


class BudgetUsageError(LedgerpilotError):
    """A budget option is malformed (a period that is not YYYY, YYYY-Qn or YYYY-MM, ...)."""

    exit_code = 2


# --------------------------------------------------------------------------------------------- periods


def parse_period(text: str) -> Period:
    """``"2026"``, ``"2026-Q4"`` or ``"2026-11"`` -> the period's first and last day (years 1900-2999);
    anything else is a :class:`BudgetUsageError` naming the text."""
    try:
        return Period.parse(text)
    except PeriodError as error:
        raise BudgetUsageError(str(error)) from None


def _as_date(value: Any) -> dt.date:
    """A pandas/numpy/str date -> ``datetime.date``."""
    import pandas as pd

    return pd.Timestamp(value).date()


def current_lines(data: BudgetData, today: dt.date) -> BudgetData:
    """Only the budget lines whose own period contains ``today`` (when there are any): the "current
    budget period" whatever the budget's granularity (months, quarters, a year)."""
    lines = data.budget_lines
    if lines.empty:
        return data
    mask = (lines["date_from"] <= _ts(today)) & (lines["date_to"] >= _ts(today))
    if not mask.any():
        return data
    return replace(data, budget_lines=lines[mask].reset_index(drop=True))


def _ts(day: dt.date):
    import pandas as pd

    return pd.Timestamp(day)


def lines_span(data: BudgetData) -> tuple[dt.date, dt.date] | None:
    lines = data.budget_lines
    if lines.empty:
        return None
    return _as_date(lines["date_from"].min()), _as_date(lines["date_to"].max())


# ---------------------------------------------------------------------------------------------- results


class SimilarCase(BaseModel):
    """A past exception found similar to a current risk, with what was done about it."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    category: str
    title: str
    occurred_on: dt.date
    status: str
    resolution: str | None
    similarity: float


class BudgetOutcome(BaseModel):
    """Everything one budget run produced, for the CLI and the agent."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    run_id: str
    company: str
    currency: str
    period: str
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date
    source_kind: str
    source_reason: str
    report: Any                               # calc.budget.BudgetReport
    proposals: tuple[Proposal, ...]
    new_proposals: int
    similar: dict[str, tuple[SimilarCase, ...]]   # line key -> past cases
    recorded_exceptions: int                  # risks newly written to (or refreshed in) the memory
    memory_note: str | None                   # why the memory was not used, when it was not
    timings: Timings

    @property
    def at_risk(self) -> tuple[Any, ...]:
        """Lines at risk, worst first (tier, then adverse drift)."""
        return self.report.at_risk()


@dataclass(frozen=True)
class BudgetRequest:
    """What the user asked for. ``period`` is text (YYYY, YYYY-Qn, YYYY-MM) or None for the current one."""

    period: str | None = None
    account: str | int | None = None
    as_of: dt.date | None = None
    budget_file: Path | None = None
    note_drift: float = 0.05
    high_overspend: float = 0.15
    use_memory: bool = True
    memory_model: str | None = None      # the embedding model package (default: the memory's own default)


def budget_request(settings: Any, *, period: str | None = None, account: str | None = None,
                   as_of: dt.date | None = None, budget_file: Path | None = None,
                   use_memory: bool = True) -> BudgetRequest:
    """The request of a run, the configured thresholds and budget file filled in."""
    if period is not None:
        parse_period(period)   # a malformed period is a usage error before connecting
    if settings.budget.high_overspend <= settings.budget.note_drift:
        raise BudgetUsageError(f"LEDGERPILOT_BUDGET_HIGH_OVERSPEND ({settings.budget.high_overspend}) must be above "
                               f"LEDGERPILOT_BUDGET_NOTE_DRIFT ({settings.budget.note_drift})")
    chosen_account: str | int | None = None
    if account is not None:
        text = account.strip()
        chosen_account = int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else text
    return BudgetRequest(period=period, account=chosen_account, as_of=as_of,
                         budget_file=budget_file or settings.budget.file, note_drift=settings.budget.note_drift,
                         high_overspend=settings.budget.high_overspend, use_memory=use_memory)


# ------------------------------------------------------------------------------------------------ loading


def load_period_data(client, request_period: str | None, as_of: dt.date, budget_file: Path | None,
                     progress: Progress | None = None) -> tuple[BudgetData, Period]:
    """The budget data of the asked period, or of the current budget period containing ``as_of``.

    Without a period the calendar year of ``as_of`` is read (one pass covers monthly, quarterly and
    yearly budgets alike); the budget lines whose own period contains ``as_of`` are kept, and only
    when they reach beyond that year (a fiscal year across two calendar years) is the data read
    again over their whole span so that actuals and commitments cover it. That period is labelled
    ``"current"`` and runs from the earliest start to the latest end of those lines.
    """
    def load(period: Period) -> BudgetData:
        return load_budget_data_for(client, period, as_of, budget_file, progress)

    if request_period:
        period = parse_period(request_period)
        return load(period), period
    period = parse_period(str(as_of.year))
    data = current_lines(load(period), as_of)
    span = lines_span(data)
    if span is None:
        return data, period
    if span[0] < period.start or span[1] > period.end:
        wider = Period(min(span[0], period.start), max(span[1], period.end), CURRENT)
        data = current_lines(load(wider), as_of)
        span = lines_span(data) or (wider.start, wider.end)
    return data, Period(span[0], span[1], CURRENT)


# ------------------------------------------------------------------------------------------------- memory


def open_memory(home: Path, model: str | None = None):
    """``(memory, None)`` for the exceptions memory of ``home``, or ``(None, why)`` when it cannot be
    used here (the embedding model or Chroma is not installed)."""
    try:
        from ledgerpilot.memory.exceptions import ExceptionMemory, load_embedder
    except ImportError as exc:
        return None, f"the exceptions memory is not available ({exc}); continuing without past cases"
    try:
        embedder = load_embedder(model) if model else load_embedder()
        return ExceptionMemory(Path(home) / MEMORY_FOLDER, embedder=embedder), None
    except LedgerpilotError as exc:
        return None, f"the exceptions memory is not available: {exc}; continuing without past cases"


def line_key(line: Any) -> str:
    """The key of a budget line status in the ``similar`` mapping of ``budget_proposals``."""
    return str(line.key)


def risk_id(source_kind: str, line: Any) -> str:
    """Stable id of one line's risk in one period: a re-run refreshes it instead of adding another."""
    return f"budget:{source_kind}:{line.key}:{line.date_from}:{line.date_to}"


def risk_words(line: Any) -> tuple[str, str, str]:
    """(title, text, category) of a budget risk, as stored in and searched against the memory."""
    from ledgerpilot.calc.budget import risk_category, risk_text

    where = " / ".join(p for p in (line.analytic_account_name, line.position_name) if p) or "no analytic account"
    title = f"Budget risk ({line.tier}): {where}, {line.date_from} to {line.date_to}"
    return title, risk_text(line), risk_category(line)


def past_exception_for(line: Any, source_kind: str, as_of: dt.date, existing=None):
    from ledgerpilot.memory.exceptions import PastException

    title, text, category = risk_words(line)
    metadata: dict[str, str | int | float | bool] = {
        "source": source_kind, "tier": line.tier, "line_key": line.key, "budget_name": line.budget_name,
        "analytic_account_name": line.analytic_account_name, "position_name": line.position_name,
        "owner_name": line.owner_name, "date_from": line.date_from.isoformat(), "date_to": line.date_to.isoformat(),
        "planned": str(line.planned), "actual": str(line.actual), "committed": str(line.committed),
        "projected_total": str(line.projected_total),
    }
    for attr in ("line_id", "budget_id", "analytic_account_id"):
        value = getattr(line, attr)
        if value is not None:
            metadata[attr] = int(value)
    partner = line.orders[0].partner_name if line.orders else ""
    return PastException(
        id=risk_id(source_kind, line), kind="budget_overrun",
        category=category,
        title=title, text=text, occurred_on=existing.occurred_on if existing is not None else as_of,
        partner=partner, amount=line.projected_total - line.planned, resolution=None, status="open",
        metadata=metadata)


def _get_existing(memory, item_id: str):
    try:
        return memory.get(item_id)
    except LedgerpilotError:
        return None


def is_concurrent(exception: Any, as_of: dt.date) -> bool:
    """An open budget risk whose period still runs on ``as_of``: a sibling of today's risks, not history."""
    if exception.kind != "budget_overrun" or exception.status != "open" or not exception.id.startswith("budget:"):
        return False
    try:
        return dt.date.fromisoformat(str(exception.metadata.get("date_to", ""))) >= as_of
    except ValueError:
        return False


def similar_cases(memory, lines: Sequence[Any], source_kind: str, as_of: dt.date,
                  k: int = SIMILAR_SHOWN) -> dict[str, list]:
    """For each line at risk, the memory's most similar past exceptions; line key -> the memory's
    ``SimilarException`` results. A risk is never its own precedent, and the open risks of periods
    still running (recorded by earlier runs) are not history either: they are left out."""
    current = {risk_id(source_kind, line) for line in lines}
    found: dict[str, list] = {}
    for line in lines:
        _title, text, _category = risk_words(line)
        hits = memory.search(text, k=k + SEARCH_MARGIN + len(current))
        hits = [hit for hit in hits if hit.exception.id not in current and not is_concurrent(hit.exception, as_of)]
        if hits:
            found[line.key] = hits[:k]
    return found


def as_cases(similar: dict[str, list]) -> dict[str, tuple[SimilarCase, ...]]:
    """The memory's results in the flat form the outcome carries."""
    return {key: tuple(SimilarCase(id=hit.exception.id, kind=hit.exception.kind, category=hit.exception.category,
                                   title=hit.exception.title, occurred_on=hit.exception.occurred_on,
                                   status=hit.exception.status, resolution=hit.exception.resolution,
                                   similarity=round(float(hit.similarity), 4)) for hit in hits)
            for key, hits in similar.items()}


def record_risks(memory, lines: Sequence[Any], source_kind: str, as_of: dt.date) -> int:
    """Write each risk as an open ``budget_overrun`` exception; resolved ones are left as they are."""
    items = []
    for line in lines:
        existing = _get_existing(memory, risk_id(source_kind, line))
        if existing is not None and (existing.status != "open" or existing.resolution):
            continue
        items.append(past_exception_for(line, source_kind, as_of, existing))
    if items:
        memory.add(items)
    return len(items)


# ---------------------------------------------------------------------------------------------- the run


def run_budget(client, home: Path, request: BudgetRequest, *, today: dt.date | None = None,
               progress: Progress | None = None, store: bool = True) -> BudgetOutcome:
    """Budget status of one period, past cases, proposals and memory; see the module docstring.

    ``store=False`` reads only: the proposals the risks call for are made (and counted) but not stored,
    and the risks are not recorded in the exceptions memory (a question in chat never queues work)."""
    from ledgerpilot.calc.budget import BudgetThresholds, budget_proposals, budget_status

    step = progress or (lambda _message: None)
    as_of = request.as_of or today or dt.date.today()
    thresholds = BudgetThresholds(note_drift=request.note_drift, high_overspend=request.high_overspend)
    started = time.perf_counter()
    data, period = load_period_data(client, request.period, as_of, request.budget_file, step)
    extraction = time.perf_counter() - started

    step("computing the budget status")
    started = time.perf_counter()
    report = budget_status(data, as_of, thresholds, account=request.account)
    compute = time.perf_counter() - started
    at_risk = [line for line in report.lines if line.tier in AT_RISK_TIERS]

    memory, memory_note = (None, "the exceptions memory was not used (--no-memory)")
    if request.use_memory and at_risk:
        step("searching the memory of past exceptions")
        memory, memory_note = open_memory(home, request.memory_model)
    elif request.use_memory:
        memory_note = None
    similar: dict[str, list] = {}
    if memory is not None:
        similar = similar_cases(memory, at_risk, data.source.kind, as_of)

    run_id = f"budget-{uuid.uuid4().hex[:16]}"
    started = time.perf_counter()
    proposals = budget_proposals(report, run_id=run_id, similar=similar)
    compute += time.perf_counter() - started

    stored: list[Proposal] = list(proposals)
    created = 0
    if store:
        step("saving the proposals")
        stored = []
        with StateDB.in_home(home) as db:
            proposal_store = ProposalStore(db)
            for proposal in proposals:
                for outcome in proposal_store.add_finding([proposal]):
                    stored.append(outcome.proposal)
                    created += outcome.created
    recorded = 0
    if memory is not None and store:
        step("recording the risks in the memory")
        recorded = record_risks(memory, at_risk, data.source.kind, as_of)
    return BudgetOutcome(run_id=run_id, company=data.company_name, currency=report.currency, period=period.label,
                         period_start=period.start, period_end=period.end, as_of=as_of,
                         source_kind=data.source.kind, source_reason=data.source.reason, report=report,
                         proposals=tuple(stored), new_proposals=created, similar=as_cases(similar),
                         recorded_exceptions=recorded, memory_note=memory_note,
                         timings=Timings.of(extraction, compute))


# -------------------------------------------------------------------------------------- purchase orders


class _OutcomeHead(BaseModel):
    """What every budget answer says about where it comes from."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    company: str
    currency: str
    as_of: dt.date
    period: str
    source_kind: str


class PoCheckOutcome(_OutcomeHead):
    check: Any                                # calc.budget.PoCheck


def check_purchase_order(client, name: str, *, as_of: dt.date | None = None, budget_file: Path | None = None,
                         progress: Progress | None = None) -> PoCheckOutcome:
    """Whether the purchase order ``name`` fits the remaining budget of each analytic account it touches.

    The budget period read is the one containing the order's planned date (its order date when it
    has none), so an order planned for next quarter is checked against next quarter's budget.
    """
    from ledgerpilot.calc.budget import check_po
    from ledgerpilot.tools.budget.data import load_purchase_order

    day = as_of or dt.date.today()
    step = progress or (lambda _message: None)
    step(f"reading purchase order {name}")
    po_lines = load_purchase_order(client, name)      # PurchaseOrderNotFoundError when there is none
    planned = po_lines["date_planned"].dropna()
    target = _as_date(planned.min()) if not planned.empty else day
    data, period = load_period_data(client, f"{target.year}", day, budget_file, step)
    step("checking the order against the budget")
    check = check_po(data, po_lines, day)
    return PoCheckOutcome(company=data.company_name, currency=data.currency, as_of=day, period=period.label,
                          source_kind=data.source.kind, check=check)


# ------------------------------------------------------------------------------------------------ projects


class BurnOutcome(_OutcomeHead):
    burn: Any                                 # calc.budget.ProjectBurn


def project_burndown(client, project: str, *, as_of: dt.date | None = None, period: str | None = None,
                     budget_file: Path | None = None, progress: Progress | None = None) -> BurnOutcome:
    """Burn-down of one project (by name or id): its costs since it started, its open commitments and
    its budget lines from its start (or ``period``) to its end.

    The budget year of ``as_of`` is read first; when the project started before the actuals that
    read covers, the data is read again from the project's start so the cost to date is complete.
    """
    from ledgerpilot.calc.budget import project_burn
    from ledgerpilot.calc.budget.burn import find_project

    day = as_of or dt.date.today()
    step = progress or (lambda _message: None)
    data, chosen = load_period_data(client, period or f"{day.year}", day, budget_file, step)
    if period is None:
        row = find_project(data.projects, project)       # UnknownProjectError names the projects there are
        started = None if pd_isna(row["date_start"]) else _as_date(row["date_start"])
        if started is not None and started < year_earlier(chosen.start):
            ended = None if pd_isna(row["date_end"]) else _as_date(row["date_end"])
            chosen = Period(started, max(chosen.end, ended or chosen.end), f"{started}..")
            step("reading again from the project's start")
            data = load_budget_data_for(client, chosen, day, budget_file, step)
            chosen = Period(chosen.start, chosen.end, f"{chosen.start}..{chosen.end}")
    step("computing the burn-down")
    burn = project_burn(data, int(project) if str(project).strip().isdigit() else str(project).strip(), day)
    return BurnOutcome(company=data.company_name, currency=data.currency, as_of=day, period=chosen.label,
                       source_kind=data.source.kind, burn=burn)


def pd_isna(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def load_budget_data_for(client, period: Period, as_of: dt.date, budget_file: Path | None,
                         progress: Progress | None) -> BudgetData:
    from ledgerpilot.tools.budget.data import load_budget_data

    return load_budget_data(client, period.start, period.end, today=as_of, budget_file=budget_file,
                            progress=progress)
