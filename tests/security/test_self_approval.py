"""Threat: one person both asks for a change and approves it (segregation of duties), or ledgerpilot approves
its own proposals.

The probe: a controller asked the chat agent to propose an entry, then approved it on the page -- the check
compared the approver with the proposal's creator (the agent), never with who asked. Now every proposal records
who asked (the chat user, the Discuss author's login, the login a CLI run acted as) and neither they nor the
creator nor any login ledgerpilot itself uses may approve it, on the command line or on the page.
"""

from __future__ import annotations

import httpx
import pytest

from ledgerpilot.agent.agent import open_agent
from ledgerpilot.approvals.decide import ApprovalRefused, approve, approver_connection
from ledgerpilot.channels.discuss import DiscussBot
from ledgerpilot.channels.web.approval_app import ApprovalPageConfig, create_approval_app
from ledgerpilot.config import load_settings
from ledgerpilot.memory.discuss_cursors import DiscussCursors
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from tests.channels.conftest import odoo_env_for, run_cli
from tests.channels.web.conftest import ServedApp
from tests.conftest import DEMO_TODAY
from tests.security.conftest import connection

pytestmark = pytest.mark.slow

ASK = "add a note to INV/2026/00042: customer promised to pay on Friday"
NOTE_APPROVERS = '{"note": "account.group_account_invoice"}'   # so the clerk (Billing) may approve notes


def _only_proposal(store):
    [proposal] = store.list()
    assert proposal.kind == "note"
    return proposal


def _cli_approve(sandbox, home, proposal_id: str, login: str):
    env = odoo_env_for(sandbox, home)
    env.update(LEDGERPILOT_APPROVER_PASSWORD=login, LEDGERPILOT_APPROVAL_GROUPS=NOTE_APPROVERS)
    return run_cli("proposals", "approve", proposal_id[:12], "--user", login, env=env)


def _page_approve(sandbox, store, audit, proposal_id: str, login: str) -> httpx.Response:
    odoo = connection(sandbox)
    config = ApprovalPageConfig(odoo=odoo, write_connection=None, agent_logins={"admin"},
                                approval_groups={"note": "account.group_account_invoice"})
    served = ServedApp(create_approval_app(config, store, audit)).start()
    try:
        with httpx.Client(base_url=served.url, follow_redirects=False, timeout=60) as http:
            form = http.get("/login")
            csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
            assert http.post("/login", data={"login": login, "password": login, "csrf": csrf}).status_code == 303
            page = http.get(f"/proposals/{proposal_id}")
            for asker in store.requesters(proposal_id):       # the page says who asked
                assert asker in page.text.split('id="requested-by">')[1].split("</span>")[0]
            csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
            return http.post(f"/proposals/{proposal_id}/approve", data={"csrf": csrf, "comment": ""})
    finally:
        served.stop()


def test_who_asked_in_chat_cannot_approve_on_the_page_or_the_command_line(fresh_sandbox, state):
    home, store, audit = state
    with connect(demo_connection(fresh_sandbox.url, "readonly")) as reader, \
            open_agent(reader, load_settings(home=home), today=DEMO_TODAY, audit=audit, offline=True) as agent:
        answer = agent.ask(ASK, thread_id="sod-chat", asker="controller")
    assert "propose_note" in answer.tools_called, answer.text
    proposal = _only_proposal(store)
    assert proposal.requested_by == "controller" and store.requesters(proposal.id) == ["controller"]

    refused = _page_approve(fresh_sandbox, store, audit, proposal.id, "controller")
    assert refused.status_code == 403 and "asked for" in refused.text
    cli = _cli_approve(fresh_sandbox, home, proposal.id, "controller")
    assert cli.returncode == 1 and "asked for" in cli.stderr
    assert store.get(proposal.id).state == "proposed"
    reasons = [e.details["reason"] for e in audit.entries(action="refusal", subject=proposal.id)]
    assert reasons == ["requester", "requester"]

    assert _cli_approve(fresh_sandbox, home, proposal.id, "clerk").returncode == 0   # someone else may
    assert store.decision(proposal.id).login == "clerk"


