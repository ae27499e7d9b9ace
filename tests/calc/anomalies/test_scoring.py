"""The per-entry risk: findings reach entries through payments, layers, orders and items; noisy-OR."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ledgerpilot.calc.anomalies.scoring import EntryLinks, entry_scores, noisy_or, rule_scores
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.proposal import RecordRef
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d


def test_noisy_or_and_the_entry_table():
    assert noisy_or([]) == 0.0
    assert noisy_or([0.5, 0.5]) == pytest.approx(0.75)
    assert noisy_or([0.95]) == pytest.approx(0.95)
    rules = pd.Series([0.75, 0.5], index=pd.Index([7, 3], name="move_id"))
    table = entry_scores(pd.Index([3, 5, 7]), rules)
    assert table["move_id"].tolist() == [7, 3, 5]
    assert table["risk"].tolist() == table["rule_score"].tolist() == [0.75, 0.5, 0.0]


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
