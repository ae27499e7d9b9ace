"""Sending the digest by SMTP, saving its copy, and posting it to a Discuss channel.

SMTP follows the settings: ``starttls`` (submission port 587: plain connection upgraded with
STARTTLS, refused if the server does not offer it), ``ssl`` (implicit TLS, port 465) or ``none`` (a
local relay), with a login when ``smtp_user`` is set. The copy is written first, always — an SMTP
failure never loses the digest — as the exact message (``.eml``) and a page that opens in a browser
(``.html``). Refusals and unreachable servers become a :class:`DigestDeliveryError` naming the
server and what it said.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from ledgerpilot.channels.digest.build import Digest
from ledgerpilot.channels.digest.render import digest_html, standalone_html
from ledgerpilot.errors import LedgerpilotError


class DigestDeliveryError(LedgerpilotError):
    """The digest could not be sent (or posted); its copy is on disk."""


@dataclass(frozen=True)
class SavedDigest:
    eml: Path
    html: Path


def save_copy(digest: Digest, message: EmailMessage, out: Path) -> SavedDigest:
    """Write ``out`` (.html; a folder gets a dated name) and the .eml beside it."""
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        out = out / f"digest-{digest.as_of.isoformat()}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    html_path = out
    eml_path = out.with_suffix(".eml")
    html_path.write_text(standalone_html(digest), encoding="utf-8")
    eml_path.write_bytes(bytes(message))
    return SavedDigest(eml=eml_path, html=html_path)


def send(message: EmailMessage, settings, recipients: list[str]) -> None:
    if not settings.smtp.host:
        raise DigestDeliveryError("no SMTP server is configured: set LEDGERPILOT_SMTP_HOST (and PORT, SECURITY, "
                                  "USER, PASSWORD as needed)")
    if not recipients:
        raise DigestDeliveryError("no recipient: give --to or set LEDGERPILOT_DIGEST_TO")
    where = f"{settings.smtp.host}:{settings.smtp.port}"
    context = ssl.create_default_context()
    try:
        if settings.smtp.security == "ssl":
            server = smtplib.SMTP_SSL(settings.smtp.host, settings.smtp.port, timeout=settings.smtp.timeout,
                                      context=context)
        else:
            server = smtplib.SMTP(settings.smtp.host, settings.smtp.port, timeout=settings.smtp.timeout)
        with server:
            server.ehlo()
            if settings.smtp.security == "starttls":
                if not server.has_extn("starttls"):
                    raise DigestDeliveryError(f"the SMTP server {where} does not offer STARTTLS; set "
                                              "LEDGERPILOT_SMTP_SECURITY=ssl or none (a local relay) if that is "
                                              "intended")
                server.starttls(context=context)
                server.ehlo()
            if settings.smtp.user:
                secret = settings.smtp.password.get_secret_value() if settings.smtp.password else ""
                server.login(settings.smtp.user, secret)
            refused = server.send_message(message, from_addr=settings.digest.sender, to_addrs=recipients)
    except smtplib.SMTPAuthenticationError as exc:
        raise DigestDeliveryError(f"the SMTP server {where} refused the login of {settings.smtp.user!r}: "
                                  f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}") from None
    except smtplib.SMTPException as exc:
        raise DigestDeliveryError(f"the SMTP server {where} refused the digest: {exc}") from None
    except (OSError, ssl.SSLError) as exc:
        raise DigestDeliveryError(f"cannot reach the SMTP server {where}: {exc}") from None
    if refused:
        raise DigestDeliveryError(f"the SMTP server {where} refused some recipients: {', '.join(refused)}")


def post_to_channel(client, digest: Digest, channel: str) -> int:
    """Post the digest's HTML (without the chart) to the Discuss channel named ``channel``; the message id."""
    from ledgerpilot.channels.discuss_channels import resolve_channel

    model, channel_id = resolve_channel(client, channel)
    body = digest_html(digest).split("<body", 1)[1].split(">", 1)[1].rsplit("</body>", 1)[0]
    body = body.replace('<img src="cid:', '<img data-src="cid:')
    return int(client.call(model, "message_post", [channel_id], body=body, message_type="comment",
                           subtype_xmlid="mail.mt_comment"))
