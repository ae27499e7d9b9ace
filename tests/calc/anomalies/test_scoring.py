"""Entry features, the IsolationForest score and the combined risk, on hand-built books and features."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ledgerpilot.calc.anomalies.config import AnomalyConfig
from ledgerpilot.calc.anomalies.features import FEATURES, entry_features
from ledgerpilot.calc.anomalies.scoring import (
    EntryLinks,
    combine,
    entry_scores,
    fit_and_score,
    noisy_or,
    rule_scores,
)
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.proposal import RecordRef
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d


def ordinary_books(months: int = 12) -> AnomalyBooks:
    """A year of regular bills, payments and invoices, typed in office hours by the usual people."""
    rng = np.random.default_rng(3)
    books = AnomalyBooks(today=d("2025-12-31"))
    vendors = {books.partner(f"Vendor {i}"): 400.0 + 250.0 * i for i in range(8)}
    customers = {books.partner(f"Customer {i}"): 900.0 + 300.0 * i for i in range(6)}
    for month in range(1, months + 1):
        for n, (vendor, base) in enumerate(vendors.items()):
            day = dt.date(2025, month, 3 + n)
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            amount = round(base * rng.uniform(0.85, 1.15), 2)
            created = dt.datetime.combine(day, dt.time(9 + n % 8, int(rng.integers(0, 59))))
            bill = books.bill(vendor, amount, date=day, ref=f"V{n}-{month}", created=created)
            books.payment(vendor, amount, date=day + dt.timedelta(days=2), bills=[bill],
                          created=created + dt.timedelta(days=2))
        for n, (customer, base) in enumerate(customers.items()):
            day = dt.date(2025, month, 12 + n)
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            created = dt.datetime.combine(day, dt.time(10 + n % 6, 15))
            books.invoice(customer, round(base * rng.uniform(0.8, 1.2), 2), date=day, created=created)
    return books


def test_features_are_one_row_per_entry_with_every_column():
    books = ordinary_books(months=2)
    data = books.data()
    features = entry_features(data)
    assert list(features.columns) == list(FEATURES)
    assert sorted(features.index) == sorted(data.moves["id"].astype(int))
    assert not features.isna().any().any()
    assert (features["line_count"] == 2).all()
    bill = data.moves.loc[data.moves["origin"] == "bill", "id"].iloc[0]
    size = -data.moves.loc[data.moves["id"] == bill, "amount_total_signed"].iloc[0]
    assert features.loc[bill, "log_amount"] == pytest.approx(np.log1p(size))


def test_an_obviously_odd_entry_ranks_first_and_scores_are_deterministic():
    books = ordinary_books()
    odd = books.entry([("500000", 90000.0), ("252000", -90000.0)], date=d("2025-06-15"), user="night",
                      created=dt.datetime(2025, 6, 15, 3, 12))            # a Sunday, 03:12, a stranger
    data = books.data()
    features = entry_features(data)
    assert features.loc[odd, "roundness"] == 3
    assert features.loc[odd, "hour_rarity"] == features["hour_rarity"].max()
    assert features.loc[odd, "account_set_rarity"] == features["account_set_rarity"].max()

    config = AnomalyConfig()
    first = fit_and_score(features, config)
    assert first.fitted_on == len(features)
    assert first.isolation.idxmax() == odd
    assert first.model_score[odd] == 1.0
    # most entries are ordinary: outside the model's tail they score 0
    assert (first.model_score == 0).mean() >= 1 - config.model_tail - 0.01
    again = fit_and_score(entry_features(books.data()), config)
    pd.testing.assert_series_equal(first.isolation, again.isolation)
    pd.testing.assert_series_equal(first.model_score, again.model_score)

    table = entry_scores(features.index, pd.Series(dtype="float64"), first, config.model_weight)
    assert int(table.iloc[0]["move_id"]) == odd
    assert table.iloc[0]["risk"] == pytest.approx(config.model_weight)   # the model alone stays below 0.5
    assert table["risk"].is_monotonic_decreasing


def test_hand_built_feature_rows_and_the_fit_subsample():
    rng = np.random.default_rng(11)
    rows = pd.DataFrame(rng.normal(0.0, 1.0, size=(600, len(FEATURES))), columns=list(FEATURES),
                        index=pd.Index(range(1, 601), name="move_id"))
    rows.loc[601] = 9.0                                       # far away on every axis
    config = AnomalyConfig(model_fit_rows=200, model_trees=50)
    scores = fit_and_score(rows, config)
    assert scores.fitted_on == 200                           # a seeded subsample of the history
    assert scores.isolation.idxmax() == 601
    assert scores.isolation.between(0, 1).all() and scores.model_score.between(0, 1).all()
    other_seed = fit_and_score(rows, AnomalyConfig(model_fit_rows=200, model_trees=50, model_seed=8))
    assert other_seed.isolation.idxmax() == 601
    assert not np.allclose(other_seed.isolation, scores.isolation)      # the seed is really used
    # fitted on history only: the odd row is scored, not learned from
    history = fit_and_score(rows, config, history=rows.index[:-1])
    assert history.fitted_on == 200 and history.model_score[601] == 1.0


def test_too_little_history_makes_the_model_abstain():
    rows = pd.DataFrame(np.ones((10, len(FEATURES))), columns=list(FEATURES), index=pd.Index(range(10)))
    scores = fit_and_score(rows, AnomalyConfig())
    assert scores.fitted_on == 0 and (scores.model_score == 0).all()


def test_noisy_or_and_the_combined_risk():
    assert noisy_or([]) == 0.0
    assert noisy_or([0.5, 0.5]) == pytest.approx(0.75)
    assert noisy_or([0.95]) == pytest.approx(0.95)
    assert combine(0.0, 1.0, 0.3) == pytest.approx(0.3)
    assert combine(0.95, 0.0, 0.3) == pytest.approx(0.95)      # a strong rule stays strong
    assert combine(0.4, 1.0, 0.3) == pytest.approx(0.58)       # a weak rule the model agrees with is lifted
    assert combine(0.4, 0.0, 0.3) == pytest.approx(0.4)


def _anomaly(score: float, *records: tuple[str, int], detector: str = "test") -> Anomaly:
    return Anomaly(detector=detector, kind="test", score=score, title="t", reason="r",
                   records=tuple(RecordRef(model=m, id=i) for m, i in records))


def test_findings_reach_entries_through_payments_layers_orders_and_items():
    books = AnomalyBooks(today=d("2025-06-30"))
    vendor = books.partner("Acme")
    line = books.purchase_line(vendor, "Widget", qty=10, price=5.0, date=d("2025-03-01"))
    bill = books.bill(vendor, 50.0, date=d("2025-03-05"), product="Widget", quantity=10, purchase_line=line)
    payment = books.payment(vendor, 50.0, date=d("2025-03-10"), bills=[bill])
    layer = books.layer("Widget", quantity=10, unit_cost=5.0, created=dt.datetime(2025, 3, 3, 10),
                        purchase_line=line)
    data = books.data()
    links = EntryLinks(data)
    payment_move = int(data.payments.loc[data.payments["id"] == payment, "move_id"].iloc[0])
    item = int(data.lines.loc[data.lines["move_id"] == bill, "id"].iloc[0])
    assert links.moves_of(RecordRef(model="account.move", id=bill)) == (bill,)
    assert links.moves_of(RecordRef(model="account.move", id=999)) == ()
    assert links.moves_of(RecordRef(model="account.payment", id=payment)) == (payment_move,)
    assert links.moves_of(RecordRef(model="account.move.line", id=item)) == (bill,)
    assert links.moves_of(RecordRef(model="purchase.order", id=1)) == (bill,)
    assert links.moves_of(RecordRef(model="stock.valuation.layer", id=layer)) == ()   # no valuation entry

    rules = rule_scores([_anomaly(0.5, ("account.move", bill)),
                         _anomaly(0.5, ("purchase.order", 1), ("account.payment", payment)),
                         _anomaly(0.9, ("stock.valuation.layer", layer), ("purchase.order", 1))], links)
    # two findings on the bill: noisy-OR; the order cited as context of the layer does not count
    assert rules[bill] == pytest.approx(0.75)
    assert rules[payment_move] == pytest.approx(0.5)
    assert set(rules.index) == {bill, payment_move}
