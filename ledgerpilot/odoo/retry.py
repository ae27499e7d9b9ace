"""When and how the gateway tries a call again (tenacity).

Only transient faults are retried: connections refused or dropped, timeouts, HTTP 502/503/504 and
an expired session (after logging in again). Odoo's verdicts -- AccessError, AccessDenied,
UserError, ValidationError, MissingError, RedirectWarning, ValueError and the like -- are final and
surface at once.

Writes are different: if a write's request may have reached the server (a timeout, a dropped
connection, a 502 from a proxy), Odoo may have applied it, and sending it again could create a
second record. So a write is retried only when the failure happened before the request was sent
(connection refused, unknown host) or when Odoo refused it unprocessed (expired session).
Making writes safe to repeat is the job of the approval machinery's idempotency keys, not of blind
retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from ledgerpilot.odoo.errors import OdooError, OdooSessionExpired

log = logging.getLogger(__name__)
T = TypeVar("T")

# Methods that only read. Anything else is treated as a write for the retry decision.
READ_METHODS = frozenset({
    "search", "search_count", "search_read", "read", "read_group", "fields_get", "name_search",
    "name_get", "has_group", "check_access_rights", "check_access_rule", "context_get", "default_get",
    "web_search_read", "web_read", "web_read_group", "get_views", "fields_view_get", "version", "login",
})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter: waits ~initial, 2*initial, ... capped at max_wait."""

    attempts: int = 5
    initial_wait: float = 0.2
    max_wait: float = 10.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"RetryPolicy.attempts must be at least 1, not {self.attempts}")


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(attempts=1)


def is_retryable(error: BaseException, *, write: bool) -> bool:
    """Whether ``error`` is worth another try for a read (``write=False``) or a write."""
    if not isinstance(error, OdooError) or not error.transient:
        return False
    if not write:
        return True
    return isinstance(error, OdooSessionExpired) or not error.request_sent


def call_with_retry(policy: RetryPolicy, call: Callable[[], T], *, write: bool,
                    relogin: Callable[[], object] | None = None, label: str = "call",
                    retryable: Callable[[BaseException], bool] | None = None) -> T:
    """Run ``call`` under ``policy``; before retrying after a session expiry, ``relogin()``.

    ``retryable`` replaces the default decision (:func:`is_retryable`) when given.
    """
    decide = retryable or (lambda exc: is_retryable(exc, write=write))

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning("Odoo %s failed (attempt %d of %d): %s; retrying", label, state.attempt_number,
                    policy.attempts, error)
        if isinstance(error, OdooSessionExpired) and relogin is not None:
            relogin()

    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_exponential(multiplier=policy.initial_wait, max=policy.max_wait) + wait_random(0, policy.jitter),
        retry=retry_if_exception(decide),
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(call)
