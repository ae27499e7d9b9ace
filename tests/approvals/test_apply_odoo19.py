"""Approving and applying a proposal on the sandbox playing Odoo 19, for the second company: the approver
signs in with an API key (JSON-2 takes no password), the entry lands in the company the proposal was made
for, and the read-back finds it there."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgerpilot.approvals.apply import apply_proposal
from ledgerpilot.approvals.decide import ApprovalRefused, approve, approver_connection
from ledgerpilot.approvals.writers.common import marker
from ledgerpilot.config import OdooConnection
from ledgerpilot.domain.proposal import OdooCall, Proposal
from ledgerpilot.errors import ConfigError
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.odoo import NO_RETRY, connect
from tests.conftest import api_key_for

SECOND = "Brightwave Logistics BV"


def connection(handle, key: str, user: str = "admin") -> OdooConnection:
    return OdooConnection(url=handle.url, db=handle.db, user=user, api_key=key, company=SECOND)


def test_an_entry_for_the_second_company_is_written_there(fresh_sandbox19, tmp_path):
    handle = fresh_sandbox19
    writer = connect(connection(handle, api_key_for(handle, "admin")), retry=NO_RETRY)
    db = StateDB.in_home(tmp_path / "home")
    try:
        assert writer.company.id == 2
        journal = writer.search("account.journal", [("code", "=", "MISC")])
        accounts = {row["code"]: row["id"] for row in writer.search_read(
            "account.account", [("code", "in", ["600000", "212000"])], ["code"])}
        values = {"move_type": "entry", "journal_id": journal[0], "date": "2026-11-10", "ref": "Accrual fuel",
                  "line_ids": [(0, 0, {"account_id": accounts["600000"], "name": "fuel", "debit": Decimal("180.00"),
                                       "credit": Decimal(0)}),
                               (0, 0, {"account_id": accounts["212000"], "name": "fuel", "debit": Decimal(0),
                                       "credit": Decimal("180.00")})]}
        proposal = Proposal(kind="accrual", title="Accrue fuel", summary="fuel of November not billed yet",
                            payload=OdooCall(model="account.move", method="create", args=([values],)),
                            run_id="close-2", created_by="ledgerpilot:close")
        store, audit = ProposalStore(db), AuditLog(db)
        stored = store.add(proposal).proposal
        base = connection(handle, "unused")
        with pytest.raises(ApprovalRefused, match="refused the login"):  # a password is no credential on JSON-2
            approve(store, audit, approver_connection(base, "controller", "controller"), stored.id,
                    agent_logins={"admin"})
        approve(store, audit, approver_connection(base, "controller", api_key_for(handle, "controller")), stored.id,
                post=True, agent_logins={"admin"})
        result = apply_proposal(writer, store, audit, stored.id)
        assert result.ok and result.differences == [], result.error
        [move] = writer.search_read("account.move", [("ref", "ilike", marker(stored))], ["company_id", "state"])
        assert move["company_id"][0] == 2 and move["state"] == "posted"
        assert result.record.name.startswith("MISC/2026/11/")
        assert handle.app.legacy_rpc_calls == 0
    finally:
        writer.close()
        db.close()


def test_an_approver_outside_the_company_is_refused(fresh_sandbox19):
    handle = fresh_sandbox19
    clerk = approver_connection(connection(handle, "unused"), "clerk", api_key_for(handle, "clerk"))
    with pytest.raises(ConfigError, match="clerk"):
        connect(clerk, retry=NO_RETRY)
