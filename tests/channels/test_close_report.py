"""The close report: both formats from one report, and Odoo text never becomes markup."""

import datetime as dt

from ledgerpilot.graphs.close_report import (
    CloseReport,
    md_escape,
    render_html,
    render_markdown,
    write_close_report,
)

EVIL = "<script>alert(1)</script> [click](http://evil.example) | **bold**"


def _report(**changes) -> CloseReport:
    values = dict(
        month="2026-10", company="Demo Co", currency="EUR", generated_at=dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC),
        stage="finished",
        checklist=[{"check": "draft_moves", "title": "Draft entries in the period", "status": "failed",
                    "detail": "1 draft entry", "finding_count": 1, "blocking": True},
                   {"check": "journals", "title": "Journals with entries", "status": "passed", "detail": "all 6",
                    "finding_count": 0, "blocking": False}],
        findings=[{"check": "draft_moves", "severity": "blocking", "title": f"Draft entry of {EVIL}",
                   "reason": "Post or delete it.", "period": "2026-10", "amount": "430.00",
                   "records": [{"model": "account.move", "id": 12, "name": EVIL}], "figures": {}}],
        trial_balance=[{"account_id": 5, "code": "613000", "name": "Rent", "movement": "9000.00",
                        "history_mean": "4500.00", "variance": 1.0,
                        "lines": [{"name": EVIL, "id": 3, "model": "account.move.line", "amount": "4500.00"}]}],
        matches={"bank_lines": 2, "high": 1, "medium": 0, "low": 0, "unmatched": 1,
                 "rows": [{"bank_line_id": 1, "date": "2026-10-03", "label": EVIL, "amount": "1200.00",
                           "candidate": "INV/2026/00012", "item_ids": [4], "confidence": 0.97, "level": "high",
                           "reason": "amount and invoice number in the label"}]},
        proposals=[{"id": "a" * 32, "kind": "accrual", "title": "Accrual 2026-10: goods received not billed",
                    "summary": "12 x 45.50 received", "state": "applied",
                    "decision": {"decision": "approved", "by": "controller", "at": "2026-11-03T09:00:00+00:00",
                                 "post": False, "note": ""}}],
        applied=[{"proposal_id": "a" * 32, "title": "Accrual 2026-10", "state": "applied",
                  "record": {"model": "account.move", "id": 99, "name": "MISC/2026/10/0001"}, "adopted": False,
                  "differences": ["date: approved 2026-09-30, Odoo set 2026-10-31"], "error": None}],
        lock={"date": "2026-10-31", "proposed": False, "proposal_id": None,
              "reasons": ["1 blocking finding left (draft_moves)"]},
    )
    values.update(changes)
    return CloseReport(**values)


def test_markdown_has_every_section_and_escapes_odoo_text():
    text = render_markdown(_report())
    for heading in ("# Close of 2026-10 — Demo Co", "## Checklist", "## Findings", "## Trial-balance review",
                    "## Bank reconciliation", "## Proposals", "## Applied"):
        assert heading in text
    assert "<script>" not in text and "\\[click\\](http" in text  # the link is broken, the text kept
    assert "not proposed: 1 blocking finding left" in text
    assert "Odoo changed: date: approved 2026-09-30, Odoo set 2026-10-31" in text
    assert "430.00 EUR" in text and "9,000.00" in text
    # a label with a pipe cannot open a new table column
    row = next(line for line in text.splitlines() if line.startswith("| 2026-10-03"))
    assert row.count(" | ") == 5


def test_html_is_autoescaped_and_carries_the_same_facts():
    page = render_html(_report())
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'id="checklist"' in page and 'id="matches"' in page and "MISC/2026/10/0001" in page
    assert "1 blocking finding" in page and "97% (high)" in page


def test_an_empty_run_says_so_rather_than_showing_empty_tables():
    text = render_markdown(_report(findings=[], trial_balance=[], proposals=[], applied=[], matches={}, lock={}))
    assert "None." in text and "No account moved unusually" in text and "Nothing was written to Odoo" in text
    assert "no blocking finding left" in text


def test_written_atomically_as_markdown_and_html(tmp_path):
    paths = write_close_report(_report(), tmp_path / "reports")
    assert sorted(p.name for p in paths.values()) == ["close-2026-10.html", "close-2026-10.md"]
    assert not list((tmp_path / "reports").glob("*.tmp"))


def test_md_escape_flattens_lines_and_escapes_specials():
    assert md_escape("a\nb | c") == "a b \\| c"
    assert md_escape(None) == ""
    assert md_escape("# heading") == "\\# heading" and md_escape("- item") == "\\- item"
    assert md_escape("-79,624.69 in 2026-11") == "\\-79,624.69 in 2026-11"
    assert md_escape("![img](x) <b>") == "!\\[img\\](x) \\<b\\>"
