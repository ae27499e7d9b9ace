"""Threat: two people (or one double click) decide the same proposal at the same moment.

The probe: two approvals of one proposal on the page at once -- the loser got HTTP 500 and its refusal was not
audited. Now the decision is a compare-and-set in the state store: exactly one wins, every other concurrent or
repeated decision gets 409 with a sentence saying who decided first, and each refusal is in the audit log.
"""

from __future__ import annotations

import threading

import httpx
import pytest

from ledgerpilot.channels.web.approval_app import ApprovalPageConfig, create_approval_app
from tests.channels.conftest import odoo_env_for, run_cli
from tests.channels.web.conftest import ServedApp
from tests.security.conftest import connection, entry

LATENCY_MS = 300


@pytest.fixture()
def page(fresh_sandbox, state):
    home, store, audit = state
    odoo = connection(fresh_sandbox)
    config = ApprovalPageConfig(odoo=odoo, write_connection=None, agent_logins={"admin"}, approval_groups={})
    served = ServedApp(create_approval_app(config, store, audit)).start()
    yield served, store, audit
    served.stop()


def _session(served, login: str = "controller") -> tuple[httpx.Client, str]:
    http = httpx.Client(base_url=served.url, follow_redirects=False, timeout=120)
    form = http.get("/login")
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    assert http.post("/login", data={"login": login, "password": login, "csrf": csrf}).status_code == 303
    page = http.get("/proposals")
    return http, page.text.split('name="csrf" value="')[1].split('"')[0]


@pytest.mark.parametrize("second", ["approve", "reject"])
def test_two_decisions_at_once_one_wins_the_other_gets_409_and_is_audited(fresh_sandbox, page, second):
    """Two signed-in controllers press their buttons at the same instant (Odoo slow: 300 ms a call)."""
    served, store, audit = page
    proposal = store.add(entry(f"Double click {second}")).proposal
    sessions = [_session(served), _session(served)]
    answers: list[httpx.Response] = []
    barrier = threading.Barrier(2)

    def decide(action: str, http: httpx.Client, csrf: str) -> None:
        data = {"csrf": csrf, "comment": "not needed" if action == "reject" else ""}
        barrier.wait(timeout=30)
        answers.append(http.post(f"/proposals/{proposal.id}/{action}", data=data))

    fresh_sandbox.faults.update(latency_ms=LATENCY_MS)
    try:
        threads = [threading.Thread(target=decide, args=(action, *session))
                   for action, session in zip(["approve", second], sessions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        fresh_sandbox.faults.reset()
        for http, _csrf in sessions:
            http.close()
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [303, 409], [(a.status_code, a.text[-600:]) for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    assert "a moment ago" in loser.text or "already" in loser.text
    refusals = audit.entries(action="refusal", subject=proposal.id)
    assert len(refusals) == 1 and refusals[0].details["reason"] in ("concurrent", "not_proposed")
    assert store.get(proposal.id).state in ("approved", "rejected")
    assert audit.verify().ok


def test_a_repeated_decision_is_409_on_the_page_and_exit_1_on_the_command_line(fresh_sandbox, page, state):
    served, store, audit = page
    home = state[0]
    proposal = store.add(entry("Decided twice")).proposal
    http, csrf = _session(served)
    try:
        assert http.post(f"/proposals/{proposal.id}/approve", data={"csrf": csrf}).status_code == 303
        again = http.post(f"/proposals/{proposal.id}/approve", data={"csrf": csrf})
        assert again.status_code == 409 and "already approved" in again.text
        reject = http.post(f"/proposals/{proposal.id}/reject", data={"csrf": csrf, "comment": "changed my mind"})
        assert reject.status_code == 409
    finally:
        http.close()
    env = odoo_env_for(fresh_sandbox, home)
    env["LEDGERPILOT_APPROVER_PASSWORD"] = "controller"
    cli = run_cli("proposals", "approve", proposal.id[:12], "--user", "controller", env=env)
    assert cli.returncode == 1 and "already approved" in cli.stderr and "Traceback" not in cli.stderr
    assert len(audit.entries(action="refusal", subject=proposal.id)) == 3
