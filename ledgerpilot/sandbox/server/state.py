"""What a route handler sees of the server: the Odoo service, the web sessions, a request's session.

The route modules (``jsonrpc``, ``web_session``, ``xmlrpc``, ``json2``) are written against
:class:`ServerState` rather than the application, so they import nothing of ``app``;
:class:`~ledgerpilot.sandbox.server.app.SandboxApp` is the one implementation.
"""

from __future__ import annotations

from typing import Protocol

from werkzeug.wrappers import Request

from ledgerpilot.sandbox.server.sessions import SessionStore, WebSession
from ledgerpilot.sandbox.service import SandboxService


class ServerState(Protocol):
    """The service every call runs on, the web sessions, and the session a request's cookie names."""

    service: SandboxService
    sessions: SessionStore

    def load_session(self, request: Request) -> WebSession | None:
        """The live session named by the ``session_id`` cookie, or ``None``."""
        ...
