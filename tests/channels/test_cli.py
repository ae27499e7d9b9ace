"""The ``ledgerpilot`` command end to end: real subprocesses against the real sandbox."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.channels.conftest import run_cli
from tests.conftest import DEMO_SCALE, DEMO_SEED, DEMO_TODAY


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_overview_json_against_the_sandbox(sandbox, cli_env):
    cli_env.update(LEDGERPILOT_ODOO_URL=sandbox.url, LEDGERPILOT_ODOO_DB=sandbox.db,
                   LEDGERPILOT_ODOO_USER="readonly", LEDGERPILOT_ODOO_PASSWORD="readonly")
    result = run_cli("overview", "--json", "--as-of", DEMO_TODAY.isoformat(), env=cli_env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["odoo_version"].startswith("17.0")
    assert data["journal_items"] > 5000
    assert data["company"]["currency"] == "EUR"
    assert float(data["receivables"]["total"]) > 0 and float(data["payables"]["total"]) > 0
    assert data["bank"]["accounts"], "the demo company has a bank account"
    bucket_sum = sum(float(b["amount"]) for b in data["receivables"]["buckets"])
    assert round(bucket_sum, 2) == round(float(data["receivables"]["total"]), 2)
    assert data["open_sales"]["count"] > 0 and data["open_purchases"]["count"] > 0


def test_overview_tables_for_people(sandbox, cli_env):
    cli_env.update(LEDGERPILOT_ODOO_URL=sandbox.url, LEDGERPILOT_ODOO_DB=sandbox.db,
                   LEDGERPILOT_ODOO_USER="admin", LEDGERPILOT_ODOO_PASSWORD="admin")
    result = run_cli("overview", "--as-of", DEMO_TODAY.isoformat(), env=cli_env)
    assert result.returncode == 0, result.stderr
    for heading in ("Bank and cash", "Receivables", "Payables", "Open sales orders", "Open purchase orders"):
        assert heading in result.stdout


def test_wrong_password_exits_3_with_a_clear_message(sandbox, cli_env):
    cli_env.update(LEDGERPILOT_ODOO_URL=sandbox.url, LEDGERPILOT_ODOO_DB=sandbox.db,
                   LEDGERPILOT_ODOO_USER="admin", LEDGERPILOT_ODOO_PASSWORD="wrong")
    result = run_cli("overview", env=cli_env)
    assert result.returncode == 3
    assert "admin" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_odoo_exits_3_naming_the_url(cli_env):
    url = f"http://127.0.0.1:{_free_port()}"
    cli_env.update(LEDGERPILOT_ODOO_URL=url, LEDGERPILOT_ODOO_DB="x", LEDGERPILOT_ODOO_USER="u",
                   LEDGERPILOT_ODOO_PASSWORD="p")
    result = run_cli("overview", env=cli_env)
    assert result.returncode == 3
    assert url in result.stderr and "Traceback" not in result.stderr


def test_unconfigured_odoo_exits_2(cli_env):
    result = run_cli("overview", env=cli_env)
    assert result.returncode == 2
    assert "LEDGERPILOT_ODOO_URL" in result.stderr


def test_a_variable_that_is_not_json_is_a_one_line_configuration_error(cli_env):
    cli_env["LEDGERPILOT_CLOSE_CHECKS"] = "[oops"
    result = run_cli("overview", env=cli_env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        ("error: LEDGERPILOT_CLOSE_CHECKS is not valid JSON: expecting value at column 2 of '[oops'; "
         'write a list such as ["a", "b"]')]
    del cli_env["LEDGERPILOT_CLOSE_CHECKS"]
    cli_env["LEDGERPILOT_WEBHOOK_ODOO_SECRETS"] = '{"bills": "Tq8Zr3Lm6Wx1Vb9N'
    result = run_cli("overview", env=cli_env)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "LEDGERPILOT_WEBHOOK_ODOO_SECRETS is not valid JSON" in result.stderr
    assert "Tq8Zr3" not in result.stderr                        # a secret is not echoed, even malformed


def test_no_accounting_rights_is_reported_not_crashed(sandbox, cli_env):
    cli_env.update(LEDGERPILOT_ODOO_URL=sandbox.url, LEDGERPILOT_ODOO_DB=sandbox.db,
                   LEDGERPILOT_ODOO_USER="demo", LEDGERPILOT_ODOO_PASSWORD="demo")
    result = run_cli("overview", env=cli_env)
    assert result.returncode == 1
    assert "account." in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_demo_builds_serves_and_shows_the_overview(cli_env, demo_data_dir, tmp_path):
    # reuse the session's demo company instead of building another one
    home = Path(cli_env["LEDGERPILOT_HOME"])
    target = home / "sandbox" / f"seed{DEMO_SEED}-scale{DEMO_SCALE:g}-{DEMO_TODAY.isoformat()}"
    target.parent.mkdir(parents=True)
    import shutil

    shutil.copytree(demo_data_dir, target)
    result = run_cli("demo", "--seed", str(DEMO_SEED), "--scale", str(DEMO_SCALE), "--today", DEMO_TODAY.isoformat(),
                     "--json", env=cli_env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["as_of"] == DEMO_TODAY.isoformat()
    assert data["transport"] == "jsonrpc"
    assert data["odoo_db"] == "demo"


def test_sandbox_start_serves_odoorpc_until_interrupted(cli_env, own_demo_data_dir):
    import signal
    import time

    import odoorpc

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ledgerpilot.channels.cli.app", "sandbox", "start",
                             "--port", str(port), "--data-dir", str(own_demo_data_dir)],
                            env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                odoo = odoorpc.ODOO("127.0.0.1", port=port)
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        odoo.login("demo", "admin", "admin")
        assert odoo.env["res.partner"].search_count([]) > 10
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, 130), err
    assert "sandbox playing Odoo 17.0 at" in out


def test_sandbox_start_plays_odoo_19_with_jsonrpc_off(cli_env, own_demo_data_dir):
    import signal
    import time

    import httpx

    from ledgerpilot.config import OdooConnection
    from ledgerpilot.odoo import NO_RETRY, connect
    from ledgerpilot.sandbox import groups
    from ledgerpilot.sandbox.store import Store, database_path

    store = Store(database_path(own_demo_data_dir))
    try:
        key = groups.create_api_key(store, 2, "cli test")  # uid 2: admin
    finally:
        store.close()
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ledgerpilot.channels.cli.app", "sandbox", "start", "--serie", "19.0",
                             "--no-legacy-rpc", "--port", str(port), "--data-dir", str(own_demo_data_dir)],
                            env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client = connect(OdooConnection(url=url, db="demo", user="admin", api_key=key), retry=NO_RETRY)
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        with client:
            assert (client.transport_name, client.server_version) == ("json2", "19.0")
            assert "product_uom_id" in client.fields_get("purchase.order.line")
        assert httpx.post(f"{url}/jsonrpc", json={}).status_code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, 130), err
    assert "sandbox playing Odoo 19.0 at" in out and "API key of admin" in out and "switched off" in out
    wrong = run_cli("sandbox", "start", "--serie", "20.0", "--data-dir", str(own_demo_data_dir), env=cli_env)
    assert wrong.returncode == 2 and "--serie must be one of 17.0, 19.0" in wrong.stderr


def test_sandbox_build_with_a_regime_and_a_wrong_one(cli_env, tmp_path):
    from ledgerpilot.sandbox.generator import load_ground_truth

    folder = tmp_path / "batch"
    result = run_cli("sandbox", "build", "--regime", "batch_payers", "--scale", "0.1", "--seed", "3", "--today",
                     "2026-03-10", "--data-dir", str(folder), env=cli_env)
    assert result.returncode == 0, result.stderr
    truth = load_ground_truth(folder)
    assert truth.regime == "batch_payers" and truth.seed == 3
    assert "batch" in {c.behaviour for c in truth.customers} and truth.stats["batch_deposits"] > 0
    wrong = run_cli("sandbox", "build", "--regime", "lazy", "--data-dir", str(tmp_path / "no"), env=cli_env)
    assert wrong.returncode == 2
    assert "--regime must be one of standard" in wrong.stderr + wrong.stdout
    assert not (tmp_path / "no").exists()
