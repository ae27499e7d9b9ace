"""The cash history pulled from the real sandbox server with the real client, checked against Odoo."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ledgerpilot.calc.cash.cut import (
    bank_balance_on,
    books_as_of,
    open_items_as_of,
    open_order_lines_as_of,
    paid_items_as_of,
    residual_minor_as_of,
)
from ledgerpilot.calc.cash.frames import column_dtype
from ledgerpilot.calc.cash.history import FRAMES
from ledgerpilot.calc.errors import EmptyBooksError, NoBankJournalError
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox import groups
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.sandbox.server.runner import running_sandbox
from ledgerpilot.sandbox.store import Store, database_path
from ledgerpilot.tools.cash.history import load_cash_history
from tests.conftest import DEMO_TODAY
from tests.sandbox.ledger_books import _posted_entry

RECEIVABLE_PAYABLE = [("parent_state", "=", "posted"),
                      ("account_type", "in", ["asset_receivable", "liability_payable"])]


@pytest.fixture(scope="module")
def history(client, stages):
    return load_cash_history(client, progress=stages.append, today=DEMO_TODAY)


def test_every_frame_has_the_contract_columns_and_dtypes(history):
    for name, columns in FRAMES.items():
        frame = getattr(history, name)
        assert list(frame.columns) == list(columns), name
        for column, dtype in frame.dtypes.items():
            assert str(dtype) == str(pd.Series([], dtype=column_dtype(column)).dtype), f"{name}.{column}"
    assert len(history.items) and len(history.reconciliations) and len(history.bank)
    assert len(history.sale_lines) and len(history.purchase_lines) and len(history.order_invoicing)
    assert set(history.items["kind"].unique()) == {"receivable", "payable"}
    assert history.items["move_type"].notna().all() and history.items["journal_type"].notna().all()


def test_company_source_and_progress(history, sandbox, stages, client):
    assert history.currency == "EUR" and history.digits == 2 and history.extracted_on == DEMO_TODAY
    assert history.source["url"] == sandbox.url and history.source["db"] == sandbox.db
    assert history.source["server_version"].startswith("17.0")
    for name in FRAMES:
        assert len(history.source[f"hash.{name}"]) == 64
    assert "notes" not in history.source
    assert stages[0] == "company" and "bank" in stages and len(stages) == len(set(stages))


def test_the_content_hash_is_stable_and_follows_the_content(history, client):
    again = load_cash_history(client, today=DEMO_TODAY)
    assert {k: v for k, v in again.source.items() if k.startswith("hash.")} == \
        {k: v for k, v in history.source.items() if k.startswith("hash.")}
    from ledgerpilot.tools.cash.history import frame_hash

    changed = history.bank.copy()
    changed.loc[0, "amount"] = changed.loc[0, "amount"] + 0.01
    assert frame_hash(changed) != history.source["hash.bank"]


def test_residuals_at_the_extraction_date_equal_odoos(history, client):
    odoo = client.extract("account.move.line", ["amount_residual", "date"], RECEIVABLE_PAYABLE)
    last_day = max(history.extracted_on, odoo["date"].max().date())
    ours = residual_minor_as_of(history, last_day)
    theirs = pd.Series(np.rint(odoo["amount_residual"].to_numpy() * 100).astype("int64"),
                       index=odoo["id"].to_numpy(dtype="int64"))
    assert len(ours) == len(theirs)
    assert ours.sort_index().equals(theirs.sort_index())
    open_items = open_items_as_of(history, last_day)
    booked = open_items.set_index(open_items["id"].astype("int64"))["residual_booked"]
    still_open = theirs[theirs != 0]
    expected = odoo.set_index(odoo["id"].astype("int64"))["amount_residual"].loc[still_open.index]
    assert set(booked.index) == set(expected.index)
    assert np.allclose(booked.sort_index().to_numpy(), expected.sort_index().to_numpy(), atol=1e-9)
    company_currency = open_items["currency"] == history.currency
    assert (open_items.loc[company_currency, "residual"] == open_items.loc[company_currency, "residual_booked"]).all()


def test_bank_balance_equals_odoos_read_group(history, client):
    groups_ = client.read_group_df("account.move.line",
                                   [("parent_state", "=", "posted"), ("account_type", "=", "asset_cash"),
                                    ("date", "<=", DEMO_TODAY.isoformat())],
                                   ["balance:sum"], [], lazy=False)
    expected = round(float(groups_["balance"].sum()), 2)
    assert bank_balance_on(history, DEMO_TODAY) == expected
    assert books_as_of(history, DEMO_TODAY).opening_balance == expected


def test_bank_lines_carry_their_counterpart(history):
    bank = history.bank
    assert bank["counterpart_account_id"].notna().all()
    assert (bank["counterpart_account_type"] != "asset_cash").all()
    # customer payments are matched against the receivable or an outstanding-receipts account
    receipts = bank[bank["label"].str.startswith("Payment").fillna(False) & (bank["amount"] > 0)]
    assert len(receipts) and receipts["counterpart_account_type"].isin(["asset_receivable", "asset_current"]).all()


def test_an_invoice_paid_after_the_cut_is_open_at_the_cut(history):
    paid = paid_items_as_of(history, history.extracted_on)
    late = paid[(paid["kind"] == "receivable") & (paid["paid_date"] > paid["invoice_date"] + pd.Timedelta(days=5))]
    row = late.iloc[len(late) // 2]
    item_id = int(row["item_id"])
    cut = (row["paid_date"] - pd.Timedelta(days=1)).date()
    before = open_items_as_of(history, cut)
    assert item_id in set(before["id"].astype(int))
    at_payment = residual_minor_as_of(history, row["paid_date"].date())[item_id]
    residual_before = residual_minor_as_of(history, cut)[item_id]
    paid_that_day = paid[(paid["item_id"] == item_id) & (paid["paid_date"] == row["paid_date"])]["amount"].sum()
    assert residual_before - at_payment == round(paid_that_day * 100)
    # nothing paid after the cut is known at the cut
    assert (paid_items_as_of(history, cut)["paid_date"] <= pd.Timestamp(cut)).all()
    assert (paid_items_as_of(history, cut)["paid_date"] == row["paid_date"]).sum() == 0


def test_an_order_invoiced_after_the_cut_is_open_at_the_cut(history):
    invoicing = history.order_invoicing
    sales = history.sale_lines.set_index(history.sale_lines["id"].astype("int64"))
    sale_invoicing = invoicing[(invoicing["order_kind"] == "sale") & (invoicing["quantity"] > 0)]
    joined = sale_invoicing.assign(date_order=sales.reindex(sale_invoicing["order_line_id"].astype("int64"))
                                   ["date_order"].to_numpy())
    later = joined[joined["invoice_date"] > joined["date_order"] + pd.Timedelta(days=3)]
    row = later.iloc[len(later) // 2]
    line_id = int(row["order_line_id"])
    cut = (row["invoice_date"] - pd.Timedelta(days=1)).date()
    open_lines = open_order_lines_as_of(history, cut)
    line = open_lines[(open_lines["kind"] == "sale") & (open_lines["id"] == line_id)]
    assert len(line) == 1
    invoiced_by_cut = sale_invoicing.loc[(sale_invoicing["order_line_id"] == line_id)
                                         & (sale_invoicing["invoice_date"] <= pd.Timestamp(cut)), "quantity"].sum()
    assert line["qty_invoiced"].iloc[0] == invoiced_by_cut
    assert line["remaining_qty"].iloc[0] == sales.loc[line_id, "product_uom_qty"] - invoiced_by_cut
    assert line["remaining_amount"].iloc[0] > 0


def test_paid_items_come_from_bank_payments(history):
    paid = paid_items_as_of(history, history.extracted_on)
    assert len(paid) > 100
    assert (paid["amount"] > 0).all()
    delays = (paid["paid_date"] - paid["due_date"]).dt.days
    assert (delays.to_numpy() == paid["delay_days"].to_numpy()).all()
    items = history.items.set_index(history.items["id"].astype("int64"))
    assert items.reindex(paid["item_id"].astype("int64"))["move_type"].isin(["out_invoice", "in_invoice"]).all()


# ---------------------------------------------------------------------------------------------- errors

def _bare_company(folder, *, bank_account: bool, posted_entry: bool, bank_entry: bool = False):
    """A company with a readonly user, a few accounts and journals, and at most one posted entry."""
    folder.mkdir()
    store = Store(database_path(folder))
    store.set_meta("db_name", "demo")
    store.set_meta("today", "2026-11-18")
    store.set_meta("now", "2026-11-18 08:00:00")
    groups.seed_groups(store)
    store.bulk_insert("res.currency", [{"id": 1, "name": "EUR", "symbol": "€", "decimal_places": 2,
                                        "rounding": 0.01, "position": "after", "active": True}])
    store.bulk_insert("res.company", [{"id": 1, "name": "Empty Books SA", "currency_id": 1, "partner_id": 1,
                                       "active": True, "fiscalyear_last_day": 31, "fiscalyear_last_month": "12",
                                       "sequence": 0}])
    store.bulk_insert("res.partner", [
        {"id": 1, "name": "Empty Books SA", "complete_name": "Empty Books SA", "is_company": True, "active": True,
         "commercial_partner_id": 1},
        {"id": 5, "name": "Read Only", "complete_name": "Empty Books SA, Read Only", "parent_id": 1,
         "active": True, "commercial_partner_id": 1}])
    store.bulk_insert("res.users", [{"id": 5, "login": "readonly", "partner_id": 5, "company_id": 1, "active": True,
                                     "share": False, "company_ids": [1], "notification_type": "email",
                                     "groups_id": groups.group_ids(["base.group_user",
                                                                    "account.group_account_readonly"])}])
    groups.set_password(store, 5, "readonly")
    accounts = [{"id": 14, "code": "201000", "name": "Current Liabilities", "account_type": "liability_current",
                 "company_id": 1},
                {"id": 16, "code": "612000", "name": "Rent", "account_type": "expense", "company_id": 1}]
    if bank_account:
        accounts.append({"id": 12, "code": "101401", "name": "Bank", "account_type": "asset_cash", "company_id": 1})
    store.bulk_insert("account.account", accounts)
    store.bulk_insert("account.journal", [{"id": 3, "name": "Miscellaneous Operations", "code": "MISC",
                                           "type": "general", "company_id": 1, "active": True, "sequence": 9}])
    # installed models: accounting only (no Sales, no Purchase app)
    store.bulk_insert("ir.model", [{"id": i, "model": model, "name": model, "order": "id"} for i, model in
                                   enumerate(["res.partner", "res.currency.rate", "account.move", "account.move.line",
                                              "account.account", "account.journal", "account.partial.reconcile",
                                              "account.payment.term.line"], start=1)])
    if posted_entry:
        _posted_entry(store, 1, 3, "MISC/2026/11/0001", "2026-11-02", 16, 14, 1200.0)
    if bank_entry:  # money booked straight to the bank from a miscellaneous journal
        _posted_entry(store, 2, 3, "MISC/2026/11/0002", "2026-11-03", 12, 14, 250.0)
    store.close()
    return folder


def _load(folder):
    with running_sandbox(folder) as handle, connect(demo_connection(handle.url, "readonly")) as odoo:
        return load_cash_history(odoo, today=dt.date(2026, 11, 18))


def test_a_company_without_posted_journal_items_is_refused_clearly(tmp_path):
    folder = _bare_company(tmp_path / "empty", bank_account=True, posted_entry=False)
    with pytest.raises(EmptyBooksError, match="Empty Books SA has no posted journal items") as raised:
        _load(folder)
    assert isinstance(raised.value, LedgerpilotError)


def test_a_company_without_bank_account_is_refused_clearly(tmp_path):
    folder = _bare_company(tmp_path / "nobank", bank_account=False, posted_entry=True)
    with pytest.raises(NoBankJournalError, match=r"no bank or cash account \(account_type asset_cash\)"):
        _load(folder)


def test_a_tiny_company_without_invoices_or_order_apps_loads_typed_empty_frames(tmp_path):
    folder = _bare_company(tmp_path / "tiny", bank_account=True, posted_entry=True, bank_entry=True)
    history = _load(folder)
    for name, columns in FRAMES.items():
        frame = getattr(history, name)
        assert list(frame.columns) == list(columns), name
        for column, dtype in frame.dtypes.items():
            assert str(dtype) == str(pd.Series([], dtype=column_dtype(column)).dtype), f"{name}.{column}"
    assert history.items.empty and history.sale_lines.empty and history.order_invoicing.empty
    assert history.purchase_lines.empty
    assert "the Sales app is not installed" in history.source["notes"]
    assert "the Purchase app is not installed" in history.source["notes"]
    # the bank line booked from the miscellaneous journal still finds its counterpart
    assert len(history.bank) == 1
    line = history.bank.iloc[0]
    assert line["amount"] == 250.0 and line["counterpart_account_code"] == "201000"
    assert line["counterpart_account_type"] == "liability_current"
    books = books_as_of(history, dt.date(2026, 11, 18))
    assert books.opening_balance == 250.0 and books.open_items.empty and books.paid_items.empty


def _same_history(read: object, truth: object) -> None:
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(read, name), getattr(truth, name), check_exact=True, obj=name)
        assert read.source[f"hash.{name}"] == truth.source[f"hash.{name}"], name


def test_a_cached_history_equals_a_plain_read_also_after_the_books_changed(fresh_sandbox, tmp_path):
    """With a cache folder the history is extracted incrementally; cold, unchanged and after new and reset
    entries it equals what the same client reads without any cache (every frame, value for value)."""
    connection = demo_connection(fresh_sandbox.url)

    def plain():
        with connect(connection) as client:
            assert client.cache_dir is None
            return load_cash_history(client, today=DEMO_TODAY)

    def cached():
        syncs = []
        with connect(connection, cache_dir=tmp_path / "cache") as client:
            extract = client.extract

            def noting(*args, **kwargs):
                frame = extract(*args, **kwargs)
                if kwargs.get("incremental"):
                    syncs.append(client.last_sync)
                return frame

            client.extract = noting
            return load_cash_history(client, today=DEMO_TODAY), syncs

    cold, syncs = cached()
    _same_history(cold, plain())
    assert len(syncs) >= 8 and {s.mode for s in syncs} == {"full"}        # the big reads go through the cache
    warm, syncs = cached()
    _same_history(warm, cold)
    assert {s.mode for s in syncs} == {"unchanged"} and sum(s.fetched for s in syncs) < sum(len(f) for f in
                                                                                          (cold.items, cold.bank))

    with connect(connection) as client:
        income, receivable = (client.search("account.account", [("code", "=", code)])[0]
                              for code in ("400000", "121000"))
        customer = client.search("res.partner", [("customer_rank", ">", 0)], limit=1)[0]
        invoice = client.create("account.move", {
            "move_type": "out_invoice", "partner_id": customer, "invoice_date": "2026-11-17", "date": "2026-11-17",
            "line_ids": [(0, 0, {"account_id": income, "credit": 4321.0, "name": "new sale", "display_type": "product"}),
                         (0, 0, {"account_id": receivable, "debit": 4321.0, "name": "new sale",
                                 "display_type": "payment_term"})]})
        client.call("account.move", "action_post", [invoice])
        unpaid = client.search("account.move", [("move_type", "=", "out_invoice"), ("state", "=", "posted"),
                                                ("payment_state", "=", "not_paid"), ("id", "!=", invoice)], limit=1)
        client.call("account.move", "button_draft", unpaid)
    changed, syncs = cached()
    truth = plain()
    _same_history(changed, truth)
    assert "incremental" in {s.mode for s in syncs}
    assert invoice in set(truth.items["move_id"]) and unpaid[0] not in set(truth.items["move_id"])
