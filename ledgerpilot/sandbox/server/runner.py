"""Starting and stopping the sandbox server.

- :func:`running_sandbox`: a context manager that serves a sandbox data folder in a background
  thread (port 0 = any free port), waits until it answers and stops it cleanly on exit. The tests
  and the benchmarks use it.
- :func:`serve`: the same in the foreground until SIGINT/SIGTERM (``ledgerpilot sandbox start``).
- ``python -m ledgerpilot.sandbox.server --data-dir DIR [--port N] [--faults JSON]
  [--allow-fault-control]``: a subprocess server; it prints one line ``ready <url>`` once it
  answers.

The server is werkzeug's WSGI server with a fixed pool of worker threads: the SQLite store gives
each thread its own connection, which stays open (with its page cache) across requests. Request
logging is off unless asked for.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.sandbox.registry import DEFAULT_SERIE, SERIES, check_serie
from ledgerpilot.sandbox.server.app import SandboxApp
from ledgerpilot.sandbox.server.faults import FaultConfig
from ledgerpilot.sandbox.service import SandboxService
from ledgerpilot.sandbox.store import Store, database_path

_logger = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 30.0
#: Worker threads answering requests. Each keeps its own SQLite connection (and page cache) for
#: its whole life, which makes a paged extraction several times faster than a thread per request.
WORKER_THREADS = 32


class SandboxDatabaseMissing(LedgerpilotError):
    """The data folder holds no sandbox database."""

    exit_code = 2


class SandboxStartError(LedgerpilotError):
    """The server could not be started (port taken, never answered...)."""


@dataclass
class SandboxHandle:
    """A running sandbox: where it listens, its database name, its service and its faults."""

    url: str  # http://127.0.0.1:PORT
    host: str
    port: int
    db: str
    data_dir: Path
    service: SandboxService
    faults: FaultConfig
    app: SandboxApp | None = None

    @property
    def serie(self) -> str:
        return self.service.store.serie


class _RequestHandler(WSGIRequestHandler):
    """werkzeug's handler, quiet unless ``log_requests`` is set on the server."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if getattr(self.server, "log_requests", False):
            super().log_request(code, size)

    def log_error(self, format: str, *args: Any) -> None:
        if getattr(self.server, "log_requests", False):
            super().log_error(format, *args)


class PooledWSGIServer(BaseWSGIServer):
    """werkzeug's WSGI server answering each connection on a fixed pool of worker threads."""

    multithread = True

    def __init__(self, host: str, port: int, app: SandboxApp, handler: type[WSGIRequestHandler],
                 workers: int = WORKER_THREADS):
        # before binding: werkzeug calls server_close() when the bind fails
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox-worker")
        super().__init__(host, port, app, handler=handler)

    def process_request(self, request, client_address) -> None:
        self._pool.submit(self._process_request_in_worker, request, client_address)

    def _process_request_in_worker(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - socketserver's own policy: report and carry on
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=True, cancel_futures=True)


def open_store(data_dir: str | Path, serie: str = DEFAULT_SERIE) -> Store:
    """The sandbox database of ``data_dir`` playing ``serie``, or a clear error when there is none."""
    path = database_path(data_dir)
    if not path.is_file():
        raise SandboxDatabaseMissing(
            f"No sandbox database at {path}. Build the demo company first: "
            f"`ledgerpilot sandbox start --seed N` builds it (or "
            f"ledgerpilot.sandbox.generator.build_demo_company(data_dir, seed, scale, today))."
        )
    return Store(path, serie=check_serie(serie))


def _as_fault_config(faults: FaultConfig | Mapping[str, Any] | None) -> FaultConfig:
    if faults is None:
        return FaultConfig()
    if isinstance(faults, FaultConfig):
        return faults
    return FaultConfig.from_dict(faults)


def _make_server(app: SandboxApp, host: str, port: int, log_requests: bool) -> PooledWSGIServer:
    try:
        server = PooledWSGIServer(host, port, app, handler=_RequestHandler)
    except (OSError, SystemExit) as exc:  # werkzeug reports a failed bind with sys.exit(1)
        cause = exc if isinstance(exc, OSError) else exc.__context__
        reason = getattr(cause, "strerror", None) or str(cause or "the address cannot be used")
        raise SandboxStartError(f"Cannot listen on {host}:{port}: {reason}") from cause
    server.log_requests = log_requests  # type: ignore[attr-defined]
    return server


