"""The CSV and YAML budget files: periods, signs, account matching, and errors naming the line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from ledgerpilot.calc.budget.frames import FRAMES
from ledgerpilot.tools.budget.errors import BudgetFileError
from ledgerpilot.tools.budget.file import read_budget_file, resolve_budget_rows

ACCOUNTS = pd.DataFrame({"id": [1, 2, 3, 4], "name": ["Sales", "Operations", "Website", "Website"],
                         "code": ["DEPT001", "DEPT002", "PRJ1", "PRJ2"], "plan_id": [2, 2, 1, 1],
                         "plan_name": ["Departments", "Departments", "Projects", "Projects"]})
CODES = {"600000": 10, "612000": 11, "400000": 12}


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_periods_signs_and_accounts(tmp_path):
    path = write(tmp_path, "budget.csv",
                 "analytic_account,period,date_from,date_to,amount,type,position,accounts,owner,budget\n"
                 "DEPT001,2026-02,,,1200.50,,Travel,600000;612000,Ann,Plan 2026\n"
                 "# a comment line\n"
                 "operations,2026-Q3,,,9000,expense,,,,\n"
                 "\n"
                 "Sales,,2026-01-15,2026-06-14,500,revenue,,400000,,Plan 2026\n"
                 "PRJ2,2026,,,100,,,,,\n")
    rows = read_budget_file(path)
    assert [row.line for row in rows] == [2, 4, 6, 7]
    assert (rows[0].date_from, rows[0].date_to) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert (rows[1].date_from, rows[1].date_to) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert rows[0].amount == Decimal("1200.50") and rows[0].account_codes == ("600000", "612000")
    lines = resolve_budget_rows(path, rows, ACCOUNTS, CODES)
    assert tuple(lines.columns) == FRAMES["budget_lines"]
    assert lines["analytic_account_id"].tolist() == [1, 2, 1, 4]
    assert lines["planned_amount"].tolist() == [-1200.5, -9000.0, 500.0, -100.0]
    assert lines["position_account_ids"].tolist() == [[10, 11], [], [12], []]
    assert lines["budget_name"].tolist() == ["Plan 2026", "budget", "Plan 2026", "budget"]
    assert lines["budget_id"].tolist() == [1, 2, 1, 2]
    assert lines["owner_name"].tolist()[0] == "Ann"
    assert lines["line_id"].tolist() == [2, 4, 6, 7]
    assert str(lines["date_from"].dtype) == "datetime64[ns]"


def test_period_filter(tmp_path):
    path = write(tmp_path, "b.csv", "analytic_account,period,amount\nSales,2025-12,1\nSales,2026-01,2\n")
    lines = resolve_budget_rows(path, read_budget_file(path), ACCOUNTS, CODES, dt.date(2026, 1, 1),
                                dt.date(2026, 3, 31))
    assert lines["planned_amount"].tolist() == [-2.0]
    assert resolve_budget_rows(path, read_budget_file(path), ACCOUNTS, CODES, dt.date(2027, 1, 1),
                               dt.date(2027, 3, 31)).empty


def test_yaml_list_and_mapping_forms(tmp_path):
    listed = write(tmp_path, "a.yaml", "- analytic_account: DEPT002\n  period: 2026-Q1\n  amount: 3000\n"
                                      "  accounts: [600000, '612000']\n")
    rows = read_budget_file(listed)
    assert rows[0].account_codes == ("600000", "612000") and rows[0].line == 1
    mapped = write(tmp_path, "b.yml", "budget: Departments 2026\nowner: Chloe\nlines:\n"
                                      "  - analytic_account: Sales\n    period: 2026-05\n    amount: 10\n"
                                      "  - analytic_account: Operations\n    date_from: 2026-01-01\n"
                                      "    date_to: 2026-12-31\n    amount: 1_000\n    owner: Omar\n")
    rows = read_budget_file(mapped)
    assert [row.line for row in rows] == [4, 7]
    assert [row.budget for row in rows] == ["Departments 2026"] * 2
    assert [row.owner for row in rows] == ["Chloe", "Omar"]
    assert rows[1].amount == Decimal(1000) and rows[1].date_to == dt.date(2026, 12, 31)


@pytest.mark.parametrize(("text", "line", "message"), [
    ("analytic_account,period,amount\nSales,2026-13,5\n", 2, "month 13"),
    ("analytic_account,period,amount\nSales,next year,5\n", 2, "not YYYY-MM"),
    ("analytic_account,period,amount\nSales,2026-01,-5\n", 2, "negative"),
    ("analytic_account,period,amount\nSales,2026-01,lots\n", 2, "not a number"),
    ("analytic_account,period,amount\nSales,2026-01,NaN\n", 2, "not a number"),
    ("analytic_account,period,amount\nSales,2026-01\n", 2, "2 values for 3 columns"),
    ("analytic_account,period,amount\n,2026-01,5\n", 2, "no analytic_account"),
    ("analytic_account,period,amount\nSales,,5\n", 2, "no period"),
    ("analytic_account,period,amount\nSales,2026-01,\n", 2, "no amount"),
    ("analytic_account,date_from,date_to,amount\nSales,2026-02-01,2026-01-01,5\n", 2, "before date_from"),
    ("analytic_account,date_from,date_to,amount\nSales,2026-02-30,2026-03-01,5\n", 2, "not a date"),
    ("analytic_account,date_from,amount\nSales,2026-02-01,5\n", 2, "no date_to"),
    ("analytic_account,period,date_from,date_to,amount\nSales,2026-01,2026-01-01,2026-01-31,5\n", 2,
     "either period"),
    ("analytic_account,period,amount,type\nSales,2026-01,5,cost\n", 2, "neither expense nor revenue"),
    ("analytic_account,period,amount,colour\nSales,2026-01,5,red\n", 1, "unknown column colour"),
])
def test_malformed_csv_names_the_line(tmp_path, text, line, message):
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(BudgetFileError, match=message) as caught:
        read_budget_file(path)
    assert caught.value.line == line
    assert f"bad.csv, line {line}" in str(caught.value)


@pytest.mark.parametrize(("text", "line", "message"), [
    ("- analytic_account: Sales\n  period: 2026-01\n  amount: 5\n- just text\n", 4, "must be a mapping"),
    ("- analytic_account: Sales\n  period: 2026-01\n  amount: 5\n  colour: red\n", 1, "unknown key colour"),
    ("- analytic_account: Sales\n  period: 2026-Q5\n  amount: 5\n", 1, "not YYYY-MM"),
    ("- analytic_account: Sales\n  period: 2026-01\n\tamount: 5\n", 3, "not valid YAML"),
    ("budget: x\n", 1, "'lines:'"),
    ("lines:\n  - analytic_account: Sales\n    amount: 5\n", 2, "no period"),
    ("lines: 5\nbudget: x\n", 1, "must be a list"),
    ("lines: []\nextra: 1\n", 1, "unknown top-level key extra"),
])
def test_malformed_yaml_names_the_line(tmp_path, text, line, message):
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(BudgetFileError, match=message) as caught:
        read_budget_file(path)
    assert caught.value.line == line


@pytest.mark.parametrize(("text", "line", "message"), [
    ("analytic_account,period,amount\nSales,2026-01,5\nMarketing,2026-01,5\n", 3, "no analytic account .*Marketing"),
    ("analytic_account,period,amount\nWebsite,2026-01,5\n", 2, "2 analytic accounts are named 'Website'"),
    ("analytic_account,period,amount,accounts\nSales,2026-01,5,600000 999999\n", 2, "unknown account code 999999"),
])
def test_unresolvable_rows_name_the_line(tmp_path, text, line, message):
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(BudgetFileError, match=message) as caught:
        resolve_budget_rows(path, read_budget_file(path), ACCOUNTS, CODES)
    assert caught.value.line == line


def test_file_level_errors(tmp_path):
    with pytest.raises(BudgetFileError, match="does not exist"):
        read_budget_file(tmp_path / "missing.csv")
    with pytest.raises(BudgetFileError, match="unknown file type .json"):
        read_budget_file(write(tmp_path, "b.json", "{}"))
    with pytest.raises(BudgetFileError, match="empty"):
        read_budget_file(write(tmp_path, "e.csv", ""))
    with pytest.raises(BudgetFileError, match="no budget line"):
        read_budget_file(write(tmp_path, "h.csv", "analytic_account,period,amount\n"))
    with pytest.raises(BudgetFileError, match="no budget line"):
        read_budget_file(write(tmp_path, "n.yaml", "# nothing\n"))
    (tmp_path / "latin.csv").write_bytes("analytic_account,period,amount\nVentes é,2026-01,1\n".encode("latin-1"))
    with pytest.raises(BudgetFileError, match="not UTF-8"):
        read_budget_file(tmp_path / "latin.csv")
