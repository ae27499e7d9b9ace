"""``/jsonrpc`` through odoorpc: the default transport for Odoo 14-18.

odoorpc logs in with ``common.login`` + ``res.users.context_get`` and then calls
``object.execute_kw``; ``/jsonrpc`` accepts an API key wherever a password goes. Only
``ODOO.execute_kw`` is used: odoorpc's ``env[...]`` reads every field of a model on first use and
``browse()`` reads all fields, which fails on ``account.move`` on Odoo 17.

The server version is asked first with a plain ``common.version`` call and handed to odoorpc, so
its constructor does not probe ``/web/webclient/version_info``; this also lets a URL with a path
prefix (``https://host/odoo``) work, as odoorpc itself only knows host and port.
"""

from __future__ import annotations

import json
import random
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

import odoorpc
import odoorpc.error

from ledgerpilot.config import OdooConnection
from ledgerpilot.odoo.errors import OdooError, OdooProtocolError, error_from_odoo
from ledgerpilot.odoo.transports.base import Transport, network_error, ssl_context


class JsonRpcTransport(Transport):
    name = "jsonrpc"

    def __init__(self, connection: OdooConnection, version: dict[str, Any] | None = None):
        super().__init__(connection)
        handlers: list[Any] = [urllib.request.HTTPCookieProcessor(CookieJar())]
        if self.endpoint.tls:
            handlers.append(urllib.request.HTTPSHandler(context=ssl_context(connection.verify_tls)))
        self._opener = urllib.request.build_opener(*handlers)
        self._odoo: odoorpc.ODOO | None = None
        self._version: dict[str, Any] | None = version  # known when detection already asked
        self.url = f"{self.endpoint.base_url}/jsonrpc"

    # ------------------------------------------------------------------ raw calls (no login)

    def _raw_call(self, service: str, method: str, args: list) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": random.randint(1, 10**9),
                           "params": {"service": service, "method": method, "args": args}}).encode()
        request = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(request, timeout=self.connection.timeout) as response:
                raw = response.read()
        except Exception as exc:
            mapped = network_error(exc, self.url)
            if mapped is None:
                raise
            raise mapped from exc
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise OdooProtocolError(f"{self.url} did not answer JSON-RPC (got {raw[:80]!r})") from exc
        if data.get("error"):
            raise self._map_rpc_error(data["error"], None, f"{service}.{method}")
        return data.get("result")

    def version(self) -> dict[str, Any]:
        if self._version is None:
            result = self._raw_call("common", "version", [])
            if not isinstance(result, dict) or "server_version_info" not in result:
                raise OdooProtocolError(f"{self.url} answered common.version with {result!r}, "
                                        "which is not an Odoo version")
            self._version = result
        return self._version

    def db_list(self) -> list[str] | None:
        try:
            result = self._raw_call("db", "list", [])
        except OdooError:
            return None
        return list(result) if isinstance(result, list) else None

    # ------------------------------------------------------------------ odoorpc

    def _connect(self) -> odoorpc.ODOO:
        info = self.version()["server_version_info"]
        protocol = "jsonrpc+ssl" if self.endpoint.tls else "jsonrpc"
        try:
            odoo = odoorpc.ODOO(self.endpoint.host, protocol=protocol, port=self.endpoint.port,
                                timeout=self.connection.timeout, version=f"{int(info[0])}.0",
                                opener=self._opener)
        except Exception as exc:
            mapped = network_error(exc, self.url)
            if mapped is None:
                raise
            raise mapped from exc
        if self.endpoint.prefix:
            connector = odoo._connector  # odoorpc has no option for a path prefix
            for proxy in (connector.proxy_json, connector.proxy_http):
                proxy._root_url = self.endpoint.base_url
        return odoo

    def login(self) -> int:
        odoo = self._connect()
        conn = self.connection
        try:
            odoo.login(conn.db, conn.user, conn.secret)
        except odoorpc.error.RPCError as exc:
            if not exc.info:  # odoorpc's own "Wrong login ID or password": common.login returned false
                raise self.auth_error(method="common.login") from None
            raise self.with_database_list(self._map_rpc_error(exc.info, None, "common.login")) from None
        except Exception as exc:
            mapped = network_error(exc, self.url)
            if mapped is None:
                raise
            raise mapped from exc
        self._odoo = odoo
        self.uid = odoo.env.uid
        return self.uid

    def execute_kw(self, model: str, method: str, args: list | tuple, kwargs: dict | None = None) -> Any:
        if self._odoo is None:
            raise OdooProtocolError("the JSON-RPC transport is not logged in; call login() first")
        try:
            return self._odoo.execute_kw(model, method, list(args), kwargs or {})
        except odoorpc.error.RPCError as exc:
            error = self._map_rpc_error(exc.info or {}, model, method)
            raise self.with_database_list(error) from None
        except Exception as exc:
            mapped = network_error(exc, self.url)
            if mapped is None:
                raise
            raise mapped from exc

    def _map_rpc_error(self, error: dict, model: str | None, method: str | None) -> OdooError:
        data = error.get("data") or {}
        if error.get("code") == 100 and not data.get("name"):
            data = {**data, "name": "odoo.http.SessionExpiredException"}
        conn = self.connection
        return error_from_odoo(data.get("name"), data.get("message") or error.get("message"),
                               arguments=data.get("arguments") or (), debug=data.get("debug"), model=model,
                               method=method, db=conn.db, user=conn.user, url=conn.url)

    def close(self) -> None:
        self._odoo = None
        self.uid = None

