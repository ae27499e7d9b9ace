"""Sign-in sessions of the approval page: kept in the server's memory, never in the browser.

The browser holds only a random session token (an HttpOnly, SameSite=Strict cookie). Behind it the
server keeps who signed in, a CSRF token for the forms, and the Odoo password the person typed: an
approval is decided by Odoo for that person (their login and group are checked again at the moment
they approve, exactly as on the command line), so the secret has to live as long as the session —
in memory only, dropped on sign-out, on expiry and when the process stops. A session ends after
``idle`` without a request and at the latest ``max_age`` after sign-in.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field


@dataclass
class WebSession:
    token: str
    login: str
    uid: int
    name: str
    secret: str = field(repr=False)
    csrf: str = field(repr=False)
    created: float
    last_seen: float
    #: what the last decision did, shown once on the next page (class, text)
    notices: list[tuple[str, str]] = field(default_factory=list, repr=False)

    def csrf_matches(self, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(self.csrf, str(submitted))


class SessionStore:
    """Thread-safe sessions with idle and absolute expiry."""

    def __init__(self, *, idle_seconds: float, max_age_seconds: float, clock=time.monotonic):
        self._idle = idle_seconds
        self._max_age = max_age_seconds
        self._clock = clock
        self._sessions: dict[str, WebSession] = {}
        self._lock = threading.Lock()

    def open(self, *, login: str, uid: int, name: str, secret: str) -> WebSession:
        now = self._clock()
        session = WebSession(token=secrets.token_urlsafe(32), login=login, uid=uid, name=name, secret=secret,
                             csrf=secrets.token_urlsafe(32), created=now, last_seen=now)
        with self._lock:
            self._drop_expired(now)
            self._sessions[session.token] = session
        return session

    def get(self, token: str | None) -> WebSession | None:
        """The live session of ``token`` (its idle clock restarts), or None when unknown or expired."""
        if not token:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if self._expired(session, now):
                del self._sessions[token]
                return None
            session.last_seen = now
            return session

    def close(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _expired(self, session: WebSession, now: float) -> bool:
        return now - session.last_seen > self._idle or now - session.created > self._max_age

    def _drop_expired(self, now: float) -> None:
        for token in [t for t, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[token]
