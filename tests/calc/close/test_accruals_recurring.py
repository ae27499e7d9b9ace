"""Recurring vendors without a bill this month, and prepaid-expense amortisation."""

from __future__ import annotations

from decimal import Decimal

from ledgerpilot.calc.close.accruals import propose_accruals
from ledgerpilot.calc.close.accruals.prepaid import coverage
from ledgerpilot.domain.month import Month
from tests.calc.close.accrual_books import (
    ACCRUED,
    ADMINISTRATION,
    EXPENSES,
    FEES,
    MONTH,
    OPERATIONS,
    PREPAID,
    SOFTWARE,
    UTILITIES,
    accrual_data,
    bill,
    entry_lines,
    entry_values,
    monthly_bills,
    prepaid_item,
)

SIX_MONTHS = ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10")
OPS = {str(OPERATIONS): 100.0}
ADMIN = {str(ADMINISTRATION): 100.0}


def _utility_history() -> list[dict]:
    """Officenet billed 1,390-1,500 every month; October's bill has two lines (utilities and software)."""
    rows = monthly_bills(1, 38, "Officenet Utilities", dict(zip(SIX_MONTHS[:5], (1450.0, 1500.0, 1420.0, 1480.0,
                                                                                  1460.0))), analytic=OPS)
    return rows + bill(6, 38, "Officenet Utilities", "2026-10-12", [(UTILITIES, 1000.0, OPS),
                                                                    (SOFTWARE, 390.0, ADMIN)])


def test_recurring_vendor_without_a_bill_gets_the_median_on_its_usual_accounts():
    result = propose_accruals(accrual_data(bills=_utility_history()), MONTH, run_id="r")
    accrual, reversal = result
    assert accrual.kind == "accrual" and reversal.kind == "reversal"
    assert entry_values(accrual)["ref"] == "Accrual 2026-11: bill not received from Officenet Utilities"
    assert entry_values(accrual)["date"] == "2026-11-30"
    # median of 1390, 1420, 1450, 1460, 1480, 1500 = (1450 + 1460) / 2 = 1455.00, split 1000 : 390
    lines = entry_lines(accrual)
    assert [(line["account_id"], line["debit"], line["credit"], line["analytic_distribution"]) for line in lines] == [
        (UTILITIES, Decimal("1046.76"), Decimal("0.00"), {str(OPERATIONS): Decimal("100.00")}),
        (SOFTWARE, Decimal("408.24"), Decimal("0.00"), {str(ADMINISTRATION): Decimal("100.00")}),
        (ACCRUED, Decimal("0.00"), Decimal("1455.00"), None)]
    assert all(line["partner_id"] == 38 for line in lines)
    figures = accrual.evidence.figures
    assert figures["median"] == Decimal("1455.00") and figures["months_billed"] == 6
    assert figures["template_bill"] == "BILL/6"
    assert "2026-10: 1390.00" in figures["calculation"] and "BILL/1 2026-05-12 1450.00" in figures["calculation"]
    records = {(r.model, r.id) for r in accrual.evidence.records}
    assert ("res.partner", 38) in records and {("account.move", i) for i in range(1, 7)} <= records
    assert entry_values(reversal)["date"] == "2026-12-01"


def test_vendor_accrued_by_hand_this_month_is_not_accrued_again():
    result = propose_accruals(accrual_data(bills=_utility_history(), accrued_partners={38: 4242}), MONTH, run_id="r")
    assert len(result) == 0
    assert result.skipped == (("Officenet Utilities: no bill in 2026-11, but entry 4242 already accrues for it on "
                              "212000 Accrued Expenses: not proposed again"),)


def test_irregular_vendor_is_not_accrued_and_says_why():
    amounts = dict(zip(SIX_MONTHS, (200.0, 2000.0, 50.0, 900.0, 1500.0, 320.0)))
    result = propose_accruals(accrual_data(bills=monthly_bills(1, 50, "Brightline Legal", amounts, account=FEES)),
                              MONTH, run_id="r")
    assert len(result) == 0
    assert any(reason.startswith("Brightline Legal: billed in 6 of the last 6 months but at irregular amounts")
               for reason in result.skipped)


def test_vendor_already_billed_this_month_or_billed_rarely_is_not_accrued():
    regular = dict(zip(SIX_MONTHS, (149.0,) * 6))
    billed_now = monthly_bills(1, 60, "Ledgerly SaaS", {**regular, "2026-11": 149.0}, account=SOFTWARE, day=5)
    rare = monthly_bills(20, 61, "Seasonal Rentals", dict(zip(SIX_MONTHS[3:], (300.0, 300.0, 300.0))))
    result = propose_accruals(accrual_data(bills=billed_now + rare), MONTH, run_id="r")
    assert len(result) == 0 and result.skipped == ()


