"""Currency conversion with Odoo's rates: the latest rate known on a day, vectorised.

Odoo stores ``res.currency.rate.rate`` as units of the currency per one unit of the company
currency, so an amount in the currency is worth ``amount / rate`` in the company currency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def rate_on(rates: pd.DataFrame, currencies: pd.Series, days: pd.Series | np.ndarray) -> np.ndarray:
    """For each (currency, day): the rate of the latest ``rates`` row of that currency dated on or
    before the day; NaN when none is known yet (or the currency has no rates)."""
    query = pd.DataFrame({"currency": pd.array(np.asarray(currencies, dtype=object), dtype="string"),
                          "date": pd.to_datetime(np.asarray(days)).astype("datetime64[ns]"),
                          "position": np.arange(len(currencies))})
    result = np.full(len(query), np.nan)
    if query.empty or rates.empty:
        return result
    known = query[query["date"].notna() & query["currency"].notna()]
    table = rates[["currency", "date", "rate"]].dropna().astype({"currency": "string",
                                                                 "date": "datetime64[ns]"})
    merged = pd.merge_asof(known.sort_values("date"), table.sort_values("date"), on="date", by="currency",
                           direction="backward")
    result[merged["position"].to_numpy()] = merged["rate"].to_numpy(dtype="float64")
    return result


def latest_rates(rates: pd.DataFrame, as_of) -> pd.Series:
    """The latest rate of each currency known on ``as_of`` (index: currency code)."""
    known = rates[rates["date"] <= pd.Timestamp(as_of)]
    if known.empty:
        return pd.Series(dtype="float64")
    return known.sort_values("date", kind="stable").groupby("currency")["rate"].last()
