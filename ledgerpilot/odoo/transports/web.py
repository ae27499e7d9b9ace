"""The web client's own JSON routes every Odoo serves, which need no login and no ``/jsonrpc``.

- ``POST /web/webclient/version_info``: the server version (the same dictionary as
  ``common.version``); every Odoo since 8 serves it, and it is not one of the RPC endpoints
  Odoo 19 deprecates. The gateway detects the version here.
- ``POST /web/database/list``: the databases, when the server lists them (``list_db``); only used
  to say which databases exist when the configured one does not.

Both are JSON-RPC-style routes (``{"jsonrpc": "2.0", "method": "call", "params": {}}``).
"""

from __future__ import annotations

from typing import Any

import httpx

from ledgerpilot.odoo.errors import OdooError, OdooProtocolError, OdooUnreachable
from ledgerpilot.odoo.transports.base import http_status_error

VERSION_INFO = "/web/webclient/version_info"
DATABASE_LIST = "/web/database/list"


def _call(client: httpx.Client, base_url: str, path: str) -> Any:
    url = f"{base_url}{path}"
    body = {"jsonrpc": "2.0", "method": "call", "params": {}, "id": 1}
    try:
        response = client.post(url, json=body)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise OdooUnreachable(url, f"{type(exc).__name__}: {exc}", request_sent=False) from exc
    except httpx.TimeoutException as exc:
        raise OdooUnreachable(url, "timed out waiting for the server", request_sent=True) from exc
    except httpx.TransportError as exc:
        raise OdooUnreachable(url, f"connection dropped ({type(exc).__name__})", request_sent=True) from exc
    if response.status_code != 200:
        raise http_status_error(response.status_code, url)
    try:
        data = response.json()
    except ValueError as exc:
        raise OdooProtocolError(f"{url} did not answer JSON (got {response.content[:80]!r})") from exc
    if not isinstance(data, dict) or "error" in data:
        message = (data.get("error") or {}).get("message") if isinstance(data, dict) else None
        raise OdooProtocolError(f"{url} answered with an error: {message or data!r}")
    return data.get("result")


def version_info(client: httpx.Client, base_url: str) -> dict[str, Any]:
    """The server version from ``/web/webclient/version_info``; a gateway error when not served."""
    result = _call(client, base_url, VERSION_INFO)
    if not isinstance(result, dict) or "server_version_info" not in result:
        raise OdooProtocolError(f"{base_url}{VERSION_INFO} answered {result!r}, which is not an Odoo version")
    return result


def database_list(client: httpx.Client, base_url: str) -> list[str] | None:
    """The server's databases from ``/web/database/list``, or None when it does not list them."""
    try:
        result = _call(client, base_url, DATABASE_LIST)
    except OdooError:
        return None
    return [str(name) for name in result] if isinstance(result, list) else None


def plain_client(timeout: float, verify_tls: bool) -> httpx.Client:
    """An HTTP client without credentials, for the routes above before any transport is chosen."""
    return httpx.Client(timeout=timeout, verify=verify_tls, headers={"User-Agent": "ledgerpilot"})
