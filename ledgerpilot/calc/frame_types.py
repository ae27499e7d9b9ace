"""The one rule that types the columns of the calculators' frame contracts."""

from __future__ import annotations

from collections.abc import Container


def contract_dtype(column: str, *, dates: Container[str], ids: Container[str], floats: Container[str],
                   lists: Container[str] = ()) -> str:
    """Dates ``datetime64[ns]``, ids ``Int64``, amounts ``float64``, lists ``object``, the rest text."""
    if column in dates:
        return "datetime64[ns]"
    if column in ids:
        return "Int64"
    if column in floats:
        return "float64"
    if column in lists:
        return "object"
    return "string"
