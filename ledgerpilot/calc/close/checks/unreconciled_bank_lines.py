"""Bank and cash statement lines not reconciled, dated in or before the period.

Odoo refuses a lock date while such lines lie before it, and until they are matched the bank
balance in the books sits partly on the suspense account.
"""

from __future__ import annotations

import pandas as pd

from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.calc.close.frames import CloseData
from ledgerpilot.calc.close.helpers import fmt, money_sum
from ledgerpilot.domain.findings import Finding
from ledgerpilot.domain.proposal import RecordRef

NAME = "unreconciled_bank_lines"
TITLE = "Every bank statement line up to the period end is reconciled"
SEVERITY = "blocking"
NEEDS: tuple[str, ...] = ("bank_statements",)


def run(data: CloseData, config: CloseConfig) -> list[Finding]:
    lines = data.bank_lines[data.bank_lines["date"] <= pd.Timestamp(data.month.end)]
    findings = []
    start = pd.Timestamp(data.month.start)
    for journal_id, group in lines.sort_values(["date", "id"]).groupby("journal_id", dropna=False):
        journal = data.journal_label(int(journal_id)) if pd.notna(journal_id) else "an unknown journal"
        earlier = int((group["date"] < start).sum())
        money_in = money_sum(group.loc[group["amount"] > 0, "amount"], data.digits)
        money_out = money_sum(-group.loc[group["amount"] < 0, "amount"], data.digits)
        net = money_sum(group["amount"], data.digits)
        when = f"{len(group) - earlier} in {data.month.label}" + (f", {earlier} before it" if earlier else "")
        findings.append(Finding(
            check=NAME, severity=SEVERITY, period=data.month.label,
            title=f"{len(group)} unreconciled statement line(s) in {journal}",
            reason=(f"{when}: {fmt(money_in, data.currency)} in and {fmt(money_out, data.currency)} out not matched "
                    "with an invoice, bill, payment or account. Reconcile them (the matching proposals suggest "
                    "candidates); Odoo refuses a lock date while unreconciled lines lie before it."),
            records=tuple(RecordRef(model="account.bank.statement.line", id=int(r.id),
                                    name=str(r.payment_ref) if pd.notna(r.payment_ref) else "")
                          for r in group.itertuples()),
            amount=net,
            figures={"journal_id": int(journal_id) if pd.notna(journal_id) else None, "line_count": len(group),
                     "before_period": earlier, "money_in": money_in, "money_out": money_out, "net": net,
                     "oldest": group["date"].min().date()}))
    return findings


def passed_detail(data: CloseData, config: CloseConfig, findings: list[Finding]) -> str:
    return f"Every bank and cash statement line dated up to {data.month.end} is reconciled."
