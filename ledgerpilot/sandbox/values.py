"""Checking and converting the values a client writes, field type by field type, as Odoo 17 does.

Odoo refuses a wrong selection value with ``ValueError("Wrong value for model.field: 'x'")``, a
malformed date with the ``strptime`` message, and an unknown field with
``ValueError("Invalid field 'x' on model 'y'")``. The sandbox raises the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ledgerpilot.sandbox.exceptions import ValidationError
from ledgerpilot.sandbox.registry import FieldSpec, ModelSpec, _raw_schema

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

#: Magic fields Odoo sets itself; a client value for them is ignored, as Odoo does.
LOG_ACCESS_FIELDS = frozenset({"create_uid", "create_date", "write_uid", "write_date"})


def check_field_names(spec: ModelSpec, vals: dict[str, Any], serie: str | None = None) -> None:
    """Unknown field -> ValueError as Odoo; a recorded field the sandbox does not keep -> ValueError too.

    Odoo accepts writes to every field of the model. Fields the sandbox does not serve (images,
    properties, modules it does not imitate) cannot be stored faithfully, so they are refused
    with a message that says so rather than silently dropped.
    """
    raw = _raw_schema(spec.name, serie) if serie else _raw_schema(spec.name)
    for name in vals:
        if name == "id":
            raise ValueError(f"Invalid field 'id' on model '{spec.name}': ids are given by the database")
        if name in spec.fields:
            continue
        if name in raw:
            raise ValueError(
                f"Field '{name}' of model '{spec.name}' is not kept by the sandbox (type "
                f"{raw[name].get('type')}); it cannot be written"
            )
        raise ValueError(f"Invalid field {name!r} on model {spec.name!r}")


def to_date(value: Any, label: str) -> dt.date | None:
    if value is None or value is False or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"Invalid date for {label}: {value!r} (expected 'YYYY-MM-DD')")  # noqa: TRY004 - Odoo raises ValueError here
    try:
        return dt.datetime.strptime(value[:10], DATE_FORMAT).date()
    except ValueError:
        raise ValueError(f"time data {value!r} does not match format '{DATE_FORMAT}'") from None


def to_datetime(value: Any, label: str) -> dt.datetime | None:
    if value is None or value is False or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0, tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        raise ValueError(f"Invalid datetime for {label}: {value!r} (expected 'YYYY-MM-DD HH:MM:SS')")  # noqa: TRY004 - Odoo raises ValueError here
    text = value[:19]
    for fmt in (DATETIME_FORMAT, DATE_FORMAT):
        try:
            return dt.datetime.strptime(text if fmt == DATETIME_FORMAT else text[:10], fmt)
        except ValueError:
            continue
    raise ValueError(f"time data {value!r} does not match format '{DATETIME_FORMAT}'")


def convert_scalar(model: str, field: FieldSpec, value: Any, decimals: int = 2) -> Any:
    """A client value -> the Python value the store encodes (None for empty), checking its type."""
    label = f"{model}.{field.name}"
    t = field.type
    if t == "boolean":
        return bool(value)
    if value is None or (value is False and t != "boolean"):
        return None
    if t in ("char", "text", "html"):
        if isinstance(value, (dict, list, tuple)):
            raise ValueError(f"Invalid value for {label}: {value!r} (expected text)")
        return str(value)
    if t == "selection":
        keys = field.selection_keys
        if keys and value not in keys:
            raise ValueError(f"Wrong value for {label}: {value!r}")
        return value
    if t in ("integer", "many2one_reference"):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"Invalid value for {label}: {value!r} (expected an integer)")
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"invalid literal for int() with base 10: {value!r}") from None
    if t == "many2one":
        if isinstance(value, (list, tuple)) and value:
            value = value[0]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"Invalid value for {label}: {value!r} (expected a record id)")
        return value
    if t in ("float", "monetary"):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"Invalid value for {label}: {value!r} (expected a number)")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"could not convert string to float: {value!r}") from None
        return round(number, decimals) if t == "monetary" else number
    if t == "date":
        return to_date(value, label)
    if t == "datetime":
        return to_datetime(value, label)
    if t == "json":
        return value
    raise ValueError(f"Field {label} of type {t} cannot be written")


def check_many2one_targets(conn, store_registry, model: str, field: FieldSpec, ids: set[int]) -> None:
    """Many2one values must name existing records (the database's foreign key)."""
    if not ids or field.relation not in store_registry:
        return
    table = store_registry[field.relation].table
    marks = ",".join("?" * len(ids))
    found = {r[0] for r in conn.execute(f'SELECT id FROM "{table}" WHERE id IN ({marks})', tuple(ids))}
    missing = sorted(ids - found)
    if missing:
        raise ValidationError(
            f"The operation cannot be completed: {model}.{field.name} refers to {field.relation} "
            f"record {missing[0]}, which does not exist."
        )


def not_null_error(model_label: str, model: str, field: FieldSpec) -> ValidationError:
    """What Odoo 17 answers when a mandatory column stays empty (psycopg2 NOT NULL, translated)."""
    return ValidationError(
        "The operation cannot be completed:\n"
        "- Create/update: a mandatory field is not set.\n"
        "- Delete: another model requires the record being deleted. If possible, archive it instead.\n\n"
        f"Model: {model_label} ({model})\n"
        f"Field: {field.attrs.get('string', field.name)} ({field.name})\n"
    )
