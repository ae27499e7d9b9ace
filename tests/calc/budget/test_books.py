"""Hand-made budget books where every cent is known, shared by the budget calculator tests.

As of 2026-11-16 the fourth quarter (1 Oct - 31 Dec 2026, 92 days) has 46 whole days behind it and
46 ahead. Analytic accounts: Marketing (10) and IT (11) in the Departments plan, Website (20) in
Projects. General accounts: 600 purchases, 611 rent, 613 software, 400 revenue.

Budget 1 "Budget 2026" (owner Clara Controller, user 7), Odoo signs (expense negative):

=====  ==========================  ======  =========  =====================================
line   analytic / position         period  planned    what happens
=====  ==========================  ======  =========  =====================================
1      Marketing / Purchases [600] Q4      -10000.00  linear, commitments incl. a 60/40 split
2      IT / Software [613]         Q4      -20000.00  seasonal (last year 25% before 16 Nov) -> high
3      IT / Rent [611]             Q4       -8500.00  seasonal -> 5.88% over -> medium
4      Marketing / Software [613]  Q3       -8000.00  period over, 6000.00 unused -> the donor
5      Marketing / Rent [611]      Q4       -1950.00  linear -> 2.56% over -> note
6      Marketing / Revenue [400]   Q4      +30000.00  income, linear -> 33.3% short -> high
=====  ==========================  ======  =========  =====================================

Budget 2 "Projects 2026": line 7, Website / all accounts, Q4, -10000.00.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ledgerpilot.calc.budget.frames import (
    BUDGET_LINE_COLUMNS,
    BudgetData,
    BudgetSourceInfo,
    conform,
    empty_frame,
)

AS_OF = dt.date(2026, 11, 16)
Q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
Q4 = (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
MARKETING, IT, WEBSITE = 10, 11, 20
PURCHASES, RENT, SOFTWARE, REVENUE = 600, 611, 613, 400
NAMES = {MARKETING: "Marketing", IT: "IT", WEBSITE: "Website"}
POSITIONS = {PURCHASES: (1, "Purchases"), RENT: (2, "Rent"), SOFTWARE: (3, "Software"), REVENUE: (4, "Revenue")}
OWNER = (7, "Clara Controller")


def line(line_id, account, general, period, planned, *, budget=(1, "Budget 2026"), state="validate",
         owner=OWNER) -> dict:
    position_id, position_name = POSITIONS[general] if general else (None, None)
    return {"line_id": line_id, "budget_id": budget[0], "budget_name": budget[1], "budget_state": state,
            "analytic_account_id": account, "analytic_account_name": NAMES.get(account),
            "position_id": position_id, "position_name": position_name,
            "position_account_ids": [general] if general else [], "date_from": period[0], "date_to": period[1],
            "planned_amount": planned, "owner_id": owner[0] if owner else None,
            "owner_name": owner[1] if owner else None}


def actual(row_id, day, account, general, amount, *, source="analytic_line", move_id=None) -> dict:
    return {"id": row_id, "source": source, "date": day, "analytic_account_id": account,
            "general_account_id": general, "amount": amount, "move_id": move_id or row_id + 5000,
            "move_name": f"BILL/{row_id}", "partner_name": "Vendor", "label": f"row {row_id}"}


def commitment(po_line_id, order_id, account, amount, planned_day, *, general=PURCHASES, share=1.0,
               state="purchase", partner="Supplier") -> dict:
    return {"po_line_id": po_line_id, "order_id": order_id, "order_name": f"P{order_id:05d}",
            "order_state": state, "partner_name": partner, "analytic_account_id": account, "share": share,
            "amount": amount, "date_planned": planned_day, "general_account_id": general}


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


BUDGET_LINES = [
    line(1, MARKETING, PURCHASES, Q4, -10000.00),
    line(2, IT, SOFTWARE, Q4, -20000.00),
    line(3, IT, RENT, Q4, -8500.00),
    line(4, MARKETING, SOFTWARE, Q3, -8000.00),
    line(5, MARKETING, RENT, Q4, -1950.00),
    line(6, MARKETING, REVENUE, Q4, 30000.00),
    line(7, WEBSITE, None, Q4, -10000.00, budget=(2, "Projects 2026")),
]

ACTUALS = [
    # Marketing purchases (line 1): 2500.00 + 1234.56 + the 60% share 600.00 of move line 201 = 4334.56
    actual(101, d("2026-10-05"), MARKETING, PURCHASES, -2500.00),
    actual(102, d("2026-11-02"), MARKETING, PURCHASES, -1234.56),
    actual(201, d("2026-11-10"), MARKETING, PURCHASES, -600.00, source="move_line", move_id=900),
    actual(201, d("2026-11-10"), IT, PURCHASES, -400.00, source="move_line", move_id=900),   # the 40% share
    actual(104, d("2026-09-30"), MARKETING, PURCHASES, -500.00),     # Q3: not in line 1
    actual(105, d("2026-11-17"), MARKETING, PURCHASES, -100.00),     # after as_of
    # Marketing rent (line 5): 999.99
    actual(103, d("2026-10-20"), MARKETING, RENT, -999.99),
    # IT software (line 2): 6000.00 this year; last year 3000.00 before 16 Nov and 9000.00 after
    actual(110, d("2026-10-12"), IT, SOFTWARE, -4000.00),
    actual(111, d("2026-11-03"), IT, SOFTWARE, -2000.00),
    actual(112, d("2025-10-15"), IT, SOFTWARE, -3000.00),
    actual(113, d("2025-12-10"), IT, SOFTWARE, -9000.00),
    # IT rent (line 3): 3000.00 a month, last year too
    actual(120, d("2026-10-01"), IT, RENT, -3000.00),
    actual(121, d("2026-11-01"), IT, RENT, -3000.00),
    actual(122, d("2025-10-01"), IT, RENT, -3000.00),
    actual(123, d("2025-11-01"), IT, RENT, -3000.00),
    actual(124, d("2025-12-01"), IT, RENT, -3000.00),
    # Marketing software in Q3 (line 4): 2000.00
    actual(130, d("2026-08-01"), MARKETING, SOFTWARE, -2000.00),
    # Marketing revenue (line 6): 10000.00 earned
    actual(140, d("2026-10-15"), MARKETING, REVENUE, 10000.00),
    # Website project (line 7): costs 2000.00 + 1000.00, revenue 5000.00
    actual(150, d("2026-10-10"), WEBSITE, PURCHASES, -2000.00),
    actual(151, d("2026-11-05"), WEBSITE, SOFTWARE, -1000.00),
    actual(152, d("2026-11-01"), WEBSITE, REVENUE, 5000.00),
]

COMMITMENTS = [
    # 10 units at 100.00 ordered, 4 billed: 600.00 still to bill, due after as_of
    commitment(301, 31, MARKETING, 600.00, d("2026-11-25")),
    # 250.00 left to bill, split 60/40; planned in the past, so billed now (in Q4)
    commitment(302, 32, MARKETING, 150.00, d("2026-10-10"), share=0.6),
    commitment(302, 32, IT, 100.00, d("2026-10-10"), share=0.4),          # IT has no purchases line
    commitment(303, 33, MARKETING, 700.00, d("2027-01-15")),              # next year: no line
    commitment(304, 34, IT, 1000.00, d("2026-12-01"), general=SOFTWARE),
    commitment(305, 35, WEBSITE, 500.00, d("2026-12-15")),
    commitment(306, 36, MARKETING, 300.00, d("2026-12-10"), general=None),  # account unknown -> line 1
]

ANALYTIC_ACCOUNTS = [
    {"id": MARKETING, "name": "Marketing", "code": "DEPT010", "plan_id": 2, "plan_name": "Departments"},
    {"id": IT, "name": "IT", "code": "DEPT011", "plan_id": 2, "plan_name": "Departments"},
    {"id": WEBSITE, "name": "Website", "code": "PROJ020", "plan_id": 1, "plan_name": "Projects"},
]

PROJECTS = [
    {"project_id": 70, "name": "Website Relaunch", "analytic_account_id": WEBSITE, "manager_id": 8,
     "manager_name": "Pia Projects", "date_start": d("2026-10-01"), "date_end": d("2026-12-31")},
    {"project_id": 71, "name": "No Account", "analytic_account_id": None, "manager_id": None,
     "manager_name": None, "date_start": None, "date_end": None},
]


def frame(name: str, rows: list[dict]) -> pd.DataFrame:
    return conform(name, pd.DataFrame(rows)) if rows else empty_frame(name)


def books(*, budget_lines=None, actuals=None, commitments=None, projects=None, kind="crossovered",
          today=AS_OF) -> BudgetData:
    """The books above, or with any frame's rows replaced."""
    return BudgetData(
        company_name="Demo SA", currency="EUR", digits=2, today=today,
        source=BudgetSourceInfo(kind=kind, reason=f"{kind} budgets (hand-made)"),
        budget_lines=frame("budget_lines", BUDGET_LINES if budget_lines is None else budget_lines),
        actuals=frame("actuals", ACTUALS if actuals is None else actuals),
        commitments=frame("commitments", COMMITMENTS if commitments is None else commitments),
        analytic_accounts=frame("analytic_accounts", ANALYTIC_ACCOUNTS),
        projects=frame("projects", PROJECTS if projects is None else projects),
        period_start=Q4[0], period_end=Q4[1])


def po(rows: list[dict]) -> pd.DataFrame:
    return frame("commitments", rows)


def test_books_follow_the_frame_contract():
    data = books()
    assert tuple(data.budget_lines.columns) == BUDGET_LINE_COLUMNS
    assert str(data.actuals["date"].dtype) == "datetime64[ns]"
    assert str(data.commitments["analytic_account_id"].dtype) == "Int64"
    assert data.budget_lines.loc[0, "position_account_ids"] == [PURCHASES]
    assert data.budget_lines.loc[6, "position_account_ids"] == []
    assert pd.isna(data.commitments.loc[6, "general_account_id"])
