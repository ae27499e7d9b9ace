"""``ledgerpilot close checks|matches|status|run``: real subprocesses against the real sandbox."""

from __future__ import annotations

import json

import pytest

from tests.channels.conftest import odoo_env_for, run_cli
from tests.conftest import DEMO_TODAY

TODAY = ("--today", DEMO_TODAY.isoformat())


def _json(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_checks_of_the_current_month_name_the_blocking_findings(sandbox, tmp_path):
    env = odoo_env_for(sandbox, tmp_path / "home")
    out = _json(run_cli("close", "checks", "--period", "2026-11", *TODAY, "--json", env=env))
    statuses = {item["check"]: item["status"] for item in out["checklist"]}
    assert statuses["draft_moves"] == "failed" and statuses["unreconciled_bank_lines"] == "failed"
    assert all(f["records"] for f in out["findings"])
    table = run_cli("close", "checks", "--period", "2026-11", *TODAY, env=env)
    assert table.returncode == 0 and "blocking" in table.stdout and "Draft" in table.stdout


@pytest.mark.slow
def test_matches_list_every_bank_line_with_its_best_candidate(sandbox, tmp_path):
    env = odoo_env_for(sandbox, tmp_path / "home")
    out = _json(run_cli("close", "matches", "--period", "2026-11", *TODAY, "--json", env=env))
    assert out["bank_lines"] == out["high"] + out["medium"] + out["low"] + out["unmatched"] > 0
    assert len(out["rows"]) == out["high"] + out["medium"] + out["low"]
    high = _json(run_cli("close", "matches", "--period", "2026-11", *TODAY, "--level", "high", "--json", env=env))
    assert {row["level"] for row in high["rows"]} <= {"high"} and len(high["rows"]) == out["high"]


@pytest.mark.slow
def test_status_without_runs_and_usage_errors(sandbox, tmp_path):
    env = odoo_env_for(sandbox, tmp_path / "home")
    assert _json(run_cli("close", "status", "--json", env=env)) == []
    assert "No close run yet" in run_cli("close", "status", env=env).stdout
    bad = run_cli("close", "run", "--period", "2026-13", env=env)
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr
    bad_level = run_cli("close", "matches", "--level", "certain", env=env)
    assert bad_level.returncode == 2 and "high, medium, low" in bad_level.stderr
    unknown = run_cli("close", "checks", env={**env, "LEDGERPILOT_CLOSE_CHECKS": '["draft_moves", "vibes"]'})
    assert unknown.returncode == 2 and "'vibes'" in unknown.stderr and "draft_moves" in unknown.stderr


def test_close_run_without_odoo_configured_says_what_to_set(cli_env):
    result = run_cli("close", "run", "--period", "2026-10", env=cli_env)
    assert result.returncode == 2 and "LEDGERPILOT_ODOO_URL" in result.stderr
