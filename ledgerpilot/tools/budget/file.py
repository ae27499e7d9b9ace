"""Budgets from a file, for databases without a budget module (format: docs/budgets.md).

A CSV (header row) or YAML (a list of mappings, or a mapping with ``lines:``) where each row names:

- ``analytic_account``: the analytic account's code or name (case-insensitive);
- the period: ``period`` as ``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``, or ``date_from`` and ``date_to``;
- ``amount``: the spending allowed, positive (``type: revenue`` for an income target);
- optionally ``type`` (``expense``, the default, or ``revenue``), ``position`` (a label),
  ``accounts`` (general account codes the line is limited to, separated by spaces, commas or
  semicolons in a CSV; a list in YAML), ``owner`` (a name) and ``budget`` (a budget name).

Reading happens in two steps: :func:`read_budget_file` checks the format of each row on its own;
:func:`resolve_budget_rows` matches accounts against the database. Both raise
:class:`BudgetFileError` naming the file, the line and the problem.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from ledgerpilot.calc.budget.frames import conform, empty_frame
from ledgerpilot.domain.month import Period, PeriodError
from ledgerpilot.tools.budget.errors import BudgetFileError

KNOWN_COLUMNS = frozenset({"analytic_account", "period", "date_from", "date_to", "amount", "type", "position",
                           "accounts", "owner", "budget"})
ACCOUNT_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class BudgetFileRow:
    """One well-formed row of a budget file (accounts still by code and name)."""

    line: int
    analytic_account: str
    date_from: dt.date
    date_to: dt.date
    amount: Decimal
    kind: str
    position: str | None
    account_codes: tuple[str, ...]
    owner: str | None
    budget: str | None


def read_budget_file(path: Path) -> list[BudgetFileRow]:
    """The rows of a CSV (``.csv``) or YAML (``.yaml``/``.yml``) budget file, each checked."""
    path = Path(path)
    if not path.is_file():
        raise BudgetFileError(path, "the file does not exist")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise BudgetFileError(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    if suffix == ".csv":
        records = _csv_records(path, text)
    elif suffix in (".yaml", ".yml"):
        records = _yaml_records(path, text)
    else:
        raise BudgetFileError(path, f"unknown file type {suffix or '(none)'}: use .csv, .yaml or .yml")
    if not records:
        raise BudgetFileError(path, "the file holds no budget line")
    return [_row(path, line, record) for line, record in records]


def resolve_budget_rows(path: Path | str, rows: Sequence[BudgetFileRow], analytic_accounts: pd.DataFrame,
                        account_ids_by_code: Mapping[str, int], period_start: dt.date | None = None,
                        period_end: dt.date | None = None) -> pd.DataFrame:
    """The ``budget_lines`` frame of ``rows``: analytic accounts matched by code then by name,
    account codes turned into ids; rows outside ``[period_start, period_end]`` left out.
    ``line_id`` is the row's line in the file; budgets are numbered in order of appearance."""
    by_code, by_name = _account_index(analytic_accounts)
    default_budget = Path(path).stem
    budget_ids: dict[str, int] = {}
    records = []
    for row in rows:
        if period_start is not None and row.date_to < period_start:
            continue
        if period_end is not None and row.date_from > period_end:
            continue
        account_id, account_name = _match_account(path, row, by_code, by_name)
        unknown = [code for code in row.account_codes if code not in account_ids_by_code]
        if unknown:
            raise BudgetFileError(path, f"unknown account code{'s' * (len(unknown) > 1)} {', '.join(unknown)}",
                                  row.line)
        budget = row.budget or default_budget
        sign = -1 if row.kind == "expense" else 1
        records.append({
            "line_id": row.line, "budget_id": budget_ids.setdefault(budget, len(budget_ids) + 1),
            "budget_name": budget, "budget_state": "file", "analytic_account_id": account_id,
            "analytic_account_name": account_name, "position_id": None, "position_name": row.position,
            "position_account_ids": [int(account_ids_by_code[code]) for code in row.account_codes],
            "date_from": row.date_from, "date_to": row.date_to, "planned_amount": float(sign * row.amount),
            "owner_id": None, "owner_name": row.owner})
    if not records:
        return empty_frame("budget_lines")
    return conform("budget_lines", pd.DataFrame.from_records(records))


# ------------------------------------------------------------------------------------------ reading

def _csv_records(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader)
    except StopIteration:
        raise BudgetFileError(path, "the file is empty: expected a header row such as "
                                    "analytic_account,period,amount") from None
    columns = [name.strip().lower() for name in header]
    unknown = [name for name in columns if name not in KNOWN_COLUMNS]
    if unknown:
        raise BudgetFileError(path, f"unknown column{'s' * (len(unknown) > 1)} {', '.join(unknown)} "
                                    f"(known: {', '.join(sorted(KNOWN_COLUMNS))})", 1)
    records = []
    for index, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values) or values[0].lstrip().startswith("#"):
            continue
        if len(values) != len(columns):
            raise BudgetFileError(path, f"{len(values)} values for {len(columns)} columns", index)
        records.append((index, {name: value.strip() for name, value in zip(columns, values) if value.strip()}))
    return records


