"""JSON-2 (Odoo 19+): ``POST /json/2/<model>/<method>`` with a bearer API key.

It depends on nothing Odoo 19 deprecates: the version comes from ``/web/webclient/version_info``,
the database from the configuration (``X-Odoo-Database`` on every call), the user from
``res.users.context_get`` over JSON-2 itself, and the database list (only to say which databases
exist when the configured one does not) from ``/web/database/list``. ``/jsonrpc`` and ``/xmlrpc``
are never called.

Arguments travel by name in a JSON object (``ids``, ``context`` and the method's parameters), the
answer is the JSON result itself, and errors come with an HTTP status and a JSON body
``{name, message, arguments, context, debug}``. Callers of the gateway pass ORM arguments
positionally as they would to ``execute_kw``; this module names them for the methods the gateway
uses (and refuses, with a clear message, positional arguments it cannot name).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from ledgerpilot.config import OdooConnection
from ledgerpilot.errors import ConfigError
from ledgerpilot.odoo.errors import (
    GatewayUsageError,
    OdooAuthenticationError,
    OdooDatabaseNotFound,
    OdooError,
    OdooProtocolError,
    OdooUnreachable,
    OdooUserError,
    error_from_odoo,
)
from ledgerpilot.odoo.transports.base import Transport, http_status_error
from ledgerpilot.odoo.transports.web import database_list, version_info

# Parameter names of ORM methods, after ``ids`` for record methods.
MODEL_METHOD_PARAMS: dict[str, tuple[str, ...]] = {
    "search": ("domain", "offset", "limit", "order"),
    "search_count": ("domain", "limit"),
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "read_group": ("domain", "fields", "groupby", "offset", "limit", "orderby", "lazy"),
    "fields_get": ("allfields", "attributes"),
    "create": ("vals_list",),
    "name_search": ("name", "domain", "operator", "limit"),
    "check_access_rights": ("operation", "raise_exception"),
    "context_get": (),
    "default_get": ("fields_list",),
}
RECORD_METHOD_PARAMS: dict[str, tuple[str, ...]] = {
    "read": ("fields", "load"),
    "write": ("vals",),
    "unlink": (),
    "copy": ("default",),
    "message_post": (),
    "action_post": (),
    "button_draft": (),
    "name_get": (),
    "has_group": ("group_ext_id",),  # a record method since Odoo 18 (JSON-2 exists from 19)
}


def named_arguments(method: str, args: list | tuple, kwargs: dict | None) -> dict[str, Any]:
    """JSON-2 body for ``method(*args, **kwargs)`` written the ``execute_kw`` way."""
    body: dict[str, Any] = {}
    args = list(args)
    if method in MODEL_METHOD_PARAMS:
        names = MODEL_METHOD_PARAMS[method]
    else:
        names = RECORD_METHOD_PARAMS.get(method, ())
        if args:
            ids = args.pop(0)
            body["ids"] = [ids] if isinstance(ids, int) else list(ids)
    if len(args) > len(names):
        raise GatewayUsageError(f"JSON-2 passes arguments by name: call {method} with keyword arguments "
                                f"(got {len(args)} positional argument(s) it cannot name)")
    body.update(zip(names, args))
    for key, value in (kwargs or {}).items():
        if key in body:
            raise GatewayUsageError(f"{method}: argument {key!r} given both by position and by name")
        body[key] = value
    return body


class Json2Transport(Transport):
    name = "json2"

    def __init__(self, connection: OdooConnection, version: dict[str, Any] | None = None):
        super().__init__(connection)
        if connection.api_key is None:
            raise ConfigError("the JSON-2 transport (Odoo 19+) needs an API key: set LEDGERPILOT_ODOO_API_KEY "
                              "(create one in Odoo: Preferences > Account Security > New API Key)")
        self._client = httpx.Client(base_url=self.endpoint.base_url, timeout=connection.timeout,
                                    verify=connection.verify_tls,
                                    headers={"Authorization": f"bearer {connection.secret}",
                                             "X-Odoo-Database": connection.db,
                                             "User-Agent": "ledgerpilot"})
        self._version = version  # known when detection already asked common.version

    def _post(self, path: str, payload: dict) -> httpx.Response:
        url = f"{self.endpoint.base_url}{path}"
        try:
            return self._client.post(path, json=payload)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise OdooUnreachable(url, f"{type(exc).__name__}: {exc}", request_sent=False) from exc
        except httpx.TimeoutException as exc:
            raise OdooUnreachable(url, "timed out waiting for the server", request_sent=True) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise OdooUnreachable(url, f"connection dropped ({type(exc).__name__})", request_sent=True) from exc
        except httpx.TransportError as exc:
            raise OdooUnreachable(url, f"{type(exc).__name__}: {exc}", request_sent=True) from exc

    def version(self) -> dict[str, Any]:
        if self._version is None:
            self._version = version_info(self._client, self.endpoint.base_url)
        return self._version

    def db_list(self) -> list[str] | None:
        return database_list(self._client, self.endpoint.base_url)

    def login(self) -> int:
        context = self.execute_kw("res.users", "context_get", [], {})
        uid = context.get("uid") if isinstance(context, dict) else None
        if not uid:
            ids = self.execute_kw("res.users", "search", [[("login", "=", self.connection.user)]], {"limit": 1})
            uid = ids[0] if ids else None
        if not uid:
            raise self.auth_error(method="res.users.context_get")
        self.uid = int(uid)
        return self.uid

    def execute_kw(self, model: str, method: str, args: list | tuple, kwargs: dict | None = None) -> Any:
        body = named_arguments(method, args, kwargs)
        response = self._post(f"/json/2/{model}/{method}", body)
        if response.status_code == 200:
            try:
                return response.json()
            except ValueError as exc:
                raise OdooProtocolError(f"{response.url} answered HTTP 200 without JSON") from exc
        raise self._error(response, model, method)

    def _error(self, response: httpx.Response, model: str, method: str) -> OdooError:
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or "name" not in data:
            error = http_status_error(status, str(response.url))
            if status == 401:
                return self.auth_error(method=f"{model}.{method}")
            return error
        conn = self.connection
        unknown_db = re.search(r"database '([^']+)' not found", str(data.get("message", "")))
        if status == 404 and unknown_db:
            return self.with_database_list(OdooDatabaseNotFound(unknown_db.group(1), conn.url, None,
                                                                odoo_name=data.get("name"),
                                                                odoo_message=data.get("message")))
        if status == 404 and str(data.get("name", "")).endswith("NotFound"):
            # JSON-2 answers an unknown model or method with 404 NotFound; JSON-RPC with a UserError.
            return OdooUserError(f"Odoo refused {model}.{method} (NotFound): {data.get('message')}",
                                 odoo_name=data.get("name"), odoo_message=data.get("message"),
                                 arguments=data.get("arguments") or (), model=model, method=method)
        error = error_from_odoo(data.get("name"), data.get("message"), arguments=data.get("arguments") or (),
                                debug=data.get("debug"), model=model, method=method, db=conn.db,
                                user=conn.user, url=conn.url)
        if status == 401 and not isinstance(error, OdooAuthenticationError):
            return self.auth_error(method=f"{model}.{method}", odoo_name=data.get("name"),
                                   odoo_message=data.get("message"))
        return error

    def close(self) -> None:
        self._client.close()
        self.uid = None
