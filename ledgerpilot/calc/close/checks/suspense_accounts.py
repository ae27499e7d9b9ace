"""Suspense and outstanding accounts at the period end.

A bank journal's suspense account (and the company's default one) holds statement lines nobody has
matched yet: any balance at the period end means the books do not say what that money was. The
outstanding receipts and payments accounts hold payments registered in Odoo that the bank has not
shown yet. A payment a few days old is in transit and normal at a month end; one the bank still has
not shown after ``config.outstanding_grace_days`` days is a payment that probably never went out
(or came in), or a bank line matched elsewhere, and must be cleared before the close.
"""

from __future__ import annotations

import pandas as pd

from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.calc.close.frames import CloseData
from ledgerpilot.calc.close.helpers import fmt, line_refs, money, money_sum
from ledgerpilot.domain.findings import Finding
from ledgerpilot.domain.proposal import RecordRef

NAME = "suspense_accounts"
TITLE = "Suspense and outstanding accounts are clear at the period end"
SEVERITY = "blocking"
NEEDS: tuple[str, ...] = ()


def _balance(data: CloseData, account_id: int) -> float:
    rows = data.control_balances.loc[data.control_balances["account_id"] == account_id, "balance"]
    return float(rows.iloc[0]) if len(rows) else 0.0


def _lines_on(data: CloseData, account_id: int) -> pd.DataFrame:
    lines = data.open_special_lines
    return lines[(lines["account_id"] == account_id) & (lines["date"] <= pd.Timestamp(data.month.end))] \
        .sort_values(["date", "id"])


def _account_ref(data: CloseData, account_id: int) -> RecordRef:
    return RecordRef(model="account.account", id=account_id, name=data.account_label(account_id))


def _stale_cut(data: CloseData, config: CloseConfig) -> pd.Timestamp:
    return pd.Timestamp(data.today) - pd.Timedelta(days=config.outstanding_grace_days)


def run(data: CloseData, config: CloseConfig) -> list[Finding]:
    findings = []
    for account_id in data.suspense_account_ids:
        balance = money(_balance(data, account_id), data.digits)
        if balance == 0:
            continue
        lines = _lines_on(data, account_id)
        label = data.account_label(account_id)
        findings.append(Finding(
            check=NAME, severity=SEVERITY, period=data.month.label,
            title=f"Suspense account {label} holds {fmt(balance, data.currency)} at {data.month.end}",
            reason=(f"{len(lines)} item(s) on the suspense account come from bank lines nobody has matched: until "
                    "they are reconciled the books do not say what this money was. Reconcile the statement lines "
                    "behind them."),
            records=(_account_ref(data, account_id), *line_refs(lines)), amount=balance,
            figures={"account_id": account_id, "balance": balance, "open_items": len(lines),
                     "kind": "suspense"}))
    cut = _stale_cut(data, config)
    for account_id in data.outstanding_account_ids:
        lines = _lines_on(data, account_id)
        stale = lines[lines["date"] < cut]
        if not len(stale):
            continue
        amount = money_sum(stale["balance"], data.digits)
        label = data.account_label(account_id)
        findings.append(Finding(
            check=NAME, severity=SEVERITY, period=data.month.label,
            title=f"{len(stale)} payment(s) on {label} not seen by the bank after {config.outstanding_grace_days} days",
            reason=(f"These payments dated up to {data.month.end} still wait on the outstanding account "
                    f"({fmt(amount, data.currency)}), the oldest since {stale['date'].min().date()}: the bank never "
                    "showed them, or their bank line was matched to something else. Find the bank line or cancel "
                    "the payment."),
            records=(_account_ref(data, account_id), *line_refs(stale)), amount=amount,
            figures={"account_id": account_id, "balance": money(_balance(data, account_id), data.digits),
                     "stale_amount": amount, "stale_items": len(stale),
                     "in_transit_items": len(lines) - len(stale), "kind": "outstanding"}))
    return findings


def passed_detail(data: CloseData, config: CloseConfig, findings: list[Finding]) -> str:
    names = [data.account_label(a) for a in (*data.suspense_account_ids, *data.outstanding_account_ids)]
    if not names:
        return "The database names no suspense or outstanding account."
    transit = data.open_special_lines[data.open_special_lines["account_id"].isin(data.outstanding_account_ids)
                                      & (data.open_special_lines["date"] <= pd.Timestamp(data.month.end))]
    text = f"Nothing waits on {', '.join(names)} at {data.month.end}"
    if len(transit):
        amount = money_sum(transit["balance"], data.digits)
        text = (f"No suspense balance at {data.month.end}; {len(transit)} payment(s) ({fmt(amount, data.currency)}) "
                f"are in transit on the outstanding accounts, younger than {config.outstanding_grace_days} days")
    return text + "."
