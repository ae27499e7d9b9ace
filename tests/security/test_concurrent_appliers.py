"""Threat: one approved proposal written twice because several appliers ran at once.

Appliers are the CLI (`proposals apply`), the approval page (approve-and-apply), serve's scheduled apply and any
number of processes sharing LEDGERPILOT_HOME. With Odoo slow (300 ms per call, injected by the sandbox) the
search for the idempotency marker and the create are far apart; only an atomic claim in the state store
(approved -> applying, with an owner and a lease) keeps a second applier out. A killed applier (kill -9) leaves
its claim behind: once its lease has run out the next applier takes over and adopts what the marker finds.
The truth is counted in Odoo: exactly one record per approved proposal.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from ledgerpilot.approvals.apply import apply_proposal
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.odoo import connect
from tests.channels.conftest import odoo_env_for
from tests.security.conftest import activity, approve_all, connection, entry, note, records_in_odoo

pytestmark = pytest.mark.slow

LATENCY_MS = 300
APPLIERS = 4


def _cli(env, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ledgerpilot.channels.cli.app", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_appliers_started_together_write_each_proposal_once(fresh_sandbox, state, admin_client):
    """Four appliers, each with its own state connection (as separate processes have), released at the same
    instant against a slow Odoo."""
    home, store, audit = state
    proposals = approve_all(fresh_sandbox, store, audit,
                            [entry("Race entry"), activity("Race activity"), note("Race note")])
    barrier = threading.Barrier(APPLIERS)
    outcomes: list[tuple[int, str, str]] = []
    crashed: list[BaseException] = []

    def applier(number: int) -> None:
        try:
            with StateDB.in_home(home) as db, connect(connection(fresh_sandbox)) as client:
                own_store, own_audit = ProposalStore(db), AuditLog(db)
                barrier.wait(timeout=60)
                for proposal in proposals:
                    try:
                        result = apply_proposal(client, own_store, own_audit, proposal.id)
                        outcomes.append((number, proposal.id, "applied" if result.ok else f"failed {result.error}"))
                    except LedgerpilotError as exc:
                        outcomes.append((number, proposal.id, f"{type(exc).__name__}: {exc}"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            crashed.append(exc)

    fresh_sandbox.faults.update(latency_ms=LATENCY_MS)
    try:
        threads = [threading.Thread(target=applier, args=(n,)) for n in range(APPLIERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        fresh_sandbox.faults.reset()
    assert not crashed, crashed
    for proposal in proposals:
        assert records_in_odoo(admin_client, proposal) == 1, (proposal.kind, outcomes)
        assert store.get(proposal.id).state == "applied"
        wrote = [o for o in outcomes if o[1] == proposal.id and o[2] == "applied"]
        assert len(wrote) == 1, outcomes          # the others were told it is being (or was) applied
    assert audit.verify().ok


def test_cli_appliers_killed_mid_write_leave_exactly_one_record(fresh_sandbox, state, admin_client):
    """Four `proposals apply --all-approved` processes against a slow Odoo; two are killed with SIGKILL while
    writing. The survivors leave the dead ones' claims alone; once those leases have run out, the next apply
    takes them over and adopts what already reached Odoo."""
    home, store, audit = state
    proposals = approve_all(fresh_sandbox, store, audit,
                            [entry(f"Kill entry {n}") for n in range(3)] + [activity("Kill activity"),
                                                                            note("Kill note")])
    env = odoo_env_for(fresh_sandbox, home)
    env["LEDGERPILOT_APPLY_LEASE_SECONDS"] = "6"
    fresh_sandbox.faults.update(latency_ms=LATENCY_MS)
    processes = [_cli(env, "proposals", "apply", "--all-approved", "--json") for _ in range(APPLIERS)]
    try:
        deadline = time.monotonic() + 120
        while not any(records_in_odoo(admin_client, p) for p in proposals):
            assert time.monotonic() < deadline, [p.communicate() for p in processes]
            time.sleep(0.1)
        for process in processes[:2]:
            process.send_signal(signal.SIGKILL)
        survivors = [process.communicate(timeout=300) for process in processes[2:]]
        for process, (out, err) in zip(processes[2:], survivors):
            assert "Traceback" not in err, err
            assert process.returncode in (0, 1), err
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        fresh_sandbox.faults.reset()

    deadline = time.monotonic() + 60
    while any(store.get(p.id).state != "applied" for p in proposals):
        assert time.monotonic() < deadline, [(p.kind, store.get(p.id).state) for p in proposals]
        time.sleep(1)
        again = subprocess.run([sys.executable, "-m", "ledgerpilot.channels.cli.app", "proposals", "apply",
                                "--all-approved", "--json"], env=env, capture_output=True, text=True, timeout=300)
        assert "Traceback" not in again.stderr, again.stderr
    for proposal in proposals:
        assert records_in_odoo(admin_client, proposal) == 1, proposal.kind
    assert audit.verify().ok


def test_the_page_approving_while_cli_appliers_run_writes_once(fresh_sandbox, state, admin_client):
    """A controller approves on the page (which writes at once) while three CLI appliers keep applying
    whatever is approved."""
    from ledgerpilot.channels.web.approval_app import ApprovalPageConfig, create_approval_app
    from tests.channels.web.conftest import ServedApp

    home, store, audit = state
    proposal = store.add(entry("Page race")).proposal
    odoo = connection(fresh_sandbox)
    config = ApprovalPageConfig(odoo=odoo, write_connection=odoo, agent_logins={"admin"}, approval_groups={})
    served = ServedApp(create_approval_app(config, store, audit)).start()
    env = odoo_env_for(fresh_sandbox, home)
    loop = ("import subprocess, sys, time\n"
            "end = time.monotonic() + 40\n"
            "while time.monotonic() < end:\n"
            "    subprocess.run([sys.executable, '-m', 'ledgerpilot.channels.cli.app', 'proposals', 'apply',"
            " '--all-approved', '--json'], capture_output=True)\n")
    loops = [subprocess.Popen([sys.executable, "-c", loop], env=env) for _ in range(3)]
    try:
        with httpx.Client(base_url=served.url, follow_redirects=False, timeout=120) as http:
            form = http.get("/login")
            csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
            assert http.post("/login", data={"login": "controller", "password": "controller",
                                             "csrf": csrf}).status_code == 303
            page = http.get(f"/proposals/{proposal.id}")
            csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
            time.sleep(3)                                   # the CLI loops are polling by now
            fresh_sandbox.faults.update(latency_ms=LATENCY_MS)
            answer = http.post(f"/proposals/{proposal.id}/approve", data={"csrf": csrf, "comment": ""})
            assert answer.status_code == 303, answer.text
        deadline = time.monotonic() + 90
        while store.get(proposal.id).state != "applied":
            assert time.monotonic() < deadline, store.get(proposal.id).state
            time.sleep(0.5)
    finally:
        for process in loops:
            process.wait(timeout=120)
        fresh_sandbox.faults.reset()
        served.stop()
    assert records_in_odoo(admin_client, proposal) == 1
    assert json.dumps(audit.verify().ok) == "true"


def test_serve_apply_jobs_and_cli_appliers_together_write_each_proposal_once(fresh_sandbox, state, admin_client):
    """Two `serve` processes' scheduled apply jobs (as their job runner calls them) and two CLI appliers, all
    at once against a slow Odoo."""
    from ledgerpilot.channels.serve.jobs import JobContext, run_apply_approved
    from ledgerpilot.channels.serve.metrics import ServeMetrics
    from ledgerpilot.config import Settings
    from tests.conftest import DEMO_TODAY

    home, store, audit = state
    proposals = approve_all(fresh_sandbox, store, audit,
                            [entry(f"Serve entry {n}") for n in range(2)] + [note("Serve note")])
    env = odoo_env_for(fresh_sandbox, home)
    details: list[str] = []

    def serve_job() -> None:
        with StateDB.in_home(home) as db:
            job = JobContext(settings=Settings(home=home), connection=connection(fresh_sandbox), cache_dir=None,
                             metrics=ServeMetrics(pending_proposals=lambda: 0, webhook_queue=lambda: 0),
                             today=lambda: DEMO_TODAY, audit=AuditLog(db), store=ProposalStore(db))
            details.append(run_apply_approved(job))

    fresh_sandbox.faults.update(latency_ms=LATENCY_MS)
    try:
        processes = [_cli(env, "proposals", "apply", "--all-approved", "--json") for _ in range(2)]
        time.sleep(1.5)                           # the CLI processes are importing; start the jobs amid them
        jobs = [threading.Thread(target=serve_job) for _ in range(2)]
        for thread in jobs:
            thread.start()
        for thread in jobs:
            thread.join(timeout=300)
        for process in processes:
            _out, err = process.communicate(timeout=300)
            assert "Traceback" not in err, err
    finally:
        fresh_sandbox.faults.reset()
    assert len(details) == 2, details
    for proposal in proposals:
        assert store.get(proposal.id).state == "applied"
        assert records_in_odoo(admin_client, proposal) == 1, proposal.kind
    assert audit.verify().ok
