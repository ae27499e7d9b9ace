"""The close data of one month, read once through the gateway for the pure close checks.

:func:`load_close_data` fills :class:`~ledgerpilot.calc.close.frames.CloseData` with a few paged
extractions and ``read_group`` aggregations (explicit fields, never one RPC per record). Odoo sums
what only needs sums: the monthly movement per account and the posted entries per journal over the
history months, the history shares of items with an analytic distribution or taxes, and the
balances of the control accounts at the period end. Only the items that may be cited are pulled
line by line: the posted items of the period, the drafts of the period, the unreconciled statement
lines, the open items on suspense and outstanding accounts and the receivable/payable items
without a partner. At a million journal items that is one month of lines, not six.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd

from ledgerpilot.calc.close.frames import AnalyticRules, CloseData, conform, empty_frame
from ledgerpilot.domain.month import Month
from ledgerpilot.odoo.lock_dates import read_lock_dates
from ledgerpilot.tools.ledger.overview import company_info

Progress = Callable[[str], None]

POSTED = ("parent_state", "=", "posted")
COMPANY_ACCOUNT_FIELDS = ("account_journal_suspense_account_id", "account_journal_payment_debit_account_id",
                          "account_journal_payment_credit_account_id")
CONTROL_TYPES = ("asset_receivable", "liability_payable")

__all__ = ["CloseData", "load_close_data", "month_of_label"]


def load_close_data(client, month: Month, *, today: dt.date, history_months: int = 6,
                    progress: Progress | None = None) -> CloseData:
    """Everything the close checks need for ``month``, as known on ``today``.

    ``history_months`` months before ``month`` are summed for the comparisons. Bank statements or
    analytic accounting missing from the database do not fail the load: ``unavailable`` says so and
    the checks that need them are skipped.
    """
    if history_months < 1:
        raise ValueError(f"history_months must be at least 1, not {history_months}")
    step = progress or (lambda _stage: None)
    start, end = month.start.isoformat(), month.end.isoformat()
    history = tuple(month.shift(-n) for n in range(history_months, 0, -1))
    history_start = history[0].start.isoformat()
    in_period = [("date", ">=", start), ("date", "<=", end)]
    in_history = [("date", ">=", history_start), ("date", "<", start)]
    unavailable: dict[str, str] = {}

    step("company")
    company = company_info(client)
    account_fields = _present(client, "res.company", COMPANY_ACCOUNT_FIELDS)
    company_row = client.read("res.company", [company.id], account_fields)[0] if account_fields else {}
    lock_dates = read_lock_dates(client, company.id)

    step("accounts and journals")
    accounts = _accounts(client)
    journals = _journals(client)
    suspense_ids = sorted({int(v) for v in journals["suspense_account_id"].dropna()}
                          | _many2one_ids(company_row, ("account_journal_suspense_account_id",)))
    outstanding_ids = sorted(_many2one_ids(company_row, ("account_journal_payment_debit_account_id",
                                                         "account_journal_payment_credit_account_id"))
                             | _payment_method_accounts(client))
    outstanding_ids = [a for a in outstanding_ids if a not in suspense_ids]
    control_ids = [int(a) for a in accounts.loc[accounts["account_type"].isin(CONTROL_TYPES), "id"]]

    step("draft entries")
    draft_moves = _draft_moves(client, in_period)

    step("journal activity")
    journal_activity = _journal_activity(client, [("date", ">=", history_start), ("date", "<=", end)])

    step("journal items of the period")
    period_lines = _period_lines(client, in_period, journals)

    step("account history")
    account_history = _account_history(client, [POSTED, ("date", ">=", history_start), ("date", "<=", end)])
    analytic_available = client.has_model("account.analytic.account")
    if analytic_available:
        analytic_history = _share_frame(client, [POSTED, *in_history], ("analytic_distribution", "!=", False),
                                        "analytic_count")
        rules = _analytic_rules(client)
    else:
        analytic_history = empty_frame("analytic_history")
        rules = AnalyticRules(False, None, "the database has no analytic accounting")
        unavailable["analytic"] = "the database has no analytic accounting (account.analytic.account)"
    sale_purchase = [int(j) for j in journals.loc[journals["type"].isin(("sale", "purchase")), "id"]]
    tax_history = _share_frame(client, [POSTED, *in_history, ("journal_id", "in", sale_purchase),
                                        ("display_type", "=", "product")], ("tax_ids", "!=", False), "taxed_count")

    step("bank statement lines")
    if client.has_model("account.bank.statement.line"):
        bank_lines = _bank_lines(client, end)
    else:
        bank_lines = empty_frame("bank_lines")
        unavailable["bank_statements"] = "the database has no bank statements (account.bank.statement.line)"

    step("control accounts")
    open_special = _open_special_lines(client, [*suspense_ids, *outstanding_ids], end)
    partnerless = _partnerless_lines(client, control_ids, end)
    control_balances = _control_balances(client, [*suspense_ids, *outstanding_ids, *control_ids], end)

    return CloseData(
        company_name=company.name, currency=company.currency, digits=company.currency_digits, month=month,
        today=today, lock_dates=lock_dates, history=history, accounts=accounts, journals=journals,
        draft_moves=draft_moves, journal_activity=journal_activity, period_lines=period_lines,
        account_history=account_history, analytic_history=analytic_history, tax_history=tax_history,
        bank_lines=bank_lines, open_special_lines=open_special, partnerless_lines=partnerless,
        control_balances=control_balances, suspense_account_ids=tuple(suspense_ids),
        outstanding_account_ids=tuple(outstanding_ids), analytic_rules=rules, unavailable=unavailable)


# ------------------------------------------------------------------------------------------ pieces

def _present(client, model: str, fields: tuple[str, ...]) -> list[str]:
    known = client.fields_get(model)
    return [f for f in fields if f in known]


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _many2one_ids(row: dict, fields: tuple[str, ...]) -> set[int]:
    out = set()
    for name in fields:
        value = row.get(name)
        if value:
            out.add(int(value[0] if isinstance(value, (list, tuple)) else value))
    return out


def _payment_method_accounts(client) -> set[int]:
    """Outstanding accounts set on the journals' payment methods (Odoo 17), where the model exists."""
    model = "account.payment.method.line"
    if not client.has_model(model) or "payment_account_id" not in client.fields_get(model):
        return set()
    rows = client.search_read(model, [("payment_account_id", "!=", False)], ["payment_account_id"])
    return {int(r["payment_account_id"][0]) for r in rows}


