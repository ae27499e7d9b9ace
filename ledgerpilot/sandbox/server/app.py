"""The sandbox's WSGI application: fault injection, the web sessions, and the route table of ``routes``.

Paths (Odoo 17 unless noted; which module answers which path is the table in ``routes.py``):

==========================================  ============================================
``/jsonrpc``                                JSON-RPC services common/db/object (odoorpc)
``/xmlrpc/2/<service>``, ``/xmlrpc/<s>``    XML-RPC (int / legacy string fault codes)
``/web/webclient/version_info``             JSON, auth none (odoorpc's first request)
``/web/session/authenticate`` and others    JSON web-session routes (web_session.py)
``/web/dataset/call_kw[/<path>]``           JSON, needs a logged-in web session
``/web/database/list``                      JSON, auth none
``/web/health``                             GET, ``{"status": "pass"}``
``/json/2/<model>/<method>``                JSON-2 as Odoo 19 (json2.py)
``/sandbox/faults``                         GET/POST the fault settings, only when allowed
anything else                               404 HTML page
==========================================  ============================================

Playing Odoo 19 (``store.serie == "19.0"``), every call to ``/jsonrpc`` and ``/xmlrpc[/2]`` logs a
deprecation warning, as Odoo 19 does, and is counted (``legacy_rpc_calls``). With
``legacy_rpc=False`` those routes are not served at all (404, as behind a proxy that closes them,
or on a later Odoo that removed them).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import xmlrpc.client
from collections.abc import Iterable

from werkzeug.wrappers import Request, Response

from ledgerpilot.sandbox.server.faults import FaultConfig, proxy_error_page
from ledgerpilot.sandbox.server.json2 import JSON2_PREFIX
from ledgerpilot.sandbox.server.responses import json_response, not_found_page
from ledgerpilot.sandbox.server.routes import find_route
from ledgerpilot.sandbox.server.sessions import SessionStore, WebSession
from ledgerpilot.sandbox.server.web_session import CALL_KW_PREFIX
from ledgerpilot.sandbox.server.xmlrpc import XMLRPC_PREFIX
from ledgerpilot.sandbox.service import SandboxService

_logger = logging.getLogger(__name__)

FAULT_CONTROL_PATH = "/sandbox/faults"
#: The routes Odoo 19 deprecates (scheduled for removal in Odoo 20).
LEGACY_RPC_PATHS = ("/jsonrpc", "/xmlrpc/")
LEGACY_RPC_WARNING = ("%s is deprecated in Odoo 19 and scheduled for removal in Odoo 20; "
                      "use the JSON-2 API (/json/2/<model>/<method>) instead")
#: Set in the WSGI environ when a request is to be dropped: the server closes the connection.
DROP_CONNECTION = "ledgerpilot.sandbox.drop_connection"


class SandboxApp:
    """WSGI callable serving Odoo's protocols over one :class:`SandboxService`."""

    def __init__(self, service: SandboxService, faults: FaultConfig | None = None,
                 allow_fault_control: bool = False, legacy_rpc: bool = True):
        self.service = service
        #: whether /jsonrpc and /xmlrpc are served (off: 404, as where they are closed or removed)
        self.legacy_rpc = legacy_rpc
        #: calls that reached /jsonrpc or /xmlrpc (what an Odoo 19 would log as deprecated)
        self.legacy_rpc_calls = 0
        self._counter_lock = threading.Lock()
        self.faults = faults if faults is not None else FaultConfig()
        self.allow_fault_control = allow_fault_control
        self.sessions = SessionStore()
        #: faults are held back until the server has answered its readiness probe
        self.faults_active = True

    # -- sessions ----------------------------------------------------------------------------
    def load_session(self, request: Request) -> WebSession | None:
        """The live session named by the ``session_id`` cookie, or ``None``."""
        expiry = None
        if self.faults_active and self.faults.session_expiry is not None and self.faults.applies_to(request.path):
            expiry = self.faults.session_expiry
        return self.sessions.get(request.cookies.get("session_id"), expiry_after_login=expiry)

    # -- WSGI --------------------------------------------------------------------------------
    def __call__(self, environ, start_response) -> Iterable[bytes]:
        request = Request(environ)
        response = self._serve(request, environ)
        return response(environ, start_response)

    def _serve(self, request: Request, environ: dict) -> Response:
        path = request.path
        if path == FAULT_CONTROL_PATH and self.allow_fault_control:
            return self._fault_control(request)
        if self.faults_active and self.faults.applies_to(path):
            injected = self._inject_faults(request, environ)
            if injected is not None:
                return injected
        delay = 0.0
        if self.faults_active and self.faults.answer_delay_ms and self.faults.applies_to(path):
            delay = self.faults.answer_delay_seconds(*orm_call_of(request))  # reads (and caches) the body
        try:
            response = self._route(request, path)
        except Exception:  # a bug in the sandbox itself: log it, answer as a bare server would
            _logger.exception("Internal error while serving %s %s", request.method, path)
            return Response("Internal Server Error", status=500, content_type="text/html; charset=utf-8")
        self._hold_answer(delay)  # the call has run and committed; only its answer waits
        return response

    def _hold_answer(self, seconds: float) -> None:
        """Sleep ``seconds``, waking early once the answer delay is switched off (so a server can stop)."""
        deadline = time.monotonic() + seconds
        while self.faults.answer_delay_ms and (remaining := deadline - time.monotonic()) > 0:
            time.sleep(min(0.05, remaining))

    def _route(self, request: Request, path: str) -> Response:
        if path == "/jsonrpc" or path.startswith("/xmlrpc/"):
            if not self.legacy_rpc:
                return not_found_page(self._saved_new_session())
            with self._counter_lock:
                self.legacy_rpc_calls += 1
            if self.service.major >= 19:
                _logger.warning(LEGACY_RPC_WARNING, path)
        found = find_route(path)
        if found is not None:
            handler, rest = found
            response = handler(self, request, rest)
            if response is not None:
                return response
        return not_found_page(self.load_session(request) or self._saved_new_session())

    def _saved_new_session(self) -> WebSession:
        session = self.sessions.new()
        self.sessions.save(session)
        return session

    # -- faults ------------------------------------------------------------------------------
    def _inject_faults(self, request: Request, environ: dict) -> Response | None:
        delay = self.faults.delay_seconds()
        if delay:
            time.sleep(delay)
        if self.faults.should_drop():
            request.get_data(cache=False)  # let the client finish sending before we hang up
            _close_connection(environ)
            environ[DROP_CONNECTION] = True
            return Response(b"", status=502)
        status = self.faults.error_status()
        if status is not None:
            request.get_data(cache=False)
            return Response(proxy_error_page(status), status=status, content_type="text/html")
        return None

    def _fault_control(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                changes = json.loads(request.get_data(cache=False) or b"{}")
                if not isinstance(changes, dict):
                    raise TypeError("the body must be a JSON object of fault settings")
                self.faults.update(**changes)
            except (ValueError, TypeError) as exc:
                return json_response({"error": str(exc)}, status=400)
        elif request.method != "GET":
            return Response("Method Not Allowed", status=405, headers=[("Allow", "GET, POST")])
        return json_response(self.faults.to_dict())


def orm_call_of(request: Request) -> tuple[str | None, str | None]:
    """``(model, method)`` of the ORM call a request carried, or ``(None, None)``."""
    path = request.path
    try:
        if path.startswith(JSON2_PREFIX):
            parts = path[len(JSON2_PREFIX):].split("/")
            return (parts[0], parts[1]) if len(parts) == 2 else (None, None)
        body = request.get_data(cache=True)
        if path.startswith(XMLRPC_PREFIX):
            params, method = xmlrpc.client.loads(body)
            if method in ("execute_kw", "execute") and len(params) >= 5:
                return str(params[3]), str(params[4])
            return None, None
        params = json.loads(body or b"{}").get("params") or {}
        if path.startswith(CALL_KW_PREFIX.rstrip("/")):
            return params.get("model"), params.get("method")
        args = params.get("args") or []
        if params.get("service") == "object" and len(args) >= 5:
            return str(args[3]), str(args[4])
    except (ValueError, TypeError, AttributeError, xmlrpc.client.Error):
        pass
    return None, None


def _close_connection(environ: dict) -> None:
    """Close the client's connection without a byte of answer (a proxy or network drop)."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
