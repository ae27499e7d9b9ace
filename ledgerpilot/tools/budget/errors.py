"""Errors met while reading budgets: a malformed budget file, a purchase order that does not exist."""

from __future__ import annotations

from pathlib import Path

from ledgerpilot.errors import ConfigError, LedgerpilotError


class BudgetFileError(ConfigError):
    """A budget file cannot be read: the message names the file, the line and what is wrong there."""

    def __init__(self, path: Path | str, problem: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"budget file {where}: {problem}")


class PurchaseOrderNotFoundError(LedgerpilotError):
    """No purchase order carries the name that was asked for."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no purchase order named {name!r}: check the reference (e.g. P00042) in Purchase > Orders")
