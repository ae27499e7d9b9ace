"""The receivers of Odoo webhooks, mounted at ``/webhooks``: Odoo's own automation rules and signed relays.

``POST /webhooks/odoo/<secret>`` takes Odoo's "Send Webhook Notification" exactly as Odoo sends it: unsigned
JSON, no header of its own, a 1-second timeout. Order of checks, each with its own JSON answer:
1. no secret configured (``LEDGERPILOT_WEBHOOK_ODOO_SECRETS``) -> 503;
2. the caller's address outside ``LEDGERPILOT_WEBHOOK_ODOO_SOURCES`` (when set) -> 403;
3. the path segment is none of the secrets (compared in constant time, see ``url_secret.py``) -> 401;
4. not ``Content-Type: application/json`` -> 415 (a browser cannot send that across sites unasked);
then 5-7 below, the same as for a relay.

``POST /webhooks/odoo`` takes the same body from a relay that signs it (``signature.py``):
1. no secret configured (``LEDGERPILOT_WEBHOOK_SECRET``) -> 503 (it refuses everything rather than accept
   unsigned calls);
2. the signature headers present and well formed, the timestamp 1-12 ASCII digits and fresh -> else 401,
   before a byte of the body is read (a huge unsigned body costs nothing);
3. the body's size (see 5); 4. the HMAC over the body -> 401 when it does not match; the nonce already
   used -> 409 (a replay).

Both then:
5. the body's size: a ``Content-Length`` over :data:`~ledgerpilot.channels.webhooks.payload.MAX_BODY_BYTES`
   -> 413 before reading; a streamed body (no length) is read only up to the cap -> 413 past it;
6. body: JSON object with a handled ``_model`` and ``_id`` a positive integer within Odoo's range
   (booleans and other types refused), ``write_date`` a date and time when sent -> else 400;
7. queued -> 202 ``{"status": "queued", "event": key}``; the same version of the record announced again
   (another rule on the same change, Odoo and a relay, a resent call) -> 200 ``{"status": "<its status>",
   "duplicate": true}``: the check runs once per version.

Odoo waits at most one second for the answer and never retries, so the receiver answers as soon as the
event is in the queue (serve.sqlite, written by the receiver's own threads, never on the event loop nor in
the pool the approval page shares). The audit entry of each call goes to an outbox that one thread writes to
the state database: a busy state database delays the entry, never the answer.
The secret in the path is never logged nor audited: only its name.

The routes live in their own application mounted at ``/webhooks``, so a wrong method or path there is
a JSON 404/405 too (the approval page beside it answers in HTML), and an unexpected failure is a JSON
500 (logged), never a page.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets as _random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledgerpilot.channels.webhooks.audit_outbox import AuditOutbox
from ledgerpilot.channels.webhooks.payload import MAX_BODY_BYTES, PayloadRejected, event_key, parse_webhook
from ledgerpilot.channels.webhooks.signature import SignatureRejected, check_headers, check_signature
from ledgerpilot.channels.webhooks.url_secret import Network, matching_secret, source_allowed
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.serve_state import ServeState

log = logging.getLogger("ledgerpilot.webhooks")
MOUNT = "/webhooks"
WEBHOOK_PATH = f"{MOUNT}/odoo"
#: how the path of Odoo's own webhook is written wherever it is shown: the secret never is
ODOO_WEBHOOK_PATH = f"{MOUNT}/odoo/<secret>"


class WebhookReceiver:
    """What :func:`add_webhook_routes` started: the audit outbox and the threads that write the queue."""

    def __init__(self, outbox: AuditOutbox | None, executor: ThreadPoolExecutor):
        self.outbox = outbox
        self.executor = executor

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        if self.outbox is not None:
            self.outbox.close()


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


def _is_json(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == "application/json"


def add_webhook_routes(app: FastAPI, *, secret: str | None, max_age_seconds: float, state: ServeState,
                       audit: AuditLog | None = None, queued: Callable[[], None] | None = None,
                       clock: Callable[[], float] = time.time, max_body_bytes: int = MAX_BODY_BYTES,
                       odoo_secrets: Mapping[str, str] | None = None, odoo_sources: tuple[Network, ...] = (),
                       settle_seconds: float = 0.0) -> WebhookReceiver:
    """Mount the receivers on ``app`` at /webhooks; ``queued()`` is called after an event is queued (wakes the
    worker). ``secret``: the relays' HMAC secret; ``odoo_secrets``: name -> secret of Odoo's own rules (in the
    URL); ``odoo_sources``: the addresses those may come from (empty: any); ``settle_seconds``: how long after it
    came an event becomes due. Returns the receiver's threads, to close when the app stops."""
    hooks = FastAPI(title="ledgerpilot webhooks", docs_url=None, redoc_url=None, openapi_url=None)
    url_secrets = dict(odoo_secrets or {})
    outbox = AuditOutbox(audit) if audit is not None else None
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-queue")

    async def in_thread(function: Callable, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(executor, functools.partial(function, *args,
                                                                                            **kwargs))

    def audited(action: str, subject: str, details: dict[str, Any]) -> None:
        if outbox is not None:
            outbox.put(action, subject, details)

    def refused(status: int, reason: str, request: Request, path: str) -> JSONResponse:
        client = request.client.host if request.client else ""
        log.warning("webhook refused", extra={"status": status, "reason": reason, "client": client, "path": path})
        audited("webhook_refused", path, {"status": status, "reason": reason, "client": client})
        return JSONResponse({"error": reason}, status_code=status)

    @hooks.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        words = {404: "no such webhook: POST to /webhooks/odoo/<secret> (Odoo's automation rules) or /webhooks/odoo "
                      "(signed relays)",
                 405: "use POST /webhooks/odoo/<secret> or POST /webhooks/odoo"}
        return JSONResponse({"error": words.get(exc.status_code, str(exc.detail))}, status_code=exc.status_code)

    async def guarded(request: Request, receive: Callable, path: str):
        try:
            return await receive()
        except Exception:  # noqa: BLE001 - the sender gets JSON whatever happened; the log has the rest
            log.exception("the webhook receiver failed", extra={"path": path})
            return JSONResponse({"error": "the receiver failed unexpectedly; the call was not queued"},
                                status_code=500)

    @hooks.post("/odoo")
    async def receive_signed(request: Request):
        return await guarded(request, lambda: _signed(request), WEBHOOK_PATH)

    @hooks.post("/odoo/{token}")
    async def receive_from_odoo(request: Request, token: str):
        return await guarded(request, lambda: _from_odoo(request, token), ODOO_WEBHOOK_PATH)

    async def _signed(request: Request):
        path = WEBHOOK_PATH
        if not secret:
            return refused(503, "signed webhooks are off: LEDGERPILOT_WEBHOOK_SECRET is not set", request, path)
        now = clock()
        try:
            stamp, nonce, sent = check_headers(request.headers, now=now, max_age_seconds=max_age_seconds)
            body = await read_capped(request, max_body_bytes)
            check_signature(secret, stamp, nonce, body, sent)
        except SignatureRejected as exc:
            return refused(exc.status, exc.reason, request, path)
        except BodyRejected as exc:
            return refused(exc.status, exc.reason, request, path)
        if not await in_thread(state.accept_nonce, nonce, now, max_age_seconds):
            return refused(409, "this nonce was already used: the call is a replay", request, path)
        return await _queue(request, body, path, via={"via": "signed relay"})

    async def _from_odoo(request: Request, token: str):
        path = ODOO_WEBHOOK_PATH
        if not url_secrets:
            return refused(503, "Odoo webhooks are off: LEDGERPILOT_WEBHOOK_ODOO_SECRETS is not set", request, path)
        client = request.client.host if request.client else None
        if not source_allowed(client, odoo_sources):
            return refused(403, f"{client or 'this address'} is not an allowed source of Odoo webhooks "
                                "(LEDGERPILOT_WEBHOOK_ODOO_SOURCES)", request, path)
        name = matching_secret(token, url_secrets)
        if name is None:
            return refused(401, "unknown webhook secret: the URL of the automation rule does not match "
                                "LEDGERPILOT_WEBHOOK_ODOO_SECRETS", request, path)
        if not _is_json(request):
            return refused(415, "Content-Type must be application/json (as Odoo's Send Webhook Notification "
                                "sends it)", request, path)
        try:
            body = await read_capped(request, max_body_bytes)
        except BodyRejected as exc:
            return refused(exc.status, exc.reason, request, path)
        return await _queue(request, body, path, via={"via": "odoo rule", "secret": name})

    async def _queue(request: Request, body: bytes, path: str, via: dict[str, str]):
        try:
            event = parse_webhook(body)
        except PayloadRejected as exc:
            return refused(400, str(exc), request, path)
        version = event.version
        key = event.key if version is not None else event_key(event.model, event.id,
                                                              f"unversioned:{_random.token_hex(8)}")
        payload = event.model_dump(by_alias=True, exclude_unset=True)
        new, status, key = await in_thread(
            state.enqueue, key, event.model, event.id, event.action, payload, versioned=version is not None,
            due_at=clock() + settle_seconds)
        audited("webhook", f"{event.model}:{event.id}",
                {"event": key, "action": event.action, "version": version, "new": new, "status": status, **via})
        if not new:
            return JSONResponse({"status": status, "event": key, "duplicate": True}, status_code=200)
        if queued is not None:
            queued()
        return JSONResponse({"status": "queued", "event": key}, status_code=202)

    app.mount(MOUNT, hooks)
    return WebhookReceiver(outbox, executor)
