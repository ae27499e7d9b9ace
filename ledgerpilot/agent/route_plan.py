"""What the offline router decides: the kind of request, and the tool calls in order with their arguments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ledgerpilot.errors import LedgerpilotError

#: answer: read tools answer it; propose: a proposal was asked for; act: a request to act (refused);
#: outside / chitchat: nothing in the books answers it (no tool)
PlanKind = Literal["answer", "propose", "act", "outside", "chitchat"]


@dataclass(frozen=True)
class PlannedCall:
    """One tool to run, with the arguments read from the question."""

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RoutePlan:
    """The router's decision: the calls in the order the question asks, how sure it is (0..1), why,
    and whether the question was understood at all (``unknown``: the answer lists what can be asked).

    ``kind`` says what sort of request it was; ``request`` how the message was sorted
    (:class:`~ledgerpilot.agent.requests.Request`); ``corrected`` the message after spelling;
    ``intents`` the classifier's three most likely intents with their probabilities."""

    calls: tuple[PlannedCall, ...]
    confidence: float
    reason: str
    unknown: bool = False
    kind: PlanKind = "answer"
    request: Any = None
    corrected: str = ""
    intents: tuple[tuple[str, float], ...] = ()

    @property
    def tools(self) -> tuple[str, ...]:
        return tuple(call.tool for call in self.calls)


class RouterError(LedgerpilotError):
    """The router's intent examples cannot be read."""

    exit_code = 2
