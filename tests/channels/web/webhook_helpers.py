"""What the webhook tests share: a clock the test moves, waiting for audit entries written after the answer,
and running the worker until nothing is left to retry."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from ledgerpilot.memory.serve_state import RETRY_DELAYS


class TestClock:
    """Unix seconds that move only when the test says so (starts at the real time)."""

    __test__ = False

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def wait_for(condition: Callable[[], object], what: str, seconds: float = 20.0):
    """Poll ``condition`` until it is truthy (the audit entries of a webhook are written after its answer)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def drain_all(worker, clock: TestClock) -> int:
    """Run the worker, moving the clock past every retry delay, until no event is queued any more."""
    handled = worker.drain()
    for delay in (*RETRY_DELAYS, RETRY_DELAYS[-1]):
        if worker.state.next_due() is None:
            break
        clock.advance(delay + 1)
        handled += worker.drain()
    return handled


def exchange(port: int, data: bytes) -> tuple[int, dict, bytes]:
    """Send the raw request ``data`` to 127.0.0.1:``port`` on a new connection and read the whole answer:
    (status, headers by lower-case name, body). Byte-exact requests need a socket, not an HTTP client."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        head, _, rest = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    return int(lines[0].split(" ")[1]), headers, rest
