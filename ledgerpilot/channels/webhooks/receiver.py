"""``POST /webhooks/odoo``: the receiver of Odoo automation-rule webhooks.

Order of checks, each with its own answer (JSON ``{"error": ...}`` or ``{"status": ...}``):
1. no secret configured -> 503 (the receiver refuses everything rather than accept unsigned calls);
2. the signature headers present and well formed, the timestamp 1-12 ASCII digits and fresh -> else
   401, before a byte of the body is read (a huge unsigned body costs nothing);
3. the body's size: a ``Content-Length`` over :data:`~ledgerpilot.channels.webhooks.payload.MAX_BODY_BYTES`
   -> 413 before reading; a streamed body (no length) is read only up to the cap -> 413 past it;
4. the HMAC over the body -> 401 when it does not match;
5. nonce already used -> 409 (a replay);
6. body: JSON object with a handled ``_model`` and ``_id`` a positive integer within Odoo's range
   (booleans and other types refused) -> else 400;
7. queued -> 202 ``{"status": "queued", "event": key}``; the same event delivered again (Odoo
   retried, a relay resent it with a new nonce) -> 200 ``{"status": "<its status>", "duplicate": true}``:
   the check runs once per event.

The routes live in their own application mounted at ``/webhooks``, so a wrong method or path there is
a JSON 404/405 too (the approval page beside it answers in HTML), and an unexpected failure is a JSON
500 (logged), never a page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledgerpilot.channels.webhooks.payload import MAX_BODY_BYTES, PayloadRejected, parse_webhook
from ledgerpilot.channels.webhooks.signature import SignatureRejected, check_headers, check_signature
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.serve_state import ServeState

log = logging.getLogger("ledgerpilot.webhooks")
MOUNT = "/webhooks"
WEBHOOK_PATH = f"{MOUNT}/odoo"


class BodyRejected(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_capped(request: Request, cap: int) -> bytes:
    """The body, refused (413) when its announced or actual size passes ``cap``: never more than that is read."""
    length = request.headers.get("content-length")
    if length is not None:
        if not (length.isascii() and length.isdigit()) or len(length) > 18:
            raise BodyRejected(400, "Content-Length is not a number")
        if int(length) > cap:
            raise BodyRejected(413, f"the body is larger than {cap // 1024} KiB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise BodyRejected(413, f"the body is larger than {cap // 1024} KiB")
        chunks.append(chunk)
    return b"".join(chunks)


def add_webhook_routes(app: FastAPI, *, secret: str | None, max_age_seconds: float, state: ServeState,
                       audit: AuditLog | None = None, queued: Callable[[], None] | None = None,
                       clock: Callable[[], float] = time.time, max_body_bytes: int = MAX_BODY_BYTES) -> None:
    """Mount the receiver on ``app`` at /webhooks; ``queued()`` is called after an event is queued (wakes the
    worker)."""
    hooks = FastAPI(title="ledgerpilot webhooks", docs_url=None, redoc_url=None, openapi_url=None)

    def refused(status: int, reason: str, request: Request) -> JSONResponse:
        log.warning("webhook refused", extra={"status": status, "reason": reason,
                                              "client": request.client.host if request.client else ""})
        if audit is not None:
            audit.record("webhook_refused", actor="odoo-webhook", subject=WEBHOOK_PATH,
                         details={"status": status, "reason": reason})
        return JSONResponse({"error": reason}, status_code=status)

    @hooks.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        words = {404: "no such webhook: POST to /webhooks/odoo", 405: "use POST /webhooks/odoo"}
        return JSONResponse({"error": words.get(exc.status_code, str(exc.detail))}, status_code=exc.status_code)

    @hooks.post("/odoo")
    async def receive(request: Request):
        try:
            return await _receive(request)
        except Exception:  # noqa: BLE001 - the sender gets JSON whatever happened; the log has the rest
            log.exception("the webhook receiver failed")
            return JSONResponse({"error": "the receiver failed unexpectedly; the call was not queued"},
                                status_code=500)

    async def _receive(request: Request):
        if not secret:
            return refused(503, "webhooks are off: LEDGERPILOT_WEBHOOK_SECRET is not set", request)
        now = clock()
        try:
            stamp, nonce, sent = check_headers(request.headers, now=now, max_age_seconds=max_age_seconds)
            body = await read_capped(request, max_body_bytes)
            check_signature(secret, stamp, nonce, body, sent)
        except SignatureRejected as exc:
            return refused(exc.status, exc.reason, request)
        except BodyRejected as exc:
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

    app.mount(MOUNT, hooks)
