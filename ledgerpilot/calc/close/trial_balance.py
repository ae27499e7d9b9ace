"""Trial-balance review: every account's movement in the period against its recent months.

For each account that moved in the period or in the history months: the period's movement, the
movement of each history month, their mean and median, and the variance (movement - mean). A row
is flagged when the variance exceeds ``config.tb_variance`` of the mean (any movement when the mean
is zero) and is at least ``config.tb_min_amount``; a flagged row lists the largest items of the
period pushing in the direction of the variance, which usually explain it. Flagged rows are also
warning findings (check name ``trial_balance``). For a month still running, the movement is the
movement so far; the review says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

import numpy as np

from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.calc.close.frames import CloseData
from ledgerpilot.calc.close.helpers import (
    explaining_lines,
    fmt,
    history_movements,
    line_refs,
    period_movements,
)
from ledgerpilot.domain.findings import Finding
from ledgerpilot.domain.money import minor_to_decimal, quantize
from ledgerpilot.domain.month import Month
from ledgerpilot.domain.proposal import RecordRef

CHECK_NAME = "trial_balance"


class ExplainingLine(NamedTuple):
    """An item of the period that explains part of a variance (unpacks as ``record, amount``)."""

    record: RecordRef
    amount: Decimal


@dataclass(frozen=True)
class TrialBalanceRow:
    account_id: int
    code: str
    name: str
    account_type: str
    movement: Decimal
    history: dict[str, Decimal]          # "YYYY-MM" -> movement, oldest first
    history_mean: Decimal
    history_median: Decimal
    variance: Decimal                    # movement - history_mean
    variance_share: float | None         # variance / |history_mean|; None when the mean is zero
    flagged: bool
    lines: tuple[ExplainingLine, ...] = ()   # the largest items of the period explaining a flagged variance


@dataclass(frozen=True)
class TrialBalanceReview:
    month: Month
    partial: bool                        # the month is still running: movements are so far
    rows: list[TrialBalanceRow]
    findings: list[Finding]

    @property
    def flagged(self) -> list[TrialBalanceRow]:
        return [row for row in self.rows if row.flagged]


def review_trial_balance(data: CloseData, config: CloseConfig) -> TrialBalanceReview:
    moved = period_movements(data)
    history = history_movements(data)
    accounts = data.accounts.set_index("id")
    scale = 10 ** data.digits
    minimum = int(quantize(config.tb_min_amount, data.digits) * scale)
    partial = data.today < data.month.end
    rows, findings = [], []
    for account_id in sorted(set(moved.index) | set(history.index)):
        months = history.loc[account_id].to_numpy(dtype="int64") if account_id in history.index \
            else np.zeros(len(data.history), dtype="int64")
        movement = int(moved.get(account_id, 0))
        if movement == 0 and not months.any():
            continue
        mean = round(float(months.mean())) if len(months) else 0
        median = round(float(np.median(months))) if len(months) else 0
        variance = movement - mean
        share = variance / abs(mean) if mean else None
        flagged = abs(variance) >= max(minimum, 1) and (share is None or abs(share) > config.tb_variance)
        code = str(accounts.at[account_id, "code"]) if account_id in accounts.index else f"#{account_id}"
        name = str(accounts.at[account_id, "name"]) if account_id in accounts.index else ""
        kind = str(accounts.at[account_id, "account_type"]) if account_id in accounts.index else ""
        explaining: tuple[ExplainingLine, ...] = ()
        if flagged:
            items = data.period_lines[data.period_lines["account_id"] == account_id]
            chosen = explaining_lines(items, variance / scale)
            explaining = tuple(ExplainingLine(ref, quantize(Decimal(str(b)), data.digits))
                               for ref, b in zip(line_refs(chosen), chosen["balance"]))
        row = TrialBalanceRow(
            account_id=int(account_id), code=code, name=name, account_type=kind,
            movement=minor_to_decimal(movement, data.digits),
            history={m: minor_to_decimal(int(v), data.digits) for m, v in zip((h.label for h in data.history), months)},
            history_mean=minor_to_decimal(mean, data.digits), history_median=minor_to_decimal(median, data.digits),
            variance=minor_to_decimal(variance, data.digits), variance_share=None if share is None else round(share, 4),
            flagged=flagged, lines=explaining)
        rows.append(row)
        if flagged:
            findings.append(_finding(data, row, partial))
    return TrialBalanceReview(month=data.month, partial=partial, rows=rows, findings=findings)


def _finding(data: CloseData, row: TrialBalanceRow, partial: bool) -> Finding:
    label = f"{row.code} {row.name}".strip()
    cur = data.currency
    change = ("new movement" if row.variance_share is None
              else f"{row.variance_share:+.0%} against the {len(data.history)}-month mean")
    so_far = f" so far (up to {data.today})" if partial else ""
    return Finding(
        check=CHECK_NAME, severity="warning", period=data.month.label,
        title=f"{label}: {fmt(row.movement, cur)} in {data.month.label}{so_far}, {change}",
        reason=(f"{label} moved {fmt(row.movement, cur)} in {data.month.label}{so_far} against a mean of "
                f"{fmt(row.history_mean, cur)} (median {fmt(row.history_median, cur)}) over the last "
                f"{len(data.history)} months: a difference of {fmt(row.variance, cur)}. The largest items in that "
                "direction are cited; check they belong to this account and period."),
        records=tuple(line.record for line in row.lines), amount=row.variance,
        figures={"account_id": row.account_id, "movement": row.movement, "history_mean": row.history_mean,
                 "history_median": row.history_median, "variance": row.variance,
                 "variance_share": None if row.variance_share is None else Decimal(str(row.variance_share)),
                 "history": row.history, "partial_month": partial})
