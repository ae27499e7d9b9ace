"""Sale and purchase invoice lines without taxes on accounts whose lines normally carry them.

An account "normally carries taxes" when at least ``config.tax_usual_share`` of its product lines in
sale and purchase journals over the history months had a tax (and there were at least
``config.tax_min_history`` of them). A line without one there is usually a forgotten tax: the VAT
return will be wrong. It is a warning: exempt sales and reverse-charge purchases exist.
"""

from __future__ import annotations

from decimal import Decimal

from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.calc.close.frames import CloseData
from ledgerpilot.calc.close.helpers import fmt, line_refs, money_sum
from ledgerpilot.domain.findings import Finding

NAME = "missing_taxes"
TITLE = "Sale and purchase lines carry taxes where their accounts expect them"
SEVERITY = "warning"
NEEDS: tuple[str, ...] = ()


def taxed_accounts(data: CloseData, config: CloseConfig) -> dict[int, float]:
    """account id -> share of its history lines with taxes, for the accounts that normally carry them."""
    history = data.tax_history[data.tax_history["line_count"] >= config.tax_min_history]
    share = history["taxed_count"].astype("float64") / history["line_count"].astype("float64")
    keep = share >= config.tax_usual_share
    return {int(a): float(s) for a, s in zip(history.loc[keep, "account_id"], share[keep])}


def run(data: CloseData, config: CloseConfig) -> list[Finding]:
    expected = taxed_accounts(data, config)
    journals = set(data.journals.loc[data.journals["type"].isin(("sale", "purchase")), "id"].astype(int))
    lines = data.period_lines
    untaxed = lines[lines["journal_id"].isin(journals) & (lines["display_type"] == "product")
                    & lines["account_id"].isin(expected) & ~lines["has_taxes"].fillna(False)]
    findings = []
    for account_id, group in untaxed.sort_values(["date", "id"]).groupby("account_id"):
        account_id = int(account_id)
        label = data.account_label(account_id)
        amount = money_sum(group["balance"], data.digits)
        share = expected[account_id]
        findings.append(Finding(
            check=NAME, severity=SEVERITY, period=data.month.label,
            title=f"{len(group)} invoice line(s) on {label} without taxes",
            reason=(f"{share:.0%} of the invoice lines on {label} in the last {len(data.history)} months carried a "
                    f"tax; these of {data.month.label} ({fmt(amount, data.currency)}) carry none. Add the tax, or "
                    "confirm the exemption, before the tax return."),
            records=line_refs(group), amount=amount,
            figures={"account_id": account_id, "items": len(group), "amount": amount,
                     "history_taxed_share": Decimal(str(round(share, 4)))}))
    return findings


def passed_detail(data: CloseData, config: CloseConfig, findings: list[Finding]) -> str:
    return (f"Every sale and purchase line of {data.month.label} on the {len(taxed_accounts(data, config))} "
            "account(s) that normally carry taxes has one.")
