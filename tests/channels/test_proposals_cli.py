"""``ledgerpilot proposals ...`` and ``ledgerpilot audit ...`` as a user runs them.

What needs a new process (a restart, exit codes and messages of the real ``ledgerpilot`` command) runs
in a subprocess; the rest runs the same Typer app in this process, to keep the tests quick.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledgerpilot.approvals.apply import ApplyRefused
from ledgerpilot.channels.cli.app import app
from ledgerpilot.channels.cli.proposals_cmd import ProposalsUsageError
from ledgerpilot.config import OdooConnection
from ledgerpilot.domain.proposal import OdooCall, Proposal
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.odoo import connect
from tests.channels.conftest import run_cli


def _entry(ref: str, created_by: str = "ledgerpilot:close", kind: str = "adjusting_entry") -> Proposal:
    values = {"move_type": "entry", "journal_id": 3, "date": "2026-10-31", "ref": ref,
              "line_ids": [(0, 0, {"account_id": 27, "name": ref, "debit": Decimal("99.90"), "credit": Decimal(0)}),
                           (0, 0, {"account_id": 23, "name": ref, "debit": Decimal(0), "credit": Decimal("99.90")})]}
    return Proposal(kind=kind, title=f"Adjust {ref}", summary="prepaid amortisation: 1/12 of 1,198.80",
                    payload=OdooCall(model="account.move", method="create", args=([values],)), run_id="close-7",
                    created_by=created_by)


@pytest.fixture()
def odoo_env(cli_env, fresh_sandbox) -> dict[str, str]:
    cli_env.update(LEDGERPILOT_ODOO_URL=fresh_sandbox.url, LEDGERPILOT_ODOO_DB=fresh_sandbox.db,
                   LEDGERPILOT_ODOO_USER="admin", LEDGERPILOT_ODOO_PASSWORD="admin")
    return cli_env


def _store(env: dict[str, str]) -> tuple[StateDB, ProposalStore]:
    db = StateDB.in_home(Path(env["LEDGERPILOT_HOME"]))
    return db, ProposalStore(db)


def invoke(*args: str, env: dict[str, str], input_text: str | None = None):
    """The Typer app in this process, with the LEDGERPILOT_ settings of ``env``."""
    settings = {k: v for k, v in env.items() if k.startswith("LEDGERPILOT_") or k == "COLUMNS"}
    return CliRunner().invoke(app, list(args), env=settings, input=input_text, catch_exceptions=True)


def test_pending_proposals_survive_a_restart(cli_env):
    db, store = _store(cli_env)
    first = store.add(_entry("October prepaid")).proposal
    second = store.add(_entry("October rent")).proposal
    db.close()   # the process that proposed them is gone

    listed = run_cli("proposals", "list", "--json", env=cli_env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["id"], r["state"], r["decision"]) for r in rows] == [(first.id, "proposed", None),
                                                                    (second.id, "proposed", None)]
    assert rows[0]["payload"]["args"][0][0]["line_ids"][0][2]["debit"] == "99.90"
    missing = run_cli("proposals", "show", "ffffffffffff", env=cli_env)
    assert missing.returncode == 1 and "no proposal with an id starting" in missing.stderr

    table = invoke("proposals", "list", "--state", "proposed", env=cli_env)
    assert table.exit_code == 0 and first.id[:12] in table.stdout and "Adjust October rent" in table.stdout
    shown = invoke("proposals", "show", first.id[:10], env=cli_env)
    assert shown.exit_code == 0, shown.stdout
    assert "prepaid amortisation" in shown.stdout and "account.move.create" in shown.stdout
    assert invoke("proposals", "list", "--state", "nonsense", env=cli_env).exit_code != 0


@pytest.mark.slow
def test_approve_apply_and_audit_from_the_command_line(odoo_env):
    db, store = _store(odoo_env)
    proposal = store.add(_entry("Command line")).proposal
    refused_agent = store.add(_entry("Agent tries")).proposal
    db.close()
    short = proposal.id[:12]

    agent = run_cli("proposals", "approve", refused_agent.id[:12], "--user", "admin",
                    env={**odoo_env, "LEDGERPILOT_APPROVER_PASSWORD": "admin"})
    assert agent.returncode == 1 and "agent can never approve" in agent.stderr
    # the password is asked with hidden input when not in the environment
    approved = invoke("proposals", "approve", short, "--user", "controller", "--post", "--note", "ok",
                      env=odoo_env, input_text="controller\n")
    assert approved.exit_code == 0, approved.stdout
    assert "approved" in approved.stdout and "Odoo password or API key of controller" in approved.output
    assert "controller\n" not in approved.output   # hidden: not echoed

    applied = invoke("proposals", "apply", "--all-approved", "--json", env=odoo_env)
    assert applied.exit_code == 0, applied.stdout
    [result] = json.loads(applied.stdout)
    assert result["proposal_id"] == proposal.id and result["state"] == "applied"
    assert result["record"]["model"] == "account.move" and result["differences"] == [] and not result["adopted"]

    shown = json.loads(invoke("proposals", "show", short, "--json", env=odoo_env).stdout)
    assert shown["decision"]["login"] == "controller" and shown["decision"]["post"] is True
    assert shown["application"]["records"][0]["id"] == result["record"]["id"]
    log = invoke("audit", "log", "--limit", "500", "--json", env=odoo_env)
    actions = [e["action"] for e in json.loads(log.stdout)]
    assert {"proposal", "refusal", "decision", "apply", "write", "read_back", "applied", "pull"} <= set(actions)
    assert "decision" in invoke("audit", "log", "--action", "decision", env=odoo_env).stdout

    verified = run_cli("audit", "verify", env=odoo_env)
    assert verified.returncode == 0 and "intact" in verified.stdout
    conn = sqlite3.connect(Path(odoo_env["LEDGERPILOT_HOME"]) / "state.sqlite")
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = 'someone' WHERE action = 'decision'")
    conn.commit()
    conn.close()
    tampered = run_cli("audit", "verify", env=odoo_env)
    assert tampered.returncode == 1 and "TAMPERED" in tampered.stdout and "was edited" in tampered.stdout


def test_accruals_and_reversals_are_posted_unless_the_approver_says_draft(odoo_env):
    db, store = _store(odoo_env)
    accrual = store.add(_entry("CLI accrual", kind="accrual")).proposal
    drafted = store.add(_entry("CLI accrual kept draft", kind="accrual")).proposal
    reversal = store.add(_entry("CLI reversal", kind="reversal")).proposal
    adjusting = store.add(_entry("CLI adjusting")).proposal
    db.close()
    env = {**odoo_env, "LEDGERPILOT_APPROVER_PASSWORD": "controller"}
    said = {}
    for proposal, flags in ((accrual, []), (drafted, ["--draft"]), (reversal, []), (adjusting, [])):
        done = invoke("proposals", "approve", proposal.id[:12], "--user", "controller", *flags, env=env)
        assert done.exit_code == 0, done.output
        said[proposal.id] = done.stdout
    assert "to be posted" in said[accrual.id] and "to be posted" in said[reversal.id]
    assert "as a draft" in said[drafted.id] and "as a draft" in said[adjusting.id]
    applied = json.loads(invoke("proposals", "apply", "--all-approved", "--json", env=odoo_env).stdout)
    assert {r["proposal_id"]: r["state"] for r in applied} == dict.fromkeys(said, "applied")
    states = {}
    odoo = OdooConnection(url=odoo_env["LEDGERPILOT_ODOO_URL"], db=odoo_env["LEDGERPILOT_ODOO_DB"], user="readonly",
                          password="readonly", transport="jsonrpc")
    with connect(odoo) as client:
        for result in applied:
            [move] = client.read("account.move", [result["record"]["id"]], ["state"])
            states[result["proposal_id"]] = move["state"]
    assert states == {accrual.id: "posted", drafted.id: "draft", reversal.id: "posted", adjusting.id: "draft"}


def test_reject_needs_a_note_and_a_rejected_proposal_is_not_applied(odoo_env):
    db, store = _store(odoo_env)
    proposal = store.add(_entry("To reject")).proposal
    db.close()
    assert invoke("proposals", "reject", proposal.id[:12], "--user", "controller", env=odoo_env).exit_code == 2
    rejected = invoke("proposals", "reject", proposal.id[:12], "--user", "controller", "--note", "wrong account",
                      env={**odoo_env, "LEDGERPILOT_APPROVER_PASSWORD": "controller"})
    assert rejected.exit_code == 0, rejected.stdout
    usage = invoke("proposals", "apply", env=odoo_env).exception
    assert isinstance(usage, ProposalsUsageError) and usage.exit_code == 2 and "--all-approved" in str(usage)
    refused = invoke("proposals", "apply", proposal.id[:12], env=odoo_env)
    assert isinstance(refused.exception, ApplyRefused) and "rejected" in str(refused.exception)
