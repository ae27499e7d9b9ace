"""Splitting amounts by an Odoo analytic distribution, to the cent.

Odoo 17 keeps the distribution of a journal item or purchase line as JSON ``{"<ids>": percent}``,
where a key is one analytic account id or, from 17.0 on, several comma-separated ids (one per plan)
that share the percentage. Each plan is distributed independently (a line can be 100% on a
department and 100% on a project). Within a plan the shares are rounded cumulatively in minor units,
so that the rows of one line always add up to the line's amount times the plan's total percentage,
to the cent (rounding each share alone can lose or gain a cent: 50% + 50% of 0.01).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def explode_distribution(distributions: pd.Series, plan_of: Mapping[int, int]) -> pd.DataFrame:
    """One row per (source row, analytic account): ``row`` (position in ``distributions``),
    ``analytic_account_id``, ``plan_id`` (``plan_of`` the account; 0 when unknown) and ``percent``.

    Empty or missing distributions give no row; non-numeric keys or percentages raise ValueError
    naming the offending value.
    """
    rows: list[int] = []
    accounts: list[int] = []
    percents: list[float] = []
    for position, distribution in enumerate(distributions.to_numpy(dtype=object)):
        if not distribution:
            continue
        if not isinstance(distribution, Mapping):
            raise ValueError(f"analytic distribution {distribution!r} is not a JSON object")  # noqa: TRY004 - bad data
        for key, percent in distribution.items():
            try:
                share = float(percent)
                ids = [int(part) for part in str(key).split(",") if part.strip()]
            except (TypeError, ValueError):
                raise ValueError(f"analytic distribution {distribution!r}: {key!r}: {percent!r} is not "
                                 "analytic account ids with a percentage") from None
            for account_id in ids:
                rows.append(position)
                accounts.append(account_id)
                percents.append(share)
    plans = [int(plan_of.get(account, 0) or 0) for account in accounts]
    return pd.DataFrame({"row": np.array(rows, dtype=np.int64), "analytic_account_id": np.array(accounts, dtype=np.int64),
                         "plan_id": np.array(plans, dtype=np.int64), "percent": np.array(percents, dtype=np.float64)})


def split_amounts(exploded: pd.DataFrame, amounts: np.ndarray, digits: int) -> np.ndarray:
    """The share of ``amounts[row]`` for each exploded row, rounded to ``digits`` so that the shares
    of one source row within one plan add up exactly to ``round(amount * total percent / 100)``."""
    if exploded.empty:
        return np.empty(0, dtype=np.float64)
    scale = 10 ** digits
    minor = np.asarray(amounts, dtype=np.float64)[exploded["row"].to_numpy()] * scale
    cumulative = exploded.groupby(["row", "plan_id"], sort=False)["percent"].cumsum().to_numpy()
    previous = cumulative - exploded["percent"].to_numpy()
    # round half away from zero, as Odoo's float_round does
    upto = _round_half_away(minor * cumulative / 100.0)
    before = _round_half_away(minor * previous / 100.0)
    return (upto - before) / scale


def _round_half_away(values: np.ndarray) -> np.ndarray:
    # the 1e-9 guard absorbs binary noise such as 0.145 * 100 = 14.499999999999998
    return np.sign(values) * np.floor(np.abs(values) + 0.5 + 1e-9)
