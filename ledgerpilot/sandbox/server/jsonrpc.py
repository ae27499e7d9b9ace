"""Odoo 17's JSON-RPC dispatcher (``type='json'`` routes) and the ``/jsonrpc`` endpoint.

The order of checks is Odoo's, because clients see it:

1. the Content-Type must be JSON, otherwise HTTP 400 HTML ("Request inferred type ...");
2. routes with ``auth='user'`` need a live web session, otherwise error code 100 with ``id: null``
   (authentication runs before the body is read);
3. a body that is not JSON -> HTTP 400 "Invalid JSON data"; JSON that is not an object ->
   HTTP 400 "Invalid JSON-RPC data";
4. the endpoint runs with ``params`` as keyword arguments (unknown ones are ignored, missing ones
   raise Odoo's ``TypeError``);
5. the answer is ``{"jsonrpc": "2.0", "id": <id>, "result": ...}``, without ``result`` when the
   method returned ``None``; any error is ``{"jsonrpc", "id", "error"}`` with HTTP 200.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from ledgerpilot.sandbox.exceptions import OdooError, SessionExpired
from ledgerpilot.sandbox.server.errors import jsonrpc_error
from ledgerpilot.sandbox.server.responses import (
    JSON_MIMETYPES,
    bad_request_text,
    json_response,
    set_session_cookie,
    wrong_route_type,
)
from ledgerpilot.sandbox.server.rpc_services import dispatch_rpc
from ledgerpilot.sandbox.server.sessions import WebSession
from ledgerpilot.sandbox.server.state import ServerState

_logger = logging.getLogger(__name__)


@dataclass
class CallContext:
    """What an endpoint may use: the server's state, the HTTP request and the web session."""

    app: ServerState
    request: Request
    session: WebSession | None

    @property
    def service(self):
        return self.app.service


@dataclass(frozen=True)
class JsonRoute:
    """A ``type='json'`` route: ``endpoint(ctx)`` returns the bound method to call with params."""

    route: str  # the route's first pattern, as Odoo names it in its 400 message
    endpoint: Callable[[CallContext], Callable[..., Any]]
    auth: str = "none"  # "none" or "user"
    web: bool = True  # /web/... routes keep a session cookie; /jsonrpc never sets one


def filter_kwargs(func: Callable[..., Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Odoo's ``filter_kwargs``: drop the parameters ``func`` does not accept."""
    accepted: set[str] = set()
    for param in inspect.signature(func).parameters.values():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            return kwargs
        if param.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
            accepted.add(param.name)
    return {k: v for k, v in kwargs.items() if k in accepted}


def envelope(request_id: Any, result: Any = None, error: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if error is not None:
        body["error"] = error
    if result is not None:
        body["result"] = result
    return body


def serve_json_route(app: ServerState, request: Request, route: JsonRoute) -> Response:
    """Answer one request to a ``type='json'`` route exactly as Odoo 17's JsonRPCDispatcher."""
    if request.mimetype not in JSON_MIMETYPES:
        return wrong_route_type(route.route, "json")

    session: WebSession | None = None
    if route.web:
        session = app.load_session(request)
    if route.auth == "user" and (session is None or session.uid is None):
        return _error_response(app, SessionExpired(), None)
    if route.web and session is None:
        session = app.sessions.new()

    try:
        body = json.loads(request.get_data(cache=False) or b"null")
    except ValueError:
        return bad_request_text("Invalid JSON data")
    if not isinstance(body, dict):
        return bad_request_text("Invalid JSON-RPC data")
    request_id = body.get("id")

    ctx = CallContext(app=app, request=request, session=session)
    try:
        params = dict(body.get("params", {}))
        func = route.endpoint(ctx)
        result = func(**filter_kwargs(func, params))
    except Exception as exc:  # noqa: BLE001 - every failure is an answer, as in Odoo
        return _error_response(app, exc, request_id)
    try:
        response = json_response(envelope(request_id, result=result), list_path=("result",))
    except Exception as exc:  # noqa: BLE001 - a result that cannot be serialised (Odoo: TypeError, HTTP 200)
        return _error_response(app, exc, request_id)
    _save_session(app, response, session)
    return response


def _error_response(app: ServerState, exc: BaseException, request_id: Any) -> Response:
    if not isinstance(exc, OdooError):
        _logger.warning("Python exception answered as an Odoo server error: %s: %s", type(exc).__name__, exc)
        _logger.debug("Traceback of the Python exception", exc_info=exc)
    # Odoo does not save the session (nor send its cookie) when the request failed.
    return json_response(envelope(request_id, error=jsonrpc_error(exc)))


def _save_session(app: ServerState, response: Response, session: WebSession | None) -> None:
    if session is not None and session.should_save:
        app.sessions.save(session)
        set_session_cookie(response, session)


# -- /jsonrpc ------------------------------------------------------------------------------------
class RPC:
    """Odoo's ``RPC`` controller (addons/base/controllers/rpc.py), JSON side."""

    def __init__(self, ctx: CallContext):
        self.ctx = ctx

    def jsonrpc(self, service, method, args):
        """Method used by client APIs to contact Odoo (``/jsonrpc``); never touches the session."""
        return dispatch_rpc(self.ctx.service, service, method, args)


JSONRPC_ROUTE = JsonRoute(route="/jsonrpc", endpoint=lambda ctx: RPC(ctx).jsonrpc, auth="none", web=False)
