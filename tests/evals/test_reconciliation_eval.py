"""The reconciliation eval on the test demo company: truth from the books, targets met."""

from __future__ import annotations

import pytest

from ledgerpilot.evals.reconciliation import score_reconciliation
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.sandbox.generator import load_ground_truth

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def score(sandbox, demo_data_dir):
    with connect(demo_connection(sandbox.url, "readonly")) as client:
        return score_reconciliation(client, demo_data_dir, months=6)


def test_targets_are_met_on_the_demo(score):
    assert score.precision is not None and score.precision >= 0.99, score.summary()
    assert score.coverage >= 0.85, score.summary()
    assert score.mistakes() == []


def test_scope_and_counts_add_up(score, demo_data_dir):
    assert score.lines == score.replayed + score.current == len(score.scored)
    assert score.high == score.correct + score.wrong + score.unverified
    labelled = {i for d in load_ground_truth(demo_data_dir).defects_of("unreconciled_bank_line") for i in d.ids}
    current = {s.bank_line_id for s in score.scored if s.source == "current"}
    assert labelled <= current
    assert all(s.date >= score.window_start for s in score.scored if s.source == "replay")
    assert str(score.window_start) == "2026-05-01"


def test_lines_with_no_counterpart_by_design_stay_in_the_denominator(score):
    no_counterpart = [s for s in score.scored if s.truth == ()]
    labels = " ".join(s.label for s in no_counterpart)
    assert score.no_counterpart == len(no_counterpart) > 0
    assert "SALARIES" in labels and "Account maintenance fee" in labels
    assert all(s.outcome != "correct" for s in no_counterpart)


def test_truth_comes_from_the_reconciliations(score):
    replayed = [s for s in score.scored if s.source == "replay" and s.truth]
    assert replayed and all(s.outcome in {"correct", "not high"} for s in replayed)
    vendor_payments = [s for s in replayed if s.amount < 0 and s.outcome == "correct"]
    assert vendor_payments and all(s.best.move_names[0].startswith("PBNK1/") for s in vendor_payments)
    receipts = [s for s in replayed if s.amount > 0 and s.outcome == "correct"]
    # customer transfers settle invoices directly, or the payments registered from them (Outstanding Receipts)
    first = {s.best.move_names[0].split("/")[0] for s in receipts}
    assert first == {"INV", "PBNK1"}
    assert all(name.startswith("INV/") for s in receipts if len(s.best.move_names) > 1 for name in s.best.move_names)
    # the generator says what every waiting line pays: nothing is left unverified
    assert not [s for s in score.scored if s.outcome == "unverified"]
    current = [s for s in score.scored if s.source == "current"]
    assert current and all(s.truth is not None for s in current)
    assert score.precision_all == score.correct / score.high


def test_months_must_be_positive(sandbox, demo_data_dir):
    with connect(demo_connection(sandbox.url, "readonly")) as client, pytest.raises(ValueError, match="months"):
        score_reconciliation(client, demo_data_dir, months=0)
