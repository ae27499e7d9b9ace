"""Threat (to availability and to the books): an approved change whose write failed is stuck for ever, and
asking for it again silently returns the dead proposal.

The probe: a proposal whose apply failed (AccessError: the write user lacked the rights) could never be
retried, and re-proposing it found the failed one. Now an approver sends it back with `proposals retry`
(checked by Odoo like an approval, audited), the next apply writes it exactly once (adopting anything the
failed attempt left), and proposing the same content again points to the failed proposal.
"""

from __future__ import annotations

import pytest

from ledgerpilot.approvals.apply import apply_proposal
from ledgerpilot.config import Settings
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.tools.agent.toolkit import ToolContext, run_tool
from tests.channels.conftest import odoo_env_for, run_cli
from tests.conftest import DEMO_TODAY
from tests.security.conftest import approve_all, connection, entry, records_in_odoo

NOTE = {"record": "INV/2026/00042", "text": "Customer promised to pay on Friday"}


def _failed(fresh_sandbox, store, audit, proposal_id: str):
    with connect(connection(fresh_sandbox, "demo")) as weak:          # no accounting rights
        result = apply_proposal(weak, store, audit, proposal_id)
    assert result.proposal.state == "failed" and "access" in result.error.lower()
    return result


@pytest.mark.slow
def test_a_failed_write_is_retried_by_an_approver_and_applied_once(fresh_sandbox, state, admin_client):
    home, store, audit = state
    [proposal] = approve_all(fresh_sandbox, store, audit, [entry("Retry me")])
    _failed(fresh_sandbox, store, audit, proposal.id)
    env = odoo_env_for(fresh_sandbox, home)

    apply_again = run_cli("proposals", "apply", proposal.id[:12], env=env)
    assert apply_again.returncode == 1 and "proposals retry" in apply_again.stderr

    env["LEDGERPILOT_APPROVER_PASSWORD"] = "clerk"              # Billing only: not an approver of accruals
    refused = run_cli("proposals", "retry", proposal.id[:12], "--user", "clerk", env=env)
    assert refused.returncode == 1 and "not in the group" in refused.stderr
    env["LEDGERPILOT_APPROVER_PASSWORD"] = "admin"               # ledgerpilot's own login
    refused = run_cli("proposals", "retry", proposal.id[:12], "--user", "admin", env=env)
    assert refused.returncode == 1 and "agent itself uses" in refused.stderr
    assert store.get(proposal.id).state == "failed"

    env["LEDGERPILOT_APPROVER_PASSWORD"] = "controller"
    retried = run_cli("proposals", "retry", proposal.id[:12], "--user", "controller", "--note", "rights granted",
                      env=env)
    assert retried.returncode == 0, retried.stderr
    assert store.get(proposal.id).state == "approved"
    [entry_audited] = audit.entries(action="retry", subject=proposal.id)
    assert entry_audited.actor == "controller" and "access" in entry_audited.details["previous_error"].lower()

    twice = run_cli("proposals", "retry", proposal.id[:12], "--user", "controller", env=env)
    assert twice.returncode == 1 and "only a failed proposal" in twice.stderr

    applied = run_cli("proposals", "apply", proposal.id[:12], "--json", env=env)
    assert applied.returncode == 0, applied.stderr
    assert store.get(proposal.id).state == "applied"
    assert [a.state for a in store.applications(proposal.id)] == ["failed", "applied"]
    assert records_in_odoo(admin_client, proposal) == 1
    shown = run_cli("proposals", "show", proposal.id[:12], env=env)
    assert "Retried by controller" in shown.stdout and "2 attempts: failed, applied" in shown.stdout
    assert audit.verify().ok


def test_asking_again_for_a_failed_proposal_points_to_it(fresh_sandbox, state):
    home, store, audit = state
    with connect(demo_connection(fresh_sandbox.url, "readonly")) as reader:
        ctx = ToolContext(client=reader, settings=Settings(home=home), today=DEMO_TODAY, actor="clerk",
                          run_id="chat-1")
        first = run_tool(ctx, "propose_note", NOTE)
        assert first.ok and first.data["state"] == "proposed", first.error
        [proposal] = store.list()
        approve_all(fresh_sandbox, store, audit, [proposal])
        _failed(fresh_sandbox, store, audit, proposal.id)
        again = run_tool(ctx, "propose_note", NOTE)
    assert again.ok and again.data["already_proposed"] and again.data["state"] == "failed"
    assert again.data["proposal_id"] == proposal.id[:12] and "access" in again.data["previous_failure"].lower()
    assert f"proposals retry {proposal.id[:12]}" in again.data["next_step"]
    assert not again.data["needs_approval"]
    assert len(store.list()) == 1
