"""How an exception looks on the wire, for each of Odoo's protocols.

Real Odoo 17 answers every failure of a model call with the exception's qualified class name, its
message, its arguments and a traceback (see tests/fixtures/odoo17_protocol/README.md). The
sandbox raises :mod:`ledgerpilot.sandbox.exceptions` classes, which carry the Odoo name
(``odoo_name``) and the XML-RPC fault code; any other Python exception is answered as Odoo
answers a Python exception escaping a model method (``builtins.<Name>``, fault 1).

This module turns either kind into:

- ``jsonrpc_error(exc)``: the ``error`` member of a JSON-RPC response (code 200 or 100);
- ``xmlrpc_fault(exc, legacy)``: an ``xmlrpc.client.Fault`` (int codes on ``/xmlrpc/2``, string
  codes on the legacy ``/xmlrpc``);
- ``json2_error(exc)``: the JSON body of a JSON-2 error (Odoo 19 key order).
"""

from __future__ import annotations

import json
import traceback
import xmlrpc.client
from dataclasses import dataclass
from typing import Any

from ledgerpilot.sandbox.exceptions import (
    AccessDenied,
    AccessError,
    MissingError,
    OdooError,
    RedirectWarning,
    SessionExpired,
    UserError,
)

#: JSON-RPC ``error.code`` values Odoo 17 uses (the HTTP status stays 200).
JSONRPC_SERVER_ERROR = 200
JSONRPC_SESSION_EXPIRED = 100


@dataclass(frozen=True)
class WireError:
    """The protocol-independent description of a failure: what every envelope is built from."""

    name: str  # python.module.ClassName as Odoo reports it
    message: str
    arguments: tuple
    debug: str  # traceback-like text
    exception: BaseException


def _qualified_name(exc: BaseException) -> str:
    if isinstance(exc, OdooError):
        return exc.odoo_name
    cls = type(exc)
    return f"{cls.__module__}.{cls.__qualname__}"


def _short_name(name: str) -> str:
    """What the last traceback line shows: builtins lose their module, others keep it."""
    return name.removeprefix("builtins.")


def _message(exc: BaseException) -> str:
    if isinstance(exc, OdooError):
        return exc.message
    # Odoo's exception_to_unicode: the arguments joined by newlines (KeyError loses its quotes).
    args = getattr(exc, "args", ())
    if args:
        return "\n".join(str(a) for a in args)
    return str(exc)


def _arguments(exc: BaseException) -> tuple:
    args = tuple(exc.arguments) if isinstance(exc, OdooError) else tuple(getattr(exc, "args", ()) or ())
    return tuple(_wire_safe(a) for a in args)


def _wire_safe(value: Any) -> Any:
    """An argument as JSON/XML can carry it; anything else (an object, a socket...) as its repr."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def _debug(exc: BaseException, name: str, message: str) -> str:
    """A traceback like the one Odoo prints: the real frames, then ``<Name>: <message>``."""
    frames = "".join(traceback.format_tb(exc.__traceback__)) if exc.__traceback__ else ""
    last = _short_name(name)
    if not isinstance(exc, OdooError):
        last = traceback.format_exception_only(type(exc), exc)[-1].rstrip("\n")
        if not last.startswith(_short_name(name)):
            last = f"{_short_name(name)}: {message}"
        return f"Traceback (most recent call last):\n{frames}{last}\n"
    return f"Traceback (most recent call last):\n{frames}{last}: {message}\n"


def describe(exc: BaseException) -> WireError:
    """The wire description of ``exc`` (name, message, arguments, traceback)."""
    name = _qualified_name(exc)
    message = _message(exc)
    return WireError(name=name, message=message, arguments=_arguments(exc), debug=_debug(exc, name, message),
                     exception=exc)


# -- JSON-RPC (Odoo 17 JsonRPCDispatcher.handle_error) --------------------------------------------
def jsonrpc_error(exc: BaseException) -> dict[str, Any]:
    """The ``error`` member: ``{code, message, data: {name, debug, message, arguments, context}}``."""
    wire = describe(exc)
    if isinstance(exc, SessionExpired):
        code, text = JSONRPC_SESSION_EXPIRED, "Odoo Session Expired"
    else:
        code, text = JSONRPC_SERVER_ERROR, "Odoo Server Error"
    return {
        "code": code,
        "message": text,
        "data": {
            "name": wire.name,
            "debug": wire.debug,
            "message": wire.message,
            "arguments": list(wire.arguments),
            "context": {},
        },
    }


# -- XML-RPC (Odoo 17 xmlrpc_handle_exception_int / _string) --------------------------------------
def xmlrpc_fault(exc: BaseException, legacy: bool = False) -> xmlrpc.client.Fault:
    """The fault Odoo 17 sends: int codes on ``/xmlrpc/2/*``, string codes on ``/xmlrpc/*``."""
    wire = describe(exc)
    # str(exception) of Odoo's exceptions: the message alone, or the repr of the args tuple when
    # there are several (RedirectWarning: "('message', {action}, 'button', None)").
    text = str(Exception(*wire.arguments)) if wire.arguments else wire.message
    if legacy:
        return _legacy_fault(exc, wire, text)
    if isinstance(exc, RedirectWarning):
        return xmlrpc.client.Fault(2, text)
    if isinstance(exc, AccessError):
        return xmlrpc.client.Fault(4, text)
    if isinstance(exc, AccessDenied):
        return xmlrpc.client.Fault(3, text)
    if isinstance(exc, UserError):
        return xmlrpc.client.Fault(2, text)
    return xmlrpc.client.Fault(1, wire.debug)


def _legacy_fault(exc: BaseException, wire: WireError, text: str) -> xmlrpc.client.Fault:
    if isinstance(exc, RedirectWarning):
        return xmlrpc.client.Fault("warning -- Warning\n\n" + text, "")
    if isinstance(exc, MissingError):
        return xmlrpc.client.Fault("warning -- MissingError\n\n" + text, "")
    if isinstance(exc, AccessError):
        return xmlrpc.client.Fault("warning -- AccessError\n\n" + text, "")
    if isinstance(exc, AccessDenied):
        return xmlrpc.client.Fault("AccessDenied", text)
    if isinstance(exc, UserError):
        return xmlrpc.client.Fault("warning -- UserError\n\n" + text, "")
    return xmlrpc.client.Fault(wire.message, wire.debug)


# -- JSON-2 (Odoo 19 Json2RpcDispatcher.handle_error) ---------------------------------------------
#: HTTP statuses of Odoo 19's exceptions (``http_status``); anything else is a 500.
_JSON2_STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (MissingError, 404),
    (AccessError, 403),
    (AccessDenied, 403),
    (SessionExpired, 403),
    (RedirectWarning, 500),  # not a UserError in Odoo 19: an internal error there
    (UserError, 422),
)


def json2_status(exc: BaseException) -> int:
    for cls, status in _JSON2_STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def json2_error(exc: BaseException, message: str | None = None, arguments: tuple | None = None) -> dict:
    """``{name, message, arguments, context, debug}`` (Odoo 19 ``serialize_exception`` order)."""
    wire = describe(exc)
    return {
        "name": wire.name,
        "message": wire.message if message is None else message,
        "arguments": list(wire.arguments if arguments is None else arguments),
        "context": {},
        "debug": wire.debug,
    }
