"""A stored forecast set against what actually happened (pure).

Input: the stored forecast (the JSON form of ``CashForecast``, as ``memory.forecast_runs`` keeps
it), the daily actual bank movements after its as-of date (``calc.cash.cut.actual_bank_flows``:
``date``, ``amount``, ``record_ids``) and the cash settlements of invoices and bills known today
(``PAID_COLUMNS``). Output: per week the predicted (expected path) and actual net flow and closing balance,
and the records behind the biggest misses: invoices and bills the forecast placed in one week
that were paid in another, only partly, or not at all, and items it did not expect inside the
horizon that were paid inside it.

Only weeks that have ended by ``observed_through`` count as complete; a week in progress is shown
but flagged, and the metrics use complete weeks only. Amounts are exact Decimals.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Mapping, Sequence

import pandas as pd
from pydantic import BaseModel, ConfigDict

from ledgerpilot.domain.money import format_amount, minor_to_decimal, quantize, to_minor

ITEM_CATEGORIES = ("receivable", "payable")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ComparedWeek(_Frozen):
    index: int
    start: dt.date
    end: dt.date
    complete: bool                   # the week has ended by observed_through
    predicted_net: Decimal
    actual_net: Decimal
    error: Decimal                   # actual - predicted
    predicted_closing: Decimal
    actual_closing: Decimal
    p10: Decimal
    p90: Decimal
    inside_band: bool                # actual closing within the stored P10-P90
    bank_line_ids: tuple[int, ...]   # the bank journal items behind the actual net


class Miss(_Frozen):
    """One invoice or bill whose cash did not arrive when the forecast said."""

    category: str
    source_model: str
    source_id: int
    source_name: str
    partner_name: str
    predicted_amount: Decimal        # signed: + in, - out
    predicted_date: dt.date | None   # None: not expected within the horizon
    predicted_week: int | None
    actual_amount: Decimal           # signed, paid inside the compared period
    actual_dates: tuple[dt.date, ...]
    missed: Decimal                  # unsigned amount that did not land in the predicted week
    reason: str


class ForecastComparison(_Frozen):
    run_id: str
    as_of: dt.date
    currency: str
    observed_through: dt.date
    opening_balance: Decimal
    weeks: tuple[ComparedWeek, ...]
    complete_weeks: int
    wape: float | None               # sum|error| / sum|actual| over complete weeks
    ending_error: Decimal | None     # actual - predicted closing at the last complete week
    band_coverage: float | None
    misses: tuple[Miss, ...]
    notes: tuple[str, ...]


def _d(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def _week_of(day: dt.date | None, weeks: Sequence[tuple[int, dt.date, dt.date]]) -> int | None:
    if day is None:
        return None
    for index, start, end in weeks:
        if start <= day <= end:
            return index
    return None


def compare_forecast(stored: Mapping[str, Any], actual_flows: pd.DataFrame, paid_items: pd.DataFrame,
                     observed_through: dt.date, *, run_id: str = "", max_misses: int = 10) -> ForecastComparison:
    """Compare a stored forecast with the bank's actual movements and the items' actual payments."""
    digits = int(stored["digits"])
    currency = str(stored["currency"])
    as_of = _d(stored["as_of"])
    opening = quantize(Decimal(str(stored["opening_balance"])), digits)
    if observed_through <= as_of:
        raise ValueError(f"the forecast of {as_of} cannot be compared yet: the books are only known up to "
                         f"{observed_through}; compare it once at least one day after {as_of} has passed")
    weeks = [(int(w["index"]), _d(w["start"]), _d(w["end"])) for w in stored["weeks_rows"]]
    horizon_end = weeks[-1][2] if weeks else as_of
    through = min(observed_through, horizon_end)

    flows = actual_flows.copy()
    if flows.empty:
        flows = pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "amount": pd.Series(dtype="float64"),
                              "record_ids": pd.Series(dtype="object")})
    flows["day"] = pd.to_datetime(flows["date"]).dt.date
    flows = flows[(flows["day"] > as_of) & (flows["day"] <= through)]
    flows["minor"] = to_minor(flows["amount"], digits)

    compared: list[ComparedWeek] = []
    actual_closing = opening
    for row in stored["weeks_rows"]:
        index, start, end = int(row["index"]), _d(row["start"]), _d(row["end"])
        if start > through:
            break
        in_week = flows[(flows["day"] >= start) & (flows["day"] <= end)]
        actual_net = minor_to_decimal(int(in_week["minor"].sum()), digits)
        actual_closing += actual_net
        predicted_net = quantize(Decimal(str(row["net"])), digits)
        p10, p90 = quantize(Decimal(str(row["p10"])), digits), quantize(Decimal(str(row["p90"])), digits)
        ids = tuple(sorted({int(i) for ids in in_week["record_ids"] for i in (ids if ids is not None else ())}))
        compared.append(ComparedWeek(
            index=index, start=start, end=end, complete=end <= observed_through, predicted_net=predicted_net,
            actual_net=actual_net, error=actual_net - predicted_net,
            predicted_closing=quantize(Decimal(str(row["closing"])), digits),
            actual_closing=actual_closing, p10=p10, p90=p90, inside_band=p10 <= actual_closing <= p90,
            bank_line_ids=ids))

    complete = [w for w in compared if w.complete]
    actual_abs = sum((abs(w.actual_net) for w in complete), Decimal(0))
    wape = float(sum((abs(w.error) for w in complete), Decimal(0)) / actual_abs) if complete and actual_abs else None
    ending = (complete[-1].actual_closing - complete[-1].predicted_closing) if complete else None
    coverage = sum(w.inside_band for w in complete) / len(complete) if complete else None

    misses = _misses(stored, paid_items, as_of, through, weeks, digits)
    notes = [f"compared through {through}: {len(complete)} complete week(s) of {len(weeks)}"]
    if any(f.get("category") not in ITEM_CATEGORIES for f in stored.get("flows", ())):
        notes.append("orders and recurring flows count in the weekly figures but are not traced to payments "
                     "(their invoices did not exist when the forecast was made)")
    return ForecastComparison(run_id=run_id, as_of=as_of, currency=currency, observed_through=observed_through,
                              opening_balance=opening, weeks=tuple(compared), complete_weeks=len(complete),
                              wape=wape, ending_error=ending, band_coverage=coverage,
                              misses=tuple(misses[:max_misses]), notes=tuple(notes))


def _misses(stored: Mapping[str, Any], paid_items: pd.DataFrame, as_of: dt.date, through: dt.date,
            weeks: Sequence[tuple[int, dt.date, dt.date]], digits: int) -> list[Miss]:
    paid = paid_items
    if not paid.empty:
        paid = paid.assign(day=pd.to_datetime(paid["paid_date"]).dt.date)
        paid = paid[(paid["day"] > as_of) & (paid["day"] <= through)]
    by_item: dict[int, list[tuple[dt.date, int]]] = {}
    for item_id, day, minor in zip(paid.get("item_id", ()), paid.get("day", ()),
                                   to_minor(paid["amount"], digits) if not paid.empty else ()):
        by_item.setdefault(int(item_id), []).append((day, int(minor)))

    predicted: dict[int, dict[str, Any]] = {}
    for flow in stored.get("flows", ()):
        if flow.get("category") not in ITEM_CATEGORIES or flow.get("source_id") is None:
            continue
        entry = predicted.setdefault(int(flow["source_id"]), {"flow": flow, "minor": 0, "date": None})
        entry["minor"] += int(quantize(Decimal(str(flow["amount"])), digits).scaleb(digits))
        entry["date"] = entry["date"] or _d(flow.get("expected_date"))

    misses = []
    for item_id, entry in predicted.items():
        flow = entry["flow"]
        sign = 1 if flow["category"] == "receivable" else -1
        predicted_minor = entry["minor"]
        predicted_date = entry["date"]
        if predicted_date is not None and predicted_date > through:
            continue   # expected after the compared period: nothing to judge yet
        week = _week_of(predicted_date, weeks)
        payments = by_item.get(item_id, [])
        actual_minor = sign * sum(m for _d_, m in payments)
        in_week = sign * sum(m for day, m in payments if week is not None and _week_of(day, weeks) == week)
        if predicted_date is None:
            missed = abs(actual_minor)
            reason = ("paid on " + ", ".join(str(d) for d, _m in sorted(payments))
                      + ", but not expected within the horizon") if payments else ""
        else:
            missed = max(abs(predicted_minor) - abs(in_week), 0)
            if not payments:
                reason = f"expected on {predicted_date} (week {week}), not paid by {through}"
            elif missed and abs(in_week) == 0:
                paid_weeks = sorted({_week_of(d, weeks) for d, _m in payments} - {None})
                reason = (f"expected on {predicted_date} (week {week}), paid on "
                          + ", ".join(str(d) for d, _m in sorted(payments))
                          + (f" (week {', '.join(map(str, paid_weeks))})" if paid_weeks else ""))
            else:
                reason = (f"expected {format_amount(minor_to_decimal(abs(predicted_minor), digits))} in week "
                          f"{week}, "
                          f"{format_amount(minor_to_decimal(abs(in_week), digits))} arrived that week")
        if missed <= 0:
            continue
        misses.append(Miss(
            category=flow["category"], source_model=str(flow.get("source_model", "account.move.line")),
            source_id=item_id, source_name=str(flow.get("source_name", "")),
            partner_name=str(flow.get("partner_name", "") or ""),
            predicted_amount=minor_to_decimal(predicted_minor, digits), predicted_date=predicted_date,
            predicted_week=week, actual_amount=minor_to_decimal(actual_minor, digits),
            actual_dates=tuple(sorted(d for d, _m in payments)), missed=minor_to_decimal(missed, digits),
            reason=reason))
    misses.sort(key=lambda m: (-m.missed, m.source_id))
    return misses
