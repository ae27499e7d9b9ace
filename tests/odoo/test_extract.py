"""Typed DataFrame extraction, paged by id."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

AML = "account.move.line"
FIELDS = ["move_id", "account_id", "partner_id", "date", "date_maturity", "debit", "credit", "balance",
          "amount_residual", "reconciled", "parent_state", "name", "analytic_distribution", "tax_ids",
          "write_date"]


@pytest.fixture(scope="module")
def lines(admin):
    return admin.extract(AML, FIELDS, [("parent_state", "=", "posted")])


def test_columns_and_dtypes(lines):
    assert list(lines.columns) == [
        "id", "move_id_id", "move_id_name", "account_id_id", "account_id_name", "partner_id_id",
        "partner_id_name", "date", "date_maturity", "debit", "credit", "balance", "amount_residual",
        "reconciled", "parent_state", "name", "analytic_distribution", "tax_ids", "write_date"]
    dtypes = {column: str(dtype) for column, dtype in lines.dtypes.items()}
    assert dtypes["id"] == "Int64" and dtypes["move_id_id"] == "Int64" and dtypes["partner_id_id"] == "Int64"
    assert dtypes["move_id_name"] == "string" and dtypes["parent_state"] == "string"
    assert dtypes["date"] == "datetime64[ns]" and dtypes["write_date"] == "datetime64[ns]"
    assert dtypes["debit"] == "float64" and dtypes["reconciled"] == "bool"
    assert dtypes["tax_ids"] == "object" and dtypes["analytic_distribution"] == "object"
    assert len(lines) > 100


def test_values_match_search_read(admin, lines):
    raw = admin.search_read(AML, [("parent_state", "=", "posted")], FIELDS, order="id asc")
    assert lines["id"].tolist() == [row["id"] for row in raw]
    first = raw[0]
    row = lines.iloc[0]
    assert row["move_id_id"] == first["move_id"][0] and row["move_id_name"] == first["move_id"][1]
    assert row["debit"] == first["debit"]
    assert row["date"] == pd.Timestamp(first["date"])
    assert row["write_date"] == pd.Timestamp(first["write_date"])
    # empty many2one: <NA> id and name, never 0
    no_partner = [r["id"] for r in raw if not r["partner_id"]]
    if no_partner:
        missing = lines.set_index("id").loc[no_partner[0]]
        assert pd.isna(missing["partner_id_id"]) and pd.isna(missing["partner_id_name"])
    # empty date_maturity -> NaT; x2many -> lists; json -> dict or None
    assert lines["date_maturity"].isna().sum() == sum(1 for r in raw if not r["date_maturity"])
    assert all(isinstance(value, list) for value in lines["tax_ids"])
    assert all(value is None or isinstance(value, dict) for value in lines["analytic_distribution"])
    assert round(lines["balance"].sum(), 2) == round(sum(r["balance"] for r in raw), 2)


def test_small_batches_give_the_same_frame(admin, lines):
    calls = admin.rpc_count
    seen = []
    paged = admin.extract(AML, FIELDS, [("parent_state", "=", "posted")], batch_size=97,
                          progress=lambda done, total: seen.append((done, total)))
    pd.testing.assert_frame_equal(paged, lines)
    pages = -(-len(lines) // 97)
    assert admin.rpc_count - calls in (pages + 1, pages + 2)  # the pages, + search_count (+ a last empty page)
    assert seen[-1] == (len(lines), len(lines))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_empty_result_has_the_columns_and_dtypes(admin, lines):
    empty = admin.extract(AML, FIELDS, [("id", "<", 0)])
    assert len(empty) == 0
    assert list(empty.columns) == list(lines.columns)
    assert dict(empty.dtypes) == dict(lines.dtypes)


def test_other_field_types(admin):
    partners = admin.extract("res.partner", ["name", "active", "customer_rank", "is_company", "parent_id",
                                             "child_ids", "create_date"], batch_size=7)
    assert str(partners["customer_rank"].dtype) == "Int64"
    assert partners["active"].dtype == np.bool_
    assert partners["name"].dtype == "string"
    assert str(partners["parent_id_id"].dtype) == "Int64"
    assert partners["create_date"].dtype == "datetime64[ns]"
    assert partners["id"].is_unique
    assert all(isinstance(children, list) for children in partners["child_ids"])