def _accounts(client) -> pd.DataFrame:
    frame = client.extract("account.account", ["code", "name", "account_type", "reconcile"])
    return conform(frame, "accounts")


def _journals(client) -> pd.DataFrame:
    frame = client.extract("account.journal", ["code", "name", "type", "suspense_account_id", "default_account_id"])
    frame = frame.rename(columns={"suspense_account_id_id": "suspense_account_id",
                                  "default_account_id_id": "default_account_id"})
    return conform(frame, "journals")


def _draft_moves(client, in_period: list) -> pd.DataFrame:
    frame = client.extract("account.move", ["name", "date", "move_type", "journal_id", "partner_id", "ref",
                                            "amount_total_signed"], [("state", "=", "draft"), *in_period])
    frame = frame.rename(columns={"journal_id_id": "journal_id", "journal_id_name": "journal_name",
                                  "partner_id_id": "partner_id", "partner_id_name": "partner_name",
                                  "amount_total_signed": "amount_total"})
    return conform(frame, "draft_moves")


def month_of_label(label: Any) -> str:
    """Odoo's ``date:month`` group label (``"November 2026"``) -> ``"2026-11"``."""
    text = str(label)
    try:
        return dt.datetime.strptime(text, "%B %Y").strftime("%Y-%m")
    except ValueError:
        raise ValueError(f"cannot read the month group {text!r} returned by Odoo (expected such as 'November 2026'; "
                         "is the user's language English?)") from None


def _journal_activity(client, window: list) -> pd.DataFrame:
    groups = client.read_group_df("account.move", [("state", "=", "posted"), *window], ["journal_id"],
                                  ["journal_id", "date:month"])
    frame = pd.DataFrame({"journal_id": groups["journal_id_id"] if len(groups) else [],
                          "month": [month_of_label(v) for v in groups["date:month"]] if len(groups) else [],
                          "move_count": groups["__count"] if len(groups) else []})
    return conform(frame, "journal_activity")


def _period_lines(client, in_period: list, journals: pd.DataFrame) -> pd.DataFrame:
    frame = client.extract("account.move.line", ["move_id", "move_name", "date", "journal_id", "account_id",
                                                 "partner_id", "name", "display_type", "balance",
                                                 "analytic_distribution", "tax_ids"], [POSTED, *in_period])
    frame = frame.rename(columns={"move_id_id": "move_id", "journal_id_id": "journal_id",
                                  "account_id_id": "account_id", "partner_id_id": "partner_id",
                                  "partner_id_name": "partner_name", "name": "label"})
    frame["has_analytic"] = frame["analytic_distribution"].map(lambda d: bool(d)).astype("boolean")
    frame["has_taxes"] = frame["tax_ids"].map(lambda t: bool(t) and len(t) > 0).astype("boolean")
    return conform(frame, "period_lines")


