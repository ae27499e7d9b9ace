"""Who may call ``POST /webhooks/odoo/<secret>``: Odoo's own automation rules, which cannot sign.

Odoo's "Send Webhook Notification" sends no signature and no header of its own choosing, so the one
thing it can carry is in the URL: a secret path segment. Each automation rule gets its own named secret
(``LEDGERPILOT_WEBHOOK_ODOO_SECRETS = {"bills": "...", "orders": "..."}``): several are accepted at once,
so a secret is rotated by adding the new one, changing the rule's URL in Odoo, then removing the old one.

- The path segment is compared with every configured secret in constant time: both are first reduced to
  an HMAC under a key drawn when the process starts (so even their lengths do not show), then compared
  with ``hmac.compare_digest``, all of them every time, with no early exit. The time of an answer says
  nothing about how much of a guess was right, nor which secret it was close to.
- An optional allow-list of source addresses and networks (``LEDGERPILOT_WEBHOOK_ODOO_SOURCES``) is checked
  before the secret: an address outside it is refused whatever it sends.

What a secret and a source may look like is checked where the settings are read (``ledgerpilot.config``:
:func:`check_secret_value`, :func:`parse_networks`), so a bad value stops the start with a configuration error.

Only the secret's *name* is ever recorded (audit, logs, the queue); the value is never written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets as _random
from collections.abc import Mapping

from ledgerpilot.config import Network, check_secret_value, parse_networks

__all__ = ["Network", "check_secret_value", "matching_secret", "parse_networks", "source_allowed"]

#: a longer path segment is refused without comparing anything
MAX_SEGMENT = 256
#: the key both sides of a comparison are reduced with (new at every start; never stored)
_COMPARE_KEY = _random.token_bytes(32)


def matching_secret(segment: str, secrets: Mapping[str, str]) -> str | None:
    """The name of the configured secret equal to ``segment``, or None; constant time over all of them."""
    if len(segment) > MAX_SEGMENT:
        return None
    given = _digest(segment)
    found: str | None = None
    for name, value in secrets.items():
        if hmac.compare_digest(given, _digest(value)) and found is None:
            found = name
    return found


def _digest(text: str) -> bytes:
    return hmac.new(_COMPARE_KEY, text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def source_allowed(host: str | None, networks: tuple[Network, ...]) -> bool:
    """Whether the peer address ``host`` is in one of ``networks`` (no networks: every source is allowed)."""
    if not networks:
        return True
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in networks)
