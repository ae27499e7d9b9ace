"""The gateway's errors: what went wrong talking to Odoo, in words a user can act on.

Every error keeps what Odoo said (``odoo_name``, ``odoo_message``, ``arguments``, ``debug``) so
callers can look deeper (for example at a RedirectWarning's action), while ``str(error)`` is a
sentence that names the model, method, URL, database or user involved.

Two attributes drive the retry policy (see :mod:`ledgerpilot.odoo.retry`):
``transient`` (trying again may work) and ``request_sent`` (the request may have reached the
server, so a write must not be blindly repeated).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import Any

from ledgerpilot.errors import LedgerpilotError


class OdooError(LedgerpilotError):
    """Base of everything the gateway raises about the remote Odoo."""

    transient = False

    def __init__(self, message: str, *, odoo_name: str | None = None, odoo_message: str | None = None,
                 arguments: Sequence[Any] = (), debug: str | None = None, model: str | None = None,
                 method: str | None = None, request_sent: bool = True):
        super().__init__(message)
        self.message = message
        self.odoo_name = odoo_name
        self.odoo_message = odoo_message
        self.arguments = tuple(arguments)
        self.debug = debug
        self.model = model
        self.method = method
        self.request_sent = request_sent

    def __str__(self) -> str:
        return self.message


class OdooConnectionError(OdooError):
    """The request or its answer was lost on the way (transient)."""

    transient = True
    exit_code = 3


class OdooUnreachable(OdooConnectionError):
    """Connection refused, unknown host, timeout, or a connection dropped before the answer."""

    def __init__(self, url: str, reason: str, *, request_sent: bool, **kw: Any):
        where = "before the request was sent" if not request_sent else "after the request was sent"
        super().__init__(f"cannot reach Odoo at {url}: {reason} ({where}). Check the URL, that the server "
                         "is running and that nothing blocks the connection.", request_sent=request_sent, **kw)
        self.url = url
        self.reason = reason


class OdooServiceUnavailable(OdooConnectionError):
    """HTTP 502/503/504: a proxy in front of Odoo, or Odoo itself, is overloaded or restarting."""

    def __init__(self, url: str, status: int, **kw: Any):
        super().__init__(f"Odoo at {url} answered HTTP {status} (server busy, restarting or behind a failing "
                         "proxy); try again later.", **kw)
        self.url = url
        self.status = status


class OdooSessionExpired(OdooError):
    """Odoo says the session expired: log in again, then retry."""

    transient = True


class OdooProtocolError(OdooError):
    """Odoo answered something that is not the protocol's answer (HTML page, 404, bad JSON)."""

    def __init__(self, message: str, *, status: int | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.status = status


class OdooEndpointNotFound(OdooProtocolError):
    """The URL answered 404: the protocol endpoint is not served there (wrong URL or Odoo version)."""


class OdooDatabaseNotFound(OdooError):
    exit_code = 3

    def __init__(self, db: str, url: str, available: Sequence[str] | None, **kw: Any):
        if available:
            known = "the server has: " + ", ".join(sorted(available))
        elif available is not None:
            known = "the server lists no database"
        else:
            known = "the server does not list its databases"
        super().__init__(f"database {db!r} does not exist on {url} ({known}). Check the database name.", **kw)
        self.db = db
        self.url = url
        self.available = list(available) if available is not None else None


class OdooAuthenticationError(OdooError):
    exit_code = 3

    def __init__(self, user: str, db: str, url: str, *, using: str = "password/API key", **kw: Any):
        super().__init__(f"wrong user or {using} for user {user!r} on database {db!r} at {url}. Check the "
                         "login and the password or API key (an API key can be revoked in Odoo's "
                         "user preferences).", **kw)
        self.user = user
        self.db = db
        self.url = url


class OdooAccessError(OdooError):
    """Odoo's AccessError: the user lacks the rights for this model or operation."""


class OdooUserError(OdooError):
    """Odoo's UserError: a business rule refused the operation."""


class OdooValidationError(OdooUserError):
    """Odoo's ValidationError: a constraint refused the values."""


class OdooMissingRecord(OdooUserError):
    """Odoo's MissingError: the record does not exist or was deleted."""


class OdooRedirectWarning(OdooUserError):
    """Odoo's RedirectWarning; ``arguments`` = (message, action dict, button label, context)."""

    @property
    def action(self) -> dict | None:
        return self.arguments[1] if len(self.arguments) > 1 and isinstance(self.arguments[1], dict) else None

    @property
    def button_text(self) -> str | None:
        return self.arguments[2] if len(self.arguments) > 2 else None


class OdooServerError(OdooError):
    """Any other error raised inside Odoo (ValueError, TypeError, KeyError, ...)."""


class MissingModuleError(OdooError):
    """A feature needs an Odoo module that is not installed on this database."""

    def __init__(self, feature: str, models: Sequence[str], module: str, reason: str | None = None):
        detail = reason or f"model(s) {', '.join(models)} not found"
        super().__init__(f"{feature} is not available on this Odoo: {detail}. Install the {module} module "
                         "to use it.")
        self.feature = feature
        self.models = tuple(models)
        self.module = module


class MissingFieldError(OdooError):
    """A field the caller named does not exist on the model on this Odoo."""

    def __init__(self, model: str, fields: Sequence[str], hint: str | None = None):
        names = ", ".join(repr(f) for f in fields)
        noun = "field" if len(fields) == 1 else "fields"
        super().__init__(f"{model} has no {noun} {names} on this Odoo" + (f" ({hint})" if hint else ""),
                         model=model)
        self.fields = tuple(fields)


class GatewayUsageError(LedgerpilotError, ValueError):
    """The gateway was called in a way it refuses (a programming error, not an Odoo error)."""


# ---------------------------------------------------------------------------------------------
# Mapping what Odoo said to these classes. Transports call these; nothing else should need to.

_USER_ERROR_NAMES = {
    "odoo.exceptions.UserError": OdooUserError,
    "odoo.exceptions.except_orm": OdooUserError,
    "odoo.exceptions.Warning": OdooUserError,
    "odoo.exceptions.ValidationError": OdooValidationError,
    "odoo.exceptions.MissingError": OdooMissingRecord,
    "odoo.exceptions.RedirectWarning": OdooRedirectWarning,
    "odoo.exceptions.AccessError": OdooAccessError,
}
_UNKNOWN_DB = re.compile(r'database "([^"]+)" does not exist')


def _call_label(model: str | None, method: str | None) -> str:
    if model and method:
        return f"{model}.{method}"
    return model or method or "the call"


def error_from_odoo(name: str | None, message: str | None, *, arguments: Sequence[Any] = (),
                    debug: str | None = None, model: str | None = None, method: str | None = None,
                    db: str = "", user: str = "", url: str = "") -> OdooError:
    """The gateway error for an exception Odoo reported by its Python name and message."""
    name = name or "builtins.Exception"
    message = (message or "").strip()
    call = _call_label(model, method)
    kw = {"odoo_name": name, "odoo_message": message, "arguments": arguments, "debug": debug, "model": model,
          "method": method}
    if name.endswith("AccessDenied"):
        return OdooAuthenticationError(user, db, url, **kw)
    if name.endswith("SessionExpiredException"):
        return OdooSessionExpired(f"the Odoo session expired during {call}; logging in again", **kw)
    if name == "odoo.exceptions.AccessError":
        return OdooAccessError(f"access denied by Odoo for {call} as user {user!r}: {message}", **kw)
    cls = _USER_ERROR_NAMES.get(name)
    if cls is not None:
        kind = name.rsplit(".", 1)[-1]
        return cls(f"Odoo refused {call} ({kind}): {message}", **kw)
    match = _UNKNOWN_DB.search(message)
    if match and "OperationalError" in name:
        return OdooDatabaseNotFound(match.group(1), url, None, **kw)
    return OdooServerError(f"Odoo failed on {call}: {name}: {message}", **kw)


def parse_traceback_tail(text: str) -> tuple[str, str]:
    """(exception name, message) from the end of a Python traceback, as XML-RPC fault 1 carries it."""
    lines = text.rstrip().splitlines()
    start = 0
    for index, line in enumerate(lines):
        if line.startswith(("  File ", "    ")):
            start = index + 1
    tail = [line for line in lines[start:] if line.strip()]
    if not tail:
        return "builtins.Exception", text.strip()
    head, _, rest = tail[0].partition(":")
    message = "\n".join([rest.strip(), *tail[1:]]).strip()
    if not re.fullmatch(r"[A-Za-z_][\w.]*", head):
        return "builtins.Exception", "\n".join(tail)
    return (head if "." in head else f"builtins.{head}"), message


def parse_redirect_warning_repr(text: str) -> tuple[Any, ...] | None:
    """The args tuple of a RedirectWarning from its repr (XML-RPC fault 2), or None if it is not one."""
    stripped = text.strip()
    if not (stripped.startswith("(") and stripped.endswith(")")):
        return None
    try:
        value = ast.literal_eval(stripped)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, tuple) and len(value) >= 3 and isinstance(value[1], dict):
        return value
    return None


