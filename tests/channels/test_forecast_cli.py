"""``ledgerpilot forecast`` / ``forecast backtest`` / ``forecast compare`` / ``demo``: real subprocesses
against the real sandbox, state in a temporary LEDGERPILOT_HOME."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerpilot.memory import ForecastRunStore, ProposalStore, StateDB
from tests.channels.conftest import run_cli
from tests.conftest import DEMO_SCALE, DEMO_SEED, DEMO_TODAY

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture()
def odoo_env(sandbox, tmp_path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERPILOT_")}
    env.update(LEDGERPILOT_HOME=str(tmp_path / "home"), COLUMNS="160", LEDGERPILOT_ODOO_URL=sandbox.url,
               LEDGERPILOT_ODOO_DB=sandbox.db, LEDGERPILOT_ODOO_USER="admin", LEDGERPILOT_ODOO_PASSWORD="admin")
    return env


def _json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_forecast_json_schema_invariants_chart_and_stored_run(odoo_env, tmp_path):
    chart = tmp_path / "out" / "forecast.png"
    args = ("forecast", "--json", "--as-of", DEMO_TODAY.isoformat(), "--threshold", "10000000 EUR",
            "--scenario", "delay_collections:14", "--chart", str(chart))
    data = _json(run_cli(*args, env=odoo_env))
    assert data["as_of"] == DEMO_TODAY.isoformat() and data["currency"] == "EUR" and data["weeks"] == 13
    for key in ("run_id", "company", "odoo", "inputs_hash", "opening_balance", "threshold", "lowest", "breaches",
                "weekly", "assumptions", "scenarios", "proposals", "new_proposals", "timings", "chart", "forecast"):
        assert key in data, key
    weekly = data["weekly"]
    assert len(weekly) == 13 and Decimal(weekly[0]["opening"]) == Decimal(data["opening_balance"])
    for week, following in zip(weekly, weekly[1:] + [None]):
        opening, inflows, outflows = (Decimal(week[k]) for k in ("opening", "inflows", "outflows"))
        assert opening + inflows - outflows == Decimal(week["closing"])
        assert Decimal(week["p10"]) <= Decimal(week["p90"])
        if following:
            assert Decimal(following["opening"]) == Decimal(week["closing"])
        assert {"source_model", "source_id", "amount", "week_amount"} <= set(week["drivers"][0]) if week["drivers"] \
            else True
        for driver in week["drivers"]:       # what the week expects of the document, never more than it is
            assert abs(Decimal(driver["week_amount"])) <= abs(Decimal(driver["amount"])) + Decimal("0.01")
    recurring = {f["source_name"] for f in data["forecast"]["flows"]     # learned from the bank (not run-rate)
                 if f["category"] == "recurring" and f["source_model"] == "account.move.line"}
    assert "Salaries Payable (230000), monthly" in recurring, recurring        # named by account, not a bank label
    assert all(name.endswith((", weekly", ", monthly", ", quarterly")) for name in recurring), recurring
    lowest = min(Decimal(d["closing"]) for d in data["forecast"]["days"])
    assert Decimal(data["lowest"]["balance"]) == lowest
    assert data["breaches"] == list(range(1, 14))            # a threshold of ten million: every week breaches
    assert data["assumptions"]
    [scenario] = data["scenarios"]
    assert scenario["kind"] == "delay_collections" and Decimal(scenario["lowest_difference"]) <= 0

    # the shortfall calls for follow-ups, stored as proposed and tied to the run
    assert data["proposals"] and data["new_proposals"] == len(data["proposals"])
    assert {p["kind"] for p in data["proposals"]} == {"activity"}
    assert all(p["state"] == "proposed" and p["run_id"] == data["run_id"] for p in data["proposals"])
    assert all(p["payload"]["model"] == "mail.activity" for p in data["proposals"])

    assert data["chart"] == str(chart) and chart.read_bytes()[:8] == PNG_MAGIC

    with StateDB.in_home(Path(odoo_env["LEDGERPILOT_HOME"])) as db:
        run = ForecastRunStore(db).get(data["run_id"])
        assert run.as_of == DEMO_TODAY and run.inputs_hash == data["inputs_hash"] and len(run.inputs_hash) == 64
        assert run.odoo_db == odoo_env["LEDGERPILOT_ODOO_DB"] and run.params["threshold"] == 10000000.0
        assert run.params["scenarios"][0]["kind"] == "delay_collections"
        assert run.result["lowest_balance"] == data["lowest"]["balance"]
        assert len(ProposalStore(db).list(run_id=data["run_id"])) == len(data["proposals"])

    # the same forecast again: same figures (seeded), a new run, no duplicate proposals
    again = _json(run_cli(*args[:-2], env=odoo_env))
    assert again["run_id"] != data["run_id"] and again["weekly"] == data["weekly"]
    assert again["new_proposals"] == 0
    assert [p["id"] for p in again["proposals"]] == [p["id"] for p in data["proposals"]]


def test_forecast_tables_for_people(odoo_env):
    result = run_cli("forecast", "--as-of", DEMO_TODAY.isoformat(), "--weeks", "6", env=odoo_env)
    assert result.returncode == 0, result.stderr
    for text in ("Weekly projection", "Lowest point", "Drivers", "Assumptions", "No safety threshold set",
                 "Run ", "forecast compare"):
        assert text in result.stdout, text


def test_threshold_in_another_currency_exits_2(odoo_env):
    result = run_cli("forecast", "--threshold", "50000 USD", env=odoo_env)
    assert result.returncode == 2
    assert "USD" in result.stderr and "EUR" in result.stderr and "Traceback" not in result.stderr


def test_bad_scenario_and_unconfigured_odoo_exit_2(odoo_env):
    result = run_cli("forecast", "--scenario", "rain:3", env=odoo_env)
    assert result.returncode == 2 and "unknown scenario 'rain:3'" in result.stderr
    for key in [k for k in odoo_env if k.startswith("LEDGERPILOT_ODOO_")]:
        del odoo_env[key]
    result = run_cli("forecast", env=odoo_env)
    assert result.returncode == 2 and "LEDGERPILOT_ODOO_URL" in result.stderr


@pytest.mark.slow
def test_compare_a_past_forecast_with_what_happened(odoo_env):
    past = _json(run_cli("forecast", "--json", "--as-of", "2026-08-03", "--weeks", "8", env=odoo_env))
    data = _json(run_cli("forecast", "compare", past["run_id"], "--json", env=odoo_env))
    assert data["run_id"] == past["run_id"] and data["as_of"] == "2026-08-03"
    assert len(data["weeks"]) == 8 and data["complete_weeks"] == 8
    closing = Decimal(past["opening_balance"])
    for week, predicted in zip(data["weeks"], past["weekly"]):
        closing += Decimal(week["actual_net"])
        assert Decimal(week["actual_closing"]) == closing
        assert Decimal(week["predicted_net"]) == Decimal(predicted["net"])
        assert Decimal(week["error"]) == Decimal(week["actual_net"]) - Decimal(week["predicted_net"])
    assert data["misses"], "a forecast over eight weeks of a real-looking company misses something"
    missed = [Decimal(m["missed"]) for m in data["misses"]]
    assert missed == sorted(missed, reverse=True) and all(m["source_id"] for m in data["misses"])

    text = run_cli("forecast", "compare", past["run_id"][:10], env=odoo_env)
    assert text.returncode == 0, text.stderr
    assert "Predicted vs actual" in text.stdout and "Biggest misses" in text.stdout

    missing = run_cli("forecast", "compare", "nosuchrun", env=odoo_env)
    assert missing.returncode == 1 and "no forecast run 'nosuchrun'" in missing.stderr


@pytest.mark.slow
def test_backtest_shows_the_three_variants(odoo_env):
    data = _json(run_cli("forecast", "backtest", "--from", "2026-03-02", "--to", "2026-07-06", "--step", "2m",
                         "--weeks", "6", "--json", env=odoo_env))
    assert data["cuts"] == ["2026-03-02", "2026-05-02", "2026-07-02"]
    assert [v["variant"] for v in data["variants"]] == ["model", "due_date", "due_date_orders", "due_date_recurring"]
    assert all(v["weeks_scored"] == 18 for v in data["variants"])
    bad = run_cli("forecast", "backtest", "--step", "fortnight", env=odoo_env)
    assert bad.returncode == 2 and "fortnight" in bad.stderr


@pytest.mark.slow
def test_demo_prints_the_forecast_and_writes_the_chart(cli_env, demo_data_dir):
    home = Path(cli_env["LEDGERPILOT_HOME"])
    target = home / "sandbox" / f"seed{DEMO_SEED}-scale{DEMO_SCALE:g}-{DEMO_TODAY.isoformat()}"
    target.parent.mkdir(parents=True)
    shutil.copytree(demo_data_dir, target)
    result = run_cli("demo", "--seed", str(DEMO_SEED), "--scale", str(DEMO_SCALE), "--today", DEMO_TODAY.isoformat(),
                     env=cli_env)
    assert result.returncode == 0, result.stderr
    chart = home / "demo-forecast.png"
    assert "Receivables" in result.stdout and "Weekly projection" in result.stdout
    assert f"Chart written to {chart}" in result.stdout.replace("\n", "")
    assert chart.read_bytes()[:8] == PNG_MAGIC
