"""What every transport offers, and the translation of network failures into gateway errors.

A transport knows one wire protocol. It answers ``version()`` without logging in, ``login()``
returns the uid, and ``execute_kw(model, method, args, kwargs)`` runs an ORM method. Whatever goes
wrong comes out as a :mod:`ledgerpilot.odoo.errors` class, never as a library's own exception, so
the retry policy and the callers see one vocabulary.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.error
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from ledgerpilot.config import OdooConnection
from ledgerpilot.odoo.errors import (
    OdooAuthenticationError,
    OdooDatabaseNotFound,
    OdooEndpointNotFound,
    OdooError,
    OdooProtocolError,
    OdooServiceUnavailable,
    OdooUnreachable,
)

TRANSIENT_HTTP_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class Endpoint:
    """The parts of the configured URL: scheme, host, port and an optional path prefix."""

    scheme: str
    host: str
    port: int
    prefix: str  # "" or "/odoo" (no trailing slash)

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        parsed = urlparse(url)
        scheme = parsed.scheme
        port = parsed.port or (443 if scheme == "https" else 80)
        return cls(scheme, parsed.hostname or "", port, parsed.path.rstrip("/"))

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.prefix}"

    @property
    def tls(self) -> bool:
        return self.scheme == "https"


def ssl_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class Transport(ABC):
    """One wire protocol to one Odoo database, as one user."""

    name: str

    def __init__(self, connection: OdooConnection):
        self.connection = connection
        self.endpoint = Endpoint.parse(connection.url)
        self.uid: int | None = None

    @abstractmethod
    def version(self) -> dict[str, Any]:
        """``common.version()``: server_version, server_version_info, server_serie, protocol_version."""

    @abstractmethod
    def login(self) -> int:
        """Authenticate and return the uid; OdooAuthenticationError / OdooDatabaseNotFound if refused."""

    @abstractmethod
    def execute_kw(self, model: str, method: str, args: list | tuple, kwargs: dict | None = None) -> Any:
        """Run ``model.method(*args, **kwargs)`` as the logged-in user."""

    def db_list(self) -> list[str] | None:
        """The server's databases, or None when it does not list them."""
        return None

    def close(self) -> None:
        """Release connections; the transport is unusable afterwards."""

    # helpers shared by the transports -------------------------------------------------------

    def auth_error(self, **kw: Any) -> OdooAuthenticationError:
        using = "API key" if self.connection.api_key is not None else "password"
        return OdooAuthenticationError(self.connection.user, self.connection.db, self.connection.url,
                                       using=using, **kw)

    def with_database_list(self, error: OdooError) -> OdooError:
        """Fill in the server's database list on a database-not-found error (best effort)."""
        if isinstance(error, OdooDatabaseNotFound) and error.available is None:
            try:
                available = self.db_list()
            except OdooError:
                available = None
            refreshed = OdooDatabaseNotFound(error.db, self.connection.url, available,
                                             odoo_name=error.odoo_name, odoo_message=error.odoo_message,
                                             arguments=error.arguments, debug=error.debug, model=error.model,
                                             method=error.method)
            return refreshed
        return error


_NOT_SENT = (ConnectionRefusedError, socket.gaierror)
_DROPPED = (http.client.RemoteDisconnected, http.client.IncompleteRead, ConnectionResetError,
            ConnectionAbortedError, BrokenPipeError, http.client.BadStatusLine)


def network_error(exc: BaseException, url: str) -> OdooError | None:
    """The gateway error for a urllib / http.client / socket failure, or None if it is not one."""
    if isinstance(exc, urllib.error.HTTPError):
        return http_status_error(exc.code, url)
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, BaseException):
            mapped = network_error(reason, url)
            if mapped is not None:
                return mapped
        return OdooUnreachable(url, str(reason), request_sent=False)
    if isinstance(exc, _NOT_SENT):
        reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else f"unknown host ({exc})"
        return OdooUnreachable(url, reason, request_sent=False)
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return OdooUnreachable(url, "timed out waiting for the server", request_sent=True)
    if isinstance(exc, _DROPPED):
        return OdooUnreachable(url, f"connection dropped ({type(exc).__name__})", request_sent=True)
    if isinstance(exc, ssl.SSLError):
        return OdooUnreachable(url, f"TLS failure ({exc})", request_sent=False)
    if isinstance(exc, OSError):
        return OdooUnreachable(url, f"{type(exc).__name__}: {exc}", request_sent=True)
    return None


def http_status_error(status: int, url: str) -> OdooError:
    if status in TRANSIENT_HTTP_STATUSES:
        return OdooServiceUnavailable(url, status)
    if status == 404:
        return OdooEndpointNotFound(f"{url} answered 404 Not Found: the endpoint is not served there "
                                    "(check the URL, and that this Odoo version offers this protocol)",
                                    status=status)
    return OdooProtocolError(f"{url} answered HTTP {status} instead of a protocol response", status=status)
