"""``ledgerpilot budget`` / ``budget check-po`` / ``budget burn`` / ``memory ...`` / the budget part of
``demo``: real subprocesses against the real sandbox, state in a temporary LEDGERPILOT_HOME."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from tests.channels.conftest import odoo_env_for, run_cli
from tests.conftest import DEMO_SCALE, DEMO_SEED, DEMO_TODAY
from tests.tools.budget.test_watch import make_draft_po

AS_OF = ("--as-of", DEMO_TODAY.isoformat())


@pytest.fixture()
def odoo_env(sandbox, tmp_path) -> dict[str, str]:
    return odoo_env_for(sandbox, tmp_path / "home")


def _json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture()
def run_main(monkeypatch, capsys):
    """``ledgerpilot ARGS`` through the same ``main()`` in this process, so the embedding model is loaded
    once per test process instead of once per command; returns (exit code, stdout, stderr)."""
    from ledgerpilot.channels.cli.app import main

    def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
        for key in [k for k in os.environ if k.startswith("LEDGERPILOT_")]:
            monkeypatch.delenv(key)
        for key, value in env.items():
            if key.startswith("LEDGERPILOT_") or key == "COLUMNS":
                monkeypatch.setenv(key, value)
        monkeypatch.setattr(sys, "argv", ["ledgerpilot", *args])
        capsys.readouterr()
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, captured.out, captured.err)

    return run


LINE_KEYS = {"key", "analytic_account_name", "position_name", "date_from", "date_to", "planned", "actual",
             "committed", "available", "utilisation", "variance", "burn_rate", "projected_end",
             "projected_overspend_pct", "tier", "reason", "owner_name", "analytic_line_ids", "move_line_ids",
             "po_line_ids", "similar"}


def test_budget_json_schema_memory_and_no_duplicate_proposals(odoo_env, run_main):
    data = _json(run_cli("budget", "--json", *AS_OF, env=odoo_env))
    for key in ("run_id", "company", "currency", "period", "period_start", "period_end", "as_of", "source", "tiers",
                "findings", "lines", "proposals", "new_proposals", "memory", "timings", "accounts", "plans"):
        assert key in data, key
    assert data["source"]["kind"] == "crossovered" and data["source"]["reason"]
    assert data["period"] == "current"
    assert data["period_start"] == min(line["date_from"] for line in data["lines"])
    assert data["period_end"] == max(line["date_to"] for line in data["lines"])
    assert data["currency"] == "EUR" and data["as_of"] == DEMO_TODAY.isoformat()
    assert data["lines"] and sum(data["tiers"].values()) == len(data["lines"])
    for line in data["lines"]:
        assert LINE_KEYS <= set(line), LINE_KEYS - set(line)
        if line["direction"] == "expense":
            assert Decimal(line["available"]) == (Decimal(line["planned"]) - Decimal(line["actual"])
                                                  - Decimal(line["committed"]))
    at_risk = [line for line in data["lines"] if line["tier"] != "ok"]
    assert at_risk and data["proposals"] and data["new_proposals"] == len(data["proposals"])
    assert {p["kind"] for p in data["proposals"]} <= {"note", "activity", "budget_transfer", "po_hold"}
    assert all(p["state"] == "proposed" and p["run_id"] == data["run_id"] for p in data["proposals"])
    assert data["memory"]["used"] is True and data["memory"]["recorded_exceptions"] == len(at_risk)

    # the risks are in the memory now, open, of kind budget_overrun
    from ledgerpilot.memory.exceptions import ExceptionMemory
    from ledgerpilot.tools.budget.watch import MEMORY_FOLDER

    memory = ExceptionMemory(Path(odoo_env["LEDGERPILOT_HOME"]) / MEMORY_FOLDER)
    assert memory.count() == len(at_risk)
    worst = memory.get(f"budget:crossovered:{at_risk[0]['key']}:{at_risk[0]['date_from']}:{at_risk[0]['date_to']}")
    assert worst.kind == "budget_overrun" and worst.status == "open" and worst.resolution is None

    again = _json(run_main("budget", "--json", "--no-memory", *AS_OF, env=odoo_env))
    assert again["new_proposals"] == 0 and again["run_id"] != data["run_id"]
    assert sorted(p["id"] for p in again["proposals"]) == sorted(p["id"] for p in data["proposals"])
    with StateDB.in_home(Path(odoo_env["LEDGERPILOT_HOME"])) as db:
        assert len(ProposalStore(db).list()) == len(data["proposals"])


def test_budget_tables_for_one_account_without_memory(odoo_env, run_main):
    result = run_main("budget", *AS_OF, "--account", "Operations", "--period", "2026-Q4", "--no-memory", env=odoo_env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Budget vs actual vs committed" in out and "Operations" in out and "Source: crossovered" in out
    assert "Administration" not in out.split("Budget vs actual vs committed")[1].split("Proposals")[0]
    assert "--no-memory" in out


def test_budget_bad_period_is_a_usage_error(odoo_env, run_main):
    result = run_main("budget", "--period", "2026-Q7", env=odoo_env)
    assert result.returncode == 2 and "2026-Q7" in result.stderr and "quarter" in result.stderr


def test_check_po_confirmed_missing_and_a_draft_that_does_not_fit(fresh_sandbox, tmp_path, run_main):
    env = odoo_env_for(fresh_sandbox, tmp_path / "home")
    with connect(demo_connection(fresh_sandbox.url, "admin")) as admin:
        confirmed = admin.search_read("purchase.order", [("state", "=", "purchase")], ["name"], limit=1,
                                      order="id desc")[0]["name"]
        ops = admin.search_read("account.analytic.account", [("name", "=", "Operations")], ["id"])[0]["id"]
        draft = make_draft_po(admin, 2_000_000.0, {str(ops): 100.0})

    data = _json(run_main("budget", "check-po", confirmed, "--json", *AS_OF, env=env))
    assert data["order_name"] == confirmed and data["order_state"] == "purchase" and "fits" in data
    assert data["source"] == "crossovered" and data["reason"]

    data = _json(run_main("budget", "check-po", draft, "--json", *AS_OF, env=env))
    assert data["order_name"] == draft and data["order_state"] == "draft" and data["fits"] is False
    [row] = data["accounts"]
    assert row["analytic_account_name"].endswith("Operations") and Decimal(row["amount"]) == Decimal("2000000.00")
    assert row["fits"] is False and Decimal(row["available_after"]) < 0

    text = run_main("budget", "check-po", draft, *AS_OF, env=env)
    assert text.returncode == 0, text.stderr          # the verdict is in the output, not the exit code
    assert "does NOT fit the budget" in text.stdout and "Operations" in text.stdout

    missing = run_main("budget", "check-po", "P99999", *AS_OF, env=env)
    assert missing.returncode == 1 and "P99999" in missing.stderr and "no purchase order" in missing.stderr


def test_burn_for_a_demo_project(odoo_env, sandbox, run_main):
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        project = client.search_read("project.project", [("analytic_account_id", "!=", False)], ["name"],
                                     limit=1)[0]["name"]
    data = _json(run_main("budget", "burn", project, "--json", *AS_OF, env=odoo_env))
    assert data["project_name"] == project and data["as_of"] == DEMO_TODAY.isoformat()
    for key in ("budget", "cost_to_date", "committed", "projected_final_cost", "runout_date", "reason"):
        assert key in data, key
    assert Decimal(data["projected_final_cost"]) >= Decimal(data["cost_to_date"])
    text = run_main("budget", "burn", project, *AS_OF, env=odoo_env)
    assert text.returncode == 0, text.stderr
    assert "Cost to date" in text.stdout and "Projected final cost" in text.stdout
    missing = run_main("budget", "burn", "No Such Project", *AS_OF, env=odoo_env)
    assert missing.returncode == 1 and "No Such Project" in missing.stderr


def test_memory_add_search_resolve_delete_round_trip(cli_env, run_main):
    added = _json(run_main("memory", "add", "--kind", "anomaly", "--category", "duplicate vendor bill",
                          "--title", "Duplicate bill from Northwind Traders", "--text",
                          "Bill BILL/2026/0412 for 1,250.00 EUR entered twice from Northwind Traders",
                          "--amount", "1250.00", "--date", "2026-04-12", "--id", "dup-1", "--json", env=cli_env))
    assert added["id"] == "dup-1" and added["status"] == "open" and added["resolution"] is None
    _json(run_main("memory", "add", "--kind", "budget_overrun", "--category", "budget overrun: Software",
                  "--title", "Software budget of R&D overspent", "--text",
                  "Research & Development software licences 18% over the quarterly budget", "--resolution",
                  "transfer from Administration approved", "--json", env=cli_env))

    found = _json(run_main("memory", "search", "the same vendor invoice was booked two times", "--json",
                          env=cli_env))
    assert found["results"][0]["id"] == "dup-1" and 0 < found["results"][0]["similarity"] <= 1
    only = _json(run_main("memory", "search", "vendor invoice booked twice", "--kind", "budget_overrun", "--json",
                         env=cli_env))
    assert [r["kind"] for r in only["results"]] == ["budget_overrun"]

    resolved = _json(run_main("memory", "resolve", "dup-1", "--resolution", "credit note requested from the vendor",
                             "--json", env=cli_env))
    assert resolved["status"] == "resolved" and resolved["resolution"] == "credit note requested from the vendor"
    text = run_main("memory", "search", "duplicate bill Northwind", env=cli_env)
    assert text.returncode == 0 and "credit note requested" in text.stdout

    deleted = _json(run_main("memory", "delete", "dup-1", "--json", env=cli_env))
    assert deleted == {"deleted": "dup-1", "count": 1}
    gone = run_main("memory", "resolve", "dup-1", "--resolution", "x", env=cli_env)
    assert gone.returncode == 1 and "dup-1" in gone.stderr
    bad = run_main("memory", "add", "--kind", "anomaly", "--category", "c", "--title", "t", "--text", "x",
                  "--date", "yesterday", env=cli_env)
    assert bad.returncode == 2 and "--date" in bad.stderr


@pytest.mark.slow
def test_demo_includes_the_budget_risks_and_the_close_readiness(cli_env, demo_data_dir, run_main):
    home = Path(cli_env["LEDGERPILOT_HOME"])
    target = home / "sandbox" / f"seed{DEMO_SEED}-scale{DEMO_SCALE:g}-{DEMO_TODAY.isoformat()}"
    target.parent.mkdir(parents=True)
    shutil.copytree(demo_data_dir, target)
    data = _json(run_main("demo", "--seed", str(DEMO_SEED), "--scale", str(DEMO_SCALE), "--today",
                         DEMO_TODAY.isoformat(), "--json", env=cli_env))
    budget = data["budget"]
    assert budget["period"] and budget["source"]["kind"] == "crossovered"
    assert 0 < len(budget["lines"]) <= 5 and all(line["tier"] != "ok" for line in budget["lines"])
    order = {"high": 0, "medium": 1, "note": 2}
    assert [order[line["tier"]] for line in budget["lines"]] == sorted(order[line["tier"]] for line in budget["lines"])
    assert budget["proposals"] and "forecast" in data
    close = data["close"]
    assert close["month"] == "2026-11" and {item["check"] for item in close["checklist"]} >= {"draft_moves"}
    assert any(f["severity"] == "blocking" for f in close["findings"])

    text = run_main("demo", "--seed", str(DEMO_SEED), "--scale", str(DEMO_SCALE), "--today", DEMO_TODAY.isoformat(),
                    env=cli_env)
    assert text.returncode == 0, text.stderr
    assert "Weekly projection" in text.stdout and "Budget risks" in text.stdout
    assert "Budget lines at risk" in text.stdout and "Proposals" in text.stdout
    assert "Close readiness of 2026-11" in text.stdout and "ledgerpilot close run" in text.stdout
