"""Each close check on hand-built books made to trigger it, and on books that must not."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from ledgerpilot.calc.close import CHECKS, CloseConfig, run_checks
from ledgerpilot.calc.close.checks import UnknownCheckError
from ledgerpilot.calc.close.frames import AnalyticRules
from ledgerpilot.calc.close.own_entries import OwnEntry
from ledgerpilot.domain.proposal import RecordRef
from tests.calc.close.close_books import history, journal_months, make_data, period_line

CONFIG = CloseConfig()


def run(name: str, data, config: CloseConfig = CONFIG):
    return CHECKS[name].run(data, config)


def refs(finding) -> list[tuple[str, int]]:
    return [(r.model, r.id) for r in finding.records]


# ------------------------------------------------------------------------------------------ drafts

def test_draft_moves_in_the_period_are_one_blocking_finding():
    data = make_data(draft_moves=[
        {"id": 501, "name": "/", "date": "2026-10-30", "move_type": "out_invoice", "journal_id": 1,
         "journal_name": "Customer Invoices", "amount_total": 1200.10},
        {"id": 502, "name": "MISC/2026/10/0003", "date": "2026-10-02", "move_type": "entry", "journal_id": 3,
         "journal_name": "Miscellaneous Operations", "amount_total": -430.0}])
    [finding] = run("draft_moves", data)
    assert finding.severity == "blocking" and finding.period == "2026-10"
    assert refs(finding) == [("account.move", 502), ("account.move", 501)]      # oldest first
    assert finding.amount == Decimal("1630.10")
    assert finding.title == "2 draft entries dated in 2026-10"
    assert finding.figures["by_journal"] == {"Customer Invoices": 1, "Miscellaneous Operations": 1}


def test_no_draft_moves_no_finding():
    assert run("draft_moves", make_data()) == []


def _own(move_id: int, *, kind: str = "accrual", post: bool = False, mark: str = "[lp:0123456789ab]") -> OwnEntry:
    return OwnEntry(move_id=move_id, marker=mark, proposal_id="0123456789abcdef" * 2, kind=kind,
                    title="Accrue cleaning, October", approved_by="controller", approved_at="2026-11-02T09:30:00+00:00",
                    post_chosen=post)


def _drafts_written_by_the_close() -> list[dict]:
    misc = {"move_type": "entry", "journal_id": 3, "journal_name": "Miscellaneous Operations"}
    return [{"id": 601, "name": "/", "date": "2026-10-31", "ref": "Accrual cleaning [lp:0123456789ab]",
             "amount_total": 850.0, **misc},                                        # the close wrote it
            {"id": 602, "name": "/", "date": "2026-10-31", "ref": "Copied [lp:0123456789ab]", "amount_total": 9.0,
             **misc},                                                               # a marker typed by someone
            {"id": 603, "name": "/", "date": "2026-10-20", "ref": "Marker removed in Odoo", "amount_total": 3.0,
             **misc}]                                                               # ours by id, not by its ref


def test_a_draft_the_close_wrote_is_its_own_pending_step_not_a_strangers_draft():
    data = replace(make_data(draft_moves=_drafts_written_by_the_close()),
                   own_entries={601: _own(601), 603: _own(603, mark="[lp:fedcba987654]")})
    [strangers] = run("draft_moves", data)
    assert refs(strangers) == [("account.move", 603), ("account.move", 602)]    # 602's marker is not the store's
    [own] = run("own_entries", data)
    assert own.severity == "blocking" and refs(own) == [("account.move", 601)]
    assert own.title == "Post the accrual 'Accrue cleaning, October' (entry 601, 2026-10-31): still a draft"
    assert "controller approved it as a draft" in own.reason and "proposal 0123456789ab" in own.reason.lower()
    assert own.amount == Decimal("850.00") and own.figures["post_chosen"] is False

    checklist = run_checks(data, CONFIG)
    status = {i.check: (i.status, i.blocking) for i in checklist.items}
    assert status["own_entries"] == ("pending", True) and status["draft_moves"] == ("failed", True)


def test_an_own_entry_reset_to_draft_in_odoo_and_no_own_drafts_at_all():
    rows = _drafts_written_by_the_close()[:1]
    [reset] = run("own_entries", replace(make_data(draft_moves=rows), own_entries={601: _own(601, post=True)}))
    assert "approved it to be posted" in reset.reason and "reset to draft" in reset.reason
    clean = replace(make_data(), own_entries={601: _own(601)})               # written, and posted since
    assert run("own_entries", clean) == [] and run("draft_moves", clean) == []
    assert {i.check: i.status for i in run_checks(clean, CONFIG).items}["own_entries"] == "passed"


# ------------------------------------------------------------------------------------------ bank lines

def test_unreconciled_bank_lines_up_to_the_period_end_per_journal():
    data = make_data(bank_lines=[
        {"id": 40, "date": "2026-09-12", "amount": 615.75, "payment_ref": "TRANSFER 88231", "journal_id": 6},
        {"id": 41, "date": "2026-10-20", "amount": -99.5, "payment_ref": "FEE", "journal_id": 6},
        {"id": 42, "date": "2026-11-02", "amount": 10.0, "payment_ref": "after the period", "journal_id": 6},
        {"id": 43, "date": "2026-10-03", "amount": 20.0, "payment_ref": "cash count", "journal_id": 7}])
    bank, cash = run("unreconciled_bank_lines", data)
    assert bank.severity == "blocking"
    assert refs(bank) == [("account.bank.statement.line", 40), ("account.bank.statement.line", 41)]
    assert bank.amount == Decimal("516.25")
    assert bank.figures["before_period"] == 1 and bank.figures["money_out"] == Decimal("99.50")
    assert refs(cash) == [("account.bank.statement.line", 43)]
    assert "Cash (CSH1)" in cash.title


def test_reconciled_books_and_later_lines_make_no_bank_finding():
    data = make_data(bank_lines=[{"id": 42, "date": "2026-11-02", "amount": 10.0, "journal_id": 6}])
    assert run("unreconciled_bank_lines", data) == []


def test_bank_check_is_skipped_without_bank_statements():
    data = make_data(unavailable={"bank_statements": "the database has no bank statements"})
    item = next(i for i in run_checks(data, CONFIG).items if i.check == "unreconciled_bank_lines")
    assert item.status == "skipped" and "no bank statements" in item.detail


# ------------------------------------------------------------------------------------------ suspense / outstanding

def test_suspense_balance_and_stale_outstanding_payment():
    data = make_data(
        control_balances=[{"account_id": 2, "balance": -615.75}, {"account_id": 4, "balance": -1300.0}],
        open_special_lines=[
            {"id": 900, "move_id": 90, "move_name": "BNK1/2026/00090", "date": "2026-09-12", "account_id": 2,
             "balance": -615.75},
            {"id": 910, "move_id": 91, "move_name": "PBNK1/2026/00011", "date": "2026-10-05", "account_id": 4,
             "balance": -1000.0},
            {"id": 911, "move_id": 92, "move_name": "PBNK1/2026/00012", "date": "2026-11-15", "account_id": 4,
             "balance": -300.0}])
    suspense, outstanding = run("suspense_accounts", data)
    assert suspense.severity == outstanding.severity == "blocking"
    assert refs(suspense) == [("account.account", 2), ("account.move.line", 900)]
    assert suspense.amount == Decimal("-615.75")
    assert refs(outstanding) == [("account.account", 4), ("account.move.line", 910)]  # the November one is later
    assert outstanding.amount == Decimal("-1000.00")
    assert outstanding.figures["kind"] == "outstanding"


def test_payments_in_transit_and_an_empty_suspense_account_pass():
    data = make_data(today=dt.date(2026, 11, 3), control_balances=[{"account_id": 2, "balance": 0.0}],
                     open_special_lines=[{"id": 910, "move_id": 91, "move_name": "PBNK1/2026/00011",
                                          "date": "2026-10-30", "account_id": 4, "balance": -1000.0}])
    assert run("suspense_accounts", data) == []
    item = next(i for i in run_checks(data, CONFIG).items if i.check == "suspense_accounts")
    assert item.status == "passed" and "1 payment(s) (-1,000.00 EUR) are in transit" in item.detail


# ------------------------------------------------------------------------------------------ subledgers

def test_receivable_items_without_partner_break_the_subledger():
    data = make_data(
        control_balances=[{"account_id": 10, "balance": 5480.0}, {"account_id": 16, "balance": -200.0}],
        partnerless_lines=[{"id": 700, "move_id": 70, "move_name": "MISC/2026/09/0001", "date": "2026-09-10",
                            "account_id": 10, "balance": 480.0},
                           {"id": 701, "move_id": 71, "move_name": "MISC/2026/10/0004", "date": "2026-10-10",
                            "account_id": 16, "balance": -55.0},
                           {"id": 702, "move_id": 72, "move_name": "MISC/2026/10/0005", "date": "2026-10-11",
                            "account_id": 16, "balance": 55.0}])
    [finding] = run("subledger_control", data)       # the payable items net to zero: that subledger ties
    assert refs(finding) == [("account.account", 10), ("account.move.line", 700)]
    assert finding.figures["control_balance"] == Decimal("5480.00")
    assert finding.figures["partner_balance"] == Decimal("5000.00")
    assert finding.amount == Decimal("480.00")


def test_subledgers_tie_without_partnerless_items():
    assert run("subledger_control", make_data(control_balances=[{"account_id": 10, "balance": 100.0}])) == []


# ------------------------------------------------------------------------------------------ idle journals

def test_a_journal_used_every_month_that_fell_silent_is_a_warning():
    activity = [*journal_months(7, 6), *journal_months(3, 2), *journal_months(1, 6, in_period=40)]
    [finding] = run("idle_journals", make_data(journal_activity=activity))
    assert finding.severity == "warning"
    assert refs(finding) == [("account.journal", 7)]
    assert finding.figures == {"journal_id": 7, "active_months": 6, "history_months": 6}


def test_journals_used_rarely_or_used_now_make_no_finding():
    activity = [*journal_months(3, 3), *journal_months(7, 6, in_period=1)]   # 3 of 6 months is not "most"
    assert run("idle_journals", make_data(journal_activity=activity)) == []


# ------------------------------------------------------------------------------------------ analytic

ANALYTIC_HISTORY = [{"account_id": 31, "line_count": 40, "analytic_count": 40},
                    {"account_id": 34, "line_count": 12, "analytic_count": 0},
                    {"account_id": 23, "line_count": 200, "analytic_count": 196}]


def test_missing_analytic_on_accounts_that_always_carry_one():
    data = make_data(analytic_history=ANALYTIC_HISTORY, period_lines=[
        period_line(1, 31, 312.40, has_analytic=False), period_line(2, 31, 80.0),
        period_line(3, 34, 15.0, has_analytic=False),          # FX loss never carries one
        period_line(4, 23, -99.0, has_analytic=False),          # 98% is not "as a rule"
        period_line(5, 31, 1185.0, has_analytic=False), period_line(6, 31, 10.0, has_analytic=False,
                                                                     display_type="tax")])
    [finding] = run("missing_analytic", data)
    assert finding.severity == "warning"
    assert refs(finding) == [("account.move.line", 1), ("account.move.line", 5)]
    assert finding.amount == Decimal("1497.40")
    assert "99%" in finding.figures["rule"]


def test_configured_prefixes_and_odoo_rules_decide_which_accounts_require_it():
    lines = [period_line(3, 34, 15.0, has_analytic=False), period_line(1, 31, 312.40, has_analytic=False)]
    by_config = run("missing_analytic", make_data(analytic_history=ANALYTIC_HISTORY, period_lines=lines),
                    CloseConfig(analytic_required_prefixes=("641",)))
    assert [refs(f) for f in by_config] == [[("account.move.line", 3)]]
    odoo_rules = AnalyticRules(True, ("6",), "2 mandatory analytic applicability rule(s) of Odoo")
    by_odoo = run("missing_analytic", make_data(analytic_rules=odoo_rules, period_lines=lines),
                  CloseConfig(analytic_required_prefixes=("641",)))   # Odoo's rules come first
    assert sorted(r.id for f in by_odoo for r in f.records) == [1, 3]
    none_required = AnalyticRules(True, (), "0 mandatory analytic applicability rule(s) of Odoo")
    assert run("missing_analytic", make_data(analytic_rules=none_required, period_lines=lines)) == []


def test_analytic_check_is_skipped_without_analytic_accounting():
    data = make_data(unavailable={"analytic": "the database has no analytic accounting"})
    item = next(i for i in run_checks(data, CONFIG).items if i.check == "missing_analytic")
    assert item.status == "skipped" and item.detail == "Skipped: the database has no analytic accounting."


# ------------------------------------------------------------------------------------------ taxes

TAX_HISTORY = [{"account_id": 23, "line_count": 50, "taxed_count": 50},
               {"account_id": 27, "line_count": 20, "taxed_count": 10},
               {"account_id": 31, "line_count": 4, "taxed_count": 4}]


def test_invoice_lines_without_tax_on_accounts_that_normally_carry_one():
    data = make_data(tax_history=TAX_HISTORY, period_lines=[
        period_line(1, 23, -500.0, journal_id=1), period_line(2, 23, -250.0, journal_id=1, has_taxes=True),
        period_line(3, 23, -40.0, journal_id=3),                 # a miscellaneous entry, not an invoice
        period_line(4, 27, 60.0, journal_id=2),                  # half the history is untaxed
        period_line(5, 31, 60.0, journal_id=2)])                 # too little history to judge
    [finding] = run("missing_taxes", data)
    assert finding.severity == "warning"
    assert refs(finding) == [("account.move.line", 1)]
    assert finding.amount == Decimal("-500.00") and finding.figures["history_taxed_share"] == 1.0


def test_taxed_invoice_lines_pass():
    data = make_data(tax_history=TAX_HISTORY, period_lines=[period_line(2, 23, -250.0, journal_id=1, has_taxes=True)])
    assert run("missing_taxes", data) == []


# ------------------------------------------------------------------------------------------ unusual amounts

def test_an_expense_account_moving_five_times_its_usual_size_is_unusual():
    lines = [period_line(10 + i, 27, amount) for i, amount in enumerate([3900.0, 600.0, 300.0, 200.0])]
    data = make_data(account_history=[*history(27, [1000, 1100, 900, 1050, 950, 1000]),
                                      *history(1, [10, 50000, -3000, 20, 700, 5])], period_lines=[
        *lines, period_line(20, 1, -250000.0)])               # the bank is a flow account: not judged
    [finding] = run("unusual_amounts", data)
    assert finding.severity == "warning"
    assert finding.amount == Decimal("5000.00") and finding.figures["usual_size"] == Decimal("1000.00")
    # the largest items in the direction of the excess (4,000 over the median) until they cover it
    assert refs(finding) == [("account.move.line", 10), ("account.move.line", 11)]
    assert "5.0 times its usual size" in finding.title


def test_ordinary_movement_and_thin_history_are_not_unusual():
    data = make_data(account_history=[*history(27, [1000, 1100, 900, 1050, 950, 1000]), *history(31, [0, 0, 0, 0, 10, 20])],
                     period_lines=[period_line(1, 27, 1500.0), period_line(2, 31, 9000.0)])
    assert run("unusual_amounts", data) == []


# ------------------------------------------------------------------------------------------ the checklist

def test_checklist_items_statuses_and_readiness():
    data = make_data(draft_moves=[{"id": 501, "name": "/", "date": "2026-10-30", "move_type": "entry",
                                   "journal_id": 3, "journal_name": "Miscellaneous Operations", "amount_total": 5.0}],
                     journal_activity=journal_months(7, 6))
    checklist = run_checks(data, CONFIG)
    assert [i.check for i in checklist.items] == list(CHECKS)
    status = {i.check: (i.status, i.blocking, i.finding_count) for i in checklist.items}
    assert status["draft_moves"] == ("failed", True, 1)
    assert status["idle_journals"] == ("failed", False, 1)
    assert status["unreconciled_bank_lines"] == ("passed", False, 0)
    assert [f.check for f in checklist.findings] == ["draft_moves", "idle_journals"]   # blocking first
    assert not checklist.ready_to_lock and [f.check for f in checklist.blocking] == ["draft_moves"]
    assert run_checks(make_data(), CONFIG).ready_to_lock


def test_only_the_configured_checks_run_and_unknown_names_are_refused():
    checklist = run_checks(make_data(), CloseConfig(checks=("idle_journals", "draft_moves")))
    assert [i.check for i in checklist.items] == ["draft_moves", "idle_journals"]
    with pytest.raises(UnknownCheckError, match="'drafts'.*draft_moves"):
        run_checks(make_data(), CloseConfig(checks=("drafts",)))


def test_config_from_settings_and_validation():
    from ledgerpilot.config import Settings

    settings = Settings(close_checks=["draft_moves"], close_unusual_amount_ratio=4.0, close_tb_variance=0.3,
                        close_tb_min_amount=250.0)
    config = CloseConfig.from_settings(settings)
    assert config.checks == ("draft_moves",) and config.unusual_amount_ratio == 4.0
    assert config.tb_variance == 0.3 and config.tb_min_amount == Decimal("250.0")
    with pytest.raises(ValueError, match="tax_usual_share"):
        CloseConfig(tax_usual_share=1.5)


def test_findings_cite_records_by_reference():
    data = make_data(draft_moves=[{"id": 501, "name": "INV/2026/00001", "date": "2026-10-30", "move_type": "entry",
                                   "journal_id": 3, "journal_name": "MISC", "amount_total": 5.0}])
    [finding] = run("draft_moves", data)
    assert finding.records == (RecordRef(model="account.move", id=501, name="INV/2026/00001"),)
