"""Values -> JSON-safe values, for everything ledgerpilot logs or hands over as JSON (audit log, run log,
tool results): Decimal as its exact string, dates ISO, pydantic models dumped, numpy scalars unwrapped,
mappings and sequences walked, anything else as its text.

Why not ``pydantic_core.to_jsonable_python``: the audit log hashes :func:`json_safe`'s output
(``memory.audit.canonical``), so it must stay byte for byte what it is, and pydantic_core writes
several kinds of value differently -- a UTC datetime ends in ``Z`` (``isoformat`` gives ``+00:00``;
every audit timestamp is one), a plain Enum becomes its value (here its text, ``Colour.RED``), a
dataclass a dict, bytes their UTF-8 text, a timedelta ``P1DT5S``, a tuple key ``"1,2"``, a generator
a list. Its ``fallback`` is only called for the types it does not know (numpy's integer scalars, a
``PurePath``), so matching this output would take a walk over the value first to take out every one
of the others -- this function again, plus the call.
tests/test_jsonsafe.py pins the output on a corpus of values and lists where pydantic_core differs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel


def json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return json_safe(value.model_dump(mode="json"))
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):      # numpy scalars
        return json_safe(value.item())
    return str(value)
