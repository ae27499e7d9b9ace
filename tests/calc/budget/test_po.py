"""Does a purchase order fit the remaining budget? On the hand-made books (test_books.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgerpilot.calc.budget import EmptyPurchaseOrderError, check_po
from tests.calc.budget.test_books import AS_OF, IT, MARKETING, SOFTWARE, books, commitment, d, po

D = Decimal


def test_split_order_fits_marketing_and_says_it_has_no_budget_for_it():
    # 2000.00 to bill, 60% Marketing purchases and 40% IT (which has no purchases line)
    order = po([commitment(401, 40, MARKETING, 1200.00, d("2026-12-05"), share=0.6, state="draft"),
                commitment(401, 40, IT, 800.00, d("2026-12-05"), share=0.4, state="draft")])
    check = check_po(books(), order, AS_OF)
    assert (check.order_name, check.order_state, check.total, check.unallocated) == (
        "P00040", "draft", D("2000.00"), D("0.00"))
    marketing, it = check.accounts
    assert (marketing.analytic_account_name, marketing.amount, marketing.line_key) == ("Marketing", D("1200.00"), "1/1")
    assert marketing.available_before == D("4615.44")         # 10000.00 - 4334.56 - 1050.00
    assert marketing.available_after == D("3415.44")
    assert marketing.fits is True
    assert "remaining 4,615.44; this order adds 1,200.00 -> fits: 3,415.44 remains" in marketing.reason
    assert (it.analytic_account_name, it.amount, it.fits, it.line_key) == ("IT", D("800.00"), None, None)
    assert "no expense budget line covers" in it.reason
    assert check.fits is None and "some analytic accounts have no budget line" in check.reason


def test_order_that_does_not_fit():
    order = po([commitment(410, 41, IT, 15000.00, d("2026-12-20"), general=SOFTWARE, state="draft")])
    check = check_po(books(), order, AS_OF)
    (software,) = check.accounts
    assert software.line_key == "1/2"
    assert (software.available_before, software.available_after) == (D("13000.00"), D("-2000.00"))
    assert software.fits is False and check.fits is False
    assert "does not fit: 2,000.00 EUR over the budget" in software.reason
    assert "does not fit the budget of IT" in check.reason


def test_confirmed_order_is_not_counted_twice():
    # P00034 is already among the commitments of IT software (1000.00)
    check = check_po(books(), po([commitment(304, 34, IT, 1000.00, d("2026-12-01"), general=SOFTWARE)]), AS_OF)
    (software,) = check.accounts
    assert software.available_before == D("14000.00")          # 20000.00 - 6000.00, without its own 1000.00
    assert software.available_after == D("13000.00")
    assert check.fits is True and "fits the remaining budget of every analytic account" in check.reason


def test_order_without_analytic_distribution():
    order = po([commitment(420, 42, None, 1000.00, d("2026-12-01"), general=SOFTWARE, state="draft")])
    check = check_po(books(), order, AS_OF)
    assert check.accounts == () and check.fits is None
    assert (check.unallocated, check.unallocated_po_line_ids) == (D("1000.00"), (420,))
    assert "has no analytic distribution" in check.reason


def test_partly_distributed_order_says_what_is_charged_to_no_budget():
    order = po([commitment(430, 43, MARKETING, 100.00, d("2026-12-01"), state="draft"),
                commitment(431, 43, None, 50.00, d("2026-12-01"), state="draft")])
    check = check_po(books(), order, AS_OF)
    assert check.fits is True and check.total == D("150.00")
    assert "50.00 EUR of it has no analytic distribution" in check.reason


def test_an_order_planned_in_the_past_is_checked_against_the_current_period():
    order = po([commitment(440, 44, MARKETING, 100.00, d("2026-08-01"), state="draft")])
    (marketing,) = check_po(books(), order, AS_OF).accounts
    assert marketing.line_key == "1/1" and marketing.date == AS_OF


def test_an_order_without_lines_is_an_error():
    with pytest.raises(EmptyPurchaseOrderError, match="no lines left to bill"):
        check_po(books(), po([]), AS_OF)
