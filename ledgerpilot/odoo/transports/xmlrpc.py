"""XML-RPC (``/xmlrpc/2/common``, ``/xmlrpc/2/object``, ``/xmlrpc/2/db``) with the standard library.

For servers where only XML-RPC is open. Faults are mapped by their code: 1 = any other exception
(the fault string is a traceback; its last line names the class), 2 = UserError and subclasses,
3 = AccessDenied, 4 = AccessError. ``allow_none`` is on so that ``None`` in arguments is sent.
"""

from __future__ import annotations

import xmlrpc.client
from typing import Any

from ledgerpilot.config import OdooConnection
from ledgerpilot.odoo.errors import OdooError, OdooProtocolError, error_from_xmlrpc_fault
from ledgerpilot.odoo.transports.base import Transport, http_status_error, network_error, ssl_context


class _TimeoutTransport(xmlrpc.client.Transport):
    """xmlrpc.client's HTTP transport with a socket timeout (it has none of its own)."""

    def __init__(self, timeout: float):
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


class _TimeoutSafeTransport(xmlrpc.client.SafeTransport):
    def __init__(self, timeout: float, context):
        super().__init__(context=context)
        self._timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


class XmlRpcTransport(Transport):
    name = "xmlrpc"

    def __init__(self, connection: OdooConnection):
        super().__init__(connection)
        self._proxies: dict[str, xmlrpc.client.ServerProxy] = {}
        self._version: dict[str, Any] | None = None

    def _proxy(self, service: str) -> xmlrpc.client.ServerProxy:
        proxy = self._proxies.get(service)
        if proxy is None:
            if self.endpoint.tls:
                transport: xmlrpc.client.Transport = _TimeoutSafeTransport(
                    self.connection.timeout, ssl_context(self.connection.verify_tls))
            else:
                transport = _TimeoutTransport(self.connection.timeout)
            proxy = xmlrpc.client.ServerProxy(f"{self.endpoint.base_url}/xmlrpc/2/{service}", transport=transport,
                                              allow_none=True)
            self._proxies[service] = proxy
        return proxy

    def _call(self, service: str, method: str, *args: Any, model: str | None = None,
              model_method: str | None = None) -> Any:
        url = f"{self.endpoint.base_url}/xmlrpc/2/{service}"
        try:
            return getattr(self._proxy(service), method)(*args)
        except xmlrpc.client.Fault as fault:
            conn = self.connection
            error = error_from_xmlrpc_fault(fault.faultCode, fault.faultString, model=model,
                                            method=model_method or f"{service}.{method}", db=conn.db,
                                            user=conn.user, url=conn.url)
            raise self.with_database_list(error) from None
        except xmlrpc.client.ProtocolError as exc:
            self._proxies.pop(service, None)
            raise http_status_error(exc.errcode, url) from None
        except xmlrpc.client.ResponseError as exc:
            raise OdooProtocolError(f"{url} sent an XML-RPC answer that cannot be read: {exc}") from exc
        except Exception as exc:
            self._proxies.pop(service, None)  # the connection inside the proxy is unusable now
            mapped = network_error(exc, url)
            if mapped is None:
                if type(exc).__name__ == "ExpatError":
                    raise OdooProtocolError(f"{url} did not answer XML-RPC: {exc}") from exc
                raise
            raise mapped from exc

    def version(self) -> dict[str, Any]:
        if self._version is None:
            result = self._call("common", "version")
            if not isinstance(result, dict) or "server_version_info" not in result:
                raise OdooProtocolError(f"{self.endpoint.base_url}/xmlrpc/2/common answered version() with "
                                        f"{result!r}, which is not an Odoo version")
            self._version = result
        return self._version

    def db_list(self) -> list[str] | None:
        try:
            result = self._call("db", "list")
        except OdooError:
            return None
        return list(result) if isinstance(result, list) else None

    def login(self) -> int:
        conn = self.connection
        uid = self._call("common", "login", conn.db, conn.user, conn.secret)
        if not uid:
            raise self.auth_error(method="common.login")
        self.uid = int(uid)
        return self.uid

    def execute_kw(self, model: str, method: str, args: list | tuple, kwargs: dict | None = None) -> Any:
        if self.uid is None:
            raise OdooProtocolError("the XML-RPC transport is not logged in; call login() first")
        conn = self.connection
        try:
            return self._call("object", "execute_kw", conn.db, self.uid, conn.secret, model, method, list(args),
                              kwargs or {}, model=model, model_method=method)
        except OdooError as error:
            # Odoo's XML-RPC cannot send None back: the method ran (and committed) but the answer is a
            # fault. Over JSON-RPC the same call simply returns None, so return None here too.
            if error.odoo_message and error.odoo_message.startswith("cannot marshal None"):
                return None
            raise

    def close(self) -> None:
        for proxy in self._proxies.values():
            proxy("close")()
        self._proxies.clear()
        self.uid = None
