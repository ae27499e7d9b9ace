"""``connect()``: pick the transport, learn the server version, log in, return an OdooClient.

With ``transport="auto"``, ``common.version`` is asked over ``/jsonrpc`` (no login needed):
Odoo 19+ with an API key -> JSON-2; otherwise odoorpc over ``/jsonrpc``; when ``/jsonrpc`` is not
served (404 or not JSON-RPC) but ``/xmlrpc/2`` answers -> XML-RPC. The choice is kept on the client
(``client.transport_name``, ``client.server_version``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ledgerpilot.config import OdooConnection
from ledgerpilot.odoo.client import OdooClient, version_major
from ledgerpilot.odoo.errors import OdooError, OdooProtocolError, OdooUnreachable
from ledgerpilot.odoo.retry import DEFAULT_RETRY, RetryPolicy, call_with_retry, is_retryable
from ledgerpilot.odoo.transports import (
    TRANSPORTS,
    Json2Transport,
    JsonRpcTransport,
    Transport,
    XmlRpcTransport,
)

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


def _detect(connection: OdooConnection, policy: RetryPolicy) -> tuple[Transport, dict[str, Any]]:
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
    """A logged-in :class:`OdooClient`, or a gateway error that says what is wrong.

    ``cache_dir`` (the caller's ``Settings.cache_dir``) holds the schema cache and incremental
    extractions; without it, nothing is written to disk.
    """
    if connection.transport == "auto":
        transport, version = _detect(connection, retry)
    else:
        transport = TRANSPORTS[connection.transport](connection)
        version = _at_connect(retry, transport.version, "common.version")
    try:
        _at_connect(retry, transport.login, "login")
        return OdooClient(transport, connection, version, cache_dir=cache_dir, retry=retry)
    except BaseException:
        transport.close()
        raise
