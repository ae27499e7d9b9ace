"""Unit-cost jumps of incoming valuation layers, vs the product's history and vs the PO price."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerpilot.calc.anomalies.detectors.unit_cost_jumps import DETECTOR
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d
from tests.calc.anomalies.test_detect_round_amounts import cites, demo_anomaly_data, demo_cases


def receive(books: AnomalyBooks, product: str, day: dt.date, unit_cost: float, *, po_price: float | None,
            qty: float = 20.0) -> int:
    """A receipt of ``qty`` units valued at ``unit_cost``, from a PO line at ``po_price`` (None: no PO)."""
    line = None
    if po_price is not None:
        line = books.purchase_line(books.partner("Vendor"), product, qty=qty, price=po_price, date=day)
        books.receipt(line, qty, date=day)
    return books.layer(product, quantity=qty, unit_cost=unit_cost, purchase_line=line,
                       created=dt.datetime.combine(day, dt.time(11)), description=f"WH/IN - {product}")


def books_with_history() -> AnomalyBooks:
    """Eight receipts of a monitor arm around 230.00 (a little drift) and the deliveries in between."""
    books = AnomalyBooks(today=d("2025-12-31"))
    for n, cost in enumerate((226.95, 228.10, 230.50, 229.80, 231.45, 232.62, 233.31, 232.96)):
        day = d("2025-01-10") + dt.timedelta(days=30 * n)
        receive(books, "Monitor Arm", day, cost, po_price=cost)
        books.layer("Monitor Arm", quantity=-15.0, unit_cost=cost, created=dt.datetime.combine(day, dt.time(15)))
    return books


def test_receipt_far_above_history_and_po_price_is_flagged():
    books = books_with_history()
    jump = receive(books, "Monitor Arm", d("2025-10-20"), 743.14, po_price=232.23)
    found = DETECTOR(books.data())
    assert [a.primary.id for a in found] == [jump]
    anomaly = found[0]
    assert anomaly.kind == "unit_cost_jump"
    assert anomaly.score >= 0.9
    assert anomaly.primary.model == "stock.valuation.layer"
    assert "purchase.order" in {ref.model for ref in anomaly.records}
    assert anomaly.figures["po_price"] == Decimal("232.23")
    # the median of the last six receipts (229.80 ... 233.31): (231.45 + 232.62) / 2
    assert anomaly.figures["usual_unit_cost"] == Decimal("232.04")
    assert anomaly.amount == Decimal("10222.10")          # (743.14 - 232.035) x 20 units
    assert "3.2 times" in anomaly.reason


def test_price_change_agreed_on_the_po_stays_below_the_threshold():
    books = books_with_history()
    agreed = receive(books, "Monitor Arm", d("2025-10-20"), 310.00, po_price=310.00)
    found = DETECTOR(books.data())
    assert [a.primary.id for a in found] == [agreed]
    assert found[0].score < 0.5
    assert "agreed" in found[0].reason


def test_ordinary_drift_deliveries_and_first_receipts_are_not_flagged():
    books = books_with_history()
    receive(books, "Monitor Arm", d("2025-10-20"), 236.40, po_price=236.40)
    receive(books, "Desk Lamp", d("2025-02-01"), 40.00, po_price=40.00)          # a new product:
    receive(books, "Desk Lamp", d("2025-03-01"), 95.00, po_price=40.00)          # no history yet
    books.layer("Monitor Arm", quantity=-3.0, unit_cost=900.0, created=dt.datetime(2025, 11, 2, 9))  # outgoing
    assert DETECTOR(books.data()) == []


def test_drop_without_a_purchase_order_is_flagged_on_history_alone():
    books = books_with_history()
    drop = receive(books, "Monitor Arm", d("2025-10-20"), 23.10, po_price=None)
    found = DETECTOR(books.data())
    assert [a.primary.id for a in found] == [drop]
    assert 0.5 <= found[0].score < 0.9
    assert "no purchase order" in found[0].reason
    assert found[0].title.endswith("below its history")


def test_later_receipts_are_judged_against_a_robust_median():
    books = books_with_history()
    receive(books, "Monitor Arm", d("2025-10-20"), 743.14, po_price=232.23)
    after = receive(books, "Monitor Arm", d("2025-11-20"), 234.89, po_price=234.89)
    assert after not in [a.primary.id for a in DETECTOR(books.data())]


def test_demo_unit_cost_jump_found(sandbox, demo_data_dir):
    data = demo_anomaly_data(sandbox)
    wanted, _ = demo_cases(demo_data_dir, DETECTOR.kinds)
    found = [a for a in DETECTOR(data) if a.score >= 0.5]
    assert wanted
    for case in wanted:
        hits = [a for a in found if cites(a, case.model, case.ids)]
        assert hits and hits[0].score >= 0.9, f"missed {case.kind} {case.ids}"
    assert len(found) <= 2 * len(wanted)
