"""``ledgerpilot eval payment-delays`` end to end: real subprocesses, a CSV file and the real sandbox."""

from __future__ import annotations

import json

import pytest

from tests.channels.conftest import run_cli
from tests.conftest import DEMO_TODAY

CSV = """partner,invoice_date,due_date,amount,paid_date
Acme,2024-01-01,2024-01-31,100.00,2024-02-05
Acme,2024-02-01,2024-03-02,100.00,2024-03-07
Acme,2024-03-01,2024-03-31,100.00,2024-04-05
Acme,2024-04-01,2024-05-01,100.00,2024-05-06
Beta,2024-01-15,2024-02-14,80.00,2024-02-14
Beta,2024-02-15,2024-03-16,80.00,2024-03-28
Beta,2024-03-15,2024-04-14,80.00,2024-04-14
Beta,2024-04-15,2024-05-15,80.00,2024-05-15
"""


@pytest.fixture()
def history_csv(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_csv_json_schema(history_csv, cli_env):
    result = run_cli("eval", "payment-delays", "--csv", str(history_csv), "--json", "--from", "2024-04-01",
                     env=cli_env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"source", "kinds", "start", "end", "invoices", "partners", "refits", "methods", "best"}
    assert data["kinds"] == ["receivable"] and data["invoices"] == 2 and data["start"] == "2024-04-01"
    methods = {m["method"]: m for m in data["methods"]}
    assert set(methods) == {"model", "due_date", "running_mean"}
    for m in methods.values():
        assert set(m) == {"method", "label", "mae_days", "within_7_days", "bias_days", "invoices"}
    # scored: Acme's April invoice (5 days late) and Beta's (on time). Running mean: Acme 5 (two invoices
    # paid before 1 April), Beta (0 + 12 + 0) / 3 = 4 (three paid before 15 April, one 12 days late)
    assert methods["due_date"]["mae_days"] == 2.5
    assert methods["running_mean"]["mae_days"] == 2.0
    # two scored invoices say nothing about which method is better; the winner is the lowest MAE
    assert methods["model"]["mae_days"] >= 0.0
    assert data["best"] == min(methods.values(), key=lambda m: (m["mae_days"], m["method"]))["method"]


def test_csv_table_for_people(history_csv, cli_env):
    result = run_cli("eval", "payment-delays", "--csv", str(history_csv), "--from", "2024-04-01", env=cli_env)
    assert result.returncode == 0, result.stderr
    for text in ("Payment delays", "payment-behaviour model", "paid on the due date",
                 "partner's running mean delay", "MAE (days)", "within ±7 days", "2 paid invoices", "Best: "):
        assert text in result.stdout


def test_malformed_csv_exits_1_naming_line_and_column(tmp_path, cli_env):
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV.replace("2024-03-16,80.00", "2024-03-16,eighty"), encoding="utf-8")
    assert "2024-03-16,eighty" in bad.read_text()
    result = run_cli("eval", "payment-delays", "--csv", str(bad), env=cli_env)
    assert result.returncode == 1
    assert "line 7, column 'amount': 'eighty' is not a number" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_options_exit_2(history_csv, cli_env):
    result = run_cli("eval", "payment-delays", "--csv", str(history_csv), "--kind", "customers", env=cli_env)
    assert result.returncode == 2 and "--kind must be one of receivable, payable, all" in result.stderr
    result = run_cli("eval", "payment-delays", "--csv", str(history_csv), "--as-of", "18/11/2026", env=cli_env)
    assert result.returncode == 2 and "--as-of '18/11/2026' is not a date" in result.stderr


@pytest.mark.slow
def test_against_the_configured_odoo(sandbox, cli_env):
    cli_env.update(LEDGERPILOT_ODOO_URL=sandbox.url, LEDGERPILOT_ODOO_DB=sandbox.db,
                   LEDGERPILOT_ODOO_USER="readonly", LEDGERPILOT_ODOO_PASSWORD="readonly")
    result = run_cli("eval", "payment-delays", "--json", "--as-of", DEMO_TODAY.isoformat(), env=cli_env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    scores = {m["method"]: m["mae_days"] for m in data["methods"]}
    assert data["invoices"] > 300
    assert scores["model"] < min(scores["due_date"], scores["running_mean"])
    assert sandbox.db in data["source"]
