"""``connect()``: pick the transport, learn the server version, log in, choose the company, return an
OdooClient.

With ``transport="auto"`` the version is read from ``/web/webclient/version_info`` (a web route
every Odoo serves without login, not one of the RPC endpoints Odoo 19 deprecates):

- Odoo 19 and later -> JSON-2 with the API key; nothing touches ``/jsonrpc`` or ``/xmlrpc``. Without
  an API key this is a configuration error (a password cannot call JSON-2), naming the way out;
- earlier versions -> odoorpc over ``/jsonrpc`` (the version is handed over, not asked again);
- a server that does not serve the web route (a proxy opening only the RPC endpoints) -> the
  version is asked with ``common.version`` over ``/jsonrpc``, then over ``/xmlrpc/2`` when
  ``/jsonrpc`` is not served either, and the transport follows (XML-RPC in the second case).

An explicit transport is used as configured. After login the client is given its company
(:mod:`ledgerpilot.odoo.companies`): the one configured, else the user's current company. The
choices are kept on the client (``client.transport_name``, ``client.server_version``,
``client.company``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ledgerpilot.config import OdooConnection
from ledgerpilot.errors import ConfigError
from ledgerpilot.odoo.client import OdooClient, version_major
from ledgerpilot.odoo.companies import resolve_company
from ledgerpilot.odoo.errors import OdooError, OdooProtocolError, OdooUnreachable
from ledgerpilot.odoo.retry import DEFAULT_RETRY, RetryPolicy, call_with_retry, is_retryable
from ledgerpilot.odoo.transports import (
    TRANSPORTS,
    Json2Transport,
    JsonRpcTransport,
    Transport,
    XmlRpcTransport,
    web,
)
from ledgerpilot.odoo.transports.base import Endpoint

log = logging.getLogger(__name__)
T = TypeVar("T")

JSON2_MIN_MAJOR = 19


def _at_connect(policy: RetryPolicy, call: Callable[[], T], label: str) -> T:
    """Retry transient faults while connecting, except a refused connection or unknown host, which at
    this point means a wrong URL or a stopped server: better said at once than after backoff."""
    def retryable(error: BaseException) -> bool:
        refused = isinstance(error, OdooUnreachable) and not error.request_sent
        return is_retryable(error, write=False) and not refused

    return call_with_retry(policy, call, write=False, label=label, retryable=retryable)


def _web_version(connection: OdooConnection, policy: RetryPolicy) -> dict[str, Any]:
    base_url = Endpoint.parse(connection.url).base_url
    with web.plain_client(connection.timeout, connection.verify_tls) as http:
        return _at_connect(policy, lambda: web.version_info(http, base_url), "version_info")


def _detect(connection: OdooConnection, policy: RetryPolicy) -> tuple[Transport, dict[str, Any]]:
    try:
        version = _web_version(connection, policy)
    except OdooProtocolError:
        return _detect_over_rpc(connection, policy)
    major = version_major(version["server_version_info"])
    if major >= JSON2_MIN_MAJOR:
        if connection.api_key is None:
            raise ConfigError(
                f"{connection.url} runs Odoo {version.get('server_version', major)}, whose external API is JSON-2: "
                "it needs an API key, not a password. Set LEDGERPILOT_ODOO_API_KEY (in Odoo: Preferences > Account "
                "Security > New API Key); LEDGERPILOT_ODOO_TRANSPORT=jsonrpc would use /jsonrpc, deprecated on 19 "
                "and removed in 20")
        return Json2Transport(connection, version=version), version
    return JsonRpcTransport(connection, version=version), version


def _detect_over_rpc(connection: OdooConnection, policy: RetryPolicy) -> tuple[Transport, dict[str, Any]]:
    """The version from ``common.version`` when the web route is not served: ``/jsonrpc``, then XML-RPC."""
    jsonrpc = JsonRpcTransport(connection)
    try:
        version = _at_connect(policy, jsonrpc.version, "common.version")
    except OdooProtocolError as jsonrpc_error:
        xmlrpc = XmlRpcTransport(connection)
        try:
            version = _at_connect(policy, xmlrpc.version, "common.version")
        except OdooError:
            raise jsonrpc_error from None
        log.info("/jsonrpc is not served at %s; using XML-RPC", connection.url)
        return xmlrpc, version
    if version_major(version["server_version_info"]) >= JSON2_MIN_MAJOR and connection.api_key is not None:
        return Json2Transport(connection, version=version), version
    return jsonrpc, version


def connect(connection: OdooConnection, *, cache_dir: Path | None = None,
            retry: RetryPolicy = DEFAULT_RETRY) -> OdooClient:
    """A logged-in :class:`OdooClient` reading for one company, or a gateway error that says what is wrong.

    ``cache_dir`` (the caller's ``Settings.cache_dir``) holds the schema cache and incremental
    extractions; without it, nothing is written to disk.
    """
    if connection.transport == "auto":
        transport, version = _detect(connection, retry)
    else:
        transport = TRANSPORTS[connection.transport](connection)
        version = _at_connect(retry, transport.version, "common.version")
        if transport.name in ("jsonrpc", "xmlrpc") and version_major(version["server_version_info"]) >= JSON2_MIN_MAJOR:
            log.warning("%s is deprecated on Odoo %s and removed in Odoo 20; JSON-2 (an API key and "
                        "LEDGERPILOT_ODOO_TRANSPORT=auto) is the API to use", transport.name, version.get("server_version"))
    try:
        _at_connect(retry, transport.login, "login")
        client = OdooClient(transport, connection, version, cache_dir=cache_dir, retry=retry)
        client.company = resolve_company(client, connection.company)
        return client
    except BaseException:
        transport.close()
        raise
