"""The payment-behaviour model on small hand-made histories whose answer is known."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerpilot.calc.cash.history import PAID_COLUMNS
from ledgerpilot.calc.cash.payment_behaviour.model import fit_payment_behaviour

AS_OF = dt.date(2026, 6, 30)


class Books:
    """Builds PAID_COLUMNS settlements and open items one invoice at a time."""

    def __init__(self) -> None:
        self.paid: list[dict] = []
        self.open: list[dict] = []
        self.next_id = 1

    def invoice(self, partner: int, invoice_date: dt.date, delays: list[float] | float | None,
                amounts: list[float] | None = None, kind: str = "receivable", term: int = 30,
                name: str | None = None, open_amount: float = 0.0) -> int:
        item = self.next_id
        self.next_id += 1
        due = invoice_date + dt.timedelta(days=term)
        delays = [] if delays is None else (delays if isinstance(delays, list) else [delays])
        amounts = amounts or [100.0 / max(len(delays), 1)] * len(delays)
        for delay, amount in zip(delays, amounts):
            self.paid.append({
                "item_id": item, "move_id": item, "move_name": f"INV/{item:05d}", "kind": kind,
                "partner_id": partner, "partner_name": name or f"Partner {partner}",
                "invoice_date": pd.Timestamp(invoice_date), "due_date": pd.Timestamp(due), "amount": amount,
                "paid_date": pd.Timestamp(due + dt.timedelta(days=delay)), "delay_days": delay})
        if open_amount:
            self.open.append({"id": item, "kind": kind, "partner_id": partner,
                              "partner_name": name or f"Partner {partner}", "invoice_date": pd.Timestamp(invoice_date),
                              "date_maturity": pd.Timestamp(due), "move_type": "out_invoice",
                              "balance": open_amount + sum(amounts), "residual": open_amount})
        return item

    def paid_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.paid, columns=list(PAID_COLUMNS))
        frame["partner_id"] = frame["partner_id"].astype("Int64")
        return frame

    def open_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.open, columns=["id", "kind", "partner_id", "partner_name", "invoice_date",
                                                 "date_maturity", "move_type", "balance", "residual"])
        frame["partner_id"] = frame["partner_id"].astype("Int64")
        return frame


def days_before(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)


def punctual_company(books: Books, partners: range = range(100, 110), invoices: int = 10) -> None:
    """Many partners who pay exactly on the due date, spread over the last year."""
    for partner in partners:
        for i in range(invoices):
            books.invoice(partner, days_before(60 + 30 * i), 0)


def test_shrinkage_one_invoice_stays_near_the_company_thirty_invoices_near_its_own():
    books = Books()
    punctual_company(books)
    books.invoice(1, days_before(70), 30)                   # one late invoice
    for i in range(30):                                       # thirty late invoices
        books.invoice(2, days_before(70 + 7 * i), 30)
    model = fit_payment_behaviour(books.paid_frame(), AS_OF)
    one, many = model.behaviour("receivable", 1), model.behaviour("receivable", 2)
    assert one.invoices == 1 and one.own_weight < 0.2
    assert one.median_delay == 0.0, "a single late invoice does not outweigh the company's habit"
    assert many.invoices == 30 and many.own_weight > 0.75
    assert many.median_delay == 30.0
    assert "only 1 invoice of its own" in one.explanation
    # the company's distribution mixes everyone
    assert model.company("receivable").invoices == 100 + 1 + 30


def test_prior_strength_decides_how_much_history_a_partner_needs():
    books = Books()
    punctual_company(books)
    for i in range(3):
        books.invoice(1, days_before(40 + 10 * i), 20)
    weak = fit_payment_behaviour(books.paid_frame(), AS_OF, prior_strength=0.5).behaviour("receivable", 1)
    strong = fit_payment_behaviour(books.paid_frame(), AS_OF, prior_strength=50).behaviour("receivable", 1)
    assert weak.own_weight > 0.7 and weak.median_delay == 20.0
    assert strong.own_weight < 0.1 and strong.median_delay == 0.0


def test_recency_weighting_lets_recent_habits_win():
    books = Books()
    # twelve partners paid on time two years ago, ten pay 20 days late in the last two months
    for partner in range(12):
        books.invoice(partner, days_before(700 + partner), 0)
    for partner in range(12, 22):
        books.invoice(partner, days_before(40 + partner), 20)
    recent = fit_payment_behaviour(books.paid_frame(), AS_OF, half_life_days=60).company("receivable")
    flat = fit_payment_behaviour(books.paid_frame(), AS_OF, half_life_days=1e9).company("receivable")
    assert recent.median_delay == 20.0
    assert flat.median_delay == 0.0


def test_settlements_after_as_of_are_not_known_yet():
    books = Books()
    punctual_company(books, range(100, 103))
    books.invoice(1, AS_OF - dt.timedelta(days=35), 40)   # due 5 days ago, paid 35 days from now
    model = fit_payment_behaviour(books.paid_frame(), AS_OF)
    assert model.behaviour("receivable", 1) == model.company("receivable")
    assert 1 not in {b.partner_id for b in model.partners}


def test_partial_payments_are_weighted_by_amount():
    books = Books()
    for i in range(40):
        # 80% paid on the due date, the last 20% thirty days later: one item, two weighted settlements
        books.invoice(1, days_before(80 + 5 * i), [0, 30], amounts=[80.0, 20.0])
    behaviour = fit_payment_behaviour(books.paid_frame(), AS_OF).behaviour("receivable", 1)
    assert behaviour.invoices == 40 and behaviour.payments == 80
    assert behaviour.median_delay == 0.0 and behaviour.p90_delay == 30.0
    # a fifth of the amount 30 days late, diluted a little by the "due date" prior of the company
    assert 5.0 < behaviour.mean_delay <= 6.0


def test_censoring_gives_a_defaulting_customer_a_real_probability_of_not_paying():
    books = Books()
    punctual_company(books)
    for i in range(8):
        books.invoice(1, days_before(400 + 20 * i), 5)        # used to pay
    for i in range(5):
        books.invoice(1, days_before(150 + 20 * i), None, amounts=[], open_amount=250.0)  # then stopped
    paid, still_open = books.paid_frame(), books.open_frame()
    with_open = fit_payment_behaviour(paid, AS_OF, still_open).behaviour("receivable", 1)
    without = fit_payment_behaviour(paid, AS_OF).behaviour("receivable", 1)
    assert without.prob_unpaid_90 < 0.01
    assert with_open.prob_unpaid_90 > 0.3
    assert with_open.open_overdue_90 == 5 and with_open.invoices == 13
    assert "has not paid 5 invoices for over 90 days" in with_open.explanation
    model = fit_payment_behaviour(paid, AS_OF, still_open)
    # an item already 120 days overdue is very likely still unpaid a quarter later
    assert model.prob_unpaid_within("receivable", 1, 120, 91) > 0.9
    # a punctual partner's item not yet due will almost surely be paid within 13 weeks
    assert model.prob_unpaid_within("receivable", 100, -10, 91) < 0.05


def test_sampling_matches_the_quantiles_and_the_unpaid_share():
    books = Books()
    punctual_company(books, range(100, 104))
    rng = np.random.default_rng(3)
    for i, delay in enumerate(rng.normal(12, 6, 60).round()):
        books.invoice(1, days_before(40 + 3 * i), float(delay))
    for i in range(15):
        books.invoice(1, days_before(200 + 3 * i), None, amounts=[], open_amount=100.0)
    model = fit_payment_behaviour(books.paid_frame(), AS_OF, books.open_frame())
    behaviour = model.behaviour("receivable", 1)
    draws = model.sample_delays("receivable", np.array([1] * 200), 200, np.random.default_rng(0)).ravel()
    paid = draws[np.isfinite(draws)]
    unpaid_share = 1 - model.cdf("receivable", 1)[-1]
    assert np.mean(~np.isfinite(draws)) == pytest.approx(unpaid_share, abs=0.01)
    for q, expected in ((0.1, behaviour.p10_delay), (0.5, behaviour.median_delay), (0.9, behaviour.p90_delay)):
        assert np.quantile(paid, q) == pytest.approx(expected, abs=1.0)


def test_conditional_sampling_never_returns_a_delay_already_past():
    books = Books()
    punctual_company(books, range(100, 104))
    for i in range(30):
        books.invoice(1, days_before(40 + 7 * i), float(i % 25))
    model = fit_payment_behaviour(books.paid_frame(), AS_OF)
    overdue = np.array([-30, -1, 0, 0.5, 3, 10, 24, 24.9, 60, 400], dtype=float)
    partners = np.array([1, 1, 1, 100, 1, 1, 1, 1, 1, 999])
    draws = model.sample_delays("receivable", partners, 300, np.random.default_rng(11), already_overdue=overdue)
    assert draws.shape == (10, 300)
    finite = np.isfinite(draws)
    assert np.all(draws[finite] > np.repeat(overdue[:, None], 300, axis=1)[finite])
    # past everything this partner ever did: not paid within the model's horizon
    assert not finite[-1].any()


def test_seeded_sampling_and_fitting_are_deterministic():
    books = Books()
    punctual_company(books, range(100, 103))
    for i in range(10):
        books.invoice(1, days_before(40 + 9 * i), float(3 * i))
    first = fit_payment_behaviour(books.paid_frame(), AS_OF)
    second = fit_payment_behaviour(books.paid_frame().sample(frac=1.0, random_state=4), AS_OF)
    assert first.partners == second.partners
    ids = np.array([1, 100, 101, 5])
    a = first.sample_delays("receivable", ids, 50, np.random.default_rng(42))
    b = second.sample_delays("receivable", ids, 50, np.random.default_rng(42))
    np.testing.assert_array_equal(a, b)


def test_explanations_in_words():
    books = Books()
    punctual_company(books)
    for i in range(6):
        books.invoice(1, days_before(60 + 10 * i), 9, name="Acme Ltd")
    for i in range(12):
        books.invoice(2, days_before(60 + 10 * i), -6, name="Early Bird SA")
    for i in range(10):
        books.invoice(50, days_before(60 + 10 * i), 0, kind="payable", name="Paper Supplies")
    model = fit_payment_behaviour(books.paid_frame(), AS_OF)
    assert model.explain("receivable", 1) == "Customer Acme Ltd pays 9 days late (median of its last 6 invoices)"
    assert model.explain("receivable", 2) == "Customer Early Bird SA pays 6 days early (median of its last 12 invoices)"
    assert model.explain("receivable", 100) == "Customer Partner 100 usually pays on time (median of its last 10 invoices)"
    assert model.explain("payable", 50) == "Vendor Paper Supplies is usually paid on time (median of its last 10 bills)"
    assert model.explain("receivable", None).startswith("Customers usually pay on time (median of 118 invoices)")


def test_a_steady_drift_moves_the_prediction_towards_today():
    books = Books()
    punctual_company(books, range(100, 104))
    # pays two days later every month: from 0 to 22 days over the last year
    for month in range(12):
        books.invoice(1, days_before(395 - 30 * month), 2.0 * month)
    behaviour = fit_payment_behaviour(books.paid_frame(), AS_OF).behaviour("receivable", 1)
    assert behaviour.drift_days > 5
    assert behaviour.median_delay >= 15, "beyond the 11-day average of its history"
    assert "paying later over time" in behaviour.explanation


def test_unknown_partners_get_the_company_and_empty_history_means_the_due_date():
    model = fit_payment_behaviour(pd.DataFrame(columns=list(PAID_COLUMNS)), AS_OF)
    company = model.company("receivable")
    assert company.median_delay == 0.0 and company.invoices == 0
    assert "no payment history yet" in company.explanation
    assert model.behaviour("payable", 12345) == model.company("payable")
    assert model.expected_delay("receivable", None) == 0.0
    assert model.partners == ()


def test_clear_errors_for_bad_input():
    books = Books()
    books.invoice(1, days_before(40), 0)
    with pytest.raises(ValueError, match="paid_items lacks the columns \\['paid_date'\\]"):
        fit_payment_behaviour(books.paid_frame().drop(columns=["paid_date"]), AS_OF)
    with pytest.raises(ValueError, match="open_items lacks the columns"):
        fit_payment_behaviour(books.paid_frame(), AS_OF, pd.DataFrame({"id": [1]}))
    with pytest.raises(ValueError, match="half_life_days"):
        fit_payment_behaviour(books.paid_frame(), AS_OF, half_life_days=0)
    model = fit_payment_behaviour(books.paid_frame(), AS_OF)
    with pytest.raises(ValueError, match="unknown kind 'customer'"):
        model.behaviour("customer", 1)
    with pytest.raises(ValueError, match="already_overdue has 1 values for 2 partners"):
        model.sample_delays("receivable", np.array([1, 2]), 5, np.random.default_rng(0), np.array([3.0]))


@settings(max_examples=40, deadline=None)
@given(delays=st.lists(st.integers(-30, 120), min_size=1, max_size=25),
       overdue=st.lists(st.floats(-60, 400, allow_nan=False), min_size=1, max_size=8),
       seed=st.integers(0, 2**32 - 1))
def test_conditional_draws_are_always_later_than_the_days_already_overdue(delays, overdue, seed):
    books = Books()
    for i, delay in enumerate(delays):
        books.invoice(1 + i % 3, days_before(200 + 5 * i), float(delay))
    model = fit_payment_behaviour(books.paid_frame(), AS_OF)
    partners = np.array([1 + i % 4 for i in range(len(overdue))])
    draws = model.sample_delays("receivable", partners, 40, np.random.default_rng(seed),
                                already_overdue=np.array(overdue))
    finite = np.isfinite(draws)
    assert np.all(draws[finite] > np.repeat(np.array(overdue)[:, None], 40, axis=1)[finite])
    assert np.all(draws[finite] <= model.max_delay_days)
