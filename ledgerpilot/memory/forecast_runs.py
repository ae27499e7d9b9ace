"""Stored forecast runs with their lineage: what was forecast, from what, with which settings.

Every forecast (and backtest) run is saved once and never changed (the table refuses updates and
deletes): the as-of date, the parameters, the hash of the extracted inputs (``CashHistory.source``),
the Odoo it came from and the full result as JSON. ``forecast compare`` reads a run back and sets it
against what the bank did afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field

from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.state import StateDB


class ForecastRunNotFound(LedgerpilotError):
    """No stored forecast run has the given id."""


class ForecastRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    created_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))
    kind: str = "forecast"          # "forecast" or "backtest"
    as_of: dt.date
    params: Mapping[str, Any]
    inputs_hash: str
    odoo_url: str
    odoo_db: str
    company: str
    currency: str
    result: Mapping[str, Any]       # JSON form of the result (CashForecast / backtest)


class ForecastRunSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    created_at: dt.datetime
    kind: str
    as_of: dt.date
    company: str
    currency: str
    odoo_url: str
    odoo_db: str
    inputs_hash: str


class ForecastRunStore:
    def __init__(self, db: StateDB):
        self.db = db

    def save(self, run: ForecastRun) -> ForecastRun:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO forecast_runs (run_id, created_at, as_of, kind, params, inputs_hash, odoo_url, odoo_db,"
                " company, currency, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run.run_id, run.created_at.isoformat(), run.as_of.isoformat(), run.kind,
                 json.dumps(run.params, sort_keys=True, default=str), run.inputs_hash, run.odoo_url, run.odoo_db,
                 run.company, run.currency, json.dumps(run.result, default=str)))
        return run

    def get(self, run_id: str) -> ForecastRun:
        rows = self.db.query("SELECT * FROM forecast_runs WHERE run_id = ?", (run_id,))
        if not rows:
            rows = self.db.query("SELECT * FROM forecast_runs WHERE run_id LIKE ? ORDER BY created_at",
                                 (f"{run_id}%",)) if len(run_id) >= 6 else []
            if len(rows) > 1:
                raise ForecastRunNotFound(f"{run_id!r} matches {len(rows)} forecast runs; give more of the id")
        if not rows:
            raise ForecastRunNotFound(f"no forecast run {run_id!r} in {self.db.path}; "
                                      "`ledgerpilot forecast` prints the id of each run")
        row = rows[0]
        return ForecastRun(run_id=row["run_id"], created_at=dt.datetime.fromisoformat(row["created_at"]),
                           kind=row["kind"], as_of=dt.date.fromisoformat(row["as_of"]),
                           params=json.loads(row["params"]), inputs_hash=row["inputs_hash"],
                           odoo_url=row["odoo_url"], odoo_db=row["odoo_db"], company=row["company"],
                           currency=row["currency"], result=json.loads(row["result"]))

    def list(self, *, kind: str | None = None, limit: int | None = None) -> list[ForecastRunSummary]:
        """Runs, newest first."""
        where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        sql = (f"SELECT run_id, created_at, kind, as_of, company, currency, odoo_url, odoo_db, inputs_hash "
               f"FROM forecast_runs {where} ORDER BY created_at DESC, rowid DESC")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [ForecastRunSummary(run_id=r["run_id"], created_at=dt.datetime.fromisoformat(r["created_at"]),
                                   kind=r["kind"], as_of=dt.date.fromisoformat(r["as_of"]), company=r["company"],
                                   currency=r["currency"], odoo_url=r["odoo_url"], odoo_db=r["odoo_db"],
                                   inputs_hash=r["inputs_hash"])
                for r in self.db.query(sql, params)]
