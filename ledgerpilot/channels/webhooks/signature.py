"""The webhook signature: HMAC-SHA256 over the timestamp, a nonce and the exact body.

Odoo's own rules post to ``/webhooks/odoo/<secret>`` unsigned (``url_secret.py``); a relay that forwards
them (or any other sender that can sign) posts to ``/webhooks/odoo`` with three headers:

    X-Ledgerpilot-Timestamp: 1795000000          (Unix seconds when it was sent)
    X-Ledgerpilot-Nonce:     3f1c...             (unique per call, 16-128 characters)
    X-Ledgerpilot-Signature: sha256=<hex>        (HMAC-SHA256 with the shared secret over
                                                  "<timestamp>.<nonce>." followed by the body bytes)

A call is refused when a header is missing or malformed, the signature does not match (401), the
timestamp is outside the allowed window (401: a captured call cannot be replayed later), or the nonce
was already used inside that window (409: replayed now).

The headers are checked in two steps so that nothing is read before it must be:
:func:`check_headers` (present, well formed -- the timestamp 1 to 12 ASCII digits -- and fresh) runs
before the body is read; :func:`check_signature` (the HMAC over the body) after.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

TIMESTAMP_HEADER = "X-Ledgerpilot-Timestamp"
NONCE_HEADER = "X-Ledgerpilot-Nonce"
SIGNATURE_HEADER = "X-Ledgerpilot-Signature"
_NONCE = re.compile(r"[A-Za-z0-9_\-.:]{16,128}")
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SignatureRejected(Exception):
    """The call is not proven to come from the holder of the secret; ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The header value a sender puts in X-Ledgerpilot-Signature."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{nonce}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, body: bytes, *, timestamp: int, nonce: str) -> dict[str, str]:
    """All three headers for ``body``, as a signing sender computes them (docs/webhooks.md has the same in a few
    lines of Python)."""
    stamp = str(int(timestamp))
    return {TIMESTAMP_HEADER: stamp, NONCE_HEADER: nonce, SIGNATURE_HEADER: signature(secret, stamp, nonce, body),
            "Content-Type": "application/json"}


def check_headers(headers: Mapping[str, str], *, now: float, max_age_seconds: float) -> tuple[str, str, str]:
    """``(timestamp, nonce, signature hex)`` when the three headers are present, well formed and the timestamp
    fresh; else :class:`SignatureRejected` (401). Reads no body."""
    lower = {k.lower(): v for k, v in headers.items()}
    stamp = lower.get(TIMESTAMP_HEADER.lower(), "")
    nonce = lower.get(NONCE_HEADER.lower(), "")
    sent = lower.get(SIGNATURE_HEADER.lower(), "")
    if not stamp or not nonce or not sent:
        missing = [h for h, v in ((TIMESTAMP_HEADER, stamp), (NONCE_HEADER, nonce), (SIGNATURE_HEADER, sent)) if not v]
        raise SignatureRejected(401, f"missing header(s): {', '.join(missing)}")
    if not _TIMESTAMP.fullmatch(stamp):
        raise SignatureRejected(401, f"{TIMESTAMP_HEADER} must be Unix seconds: 1 to 12 ASCII digits")
    if not _NONCE.fullmatch(nonce):
        raise SignatureRejected(401, f"{NONCE_HEADER} must be 16-128 letters, digits or -_.:")
    match = _SIGNATURE.fullmatch(sent.strip())
    if match is None:
        raise SignatureRejected(401, f"{SIGNATURE_HEADER} must be sha256=<64 hex digits>")
    if abs(now - int(stamp)) > max_age_seconds:
        raise SignatureRejected(401, f"the timestamp is more than {int(max_age_seconds)} s away from now")
    return stamp, nonce, match.group(1).lower()


def check_signature(secret: str, stamp: str, nonce: str, body: bytes, sent_hex: str) -> None:
    """:class:`SignatureRejected` (401) unless ``sent_hex`` is the HMAC of ``body`` under ``secret``."""
    expected = signature(secret, stamp, nonce, body)
    if not hmac.compare_digest(expected, f"sha256={sent_hex}"):
        raise SignatureRejected(401, "the signature does not match the body")


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float, max_age_seconds: float) -> tuple[int, str]:
    """``(timestamp, nonce)`` of a correctly signed, fresh call; else :class:`SignatureRejected`.

    The nonce is not checked against earlier calls here (that needs the store: the caller does it).
    """
    stamp, nonce, sent = check_headers(headers, now=now, max_age_seconds=max_age_seconds)
    check_signature(secret, stamp, nonce, body, sent)
    return int(stamp), nonce
