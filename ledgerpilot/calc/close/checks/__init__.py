"""The registry of close checks and the checklist they make together.

Each check is a small module (``checks/<name>.py``) with one pure function ``run(data, config)``
returning :class:`~ledgerpilot.domain.findings.Finding` objects; :data:`CHECKS` names them.
:func:`run_checks` runs the enabled ones and turns their findings into a checklist: one item per
check, ``passed``, ``failed``, ``pending`` (a step of the close itself still to finish: its own
entries written as drafts) or ``skipped`` (with the reason, when the database lacks what the check
reads), so a controller sees what was looked at as well as what was found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ledgerpilot.calc.close.checks import (
    draft_moves,
    idle_journals,
    missing_analytic,
    missing_taxes,
    own_entries,
    subledger_control,
    suspense_accounts,
    unreconciled_bank_lines,
    unusual_amounts,
)
from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.calc.close.frames import CloseData
from ledgerpilot.domain.findings import Finding, Severity, sort_findings
from ledgerpilot.domain.month import Month
from ledgerpilot.errors import LedgerpilotError

Status = Literal["passed", "failed", "pending", "skipped"]
CheckRun = Callable[[CloseData, CloseConfig], list[Finding]]
Detail = Callable[[CloseData, CloseConfig, list[Finding]], str]


class UnknownCheckError(LedgerpilotError):
    """A configured check name that is not registered."""

    exit_code = 2


@dataclass(frozen=True)
class CloseCheck:
    """A registered check: its name, what it looks at, how serious its findings are, what it needs.

    ``needs`` names the features of :attr:`CloseData.unavailable` without which it is skipped;
    ``passed_detail`` words a pass (it may mention what was looked at, e.g. payments in transit);
    ``step``: its findings are the close's own steps still to finish (the item is pending, not failed).
    """

    name: str
    title: str
    severity: Severity
    needs: tuple[str, ...]
    run: CheckRun
    passed_detail: Detail
    step: bool = False


def _register(module) -> CloseCheck:
    return CloseCheck(name=module.NAME, title=module.TITLE, severity=module.SEVERITY, needs=module.NEEDS,
                      run=module.run, passed_detail=module.passed_detail, step=getattr(module, "STEP", False))


#: name -> check, in the order a checklist lists them
CHECKS: dict[str, CloseCheck] = {check.name: check for check in map(_register, (
    draft_moves, own_entries, unreconciled_bank_lines, suspense_accounts,
    subledger_control, idle_journals, missing_analytic, missing_taxes,
    unusual_amounts))}


@dataclass(frozen=True)
class ChecklistItem:
    check: str
    title: str
    status: Status
    detail: str
    finding_count: int
    blocking: bool          # the check failed with at least one blocking finding


@dataclass(frozen=True)
class CloseChecklist:
    month: Month
    findings: list[Finding]
    items: list[ChecklistItem]

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def ready_to_lock(self) -> bool:
        """No blocking finding left (skipped checks do not block; their items say why they were skipped)."""
        return not self.blocking


def enabled_checks(config: CloseConfig) -> list[CloseCheck]:
    if config.checks is None:
        return list(CHECKS.values())
    unknown = [name for name in config.checks if name not in CHECKS]
    if unknown:
        raise UnknownCheckError(f"unknown close check(s) {', '.join(map(repr, unknown))}; "
                                f"the checks are: {', '.join(CHECKS)}")
    return [CHECKS[name] for name in CHECKS if name in config.checks]


def run_checks(data: CloseData, config: CloseConfig) -> CloseChecklist:
    """Run every enabled check on ``data``: the checklist and all findings (blocking first)."""
    items: list[ChecklistItem] = []
    findings: list[Finding] = []
    for check in enabled_checks(config):
        missing = [data.unavailable[need] for need in check.needs if need in data.unavailable]
        if missing:
            items.append(ChecklistItem(check.name, check.title, "skipped", "Skipped: " + "; ".join(missing) + ".",
                                       0, False))
            continue
        found = check.run(data, config)
        findings.extend(found)
        if found:
            total = sum(len(f.records) for f in found)
            detail = "; ".join(f.title for f in sort_findings(found))
            items.append(ChecklistItem(check.name, check.title, "pending" if check.step else "failed",
                                       f"{detail} ({total} record(s) cited).", len(found),
                                       any(f.blocking for f in found)))
        else:
            items.append(ChecklistItem(check.name, check.title, "passed", check.passed_detail(data, config, found),
                                       0, False))
    return CloseChecklist(month=data.month, findings=sort_findings(findings), items=items)