def _wait_until_answering(host: str, port: int, timeout: float = READY_TIMEOUT_SECONDS) -> None:
    """Poll ``GET /web/health`` until it answers 200 (faults are held back meanwhile)."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection(host, port, timeout=2)
        try:
            conn.request("GET", "/web/health")
            if conn.getresponse().status == 200:
                return
        except OSError as exc:
            last_error = exc
        finally:
            conn.close()
        time.sleep(0.02)
    raise SandboxStartError(f"The sandbox on {host}:{port} did not answer within {timeout:.0f}s: {last_error}")


def _client_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)


@contextmanager
def running_sandbox(data_dir: str | Path, host: str = "127.0.0.1", port: int = 0,
                    faults: FaultConfig | Mapping[str, Any] | None = None,
                    allow_fault_control: bool = False, log_requests: bool = False,
                    serie: str = DEFAULT_SERIE, legacy_rpc: bool = True) -> Iterator[SandboxHandle]:
    """Serve ``data_dir`` in a background thread for the duration of the ``with`` block.

    ``serie`` is the Odoo version played (``"17.0"`` or ``"19.0"``: its version, schemas and field
    names); ``legacy_rpc=False`` closes ``/jsonrpc`` and ``/xmlrpc`` (404).
    """
    store = open_store(data_dir, serie)
    service = SandboxService(store)
    config = _as_fault_config(faults)
    app = SandboxApp(service, config, allow_fault_control=allow_fault_control, legacy_rpc=legacy_rpc)
    app.faults_active = False
    server = _make_server(app, host, port, log_requests)
    actual_port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name=f"sandbox-{actual_port}", daemon=True)
    thread.start()
    try:
        client_host = _client_host(host)
        _wait_until_answering(client_host, actual_port)
        app.faults_active = True
        url_host = f"[{client_host}]" if ":" in client_host else client_host
        yield SandboxHandle(url=f"http://{url_host}:{actual_port}", host=client_host, port=actual_port,
                            db=service.db_name, data_dir=Path(data_dir), service=service, faults=config, app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        store.close()


def serve(data_dir: str | Path, host: str = "127.0.0.1", port: int = 8069,
          faults: FaultConfig | Mapping[str, Any] | None = None, allow_fault_control: bool = False,
          on_ready: Callable[[SandboxHandle], None] | None = None, log_requests: bool = False,
          serie: str = DEFAULT_SERIE, legacy_rpc: bool = True) -> None:
    """Serve ``data_dir`` in the foreground until SIGINT or SIGTERM, then stop cleanly."""
    stop = threading.Event()
    previous: dict[int, Any] = {}

    def _on_signal(signum, frame):
        stop.set()

    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, _on_signal)
    try:
        with running_sandbox(data_dir, host=host, port=port, faults=faults,
                             allow_fault_control=allow_fault_control, log_requests=log_requests,
                             serie=serie, legacy_rpc=legacy_rpc) as handle:
            if on_ready is not None:
                on_ready(handle)
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    """``python -m ledgerpilot.sandbox.server``: a sandbox server as a separate process."""
    parser = argparse.ArgumentParser(prog="python -m ledgerpilot.sandbox.server",
                                     description="Serve a sandbox data folder over Odoo's protocols (17.0 or 19.0).")
    parser.add_argument("--data-dir", required=True, type=Path, help="folder holding demo.sqlite")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8069, help="0 = any free port")
    parser.add_argument("--faults", default=None,
                        help='fault settings as JSON, e.g. \'{"latency_ms": 50, "error_rate": 0.1}\'')
    parser.add_argument("--allow-fault-control", action="store_true",
                        help="accept POST /sandbox/faults to change the faults at run time")
    parser.add_argument("--log-requests", action="store_true")
    parser.add_argument("--serie", default=DEFAULT_SERIE, choices=SERIES, help="the Odoo version to play")
    parser.add_argument("--no-legacy-rpc", action="store_true",
                        help="do not serve /jsonrpc and /xmlrpc (deprecated on 19): only JSON-2 and /web")
    options = parser.parse_args(argv)
    try:
        faults = FaultConfig.from_dict(json.loads(options.faults)) if options.faults else None
    except (ValueError, TypeError) as exc:
        print(f"--faults: {exc}", file=sys.stderr)
        return 2

    def announce(handle: SandboxHandle) -> None:
        print(f"ready {handle.url}", flush=True)

    try:
        serve(options.data_dir, host=options.host, port=options.port, faults=faults,
              allow_fault_control=options.allow_fault_control, on_ready=announce,
              log_requests=options.log_requests, serie=options.serie, legacy_rpc=not options.no_legacy_rpc)
    except LedgerpilotError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    return 0
