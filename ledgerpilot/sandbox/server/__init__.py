"""The sandbox's HTTP server: Odoo 17's protocols over a :class:`SandboxService`.

Clients (odoorpc, ``xmlrpc.client``, plain HTTP) talk to it as to a real Odoo 17: ``/jsonrpc``,
``/xmlrpc/2/*`` (and the legacy ``/xmlrpc/*``), the ``/web/...`` session routes, with the status
codes, envelopes, cookies and faults recorded in tests/fixtures/odoo17_protocol/. It also serves
JSON-2 (``POST /json/2/<model>/<method>`` with a bearer API key) as Odoo 19 does, although a real
17 answers 404 there; ``common.version`` still reports 17.0, so a client that picks its transport
from the version behaves as against a real 17, and one that asks for JSON-2 can be tested.

Modules: ``app`` (the WSGI application: fault injection, then the route table), ``routes`` (the
table: which path each module answers), ``state`` (what a route sees of the server), ``jsonrpc`` (the
JSON-RPC dispatcher and ``/jsonrpc``), ``rpc_services`` (the common/db/object services), ``xmlrpc``,
``web_session`` (``/web/...`` routes) with ``sessions`` (in-memory web sessions), ``json2``, ``errors`` (error
envelopes and faults), ``encoding`` (streamed JSON/XML bodies), ``responses``, ``faults``
(:class:`FaultConfig`) and ``runner`` (start/stop).

Start it with :func:`running_sandbox` (background thread), :func:`serve` (foreground) or
``python -m ledgerpilot.sandbox.server --data-dir DIR`` (a process of its own).
"""

from ledgerpilot.sandbox.server.faults import FaultConfig
from ledgerpilot.sandbox.server.runner import (
    SandboxDatabaseMissing,
    SandboxHandle,
    SandboxStartError,
    running_sandbox,
    serve,
)

__all__ = [
    "FaultConfig",
    "SandboxDatabaseMissing",
    "SandboxHandle",
    "SandboxStartError",
    "running_sandbox",
    "serve",
]
