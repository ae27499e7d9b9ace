"""Money: an exact amount in a currency.

Odoo sends monetary amounts as JSON floats that are already rounded to the currency's decimals.
``from_wire`` recovers the exact decimal value; sums over many rows are done in integer minor
units (``to_minor``) so that no float error creeps in, however many rows are added.

Every amount ledgerpilot prints is laid out by :func:`format_amount` ("1,234.50 EUR"), in Decimal
arithmetic from end to end.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any, Iterable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator


class Money(BaseModel):
    """An amount and its ISO currency code. Arithmetic refuses to mix currencies."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal
    currency: str

    @field_validator("currency")
    @classmethod
    def _code(cls, value: str) -> str:
        code = value.strip().upper()
        if not code:
            raise ValueError("a currency code is required")
        return code

    def _same(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __neg__(self) -> "Money":
        return Money(amount=-self.amount, currency=self.currency)

    def __str__(self) -> str:
        return format_amount(self.amount, currency=self.currency)


def exact_amount(value: Decimal | int | float | str) -> Decimal:
    """An amount as an exact Decimal: a float through its shortest repr (``0.1`` is 0.1, not the binary
    0.1000000000000000055...), a string as written. Not a number, NaN or infinity -> ``ValueError``."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a yes/no value, not an amount")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float)
                                                                  else str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{str(value)[:40]!r} is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    return amount


def format_amount(value: Decimal | int | float | str | Any, digits: int | None = None,
                  currency: str | None = None) -> str:
    """An amount as people read it: ``Decimal("-1234567.891")``, 2 -> ``"-1,234,567.89"``; with a
    ``currency``, ``"-1,234,567.89 EUR"``. Thousands are separated, the value is rounded half-up to
    ``digits`` decimals (``None``: the decimals the Decimal carries, so an amount quantized to its
    currency shows as it is: ``Decimal("5")`` -> ``"5"``, ``Decimal("5.00")`` -> ``"5.00"``); a zero
    never prints as ``-0.00``. Never goes through a binary float (see :func:`exact_amount`)."""
    amount = exact_amount(value)
    shown = max(0, -amount.as_tuple().exponent) if digits is None else int(digits)
    with localcontext() as context:                     # enough digits for any amount, however large
        context.prec = max(context.prec, amount.adjusted() + shown + 2)
        rounded = amount.quantize(Decimal(1).scaleb(-shown), rounding=ROUND_HALF_UP)
    if not rounded:
        rounded = abs(rounded)
    text = f"{rounded:,.{shown}f}"
    return f"{text} {currency}" if currency else text


def quantize(amount: Decimal | float | int, digits: int = 2) -> Decimal:
    """Round half-up to ``digits`` decimals, as Odoo's ``float_round`` does for amounts."""
    exponent = Decimal(1).scaleb(-digits)
    return Decimal(str(amount)).quantize(exponent, rounding=ROUND_HALF_UP)


def from_wire(value: float | int | None, digits: int = 2) -> Decimal:
    """A monetary value as Odoo sends it (a float rounded to ``digits``) -> exact Decimal."""
    return quantize(value or 0, digits)


def to_minor(series: pd.Series, digits: int = 2) -> pd.Series:
    """Monetary float column -> exact integer minor units (cents for 2 digits)."""
    values = series.astype("float64").fillna(0.0).to_numpy()
    return pd.Series(np.rint(values * (10**digits)).astype("int64"), index=series.index)


def minor_to_decimal(minor: int | np.integer, digits: int = 2) -> Decimal:
    return Decimal(int(minor)).scaleb(-digits)


def sum_exact(values: Iterable[float], digits: int = 2) -> Decimal:
    """Exact sum of wire amounts."""
    total = sum(int(round(v * 10**digits)) for v in values)
    return minor_to_decimal(total, digits)
