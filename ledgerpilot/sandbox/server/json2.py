"""JSON-2: ``POST /json/2/<model>/<method>`` as Odoo 19 serves it.

Real Odoo 17 does not have this route (it answers 404, recorded in
json2_not_available_on_17.json); the sandbox serves it anyway so that a JSON-2 client can be
tested against the same data, while ``common.version`` keeps reporting 17.0.

Behaviour follows Odoo 19's ``Json2RpcDispatcher`` and ``WebJson2Controller``:

- authentication by ``Authorization: bearer <API key>`` (case-insensitive scheme); no key ->
  401 'User not authenticated, use the "Authorization" header', a bad key -> 401 'Invalid apikey',
  both with ``WWW-Authenticate: Bearer``. The route is stateless: session cookies are ignored.
- optional ``X-Odoo-Database``: another database than the sandbox's -> 404;
- the JSON body holds named arguments: ``ids``, ``context`` and the method's own keyword
  arguments (``{"domain": [...], "fields": [...], "limit": 5}``);
- the answer is the method's result itself as JSON (HTTP 200);
- errors are JSON ``{name, message, arguments, context, debug}`` with HTTP statuses from Odoo 19:
  400 unreadable body, 401 authentication, 403 AccessError/AccessDenied, 404 unknown model or
  method and MissingError, 405 other HTTP methods than POST, 422 UserError/ValidationError and
  arguments that do not fit the method, 500 anything else (RedirectWarning included: it is not a
  UserError in Odoo 19).
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from typing import Any

from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
    UnprocessableEntity,
)
from werkzeug.wrappers import Request, Response

from ledgerpilot.sandbox import methods
from ledgerpilot.sandbox.exceptions import OdooError, PythonError
from ledgerpilot.sandbox.server.errors import json2_error, json2_status
from ledgerpilot.sandbox.server.responses import json_response, wrong_route_type
from ledgerpilot.sandbox.server.state import ServerState

_logger = logging.getLogger(__name__)

JSON2_PREFIX = "/json/2/"
_ROUTE = "/json/2/<model>/<method>"
_BEARER = re.compile(r"^bearer\s+(.+)$", re.IGNORECASE)


def serve_json2(app: ServerState, request: Request, model: str, method: str) -> Response:
    if request.mimetype != "application/json":
        return wrong_route_type(_ROUTE, "/json/2/rpc")
    try:
        uid = _authenticate(app, request)
        params = _read_params(request)
        if request.method != "POST":
            raise MethodNotAllowed()
        result = _call(app, uid, model, method, params)
    except HTTPException as exc:
        return _http_error(exc)
    except Exception as exc:  # an Odoo or Python error raised by the method
        if not isinstance(exc, OdooError):
            _logger.warning("Python exception answered as a JSON-2 internal error: %s: %s",
                            type(exc).__name__, exc)
            _logger.debug("Traceback of the Python exception", exc_info=exc)
        return json_response(json2_error(exc), status=json2_status(exc))
    try:
        return json_response(result)
    except Exception as exc:  # a result that cannot be serialised
        _logger.warning("JSON-2 result could not be serialised", exc_info=exc)
        return json_response(json2_error(exc), status=500)


def _authenticate(app: ServerState, request: Request) -> int:
    database = request.headers.get("X-Odoo-Database")
    if database and database not in app.service.db_list():
        raise NotFound(f"database {database!r} not found")
    header = request.headers.get("Authorization")
    match = _BEARER.match(header) if header else None
    if not match:
        raise Unauthorized('User not authenticated, use the "Authorization" header',
                           www_authenticate=WWWAuthenticate("bearer"))
    uid = app.service.uid_for_api_key(match.group(1).strip())
    if not uid:
        raise Unauthorized("Invalid apikey", www_authenticate=WWWAuthenticate("bearer"))
    return uid


def _read_params(request: Request) -> dict[str, Any]:
    if not request.content_length:
        return {}
    try:
        body = json.loads(request.get_data(cache=False))
    except ValueError as exc:
        raise BadRequest(f"could not parse the body as json: {exc.args[0]}") from exc
    if not isinstance(body, dict):
        raise BadRequest("could not parse the body, expecting a json object")
    return body


def _call(app: ServerState, uid: int, model: str, method: str, params: dict[str, Any]) -> Any:
    """``web_json_2_rpc(model, method, ids=(), context={}, **kwargs)``."""
    kwargs = dict(params)
    ids = kwargs.pop("ids", [])
    context = kwargs.pop("context", {})
    if model not in app.service.store.registry:
        raise NotFound(f"the model {model!r} does not exist")
    if method.startswith("_"):
        # get_public_method refuses private names before anything else (AccessError, 403)
        return app.service.call(uid, model, method, [], {})
    try:
        handler = methods.lookup(model, method, app.service.major)
    except PythonError as exc:
        raise NotFound(exc.message) from exc
    if not handler.multi and ids:
        raise UnprocessableEntity(f"cannot call {model}.{method} with ids")
    args = [list(ids) if isinstance(ids, (list, tuple)) else ids] if handler.multi else []
    try:
        inspect.signature(handler.func).bind(None, model, *args, **kwargs)
    except TypeError as exc:
        raise UnprocessableEntity(exc.args[0]) from exc
    return app.service.call(uid, model, method, args, {**kwargs, "context": context})


def _http_error(exc: HTTPException) -> Response:
    """Odoo 19: the exception serialised with ``message=description, arguments=(description, code)``;
    the headers of the exception (``WWW-Authenticate``) are kept, its Content-Type is not."""
    body = json2_error(exc, message=exc.description, arguments=(exc.description, exc.code))
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    return json_response(body, status=exc.code or 500, headers=headers)
