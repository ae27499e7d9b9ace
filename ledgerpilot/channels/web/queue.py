"""The approval queue: one item per finding or business decision, sortable and filterable.

Pure: stored proposals in, :class:`QueueItem` out. The proposals of one finding (``Proposal.finding``:
an anomaly's note, activity and payment hold; an accrual and its reversal) make one item, decided
together; every other proposal is an item of its own. For each item:

- **risk**: ``high``, ``medium``, ``low`` or none, with the number behind it where there is one. An
  anomaly's risk (0-1, the scan's) is high from :data:`HIGH_RISK` (the level at which a duplicate bill
  gets a payment hold), medium from :data:`MEDIUM_RISK`; a budget risk is its tier (``note`` is low);
  a collection follow-up is high (the forecast falls below the safety threshold); a payment of bills
  out of a surplus is low. Entries, lock dates and requests carry no risk of their own: nothing is said.
- **amount**: what is at stake, in the company currency: the anomaly's amount, a budget line's
  projected overspend (or shortfall), an entry's total debit, a payment's total, an invoice's open
  amount; none for a lock date.
- **kind** (what is decided), **source** (what proposed it), **age** (since the oldest part was
  proposed) and **record** (the main Odoo record, and every record's name for the filter).

Sorting: by risk (high first, then the higher number, then the larger amount), amount (largest
first), age (oldest first), kind, source or record (alphabetical); ties keep the oldest first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerpilot.approvals.decide import ENTRY_KINDS
from ledgerpilot.domain.proposal import Proposal, RecordRef

HIGH_RISK = Decimal("0.85")
MEDIUM_RISK = Decimal("0.65")
RISK_ORDER = {"high": 0, "medium": 1, "low": 2, "": 3}
RISK_LEVELS = ("high", "medium", "low")
SORTS = ("risk", "amount", "age", "kind", "source", "record")
AGES = {"": None, "1d": 1, "7d": 7, "30d": 30}

KIND_LABELS = {
    "adjusting_entry": "Adjusting entry", "accrual": "Accrual", "reversal": "Reversal", "lock_date": "Lock date",
    "budget_transfer": "Budget transfer", "payment_proposal": "Payment proposal", "po_hold": "Purchase order hold",
    "activity": "Activity", "note": "Note",
}
#: what is decided, by item kind
ITEM_KINDS = {
    "anomaly": "Anomaly", "budget": "Budget risk", "entry": "Journal entry", "lock_date": "Lock date",
    "payment": "Payment", "collection": "Collection follow-up", "activity": "Activity", "note": "Note",
    "other": "Other",
}
#: what proposed it, by ``Proposal.created_by``
SOURCES = {"ledgerpilot:anomalies": "Anomaly scan", "ledgerpilot:budget": "Budget watch",
           "ledgerpilot:forecast": "Cash forecast", "ledgerpilot": "Month-end close",
           "ledgerpilot-agent": "Asked of the agent"}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class QueueItem:
    key: str                              # the finding
    lead: Proposal                        # the first part: the item's address is /proposals/<lead id>
    parts: tuple[Proposal, ...]
    kind: str                             # an ITEM_KINDS key
    headline: str
    risk: str                             # high | medium | low | "" (none stated)
    risk_value: Decimal | None            # the number behind the level, when there is one
    amount: Decimal | None
    record: RecordRef | None
    records: tuple[RecordRef, ...]
    partner: str
    source: str                           # a SOURCES key, or created_by
    created_at: dt.datetime
    requested_by: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.lead.id

    @property
    def kind_label(self) -> str:
        return ITEM_KINDS.get(self.kind, self.kind)

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)

    @property
    def parts_label(self) -> str:
        """What approving does, in words: "note + activity + payment hold"."""
        return " + ".join(_part_word(part) for part in self.parts)

    @property
    def has_entries(self) -> bool:
        return any(part.kind in ENTRY_KINDS for part in self.parts)

    @property
    def risk_text(self) -> str:
        if not self.risk:
            return ""
        return self.risk if self.risk_value is None else f"{self.risk} {self.risk_value:.2f}"

    def age_days(self, now: dt.datetime) -> float:
        return max(0.0, (now - self.created_at).total_seconds() / 86400)

    def search_text(self) -> str:
        words = [self.headline, self.partner, *(r.name for r in self.records), *(p.title for p in self.parts)]
        return " ".join(w for w in words if w).casefold()


def _after(text: str, prefix: str, stop: str) -> str:
    """The words of ``text`` after ``prefix`` up to ``stop`` ("" when it does not start so)."""
    if not text.startswith(prefix):
        return ""
    return text[len(prefix):].split(stop, 1)[0].strip()


def _part_word(part: Proposal) -> str:
    """One part in a few words: "activity for the AP manager", "note on BILL/2026/10/0005", "reversal on 2026-12-01"."""
    figures = part.evidence.figures
    if part.kind == "activity":
        if part.title.startswith("Payment hold"):
            return "payment hold"
        who = _after(part.title, "Activity for ", ":")
        return f"activity for {who}" if who else "activity"
    if part.kind == "note":
        on = _after(part.title, "Note on ", " (")
        return f"note on {on}" if on else "note on the budget" if part.title.startswith("Budget note") else "note"
    if part.kind == "po_hold":
        order = figures.get("hold_order_name")
        return f"hold request on {order}" if order else "hold request"
    if part.kind in ("accrual", "adjusting_entry", "reversal"):
        first = part.payload.args[0] if part.payload.args else None
        move = first[0] if isinstance(first, (list, tuple)) and first and isinstance(first[0], Mapping) else first
        date = move.get("date") if isinstance(move, Mapping) else None
        word = {"accrual": "accrual", "adjusting_entry": "journal entry", "reversal": "reversal"}[part.kind]
        return f"{word} on {date}" if date else word
    if part.kind == "payment_proposal":
        count = len(part.payload.args[0]) if part.payload.args and isinstance(part.payload.args[0], (list, tuple)) \
            else 1
        return f"{count} vendor payment{'s' if count != 1 else ''}"
    if part.kind == "lock_date":
        return f"lock date {figures.get('lock_date')}" if figures.get("lock_date") else "lock date"
    return kind_label(part.kind).lower()


def _period_words(start: Any, end: Any) -> str:
    """A budget period as people say it: 2026, 2026-Q4, 2026-11, or "from ... to ..."."""
    try:
        first, last = dt.date.fromisoformat(str(start)), dt.date.fromisoformat(str(end))
    except ValueError:
        return ""
    month_end = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    if first.day == 1 and last == month_end and first.year == last.year:
        if (first.month, last.month) == (1, 12):
            return str(first.year)
        if first.month == last.month:
            return f"{first.year}-{first.month:02d}"
        if first.month % 3 == 1 and last.month == first.month + 2:
            return f"{first.year}-Q{(first.month + 2) // 3}"
    return f"{first} to {last}"


def _budget_headline(lead: Proposal) -> str:
    figures = lead.evidence.figures
    line = next((r.name for r in lead.evidence.records if r.model in ("crossovered.budget.lines", "budget.line")
                 and r.name), "")
    pct = _decimal(figures.get("projected_overspend_pct"))
    if not line or pct is None:
        return lead.title
    period = _period_words(figures.get("date_from"), figures.get("date_to"))
    where = f"{line} ({period})" if period else line
    share = f"{abs(pct) * 100:.1f}%"
    if figures.get("tier") == "note":
        return f"{where}: drifting {share}"
    if figures.get("direction") == "income":
        return f"{where}: projected {share} short of target"
    return f"{where}: projected {share} over budget"


def _item_kind(lead: Proposal) -> str:
    if lead.finding.startswith("anomaly:"):
        return "anomaly"
    if lead.created_by == "ledgerpilot:budget":
        return "budget"
    if lead.kind in ENTRY_KINDS:
        return "entry"
    if lead.kind == "lock_date":
        return "lock_date"
    if lead.kind == "payment_proposal":
        return "payment"
    if lead.finding.startswith("forecast:collect:"):
        return "collection"
    if lead.kind in ("activity", "note"):
        return lead.kind
    return "other"


def _risk(kind: str, figures: Mapping[str, Any]) -> tuple[str, Decimal | None]:
    if kind == "anomaly":
        value = _decimal(figures.get("risk"))
        if value is None:
            return "", None
        return ("high" if value >= HIGH_RISK else "medium" if value >= MEDIUM_RISK else "low"), value
    if kind == "budget":
        tier = str(figures.get("tier") or "")
        level = {"high": "high", "medium": "medium", "note": "low"}.get(tier, "")
        return level, None
    if kind == "collection":
        return "high", None
    if kind == "payment":
        return "low", None
    return "", None


def _entry_total(proposal: Proposal) -> Decimal | None:
    total = Decimal(0)
    found = False
    first = proposal.payload.args[0] if proposal.payload.args else None
    moves = [first] if isinstance(first, Mapping) else [m for m in (first or []) if isinstance(m, Mapping)]
    for move in moves:
        for command in move.get("line_ids") or ():
            values = command[2] if isinstance(command, (list, tuple)) and len(command) == 3 else command
            if isinstance(values, Mapping):
                total += _decimal(values.get("debit")) or Decimal(0)
                found = True
    return total if found else None


def _amount(kind: str, lead: Proposal) -> Decimal | None:
    figures = lead.evidence.figures
    if kind == "budget":
        planned, projected = _decimal(figures.get("planned")), _decimal(figures.get("projected_total"))
        if planned is not None and projected is not None:
            return abs(projected - planned)
    if kind == "entry":
        return _entry_total(lead) or _decimal(figures.get("amount"))
    if kind == "collection":
        return _decimal(figures.get("residual"))
    for key in ("amount", "total", "transfer_amount", "residual"):
        value = _decimal(figures.get(key))
        if value is not None:
            return value
    return None


def _headline(kind: str, lead: Proposal, parts: Sequence[Proposal]) -> str:
    figures = lead.evidence.figures
    if kind == "anomaly":
        title = figures.get("title")
        if title:
            return str(title)
        for part in parts:
            if "Review anomaly: " in part.title:
                return part.title.split("Review anomaly: ", 1)[1]
    if kind == "entry":
        accrual = next((p for p in parts if p.kind != "reversal"), lead)
        return accrual.title
    if kind == "budget":
        return _budget_headline(lead)
    return lead.title


def _main_record(kind: str, lead: Proposal) -> RecordRef | None:
    records = lead.evidence.records
    if not records:
        return None
    if kind == "budget":
        for model in ("crossovered.budget.lines", "budget.line"):
            for ref in records:
                if ref.model == model:
                    return ref
    if kind == "anomaly":
        return records[0]
    return next((r for r in records if r.model not in ("account.journal", "account.move.line")), records[0])


def _partner(kind: str, lead: Proposal) -> str:
    figures = lead.evidence.figures
    for key in ("partner", "vendor"):
        if figures.get(key):
            return str(figures[key])
    if kind == "payment":
        vendors = {str(b.get("vendor")) for b in figures.get("bills") or () if isinstance(b, Mapping) and b.get("vendor")}
        return ", ".join(sorted(vendors))
    return ""


def item_of(parts: Sequence[Proposal], requested_by: Sequence[str] = ()) -> QueueItem:
    """One item from the parts of one finding (oldest first)."""
    ordered = sorted(parts, key=lambda p: (p.created_at, p.kind == "reversal"))
    lead = ordered[0]
    kind = _item_kind(lead)
    risk, value = _risk(kind, lead.evidence.figures)
    records: list[RecordRef] = []
    for part in ordered:
        for ref in part.evidence.records:
            if all((ref.model, ref.id) != (r.model, r.id) for r in records):
                records.append(ref)
    asked = tuple(dict.fromkeys([*(p.requested_by for p in ordered if p.requested_by), *requested_by]))
    return QueueItem(key=lead.finding or f"proposal:{lead.id}", lead=lead, parts=tuple(ordered), kind=kind,
                     headline=_headline(kind, lead, ordered), risk=risk, risk_value=value,
                     amount=_amount(kind, lead), record=_main_record(kind, lead), records=tuple(records),
                     partner=_partner(kind, lead), source=lead.created_by, created_at=lead.created_at,
                     requested_by=asked)


def items_of(proposals: Iterable[Proposal]) -> list[QueueItem]:
    """The items of these proposals, grouped by finding."""
    groups: dict[str, list[Proposal]] = {}
    for proposal in proposals:
        groups.setdefault(proposal.finding or f"proposal:{proposal.id}", []).append(proposal)
    return [item_of(parts) for parts in groups.values()]


@dataclass(frozen=True)
class QueueQuery:
    """What the controller asked to see: filters and the sort, as given in the page's address."""

    risk: str = ""
    kind: str = ""
    source: str = ""
    record: str = ""
    age: str = ""
    sort: str = "risk"

    @classmethod
    def parse(cls, *, risk: str | None = None, kind: str | None = None, source: str | None = None,
              record: str | None = None, age: str | None = None, sort: str | None = None) -> QueueQuery:
        """From the query string; a value the page does not offer is ignored (all items, default order)."""
        return cls(risk=risk if risk in RISK_LEVELS else "",
                   kind=kind if kind in ITEM_KINDS else "",
                   source=(source or "").strip()[:80],
                   record=" ".join((record or "").split())[:80],
                   age=age if age in AGES else "",
                   sort=sort if sort in SORTS else "risk")

    def params(self, **changes: str) -> dict[str, str]:
        values = {"risk": self.risk, "kind": self.kind, "source": self.source, "record": self.record,
                  "age": self.age, "sort": self.sort, **changes}
        return {k: v for k, v in values.items() if v and not (k == "sort" and v == "risk")}

    @property
    def filtered(self) -> bool:
        return bool(self.risk or self.kind or self.source or self.record or self.age)


