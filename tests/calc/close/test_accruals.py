"""Goods received not billed, the entries' shape and balance, reversals and no double proposals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerpilot.calc.close.accruals import propose_accruals
from ledgerpilot.calc.close.accruals.entries import (
    EntryLine,
    UnbalancedEntryError,
    allocate,
    entry_call,
    entry_total,
)
from ledgerpilot.domain.month import Month
from ledgerpilot.domain.proposal import Proposal
from tests.calc.close.accrual_books import (
    ACCRUED,
    EXPENSES,
    MISC,
    MONTH,
    OPERATIONS,
    SALES,
    STOCK_IN,
    accrual_data,
    entry_lines,
    entry_values,
    monthly_bills,
    po_line,
    prepaid_item,
    receipt,
)


def _balanced(proposal: Proposal) -> None:
    debit, credit = entry_total(proposal.payload)
    assert debit == credit > 0, proposal.title
    for line in entry_lines(proposal):
        assert isinstance(line["debit"], Decimal) and isinstance(line["credit"], Decimal)
        assert line["debit"] == line["debit"].quantize(Decimal("0.01"))
        assert line["credit"] == line["credit"].quantize(Decimal("0.01"))


def test_partial_billing_accrues_the_received_not_billed_quantity():
    data = accrual_data(purchase_lines=[po_line(1, 42, "P00042", qty_received=12, qty_invoiced=5, price_unit=45.50)],
                        receipts=[receipt(1, 1, "2026-11-12 10:00:00", 12)])
    result = propose_accruals(data, MONTH, run_id="run-1")
    accrual, reversal = result
    assert accrual.kind == "accrual" and reversal.kind == "reversal"
    values = entry_values(accrual)
    assert values["move_type"] == "entry" and values["journal_id"] == MISC
    assert values["date"] == "2026-11-30"
    assert values["ref"] == "Accrual 2026-11: goods received not billed P00042"
    lines = entry_lines(accrual)
    assert [(line["account_id"], line["debit"], line["credit"], line["partner_id"]) for line in lines] == [
        (STOCK_IN, Decimal("318.50"), Decimal("0.00"), 30), (ACCRUED, Decimal("0.00"), Decimal("318.50"), 30)]
    assert accrual.created_by == "ledgerpilot" and accrual.required_group == "account.group_account_manager"
    assert accrual.run_id == "run-1"
    refs = {(r.model, r.id) for r in accrual.evidence.records}
    assert refs == {("purchase.order", 42), ("purchase.order.line", 1), ("stock.picking", 700)}
    calculation = accrual.evidence.figures["calculation"]
    assert "12 received [12 on 2026-11-12 (WH/IN/00700)], 5 billed -> 7 x 45.5 EUR = 318.50 EUR" in calculation
    assert accrual.evidence.figures["amount"] == Decimal("318.50")
    _balanced(accrual)


def test_foreign_currency_order_is_converted_at_the_month_end_rate():
    data = accrual_data(purchase_lines=[po_line(1, 60, "P00060", qty_received=10, price_unit=99.99, currency="USD",
                                                rate=1.0832, partner_id=34, partner_name="Indigo Outfitters")])
    accrual = propose_accruals(data, MONTH, run_id="r")[0]
    # 10 x 99.99 = 999.90 USD; 999.90 / 1.0832 = 923.0982 -> 923.10 EUR
    assert [line["debit"] for line in entry_lines(accrual)] == [Decimal("923.10"), Decimal("0.00")]
    assert entry_lines(accrual)[1]["credit"] == Decimal("923.10")
    assert "999.90 USD / 1.0832 = 923.10 EUR" in accrual.evidence.figures["calculation"]


def test_order_currency_without_decimals_is_rounded_in_its_own_currency_first():
    data = accrual_data(purchase_lines=[po_line(1, 61, "P00061", qty_received=3, price_unit=1234.4, currency="JPY",
                                                rate=157.3)])
    accrual = propose_accruals(data, MONTH, run_id="r")[0]
    # 3 x 1234.4 = 3703.2 -> 3703 JPY; 3703 / 157.3 = 23.5410 -> 23.54 EUR
    assert entry_lines(accrual)[0]["debit"] == Decimal("23.54")
    assert "= 3703 JPY / 157.3 = 23.54 EUR" in accrual.evidence.figures["calculation"]


def test_analytic_split_and_accounts_per_line_with_a_discount():
    split = {str(OPERATIONS): 60.0, str(SALES): 40.0}
    data = accrual_data(purchase_lines=[
        po_line(1, 7, "P00007", qty_received=3, price_unit=33.33, analytic=split),
        po_line(2, 7, "P00007", qty_received=4, qty_invoiced=1, price_unit=200.0, discount=10.0, account=EXPENSES,
                product="Installation", analytic={str(OPERATIONS): 100.0}),
        po_line(3, 7, "P00007", qty_received=2, qty_invoiced=2, price_unit=50.0)])  # billed in full
    accrual = propose_accruals(data, MONTH, run_id="r")[0]
    lines = entry_lines(accrual)
    assert [(line["account_id"], line["debit"], line["analytic_distribution"]) for line in lines[:2]] == [
        (STOCK_IN, Decimal("99.99"), {str(OPERATIONS): Decimal("60.00"), str(SALES): Decimal("40.00")}),
        (EXPENSES, Decimal("540.00"), {str(OPERATIONS): Decimal("100.00")})]  # 3 x 200 less 10%
    assert lines[2]["account_id"] == ACCRUED and lines[2]["credit"] == Decimal("639.99")
    assert lines[2]["analytic_distribution"] is None
    assert len(lines) == 3


def test_only_receipts_up_to_the_month_end_count():
    data = accrual_data(purchase_lines=[po_line(1, 9, "P00009", qty_received=10, price_unit=10.0),
                                        po_line(2, 10, "P00010", qty_received=5, price_unit=10.0)],
                        receipts=[receipt(1, 1, "2026-11-28 09:00:00", 4), receipt(2, 1, "2026-12-02 09:00:00", 6),
                                  receipt(3, 2, "2026-12-01 08:00:00", 5)])
    result = propose_accruals(data, MONTH, run_id="r")
    assert [entry_values(p)["ref"] for p in result.of_kind("accrual")] == [
        "Accrual 2026-11: goods received not billed P00009"]
    assert entry_lines(result[0])[0]["debit"] == Decimal("40.00")


def test_line_without_an_expense_account_is_left_out_with_the_reason():
    data = accrual_data(purchase_lines=[po_line(1, 9, "P00009", qty_received=1, price_unit=10.0, account=None)])
    result = propose_accruals(data, MONTH, run_id="r")
    assert len(result) == 0
    assert any("no expense account known for Standing Desk" in reason for reason in result.skipped)


def test_reversal_mirrors_its_accrual_on_the_first_day_of_next_month():
    data = accrual_data(purchase_lines=[po_line(1, 42, "P00042", qty_received=2, price_unit=19.99,
                                                analytic={str(SALES): 100.0})])
    accrual, reversal = propose_accruals(data, MONTH, run_id="r")
    values, mirror = entry_values(accrual), entry_values(reversal)
    assert mirror["date"] == "2026-12-01" and mirror["journal_id"] == values["journal_id"]
    assert mirror["ref"] == "Reversal of Accrual 2026-11: goods received not billed P00042"
    for original, reversed_line in zip(entry_lines(accrual), entry_lines(reversal), strict=True):
        assert reversed_line["account_id"] == original["account_id"]
        assert (reversed_line["debit"], reversed_line["credit"]) == (original["credit"], original["debit"])
        assert reversed_line["analytic_distribution"] == original["analytic_distribution"]
        assert reversed_line["partner_id"] == original["partner_id"]
    assert reversal.evidence.figures["reverses_proposal_id"] == accrual.id
    assert reversal.evidence.figures["reverses_ref"] == values["ref"]
    _balanced(reversal)


def test_nothing_already_booked_is_proposed_again():
    ref = "Accrual 2026-11: goods received not billed P00042"
    lines = [po_line(1, 42, "P00042", qty_received=2, price_unit=10.0)]
    only_accrual = propose_accruals(accrual_data(purchase_lines=lines, existing={ref: 901}), MONTH, run_id="r")
    assert [p.kind for p in only_accrual] == ["reversal"]  # the booked accrual still needs its reversal
    assert (("account.move", 901) in {(r.model, r.id) for r in only_accrual[0].evidence.records})
    assert only_accrual[0].evidence.figures["reverses_move_id"] == 901
    assert any("already booked (entry 901)" in reason for reason in only_accrual.skipped)
    both = propose_accruals(accrual_data(purchase_lines=lines, existing={ref: 901, f"Reversal of {ref}": 950}),
                            MONTH, run_id="r")
    assert len(both) == 0 and len(both.skipped) == 2


def test_proposals_survive_a_json_round_trip_with_exact_amounts():
    data = accrual_data(purchase_lines=[po_line(1, 42, "P00042", qty_received=3, price_unit=0.1,
                                                analytic={str(SALES): 100.0})])
    for proposal in propose_accruals(data, MONTH, run_id="r"):
        again = Proposal.from_json(proposal.to_json())
        assert again.idempotency_key == proposal.idempotency_key
        assert again.payload.model_dump(mode="json") == proposal.payload.model_dump(mode="json")


def test_every_proposal_of_a_mixed_month_is_balanced():
    data = accrual_data(
        purchase_lines=[po_line(i, 100 + i % 3, f"P{100 + i % 3:05d}", qty_received=i + 0.5, qty_invoiced=i / 3,
                                price_unit=17.37 * i, currency="USD" if i % 2 else "EUR",
                                rate=1.0917 if i % 2 else 1.0) for i in range(1, 8)],
        bills=monthly_bills(1, 38, "Officenet Utilities", {"2026-05": 1450.10, "2026-06": 1399.99,
                                                           "2026-07": 1502.02, "2026-08": 1470.00,
                                                           "2026-09": 1433.33, "2026-10": 1488.88}),
        prepaid=[prepaid_item(1, 500, "2026-09-10", 999.99, "Insurance 12 months")])
    result = propose_accruals(data, MONTH, run_id="r")
    assert sorted({p.kind for p in result}) == ["accrual", "adjusting_entry", "reversal"]
    for proposal in result:
        _balanced(proposal)
    assert len(result.of_kind("accrual")) == len(result.of_kind("reversal")) == 4


def test_the_month_must_match_the_data_and_a_journal_is_needed():
    with pytest.raises(ValueError, match="loaded for 2026-11, not for 2026-10"):
        propose_accruals(accrual_data(), Month(2026, 10), run_id="r")
    lines = [po_line(1, 42, "P00042", qty_received=2, price_unit=10.0)]
    no_journal = propose_accruals(accrual_data(purchase_lines=lines, journal=None), MONTH, run_id="r")
    assert len(no_journal) == 0 and "no miscellaneous (general) journal" in no_journal.skipped[-1]
    no_account = propose_accruals(accrual_data(purchase_lines=lines, accrued=None), MONTH, run_id="r")
    assert len(no_account) == 0
    assert any("no accrued-expenses account" in reason for reason in no_account.skipped)


def test_an_unbalanced_entry_is_refused():
    with pytest.raises(UnbalancedEntryError, match="do not balance"):
        entry_call(journal_id=MISC, date=dt.date(2026, 11, 30), ref="x", digits=2,
                   lines=[EntryLine(account_id=EXPENSES, name="a", debit=100), EntryLine(ACCRUED, "b", credit=99)])
    with pytest.raises(UnbalancedEntryError):
        entry_call(journal_id=MISC, date=dt.date(2026, 11, 30), ref="x", digits=2,
                   lines=[EntryLine(account_id=EXPENSES, name="a", debit=5, credit=5)])


@settings(max_examples=200, deadline=None)
@given(total=st.integers(min_value=0, max_value=10**9),
       weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12))
def test_allocation_adds_up_to_the_cent(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total and len(parts) == len(weights)
    if sum(weights):
        for part, weight in zip(parts, weights):
            assert abs(part - total * weight / sum(weights)) < 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 500), st.integers(0, 500), st.integers(1, 10**6), st.sampled_from(
    [1.0, 1.0832, 0.8571, 157.3])), min_size=1, max_size=6))
def test_goods_received_not_billed_entries_always_balance(rows):
    lines = [po_line(i, 1 + i % 2, f"P{1 + i % 2:05d}", qty_received=received, qty_invoiced=billed,
                     price_unit=cents / 100, currency="EUR" if rate == 1.0 else "USD", rate=rate,
                     analytic={str(OPERATIONS): 33.33, str(SALES): 66.67} if i % 2 else None)
             for i, (received, billed, cents, rate) in enumerate(rows)]
    for proposal in propose_accruals(accrual_data(purchase_lines=lines), MONTH, run_id="r"):
        _balanced(proposal)


def test_missing_names_fall_back_to_ids():
    line = {**po_line(1, 42, "P00042", qty_received=1, price_unit=10.0), "partner_name": pd.NA, "product_name": None,
            "description": pd.NA}
    accrual = propose_accruals(accrual_data(purchase_lines=[line]), MONTH, run_id="r")[0]
    assert accrual.title.endswith("on P00042 (partner 30)")
    assert entry_lines(accrual)[0]["name"] == "P00042: line 1, 1 received not billed"
