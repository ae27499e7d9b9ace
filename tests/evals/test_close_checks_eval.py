"""The close-check evaluation: its scoring rules on a hand-written ground truth, and the goals on the
demo company (the current month and the one before)."""

from __future__ import annotations

import json

import pytest

from ledgerpilot.domain.findings import Finding
from ledgerpilot.domain.proposal import RecordRef
from ledgerpilot.evals.close_checks import evaluate_close_checks, score_close_checks
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection


def _defect(kind, period, model, ids, **details):
    return {"kind": kind, "period": period, "model": model, "ids": ids, "description": kind, "details": details}


@pytest.fixture()
def truth_dir(tmp_path):
    truth = {"seed": 1, "scale": 1.0, "today": "2026-11-18", "customers": [], "anomalies": [], "not_anomalies": [],
             "counts": {}, "close_defects": [
                 _defect("draft_move_in_period", "2026-11", "account.move", [5, 6]),
                 _defect("draft_move_in_period", "2026-10", "account.move", [1]),
                 _defect("suspense_balance", "2026-11", "account.account", [2], balance=-10.0),
                 _defect("unreconciled_bank_line", "2026-09", "account.bank.statement.line", [77]),
                 _defect("missing_accrual", "2026-11", "res.partner", [146])]}
    (tmp_path / "ground_truth.json").write_text(json.dumps(truth))
    return tmp_path


def finding(check, period, *records):
    return Finding(check=check, severity="blocking", title=f"{check} {period}", reason="r", period=period,
                   records=tuple(RecordRef(model=m, id=i) for m, i in records))


def test_scoring_rules(truth_dir):
    findings = [
        finding("draft_moves", "2026-11", ("account.move", 6), ("account.move", 9)),   # one record is enough
        finding("suspense_accounts", "2026-10", ("account.account", 2)),   # same account as November's label
        finding("draft_moves", "2026-10", ("account.move", 2)),            # no labelled record: false, and missed
        finding("unusual_amounts", "2026-11", ("account.move.line", 3)),    # false
        finding("draft_moves", "2026-09", ("account.move", 1)),            # outside the scored periods
    ]
    score = score_close_checks(truth_dir, findings)
    assert score.periods == ("2026-10", "2026-11")
    assert [(d.kind, d.period, d.found) for d in score.defects] == [
        ("draft_move_in_period", "2026-11", True), ("draft_move_in_period", "2026-10", False),
        ("suspense_balance", "2026-11", False)]     # found only by a finding of the same period
    assert score.recall == pytest.approx(1 / 3)
    assert score.findings == 4 and score.false_findings == ["draft_moves: draft_moves 2026-10",
                                                            "unusual_amounts: unusual_amounts 2026-11"]
    assert score.false_share == 0.5 and not score.meets_goals
    assert score.not_scored == {"missing_accrual": "an accrual proposal, not a check, handles it"}
    assert score.by_kind() == {"draft_move_in_period": (1, 2), "suspense_balance": (0, 1)}


def test_a_finding_of_another_check_does_not_find_a_defect(truth_dir):
    score = score_close_checks(truth_dir, [finding("trial_balance", "2026-11", ("account.move", 5))],
                               periods=["2026-11"])
    assert score.recall == 0 and score.false_findings == []    # its record is labelled, so it is not false


def test_demo_company_meets_the_goals(sandbox, demo_data_dir):
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        score, findings = evaluate_close_checks(client, demo_data_dir)
    assert score.periods == ("2026-10", "2026-11")
    assert score.missed == [], score.missed
    assert score.recall >= 0.95 and score.false_share <= 0.10, score.false_findings
    assert score.meets_goals
    assert {f.check for f in findings} >= {"draft_moves", "unreconciled_bank_lines", "suspense_accounts",
                                           "subledger_control", "idle_journals", "missing_analytic"}
    assert set(score.not_scored) == {"missing_accrual", "goods_received_not_billed"}
