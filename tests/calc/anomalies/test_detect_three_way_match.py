"""Three-way match: purchase order lines billed for more than was received."""

from __future__ import annotations

from decimal import Decimal

from ledgerpilot.calc.anomalies.detectors.three_way_match import DETECTOR
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d
from tests.calc.anomalies.test_detect_round_amounts import cites, demo_anomaly_data, demo_cases


def order(books: AnomalyBooks, name: str, *, qty: float, received: float, billed: float, price: float,
          date, bill_date=None, product: str = "LED Desk Lamp") -> tuple[int, int | None, int | None]:
    """A PO line with its receipt and bill as Odoo keeps them; returns (line, receipt, bill)."""
    vendor = books.partner("Quartz Builders")
    line = books.purchase_line(vendor, product, qty=qty, price=price, date=date, received=received,
                               invoiced=billed, order=name)
    receipt = books.receipt(line, received, date=date) if received else None
    bill = None
    if billed:
        bill = books.bill(vendor, round(billed * price, 2), date=bill_date or date, product=product,
                          quantity=billed, purchase_line=line, ref=f"{name}-BILL")
    return line, receipt, bill


def test_billed_more_than_received_is_flagged_on_the_order_citing_bill_and_receipt():
    books = AnomalyBooks(today=d("2025-06-30"))
    _, receipt, bill = order(books, "P00054", qty=100, received=80, billed=100, price=120.81, date=d("2025-04-14"),
                             bill_date=d("2025-04-19"))
    found = DETECTOR(books.data())
    assert len(found) == 1
    anomaly = found[0]
    assert anomaly.kind == "quantity_mismatch"
    assert anomaly.primary.model == "purchase.order" and anomaly.primary.name == "P00054"
    assert anomaly.record_ids("account.move") == [bill]
    assert anomaly.record_ids("stock.move") == [receipt]
    assert anomaly.amount == Decimal("2416.20")          # 20 units never received x 120.81
    assert 0.7 <= anomaly.score <= 0.8                   # a fifth of the billed quantity
    assert "received 80" in anomaly.reason and "billed for 100" in anomaly.reason


def test_harmless_disagreements_are_not_flagged():
    books = AnomalyBooks(today=d("2025-06-30"))
    order(books, "P00001", qty=100, received=60, billed=60, price=10.0, date=d("2025-03-01"))   # backorder
    order(books, "P00002", qty=50, received=50, billed=0, price=12.5, date=d("2025-06-20"))     # bill to come
    order(books, "P00003", qty=40, received=40, billed=40, price=9.9, date=d("2025-02-01"))     # matched
    order(books, "P00004", qty=1000, received=995, billed=1000, price=0.2, date=d("2025-02-01"))  # within 2%
    order(books, "P00005", qty=30, received=0, billed=30, price=5.0, date=d("2025-02-01"), product="Cable")
    lines = books.rows["purchase_lines"]
    lines[-1]["state"] = "cancel"                                                                # cancelled order
    assert DETECTOR(books.data()) == []


def test_a_recent_bill_ahead_of_goods_still_expected_waits_below_the_threshold():
    books = AnomalyBooks(today=d("2025-06-30"))
    order(books, "P00009", qty=100, received=0, billed=100, price=10.0, date=d("2025-06-20"), bill_date=d("2025-06-25"))
    found = DETECTOR(books.data())
    assert len(found) == 1 and found[0].score < 0.5
    assert "may simply be late" in found[0].reason
    later = DETECTOR(books.data(), {"grace_days": 3})
    assert later[0].score >= 0.9                        # nothing received at all: the strongest case


def test_lines_of_one_order_give_one_finding():
    books = AnomalyBooks(today=d("2025-06-30"))
    order(books, "P00011", qty=10, received=8, billed=10, price=50.0, date=d("2025-03-03"))
    order(books, "P00011", qty=20, received=15, billed=20, price=5.0, date=d("2025-03-03"), product="Cable")
    found = DETECTOR(books.data())
    assert len(found) == 1
    assert found[0].amount == Decimal("125.00")         # 2 x 50.00 + 5 x 5.00
    assert found[0].figures["lines"] == 2


def test_demo_quantity_mismatch_found(sandbox, demo_data_dir):
    data = demo_anomaly_data(sandbox)
    wanted, _ = demo_cases(demo_data_dir, DETECTOR.kinds)
    found = [a for a in DETECTOR(data) if a.score >= 0.5]
    assert wanted
    for case in wanted:
        hits = [a for a in found if cites(a, case.model, case.ids)]
        assert hits, f"missed {case.kind} {case.ids}"
        assert hits[0].record_ids("account.move") == [case.details["bill_id"]]
    assert len(found) == len(wanted)
