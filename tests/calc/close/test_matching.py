"""Bank matching on hand-built statements: what must be high, and the near-misses that must not."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from ledgerpilot.calc.close.matching import MatchConfig, MatchingInputError, match_bank_lines
from tests.calc.close.statement_books import DAY, item, items_frame, line, lines_frame


def best(result, line_id):
    match = result.for_line(line_id)
    assert match is not None, f"bank line {line_id} got no candidate"
    return match.best


def test_exact_one_to_one_with_reference_and_partner_is_high():
    items = items_frame(item(1, "INV/2026/00123", 1000.00), item(2, "INV/2026/00124", 250.50))
    lines = lines_frame(line(100, 1000.00, "INV/2026/00123 Azure Services", partner=5))
    top = best(match_bank_lines(lines, items), 100)
    assert top.item_ids == (1,) and top.move_names == ("INV/2026/00123",)
    assert top.level == "high" and top.confidence >= 0.95
    assert top.amount == Decimal("1000.00") and top.difference == Decimal("0.00")
    assert set(top.signals) >= {"amount", "reference", "partner"}
    assert "equals the open amount of INV/2026/00123" in top.reason and "the label names INV/2026/00123" in top.reason
    assert "partner Azure Services agrees" in top.reason


@pytest.mark.parametrize("label", ["inv-2026-123", "INV 2026 00123", "Inv2026/00123 thanks", "PAYMENT inv.2026.00123"])
def test_reference_found_whatever_the_separators_and_case(label):
    items = items_frame(item(1, "INV/2026/00123", 480.00), item(2, "INV/2026/00124", 480.00))
    top = best(match_bank_lines(lines_frame(line(100, 480.00, label)), items), 100)
    assert top.item_ids == (1,)
    assert top.level == "high"
    assert "reference" in top.signals and "no partner on the bank line" in top.reason


def test_vendor_reference_in_label_matches_the_bill_it_belongs_to():
    items = items_frame(item(1, "BILL/2026/10/0001", -184.31, partner=6, ref="FAC/2026-00130"),
                        item(2, "BILL/2026/10/0002", -184.31, partner=6, ref="FAC/2026-00131"))
    top = best(match_bank_lines(lines_frame(line(100, -184.31, "Payment fac 2026 130", partner=6)), items), 100)
    assert top.item_ids == (1,) and top.level == "high"
    assert "the label names FAC/2026-00130, the reference of BILL/2026/10/0001" in top.reason


def test_sent_payment_waiting_for_the_bank_matches_by_its_reference():
    items = items_frame(item(1, "PBNK1/2026/00144", -304.63, partner=6, kind="payment", ref="SWM2026-00529",
                             due=DAY - dt.timedelta(days=2)))
    top = best(match_bank_lines(lines_frame(line(100, -304.63, "Payment SWM2026-00529", partner=6)), items), 100)
    assert top.item_ids == (1,) and top.level == "high"


def test_one_to_many_label_names_three_invoices():
    items = items_frame(item(1, "INV/2026/00101", 1200.00), item(2, "INV/2026/00102", 310.40),
                        item(3, "INV/2026/00103", 89.60), item(4, "INV/2026/00104", 89.60))
    lines = lines_frame(line(100, 1600.00, "Azure INV/2026/00101 INV/2026/00102 INV/2026/00103", partner=5))
    top = best(match_bank_lines(lines, items), 100)
    assert top.item_ids == (1, 2, 3)
    assert top.level == "high" and top.amount == Decimal("1600.00")
    assert "label names 3 documents (INV/2026/00101, INV/2026/00102, INV/2026/00103)" in top.reason


def test_one_to_many_partner_pays_its_whole_open_balance():
    items = items_frame(item(1, "INV/2026/00101", 1200.00), item(2, "INV/2026/00102", 310.40),
                        item(3, "INV/2026/00103", 89.61), item(9, "INV/2026/00109", 1600.01, partner=7))
    top = best(match_bank_lines(lines_frame(line(100, 1600.01, "Payment Azure Services", partner=5)), items), 100)
    assert top.item_ids == (1, 2, 3)
    assert top.level == "high"
    assert "3 open items of the partner (INV/2026/00101, INV/2026/00102, INV/2026/00103) add up exactly" in top.reason and "whole open balance" in top.reason


def test_one_to_many_that_is_only_part_of_the_balance_is_not_high():
    items = items_frame(item(1, "INV/2026/00101", 1200.00), item(2, "INV/2026/00102", 310.40),
                        item(3, "INV/2026/00103", 89.61), item(4, "INV/2026/00104", 5000.00))
    top = best(match_bank_lines(lines_frame(line(100, 1600.01, "Payment Azure Services", partner=5)), items), 100)
    assert top.item_ids == (1, 2, 3)
    assert top.level == "medium"


def test_partner_only_exact_unique_amount_is_high():
    items = items_frame(item(1, "INV/2026/00101", 740.25), item(2, "INV/2026/00102", 310.40),
                        item(3, "INV/2026/00201", 740.25, partner=7))
    top = best(match_bank_lines(lines_frame(line(100, 740.25, "Payment Azure Services", partner=5)), items), 100)
    assert top.item_ids == (1,) and top.level == "high"
    assert "reference" not in top.signals and "partner Azure Services agrees" in top.reason


def test_partner_named_in_label_when_the_line_has_none():
    items = items_frame(item(1, "INV/2026/00101", 740.25, partner=7), item(2, "INV/2026/00102", 740.25, partner=8))
    top = best(match_bank_lines(lines_frame(line(100, 740.25, "GRANITE HOTELS transfer")), items), 100)
    assert top.item_ids == (1,) and top.level == "high"
    assert "partner Granite Hotels agrees" in top.reason


def test_amount_off_by_a_cent_without_reference_is_not_high():
    items = items_frame(item(1, "INV/2026/00101", 740.25))
    top = best(match_bank_lines(lines_frame(line(100, 740.24, "Payment Azure Services", partner=5)), items), 100)
    assert top.item_ids == (1,)
    assert top.level != "high" and top.difference == Decimal("-0.01")
    assert "fee" in top.signals


def test_two_identical_open_amounts_for_one_partner_are_ambiguous():
    items = items_frame(item(1, "INV/2026/00101", 500.00, due=DAY - dt.timedelta(days=2)),
                        item(2, "INV/2026/00102", 500.00, due=DAY - dt.timedelta(days=9)))
    match = match_bank_lines(lines_frame(line(100, 500.00, "Payment Azure Services", partner=5)), items).for_line(100)
    assert {c.item_ids for c in match.candidates} == {(1,), (2,)}
    assert all(c.level != "high" for c in match.candidates)
    assert "ambiguous: INV/2026/0010" in match.best.reason and "is as good" in match.best.reason


def test_wrong_direction_is_never_proposed():
    items = items_frame(item(1, "INV/2026/00123", 1000.00))
    result = match_bank_lines(lines_frame(line(100, -1000.00, "INV/2026/00123 Azure Services", partner=5)), items)
    assert result.for_line(100) is None and result.unmatched == [100]


def test_money_in_matches_a_vendor_refund_and_money_out_a_customer_refund():
    items = items_frame(item(1, "RBILL/2026/10/0001", 120.00, partner=6, kind="refund"),
                        item(2, "RINV/2026/00007", -75.50, partner=5, kind="refund"))
    result = match_bank_lines(lines_frame(line(100, 120.00, "RBILL/2026/10/0001", partner=6),
                                          line(101, -75.50, "Refund RINV/2026/00007", partner=5)), items)
    assert best(result, 100).item_ids == (1,) and best(result, 101).item_ids == (2,)


def test_bank_fee_taken_off_with_reference_is_flagged_and_high():
    items = items_frame(item(1, "INV/2026/00123", 1000.00))
    top = best(match_bank_lines(lines_frame(line(100, 992.50, "INV/2026/00123 Azure Services", partner=5)), items), 100)
    assert top.item_ids == (1,) and top.level == "high"
    assert "fee" in top.signals and top.difference == Decimal("-7.50")
    assert "7.50 less than the 1,000.00 open on INV/2026/00123 (within the bank-fee tolerance)" in top.reason


def test_fee_tolerance_is_bounded():
    items = items_frame(item(1, "INV/2026/00123", 1000.00))
    lines = lines_frame(line(100, 992.50, "Payment Azure Services", partner=5))
    assert best(match_bank_lines(lines, items), 100).level == "medium"  # within the default 25.00
    result = match_bank_lines(lines, items, config=MatchConfig(fee_tolerance=Decimal("5.00")))
    assert result.unmatched == [100]  # 7.50 off and no reference: beyond a 5.00 fee, not proposed


def test_partial_payment_naming_the_invoice():
    items = items_frame(item(1, "INV/2026/00092", 618.22))
    top = best(match_bank_lines(lines_frame(line(100, 309.11, "INV/2026/00092 Azure Services", partner=5)), items), 100)
    assert top.item_ids == (1,) and "partial" in top.signals
    assert top.difference == Decimal("-309.11")
    assert "partial payment" in top.reason


def test_foreign_currency_amount_matches_the_residual_in_that_currency():
    items = items_frame(item(1, "INV/2026/00055", 910.12, currency="USD", residual_currency=1000.00))
    lines = lines_frame(line(100, 921.40, "INV/2026/00055", partner=5, foreign="USD", amount_currency=1000.00))
    top = best(match_bank_lines(lines, items), 100)
    assert top.item_ids == (1,) and top.level == "high"
    assert "exchange difference" in top.reason


def test_instalments_of_one_invoice_the_earliest_due_is_paid_first():
    items = items_frame(item(1, "INV/2026/00077", 400.00, move_id=77, due=DAY + dt.timedelta(days=20)),
                        item(2, "INV/2026/00077", 400.00, move_id=77, due=DAY - dt.timedelta(days=10)))
    top = best(match_bank_lines(lines_frame(line(100, 400.00, "INV/2026/00077", partner=5)), items), 100)
    assert top.item_ids == (2,) and top.level == "high"


def test_two_bank_lines_pointing_at_the_same_item_are_not_high():
    items = items_frame(item(1, "INV/2026/00123", 1000.00))
    result = match_bank_lines(lines_frame(line(100, 1000.00, "INV/2026/00123", partner=5),
                                          line(101, 1000.00, "INV 2026 123", partner=5)), items)
    for line_id, other in ((100, "101"), (101, "100")):
        top = best(result, line_id)
        assert top.level != "high" and f"bank line(s) {other} point at INV/2026/00123 too" in top.reason


def test_amount_alone_is_at_most_medium():
    items = items_frame(item(1, "INV/2026/00123", 318.40, partner=8))
    top = best(match_bank_lines(lines_frame(line(100, 318.40, "CARD SETTLEMENT 4471 BATCH 0092")), items), 100)
    assert top.level != "high" and "no partner on the bank line" in top.reason


def test_no_counterpart_lines_are_unmatched_and_order_is_kept():
    items = items_frame(item(1, "INV/2026/00123", 1000.00))
    lines = lines_frame(line(100, -15.56, "Account maintenance fee 03/2026"), line(101, 1000.00, "INV/2026/00123"),
                        line(102, -9300.00, "SALARIES 10/2026"))
    result = match_bank_lines(lines, items)
    assert [m.bank_line_id for m in result.matches] == [101]
    assert result.unmatched == [100, 102]
    assert [m.bank_line_id for m in result.high()] == [101]


def test_candidates_are_capped_and_best_first():
    rows = [item(i, f"INV/2026/{i:05d}", 100.00 + i / 100, due=DAY - dt.timedelta(days=i)) for i in range(1, 9)]
    match = match_bank_lines(lines_frame(line(100, 100.03, "Payment Azure Services", partner=5)), items_frame(*rows),
                             config=MatchConfig(max_candidates=2)).for_line(100)
    assert len(match.candidates) == 2
    assert match.candidates[0].confidence >= match.candidates[1].confidence
    assert match.best.item_ids == (3,)


def test_empty_inputs():
    items = items_frame(item(1, "INV/2026/00123", 1000.00))
    empty_lines = lines_frame(line(100, 1.0, "x")).iloc[0:0]
    assert match_bank_lines(empty_lines, items).matches == []
    result = match_bank_lines(lines_frame(line(100, 1000.00, "INV/2026/00123")), items.iloc[0:0])
    assert result.matches == [] and result.unmatched == [100]


def test_missing_column_is_named():
    items = items_frame(item(1, "INV/2026/00123", 1000.00)).drop(columns=["kind"])
    with pytest.raises(MatchingInputError, match="open_items lacks the column\\(s\\) kind"):
        match_bank_lines(lines_frame(line(100, 1000.00, "INV/2026/00123")), items)
    bad = items_frame(item(1, "INV/2026/00123", 1000.00)).assign(kind="voucher")
    with pytest.raises(MatchingInputError, match="unknown value\\(s\\) voucher"):
        match_bank_lines(lines_frame(line(100, 1000.00, "INV/2026/00123")), bad)


def test_config_is_checked():
    with pytest.raises(ValueError, match="medium < high"):
        MatchConfig(high=0.5, medium=0.6)


def test_high_threshold_follows_the_config():
    items = items_frame(item(1, "INV/2026/00101", 740.25))
    lines = lines_frame(line(100, 740.25, "Payment Azure Services", partner=5))
    assert best(match_bank_lines(lines, items), 100).level == "high"
    assert best(match_bank_lines(lines, items, config=MatchConfig(high=0.95)), 100).level == "medium"


def test_thousands_of_lines_against_tens_of_thousands_of_items_is_fast():
    rng = np.random.default_rng(3)
    n_items, n_lines = 20_000, 2_000
    partners = rng.integers(1, 300, n_items)
    cents = rng.integers(1_000, 900_000, n_items)
    items = pd.DataFrame({
        "id": np.arange(1, n_items + 1), "move_id": np.arange(1, n_items + 1),
        "move_name": [f"INV/2026/{i:05d}" for i in range(1, n_items + 1)], "ref": None, "move_type": "out_invoice",
        "partner_id": partners, "partner_name": [f"Customer {p}" for p in partners],
        "date": pd.Timestamp("2026-09-01"), "date_maturity": pd.Timestamp("2026-10-01"),
        "amount_residual": cents / 100.0, "account_id": 10, "kind": "invoice"})
    picks = rng.choice(n_items, n_lines, replace=False)
    lines = pd.DataFrame({
        "id": np.arange(1, n_lines + 1), "date": pd.Timestamp("2026-10-05"), "amount": cents[picks] / 100.0,
        "payment_ref": [f"INV/2026/{i + 1:05d}" if k % 4 else f"Payment Customer {partners[i]}"
                        for k, i in enumerate(picks)],
        "partner_id": partners[picks], "partner_name": None, "journal_id": 1, "move_id": 0, "currency": "EUR"})
    started = time.perf_counter()
    result = match_bank_lines(lines, items)
    assert time.perf_counter() - started < 10
    high = result.high()
    correct = sum(1 for m in high if m.best.item_ids == (int(picks[m.bank_line_id - 1]) + 1,))
    assert len(high) > 0.9 * n_lines and correct == len(high)


def test_config_from_settings_takes_the_high_threshold():
    from ledgerpilot.config import Settings

    config = MatchConfig.from_settings(Settings(close_match_high_confidence=0.95))
    assert config.high == 0.95 and config.medium == MatchConfig().medium


def test_one_partner_with_tens_of_thousands_of_items_stays_fast():
    rng = np.random.default_rng(5)
    n_items, n_lines = 30_000, 1_000
    cents = rng.integers(1_000, 9_000_000, n_items)
    items = pd.DataFrame({
        "id": np.arange(1, n_items + 1), "move_id": np.arange(1, n_items + 1),
        "move_name": [f"INV/2026/{i:05d}" for i in range(1, n_items + 1)], "ref": None, "move_type": "out_invoice",
        "partner_id": 5, "partner_name": "Azure Services", "date": pd.Timestamp("2026-09-01"),
        "date_maturity": pd.Timestamp("2026-10-01"), "amount_residual": cents / 100.0, "account_id": 10,
        "kind": "invoice"})
    picks = rng.choice(n_items, n_lines, replace=False)
    lines = pd.DataFrame({
        "id": np.arange(1, n_lines + 1), "date": pd.Timestamp("2026-10-05"), "amount": cents[picks] / 100.0,
        "payment_ref": "Payment Azure Services", "partner_id": 5, "partner_name": "Azure Services",
        "journal_id": 1, "move_id": 0, "currency": "EUR"})
    started = time.perf_counter()
    result = match_bank_lines(lines, items)
    assert time.perf_counter() - started < 10
    for match in result.high():
        assert match.best.item_ids == (int(picks[match.bank_line_id - 1]) + 1,)


def test_a_longer_partner_name_in_the_label_wins_over_the_name_inside_it():
    items = items_frame(item(1, "INV/2026/00101", 740.25, partner=7), item(2, "INV/2026/00102", 740.25, partner=8))
    items["partner_name"] = ["Quartz Interiors", "Quartz Interiors 65"]
    top = best(match_bank_lines(lines_frame(line(100, 740.25, "Quartz Interiors 65 transfer")), items), 100)
    assert top.item_ids == (2,) and top.level == "high"