def _account_history(client, domain: list) -> pd.DataFrame:
    groups = client.read_group_df("account.move.line", domain, ["balance:sum"], ["account_id", "date:month"])
    if not len(groups):
        return empty_frame("account_history")
    frame = pd.DataFrame({"account_id": groups["account_id_id"],
                          "month": [month_of_label(v) for v in groups["date:month"]],
                          "balance": groups["balance"].round(6), "line_count": groups["__count"]})
    return conform(frame, "account_history")


def _share_frame(client, domain: list, condition: tuple, count_column: str) -> pd.DataFrame:
    """Per account: items matching ``domain`` and how many of them also match ``condition``."""
    name = "analytic_history" if count_column == "analytic_count" else "tax_history"
    every = client.read_group_df("account.move.line", domain, ["balance:sum"], ["account_id"])
    if not len(every):
        return empty_frame(name)
    some = client.read_group_df("account.move.line", [*domain, condition], ["balance:sum"], ["account_id"])
    counts = dict(zip(some["account_id_id"], some["__count"])) if len(some) else {}
    frame = pd.DataFrame({"account_id": every["account_id_id"], "line_count": every["__count"],
                          count_column: [int(counts.get(a, 0)) for a in every["account_id_id"]]})
    return conform(frame, name)


def _analytic_rules(client) -> AnalyticRules:
    model = "account.analytic.applicability"
    if not client.has_model(model):
        return AnalyticRules(True, None, "the database has no analytic applicability rules "
                                         "(account.analytic.applicability)")
    known = client.fields_get(model)
    if "account_prefix" not in known:
        return AnalyticRules(True, None, f"{model} has no account_prefix field")
    rows = client.search_read(model, [("applicability", "=", "mandatory")], ["account_prefix"])
    prefixes = sorted({p.strip() for r in rows for p in str(r.get("account_prefix") or "").split(",") if p.strip()})
    return AnalyticRules(True, tuple(prefixes), f"{len(rows)} mandatory analytic applicability rule(s) of Odoo")


def _bank_lines(client, end: str) -> pd.DataFrame:
    frame = client.extract("account.bank.statement.line", ["date", "amount", "payment_ref", "partner_id",
                                                           "partner_name", "journal_id", "move_id", "statement_id"],
                           [("is_reconciled", "=", False), ("date", "<=", end)])
    frame = frame.rename(columns={"partner_id_id": "partner_id", "journal_id_id": "journal_id",
                                  "move_id_id": "move_id", "statement_id_id": "statement_id"})
    frame = frame.drop(columns=["partner_id_name"], errors="ignore")
    return conform(frame, "bank_lines")


def _open_special_lines(client, account_ids: list[int], end: str) -> pd.DataFrame:
    if not account_ids:
        return empty_frame("open_special_lines")
    frame = client.extract("account.move.line", ["move_id", "move_name", "date", "account_id", "partner_id", "name",
                                                 "balance"],
                           [POSTED, ("account_id", "in", account_ids), ("reconciled", "=", False),
                            ("date", "<=", end)])
    frame = frame.rename(columns={"move_id_id": "move_id", "account_id_id": "account_id",
                                  "partner_id_id": "partner_id", "name": "label"})
    return conform(frame, "open_special_lines")


def _partnerless_lines(client, account_ids: list[int], end: str) -> pd.DataFrame:
    if not account_ids:
        return empty_frame("partnerless_lines")
    frame = client.extract("account.move.line", ["move_id", "move_name", "date", "account_id", "name", "balance"],
                           [POSTED, ("account_id", "in", account_ids), ("partner_id", "=", False),
                            ("date", "<=", end)])
    frame = frame.rename(columns={"move_id_id": "move_id", "account_id_id": "account_id", "name": "label"})
    return conform(frame, "partnerless_lines")


def _control_balances(client, account_ids: list[int], end: str) -> pd.DataFrame:
    if not account_ids:
        return empty_frame("control_balances")
    groups = client.read_group_df("account.move.line", [POSTED, ("account_id", "in", account_ids),
                                                        ("date", "<=", end)], ["balance:sum"], ["account_id"])
    balances = dict(zip(groups["account_id_id"], groups["balance"])) if len(groups) else {}
    frame = pd.DataFrame({"account_id": account_ids, "balance": [float(balances.get(a, 0.0)) for a in account_ids]})
    return conform(frame, "control_balances")
