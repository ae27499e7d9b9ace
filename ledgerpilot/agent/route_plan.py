"""What the offline router decides: the tool calls, in order, with their arguments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledgerpilot.errors import LedgerpilotError


@dataclass(frozen=True)
class PlannedCall:
    """One tool to run, with the arguments read from the question."""

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RoutePlan:
    """The router's decision: the calls in the order the question asks, how sure it is (0..1), why,
    and whether the question was understood at all (``unknown``: the answer lists what can be asked)."""

    calls: tuple[PlannedCall, ...]
    confidence: float
    reason: str
    unknown: bool = False

    @property
    def tools(self) -> tuple[str, ...]:
        return tuple(call.tool for call in self.calls)


class RouterError(LedgerpilotError):
    """The router's example questions cannot be read."""

    exit_code = 2
