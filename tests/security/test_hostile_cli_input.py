"""Threat: values given on the command line or in files crash ledgerpilot or slip absurd figures through.

The probe: `budget --period 0000-01` gave a traceback; `forecast --scenario sales_change:nan` (or `1e309`) exited
0 with absurd balances and NaN in --json; a binary file as `eval payment-delays --csv` gave a UnicodeDecodeError
traceback. Now years outside 1900-2999, NaN, infinities and overflowing numbers, and files that are not UTF-8
text are each refused with a one-line error and the documented exit code (2 usage, 1 bad data). The property
test in test_cli_option_fuzzing.py throws arbitrary text at every option.
"""

from __future__ import annotations

import pytest

from tests.channels.conftest import odoo_env_for, run_cli


def _one_line_error(done, code: int, *words: str) -> None:
    assert done.returncode == code, (done.returncode, done.stdout[-500:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("args", [
    ["budget", "--period", "0000-01"], ["budget", "--period", "3000"], ["budget", "--period", "1899-Q4"],
    ["budget", "burn", "Project", "--period", "0000-01"],
    ["close", "checks", "--period", "0000-10"], ["close", "status", "--period", "9999-12"],
    ["overview", "--as-of", "0001-01-01"], ["forecast", "--as-of", "9999-12-31"],
    ["forecast", "backtest", "--from", "1000-01-01"], ["anomalies", "scan", "--since", "0001-01-01"],
    ["anomalies", "scan", "--today", "3000-01-01"], ["eval", "payment-delays", "--as-of", "0100-01-01"],
])
def test_years_outside_1900_to_2999_are_usage_errors(sandbox, tmp_path, args):
    done = run_cli(*args, env=odoo_env_for(sandbox, tmp_path / "home"))
    _one_line_error(done, 2)
    assert "1900" in done.stderr and "2999" in done.stderr


@pytest.mark.parametrize("scenario", ["sales_change:nan", "sales_change:1e309", "sales_change:inf",
                                      "sales_change:-inf", "sales_change:1e300", "delay_collections:99999999999",
                                      "defer_po:P00001:10000000000000"])
def test_non_finite_or_overflowing_scenarios_are_usage_errors(sandbox, tmp_path, scenario):
    done = run_cli("forecast", "--scenario", scenario, "--json", env=odoo_env_for(sandbox, tmp_path / "home"))
    _one_line_error(done, 2, "scenario")
    assert "NaN" not in done.stdout and "Infinity" not in done.stdout


@pytest.mark.parametrize("option,value", [("--threshold", "9" * 400), ("--surplus-level", "1" + "0" * 30),
                                          ("--threshold", "nan"), ("--threshold", "1e309")])
def test_absurd_thresholds_are_usage_errors(sandbox, tmp_path, option, value):
    done = run_cli("forecast", option, value, env=odoo_env_for(sandbox, tmp_path / "home"))
    _one_line_error(done, 2)


@pytest.mark.parametrize("variable,value", [("LEDGERPILOT_CASH_THRESHOLD", "nan"),
                                            ("LEDGERPILOT_CASH_THRESHOLD", "inf"),
                                            ("LEDGERPILOT_BUDGET_HIGH_OVERSPEND", "1e309"),
                                            ("LEDGERPILOT_ANOMALY_MIN_SCORE", "nan")])
def test_non_finite_settings_are_configuration_errors(sandbox, tmp_path, variable, value):
    env = odoo_env_for(sandbox, tmp_path / "home")
    env[variable] = value
    done = run_cli("forecast", "--json", env=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr and variable in done.stderr, done.stderr


@pytest.mark.parametrize("option,value", [("--min-score", "nan"), ("--min-score", "inf"), ("--min-score", "1e309")])
def test_non_finite_option_numbers_are_usage_errors(sandbox, tmp_path, option, value):
    done = run_cli("anomalies", "scan", option, value, env=odoo_env_for(sandbox, tmp_path / "home"))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("content", [bytes(range(256)) * 40, b"\x89PNG\r\n\x1a\n" + b"\x00" * 500,
                                     "partner,invoice_date\n".encode("utf-16"), b"partner,invo\x00ice_date\n"])
def test_a_binary_or_non_utf8_csv_is_a_one_line_error(tmp_path, content):
    path = tmp_path / "history.csv"
    path.write_bytes(content)
    env = odoo_env_for(type("H", (), {"url": "http://127.0.0.1:9", "db": "x"})(), tmp_path / "home")
    done = run_cli("eval", "payment-delays", "--csv", str(path), env=env)
    _one_line_error(done, 1, str(path))


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
@pytest.mark.parametrize("content", [bytes(range(256)) * 20, "account,budget\n".encode("utf-16"),
                                     b"analytic_account: [\x00\n",
                                     b"analytic_account,date_from,date_to,amount\nOps,0000-01-01,2026-12-31,nan\n"])
def test_a_binary_or_malformed_budget_file_is_refused_in_words(tmp_path, suffix, content):
    """The budget file (read when the database has no budget module) is refused with a sentence naming it."""
    from ledgerpilot.errors import LedgerpilotError
    from ledgerpilot.tools.budget.file import read_budget_file

    path = tmp_path / f"budget{suffix}"
    path.write_bytes(content)
    with pytest.raises(LedgerpilotError) as refused:
        read_budget_file(path)
    assert str(path) in str(refused.value) and "\n" not in str(refused.value).strip()
