"""Structured logs for ``serve``: one JSON object per line on stderr (time, level, logger, message and
the record's extra fields), ready for journald, Loki or any log shipper.

The path of Odoo's own webhook carries its secret (``/webhooks/odoo/<secret>``): whatever logs a request
line (uvicorn's access log, when someone turns it on) gets it with the secret replaced by ``<secret>``.
"""

from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

_SECRET_IN_PATH = re.compile(r"(/webhooks/odoo/)[^/?#\s\"]+")


def redact_webhook_secrets(text: str) -> str:
    """``text`` with the secret segment of every ``/webhooks/odoo/<secret>`` path replaced by ``<secret>``."""
    return _SECRET_IN_PATH.sub(r"\1<secret>", text)


class RedactWebhookSecrets(logging.Filter):
    """Rewrites a record's message and string arguments so no webhook secret from a URL reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_webhook_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_webhook_secrets(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact_webhook_secrets(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def configure_json_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                       rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                                       timestamp=False))
    handler.addFilter(RedactWebhookSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "chromadb", "apscheduler.executors.default", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
