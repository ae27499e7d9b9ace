"""Journals with no posted entry in the period that had entries in most earlier months.

A journal that is used month after month and falls silent usually means work not done (a cash
count or a statement import not booked, a payroll not posted). It is a warning, not a block: a
journal can legitimately go quiet (an account closed, a season), and only a person knows which.
"""

from __future__ import annotations

from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.calc.close.frames import CloseData
from ledgerpilot.domain.findings import Finding
from ledgerpilot.domain.proposal import RecordRef

NAME = "idle_journals"
TITLE = "Every regularly used journal has entries in the period"
SEVERITY = "warning"
NEEDS: tuple[str, ...] = ()


def _activity(data: CloseData) -> tuple[dict[int, int], dict[int, int]]:
    """journal -> months of the history with a posted entry; journal -> posted entries in the period."""
    activity = data.journal_activity
    history_labels = {m.label for m in data.history}
    used = activity[activity["month"].isin(history_labels) & (activity["move_count"] > 0)]
    months = used.groupby("journal_id")["month"].nunique().to_dict()
    now = activity[activity["month"] == data.month.label].groupby("journal_id")["move_count"].sum().to_dict()
    return {int(k): int(v) for k, v in months.items()}, {int(k): int(v) for k, v in now.items()}


def run(data: CloseData, config: CloseConfig) -> list[Finding]:
    history_months, period_counts = _activity(data)
    findings = []
    total = len(data.history)
    for journal in data.journals.sort_values("id").itertuples():
        active = history_months.get(int(journal.id), 0)
        if period_counts.get(int(journal.id), 0) or active <= config.idle_journal_share * total:
            continue
        label = data.journal_label(int(journal.id))
        partial = data.today < data.month.end
        findings.append(Finding(
            check=NAME, severity=SEVERITY, period=data.month.label,
            title=f"No posted entry in {label} in {data.month.label}",
            reason=(f"The journal had posted entries in {active} of the {total} months before "
                    f"{data.month.label} and none in it{' so far (up to ' + str(data.today) + ')' if partial else ''}: "
                    "check that nothing is missing (a cash count, a statement import, a recurring entry)."),
            records=(RecordRef(model="account.journal", id=int(journal.id), name=label),),
            figures={"journal_id": int(journal.id), "active_months": active, "history_months": total}))
    return findings


def passed_detail(data: CloseData, config: CloseConfig, findings: list[Finding]) -> str:
    return f"Every journal used in most of the last {len(data.history)} months has posted entries in {data.month.label}."
