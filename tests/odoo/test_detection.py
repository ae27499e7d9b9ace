"""Transport detection and URL path prefixes, through a real reverse proxy in front of the sandbox.

The proxy serves the sandbox under ``/odoo`` (as a company behind nginx might) and can hide
``/jsonrpc`` (404), as a server that only opens XML-RPC does.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import httpx
import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ledgerpilot.odoo import NO_RETRY, connect

from .conftest import make_connection

PREFIX = "/odoo"


@contextmanager
def reverse_proxy(target: str, hidden: tuple[str, ...] = ()):
    upstream = httpx.Client(base_url=target, timeout=30)

    @Request.application
    def app(request: Request) -> Response:
        path = request.path
        if not path.startswith(PREFIX + "/") or path[len(PREFIX):].startswith(hidden):
            return Response("<html><body>404 Not Found</body></html>", status=404, content_type="text/html")
        answer = upstream.request(request.method, path[len(PREFIX):], content=request.get_data(),
                                  headers={k: v for k, v in request.headers.items()
                                           if k.lower() in ("content-type", "authorization", "x-odoo-database")})
        return Response(answer.content, status=answer.status_code,
                        content_type=answer.headers.get("content-type"))

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{PREFIX}"
    finally:
        server.shutdown()
        thread.join()
        upstream.close()


def test_path_prefix_with_odoorpc(sandbox):
    with reverse_proxy(sandbox.url) as url:
        connection = make_connection(sandbox, transport="auto").model_copy(update={"url": url})
        with connect(connection, retry=NO_RETRY) as client:
            assert client.transport_name == "jsonrpc"
            assert client.search_read("res.partner", [], ["name"], limit=2)


def test_auto_falls_back_to_xmlrpc_when_jsonrpc_is_not_served(sandbox):
    with reverse_proxy(sandbox.url, hidden=("/jsonrpc", "/web")) as url:
        connection = make_connection(sandbox, transport="auto").model_copy(update={"url": url})
        with connect(connection, retry=NO_RETRY) as client:
            assert client.transport_name == "xmlrpc"
            assert client.server_version.startswith("17.0")
            assert client.search_count("res.partner") > 0


def test_nothing_served_says_so(sandbox):
    from ledgerpilot.odoo import OdooEndpointNotFound

    with reverse_proxy(sandbox.url, hidden=("/",)) as url:
        connection = make_connection(sandbox, transport="auto").model_copy(update={"url": url})
        with pytest.raises(OdooEndpointNotFound, match="404"):
            connect(connection, retry=NO_RETRY)
