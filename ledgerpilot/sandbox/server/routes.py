"""The sandbox server's routes, in one table: which path is answered by which handler.

A handler takes the server's state (:class:`~ledgerpilot.sandbox.server.state.ServerState`), the
request and what follows its prefix in the path (``""`` for an exact path), and returns the answer,
or ``None`` when the path is not one it serves (the application then answers Odoo's 404 page).
:func:`find_route` looks the exact paths up first, then the prefixes in their order: the first
prefix that matches owns the path.

==========================================  ============================================
``/jsonrpc``                                JSON-RPC services common/db/object (odoorpc)
``/web/...`` (``web_session.WEB_ROUTES``)   JSON web-session routes, ``/web/dataset/call_kw``
``/web/dataset/call_kw/<path>``             as ``/web/dataset/call_kw``
``/web/health``                             GET or HEAD, ``{"status": "pass"}``
``/xmlrpc/2/<service>``                     XML-RPC (int fault codes)
``/xmlrpc/<service>``                       legacy XML-RPC (string fault codes)
``/json/2/<model>/<method>``                JSON-2 as Odoo 19
==========================================  ============================================

What is not a route of Odoo's stays in the application: ``/sandbox/faults``, fault injection and
closing the legacy routes (``legacy_rpc=False``).
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Request, Response

from ledgerpilot.sandbox.server.json2 import JSON2_PREFIX, serve_json2
from ledgerpilot.sandbox.server.jsonrpc import JSONRPC_ROUTE, JsonRoute, serve_json_route
from ledgerpilot.sandbox.server.responses import json_response
from ledgerpilot.sandbox.server.state import ServerState
from ledgerpilot.sandbox.server.web_session import CALL_KW_PREFIX, WEB_ROUTES
from ledgerpilot.sandbox.server.xmlrpc import XMLRPC2_PREFIX, XMLRPC_PREFIX, serve_xmlrpc

#: ``handler(state, request, rest of the path)``: the answer, or None for "not mine" (404)
Handler = Callable[[ServerState, Request, str], Response | None]


def _json(route: JsonRoute) -> Handler:
    def handler(state: ServerState, request: Request, rest: str) -> Response:
        return serve_json_route(state, request, route)
    return handler


def _xmlrpc(legacy: bool) -> Handler:
    def handler(state: ServerState, request: Request, service_name: str) -> Response | None:
        if not service_name or "/" in service_name:
            return None
        return serve_xmlrpc(state, request, service_name, legacy=legacy)
    return handler


def _json2(state: ServerState, request: Request, rest: str) -> Response | None:
    parts = rest.split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return serve_json2(state, request, parts[0], parts[1])


def _health(state: ServerState, request: Request, rest: str) -> Response | None:
    if request.method not in ("GET", "HEAD"):
        return None
    return json_response({"status": "pass"})


EXACT_ROUTES: dict[str, Handler] = {
    JSONRPC_ROUTE.route: _json(JSONRPC_ROUTE),
    **{path: _json(route) for path, route in WEB_ROUTES.items()},
    "/web/health": _health,
}
#: in order: the first prefix that matches owns the path (``/xmlrpc/2/`` before ``/xmlrpc/``)
PREFIX_ROUTES: tuple[tuple[str, Handler], ...] = (
    (CALL_KW_PREFIX, _json(WEB_ROUTES["/web/dataset/call_kw"])),
    (XMLRPC2_PREFIX, _xmlrpc(legacy=False)),
    (XMLRPC_PREFIX, _xmlrpc(legacy=True)),
    (JSON2_PREFIX, _json2),
)


def find_route(path: str) -> tuple[Handler, str] | None:
    """The handler that owns ``path`` and the rest of the path after its prefix, or None."""
    handler = EXACT_ROUTES.get(path)
    if handler is not None:
        return handler, ""
    for prefix, handler in PREFIX_ROUTES:
        if path.startswith(prefix):
            return handler, path[len(prefix):]
    return None
