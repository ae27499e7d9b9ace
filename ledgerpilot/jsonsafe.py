"""Values -> JSON-safe values, for everything ledgerpilot logs or hands over as JSON (audit log, run log,
tool results): Decimal as its exact string, dates ISO, pydantic models dumped, numpy scalars unwrapped,
mappings and sequences walked, anything else as its text."""

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
