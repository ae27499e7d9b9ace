"""The close graph's results as plain JSON: what its checkpointed state and the report hold.

LangGraph saves the state after every step; typed results (DataFrames, dataclasses, pydantic
models) are turned into small JSON documents here so a saved run can be read back by any later
process, and the report never needs the calculators again.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pandas as pd

from ledgerpilot.domain.proposal import to_jsonable

#: How many bank lines the report lists (the best-matched first).
MATCH_ROWS = 50


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    return to_jsonable(value)


def checklist_summary(checklist) -> list[dict]:
    """One row per check: check, title, status (passed/failed/skipped), detail, finding_count, blocking."""
    return [{"check": item.check, "title": item.title, "status": item.status, "detail": item.detail,
             "finding_count": int(item.finding_count), "blocking": bool(item.blocking)}
            for item in checklist.items]


def trial_balance_summary(review) -> list[dict]:
    """The flagged accounts only: code, name, movement, history_mean, variance, explaining lines."""
    rows = []
    for row in review.rows:
        if not row.flagged:
            continue
        rows.append({"account_id": int(row.account_id), "code": row.code, "name": row.name,
                     "movement": _plain(row.movement), "history_mean": _plain(row.history_mean),
                     "variance": None if row.variance_share is None else float(row.variance_share),
                     "lines": [{"name": ref.name or f"{ref.model} {ref.id}", "id": ref.id, "model": ref.model,
                                "amount": _plain(amount)} for ref, amount in row.lines]})
    return rows


def match_summary(result, bank_lines: pd.DataFrame, *, limit: int | None = MATCH_ROWS) -> dict:
    """Counts by confidence level, and the best candidate of each bank line (high first; ``limit`` rows)."""
    by_id = {int(r.id): r for r in bank_lines.itertuples(index=False)} if len(bank_lines) else {}
    counts = {"high": 0, "medium": 0, "low": 0}
    rows = []
    for match in result.matches:
        if not match.candidates:
            continue
        best = match.candidates[0]
        counts[best.level] = counts.get(best.level, 0) + 1
        line = by_id.get(int(match.bank_line_id))
        rows.append({"bank_line_id": int(match.bank_line_id),
                     "date": "" if line is None else str(pd.Timestamp(line.date).date()),
                     "label": "" if line is None else str(line.payment_ref or ""),
                     "amount": "" if line is None else _plain(line.amount),
                     "candidate": ", ".join(best.move_names), "item_ids": list(best.item_ids),
                     "confidence": float(best.confidence), "level": best.level, "reason": best.reason})
    rows.sort(key=lambda r: (-r["confidence"], r["date"]))
    matched = sum(counts.values())
    return {"bank_lines": matched + len(result.unmatched), **counts, "unmatched": len(result.unmatched),
            "rows": rows if limit is None else rows[:limit]}


def proposal_summary(store, proposal_id: str) -> dict:
    """A stored proposal with its decision and application, as the report shows it."""
    proposal = store.get(proposal_id)
    out = {"id": proposal.id, "kind": proposal.kind, "title": proposal.title, "summary": proposal.summary,
           "state": proposal.state, "decision": None}
    decision = store.decision(proposal_id)
    if decision is not None:
        out["decision"] = {"decision": decision.decision, "by": decision.login,
                           "at": decision.decided_at.isoformat(), "post": decision.post, "note": decision.note}
    return out


def applied_summary(result) -> dict:
    """What one apply did: the record written (or found), the differences Odoo made, or the error."""
    record = None if result.record is None else {"model": result.record.model, "id": result.record.id,
                                                 "name": result.record.name}
    return {"proposal_id": result.proposal.id, "title": result.proposal.title, "state": result.proposal.state,
            "record": record, "adopted": bool(result.adopted), "differences": list(result.differences),
            "error": result.error}
