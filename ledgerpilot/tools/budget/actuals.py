"""Actual spending and income by analytic account, from analytic lines and journal items.

Odoo 17 writes one ``account.analytic.line`` per analytic account of a posted journal item's
``analytic_distribution`` (the first plan fills ``account_id``, the others ``x_plan<id>_id``), with
``amount = -balance * percent / 100``. Those lines are the actuals wherever they exist; manual
analytic lines (timesheets, costs keyed in directly) count as well.

A journal item is never counted twice: items with an ``analytic_distribution`` but **no** analytic
line (data imported without them, or a database without ``account.analytic.line``) are split by
their percentages here (:mod:`budget_split`), and only those. Their rows have ``source`` =
``move_line`` and the journal item's id; rows from analytic lines have ``source`` =
``analytic_line`` and the analytic line's id (one row per plan the line names).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ledgerpilot.calc.budget.frames import conform, empty_frame
from ledgerpilot.tools.budget.sources import analytic_plan_columns
from ledgerpilot.tools.budget.split import explode_distribution, split_amounts

ID_CHUNK = 2000
ANALYTIC_FIELDS = ["date", "amount", "general_account_id", "move_line_id", "partner_id", "name"]
ITEM_FIELDS = ["move_id", "date", "account_id", "balance", "partner_id", "name", "analytic_distribution"]
POSTED = ("parent_state", "=", "posted")


def load_actuals(client, date_from: dt.date, date_to: dt.date, plan_of: dict[int, int], digits: int) -> pd.DataFrame:
    """The ``actuals`` frame for ``[date_from, date_to]``: analytic lines, plus the split of journal
    items that have a distribution and no analytic line. ``plan_of`` maps analytic account -> plan."""
    window = [("date", ">=", date_from.isoformat()), ("date", "<=", date_to.isoformat())]
    frames = []
    has_lines = client.has_model("account.analytic.line")
    item_fields = client.fields_get("account.move.line")
    if "analytic_distribution" not in item_fields:
        uncovered = None
    elif has_lines and "analytic_line_ids" in item_fields:
        uncovered = client.extract("account.move.line", ITEM_FIELDS,
                                   [POSTED, ("analytic_distribution", "!=", False),
                                    ("analytic_line_ids", "=", False), *window])
    elif has_lines:
        uncovered = _items_without_lines(client, window)
    else:
        uncovered = client.extract("account.move.line", ITEM_FIELDS,
                                   [POSTED, ("analytic_distribution", "!=", False), *window])
    if has_lines:
        frames.append(_from_analytic_lines(client, window))
    if uncovered is not None and len(uncovered):
        frames.append(split_items(uncovered, plan_of, digits))
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return empty_frame("actuals")
    actuals = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return actuals.sort_values(["date", "source", "id", "analytic_account_id"], kind="stable").reset_index(drop=True)


def split_items(items: pd.DataFrame, plan_of: dict[int, int], digits: int) -> pd.DataFrame:
    """Journal items (gateway columns of ``ITEM_FIELDS``) split by their analytic distribution into
    actuals rows, amounts ``-balance * percent / 100`` as Odoo would book them, to the cent (pure)."""
    exploded = explode_distribution(items["analytic_distribution"], plan_of)
    if exploded.empty:
        return empty_frame("actuals")
    amounts = split_amounts(exploded, -items["balance"].to_numpy(dtype="float64"), digits)
    row = exploded["row"].to_numpy()
    frame = pd.DataFrame({
        "id": items["id"].to_numpy()[row],
        "source": "move_line",
        "date": items["date"].to_numpy()[row],
        "analytic_account_id": exploded["analytic_account_id"].to_numpy(),
        "general_account_id": items["account_id_id"].to_numpy()[row],
        "amount": amounts,
        "move_id": items["move_id_id"].to_numpy()[row],
        "move_name": items["move_id_name"].to_numpy()[row],
        "partner_name": items["partner_id_name"].to_numpy()[row],
        "label": items["name"].to_numpy()[row],
    })
    return conform("actuals", frame)


def _from_analytic_lines(client, window: list) -> pd.DataFrame:
    plan_columns = analytic_plan_columns(client.fields_get("account.analytic.line"))
    lines = client.extract("account.analytic.line", [*ANALYTIC_FIELDS, *plan_columns], window)
    if lines.empty or not plan_columns:
        return empty_frame("actuals")
    moves = _moves_of_items(client, lines["move_line_id_id"])
    parts = []
    for column in plan_columns:
        part = lines[lines[f"{column}_id"].notna().to_numpy()]
        if part.empty:
            continue
        move = moves.reindex(part["move_line_id_id"].to_numpy())
        parts.append(pd.DataFrame({
            "id": part["id"].to_numpy(),
            "source": "analytic_line",
            "date": part["date"].to_numpy(),
            "analytic_account_id": part[f"{column}_id"].to_numpy(),
            "general_account_id": part["general_account_id_id"].to_numpy(),
            "amount": part["amount"].to_numpy(),
            "move_id": move["move_id_id"].to_numpy(),
            "move_name": move["move_id_name"].to_numpy(),
            "partner_name": part["partner_id_name"].to_numpy(),
            "label": part["name"].to_numpy(),
        }))
    if not parts:
        return empty_frame("actuals")
    return conform("actuals", pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0])


def _moves_of_items(client, item_ids: pd.Series) -> pd.DataFrame:
    """``move_id_id, move_id_name`` of the journal items behind analytic lines, indexed by item id
    (read by id in pages of ``ID_CHUNK``: a handful of calls, never one per record)."""
    ids = sorted({int(i) for i in item_ids.dropna().unique()})
    frames = [client.extract("account.move.line", ["move_id"], [("id", "in", ids[start:start + ID_CHUNK])])
              for start in range(0, len(ids), ID_CHUNK)]
    if not frames:
        frames = [client.extract("account.move.line", ["move_id"], [("id", "=", 0)])]
    items = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return items.set_index("id")[["move_id_id", "move_id_name"]]


def _items_without_lines(client, window: list) -> pd.DataFrame:
    """Items with a distribution whose id no analytic line points to (when ``analytic_line_ids``
    cannot be searched): both sides extracted once, the difference taken here."""
    items = client.extract("account.move.line", ITEM_FIELDS, [POSTED, ("analytic_distribution", "!=", False), *window])
    covered = client.extract("account.analytic.line", ["move_line_id"], [("move_line_id", "!=", False), *window])
    keep = ~items["id"].isin(covered["move_line_id_id"].dropna().to_numpy()).to_numpy(dtype=bool)
    return items[keep].reset_index(drop=True)


def plan_map(analytic_accounts: pd.DataFrame) -> dict[int, int]:
    """analytic account id -> plan id (0 when the plan is unknown)."""
    ids = analytic_accounts["id"].to_numpy(dtype="int64", na_value=0)
    plans = analytic_accounts["plan_id"].to_numpy(dtype="int64", na_value=0)
    return dict(zip(ids.tolist(), plans.tolist()))

