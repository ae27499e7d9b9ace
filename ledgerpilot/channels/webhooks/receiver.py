"""``POST /webhooks/odoo``: the receiver of Odoo automation-rule webhooks.

Order of checks, each with its own answer (JSON ``{"error": ...}`` or ``{"status": ...}``):
1. no secret configured -> 503 (the receiver refuses everything rather than accept unsigned calls);
2. signature, timestamp window (401) — see ``signature``;
3. nonce already used -> 409 (a replay);
4. body: JSON object with a handled ``_model`` and a positive ``_id`` -> else 400;
5. queued -> 202 ``{"status": "queued", "event": key}``; the same event delivered again (Odoo
   retried, a relay resent it with a new nonce) -> 200 ``{"status": "<its status>", "duplicate": true}``:
   the check runs once per event.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ledgerpilot.channels.webhooks.payload import PayloadRejected, parse_webhook
from ledgerpilot.channels.webhooks.signature import SignatureRejected, verify
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.serve_state import ServeState

log = logging.getLogger("ledgerpilot.webhooks")
WEBHOOK_PATH = "/webhooks/odoo"


def add_webhook_routes(app: FastAPI, *, secret: str | None, max_age_seconds: float, state: ServeState,
                       audit: AuditLog | None = None, queued: Callable[[], None] | None = None,
                       clock: Callable[[], float] = time.time) -> None:
    """Register the receiver on ``app``; ``queued()`` is called after an event is queued (wakes the worker)."""

    def refused(status: int, reason: str, request: Request) -> JSONResponse:
        log.warning("webhook refused", extra={"status": status, "reason": reason,
                                              "client": request.client.host if request.client else ""})
        if audit is not None:
            audit.record("webhook_refused", actor="odoo-webhook", subject=WEBHOOK_PATH,
                         details={"status": status, "reason": reason})
        return JSONResponse({"error": reason}, status_code=status)

    @app.post(WEBHOOK_PATH)
    async def receive(request: Request):
        if not secret:
            return refused(503, "webhooks are off: LEDGERPILOT_WEBHOOK_SECRET is not set", request)
        body = await request.body()
        now = clock()
        try:
            _stamp, nonce = verify(secret, request.headers, body, now=now, max_age_seconds=max_age_seconds)
        except SignatureRejected as exc:
            return refused(exc.status, exc.reason, request)
        if not state.accept_nonce(nonce, now, max_age_seconds):
            return refused(409, "this nonce was already used: the call is a replay", request)
        try:
            event = parse_webhook(body)
        except PayloadRejected as exc:
            return refused(400, str(exc), request)
        payload = event.model_dump(by_alias=True)
        new, status = state.enqueue(event.key, event.model, event.id, event.action, payload)
        if audit is not None:
            audit.record("webhook", actor="odoo-webhook", subject=f"{event.model}:{event.id}",
                         details={"event": event.key, "action": event.action, "new": new, "status": status})
        if not new:
            return JSONResponse({"status": status, "event": event.key, "duplicate": True}, status_code=200)
        if queued is not None:
            queued()
        return JSONResponse({"status": "queued", "event": event.key}, status_code=202)