def _yaml_records(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    import yaml

    try:
        document = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = " ".join(str(getattr(error, "problem", None) or error).split())
        raise BudgetFileError(path, f"not valid YAML: {problem}", mark.line + 1 if mark else None) from None
    if data is None:
        return []
    nodes = document
    if isinstance(data, Mapping):
        if "lines" not in data:
            raise BudgetFileError(path, "a YAML budget is a list of lines or a mapping with a 'lines:' list", 1)
        defaults = {key: value for key, value in data.items() if key != "lines" and key in ("budget", "owner")}
        others = [key for key in data if key not in ("lines", "budget", "owner")]
        if others:
            raise BudgetFileError(path, f"unknown top-level key{'s' * (len(others) > 1)} {', '.join(map(str, others))}"
                                        " (allowed: lines, budget, owner)", 1)
        nodes = next(value for key, value in document.value if key.value == "lines")
        data = data["lines"]
    else:
        defaults = {}
    if not isinstance(data, list):
        raise BudgetFileError(path, "'lines' must be a list of budget lines", nodes.start_mark.line + 1)
    records = []
    for node, item in zip(nodes.value, data):
        line = node.start_mark.line + 1
        if not isinstance(item, Mapping):
            raise BudgetFileError(path, f"a budget line must be a mapping (analytic_account:, period:, amount:), "
                                        f"not {item!r}", line)
        unknown = [str(key) for key in item if str(key).lower() not in KNOWN_COLUMNS]
        if unknown:
            raise BudgetFileError(path, f"unknown key{'s' * (len(unknown) > 1)} {', '.join(unknown)} "
                                        f"(known: {', '.join(sorted(KNOWN_COLUMNS))})", line)
        record = {**defaults, **{str(key).lower(): value for key, value in item.items() if value is not None}}
        records.append((line, record))
    return records


def _row(path: Path, line: int, record: Mapping[str, Any]) -> BudgetFileRow:
    def fail(problem: str) -> BudgetFileError:
        return BudgetFileError(path, problem, line)

    account = str(record.get("analytic_account", "")).strip()
    if not account:
        raise fail("no analytic_account (give its code or name)")
    date_from, date_to = _period(record, fail)
    if "amount" not in record or str(record["amount"]).strip() == "":
        raise fail("no amount")
    try:
        amount = Decimal(str(record["amount"]).replace("_", "").strip())
    except InvalidOperation:
        raise fail(f"amount {record['amount']!r} is not a number") from None
    if not amount.is_finite():
        raise fail(f"amount {record['amount']!r} is not a number")
    if amount < 0:
        raise fail(f"amount {record['amount']} is negative: give the spending allowed as a positive amount "
                   "(type: revenue for an income target)")
    kind = str(record.get("type", "expense")).strip().lower()
    if kind not in ("expense", "revenue"):
        raise fail(f"type {record['type']!r} is neither expense nor revenue")
    codes = record.get("accounts", ())
    if isinstance(codes, (str, int)):
        codes = [part for part in ACCOUNT_SEPARATORS.split(str(codes)) if part]
    elif not isinstance(codes, (list, tuple)):
        raise fail(f"accounts {codes!r} must be account codes")
    return BudgetFileRow(line=line, analytic_account=account, date_from=date_from, date_to=date_to, amount=amount,
                         kind=kind, position=_text(record.get("position")), account_codes=tuple(str(c) for c in codes),
                         owner=_text(record.get("owner")), budget=_text(record.get("budget")))


def _period(record: Mapping[str, Any], fail) -> tuple[dt.date, dt.date]:
    period = record.get("period")
    has_dates = "date_from" in record or "date_to" in record
    if period is not None and has_dates:
        raise fail("give either period or date_from/date_to, not both")
    if period is not None:
        text = str(period).strip()
        try:
            parsed = Period.parse(text)
        except PeriodError as error:
            if error.reason == "month":
                raise fail(f"period {text!r}: month {error.bad_month} does not exist") from None
            if error.reason == "year":
                raise fail(str(error)) from None
            raise fail(f"period {text!r} is not YYYY-MM, YYYY-Qn or YYYY") from None
        return parsed.start, parsed.end
    if not has_dates:
        raise fail("no period (YYYY-MM, YYYY-Qn or YYYY) and no date_from/date_to")
    start, end = _date(record.get("date_from"), "date_from", fail), _date(record.get("date_to"), "date_to", fail)
    if end < start:
        raise fail(f"date_to {end} is before date_from {start}")
    return start, end


def _date(value: Any, name: str, fail) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or str(value).strip() == "":
        raise fail(f"no {name}")
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise fail(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


# ------------------------------------------------------------------------------------------ matching

def _account_index(accounts: pd.DataFrame) -> tuple[dict[str, tuple[int, str]], dict[str, list[tuple[int, str]]]]:
    by_code: dict[str, tuple[int, str]] = {}
    by_name: dict[str, list[tuple[int, str]]] = {}
    for aid, name, code in zip(accounts["id"].tolist(), accounts["name"].astype(object).tolist(),
                               accounts["code"].astype(object).tolist()):
        if isinstance(code, str) and code.strip():
            by_code[code.strip().lower()] = (int(aid), name)
        if isinstance(name, str):
            by_name.setdefault(name.strip().lower(), []).append((int(aid), name))
    return by_code, by_name


def _match_account(path, row: BudgetFileRow, by_code, by_name) -> tuple[int, str]:
    key = row.analytic_account.lower()
    if key in by_code:
        return by_code[key]
    matches = by_name.get(key, [])
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise BudgetFileError(path, f"{len(matches)} analytic accounts are named {row.analytic_account!r}: "
                                    "give its code instead", row.line)
    raise BudgetFileError(path, f"no analytic account has the code or name {row.analytic_account!r}", row.line)
