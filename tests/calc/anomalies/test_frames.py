"""The anomaly data contract: typed frames, the scope of an incremental scan, the detector protocol."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from ledgerpilot.calc.anomalies.detector import Detector, UnknownParameterError
from ledgerpilot.calc.anomalies.frames import FRAMES, AnomalyData, Scope, columns, conform, empty_frame
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.proposal import RecordRef
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d


def _anomaly(*records: tuple[str, int]) -> Anomaly:
    return Anomaly(detector="duplicate_bills", kind="duplicate_bill_same_reference", score=0.9, title="t",
                   reason="r", records=tuple(RecordRef(model=m, id=i) for m, i in records))


def test_empty_frames_have_the_contract_dtypes():
    for name, spec in FRAMES.items():
        frame = empty_frame(name)
        assert frame.empty and columns(name) == tuple(spec)
        assert {c: str(t) for c, t in frame.dtypes.items()} == spec, name


def test_conform_types_orders_and_drops_extra_columns():
    raw = pd.DataFrame({
        "extra": [1, 2], "date": ["2025-03-01", None], "amount": ["12.5", 3], "id": [1.0, 2.0],
        "debit_move_line_id": [None, 7], "credit_move_line_id": [3, 4],
        "max_date": [pd.Timestamp("2025-03-01", tz="Europe/Brussels"), pd.NaT]}).drop(columns="date")
    frame = conform("partials", raw)
    assert tuple(frame.columns) == columns("partials")
    assert frame["id"].tolist() == [1, 2] and str(frame["id"].dtype) == "Int64"
    assert frame["debit_move_line_id"].isna().tolist() == [True, False]
    assert frame["amount"].tolist() == [12.5, 3.0]
    assert frame["max_date"].iloc[0] == pd.Timestamp("2025-02-28 23:00:00")  # UTC, naive
    users = conform("users", pd.DataFrame({"id": [1, 2], "login": pd.array(["a", None], dtype="string"),
                                           "name": [float("nan"), "B"]}))
    assert users["login"].tolist() == ["a", None] and users["name"].tolist() == [None, "B"]
    assert users["login"].dtype == object


def test_conform_names_what_is_wrong():
    with pytest.raises(ValueError, match=r"'users' lacks the column\(s\) login, name"):
        conform("users", pd.DataFrame({"id": [1]}))
    with pytest.raises(ValueError, match=r"'users' column 'id' cannot be read as Int64"):
        conform("users", pd.DataFrame({"id": ["one"], "login": ["a"], "name": ["A"]}))
    with pytest.raises(KeyError, match="unknown anomaly frame 'bills'"):
        empty_frame("bills")


def test_anomaly_data_refuses_frames_off_contract():
    data = AnomalyBooks().data()
    frames = dict(data.frames)
    with pytest.raises(ValueError, match="'users' has columns"):
        AnomalyData(company_name="C", currency="EUR", digits=2, today=d("2025-06-30"),
                    **{**frames, "users": frames["users"][["id", "login"]]})
    wrong = frames["users"].astype({"id": "int64"})
    with pytest.raises(ValueError, match="id is int64, expected Int64"):
        AnomalyData(company_name="C", currency="EUR", digits=2, today=d("2025-06-30"), **{**frames, "users": wrong})
    with pytest.raises(ValueError, match="unavailable names unknown frame"):
        AnomalyData(company_name="C", currency="EUR", digits=2, today=d("2025-06-30"), unavailable={"stock": "x"},
                    **frames)


def test_scope_touches_anomalies_citing_a_changed_record():
    scope = Scope(since=dt.datetime(2025, 6, 1), move_ids=[10, 11], payment_ids={5}, layer_ids=(), order_ids={3},
                  line_ids={100})
    assert scope.move_ids == frozenset({10, 11}) and not scope.empty
    assert scope.touches(_anomaly(("account.move", 1), ("account.move", 11)))
    assert scope.touches(_anomaly(("account.payment", 5)))
    assert scope.touches(_anomaly(("purchase.order", 3), ("account.move", 1)))
    assert scope.touches(_anomaly(("account.move.line", 100)))
    assert not scope.touches(_anomaly(("account.move", 1), ("account.payment", 6)))
    assert not scope.touches(_anomaly(("stock.valuation.layer", 10)))  # same id, other model
    assert scope.ids("res.partner") == frozenset()
    assert scope.counts() == {"moves": 2, "payments": 1, "layers": 0, "orders": 1}
    assert Scope(since=dt.datetime(2025, 6, 1)).empty


def test_books_helper_builds_odoo_shaped_data():
    books = AnomalyBooks(today=d("2025-06-30"))
    acme = books.partner("Acme Supplies")
    bill = books.bill(acme, 1843.2, date=d("2025-03-06"), ref="DUP-7781")
    payment = books.payment(acme, 1843.2, date=d("2025-04-01"), bills=[bill])
    customer = books.partner("Bright Retail")
    sale = books.invoice(customer, 4200.0, date=d("2025-01-10"), salesperson="sales")
    refund = books.credit_note(customer, 3780.0, date=d("2025-01-19"), reversed_entry=sale)
    manual = books.entry([("600000", 10000.0), ("212000", -10000.0)], date=d("2025-02-24"), user="controller",
                         created=dt.datetime(2025, 2, 24, 2, 37))
    line = books.purchase_line(acme, "Widget", qty=100, price=7.5, received=80, date=d("2025-04-14"))
    books.receipt(line, 80, date=d("2025-04-16"))
    layer = books.layer("Widget", quantity=80, unit_cost=24.0, created=dt.datetime(2025, 4, 16, 11),
                        purchase_line=line)
    data = books.data()
    moves = data.moves.set_index("id")
    assert moves.loc[bill, ["origin", "amount_total_signed", "payment_state"]].tolist() == ["bill", -1843.2, "paid"]
    assert moves.loc[refund, ["origin", "reversed_entry_id"]].tolist() == ["refund", sale]
    assert moves.loc[manual, ["origin", "create_login"]].tolist() == ["manual", "controller"]
    assert moves.loc[manual, "create_date"].hour == 2
    assert data.payments.set_index("id").loc[payment, "amount"] == 1843.2
    assert len(data.partials) == 1 and data.partials["amount"].iloc[0] == 1843.2
    assert data.lines.groupby("move_id")["balance"].sum().abs().max() < 1e-9
    assert data.purchase_lines["qty_invoiced"].tolist() == [100.0]
    assert data.valuation_layers.set_index("id").loc[layer, "purchase_line_id"] == line
    assert data.money(1843.195) == Decimal("1843.20")
    assert data.user_login(moves.loc[manual, "create_uid"]) == "controller" and data.user_login(None) is None
    with pytest.raises(ValueError, match="does not balance"):
        books.entry([("600000", 10.0), ("212000", -9.0)], date=d("2025-02-24"))


def test_books_helper_scope_and_missing_frames():
    books = AnomalyBooks(today=d("2025-06-30"))
    acme = books.partner("Acme")
    old = books.bill(acme, 100.0, date=d("2025-03-01"))
    new = books.bill(acme, 200.0, date=d("2025-06-20"))
    edited = books.bill(acme, 300.0, date=d("2025-03-02"), written=dt.datetime(2025, 6, 21, 9))
    data = books.data(since=dt.datetime(2025, 6, 1), unavailable={"valuation_layers": "stock is not installed"})
    assert data.scope.move_ids == {new, edited} and old not in data.scope.move_ids
    assert data.valuation_layers.empty and data.unavailable == {"valuation_layers": "stock is not installed"}
    assert not data.full_scan and books.data().full_scan


def _run(data, params):
    return [_anomaly(("account.move", int(i))) for i in data.moves["id"]
            if abs(data.moves.set_index("id").loc[i, "amount_total_signed"]) >= params["min_amount"]]


def test_detector_params_merge_and_refuse_unknown_names():
    detector = Detector(name="big_moves", kinds=("big",), needs=("moves",), run=_run,
                        defaults={"min_amount": 1000, "window_days": 5})
    assert detector.params() == {"min_amount": 1000.0, "window_days": 5.0}
    assert detector.params({"min_amount": "250"}) == {"min_amount": 250.0, "window_days": 5.0}
    with pytest.raises(UnknownParameterError, match=r"'big_moves' has no parameter\(s\) min_amout .*min_amount"):
        detector.params({"min_amout": 1})
    with pytest.raises(ValueError, match="must be a number"):
        detector.params({"min_amount": "lots"})
    with pytest.raises(TypeError):
        detector.defaults["min_amount"] = 1  # defaults are read-only
    books = AnomalyBooks()
    acme = books.partner("Acme")
    small, big = books.bill(acme, 100.0, date=d("2025-03-01")), books.bill(acme, 5000.0, date=d("2025-03-02"))
    assert [a.primary.id for a in detector(books.data())] == [big]
    assert [a.primary.id for a in detector(books.data(), {"min_amount": 50})] == [small, big]


def test_detector_declares_known_frames_and_reports_missing_ones():
    with pytest.raises(ValueError, match="needs unknown frame"):
        Detector(name="x", kinds=(), needs=("stock_moves",), run=_run)
    detector = Detector(name="costs", kinds=("unit_cost_jump",), needs=("valuation_layers", "purchase_lines"),
                        run=_run)
    data = AnomalyBooks().data(unavailable={"valuation_layers": "stock is not installed"})
    assert detector.missing(data) == {"valuation_layers": "stock is not installed"}
    assert detector.missing(AnomalyBooks().data()) == {}
