"""Starting and stopping: missing database, port clash, subprocess with --faults, fault control."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from ledgerpilot.sandbox.server.runner import (
    SandboxDatabaseMissing,
    SandboxStartError,
    running_sandbox,
    serve,
)

REPO = Path(__file__).resolve().parents[3]
VERSION = {"jsonrpc": "2.0", "method": "call", "params": {"service": "common", "method": "version", "args": []},
           "id": 1}


def test_missing_database_names_the_path_and_the_fix(tmp_path):
    with pytest.raises(SandboxDatabaseMissing) as missing, running_sandbox(tmp_path / "nothing-here"):
        pass
    message = str(missing.value)
    assert str(tmp_path / "nothing-here" / "demo.sqlite") in message
    assert "ledgerpilot sandbox start --seed N" in message
    assert not (tmp_path / "nothing-here").exists()  # nothing is created by accident


def test_port_in_use_is_a_clear_error(server, server_data_dir):
    message = f"Cannot listen on 127.0.0.1:{server.port}"
    with pytest.raises(SandboxStartError, match=message), running_sandbox(server_data_dir, port=server.port):
        pass


def test_stops_cleanly_and_frees_the_port(server_data_dir):
    with running_sandbox(server_data_dir) as handle:
        port = handle.port
        assert httpx.post(handle.url + "/jsonrpc", json=VERSION).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"http://127.0.0.1:{port}/jsonrpc", json=VERSION, timeout=2)


def test_fault_control_route_is_off_by_default(server):
    response = httpx.post(server.url + "/sandbox/faults", json={"error_rate": 1.0})
    assert response.status_code == 404
    assert server.faults.error_rate == 0.0


def test_concurrent_requests_are_served_in_parallel(server):
    server.faults.update(latency_ms=200)
    results: list[int] = []

    def call():
        results.append(httpx.post(server.url + "/jsonrpc", json=VERSION, timeout=10).status_code)

    threads = [threading.Thread(target=call) for _ in range(8)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert results == [200] * 8
    assert elapsed < 8 * 0.2  # threaded: the delays overlap


def test_serve_blocks_until_stopped_and_calls_on_ready(server_data_dir):
    ready: list = []
    stop_after_ready = threading.Event()

    def on_ready(handle):
        ready.append(handle)
        stop_after_ready.set()

    worker = threading.Thread(target=serve, kwargs={"data_dir": server_data_dir, "port": 0, "on_ready": on_ready},
                              daemon=True)
    worker.start()
    assert stop_after_ready.wait(10)
    assert httpx.post(ready[0].url + "/jsonrpc", json=VERSION).status_code == 200
    # outside the main thread serve() cannot install signal handlers; the process owner stops it
    assert worker.is_alive()


def test_subprocess_server_with_faults_and_fault_control(server_data_dir):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen(
        [sys.executable, "-m", "ledgerpilot.sandbox.server", "--data-dir", str(server_data_dir), "--port", "0",
         "--faults", json.dumps({"error_rate": 1.0, "error_statuses": [503]}), "--allow-fault-control"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("ready http://127.0.0.1:"), (line, process.stderr.read() if process.poll() else "")
        url = line.split(" ", 1)[1]
        assert httpx.post(url + "/jsonrpc", json=VERSION).status_code == 503
        current = httpx.get(url + "/sandbox/faults").json()
        assert current["error_rate"] == 1.0 and current["error_statuses"] == [503]
        changed = httpx.post(url + "/sandbox/faults", json={"error_rate": 0.0, "latency_ms": 120})
        assert changed.json()["latency_ms"] == 120
        started = time.perf_counter()
        assert httpx.post(url + "/jsonrpc", json=VERSION).status_code == 200
        assert time.perf_counter() - started >= 0.12
        refused = httpx.post(url + "/sandbox/faults", json={"error_rate": 7})
        assert refused.status_code == 400 and "error_rate" in refused.json()["error"]
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
    assert code == 0


def test_subprocess_reports_a_missing_database(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ledgerpilot.sandbox.server", "--data-dir", str(tmp_path), "--port", "0"],
        capture_output=True, text=True, check=False, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=60)
    assert result.returncode == 2
    assert "No sandbox database at" in result.stderr
