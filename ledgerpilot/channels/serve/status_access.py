"""Who may read serve's status: ``/health/details`` and ``/metrics`` name the Odoo, the jobs and the queues.

``/health`` itself answers liveness only (``{"status": "ok"}``), to anyone. The details need:
- the bearer token ``LEDGERPILOT_SERVE_STATUS_TOKEN`` when one is set (from anywhere, this machine
  included: a monitoring system sends ``Authorization: Bearer <token>``);
- otherwise a request from this machine (a loopback address) that came through no proxy (no
  ``Forwarded``, ``X-Forwarded-For`` or ``X-Real-IP`` header): a reverse proxy in front of serve would
  make every visitor look local.
Every refusal is answered in JSON (401 or 403) and audited.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Request
from fastapi.responses import JSONResponse

PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def is_local(request: Request) -> bool:
    """From a loopback address, and not relayed by a proxy."""
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return loopback and not any(name in request.headers for name in PROXY_HEADERS)


def status_refusal(request: Request, token: str | None, audit=None) -> JSONResponse | None:
    """None when ``request`` may read the status; else the JSON refusal (audited)."""
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and given.strip() and hmac.compare_digest(given.strip().encode(), token.encode()):
            return None
        return _refused(request, audit, 401, "a bearer token is needed (Authorization: Bearer <token>)",
                        {"WWW-Authenticate": "Bearer"})
    if is_local(request):
        return None
    return _refused(request, audit, 403, "only from this machine, not through a proxy; set "
                                         "LEDGERPILOT_SERVE_STATUS_TOKEN to read it from elsewhere", {})


def _refused(request: Request, audit, status: int, message: str, headers: dict[str, str]) -> JSONResponse:
    if audit is not None:
        audit.record("status_refused", actor=request.client.host if request.client else "?", subject="serve",
                     details={"path": request.url.path, "status": status})
    return JSONResponse({"error": message}, status_code=status, headers=headers)
