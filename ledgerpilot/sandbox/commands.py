"""Odoo's x2many commands, normalised so the ORM can apply them.

A client writes a one2many or many2many as a list of commands:

- ``(0, 0, vals)`` create a record and link it; ``(1, id, vals)`` update a linked record;
- ``(2, id)`` delete the record; ``(3, id)`` unlink it (keep the record);
- ``(4, id)`` link an existing record; ``(5,)`` unlink all; ``(6, 0, ids)`` replace the links.

For a many2many Odoo also takes a bare list of ids (same as ``(6, 0, ids)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CREATE, UPDATE, DELETE, UNLINK, LINK, CLEAR, SET = range(7)


@dataclass(frozen=True)
class Command:
    op: int
    id: int = 0
    vals: dict[str, Any] | None = None
    ids: tuple[int, ...] = ()


def _record_id(value: Any, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"Invalid record id in the commands for {label}: {value!r}")  # noqa: TRY004 - Odoo raises ValueError here
    return value


def parse_commands(value: Any, label: str, many2many: bool) -> list[Command]:
    """Client value of an x2many field -> commands. ``label`` names the field in errors."""
    if value is False or value is None:
        return [Command(CLEAR)]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"Invalid value for {label}: {value!r} (expected a list of commands)")  # noqa: TRY004 - Odoo raises ValueError here
    if many2many and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return [Command(SET, ids=tuple(value))]
    commands: list[Command] = []
    for item in value:
        if not isinstance(item, (list, tuple)) or not item:
            raise ValueError(f"Invalid command for {label}: {item!r}")
        op = item[0]
        if op == CREATE:
            vals = item[2] if len(item) > 2 else None
            if not isinstance(vals, dict):
                raise ValueError(f"Command (0, 0, values) for {label} needs a dict of values, got {item!r}")
            commands.append(Command(CREATE, vals=vals))
        elif op == UPDATE:
            vals = item[2] if len(item) > 2 else None
            if len(item) < 3 or not isinstance(vals, dict):
                raise ValueError(f"Command (1, id, values) for {label} needs an id and a dict, got {item!r}")
            commands.append(Command(UPDATE, id=_record_id(item[1], label), vals=vals))
        elif op in (DELETE, UNLINK, LINK):
            if len(item) < 2:
                raise ValueError(f"Command ({op}, id) for {label} needs an id, got {item!r}")
            commands.append(Command(op, id=_record_id(item[1], label)))
        elif op == CLEAR:
            commands.append(Command(CLEAR))
        elif op == SET:
            ids = item[2] if len(item) > 2 else None
            if not isinstance(ids, (list, tuple)):
                raise ValueError(f"Command (6, 0, ids) for {label} needs a list of ids, got {item!r}")
            commands.append(Command(SET, ids=tuple(_record_id(i, label) for i in ids)))
        else:
            raise ValueError(f"Unknown command {op!r} for {label} in {item!r}")
    return commands