def test_who_asked_on_the_command_line_cannot_approve_on_the_page(fresh_sandbox, state):
    home, store, audit = state
    env = odoo_env_for(fresh_sandbox, home)
    env.update(LEDGERPILOT_ODOO_USER="controller", LEDGERPILOT_ODOO_PASSWORD="controller")
    done = run_cli("chat", ASK, "--today", DEMO_TODAY.isoformat(), env=env)
    assert done.returncode == 0, done.stderr
    proposal = _only_proposal(store)
    assert proposal.requested_by == "controller"
    refused = _page_approve(fresh_sandbox, store, audit, proposal.id, "controller")
    assert refused.status_code == 403 and "asked for" in refused.text
    assert store.get(proposal.id).state == "proposed"


def test_who_asked_in_discuss_cannot_approve(fresh_sandbox, state):
    home, store, audit = state
    with connect(demo_connection(fresh_sandbox.url, "admin")) as bot_client, \
            connect(demo_connection(fresh_sandbox.url, "controller")) as controller:
        channel = bot_client.search_read("discuss.channel", [("name", "=", "finance")], ["id"])[0]["id"]
        with open_agent(bot_client, load_settings(home=home), today=DEMO_TODAY, audit=audit, offline=True) as agent:
            bot = DiscussBot(bot_client, agent, channel_name="finance", cursor_store=DiscussCursors(store.db),
                             poll_seconds=0.1)
            controller.call("discuss.channel", "message_post", [channel], body=ASK, message_type="comment",
                            subtype_xmlid="mail.mt_comment")
            [handled] = bot.poll_once().handled
    assert handled.action == "answered", handled
    proposal = _only_proposal(store)
    assert proposal.requested_by == "controller"            # the author's login, not their display name
    cli = _cli_approve(fresh_sandbox, home, proposal.id, "controller")
    assert cli.returncode == 1 and "asked for" in cli.stderr
    refused = _page_approve(fresh_sandbox, store, audit, proposal.id, "controller")
    assert refused.status_code == 403 and "asked for" in refused.text


def test_everyone_who_asked_for_the_same_thing_is_kept_out(fresh_sandbox, state):
    home, store, audit = state
    with connect(demo_connection(fresh_sandbox.url, "readonly")) as reader, \
            open_agent(reader, load_settings(home=home), today=DEMO_TODAY, audit=audit, offline=True) as agent:
        agent.ask(ASK, thread_id="first", asker="clerk")
        agent.ask(ASK, thread_id="second", asker="controller")
    proposal = _only_proposal(store)
    assert store.requesters(proposal.id) == ["clerk", "controller"]
    for login in ("clerk", "controller"):
        with pytest.raises(ApprovalRefused, match="asked for"):
            approve(store, audit, approver_connection(connection(fresh_sandbox), login, login), proposal.id,
                    agent_logins={"admin"}, approval_groups={"note": "account.group_account_invoice"})


@pytest.mark.parametrize("login", ["admin", "Admin ", "ledgerpilot-agent"])
def test_the_identity_ledgerpilot_uses_never_approves(fresh_sandbox, state, login):
    from tests.security.conftest import note

    home, store, audit = state
    proposal = store.add(note("Agent approval")).proposal
    with pytest.raises(ApprovalRefused, match="agent itself uses") as refused:
        approve(store, audit, approver_connection(connection(fresh_sandbox), login, "admin"), proposal.id,
                agent_logins={"admin"})
    assert refused.value.reason == "agent"
    env = odoo_env_for(fresh_sandbox, home)        # the configured user is admin
    env.update(LEDGERPILOT_APPROVER_PASSWORD="admin")
    cli = run_cli("proposals", "approve", proposal.id[:12], "--user", "admin", env=env)
    assert cli.returncode == 1 and "agent itself uses" in cli.stderr
    assert store.get(proposal.id).state == "proposed"
