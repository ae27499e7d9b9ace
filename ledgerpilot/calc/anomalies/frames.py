"""The anomaly data contract: the frames every anomaly detector reads, and the scope of a scan.

One producer (:func:`ledgerpilot.tools.anomalies.data.load_anomaly_data`) fills :class:`AnomalyData`
from the connected Odoo; tests build it by hand with the same columns. Detectors never talk to Odoo
and never read the clock (``today`` is a field). Dtypes are fixed here so both sources look alike:
ids ``Int64`` (missing = ``<NA>``), dates and timestamps ``datetime64[ns]`` (timestamps UTC, naive),
money and quantities ``float64`` (money in the company currency, Odoo's sign), text ``object``
holding ``str`` or ``None``.

Frames (what each row is):

- ``moves``: every journal entry posted or in draft (never cancelled), of all kinds. ``origin`` says
  what created it: ``invoice``/``bill``/``refund`` (customer credit note)/``vendor_refund``,
  ``payment``, ``bank`` (a statement line), ``stock`` (inventory valuation), ``exchange`` (the
  exchange difference of a reconciliation) or ``manual`` (an entry typed by a person). ``amount_*_signed`` are Odoo's company-currency amounts (negative for bills
  and customer credit notes). ``create_login`` is the login of ``create_uid``.
- ``lines``: the journal items of those moves (``balance`` = debit - credit).
- ``payments``: ``account.payment`` records (``amount`` in the company currency, positive).
- ``partials``: ``account.partial.reconcile``: which debit item was matched with which credit item.
- ``purchase_lines``: purchase order lines (``price_unit`` in the company currency).
- ``valuation_layers``: ``stock.valuation.layer`` rows, with the purchase line of their stock move.
- ``receipts``: done incoming stock moves of purchase lines (``quantity`` in the product's unit).
- ``companies`` and ``users``: for names and logins. ``companies`` lists every company of the group
  the reader may see, not only the one whose books these are.
- ``counterparts``: entries of the group's *other* companies whose partner is this company (the
  other side of intercompany flows), with the ``moves`` columns; only the intercompany check reads
  them. The other frames hold this company's books alone.

A database without purchase or inventory gives empty frames with these columns, and
``AnomalyData.unavailable`` maps the frame name to the reason; detectors that need it are skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ledgerpilot.domain.money import quantize

if TYPE_CHECKING:
    from ledgerpilot.domain.anomaly import Anomaly

#: ``moves.origin`` values.
ORIGINS: tuple[str, ...] = ("invoice", "bill", "refund", "vendor_refund", "payment", "bank", "stock", "exchange",
                             "manual")

FRAMES: dict[str, dict[str, str]] = {
    "moves": {
        "id": "Int64", "name": "object", "ref": "object", "move_type": "object", "state": "object",
        "date": "datetime64[ns]", "invoice_date": "datetime64[ns]", "journal_id": "Int64",
        "journal_code": "object", "journal_type": "object", "partner_id": "Int64", "partner_name": "object",
        "amount_untaxed_signed": "float64", "amount_total_signed": "float64", "currency": "object",
        "invoice_origin": "object", "reversed_entry_id": "Int64", "create_uid": "Int64",
        "create_date": "datetime64[ns]", "write_date": "datetime64[ns]", "invoice_user_id": "Int64",
        "invoice_user_name": "object", "company_id": "Int64", "payment_state": "object", "origin": "object",
        "create_login": "object",
    },
    "lines": {
        "id": "Int64", "move_id": "Int64", "account_id": "Int64", "account_code": "object",
        "account_type": "object", "partner_id": "Int64", "balance": "float64", "name": "object",
        "product_id": "Int64", "quantity": "float64", "price_unit": "float64", "date": "datetime64[ns]",
        "journal_id": "Int64", "display_type": "object", "purchase_line_id": "Int64", "company_id": "Int64",
    },
    "payments": {
        "id": "Int64", "move_id": "Int64", "name": "object", "date": "datetime64[ns]", "partner_id": "Int64",
        "partner_name": "object", "partner_type": "object", "payment_type": "object", "amount": "float64",
        "ref": "object", "state": "object", "create_date": "datetime64[ns]",
    },
    "partials": {
        "id": "Int64", "debit_move_line_id": "Int64", "credit_move_line_id": "Int64", "amount": "float64",
        "max_date": "datetime64[ns]",
    },
    "purchase_lines": {
        "id": "Int64", "order_id": "Int64", "order_name": "object", "partner_id": "Int64",
        "product_id": "Int64", "product_name": "object", "product_qty": "float64", "qty_received": "float64",
        "qty_invoiced": "float64", "price_unit": "float64", "date_order": "datetime64[ns]", "state": "object",
        "partner_name": "object",
    },
    "valuation_layers": {
        "id": "Int64", "product_id": "Int64", "product_name": "object", "create_date": "datetime64[ns]",
        "quantity": "float64", "unit_cost": "float64", "value": "float64", "stock_move_id": "Int64",
        "purchase_line_id": "Int64", "description": "object", "account_move_id": "Int64",
    },
    "receipts": {
        "id": "Int64", "purchase_line_id": "Int64", "product_id": "Int64", "quantity": "float64",
        "date": "datetime64[ns]",
    },
    "companies": {"id": "Int64", "name": "object", "partner_id": "Int64"},
    "users": {"id": "Int64", "login": "object", "name": "object"},
}
FRAMES["counterparts"] = dict(FRAMES["moves"])

#: The frames that hold books (the ones an :class:`AnomalyData` carries besides companies and users).
BOOK_FRAMES: tuple[str, ...] = ("moves", "lines", "payments", "partials", "purchase_lines",
                                "valuation_layers", "receipts")


def columns(name: str) -> tuple[str, ...]:
    """The column names of frame ``name``, in contract order."""
    return tuple(_spec(name))


def _spec(name: str) -> dict[str, str]:
    try:
        return FRAMES[name]
    except KeyError:
        raise KeyError(f"unknown anomaly frame {name!r}; known: {', '.join(FRAMES)}") from None


def _column(values: pd.Series, dtype: str) -> object:
    """``values`` as an array of the contract ``dtype`` (no copy when it already is one)."""
    if dtype == "Int64":
        if isinstance(values.dtype, pd.Int64Dtype):
            return values.array
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            values = pd.to_numeric(values.astype(object).where(values.notna(), None), errors="raise")
        return pd.array(values, dtype="Int64")
    if dtype == "float64":
        if values.dtype == np.float64:
            return values.to_numpy()
        return pd.to_numeric(values, errors="raise").astype("float64").to_numpy()
    if dtype == "datetime64[ns]":
        if values.dtype == "datetime64[ns]":
            return values.to_numpy()
        converted = pd.to_datetime(values.astype(object).where(values.notna(), None)
                                   if values.dtype == object else values)
        if getattr(converted.dt, "tz", None) is not None:
            converted = converted.dt.tz_convert("UTC").dt.tz_localize(None)
        return converted.astype("datetime64[ns]").to_numpy()
    if isinstance(values.dtype, pd.StringDtype):
        return values.to_numpy(dtype=object, na_value=None)
    text = values.to_numpy(dtype=object, copy=True)
    missing = pd.isna(text)
    if missing.any():
        text[missing] = None
    return text


def conform(name: str, frame: pd.DataFrame | Mapping[str, Any]) -> pd.DataFrame:
    """``frame`` reduced to the columns of frame ``name``, in contract order, each cast to its dtype.

    ``frame`` is a DataFrame or a mapping of column name -> array-like of equal lengths (which
    spares building an intermediate DataFrame). A missing column is an error naming it: a producer
    that forgets one must fail loudly, not let a detector find ``KeyError`` later. Extra columns are
    dropped. The index is reset.
    """
    spec = _spec(name)
    present = frame.columns if isinstance(frame, pd.DataFrame) else frame.keys()
    missing = [column for column in spec if column not in present]
    if missing:
        raise ValueError(f"anomaly frame {name!r} lacks the column(s) {', '.join(missing)}")
    out: dict[str, object] = {}
    for column, dtype in spec.items():
        values = frame[column]
        values = values.reset_index(drop=True) if isinstance(values, pd.Series) else pd.Series(values, copy=False)
        try:
            out[column] = _column(values, dtype)
        except (TypeError, ValueError) as error:
            raise ValueError(f"anomaly frame {name!r} column {column!r} cannot be read as {dtype}: {error}") from None
    lengths = {len(values) for values in out.values()}
    if len(lengths) > 1:
        raise ValueError(f"anomaly frame {name!r}: columns of different lengths {sorted(lengths)}")
    return pd.DataFrame(out, index=pd.RangeIndex(lengths.pop() if lengths else 0))


def empty_frame(name: str) -> pd.DataFrame:
    """An empty frame ``name`` with its contract columns and dtypes."""
    spec = _spec(name)
    return conform(name, pd.DataFrame({column: pd.Series([], dtype=object) for column in spec}))


def _ids(values: Iterable[int] | None) -> frozenset[int]:
    return frozenset(int(value) for value in values) if values is not None else frozenset()


@dataclass(frozen=True)
class Scope:
    """What changed since ``since``: the records an incremental scan reports on.

    Each set holds the ids created or written after ``since``. ``line_ids`` are the journal items
    of the moves in scope (so an anomaly citing only items is still recognised). Detectors still
    compute their baselines on all the history; the scan keeps the anomalies that cite at least
    one record in scope.
    """

    since: dt.datetime
    move_ids: frozenset[int] = frozenset()
    payment_ids: frozenset[int] = frozenset()
    layer_ids: frozenset[int] = frozenset()
    order_ids: frozenset[int] = frozenset()
    line_ids: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        for name in ("move_ids", "payment_ids", "layer_ids", "order_ids", "line_ids"):
            object.__setattr__(self, name, _ids(getattr(self, name)))

    @property
    def by_model(self) -> Mapping[str, frozenset[int]]:
        """The ids in scope per Odoo model name."""
        return MappingProxyType({
            "account.move": self.move_ids,
            "account.payment": self.payment_ids,
            "stock.valuation.layer": self.layer_ids,
            "purchase.order": self.order_ids,
            "account.move.line": self.line_ids,
        })

    def ids(self, model: str) -> frozenset[int]:
        """The ids of ``model`` in scope (empty for a model the scope does not track)."""
        return self.by_model.get(model, frozenset())

    def touches(self, anomaly: Anomaly) -> bool:
        """Whether ``anomaly`` cites at least one record created or written since ``since``."""
        by_model = self.by_model
        return any(ref.id in by_model.get(ref.model, ()) for ref in anomaly.records)

    @property
    def empty(self) -> bool:
        """Nothing changed: an incremental scan has nothing to report."""
        return not (self.move_ids or self.payment_ids or self.layer_ids or self.order_ids or self.line_ids)

    def counts(self) -> dict[str, int]:
        """How many records of each kind are in scope (for progress and reports)."""
        return {"moves": len(self.move_ids), "payments": len(self.payment_ids), "layers": len(self.layer_ids),
                "orders": len(self.order_ids)}


@dataclass(frozen=True)
class AnomalyData:
    """The books of one company as the detectors read them, known on ``today``.

    Every frame has the columns and dtypes of :data:`FRAMES` (checked on construction). ``scope``
    is ``None`` for a full scan. ``unavailable`` maps a frame name to the reason it could not be
    read (a module not installed); the frame is then empty. ``digits`` are the company currency's
    decimals, for rounding money in findings.
    """

    company_name: str
    currency: str
    digits: int
    today: dt.date
    moves: pd.DataFrame
    lines: pd.DataFrame
    payments: pd.DataFrame
    partials: pd.DataFrame
    purchase_lines: pd.DataFrame
    valuation_layers: pd.DataFrame
    receipts: pd.DataFrame
    companies: pd.DataFrame
    users: pd.DataFrame
    scope: Scope | None = None
    unavailable: Mapping[str, str] = field(default_factory=dict)
    counterparts: pd.DataFrame = field(default_factory=lambda: empty_frame("counterparts"))

    def __post_init__(self) -> None:
        for name, spec in FRAMES.items():
            frame = getattr(self, name)
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(f"anomaly frame {name!r} must be a DataFrame, not {type(frame).__name__}")
            if tuple(frame.columns) != tuple(spec):
                raise ValueError(f"anomaly frame {name!r} has columns {tuple(frame.columns)}, "
                                 f"expected {tuple(spec)} (use frames.conform)")
            wrong = [f"{column} is {frame[column].dtype}, expected {dtype}" for column, dtype in spec.items()
                     if str(frame[column].dtype) != dtype]
            if wrong:
                raise ValueError(f"anomaly frame {name!r}: {'; '.join(wrong)} (use frames.conform)")
        unknown = [name for name in self.unavailable if name not in FRAMES]
        if unknown:
            raise ValueError(f"unavailable names unknown frame(s) {', '.join(unknown)}")
        object.__setattr__(self, "unavailable", MappingProxyType(dict(self.unavailable)))

    @property
    def frames(self) -> Mapping[str, pd.DataFrame]:
        """Every frame by its contract name."""
        return MappingProxyType({name: getattr(self, name) for name in FRAMES})

    def frame(self, name: str) -> pd.DataFrame:
        _spec(name)
        return getattr(self, name)

    @property
    def full_scan(self) -> bool:
        return self.scope is None

    def user_login(self, user_id: int | None) -> str | None:
        """The login of user ``user_id`` (``None`` when unknown)."""
        if user_id is None or pd.isna(user_id):
            return None
        rows = self.users.loc[self.users["id"] == int(user_id), "login"]
        return str(rows.iloc[0]) if len(rows) else None

    def money(self, amount: float) -> Decimal:
        """``amount`` as a ``Decimal`` rounded to the company currency's decimals (for findings)."""
        return quantize(amount, self.digits)

def opening_entries(data: AnomalyData) -> pd.Index:
    """Ids of the opening entries: dated on the first day of the books in the data and touching an
    equity account (balances brought in from before the books, against capital or retained earnings)."""
    moves = data.moves
    if moves.empty:
        return pd.Index([], dtype="int64")
    first = moves.loc[moves["date"] == moves["date"].min(), "id"]
    lines = data.lines[data.lines["move_id"].isin(first)]
    equity = lines["account_type"].astype("string").str.startswith("equity").fillna(False).astype(bool)
    touching = lines.loc[equity, "move_id"]
    return pd.Index(touching.dropna().astype("int64").unique())
