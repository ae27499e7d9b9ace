"""Names of Odoo records for the approval page: accounts, journals, partners, analytic accounts, users.

A proposal stores ids (``account_id: 27``); a controller reads "600000 Expenses". The page asks Odoo
for the names it is about to show, through the configured connection (the same read-only access the
agent reads the books with), one ``read`` per model, and keeps them for :data:`KEEP_SECONDS` so that
going through the queue costs no further call. When Odoo cannot be reached the page still opens: the
names it could not read are shown as model and id, and the page says why.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from ledgerpilot.channels.web.writes_view import NAME_FIELDS, Names
from ledgerpilot.config import OdooConnection
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.odoo.errors import OdooError

log = logging.getLogger("ledgerpilot.web")

KEEP_SECONDS = 600.0
#: how long to wait before asking an Odoo that could not be reached again
RETRY_SECONDS = 30.0


def _text(model: str, row: Mapping) -> str:
    fields = NAME_FIELDS.get(model)
    if model == "account.account":
        return " ".join(str(row.get(f) or "") for f in fields).strip()
    if model == "account.journal":
        return f"{row.get('name') or ''} ({row.get('code') or ''})".strip()
    value = row.get("display_name") or row.get("name")
    return str(value) if value else ""


class OdooNames:
    """Record names read from Odoo and kept a while; thread-safe (the page serves requests in threads)."""

    def __init__(self, connection: OdooConnection | None, *, clock: Callable[[], float] = time.monotonic,
                 connect: Callable | None = None):
        self.connection = connection
        self._clock = clock
        self._connect = connect
        self._client = None
        self._names: dict[tuple[str, int], tuple[float, str]] = {}
        self._currency: tuple[float, str] | None = None
        self._failed_at: float | None = None
        self._failure = ""
        self._lock = threading.Lock()

    def _client_now(self):
        if self._client is None:
            connect = self._connect
            if connect is None:
                from ledgerpilot.odoo.connection import connect
            self._client = connect(self.connection)
        return self._client

    def _down(self, now: float) -> bool:
        return self._failed_at is not None and now - self._failed_at < RETRY_SECONDS

    def _fail(self, now: float, exc: Exception) -> None:
        log.warning("approval page: could not read names from Odoo: %s", exc)
        self._failed_at, self._failure = now, str(exc)
        if self._client is not None:
            try:
                self._client.close()
            except Exception as closing:       # noqa: BLE001 -- closing a broken client must not hide the first error
                log.debug("closing the names client failed too: %s", closing)
        self._client = None

    def names(self, wanted: Mapping[str, set[int]]) -> Names:
        """The names of ``wanted`` (model -> ids), from what is kept or one read per model."""
        now = self._clock()
        with self._lock:
            missing = {model: sorted(i for i in ids if self._stale((model, i), now)) for model, ids in wanted.items()}
            missing = {model: ids for model, ids in missing.items() if ids}
            note = None
            if missing and self.connection is not None and not self._down(now):
                try:
                    client = self._client_now()
                    for model, ids in missing.items():
                        fields = list(NAME_FIELDS.get(model, ("display_name",)))
                        for row in client.read(model, ids, fields):
                            self._names[(model, int(row["id"]))] = (now, _text(model, row))
                        for record_id in ids:       # deleted or not readable: remembered as unknown
                            self._names.setdefault((model, record_id), (now, ""))
                    self._failed_at = None
                except (OdooError, LedgerpilotError, OSError) as exc:
                    self._fail(now, exc)
            if missing and (self._down(now) or self.connection is None):
                note = ("Some names could not be read from Odoo, so records are shown by model and id"
                        + (f": {self._failure}" if self._failure and self.connection is not None else "."))
            found = {key: name for key, (_at, name) in self._names.items() if name and key[0] in wanted
                     and key[1] in wanted[key[0]]}
        return Names(found, note=note)

    def _stale(self, key: tuple[str, int], now: float) -> bool:
        """True when ``key`` must be read (not kept, or kept too long)."""
        kept = self._names.get(key)
        return kept is None or now - kept[0] > KEEP_SECONDS

    def currency(self) -> str:
        """The currency of the approver-facing company (the connection user's current company), or ""."""
        now = self._clock()
        with self._lock:
            if self._currency is not None and now - self._currency[0] <= KEEP_SECONDS:
                return self._currency[1]
            if self.connection is None or self._down(now):
                return ""
            try:
                client = self._client_now()
                [user] = client.read("res.users", [client.uid], ["company_id"])
                company = user["company_id"][0] if user.get("company_id") else None
                code = ""
                if company:
                    [row] = client.read("res.company", [company], ["currency_id"])
                    code = row["currency_id"][1] if row.get("currency_id") else ""
                self._currency = (now, str(code))
                return str(code)
            except (OdooError, LedgerpilotError, OSError, ValueError) as exc:
                self._fail(now, exc)
                return ""

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
