"""The anomaly data read from the sandbox demo company: contract, origins, scope and missing modules.

Every expectation is checked against Odoo's own answer (a search or a read over the same API), or
against the demo's ground truth; writes go to private copies of the demo.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from ledgerpilot.calc.anomalies.frames import FRAMES, ORIGINS
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.sandbox.generator import load_ground_truth
from ledgerpilot.sandbox.server.runner import running_sandbox
from ledgerpilot.sandbox.store import Store, database_path
from ledgerpilot.tools.anomalies.data import load_anomaly_data, move_origins, window_start
from tests.conftest import DEMO_TODAY

LIVE = [("state", "in", ["posted", "draft"])]


@pytest.fixture(scope="module")
def demo_data(client):
    stages: list[str] = []
    extracted: dict[str, tuple[int, int]] = {}
    data = load_anomaly_data(client, today=DEMO_TODAY, progress=stages.append,
                             on_extract=lambda model, rows, fetched: extracted.__setitem__(model, (rows, fetched)))
    assert stages[0] == "company" and "journal items" in stages and "inventory valuation" in stages
    assert stages[-1] == "the group's other side"
    assert extracted["account.move.line"][0] == len(data.lines)
    return data


@pytest.fixture(scope="module")
def truth(demo_data_dir):
    return load_ground_truth(demo_data_dir)


def test_demo_frames_follow_the_contract(demo_data):
    for name, spec in FRAMES.items():
        frame = demo_data.frame(name)
        assert tuple(frame.columns) == tuple(spec), name
        assert {column: str(dtype) for column, dtype in frame.dtypes.items()} == spec, name
    assert demo_data.currency == "EUR" and demo_data.digits == 2 and demo_data.today == DEMO_TODAY
    assert demo_data.scope is None and demo_data.unavailable == {}
    assert demo_data.company_name == demo_data.companies["name"].iloc[0]
    for name in ("moves", "lines", "payments", "partials", "purchase_lines", "valuation_layers", "receipts"):
        assert len(demo_data.frame(name)) > 0, name
        assert demo_data.frame(name)["id"].is_unique, name


def test_moves_are_every_posted_and_draft_entry_of_the_window(client, demo_data):
    start = window_start(DEMO_TODAY, 24).isoformat()
    domain = [*LIVE, ("date", ">=", start)]
    assert len(demo_data.moves) == client.search_count("account.move", domain)
    assert set(demo_data.moves["state"]) <= {"posted", "draft"}
    assert (demo_data.moves["state"] == "draft").any()
    assert len(demo_data.lines) == client.search_count(
        "account.move.line", [("parent_state", "in", ["posted", "draft"]), ("date", ">=", start)])
    assert demo_data.lines["move_id"].isin(demo_data.moves["id"]).all()
    posted = demo_data.moves.loc[demo_data.moves["state"] == "posted", "id"]
    balances = demo_data.lines[demo_data.lines["move_id"].isin(posted)].groupby("move_id")["balance"].sum()
    assert balances.abs().max() < 0.005  # every posted entry balances


def test_origin_of_each_kind_of_demo_move(client, demo_data, truth):
    origin = demo_data.moves.set_index("id")["origin"]
    assert set(origin) <= set(ORIGINS)
    generated = {"payment": "payment_id", "bank": "statement_line_id", "stock": "stock_move_id"}
    for kind, field in generated.items():
        ids = set(client.search("account.move", [*LIVE, ("move_type", "=", "entry"), (field, "!=", False)]))
        assert ids and set(origin[origin == kind].index) == ids, kind
    for move_type, kind in (("in_invoice", "bill"), ("out_invoice", "invoice"), ("out_refund", "refund")):
        ids = set(client.search("account.move", [*LIVE, ("move_type", "=", move_type)]))
        assert ids and set(origin[origin == kind].index) == ids, kind
    exchange = client.search("account.journal", [("code", "=", "EXCH")])
    exchange_moves = set(client.search("account.move", [*LIVE, ("journal_id", "in", exchange)]))
    assert exchange_moves and set(origin[origin == "exchange"].index) == exchange_moves
    manual = origin[origin == "manual"].index
    assert set(demo_data.moves.set_index("id").loc[manual, "journal_code"]) == {"MISC"}
    # the injected anomalies land where they were made
    for finding in truth.anomalies_of("round_amount_manual_entry"):
        assert set(origin[list(finding.ids)]) == {"manual"}
    for kind in ("duplicate_bill_same_reference", "bill_amount_outlier", "posting_on_weekend"):
        assert set(origin[list(truth.anomalies_of(kind)[0].ids)]) == {"bill"}, kind
    refund, original = truth.anomalies_of("large_credit_note")[0].ids
    assert origin[refund] == "refund" and origin[original] == "invoice"
    assert demo_data.moves.set_index("id").loc[refund, "reversed_entry_id"] == original
    payment = truth.anomalies_of("payment_without_open_bill")[0]
    assert origin[payment.details["move_id"]] == "payment"


def test_users_logins_and_salespeople(client, demo_data, truth):
    moves = demo_data.moves.set_index("id")
    odd_hour = truth.anomalies_of("posting_at_odd_hour")[0].ids[0]
    row = client.read("account.move", [odd_hour], ["create_uid", "create_date"])[0]
    login = client.read("res.users", [row["create_uid"][0]], ["login"])[0]["login"]
    assert moves.loc[odd_hour, "create_login"] == login == "controller"
    assert moves.loc[odd_hour, "create_date"] == pd.Timestamp(row["create_date"])
    assert moves.loc[odd_hour, "create_date"].hour == truth.anomalies_of("posting_at_odd_hour")[0].details["hour"]
    unusual = truth.anomalies_of("posting_by_unusual_user")[0].ids[0]
    assert moves.loc[unusual, "create_login"] == "clerk"
    assert moves["create_login"].notna().all()
    assert set(demo_data.users["login"]) >= {"admin", "controller", "clerk"}
    invoices = moves[moves["origin"] == "invoice"]
    assert invoices["invoice_user_id"].notna().any()


def test_payments_in_company_currency(client, demo_data, truth):
    payments = demo_data.payments.set_index("id")
    assert len(payments) == client.search_count("account.payment", [("state", "!=", "cancel")])
    assert (payments["amount"] > 0).all()
    for stray in truth.anomalies_of("payment_without_open_bill"):
        assert payments.loc[stray.ids[0], "amount"] == stray.details["amount"]
    assert payments.loc[stray.ids[0], "move_id"] == stray.details["move_id"]
    rows = client.search_read("account.payment", [("state", "!=", "cancel")],
                              ["amount_company_currency_signed"])
    odoo = {row["id"]: abs(row["amount_company_currency_signed"]) for row in rows}
    assert (payments["amount"].round(2) == pd.Series(odoo).reindex(payments.index).round(2)).all()


def test_partials_match_odoo(client, demo_data):
    start = window_start(DEMO_TODAY, 24).isoformat()
    assert len(demo_data.partials) == client.search_count("account.partial.reconcile", [("max_date", ">=", start)])
    first = demo_data.partials.iloc[0]
    row = client.read("account.partial.reconcile", [int(first["id"])], ["debit_move_id", "credit_move_id", "amount"])[0]
    assert (first["debit_move_line_id"], first["credit_move_line_id"]) == (row["debit_move_id"][0],
                                                                            row["credit_move_id"][0])
    assert first["amount"] == row["amount"]


def test_purchase_lines_in_company_currency(client, demo_data):
    lines = demo_data.purchase_lines.set_index("id")
    rows = client.search_read("purchase.order.line", [("id", "in", [int(i) for i in lines.index])],
                              ["order_id", "price_unit", "currency_id"])
    orders = {row["id"]: row for row in client.search_read(
        "purchase.order", [("id", "in", sorted({row["order_id"][0] for row in rows}))], ["currency_rate"])}
    foreign = [row for row in rows if row["currency_id"][1] != "EUR"]
    assert foreign, "the demo buys in another currency too"
    for row in rows:
        expected = row["price_unit"] if row["currency_id"][1] == "EUR" else \
            row["price_unit"] / orders[row["order_id"][0]]["currency_rate"]
        assert lines.loc[row["id"], "price_unit"] == pytest.approx(expected, rel=1e-9)
    assert lines["order_name"].notna().all() and lines["partner_name"].notna().all()


def test_valuation_layers_carry_their_purchase_line(client, demo_data, truth):
    layers = demo_data.valuation_layers.set_index("id")
    jump = truth.anomalies_of("unit_cost_jump")[0]
    line_id = layers.loc[jump.ids[0], "purchase_line_id"]
    order = demo_data.purchase_lines.set_index("id").loc[line_id, "order_id"]
    assert order == jump.details["purchase_order_id"]
    linked = layers["purchase_line_id"].notna()
    moves = client.read("stock.move", [int(i) for i in layers.loc[linked, "stock_move_id"]], ["purchase_line_id"])
    assert {row["id"]: row["purchase_line_id"][0] for row in moves} == \
        dict(zip(layers.loc[linked, "stock_move_id"].astype(int), layers.loc[linked, "purchase_line_id"].astype(int)))
    assert not layers.loc[~linked, "stock_move_id"].isin(demo_data.receipts["id"]).any()


def test_receipts_show_the_three_way_mismatch(demo_data, truth):
    order_id = truth.anomalies_of("quantity_mismatch")[0].ids[0]
    lines = demo_data.purchase_lines[demo_data.purchase_lines["order_id"] == order_id]
    received = demo_data.receipts[demo_data.receipts["purchase_line_id"].isin(lines["id"])]
    expected = truth.anomalies_of("quantity_mismatch")[0].details["received"]
    assert received["quantity"].sum() == lines["qty_received"].sum() == expected
    assert lines["product_qty"].sum() == lines["qty_invoiced"].sum() == truth.anomalies_of("quantity_mismatch")[0].details["ordered"]


def test_move_origins_reads_odoo_fields():
    na = pd.NA
    origins = move_origins(
        pd.Series(["in_invoice", "out_refund", "entry", "entry", "entry", "entry", "entry", "in_receipt"]),
        pd.Series([na, na, 7, na, na, na, na, na], dtype="Int64"),
        pd.Series([na, na, na, 3, na, na, na, na], dtype="Int64"),
        pd.Series([na, na, na, na, 9, na, na, na], dtype="Int64"),
        pd.Series([False, False, False, False, False, True, False, False]))
    assert origins.tolist() == ["bill", "refund", "payment", "bank", "stock", "exchange", "manual", "bill"]


def test_window_and_arguments(client):
    assert window_start(dt.date(2026, 11, 18), 24) == dt.date(2024, 11, 1)
    assert window_start(dt.date(2026, 1, 31), 1) == dt.date(2025, 12, 1)
    with pytest.raises(ValueError, match="history_months"):
        load_anomaly_data(client, today=DEMO_TODAY, history_months=0)
    with pytest.raises(TypeError, match="since must be a datetime"):
        load_anomaly_data(client, today=DEMO_TODAY, since=dt.date(2026, 11, 1))


def test_short_history_keeps_only_recent_entries(client):
    data = load_anomaly_data(client, today=DEMO_TODAY, history_months=3)
    assert data.moves["date"].min() >= pd.Timestamp("2026-08-01")
    assert len(data.moves) == client.search_count("account.move", [*LIVE, ("date", ">=", "2026-08-01")])


# ----------------------------------------------------------------------------------- incremental scope

def _ids(client, model: str, domain: list) -> int:
    found = client.search(model, domain, limit=1)
    assert found, f"no {model} matching {domain}"
    return found[0]


def _bill(admin, vendor: int, ref: str, amount: float) -> int:
    expense = _ids(admin, "account.account", [("code", "=", "600000")])
    payable = _ids(admin, "account.account", [("code", "=", "211000")])
    move = admin.create("account.move", {
        "move_type": "in_invoice", "partner_id": vendor, "invoice_date": DEMO_TODAY.isoformat(), "ref": ref,
        "invoice_line_ids": [[0, 0, {"account_id": expense, "name": "Office supplies", "quantity": 1,
                                     "price_unit": amount}]],
        "line_ids": [[0, 0, {"account_id": payable, "name": ref, "debit": 0.0, "credit": amount}]]})
    admin.call("account.move", "action_post", [move])
    return move


def test_scope_holds_only_what_changed_since(fresh_sandbox, tmp_path, truth):
    readonly = connect(demo_connection(fresh_sandbox.url, "readonly"), cache_dir=tmp_path / "cache")
    admin = connect(demo_connection(fresh_sandbox.url, "admin"))
    try:
        first: dict[str, tuple[int, int]] = {}
        full = load_anomaly_data(readonly, today=DEMO_TODAY,
                                 on_extract=lambda model, rows, fetched: first.__setitem__(model, (rows, fetched)))
        assert first["account.move"] == (len(full.moves), len(full.moves))
        since = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=1)

        duplicate = truth.anomalies_of("duplicate_bill_same_reference")[0].ids[0]
        vendor = admin.read("account.move", [duplicate], ["partner_id"])[0]["partner_id"][0]
        bill = _bill(admin, vendor, "DUP-7781", 1843.20)
        cancelled = _bill(admin, vendor, "WRONG-1", 10.0)
        admin.call("account.move", "button_cancel", [cancelled])
        journal = _ids(admin, "account.journal", [("code", "=", "BNK1")])
        payment = admin.create("account.payment", {
            "payment_type": "outbound", "partner_type": "supplier", "partner_id": vendor, "amount": 99.0,
            "journal_id": journal, "date": DEMO_TODAY.isoformat(), "ref": "Advance"})
        payment_move = admin.read("account.payment", [payment], ["move_id"])[0]["move_id"][0]

        second: dict[str, tuple[int, int]] = {}
        data = load_anomaly_data(readonly, today=DEMO_TODAY, since=since,
                                 on_extract=lambda model, rows, fetched: second.__setitem__(model, (rows, fetched)))
    finally:
        readonly.close()
        admin.close()
    scope = data.scope
    assert scope is not None and scope.since == since.replace(tzinfo=None)
    assert scope.move_ids == {bill, payment_move}
    assert scope.payment_ids == {payment}
    assert scope.layer_ids == frozenset() and scope.order_ids == frozenset()
    assert scope.line_ids == set(data.lines.loc[data.lines["move_id"].isin([bill, payment_move]), "id"])
    # the frames keep all the history, with the new records and without the cancelled bill
    assert len(data.moves) == len(full.moves) + 2 and cancelled not in set(data.moves["id"])
    new_bill = data.moves.set_index("id").loc[bill]
    assert (new_bill["origin"], new_bill["ref"], new_bill["create_login"]) == ("bill", "DUP-7781", "admin")
    assert new_bill["amount_total_signed"] == -1843.20
    assert data.payments.set_index("id").loc[payment, "state"] == "draft"
    assert data.moves.set_index("id").loc[payment_move, "origin"] == "payment"
    # the second extraction read only what changed
    moves_read = second["account.move"][1]
    assert 2 <= moves_read < 10, second  # the new bill and the payment entry (the cancelled bill left)
    assert second["account.move.line"][1] < 20 and second["account.payment"][1] < 5
    assert second["stock.valuation.layer"][1] == 0


# ----------------------------------------------------------------------------------- missing modules

def test_without_purchase_and_inventory(demo_data_dir, tmp_path):
    copy = tmp_path / "books"
    shutil.copytree(demo_data_dir, copy)
    store = Store(database_path(copy))
    try:
        store.conn.execute("DELETE FROM ir_model WHERE model LIKE 'purchase.%' OR model LIKE 'stock.%'")
        store.conn.commit()
    finally:
        store.close()
    with running_sandbox(copy) as handle, connect(demo_connection(handle.url, "readonly")) as client:
        data = load_anomaly_data(client, today=DEMO_TODAY)
    assert set(data.unavailable) == {"purchase_lines", "valuation_layers", "receipts"}
    assert "Purchase" in data.unavailable["purchase_lines"]
    assert "stock_account" in data.unavailable["valuation_layers"]
    for name in data.unavailable:
        frame = data.frame(name)
        assert frame.empty and tuple(frame.columns) == tuple(FRAMES[name])
    assert len(data.moves) > 0 and len(data.payments) > 0
