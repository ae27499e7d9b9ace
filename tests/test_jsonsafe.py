"""json_safe's exact output on a corpus of values: the audit log hashes it (``memory.audit.canonical``), so a
change of one byte would break every chain already written. The expected texts were recorded from it and
are kept literally here; the second test shows where ``pydantic_core.to_jsonable_python`` agrees and where
it does not (why jsonsafe keeps its own walk, see its docstring)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import uuid
from decimal import Decimal
from pathlib import PurePosixPath

import numpy as np
from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_jsonable_python

from ledgerpilot.memory.audit import AuditLog, canonical


class Colour(enum.Enum):
    RED = 1


class Status(str, enum.Enum):
    POSTED = "posted"


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Point:
    x: int = 1


class Line(BaseModel):
    amount: Decimal
    day: dt.date
    at: dt.datetime
    tags: tuple[str, ...] = ()


UTC = dt.UTC
PARIS = dt.timezone(dt.timedelta(hours=2))

#: values as ledgerpilot logs them, each kind of value json_safe treats in its own way
CORPUS = {
    "none": None, "true": True, "int": 42, "negative": -7, "big": 10**30, "float": 0.1, "nan": float("nan"),
    "inf": float("-inf"), "text": "Café “quoted” \\ \n\t", "empty": "",
    "decimal": Decimal("1234.50"), "decimal_zero": Decimal("-0.00"), "decimal_exp": Decimal("1E+2"),
    "decimal_nan": Decimal("NaN"), "date": dt.date(2026, 2, 28),
    "naive": dt.datetime(2026, 3, 1, 7, 0, 0, 4500), "utc": dt.datetime(2026, 3, 1, 7, 0, tzinfo=UTC),
    "paris": dt.datetime(2026, 3, 1, 9, 30, 15, tzinfo=PARIS), "time": dt.time(7, 0),
    "timedelta": dt.timedelta(days=1, seconds=5), "enum": Colour.RED, "str_enum": Status.POSTED,
    "int_enum": Level.HIGH, "dataclass": Point(), "bytes": b"caf\xc3\xa9",
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"), "path": PurePosixPath("/tmp/x.csv"),
    "model": Line(amount=Decimal("10.10"), day=dt.date(2026, 1, 31), at=dt.datetime(2026, 1, 31, 23, 59, tzinfo=UTC),
                  tags=("a", "b")),
    "keys": {1: "int", None: "none", (1, 2): "tuple", Decimal("1.5"): "decimal", dt.date(2026, 1, 1): "date"},
    "tuple": (1, "a", Decimal("2.00")), "set": {"only"}, "frozenset": frozenset({3}),
    "nested": {"lines": [{"debit": Decimal("100.00"), "credit": Decimal(0), "date": dt.date(2026, 1, 5)}],
               "ids": (7, 8), "ok": False},
    "np_int": np.int64(5), "np_float": np.float64(2.5), "np_bool": np.bool_(True), "np_zero_d": np.array(3.25),
}

EXPECTED = {
    'none': 'null',
    'true': 'true',
    'int': '42',
    'negative': '-7',
    'big': '1000000000000000000000000000000',
    'float': '0.1',
    'nan': 'NaN',
    'inf': '-Infinity',
    'text': '"Café “quoted” \\\\ \\n\\t"',
    'empty': '""',
    'decimal': '"1234.50"',
    'decimal_zero': '"-0.00"',
    'decimal_exp': '"1E+2"',
    'decimal_nan': '"NaN"',
    'date': '"2026-02-28"',
    'naive': '"2026-03-01T07:00:00.004500"',
    'utc': '"2026-03-01T07:00:00+00:00"',
    'paris': '"2026-03-01T09:30:15+02:00"',
    'time': '"07:00:00"',
    'timedelta': '"1 day, 0:00:05"',
    'enum': '"Colour.RED"',
    'str_enum': '"posted"',
    'int_enum': '3',
    'dataclass': '"Point(x=1)"',
    'bytes': '"b\'caf\\\\xc3\\\\xa9\'"',
    'uuid': '"12345678-1234-5678-1234-567812345678"',
    'path': '"/tmp/x.csv"',
    'model': '{"amount":"10.10","at":"2026-01-31T23:59:00Z","day":"2026-01-31","tags":["a","b"]}',
    'keys': '{"(1, 2)":"tuple","1":"int","1.5":"decimal","2026-01-01":"date","None":"none"}',
    'tuple': '[1,"a","2.00"]',
    'set': '["only"]',
    'frozenset': '[3]',
    'nested': '{"ids":[7,8],"lines":[{"credit":"0","date":"2026-01-05","debit":"100.00"}],"ok":false}',
    'np_int': '5',
    'np_float': '2.5',
    'np_bool': 'true',
    'np_zero_d': '3.25',
}


#: the kinds pydantic_core writes otherwise (its texts are what the assertion compares)
DIFFERS = {"utc", "timedelta", "enum", "dataclass", "bytes", "keys",
           "path", "np_int", "np_bool", "np_zero_d"}     # these four: an error (its fallback would take them)


def test_json_safe_gives_the_recorded_text_for_every_value():
    assert CORPUS.keys() == EXPECTED.keys()
    assert {name: canonical(value) for name, value in CORPUS.items()} == EXPECTED


def test_the_audit_log_stores_and_hashes_exactly_that_text(tmp_path):
    log = AuditLog.in_home(tmp_path)
    log.record("corpus", actor="test", subject="values", details=CORPUS)
    stored = log.db.query("SELECT details FROM audit_log WHERE action = 'corpus'")[0]["details"]
    assert stored == "{" + ",".join(f"{json.dumps(name)}:{EXPECTED[name]}" for name in sorted(EXPECTED)) + "}"
    assert log.verify().ok


def test_pydantic_core_agrees_only_outside_the_kinds_json_safe_writes_its_own_way():
    def pydantic_text(value):
        try:
            return json.dumps(to_jsonable_python(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        except PydanticSerializationError:
            return None
    differ = {name for name, value in CORPUS.items() if pydantic_text(value) != EXPECTED[name]}
    assert differ == DIFFERS
    assert to_jsonable_python(CORPUS["utc"]) == "2026-03-01T07:00:00Z"