_XMLRPC_STRING_CODES = {
    "AccessDenied": "odoo.exceptions.AccessDenied",
    "AccessError": "odoo.exceptions.AccessError",
    "UserError": "odoo.exceptions.UserError",
    "ValidationError": "odoo.exceptions.ValidationError",
    "MissingError": "odoo.exceptions.MissingError",
    "RedirectWarning": "odoo.exceptions.RedirectWarning",
}


def error_from_xmlrpc_fault(code: Any, fault_string: str, **context: Any) -> OdooError:
    """Map an XML-RPC fault (``/xmlrpc/2``: int codes 1-4; legacy endpoint: string codes)."""
    if code == 3:
        return error_from_odoo("odoo.exceptions.AccessDenied", fault_string, **context)
    if code == 4:
        return error_from_odoo("odoo.exceptions.AccessError", fault_string, **context)
    if code == 2:
        redirect = parse_redirect_warning_repr(fault_string)
        if redirect is not None:
            return error_from_odoo("odoo.exceptions.RedirectWarning", str(redirect[0]), arguments=redirect,
                                   **context)
        if fault_string.startswith("Record does not exist or has been deleted"):
            return error_from_odoo("odoo.exceptions.MissingError", fault_string, arguments=(fault_string,),
                                   **context)
        # ValidationError cannot be told apart from UserError over XML-RPC: both are fault 2.
        return error_from_odoo("odoo.exceptions.UserError", fault_string, arguments=(fault_string,), **context)
    if isinstance(code, str) and code in _XMLRPC_STRING_CODES:
        return error_from_odoo(_XMLRPC_STRING_CODES[code], fault_string, **context)
    name, message = parse_traceback_tail(fault_string)
    return error_from_odoo(name, message, arguments=(message,), debug=fault_string, **context)
