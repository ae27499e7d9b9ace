"""Journal items on accounts that require an analytic distribution but carry none.

Which accounts require one, in order of authority:
1. Odoo's analytic applicability rules (``account.analytic.applicability`` set to "mandatory", by
   account code prefix), when the database has them;
2. the account code prefixes of ``config.analytic_required_prefixes``;
3. otherwise the company's own practice: accounts where at least ``config.analytic_usual_share`` of
   the items of the history months carried a distribution.
Items without one are missing from every analytic report and budget the company runs.
"""

from __future__ import annotations

from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.calc.close.frames import CloseData
from ledgerpilot.calc.close.helpers import fmt, line_refs, money_sum
from ledgerpilot.domain.findings import Finding

NAME = "missing_analytic"
TITLE = "Items on accounts that require an analytic distribution carry one"
SEVERITY = "warning"
NEEDS: tuple[str, ...] = ("analytic",)
MIN_HISTORY_ITEMS = 5          # an account with fewer items in the history teaches nothing about its practice
ITEM_TYPES = ("product",)      # the items a person codes (not tax, payment-term or cost-of-goods lines)


def required_accounts(data: CloseData, config: CloseConfig) -> tuple[set[int], str]:
    """The accounts whose items must carry a distribution, and the rule that says so (in words)."""
    codes = data.accounts.set_index("id")["code"].astype(str)
    prefixes = data.analytic_rules.mandatory_prefixes
    source = data.analytic_rules.source
    if prefixes is None and config.analytic_required_prefixes:
        prefixes, source = config.analytic_required_prefixes, "the configured account prefixes"
    if prefixes is not None:
        matched = {int(i) for i, code in codes.items() if any(code.startswith(p) for p in prefixes)}
        return matched, f"{source} ({', '.join(prefixes) or 'none'})"
    history = data.analytic_history
    usual = history[(history["line_count"] >= MIN_HISTORY_ITEMS)
                     & (history["analytic_count"] >= config.analytic_usual_share * history["line_count"])]
    share = f"{config.analytic_usual_share:.0%}"
    return ({int(a) for a in usual["account_id"]},
            (f"the company's practice: accounts where at least {share} of the items of the last "
            f"{len(data.history)} months carried a distribution"))


def run(data: CloseData, config: CloseConfig) -> list[Finding]:
    required, rule = required_accounts(data, config)
    lines = data.period_lines
    kind = lines["display_type"].fillna("product")
    missing = lines[lines["account_id"].isin(required) & kind.isin(ITEM_TYPES) & ~lines["has_analytic"].fillna(False)]
    findings = []
    for account_id, group in missing.sort_values(["date", "id"]).groupby("account_id"):
        label = data.account_label(int(account_id))
        amount = money_sum(group["balance"], data.digits)
        findings.append(Finding(
            check=NAME, severity=SEVERITY, period=data.month.label,
            title=f"{len(group)} item(s) on {label} without an analytic distribution",
            reason=(f"{label} requires an analytic distribution ({rule}); these items of {data.month.label} "
                    f"({fmt(amount, data.currency)}) have none, so analytic reports and budgets miss them. "
                    "Add the distribution (department, project) on each."),
            records=line_refs(group), amount=amount,
            figures={"account_id": int(account_id), "items": len(group), "amount": amount, "rule": rule}))
    return findings


def passed_detail(data: CloseData, config: CloseConfig, findings: list[Finding]) -> str:
    required, rule = required_accounts(data, config)
    return (f"Every item of {data.month.label} on the {len(required)} account(s) that require it carries an "
            f"analytic distribution (rule: {rule}).")
