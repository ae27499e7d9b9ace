"""XML-RPC: ``/xmlrpc/2/<service>`` (int fault codes) and the legacy ``/xmlrpc/<service>``.

As Odoo 17's ``RPC._xmlrpc``: the body is parsed with ``xmlrpc.client.loads``, the call goes to
the same services as ``/jsonrpc``, and the result is marshalled with ``allow_none=False``. Every
failure is HTTP 200 with a ``<fault>``: malformed XML and unknown services included (fault 1 with
a traceback). A method that returns ``None`` ends in fault 1 "cannot marshal None unless
allow_none is enabled" although its change is committed, exactly as on a real server.
"""

from __future__ import annotations

import logging
import xmlrpc.client

from werkzeug.exceptions import MethodNotAllowed
from werkzeug.wrappers import Request, Response

from ledgerpilot.sandbox.exceptions import OdooError
from ledgerpilot.sandbox.server.encoding import xmlrpc_fault_body, xmlrpc_response_chunks
from ledgerpilot.sandbox.server.errors import xmlrpc_fault
from ledgerpilot.sandbox.server.responses import html_error, xml_response
from ledgerpilot.sandbox.server.rpc_services import dispatch_rpc
from ledgerpilot.sandbox.server.state import ServerState

_logger = logging.getLogger(__name__)

XMLRPC2_PREFIX = "/xmlrpc/2/"
XMLRPC_PREFIX = "/xmlrpc/"


def serve_xmlrpc(app: ServerState, request: Request, service_name: str, legacy: bool) -> Response:
    """Answer ``POST /xmlrpc[/2]/<service_name>``."""
    if request.method != "POST":
        return html_error(MethodNotAllowed(valid_methods=["POST"]))
    try:
        params, method = xmlrpc.client.loads(request.get_data(cache=False))
        result = dispatch_rpc(app.service, service_name, method, list(params))
        chunks = xmlrpc_response_chunks(result)
    except Exception as exc:  # noqa: BLE001 - every failure is a fault, as in Odoo
        if not isinstance(exc, OdooError):
            _logger.info("Python exception answered as XML-RPC fault 1: %s: %s", type(exc).__name__, exc)
        return xml_response([xmlrpc_fault_body(xmlrpc_fault(exc, legacy=legacy))])
    return xml_response(chunks)
