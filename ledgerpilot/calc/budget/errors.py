"""Errors of the budget calculators, each naming what was asked for and what exists."""

from __future__ import annotations

from collections.abc import Iterable

from ledgerpilot.errors import LedgerpilotError


def _listing(names: Iterable[str], limit: int = 12) -> str:
    names = sorted({str(n) for n in names if n})
    if not names:
        return "none"
    shown = ", ".join(names[:limit])
    return shown + (f" (and {len(names) - limit} more)" if len(names) > limit else "")


class UnknownAnalyticAccountError(LedgerpilotError):
    """The analytic account asked for is neither an id, a name nor a code the budget data knows."""

    def __init__(self, wanted: str | int, known: Iterable[str]) -> None:
        super().__init__(f"no analytic account {wanted!r} in the budget data; known analytic accounts: "
                         f"{_listing(known)}")


class UnknownProjectError(LedgerpilotError):
    """The project asked for is neither an id nor a name of a project in the data."""

    def __init__(self, wanted: str | int, known: Iterable[str]) -> None:
        super().__init__(f"no project {wanted!r}; projects: {_listing(known)}")


class ProjectWithoutAnalyticAccountError(LedgerpilotError):
    """The project has no analytic account, so no cost can be attributed to it."""

    def __init__(self, project: str) -> None:
        super().__init__(f"project {project!r} has no analytic account: set one on the project in Odoo "
                         "(Project > Configuration > Settings > Analytic Accounting) to follow its costs")


class EmptyPurchaseOrderError(LedgerpilotError):
    """The purchase order has no lines to check."""

    def __init__(self) -> None:
        super().__init__("the purchase order has no lines left to bill: there is nothing to check against "
                         "the budget")
