"""Web sessions (the ``session_id`` cookie of the ``/web/...`` routes), kept in memory.

Odoo stores sessions on disk; the sandbox keeps them in a dict, which is enough for one process.
A session is created on first contact with a ``/web/...`` route (Odoo sets the cookie then), gets a
new id when a user logs in (Odoo rotates it), and expires after Odoo's default of 7 days without
use — or, when fault injection says so, a fixed number of seconds after login.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

#: Odoo 17: ``SESSION_LIFETIME`` (the cookie's Max-Age and the inactivity limit), in seconds.
SESSION_LIFETIME = 60 * 60 * 24 * 7
#: The cookie's Expires date lies one year ahead (recorded), while Max-Age is the lifetime.
COOKIE_EXPIRES_SECONDS = 60 * 60 * 24 * 365
#: Sessions without a user are dropped, oldest first, beyond this number.
MAX_ANONYMOUS_SESSIONS = 10_000


@dataclass
class WebSession:
    sid: str
    db: str | None = None
    uid: int | None = None
    login: str | None = None
    context: dict = field(default_factory=dict)
    created: float = field(default_factory=time.monotonic)
    last_used: float = field(default_factory=time.monotonic)
    login_time: float | None = None
    is_new: bool = True
    modified: bool = False

    @property
    def should_save(self) -> bool:
        """Odoo sets the cookie when the session is new or was changed by the request."""
        return self.is_new or self.modified


def new_session_id() -> str:
    return secrets.token_hex(20)


class SessionStore:
    """Thread-safe in-memory sessions: sid -> :class:`WebSession`."""

    def __init__(self) -> None:
        self._sessions: dict[str, WebSession] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, sid: str | None, expiry_after_login: float | None = None) -> WebSession | None:
        """The live session ``sid`` (marked not new), or ``None`` when unknown or expired.

        ``expiry_after_login``: seconds after login past which a logged-in session is expired
        (fault injection); the default rule is :data:`SESSION_LIFETIME` of inactivity.
        """
        if not sid:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            expired = now - session.last_used > SESSION_LIFETIME
            if (not expired and expiry_after_login is not None and session.uid is not None
                    and session.login_time is not None and now - session.login_time >= expiry_after_login):
                expired = True
            if expired:
                del self._sessions[sid]
                return None
            session.last_used = now
            session.is_new = False
            session.modified = False
            return session

    def new(self) -> WebSession:
        """A fresh anonymous session; it is kept only if :meth:`save` is called."""
        return WebSession(sid=new_session_id())

    def save(self, session: WebSession) -> None:
        with self._lock:
            self._sessions[session.sid] = session
            if len(self._sessions) > MAX_ANONYMOUS_SESSIONS:
                self._drop_oldest_anonymous()

    def rotate(self, session: WebSession) -> WebSession:
        """Give the session a new id (Odoo does so at login) and forget the old one."""
        with self._lock:
            self._sessions.pop(session.sid, None)
        session.sid = new_session_id()
        session.modified = True
        return session

    def discard(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)

    def _drop_oldest_anonymous(self) -> None:
        anonymous = sorted((s.last_used, s.sid) for s in self._sessions.values() if s.uid is None)
        for _, sid in anonymous[: len(anonymous) // 2 or 1]:
            del self._sessions[sid]