def test_a_refund_does_not_count_as_a_month_billed():
    amounts = dict(zip(SIX_MONTHS, (149.0,) * 6))
    rows = monthly_bills(1, 60, "Ledgerly SaaS", amounts, account=SOFTWARE)
    rows += bill(30, 60, "Ledgerly SaaS", "2026-11-03", [(SOFTWARE, -20.0, None)])  # a credit note this month
    result = propose_accruals(accrual_data(bills=rows), MONTH, run_id="r")
    assert [p.kind for p in result] == ["accrual", "reversal"]
    assert entry_lines(result[0])[-1]["credit"] == Decimal("149.00")


def test_prepaid_share_of_the_month():
    prepaid = [
        prepaid_item(1, 500, "2026-09-15", 1200.0, "Insurance 12 months", analytic=ADMIN, partner_id=77),
        prepaid_item(2, 501, "2026-01-05", 1000.0, "Licence", ref="Software licence 2026-01 to 2026-12",
                     expense=SOFTWARE),
        prepaid_item(3, 502, "2026-07-01", 600.0, "Maintenance Q3 2026"),  # over before November
        prepaid_item(4, 503, "2026-10-31", -100.0, "Insurance 12 months: October"),  # booked by hand
        prepaid_item(5, 504, "2026-10-31", -583.30, "Licence amortisation to October"),
        prepaid_item(6, 505, "2026-09-30", -600.0, "Maintenance Q3 2026 amortised"),
    ]
    result = propose_accruals(accrual_data(prepaid=prepaid), MONTH, run_id="r")
    assert [p.kind for p in result] == ["adjusting_entry", "adjusting_entry"]  # no reversal of amortisation
    licence, insurance = result
    assert entry_values(licence)["ref"] == "Prepaid amortisation 2026-11: MISC/501"
    assert entry_values(insurance)["ref"] == "Prepaid amortisation 2026-11: MISC/500"
    # licence 1000.00 / 12: 83.34 for January to April, 83.33 after; insurance 1200.00 / 12 from September
    assert [(line["account_id"], line["debit"], line["credit"]) for line in entry_lines(licence)] == [
        (SOFTWARE, Decimal("83.33"), Decimal("0.00")), (PREPAID, Decimal("0.00"), Decimal("83.33"))]
    lines = entry_lines(insurance)
    assert [(line["account_id"], line["debit"], line["credit"]) for line in lines] == [
        (FEES, Decimal("100.00"), Decimal("0.00")), (PREPAID, Decimal("0.00"), Decimal("100.00"))]
    assert lines[0]["analytic_distribution"] == {str(ADMINISTRATION): Decimal("100.00")}
    assert lines[0]["partner_id"] == 77
    figures = insurance.evidence.figures
    assert figures["months"] == 12 and figures["month_index"] == 3 and figures["first_month"] == "2026-09"
    assert "1200.00 EUR over 12 months" in figures["calculation"]
    assert entry_values(insurance)["date"] == "2026-11-30"


def test_prepaid_share_never_exceeds_what_is_left_on_the_account():
    prepaid = [prepaid_item(1, 500, "2026-09-01", 300.0, "Support 3 months"),
               prepaid_item(2, 501, "2026-10-31", -250.0, "Support amortisation")]
    result = propose_accruals(accrual_data(prepaid=prepaid), MONTH, run_id="r")
    assert entry_lines(result[0])[0]["debit"] == Decimal("50.00")
    emptied = prepaid + [prepaid_item(3, 502, "2026-11-10", -50.0, "Support amortisation")]
    assert len(propose_accruals(accrual_data(prepaid=emptied), MONTH, run_id="r")) == 0


def test_prepaid_without_an_expense_account_or_already_booked():
    missing = [prepaid_item(1, 500, "2026-11-02", 120.0, "Subscription 12 months", expense=None)]
    result = propose_accruals(accrual_data(prepaid=missing), MONTH, run_id="r")
    assert len(result) == 0 and "no expense account known" in result.skipped[0]
    booked = [prepaid_item(1, 500, "2026-11-02", 120.0, "Subscription 12 months", expense=EXPENSES)]
    again = propose_accruals(accrual_data(prepaid=booked, existing={"Prepaid amortisation 2026-11: MISC/500": 9}),
                             MONTH, run_id="r")
    assert len(again) == 0 and "already booked (entry 9)" in again.skipped[0]


def test_coverage_is_read_from_the_label():
    booked = Month(2026, 3)
    assert coverage("Rent 2026-04 to 2026-09", booked, 12)[:2] == (Month(2026, 4), 6)
    assert coverage("Insurance Q4 2026", booked, 12)[:2] == (Month(2026, 10), 3)
    assert coverage("Audit fee FY 2027", booked, 12)[:2] == (Month(2027, 1), 12)
    assert coverage("Support 24 months", booked, 12)[:2] == (booked, 24)
    assert coverage("Prepayment", booked, 6)[:2] == (booked, 6)
