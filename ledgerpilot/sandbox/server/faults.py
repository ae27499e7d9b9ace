"""Fault injection: the network misbehaviour a client of a real Odoo must survive.

A :class:`FaultConfig` is shared by reference between the server and whoever controls it (the
tests through ``SandboxHandle.faults``, a subprocess through ``--faults`` and, when allowed,
``POST /sandbox/faults``). Every request reads it afresh, so a change applies to the next request.

- ``latency_ms`` (+ a uniform ``jitter_ms``): every answer is delayed;
- ``error_rate``: the share of requests answered by a proxy error page (``error_statuses``:
  502/503/504 HTML bodies as nginx sends them) instead of reaching Odoo;
- ``drop_rate``: the share of requests whose connection is closed without any answer;
- ``session_expiry``: web sessions (``/web/...``) expire this many seconds after login
  (0 = immediately, ``None`` = Odoo's default of 7 days of inactivity);
- ``seed``: makes the random draws repeatable;
- ``scope``: path prefixes the faults apply to (``None`` = every path);
- ``answer_delay_ms`` with ``answer_delay_calls`` (``"model.method"`` names; ``None`` = every ORM
  call): the call runs and commits at once, but its answer is held back this long -- the window in
  which a client that dies (or times out) cannot know that its write was applied.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: Proxy error pages, byte for byte as nginx answers when its upstream fails.
PROXY_ERROR_PAGES: dict[int, tuple[str, str]] = {
    502: ("Bad Gateway", "502 Bad Gateway"),
    503: ("Service Temporarily Unavailable", "503 Service Temporarily Unavailable"),
    504: ("Gateway Time-out", "504 Gateway Time-out"),
}


def proxy_error_page(status: int) -> bytes:
    _, title = PROXY_ERROR_PAGES.get(status, (str(status), str(status)))
    return (
        "<html>\r\n"
        f"<head><title>{title}</title></head>\r\n"
        "<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n"
        "</body>\r\n"
        "</html>\r\n"
    ).encode()


@dataclass
class FaultConfig:
    """What goes wrong, and how often. Change the fields at run time; ``reset()`` to clear."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (502, 503, 504)
    drop_rate: float = 0.0
    session_expiry: float | None = None
    seed: int | None = None
    scope: tuple[str, ...] | None = None
    answer_delay_ms: float = 0.0
    answer_delay_calls: tuple[str, ...] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)
    _rng_seed: Any = field(default=object(), repr=False, compare=False)

    def __post_init__(self) -> None:
        self.validate()

    # -- building and changing ---------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultConfig:
        config = cls()
        config.update(**data)
        return config

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in dataclasses.fields(self) if not f.name.startswith("_")}

    def update(self, **changes: Any) -> None:
        """Change several fields at once; unknown names and out-of-range values raise ValueError."""
        names = {f.name for f in dataclasses.fields(self) if not f.name.startswith("_")}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown fault setting(s) {unknown}; known: {sorted(names)}")
        previous = self.to_dict()
        if "seed" in changes:  # an explicit seed restarts the random sequence, even the same seed
            with self._lock:
                self._rng = random.Random(changes["seed"])
                self._rng_seed = changes["seed"]
        for key, value in changes.items():
            if key in ("error_statuses", "scope", "answer_delay_calls") and value is not None:
                value = tuple(value) if not isinstance(value, str) else (value,)
            setattr(self, key, value)
        try:
            self.validate()
        except ValueError:
            for key, value in previous.items():
                setattr(self, key, tuple(value) if isinstance(value, list) else value)
            raise

    def reset(self) -> None:
        """No faults at all."""
        self.update(**{k: v for k, v in FaultConfig().to_dict().items()})

    @contextmanager
    def override(self, **changes: Any) -> Iterator[FaultConfig]:
        """Apply ``changes`` inside a ``with`` block, then restore the previous settings."""
        previous = self.to_dict()
        self.update(**changes)
        try:
            yield self
        finally:
            self.update(**previous)

    def validate(self) -> None:
        for name in ("error_rate", "drop_rate"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}")
        for name in ("latency_ms", "jitter_ms", "answer_delay_ms"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 3_600_000:
                raise ValueError(f"{name} must be a number of milliseconds from 0 to 3600000, got {value!r}")
        if self.session_expiry is not None and (
                not isinstance(self.session_expiry, (int, float)) or not 0 <= self.session_expiry <= 10**9):
            raise ValueError(f"session_expiry must be seconds >= 0 or None, got {self.session_expiry!r}")
        statuses = tuple(self.error_statuses or ())
        if not statuses or any(s not in PROXY_ERROR_PAGES for s in statuses):
            raise ValueError(f"error_statuses must be a non-empty choice of {sorted(PROXY_ERROR_PAGES)}, "
                             f"got {self.error_statuses!r}")
        if self.answer_delay_calls is not None and any(
                not isinstance(c, str) or "." not in c for c in self.answer_delay_calls):
            raise ValueError(f"answer_delay_calls must be 'model.method' names, got {self.answer_delay_calls!r}")
        if self.scope is not None and any(not isinstance(p, str) or not p.startswith("/") for p in self.scope):
            raise ValueError(f"scope must be path prefixes starting with '/', got {self.scope!r}")

    # -- decisions (used by the server) ------------------------------------------------------
    def applies_to(self, path: str) -> bool:
        return self.scope is None or any(path.startswith(prefix) for prefix in self.scope)

    def _draw(self) -> float:
        with self._lock:
            if self._rng_seed != self.seed:
                self._rng = random.Random(self.seed)
                self._rng_seed = self.seed
            return self._rng.random()

    def delay_seconds(self) -> float:
        if not self.latency_ms and not self.jitter_ms:
            return 0.0
        jitter = self.jitter_ms * self._draw() if self.jitter_ms else 0.0
        return (self.latency_ms + jitter) / 1000.0

    def answer_delay_seconds(self, model: str | None, method: str | None) -> float:
        """How long to hold back the answer of ``model.method`` after it ran (0 = answer at once)."""
        if not self.answer_delay_ms or model is None or method is None:
            return 0.0
        if self.answer_delay_calls is not None and f"{model}.{method}" not in self.answer_delay_calls:
            return 0.0
        return self.answer_delay_ms / 1000.0

    def should_drop(self) -> bool:
        return self.drop_rate > 0 and self._draw() < self.drop_rate

    def error_status(self) -> int | None:
        """A proxy status to answer with, or ``None`` to serve the request normally."""
        if self.error_rate <= 0 or self._draw() >= self.error_rate:
            return None
        statuses = tuple(self.error_statuses)
        return statuses[int(self._draw() * len(statuses)) % len(statuses)]
