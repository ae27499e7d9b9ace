"""Alert proposals per tier on the hand-made books (test_books.py), with exact payloads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerpilot.calc.budget import budget_proposals, budget_status, last_time, risk_category, risk_text
from ledgerpilot.domain.proposal import Proposal
from ledgerpilot.memory.exceptions import PastException, SimilarException
from tests.calc.budget.test_books import (
    ACTUALS,
    AS_OF,
    BUDGET_LINES,
    COMMITMENTS,
    IT,
    MARKETING,
    Q4,
    RENT,
    SOFTWARE,
    actual,
    books,
    commitment,
    d,
    line,
)

D = Decimal


def _proposals(data=None, **kwargs):
    return budget_proposals(budget_status(data or books(), AS_OF), run_id="run-1", **kwargs)


def _without(*line_ids):
    return [row for row in BUDGET_LINES if row["line_id"] not in line_ids]


def test_one_proposal_per_line_at_risk_most_serious_first():
    proposals = _proposals()
    assert [(p.kind, p.evidence.figures["line_id"]) for p in proposals] == [
        ("activity", 6), ("budget_transfer", 2), ("activity", 3), ("note", 5)]
    assert all(p.run_id == "run-1" and p.created_by == "ledgerpilot:budget" for p in proposals)


def test_high_overspend_with_room_elsewhere_is_an_exact_budget_transfer():
    transfer = _proposals()[1]
    assert transfer.kind == "budget_transfer"
    # IT software is projected 5000.00 over; Marketing software (Q3, finished) left 6000.00 unused
    assert transfer.payload.model_dump(mode="json") == {
        "model": "crossovered.budget", "method": "write",
        "args": [[1], {"crossovered_budget_line_ids": [[1, 4, {"planned_amount": "-3000.00"}],
                                                       [1, 2, {"planned_amount": "-25000.00"}]]}],
        "kwargs": {}}
    figures = transfer.evidence.figures
    assert (figures["transfer_amount"], figures["from_line_id"], figures["to_line_id"]) == (D("5000.00"), 4, 2)
    assert (figures["from_planned_after"], figures["to_planned_after"]) == (D("3000.00"), D("25000.00"))
    assert figures["analytic_line_ids"] == [110, 111] and figures["po_line_ids"] == [304]
    assert {(r.model, r.id) for r in transfer.evidence.records} >= {
        ("crossovered.budget", 1), ("crossovered.budget.lines", 2), ("crossovered.budget.lines", 4),
        ("purchase.order", 34)}
    assert "move 5,000.00 from it" in transfer.summary


def test_medium_drift_is_an_activity_for_the_budget_owner():
    activity = _proposals()[2]
    (values,) = activity.payload.args
    assert activity.payload.model == "mail.activity" and activity.payload.method == "create"
    assert {k: v for k, v in values.items() if k != "note"} == {
        "res_model": "crossovered.budget", "res_id": 1, "activity_type_id": "mail.mail_activity_data_todo",
        "summary": "Review IT / Rent (2026-10-01 to 2026-12-31): projected 5.9% over budget",
        "date_deadline": dt.date(2026, 11, 21), "user_id": 7}
    assert values["note"].startswith("<p>IT / Rent, 2026-10-01 to 2026-12-31: spent 6,000.00 of 8,500.00 EUR")
    assert "-&gt; medium" in values["note"]
    assert activity.title.startswith("Activity for Clara Controller")


def test_low_drift_is_a_note_on_the_budget():
    note = _proposals()[3]
    assert note.payload.model == "crossovered.budget" and note.payload.method == "message_post"
    assert note.payload.args == ([1],)
    kwargs = note.payload.kwargs
    assert (kwargs["message_type"], kwargs["subtype_xmlid"], kwargs["body_is_html"]) == (
        "comment", "mail.mt_note", True)
    assert kwargs["body"].startswith("<p>Marketing / Rent (2026-10-01 to 2026-12-31): a small drift (2.6%).</p>")
    assert "1,999.98 with commitments, 49.98 (2.6%) over budget" in kwargs["body"]
    assert note.evidence.figures["analytic_line_ids"] == [103]


def test_income_shortfall_is_an_activity_not_a_transfer():
    activity = _proposals()[0]
    (values,) = activity.payload.args
    assert values["summary"] == "Review Marketing / Revenue (2026-10-01 to 2026-12-31): projected 33.3% short of target"


def test_high_overspend_without_room_holds_the_largest_open_order():
    proposals = _proposals(books(budget_lines=_without(4)))
    hold = next(p for p in proposals if p.kind == "po_hold")
    (values,) = hold.payload.args
    assert hold.payload.model == "mail.activity" and hold.payload.method == "create"
    assert (values["res_model"], values["res_id"], values["user_id"]) == ("purchase.order", 34, 7)
    assert values["summary"] == ("Hold P00034: IT / Software (2026-10-01 to 2026-12-31) projected 5,000.00 EUR "
                                 "over budget")
    assert "Do not cancel the order" in values["note"]
    assert (hold.evidence.figures["hold_order_id"], hold.evidence.figures["hold_order_amount"]) == (34, D("1000.00"))
    assert not any(p.payload.method in ("button_cancel", "unlink") for p in proposals)


def test_high_overspend_without_room_or_order_is_an_activity():
    commitments = [row for row in COMMITMENTS if row["order_id"] != 34]
    proposals = _proposals(books(budget_lines=_without(4), commitments=commitments))
    software = next(p for p in proposals if p.evidence.figures["line_id"] == 2)
    assert software.kind == "activity"
    assert "no open purchase order of this line is left to hold" in software.summary


def test_a_donor_gives_to_one_line_per_run():
    # line 8 (Marketing rent, 3999.99 spent of 1000.00 -> 7999.98 projected) and line 2 (5000.00 over) are high;
    # line 9 (IT, Q3, 30000.00 unused) could cover both, but gives once: line 2 gets line 4's 6000.00 instead
    lines = _without(3, 5, 6) + [line(8, MARKETING, RENT, Q4, -1000.00),
                                 line(9, IT, None, (dt.date(2026, 7, 1), dt.date(2026, 9, 30)), -30000.00)]
    data = books(budget_lines=lines, actuals=ACTUALS + [actual(160, d("2026-10-05"), MARKETING, RENT, -3000.00)])
    transfers = [(p.evidence.figures["from_line_id"], p.evidence.figures["to_line_id"],
                  p.evidence.figures["transfer_amount"]) for p in _proposals(data) if p.kind == "budget_transfer"]
    assert transfers == [(9, 8, D("6999.98")), (4, 2, D("5000.00"))]


def test_past_exceptions_say_what_happened_last_time():
    past = PastException(id="budget:2026-03:IT", kind="budget_overrun", category="budget overrun: it software",
                         title="the same overrun on IT / Software", occurred_on=dt.date(2026, 3, 20),
                         resolution="budget transfer from Marketing approved", status="resolved")
    open_one = PastException(id="budget:2026-06:IT", kind="budget_overrun", category="budget overrun: it software",
                             title="an open one", occurred_on=dt.date(2026, 6, 1))
    similar = {"1/2": [SimilarException(exception=open_one, similarity=0.93),
                       SimilarException(exception=past, similarity=0.88)]}
    transfer = _proposals(similar=similar)[1]
    expected = ("Last time (2026-03) the same overrun on IT / Software was resolved: budget transfer from "
                "Marketing approved")
    assert transfer.summary.endswith(expected + ".")
    assert last_time([(past, 0.5)]) == expected
    assert last_time([]) is None and last_time(None) is None


def test_names_from_odoo_are_escaped_in_html():
    lines = [dict(row, analytic_account_name="<b>R&D</b>") if row["line_id"] == 5 else row for row in BUDGET_LINES]
    note = _proposals(books(budget_lines=lines))[3]
    assert "&lt;b&gt;R&amp;D&lt;/b&gt;" in note.payload.kwargs["body"] and "<b>" not in note.payload.kwargs["body"]


def test_a_budget_file_gets_notes_on_the_analytic_account_and_no_transfer():
    proposals = _proposals(books(kind="file"))
    assert "budget_transfer" not in {p.kind for p in proposals}
    note = next(p for p in proposals if p.kind == "note")
    assert (note.payload.model, note.payload.args) == ("account.analytic.account", ([MARKETING],))
    hold = next(p for p in proposals if p.evidence.figures["line_id"] == 2)
    assert hold.kind == "po_hold"


def test_odoo_18_budgets_are_written_on_budget_analytic():
    transfer = next(p for p in _proposals(books(kind="budget_analytic")) if p.kind == "budget_transfer")
    assert transfer.payload.model_dump(mode="json")["args"] == [
        [1], {"budget_line_ids": [[1, 4, {"budget_amount": "3000.00"}], [1, 2, {"budget_amount": "25000.00"}]]}]


def test_the_same_risk_gives_the_same_idempotency_key_and_survives_storage():
    first = _proposals()
    again = budget_proposals(budget_status(books(), AS_OF), run_id="run-2")
    assert [p.idempotency_key for p in first] == [p.idempotency_key for p in again]
    for proposal in first:
        stored = Proposal.from_json(proposal.to_json())
        assert stored.idempotency_key == proposal.idempotency_key
        assert stored.model_dump(mode="json") == proposal.model_dump(mode="json")


def test_nothing_at_risk_proposes_nothing():
    assert _proposals(books(budget_lines=[line(1, IT, RENT, Q4, -90000.00)])) == []


def test_words_for_the_memory_of_past_exceptions():
    software = next(line for line in budget_status(books(), AS_OF).lines if line.line_id == 2)
    assert risk_category(software) == "budget overrun: it software"
    assert risk_text(software).startswith("Spending over budget on IT / Software in Budget 2026. IT / Software, ")
    revenue = next(line for line in budget_status(books(), AS_OF).lines if line.line_id == 6)
    assert risk_category(revenue) == "budget shortfall: marketing revenue"


def test_finished_periods_get_no_proposal_unless_asked():
    # Marketing software, Q3: 10000.00 spent of 8000.00 -> high, but the quarter is over
    rows = ACTUALS + [actual(170, d("2026-09-01"), MARKETING, SOFTWARE, -8000.00)]
    report = budget_status(books(actuals=rows), AS_OF)
    finished = next(line for line in report.lines if line.line_id == 4)
    assert finished.tier == "high" and finished.projection_method == "period_over"
    assert 4 not in {p.evidence.figures["line_id"] for p in budget_proposals(report, run_id="r")}
    included = budget_proposals(report, run_id="r", include_finished=True)
    assert next(p for p in included if p.evidence.figures["line_id"] == 4).kind == "activity"


def test_an_order_is_held_once_per_run():
    # IT software and IT rent both high, both fed only by P00034: the second line gets an activity
    lines = _without(4) + [line(10, IT, RENT, Q4, -5000.00)]
    rows = COMMITMENTS + [commitment(307, 34, IT, 200.00, d("2026-12-01"), general=RENT)]
    proposals = _proposals(books(budget_lines=lines, commitments=rows))
    by_line = {p.evidence.figures["line_id"]: p for p in proposals}
    holds = [p for p in proposals if p.kind == "po_hold"]
    assert len(holds) == 1 and holds[0].evidence.figures["hold_order_id"] == 34
    other = by_line[10] if holds[0].evidence.figures["line_id"] == 2 else by_line[2]
    assert other.kind == "activity"