def select(items: Iterable[QueueItem], query: QueueQuery, now: dt.datetime) -> list[QueueItem]:
    """The items the query keeps, in its order."""
    needle = query.record.casefold()
    min_age = AGES.get(query.age)
    kept = [item for item in items
            if (not query.risk or item.risk == query.risk)
            and (not query.kind or item.kind == query.kind)
            and (not query.source or item.source == query.source)
            and (not needle or needle in item.search_text())
            and (min_age is None or item.age_days(now) >= min_age)]
    kept.sort(key=lambda item: (item.created_at, item.id))
    keys = {
        "risk": lambda i: (RISK_ORDER[i.risk], -(i.risk_value or 0), -(i.amount or 0)),
        "amount": lambda i: (i.amount is None, -(i.amount or 0)),
        "age": lambda i: (i.created_at,),
        "kind": lambda i: (i.kind_label, -(i.amount or 0)),
        "source": lambda i: (i.source_label, RISK_ORDER[i.risk]),
        "record": lambda i: ((i.record.name or "").casefold() if i.record else "~", i.created_at),
    }
    kept.sort(key=keys[query.sort])
    return kept


def age_words(item: QueueItem, now: dt.datetime) -> str:
    """How long the item has waited: "3 h", "2 d", "5 w"."""
    seconds = max(0.0, (now - item.created_at).total_seconds())
    if seconds < 3600:
        return f"{max(1, int(seconds // 60))} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    days = int(seconds // 86400)
    return f"{days} d" if days < 14 else f"{days // 7} w"
