"""Text for Odoo's chatter (notes, activity descriptions): plain paragraphs as escaped HTML, so names
and labels that come from Odoo can never add markup of their own."""

from __future__ import annotations

import html
from collections.abc import Sequence


def paragraphs_html(paragraphs: Sequence[str]) -> str:
    """Each non-empty paragraph escaped in its own ``<p>``."""
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)
