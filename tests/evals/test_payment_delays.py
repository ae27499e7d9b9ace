"""Walk-forward payment-delay evaluation: hand-made CSV with known answers, CSV errors, the demo company."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ledgerpilot.evals.payment_delay_csv import InvoiceHistoryError, read_invoice_history
from ledgerpilot.evals.payment_delays import (
    NotEnoughHistoryError,
    evaluate_payment_delays,
    walk_forward_predictions,
)

HEADER = "partner,invoice_date,due_date,amount,paid_date"

# Acme pays 5 days late, Beta on the due date except in March (12 days late). From July on they are scored:
# Acme's July invoice is paid in two halves, 0 and 10 days late (amount-weighted: 5 days); Beta's on time.
KNOWN = """invoice,partner,invoice_date,due_date,amount,paid_date
A1,Acme,2024-01-01,2024-01-31,100.00,2024-02-05
A2,Acme,2024-02-01,2024-03-02,100.00,2024-03-07
A3,Acme,2024-03-01,2024-03-31,100.00,2024-04-05
A4,Acme,2024-04-01,2024-05-01,100.00,2024-05-06
A5,Acme,2024-05-01,2024-05-31,100.00,2024-06-05
A6,Acme,2024-06-01,2024-07-01,100.00,2024-07-06
B1,Beta,2024-01-15,2024-02-14,80.00,2024-02-14
B2,Beta,2024-02-15,2024-03-16,80.00,2024-03-16
B3,Beta,2024-03-15,2024-04-14,80.00,2024-04-26
B4,Beta,2024-04-15,2024-05-15,80.00,2024-05-15
B5,Beta,2024-05-15,2024-06-14,80.00,2024-06-14
B6,Beta,2024-06-15,2024-07-15,80.00,2024-07-15
A7,Acme,2024-07-01,2024-07-31,50.00,2024-07-31
A7,Acme,2024-07-01,2024-07-31,50.00,2024-08-10
B7,Beta,2024-07-15,2024-08-14,80.00,2024-08-14
"""


def write(tmp_path: Path, text: str, name: str = "history.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_hand_made_history_with_known_answers(tmp_path):
    paid, open_items = read_invoice_history(write(tmp_path, KNOWN))
    assert len(paid) == 15 and open_items.empty
    scored, refits = walk_forward_predictions(paid, open_items, start=dt.date(2024, 7, 1))
    assert refits == 1
    assert list(scored["partner_name"]) == ["Acme", "Beta"]
    assert list(scored["actual_delay"]) == [5.0, 0.0]
    # running mean: Acme's five invoices paid before 1 July (all 5 days late); Beta's five paid before
    # 15 July: 0, 0, 12, 0, 0 -> 2.4 (its June invoice is paid on 15 July, not before)
    assert list(scored["running_mean"]) == [5.0, 2.4]
    # the model's median ignores Beta's single late month and keeps Acme's habit (Beta's own median, hardly
    # pulled towards the company's: its delays are steady apart from that month)
    assert list(scored["model"]) == pytest.approx([5.0, 0.0], abs=0.1)

    result = evaluate_payment_delays(paid, open_items, start=dt.date(2024, 7, 1), source="known")
    assert result.invoices == 2 and result.partners == 2
    assert (result.start, result.end) == (dt.date(2024, 7, 1), dt.date(2024, 7, 15))
    model, due, running = (result.score(m) for m in ("model", "due_date", "running_mean"))
    assert model.mae_days < 0.1 and model.within_7_days == 1.0 and abs(model.bias_days) < 0.1
    assert (due.mae_days, due.within_7_days, due.bias_days) == (2.5, 1.0, -2.5)
    assert (running.mae_days, running.within_7_days, running.bias_days) == (1.2, 1.0, 1.2)
    assert result.best == "model"


def test_default_start_skips_a_three_month_warm_up(tmp_path):
    paid, open_items = read_invoice_history(write(tmp_path, KNOWN))
    result = evaluate_payment_delays(paid, open_items)
    assert result.start == dt.date(2024, 4, 1)
    assert result.invoices == 8  # A4..A7 and B4..B7, the parts of A7 counted as one invoice
    assert result.refits == 4    # April, May, June, July


def test_as_of_forgets_what_came_later(tmp_path):
    paid, open_items = read_invoice_history(write(tmp_path, KNOWN))
    result = evaluate_payment_delays(paid, open_items, as_of=dt.date(2024, 7, 20), start=dt.date(2024, 6, 1))
    # A7 is only half paid on 20 July and B7 not at all: both unscored; A6 and B6 were paid by then
    assert result.invoices == 2
    assert (result.start, result.end) == (dt.date(2024, 6, 1), dt.date(2024, 6, 15))


def test_unpaid_rows_are_open_items_that_inform_the_model_but_are_not_scored(tmp_path):
    text = KNOWN + ",Gamma,2024-01-10,2024-02-09,300.00,\n,Gamma,2024-02-10,2024-03-11,300.00,\n"
    paid, open_items = read_invoice_history(write(tmp_path, text))
    assert list(open_items["partner_name"]) == ["Gamma", "Gamma"]
    assert list(open_items["residual"]) == [300.0, 300.0]
    result = evaluate_payment_delays(paid, open_items, start=dt.date(2024, 7, 1))
    assert result.invoices == 2


def test_vendor_bills_are_scored_apart(tmp_path):
    text = KNOWN.replace("invoice,partner,", "kind,invoice,partner,").replace("\nA", "\nreceivable,A").replace(
        "\nB", "\nreceivable,B") + "payable,V1,Paper Co,2024-08-01,2024-08-31,40.00,2024-08-30\n"
    paid, open_items = read_invoice_history(write(tmp_path, text))
    result = evaluate_payment_delays(paid, open_items, kinds=("payable",), start=dt.date(2024, 8, 1))
    assert result.invoices == 1 and result.kinds == ("payable",)
    assert result.score("due_date").mae_days == 1.0


@pytest.mark.parametrize("text, message", [
    ("partner,invoice_date,amount,paid_date\nAcme,2024-01-01,10,2024-02-01\n",
     "line 1: missing column(s) due_date"),
    (f"{HEADER}\nAcme,2024-01-01,2024-01-31,100,2024-02-01\nAcme,2024-02-01,31/01/2024,100,2024-03-01\n",
     "line 3, column 'due_date': '31/01/2024' is not an ISO date"),
    (f"{HEADER}\nAcme,2024-01-01,2024-01-31,1.234,56,2024-02-01\n", "line 2: expected 5 fields"),
    (f"{HEADER}\nAcme,2024-01-01,2024-01-31,abc,2024-02-01\n", "line 2, column 'amount': 'abc' is not a number"),
    (f"{HEADER}\nAcme,2024-01-01,2024-01-31,-5,2024-02-01\n", "line 2, column 'amount': '-5' must be a positive"),
    (f"{HEADER}\nAcme,,2024-01-31,5,2024-02-01\n", "line 2, column 'invoice_date': a date is required"),
    (f"{HEADER}\n,2024-01-01,2024-01-31,5,2024-02-01\n", "line 2, column 'partner': a partner name is required"),
    ("", "the file is empty"),
    (f"{HEADER}\n", "no invoice rows after the header"),
    (f"kind,{HEADER}\ncustomer,Acme,2024-01-01,2024-01-31,5,2024-02-01\n",
     "line 2, column 'kind': 'customer' is not one of receivable, payable"),
    (f"invoice,{HEADER}\nX,Acme,2024-01-01,2024-01-31,5,2024-02-01\nX,Acme,2024-01-02,2024-01-31,5,2024-02-01\n",
     "line 3: invoice 'X' of Acme has other dates than on line 2"),
])
def test_malformed_csv_names_the_line_and_column(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(InvoiceHistoryError) as excinfo:
        read_invoice_history(path)
    assert message in str(excinfo.value)
    assert str(path) in str(excinfo.value)


def test_missing_file_and_empty_window_are_clear_errors(tmp_path):
    with pytest.raises(InvoiceHistoryError, match="no such file"):
        read_invoice_history(tmp_path / "nope.csv")
    paid, open_items = read_invoice_history(write(tmp_path, KNOWN))
    with pytest.raises(NotEnoughHistoryError, match="choose an earlier start .*2024-01-01"):
        evaluate_payment_delays(paid, open_items, start=dt.date(2025, 1, 1))
    with pytest.raises(ValueError, match="kinds must be among"):
        evaluate_payment_delays(paid, open_items, kinds=("customers",))


@pytest.mark.slow
def test_on_the_demo_company_the_model_beats_both_baselines(sandbox):
    from ledgerpilot.evals.payment_delays import evaluate_on_history
    from ledgerpilot.odoo.connection import connect
    from ledgerpilot.sandbox.demo import demo_connection
    from ledgerpilot.tools.cash.history import load_cash_history
    from tests.conftest import DEMO_TODAY

    client = connect(demo_connection(sandbox.url), cache_dir=None)
    try:
        history = load_cash_history(client, today=DEMO_TODAY)
    finally:
        client.close()
    result = evaluate_on_history(history, DEMO_TODAY)
    model, due, running = (result.score(m) for m in ("model", "due_date", "running_mean"))
    assert result.invoices > 300 and result.refits >= 12
    assert model.mae_days < running.mae_days < due.mae_days
    assert model.mae_days < 0.9 * running.mae_days, "a clear margin, not a tie"
    assert model.within_7_days > max(due.within_7_days, running.within_7_days)
