"""The anomaly scan, end to end: Odoo -> books -> detectors and risk -> dispositions -> memory -> proposals.

:func:`scan_anomalies` is what ``ledgerpilot anomalies scan`` (and the schedule) calls:

1. read the books (:func:`ledgerpilot.tools.anomalies.data.load_anomaly_data`), all of them or only what
   changed since a time (``since="last"``: since the last scan of the same Odoo, less
   :data:`SINCE_OVERLAP` for clocks that disagree; a first scan reads everything);
2. run the detectors and score the findings (:func:`ledgerpilot.calc.anomalies.scan.run_scan`, timed
   step by step by :func:`timed_scan`);
3. apply the reviewers' dispositions (:func:`ledgerpilot.calc.anomalies.suppression.judge`);
4. store every finding in the state database (first/last seen, risk), so ids from any scan work later;
5. for each new alert, look up the most similar past finding in the exceptions memory, when the
   embedding model is installed (without it the scan runs and says so);
6. propose an activity and a note for each new alert, and a payment hold for a strong unpaid duplicate
   bill (:mod:`ledgerpilot.calc.anomalies.alerts`), stored together as ``proposed`` under the anomaly's
   finding (one item, decided together, on the approval page); an anomaly that already has proposals
   gets none again, nor does one whose finding the proposal store already knows;
7. record the scan (its start time is where the next ``--since last`` begins) and audit it.

:func:`dispose_anomaly` records a reviewer's disposition (state database + audit log) and puts it in
the exceptions memory as a past ``anomaly`` exception with the note as its resolution, so the next
similar finding says how this one ended. :func:`show_anomaly` returns one stored anomaly with its
dispositions and proposals.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledgerpilot.calc.anomalies.alerts import Alert, AlertSettings, alert_proposals, role_of
from ledgerpilot.calc.anomalies.suppression import PastDisposition, Verdict, judge
from ledgerpilot.config import setting_value
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.proposal import Proposal
from ledgerpilot.errors import ConfigError, LedgerpilotError
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.dispositions import (
    MEMORY_STATUS,
    AnomalyStore,
    Disposition,
    ScanRecord,
    StoredAnomaly,
    new_scan_id,
    source_of,
)
from ledgerpilot.memory.proposal_store import ProposalStore
from ledgerpilot.memory.state import StateDB
from ledgerpilot.tools import Stopwatch

if TYPE_CHECKING:
    from ledgerpilot.calc.anomalies.config import AnomalyConfig
    from ledgerpilot.calc.anomalies.frames import AnomalyData
    from ledgerpilot.calc.anomalies.scan import ScanResult

Progress = Callable[[str], None]

#: ``--since last`` starts this much before the last scan started: Odoo stamps ``write_date`` with its
#: own clock, and a finding seen twice is only refreshed, never alerted twice.
SINCE_OVERLAP = dt.timedelta(seconds=60)
#: past findings less similar than this are not cited as "last time"
MIN_SIMILARITY = 0.5
MEMORY_FOLDER = "memory"
MEMORY_KIND = "anomaly"
PAID_STATES = ("paid", "in_payment", "reversed")
SETTING_ROLES = (("anomaly_ap_user", "ap"), ("anomaly_inventory_user", "inventory"), ("anomaly_gl_user", "gl"))


class AnomalyUsageError(LedgerpilotError):
    """A scan option is malformed (a --since that is neither a date nor ``last``, ...)."""

    exit_code = 2


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


# ------------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class ScanItem:
    """One finding of a scan with its verdict and what the scan did about it."""

    anomaly: Anomaly
    risk: float
    shown_risk: float
    rule_score: float
    status: str                          # see suppression.Status
    reason: str                          # why it has that status
    first_seen: dt.datetime
    last_seen: dt.datetime
    role: str                            # ap | inventory | gl
    last_time: str | None = None
    proposal_ids: tuple[str, ...] = ()
    new: bool = False                    # first seen by this scan

    @property
    def key(self) -> str:
        return self.anomaly.key

    @property
    def alerted(self) -> bool:
        return self.status in ("alert", "investigating")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.key, "status": self.status, "risk": round(self.risk, 4),
                "shown_risk": round(self.shown_risk, 4), "rule_score": round(self.rule_score, 4),
                "status_reason": self.reason, "new": self.new, "role": self.role, "first_seen": self.first_seen.isoformat(),
                "last_seen": self.last_seen.isoformat(), "last_time": self.last_time,
                "proposal_ids": list(self.proposal_ids), **self.anomaly.model_dump(mode="json")}


@dataclass(frozen=True)
class ScanOutcome:
    """Everything one scan produced, for the CLI, the demo and the agent."""

    scan_id: str
    company: str
    currency: str
    today: dt.date
    source: str
    since: dt.datetime | None            # None: the whole history was scanned
    since_note: str                      # in words: what was scanned and why
    scope_counts: Mapping[str, int] | None
    threshold: float
    items: tuple[ScanItem, ...]          # highest shown risk first
    proposals: tuple[Proposal, ...]      # made (or found already stored) by this scan
    new_proposals: int
    skipped: Mapping[str, str]
    memory_note: str | None
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def alerts(self) -> list[ScanItem]:
        return [item for item in self.items if item.alerted]

    @property
    def new_alerts(self) -> list[ScanItem]:
        """Alerts first seen by this scan (a scheduled scan notifies about these)."""
        return [item for item in self.items if item.alerted and item.new]

    @property
    def suppressed(self) -> list[ScanItem]:
        return [item for item in self.items if item.status in ("suppressed", "dismissed", "closed")]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.status] = counts.get(item.status, 0) + 1
        return counts

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        items = self.items if top is None else self.items[:top]
        return {"scan_id": self.scan_id, "company": self.company, "currency": self.currency,
                "today": self.today.isoformat(), "source": self.source,
                "since": self.since.isoformat() if self.since else None, "since_note": self.since_note,
                "scope": dict(self.scope_counts) if self.scope_counts is not None else None,
                "threshold": self.threshold, "found": len(self.items), "alerted": len(self.alerts),
                "new_alerts": len(self.new_alerts),
                "counts": self.counts(), "anomalies": [item.to_dict() for item in items],
                "proposals": [{"id": p.id, "kind": p.kind, "state": p.state, "title": p.title} for p in self.proposals],
                "new_proposals": self.new_proposals, "skipped": dict(self.skipped), "memory_note": self.memory_note,
                "timings": {k: round(v, 3) for k, v in self.timings.items()}}


# ------------------------------------------------------------------------------------------------- since


def parse_since(text: str | None) -> dt.datetime | str | None:
    """``--since``: ``last``, an ISO date or date-time (UTC), or nothing (the whole history)."""
    if text is None or not str(text).strip():
        return None
    value = str(text).strip()
    if value.lower() == "last":
        return "last"
    try:
        moment = dt.datetime.fromisoformat(value) if value.isascii() else None
    except ValueError:
        moment = None
    if moment is None:
        raise AnomalyUsageError(f"--since {text[:40]!r} is neither 'last' nor a date or date-time such as 2026-11-18 "
                                "or 2026-11-18T09:30")
    if not 1900 <= moment.year <= 2999:
        raise AnomalyUsageError(f"--since {text!r}: the year must be between 1900 and 2999")
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def resolve_since(since: dt.datetime | dt.date | str | None, store: AnomalyStore, source: str
                  ) -> tuple[dt.datetime | None, str]:
    """The moment to read changes from (None: everything) and why, in words."""
    if since is None:
        return None, "the whole history was scanned"
    if isinstance(since, str):
        parsed = parse_since(since)
        if parsed is None or isinstance(parsed, dt.datetime):
            return resolve_since(parsed, store, source)
        last = store.last_scan(source)
        if last is None:
            return None, "first scan of this Odoo: the whole history was scanned"
        moment = last.started_at - SINCE_OVERLAP
        return moment, (f"changes since the last scan ({last.started_at.isoformat(sep=' ')} UTC, read from "
                        f"{moment.isoformat(sep=' ')})")
    if isinstance(since, dt.datetime):
        moment = since.astimezone(dt.UTC).replace(tzinfo=None) if since.tzinfo else since
        return moment, f"changes since {moment.isoformat(sep=' ')} UTC"
    if isinstance(since, dt.date):
        return resolve_since(dt.datetime.combine(since, dt.time()), store, source)
    raise AnomalyUsageError(f"since must be a date-time, 'last' or None, not {since!r}")


# ------------------------------------------------------------------------------------------------ memory


def open_memory(home: Path, *, create: bool = True):
    """``(memory, None)`` for the exceptions memory of ``home`` (model loaded when first needed), or
    ``(None, why)`` when it cannot be opened here. With ``create=False`` a home that has no memory yet
    gives ``(None, None)``: there is nothing to look up, and nothing is created just to find that out."""
    if not create and not (Path(home) / MEMORY_FOLDER).is_dir():
        return None, None
    try:
        from ledgerpilot.memory.exceptions import ExceptionMemory
    except ImportError as exc:
        return None, f"the exceptions memory is not available ({exc})"
    try:
        return ExceptionMemory(Path(home) / MEMORY_FOLDER), None
    except LedgerpilotError as exc:
        return None, f"the exceptions memory is not available: {exc}"


def past_exception(anomaly: Anomaly, *, resolution: str | None = None, status: str = "open",
                   when: dt.date | None = None, extra: Mapping[str, str] | None = None):
    """``anomaly`` as a past exception of kind ``anomaly`` (category = its kind), for the memory."""
    from ledgerpilot.memory.exceptions import PastException

    metadata: dict[str, str | int | float | bool] = {"detector": anomaly.detector, "anomaly_key": anomaly.key,
                                                     "primary_model": anomaly.primary.model,
                                                     "primary_id": anomaly.primary.id}
    metadata.update(extra or {})
    return PastException(id=f"anomaly:{anomaly.key}", kind=MEMORY_KIND, category=anomaly.kind.replace("_", " "),
                         title=anomaly.title, text=anomaly.reason,
                         occurred_on=anomaly.occurred_on or when or dt.date.today(), partner=anomaly.partner,
                         amount=anomaly.amount, resolution=resolution, status=status, metadata=metadata)


def last_times(memory, anomalies: Sequence[Anomaly]) -> tuple[dict[str, str], str | None]:
    """key -> "Last time (...) ..." for each anomaly with a similar past finding; and a note when the
    memory could not be searched (model not installed)."""
    if memory is None or not anomalies:
        return {}, None
    try:
        if memory.count() == 0:
            return {}, None
        texts = [past_exception(anomaly).document for anomaly in anomalies]
        results = memory.search_many(texts, k=3, kind=MEMORY_KIND, min_similarity=MIN_SIMILARITY)
    except LedgerpilotError as exc:
        return {}, f"past findings were not looked up: {exc}"
    found = {}
    for anomaly, hits in zip(anomalies, results):
        own = f"anomaly:{anomaly.key}"
        hit = next((h for h in hits if h.exception.id != own), None)
        if hit is not None:
            found[anomaly.key] = hit.last_time()
    return found, None


# ------------------------------------------------------------------------------------------- assignees


def alert_settings(settings: Any, users) -> AlertSettings:
    """The alert assignees of ``settings`` (logins or ids) as user ids known to this Odoo."""
    ids: dict[str, int | None] = {}
    for name, role in SETTING_ROLES:
        ids[role] = _user_id(name, setting_value(settings, name), users)
    return AlertSettings(ap_user_id=ids["ap"], inventory_user_id=ids["inventory"], gl_user_id=ids["gl"])


def _user_id(setting: str, value: Any, users) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    known_ids = {int(v) for v in users["id"].dropna()} if len(users) else set()
    text = str(value).strip()
    if text.isdigit():
        if known_ids and int(text) not in known_ids:
            raise ConfigError(f"LEDGERPILOT_{setting.upper()}: this Odoo has no user with id {text}")
        return int(text)
    matches = users.loc[users["login"].astype(str).str.casefold() == text.casefold(), "id"] if len(users) else []
    if len(matches) == 0:
        logins = ", ".join(sorted(str(v) for v in users["login"].dropna())[:10]) if len(users) else "none read"
        raise ConfigError(f"LEDGERPILOT_{setting.upper()}: this Odoo has no user with login {text!r} "
                          f"(logins: {logins})")
    return int(matches.iloc[0])


# --------------------------------------------------------------------------------------------- the scan


#: ``(since, progress, config) -> (books, scan result, timings)``: how a scan reads and scans the books
#: (:func:`scan_anomalies` reads them through the gateway; a long-running scanner keeps them in memory)
Scanner = Callable[[dt.datetime | None, Progress, Any], tuple[Any, Any, dict[str, float]]]


def timed_scan(data: AnomalyData, config: AnomalyConfig | None = None, **options: Any) -> ScanResult:
    """:func:`ledgerpilot.calc.anomalies.scan.run_scan` (same arguments) with each of its steps timed:
    the result's ``timings`` hold the seconds per step (``detector:<name>``, ``baselines``,
    ``scoring``) and the ``total``."""
    from ledgerpilot.calc.anomalies.scan import run_scan

    watch = Stopwatch()
    with watch.step("total"):
        result = run_scan(data, config, steps=watch.step, **options)
    return dataclasses.replace(result, timings=watch.seconds)


def _read_and_scan(client, today: dt.date) -> Scanner:
    def scanner(moment, step, config):
        from ledgerpilot.tools.anomalies.data import load_anomaly_data

        clock = time.perf_counter()
        data = load_anomaly_data(client, today=today, since=moment, progress=step)
        timings = {"extraction": time.perf_counter() - clock}
        step("running the anomaly detectors")
        clock = time.perf_counter()
        result = timed_scan(data, config)
        timings["detection"] = time.perf_counter() - clock
        return data, result, timings
    return scanner


def scan_anomalies(client, home: Path, *, today: dt.date, since: dt.datetime | dt.date | str | None = None,
                   min_score: float | None = None, progress: Progress | None = None, settings: Any = None,
                   use_memory: bool = True, propose: bool = True) -> ScanOutcome:
    """Scan the books of ``client`` for anomalies; see the module docstring for the steps."""
    return scan_with(_read_and_scan(client, today), client, home, today=today, since=since, min_score=min_score,
                     progress=progress, settings=settings, use_memory=use_memory, propose=propose)


def scan_with(scanner: Scanner, client, home: Path, *, today: dt.date,
              since: dt.datetime | dt.date | str | None = None, min_score: float | None = None,
              progress: Progress | None = None, settings: Any = None, use_memory: bool = True,
              propose: bool = True) -> ScanOutcome:
    """:func:`scan_anomalies` with the books read and scanned by ``scanner``: dispositions, the
    store, the memory of past cases, alert proposals and the audit are the same whoever reads them.

    ``propose=False`` only looks (a question in chat): the findings are kept so their ids can be shown,
    but no alert is proposed and the scan is not recorded as the last one, so the next scheduled or
    explicit scan still proposes for what this one found."""
    from ledgerpilot.calc.anomalies.config import AnomalyConfig
    from ledgerpilot.config import load_settings

    step = progress or (lambda _message: None)
    settings = settings if settings is not None else load_settings()
    config = AnomalyConfig.from_settings(settings)
    if min_score is not None:
        if not 0 < float(min_score) <= 1:
            raise AnomalyUsageError(f"--min-score must be above 0 and at most 1, not {min_score}")
        config = AnomalyConfig(min_score=float(min_score), detectors=config.detectors, params=config.params)
    source = source_of(client.url, client.db)
    scan_id = new_scan_id()
    started_at = _utcnow()
    timings: dict[str, float] = {}
    with StateDB.in_home(home) as db:
        store = AnomalyStore(db)
        moment, since_note = resolve_since(since, store, source)

        data, result, read_timings = scanner(moment, step, config)
        timings.update(read_timings)
        assignees = alert_settings(settings, data.users)      # a login this Odoo does not know fails here

        step("applying the reviewers' dispositions")
        pairs = [(scored.anomaly, scored.risk) for scored in result.anomalies]
        verdicts = judge(pairs, _past_dispositions(store), threshold=config.min_score)
        stored = store.record(pairs, scan_id=scan_id, seen_at=started_at)

        proposing = [scored.anomaly for scored, verdict in zip(result.anomalies, verdicts)
                     if propose and verdict.proposes and not stored[scored.key].proposal_ids]
        memory, memory_note = (None, "the exceptions memory was not used") if not use_memory else (None, None)
        lasts: dict[str, str] = {}
        if use_memory and proposing:
            step("looking up similar past findings")
            memory, memory_note = open_memory(home, create=False)
            lasts, search_note = last_times(memory, proposing)
            memory_note = memory_note or search_note
        if memory_note and use_memory:
            memory_note += "; alerts do not say what happened last time"

        step("proposing alerts")
        unpaid = _unpaid_moves(data)
        made: list[Proposal] = []
        created = 0
        proposal_store = ProposalStore(db)
        by_key_ids: dict[str, tuple[str, ...]] = {}
        for anomaly in proposing:
            first_seen = stored[anomaly.key].first_seen.date()
            alert = Alert(anomaly=anomaly, risk=stored[anomaly.key].risk, first_seen=first_seen,
                          last_time=lasts.get(anomaly.key),
                          unpaid=anomaly.primary.model != "account.move" or anomaly.primary.id in unpaid)
            ids = []
            parts = alert_proposals(alert, settings=assignees, run_id=scan_id, currency=data.currency)
            for outcome in proposal_store.add_finding(parts) if parts else ():
                made.append(outcome.proposal)
                created += outcome.created
                ids.append(outcome.proposal.id)
            if ids:
                store.set_proposals(anomaly.key, ids)
                by_key_ids[anomaly.key] = tuple(ids)

        items = [_item(scored, verdict, stored[scored.key], lasts.get(scored.key),
                       by_key_ids.get(scored.key, stored[scored.key].proposal_ids), started_at)
                 for scored, verdict in zip(result.anomalies, verdicts)]
        items.sort(key=lambda item: (-item.shown_risk, -item.rule_score, item.key))
        finished = _utcnow()
        record = ScanRecord(scan_id=scan_id, source=source, started_at=started_at, finished_at=finished,
                            since=moment, today=today, found=len(items),
                            alerted=sum(1 for item in items if item.alerted),
                            suppressed=sum(1 for item in items if item.status == "suppressed"),
                            new_proposals=created)
        if propose:
            store.record_scan(record)
        AuditLog(db).record("anomaly_scan" if propose else "anomaly_look", actor=client.connection.user, subject=scan_id,
                            details={"source": source, "since": moment, "found": record.found,
                                     "alerted": record.alerted, "suppressed": record.suppressed,
                                     "new_proposals": created, "threshold": config.min_score})
    timings.update({k: v for k, v in result.timings.items() if k == "total"})
    scope = data.scope
    return ScanOutcome(scan_id=scan_id, company=data.company_name, currency=data.currency, today=today,
                       source=source, since=moment, since_note=since_note,
                       scope_counts=scope.counts() if scope is not None else None, threshold=config.min_score,
                       items=tuple(items), proposals=tuple(made), new_proposals=created,
                       skipped=dict(result.skipped), memory_note=memory_note, timings=timings)


def _past_dispositions(store: AnomalyStore) -> list[PastDisposition]:
    return [PastDisposition(anomaly=item.anomaly, disposition=item.disposition.disposition, note=item.disposition.note,
                            by=item.disposition.by, at=item.disposition.at)
            for item in store.disposed() if item.disposition is not None]


def _unpaid_moves(data) -> set[int]:
    moves = data.moves
    if not len(moves):
        return set()
    mask = ~moves["payment_state"].isin(PAID_STATES)
    return {int(v) for v in moves.loc[mask, "id"].dropna()}


def _item(scored, verdict: Verdict, stored: StoredAnomaly, last_time: str | None,
          proposal_ids: Sequence[str], scanned_at: dt.datetime) -> ScanItem:
    return ScanItem(anomaly=scored.anomaly, risk=float(scored.risk), shown_risk=float(verdict.shown_risk),
                    rule_score=float(scored.rule_score),
                    status=verdict.status, reason=verdict.reason, first_seen=stored.first_seen,
                    last_seen=stored.last_seen, role=role_of(scored.anomaly), last_time=last_time,
                    proposal_ids=tuple(proposal_ids), new=stored.first_seen == scanned_at)


# -------------------------------------------------------------------------------------- dispositions


@dataclass(frozen=True)
class DisposeOutcome:
    stored: StoredAnomaly
    disposition: Disposition
    memory_note: str | None              # why the disposition is not in the exceptions memory, when it is not

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.stored.key, "disposition": self.disposition.to_dict(), "memory_note": self.memory_note,
                "anomaly": self.stored.anomaly.model_dump(mode="json")}


def dispose_anomaly(home: Path, anomaly_id: str, disposition: str, *, note: str, by: str,
                    use_memory: bool = True) -> DisposeOutcome:
    """Record a reviewer's disposition of a stored anomaly (by id or a unique prefix of it), audit it and
    remember it in the exceptions memory (when the embedding model is installed)."""
    with StateDB.in_home(home) as db:
        store = AnomalyStore(db)
        key = store.resolve_id(anomaly_id)
        recorded = store.dispose(key, disposition, note=note, by=by)
        stored = store.get(key)
    memory_note = None
    if use_memory:
        memory, memory_note = open_memory(home)
        if memory is not None:
            item = past_exception(stored.anomaly, resolution=recorded.note,
                                  status=MEMORY_STATUS[recorded.disposition], when=recorded.at.date(),
                                  extra={"disposition": recorded.disposition, "disposed_by": recorded.by,
                                         "disposed_at": recorded.at.isoformat()})
            try:
                memory.add([item])
            except LedgerpilotError as exc:
                memory_note = f"the disposition is stored, but not in the exceptions memory: {exc}"
    else:
        memory_note = "the exceptions memory was not used"
    return DisposeOutcome(stored=stored, disposition=recorded, memory_note=memory_note)


@dataclass(frozen=True)
class AnomalyDetail:
    stored: StoredAnomaly
    history: tuple[Disposition, ...]
    proposals: tuple[Proposal, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.stored.to_dict(), "id": self.stored.key,
                "dispositions": [d.to_dict() for d in self.history],
                "proposals": [{"id": p.id, "kind": p.kind, "state": p.state, "title": p.title}
                              for p in self.proposals]}


def show_anomaly(home: Path, anomaly_id: str) -> AnomalyDetail:
    """One stored anomaly (by id or a unique prefix), its dispositions and the proposals its alert made."""
    from ledgerpilot.memory.proposal_store import ProposalNotFound

    with StateDB.in_home(home) as db:
        store = AnomalyStore(db)
        key = store.resolve_id(anomaly_id)
        stored = store.get(key)
        proposals = []
        proposal_store = ProposalStore(db)
        for pid in stored.proposal_ids:
            try:
                proposals.append(proposal_store.get(pid))
            except ProposalNotFound:
                continue
        return AnomalyDetail(stored=stored, history=tuple(store.history(key)), proposals=tuple(proposals))
