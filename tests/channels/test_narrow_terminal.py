"""Every table of the command line in an 80-column terminal: each amount shown whole, no line wider.

Each command runs twice against the sandbox: with ``--json`` (the truth) and for people at ``COLUMNS=80``.
Every amount the JSON gives for a row the tables show must be in the text as one piece ("3,291,893.21",
never "3,291,…" nor split over two lines), and no line may be longer than 80 characters.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.channels.conftest import odoo_env_for, run_cli
from tests.conftest import DEMO_SCALE, DEMO_SEED, DEMO_TODAY

pytestmark = pytest.mark.slow

AS_OF = ("--as-of", DEMO_TODAY.isoformat())


def _money(value) -> str:
    return f"{Decimal(str(value)):,.2f}"


def _narrow(result, width: int = 80) -> str:
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    too_long = [line for line in lines if len(line) > width]
    assert too_long == [], too_long[:3]
    assert "…" not in result.stdout
    return result.stdout


def _tokens(text: str) -> set[str]:
    return {token.strip("│┃()[],;:") for token in text.split()}


def _missing(amounts, text: str) -> list[str]:
    tokens = _tokens(text)
    return [amount for amount in amounts if amount not in tokens]


@pytest.fixture()
def env(sandbox, tmp_path):
    values = odoo_env_for(sandbox, tmp_path / "home")
    values["COLUMNS"] = "80"
    return values


def test_the_demo_at_80_columns_shows_every_amount_whole(cli_env, demo_data_dir):
    home = Path(cli_env["LEDGERPILOT_HOME"])
    target = home / "sandbox" / f"seed{DEMO_SEED}-scale{DEMO_SCALE:g}-{DEMO_TODAY.isoformat()}"
    target.parent.mkdir(parents=True)
    shutil.copytree(demo_data_dir, target)
    args = ("demo", "--seed", str(DEMO_SEED), "--scale", str(DEMO_SCALE), "--today", DEMO_TODAY.isoformat())
    data = json.loads(run_cli(*args, "--json", env=cli_env).stdout)
    cli_env["COLUMNS"] = "80"
    text = _narrow(run_cli(*args, env=cli_env))
    amounts = [_money(a["balance"]) for a in data["bank"]["accounts"]]
    for side in ("receivables", "payables"):
        amounts += [_money(b["amount"]) for b in data[side]["buckets"]] + [_money(data[side]["total"])]
    for side in ("open_sales", "open_purchases"):
        amounts += [_money(order["amount"]) for order in data[side]["largest"]]
    for week in data["forecast"]["weekly"]:
        amounts += [_money(week[k]) for k in ("opening", "inflows", "outflows", "closing", "p10", "p90")]
    amounts += [_money(a["amount"]) for a in data["anomalies"]["anomalies"][:5] if a["amount"] is not None]
    assert _missing(amounts, text) == []
    assert "Close readiness" in text and "Top anomalies" in text


def test_budget_tables_at_80_columns(env):
    data = json.loads(run_cli("budget", "--json", "--no-memory", *AS_OF, env=env).stdout)
    text = _narrow(run_cli("budget", "--no-memory", *AS_OF, env=env))
    amounts = [_money(line[k]) for line in data["lines"]
               for k in ("planned", "actual", "committed", "available", "projected_end")]
    assert len(amounts) >= 25 and _missing(amounts, text) == []
    burn = _narrow(run_cli("budget", "burn", "ERP Upgrade", *AS_OF, env=env))
    assert "ERP Upgrade" in burn


def test_forecast_scenarios_comparisons_and_backtests_at_80_columns(env):
    args = ("forecast", *AS_OF, "--weeks", "13", "--simulations", "100", "--scenario", "delay_collections:14",
            "--scenario", "sales_change:-10")
    data = json.loads(run_cli(*args, "--json", env=env).stdout)
    text = _narrow(run_cli(*args, env=env))
    amounts = [_money(week[k]) for week in data["weekly"] for k in ("opening", "inflows", "outflows", "closing")]
    assert _missing(amounts, text) == []
    past = json.loads(run_cli("forecast", "--json", "--as-of", "2026-08-03", "--weeks", "8", env=env).stdout)
    compared = json.loads(run_cli("forecast", "compare", past["run_id"], "--json", env=env).stdout)
    text = _narrow(run_cli("forecast", "compare", past["run_id"], env=env))
    weeks = compared["weeks"]
    assert _missing([_money(w[k]) for w in weeks for k in ("predicted_net", "actual_net") if w.get(k) is not None],
                    text) == []
    _narrow(run_cli("forecast", "backtest", "--from", "2026-03-02", "--to", "2026-07-06", "--step", "2m", env=env))


def test_anomalies_proposals_close_and_audit_at_80_columns(env):
    today = ("--today", DEMO_TODAY.isoformat(), "--no-memory")
    scan = json.loads(run_cli("anomalies", "scan", *today, "--json", env=env).stdout)
    text = _narrow(run_cli("anomalies", "scan", *today, env=env))
    alerts = [a for a in scan["anomalies"] if a["status"] == "alert"][:20]
    assert _missing([_money(a["amount"]) for a in alerts if a["amount"] is not None], text) == []
    shown = _narrow(run_cli("anomalies", "show", alerts[0]["id"], env=env))
    assert alerts[0]["id"] in shown
    listed = _narrow(run_cli("proposals", "list", env=env))
    ids = [p["id"][:12] for p in json.loads(run_cli("proposals", "list", "--json", env=env).stdout)]
    assert ids and _missing(ids, listed) == []
    _narrow(run_cli("proposals", "show", ids[0], env=env))
    _narrow(run_cli("close", "checks", "--period", DEMO_TODAY.strftime("%Y-%m"), "--today", DEMO_TODAY.isoformat(),
                    env=env))
    _narrow(run_cli("audit", "log", env=env))
