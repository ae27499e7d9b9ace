"""``ledgerpilot anomalies scan|show|dispose`` and the demo's anomalies: real subprocesses, real sandbox."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.channels.conftest import odoo_env_for, run_cli
from tests.conftest import DEMO_SCALE, DEMO_SEED, DEMO_TODAY

TODAY = ("--today", DEMO_TODAY.isoformat())


def _json(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_scan_show_dispose_and_scan_again(fresh_sandbox, tmp_path):
    env = odoo_env_for(fresh_sandbox, tmp_path / "home")
    first = _json(run_cli("anomalies", "scan", *TODAY, "--json", env=env))
    assert first["since"] is None and first["alerted"] > 0 and first["new_proposals"] > 0
    alerts = [a for a in first["anomalies"] if a["status"] == "alert"]
    assert all(a["records"] and a["reason"] and a["proposal_ids"] for a in alerts)
    assert [a["shown_risk"] for a in first["anomalies"]] == sorted((a["shown_risk"] for a in first["anomalies"]),
                                                                   reverse=True)
    target = next(a for a in alerts if a["kind"] == "duplicate_bill_same_amount")

    quiet = run_cli("anomalies", "scan", *TODAY, "--since", "last", env=env)
    assert quiet.returncode == 0, quiet.stderr
    assert "changes since the last scan" in quiet.stdout and "No alerts" in quiet.stdout

    shown = _json(run_cli("anomalies", "show", target["id"][:10], "--json", env=env))
    assert shown["id"] == target["id"] and shown["dispositions"] == []
    assert {p["kind"] for p in shown["proposals"]} == {"activity", "note"}

    done = run_cli("anomalies", "dispose", target["id"][:10], "false-positive", "--note",
                   "Two deliveries in one week at a fixed price", "--by", "Marie Curie", "--no-memory", env=env)
    assert done.returncode == 0, done.stderr
    assert "false positive" in done.stdout and "Marie Curie" in done.stdout

    again = _json(run_cli("anomalies", "scan", *TODAY, "--json", env=env))
    status = {a["id"]: a["status"] for a in again["anomalies"]}
    assert status[target["id"]] == "dismissed" and again["new_proposals"] == 0
    assert again["alerted"] == first["alerted"] - 1
    table = run_cli("anomalies", "show", target["id"], env=env)
    assert table.returncode == 0 and "Records" in table.stdout and target["records"][0]["name"] in table.stdout
    assert "Dispositions" in table.stdout and "false positive" in table.stdout and "Marie Curie" in table.stdout


@pytest.mark.slow
def test_usage_errors_are_named(cli_env):
    bad_since = run_cli("anomalies", "scan", "--since", "yesterday", env=cli_env)
    assert bad_since.returncode == 2 and "'yesterday'" in bad_since.stderr
    bad_score = run_cli("anomalies", "scan", "--min-score", "1.5", env=cli_env)
    assert bad_score.returncode == 2 and "--min-score" in bad_score.stderr
    bad_word = run_cli("anomalies", "dispose", "0123abcd", "ignore", "--note", "x", env=cli_env)
    assert bad_word.returncode == 2 and "false-positive, investigate, corrected" in bad_word.stderr
    unknown = run_cli("anomalies", "show", "0123abcd", env=cli_env)
    assert unknown.returncode == 1 and "no anomaly" in unknown.stderr and "Traceback" not in unknown.stderr


@pytest.mark.slow
def test_demo_shows_the_riskiest_anomalies(cli_env, demo_data_dir):
    home = Path(cli_env["LEDGERPILOT_HOME"])
    target = home / "sandbox" / f"seed{DEMO_SEED}-scale{DEMO_SCALE:g}-{DEMO_TODAY.isoformat()}"
    target.parent.mkdir(parents=True)
    shutil.copytree(demo_data_dir, target)
    result = run_cli("demo", "--seed", str(DEMO_SEED), "--scale", str(DEMO_SCALE), "--today", DEMO_TODAY.isoformat(),
                     "--json", env=cli_env)
    data = _json(result)
    anomalies = data["anomalies"]
    assert len(anomalies["anomalies"]) == 5 and anomalies["alerted"] >= 5
    kinds = {item["kind"] for item in anomalies["anomalies"]}
    assert kinds & {"duplicate_bill_same_reference", "duplicate_bill_reference_variant", "payment_amount_outlier"}
    assert anomalies["new_proposals"] > 0 and data["close"]["checklist"]
