"""Links that open an Odoo record in the web client, for answers, reports, the digest and the approval page."""

from __future__ import annotations

from urllib.parse import urlencode


def record_url(odoo_url: str, model: str, record_id: int) -> str:
    """The record's form view in Odoo's web client (the ``/web#`` form every Odoo since 8 still opens), or ""
    when the server address is unknown."""
    base = (odoo_url or "").rstrip("/")
    if not base:
        return ""
    return f"{base}/web#{urlencode({'id': int(record_id), 'model': model, 'view_type': 'form'})}"
