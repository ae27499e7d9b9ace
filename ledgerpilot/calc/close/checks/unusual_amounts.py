"""Accounts whose movement in the period is unusual for them.

Robust against the odd big month: an account's usual size is the median of the absolute values of
its monthly movements over the history months, its spread the median absolute deviation (scaled to
a standard deviation, 1.4826 x MAD). The period's movement is unusual when it is at least
``config.unusual_amount_ratio`` times the usual size, that many spreads away from the median, and
at least ``config.tb_min_amount`` away from it. Only the account types of
``config.unusual_account_types`` are judged (income and expense by default). Accounts with fewer than three months of movement
have no usual size and are not judged. For a month still running only the movement so far counts,
so a partial month is never called unusual for being small.
"""

from __future__ import annotations

from decimal import Decimal

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
from ledgerpilot.domain.money import minor_to_decimal

NAME = "unusual_amounts"
TITLE = "No account moved unusually for it"
SEVERITY = "warning"
NEEDS: tuple[str, ...] = ()
MIN_ACTIVE_MONTHS = 3
MAD_TO_SIGMA = 1.4826


def _judged_accounts(data: CloseData, config: CloseConfig) -> set[int]:
    accounts = data.accounts
    if config.unusual_account_types is not None:
        accounts = accounts[accounts["account_type"].isin(config.unusual_account_types)]
    return {int(a) for a in accounts["id"]}


def run(data: CloseData, config: CloseConfig) -> list[Finding]:
    moved = period_movements(data)
    history = history_movements(data)
    scale = 10 ** data.digits
    minimum = float(config.tb_min_amount) * scale
    ratio = config.unusual_amount_ratio
    findings = []
    judged = _judged_accounts(data, config)
    for account_id, movement in moved.items():
        if account_id not in history.index or account_id not in judged:
            continue
        months = history.loc[account_id].to_numpy(dtype="float64")
        if int((months != 0).sum()) < MIN_ACTIVE_MONTHS:
            continue
        median = float(np.median(months))
        usual = float(np.median(np.abs(months)))
        spread = MAD_TO_SIGMA * float(np.median(np.abs(months - median)))
        distance = float(movement) - median
        if not (abs(movement) >= ratio * usual and abs(distance) >= ratio * spread and abs(distance) >= minimum):
            continue
        lines = data.period_lines[data.period_lines["account_id"] == account_id]
        explain = explaining_lines(lines, distance / scale)
        label = data.account_label(int(account_id))
        amount = minor_to_decimal(int(movement), data.digits)
        usual_amount = minor_to_decimal(round(usual), data.digits)
        median_amount = minor_to_decimal(round(median), data.digits)
        times = abs(float(movement)) / usual if usual else float("inf")
        findings.append(Finding(
            check=NAME, severity=SEVERITY, period=data.month.label,
            title=f"{label} moved {fmt(amount, data.currency)} in {data.month.label}, "
                  + (f"{times:.1f} times its usual size" if usual else "usually nothing"),
            reason=(f"Over the last {len(data.history)} months {label} usually moved about "
                    f"{fmt(usual_amount, data.currency)} a month (median {fmt(median_amount, data.currency)}); "
                    f"{data.month.label} moved {fmt(amount, data.currency)}. The largest items below explain the "
                    "difference: check that they are right and in the right account and period."),
            records=line_refs(explain), amount=amount,
            figures={"account_id": int(account_id), "movement": amount, "usual_size": usual_amount,
                     "median": median_amount,
                     "spread": minor_to_decimal(round(spread), data.digits),
                     "ratio": None if not usual else round(Decimal(str(times)), 2),
                     "history": {m: minor_to_decimal(int(v), data.digits) for m, v in zip(history.columns, months)}}))
    return findings


def passed_detail(data: CloseData, config: CloseConfig, findings: list[Finding]) -> str:
    return (f"No account moved {config.unusual_amount_ratio:g} times its usual monthly size or more in "
            f"{data.month.label} (compared with the last {len(data.history)} months).")
