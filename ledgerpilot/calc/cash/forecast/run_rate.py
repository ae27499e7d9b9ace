"""Cash from invoices and bills that do not exist yet, at the pace the books show.

Thirteen weeks out, most of the cash a company collects comes from invoices it has not issued
yet. The run-rate measures, at ``ANCHORS`` past weekly anchor days ``t`` (each at least a horizon
before ``as_of``, so everything it counts was known on ``as_of``), how much was settled in each
week after ``t`` from invoices (and bills) dated after ``t``; the forecast takes the mean per
week and its spread (the simulation's amount noise, week by week, plus the spread of whole-horizon
totals as a level shared by every week of a simulation: a slow quarter is slow in every week). Partners that already have a recurring
flow are left out (their payments are projected there), and what the open orders will bring
is deducted, cumulatively, so an order and the run-rate never count the same sale twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ledgerpilot.calc.cash.history import CashBooks

ANCHORS = 26
#: the run-rate lands mid-week (days 4, 11, ...)
LANDING_DAY_IN_WEEK = 4
STREAMS = (("receivable", "sales", "sale_order", 1), ("payable", "purchases", "purchase_order", -1))


def _level_spread(sums: np.ndarray, anchors: int, weeks: int) -> float:
    """Relative spread of the next window's total, from the totals of overlapping past windows.

    Windows ``weeks`` long starting a week apart cover ``span = anchors + weeks - 1`` weeks, so
    they hold about ``span / weeks`` independent windows: their spread understates the real one
    by ``1 - weeks / span`` in variance, and predicting a new window adds the uncertainty of the
    mean, ``1 + weeks / span``."""
    span = anchors + weeks - 1
    overlap = weeks / span
    variance = sums.var(ddof=1) / max(1.0 - overlap, 0.1) * (1.0 + overlap)
    return float(np.sqrt(variance) / max(abs(sums.mean()), 1.0))


def run_rate_flows(books: CashBooks, horizon: int, known: pd.DataFrame,
                   exclude_partners: frozenset[int] = frozenset()) -> tuple[pd.DataFrame, list[str]]:
    from ledgerpilot.calc.cash.forecast.flows import FLOW_COLUMNS, empty_flow_table

    paid = books.paid_items
    if paid is None or not len(paid):
        return empty_flow_table(), []
    weeks = horizon // 7
    as_of = np.datetime64(books.as_of, "D")
    invoice_day = pd.to_datetime(paid["invoice_date"]).to_numpy().astype("datetime64[D]")
    paid_day = pd.to_datetime(paid["paid_date"]).to_numpy().astype("datetime64[D]")
    amount = np.rint(paid["amount"].astype("float64").to_numpy() * 10**books.digits)
    partner = paid["partner_id"].astype("Int64").fillna(-1).to_numpy(dtype="int64")
    kinds = paid["kind"].astype(str).to_numpy()
    valid = ~np.isnat(invoice_day) & ~np.isnat(paid_day) & ~np.isin(partner, list(exclude_partners))
    first_invoice = invoice_day[valid].min() if valid.any() else as_of
    rows: list[dict] = []
    notes: list[str] = []
    for kind, stream, order_category, sign in STREAMS:
        mask = valid & (kinds == kind)
        anchors = [as_of - np.timedelta64(horizon + 7 * j, "D") for j in range(ANCHORS)]
        anchors = [a for a in anchors if a - first_invoice >= np.timedelta64(horizon, "D")]
        if len(anchors) < 4 or not mask.any():
            continue
        inv, pay, amt = invoice_day[mask], paid_day[mask], amount[mask]
        totals = np.zeros((len(anchors), weeks))
        for j, anchor in enumerate(anchors):
            new = (inv > anchor) & (pay > anchor) & (pay <= anchor + np.timedelta64(horizon, "D"))
            week = ((pay[new] - anchor).astype("int64") - 1) // 7
            totals[j] = np.bincount(week, weights=amt[new], minlength=weeks)[:weeks]
        mean = totals.mean(axis=0)
        spread = totals.std(axis=0, ddof=1) / np.maximum(mean, 1.0)
        level = _level_spread(totals.sum(axis=1), len(anchors), weeks)
        orders = known[known["category"] == order_category]
        order_weeks = np.zeros(weeks)
        if len(orders):
            due_week = np.clip((orders["due"].to_numpy(dtype="int64") - 1) // 7, 0, weeks)
            order_weeks = np.bincount(due_week, weights=np.abs(orders["amount_minor"].to_numpy(dtype="float64")),
                                      minlength=weeks + 1)[:weeks]
        net_cum = np.maximum.accumulate(np.maximum(np.cumsum(mean) - np.cumsum(order_weeks), 0.0))
        per_week = np.rint(np.diff(np.concatenate([[0.0], net_cum]))).astype("int64")
        for w in range(weeks):
            if per_week[w] == 0:
                continue
            rows.append({
                "category": "recurring", "source_model": "account.move", "source_id": None,
                "source_name": f"{'Collections' if sign > 0 else 'Payments'} of {'invoices' if sign > 0 else 'bills'} "
                               f"not issued yet (run-rate, week {w + 1})",
                "source_ids": (), "partner_id": None, "partner_name": "", "behaviour_kind": "",
                "use_delay": False, "due": 7 * w + LANDING_DAY_IN_WEEK, "overdue": 0,
                "amount_minor": sign * int(per_week[w]), "timing_sd": 0.0,
                "amount_cv": float(min(spread[w], 1.0)), "shift": 0, "stream": stream,
                "level_cv": min(level, 1.0),
            })
        total = int(per_week.sum())
        notes.append(f"{'Collections of invoices' if sign > 0 else 'Payments of bills'} not issued yet: "
                     f"{total / 10**books.digits:,.{books.digits}f} {books.currency} over the horizon, the mean of "
                     f"{len(anchors)} past {weeks}-week windows, less what open {stream} orders already bring.")
    if not rows:
        return empty_flow_table(), notes
    return pd.DataFrame(rows, columns=list(FLOW_COLUMNS)), notes
