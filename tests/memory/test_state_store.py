"""The state database: proposals stored idempotently, forecast runs append-only, both durable."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import pytest

from ledgerpilot.domain.proposal import Evidence, OdooCall, Proposal, ProposalTransitionError
from ledgerpilot.memory import (
    ForecastRun,
    ForecastRunNotFound,
    ForecastRunStore,
    ProposalNotFound,
    ProposalStore,
    StateDB,
    StateError,
)
from ledgerpilot.memory.state import SCHEMA_VERSION


def _payment(amount: str = "500.00", run_id: str = "r1") -> Proposal:
    values = {"payment_type": "outbound", "partner_type": "supplier", "partner_id": 7, "amount": Decimal(amount),
              "date": dt.date(2026, 11, 18), "ref": "BILL/2026/00001"}
    return Proposal(kind="payment_proposal", title="Pay 1 bill", summary="surplus",
                    payload=OdooCall(model="account.payment", method="create", args=([values],)),
                    evidence=Evidence(figures={"total": Decimal(amount)}), run_id=run_id,
                    created_by="ledgerpilot:forecast")


def _run(as_of=dt.date(2026, 11, 18), **extra) -> ForecastRun:
    return ForecastRun(as_of=as_of, params={"weeks": 13, "seed": 0}, inputs_hash="abc123", odoo_url="http://x",
                       odoo_db="demo", company="Demo", currency="EUR",
                       result={"opening_balance": "1000.00", "weeks_rows": []}, **extra)


def test_created_on_first_use_with_a_schema_version(tmp_path):
    home = tmp_path / "home"
    with StateDB.in_home(home) as db:
        assert (home / "state.sqlite").exists()
        assert db.version == SCHEMA_VERSION


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "state.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StateError, match="newer than this ledgerpilot"):
        StateDB(path)


def test_insert_is_idempotent_and_survives_reopening(tmp_path):
    with StateDB.in_home(tmp_path) as db:
        store = ProposalStore(db)
        first = store.add(_payment())
        again = store.add(_payment(run_id="r2"))          # same kind and payload, another run
        other = store.add(_payment(amount="600.00"))
        assert first.created and not again.created and other.created
        assert again.proposal.id == first.proposal.id and again.proposal.run_id == "r1"
    with StateDB.in_home(tmp_path) as db:
        store = ProposalStore(db)
        stored = store.list()
        assert [p.id for p in stored] == [first.proposal.id, other.proposal.id]
        assert store.get(first.proposal.id).payload.args[0][0]["amount"] == "500.00"
        assert [p.id for p in store.list(state="proposed", run_id="r1")] == [first.proposal.id, other.proposal.id]
        assert store.list(kind="activity") == []


def test_state_changes_follow_the_life_cycle(tmp_path):
    with StateDB.in_home(tmp_path) as db:
        store = ProposalStore(db)
        proposal = store.add(_payment()).proposal
        with pytest.raises(ProposalTransitionError):
            store.set_state(proposal.id, "applied")
        assert store.get(proposal.id).state == "proposed"       # the refused change left nothing behind
        assert store.set_state(proposal.id, "rejected").state == "rejected"
        assert store.list(state="rejected")[0].id == proposal.id
        with pytest.raises(ProposalNotFound, match="no proposal with id 'nope'"):
            store.get("nope")


def test_a_failed_transaction_leaves_nothing(tmp_path):
    with StateDB.in_home(tmp_path) as db:
        store = ProposalStore(db)
        with pytest.raises(RuntimeError):
            with db.transaction() as conn:
                proposal = _payment()
                conn.execute("INSERT INTO proposals (id, idempotency_key, kind, state, run_id, created_at, created_by,"
                             " title, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (proposal.id, proposal.idempotency_key, proposal.kind, proposal.state, "r", "t", "x",
                              "t", proposal.to_json()))
                raise RuntimeError("crash in the middle")
        assert store.list() == []


def test_runs_are_saved_with_lineage_and_are_append_only(tmp_path):
    with StateDB.in_home(tmp_path) as db:
        runs = ForecastRunStore(db)
        older = runs.save(_run(created_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC)))
        newer = runs.save(_run(as_of=dt.date(2026, 11, 19), kind="backtest"))
        with pytest.raises(sqlite3.IntegrityError):
            runs.save(older)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"), db.transaction() as conn:
            conn.execute("UPDATE forecast_runs SET result = '{}'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"), db.transaction() as conn:
            conn.execute("DELETE FROM forecast_runs")
    with StateDB.in_home(tmp_path) as db:
        runs = ForecastRunStore(db)
        back = runs.get(older.run_id)
        assert back == older
        assert back.params == {"weeks": 13, "seed": 0} and back.inputs_hash == "abc123"
        assert back.result["opening_balance"] == "1000.00"
        assert runs.get(older.run_id[:8]).run_id == older.run_id
        assert [r.run_id for r in runs.list()] == [newer.run_id, older.run_id]
        assert [r.run_id for r in runs.list(kind="forecast")] == [older.run_id]
        with pytest.raises(ForecastRunNotFound, match="no forecast run 'missing'"):
            runs.get("missing")
