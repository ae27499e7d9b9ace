"""Throttling sign-ins to the approval page: failed attempts per login and per address, growing delays.

Each failed sign-in (Odoo refused the password, or the person holds no approving group) counts against
the login and against the address it came from. Once a login has failed ``free`` times, it is locked
for ``base`` seconds; every further failure locks it again for twice as long as the last time (1 s,
2 s, 4 s, ... up to ``max_delay``). Addresses have their own, larger allowance, so one address trying
many logins is slowed down too. While a login or an address is locked, sign-in is refused at once
(HTTP 429 with ``Retry-After``) without asking Odoo -- even with the right password -- so guessing costs
time, not just attempts. A successful sign-in clears the login's count; a key with no failure for
``forget_after`` seconds starts afresh. Counts live in the server's memory, like the sessions.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0
    last: float = 0.0


@dataclass(frozen=True)
class Lock:
    """A refusal: which key is locked (``login`` or ``address``) and for how many more seconds."""

    why: str
    seconds: float


class SignInThrottle:
    def __init__(self, *, free_per_login: int = 5, free_per_address: int = 20, base_delay: float = 1.0,
                 max_delay: float = 900.0, forget_after: float = 3600.0, clock=time.monotonic):
        self.free = {"login": max(1, free_per_login), "address": max(1, free_per_address)}
        self.base = base_delay
        self.max_delay = max_delay
        self.forget_after = forget_after
        self._clock = clock
        self._keys: dict[tuple[str, str], _Failures] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _names(login: str, address: str) -> list[tuple[str, str]]:
        return [("login", (login or "").strip().casefold()), ("address", address or "?")]

    def locked(self, login: str, address: str) -> Lock | None:
        """The lock that refuses this attempt now, or None when it may go to Odoo."""
        now = self._clock()
        with self._lock:
            waits = [Lock(kind, entry.locked_until - now) for kind, name in self._names(login, address)
                     if (entry := self._current(kind, name, now)) is not None and entry.locked_until > now]
        return max(waits, key=lambda lock: lock.seconds) if waits else None

    def failed(self, login: str, address: str) -> list[Lock]:
        """Count a failure; the locks it starts (each with its length), if any."""
        now = self._clock()
        started = []
        with self._lock:
            for kind, name in self._names(login, address):
                entry = self._current(kind, name, now) or self._keys.setdefault((kind, name), _Failures())
                entry.count += 1
                entry.last = now
                over = entry.count - self.free[kind]
                if over >= 0:
                    delay = min(self.max_delay, self.base * 2 ** over)
                    entry.locked_until = now + delay
                    started.append(Lock(kind, delay))
        return started

    def succeeded(self, login: str) -> None:
        with self._lock:
            self._keys.pop(("login", (login or "").strip().casefold()), None)

    def _current(self, kind: str, name: str, now: float) -> _Failures | None:
        entry = self._keys.get((kind, name))
        if entry is not None and now - entry.last > self.forget_after and entry.locked_until <= now:
            del self._keys[(kind, name)]
            return None
        return entry
