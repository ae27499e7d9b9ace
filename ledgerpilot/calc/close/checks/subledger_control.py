"""Receivable and payable subledgers against their control accounts.

The partner ledger (customer and vendor balances) must add up to the balance of the receivable and
payable accounts. Items on those accounts without a partner break that: they move the control
account while no customer or vendor owes or is owed the money.
"""

from __future__ import annotations

import pandas as pd

from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.calc.close.frames import CloseData
from ledgerpilot.calc.close.helpers import fmt, line_refs, money, money_sum
from ledgerpilot.domain.findings import Finding
from ledgerpilot.domain.proposal import RecordRef

NAME = "subledger_control"
TITLE = "Receivable and payable subledgers equal their control accounts"
SEVERITY = "blocking"
NEEDS: tuple[str, ...] = ()


def run(data: CloseData, config: CloseConfig) -> list[Finding]:
    lines = data.partnerless_lines[data.partnerless_lines["date"] <= pd.Timestamp(data.month.end)]
    findings = []
    for account_id, group in lines.sort_values(["date", "id"]).groupby("account_id"):
        difference = money_sum(group["balance"], data.digits)
        if difference == 0:
            continue
        account_id = int(account_id)
        rows = data.control_balances.loc[data.control_balances["account_id"] == account_id, "balance"]
        control = money(float(rows.iloc[0]) if len(rows) else 0.0, data.digits)
        partners = control - difference
        label = data.account_label(account_id)
        in_period = int((group["date"] >= pd.Timestamp(data.month.start)).sum())
        findings.append(Finding(
            check=NAME, severity=SEVERITY, period=data.month.label,
            title=f"{label}: partner balances differ from the account by {fmt(difference, data.currency)}",
            reason=(f"At {data.month.end} the account shows {fmt(control, data.currency)} but its partners add up "
                    f"to {fmt(partners, data.currency)}: {len(group)} item(s) without a partner ({in_period} in "
                    f"{data.month.label}). Put the right customer or vendor on them, or move them to another account."),
            records=(RecordRef(model="account.account", id=account_id, name=label), *line_refs(group)),
            amount=difference,
            figures={"account_id": account_id, "control_balance": control, "partner_balance": partners,
                     "difference": difference, "items_without_partner": len(group)}))
    return findings


def passed_detail(data: CloseData, config: CloseConfig, findings: list[Finding]) -> str:
    return f"Every receivable and payable item up to {data.month.end} has a partner; the subledgers tie."
