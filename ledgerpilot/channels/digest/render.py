"""The digest as an email: HTML with inline CSS (table layout, the chart as a CID image) and a plain-text part.

Mail clients (Outlook, Gmail, Apple Mail) ignore <style> blocks and external images unevenly, so
every style is inline and the chart travels inside the message as a ``multipart/related`` part that
the HTML references by ``cid:``. Narratives go through the same escaping as Discuss answers: Odoo
text cannot add markup or links of its own.
"""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ledgerpilot.channels.digest.build import CHART_CID, Digest
from ledgerpilot.channels.discuss_format import answer_to_html

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), undefined=StrictUndefined,
                   autoescape=select_autoescape(["html.j2"], default_for_string=False, default=False),
                   keep_trailing_newline=True)


def _narratives(digest: Digest) -> list[Markup]:
    return [Markup(answer_to_html(section.text, section.links)) for section in digest.sections]


def digest_html(digest: Digest, *, chart_src: str | None = None) -> str:
    """The HTML body; the chart is ``cid:`` in a mail, or ``chart_src`` (a data URI) in a saved copy."""
    html = _ENV.get_template("digest.html.j2").render(
        d=digest, as_of=digest.as_of.strftime("%d %b %Y"), has_chart=digest.chart_png is not None,
        chart_cid=CHART_CID, narratives=_narratives(digest))
    if chart_src is not None:
        html = html.replace(f'src="cid:{CHART_CID}"', f'src="{chart_src}"')
    return html


def digest_text(digest: Digest) -> str:
    return _ENV.get_template("digest.txt.j2").render(d=digest, as_of=digest.as_of.strftime("%d %b %Y"))


def digest_message(digest: Digest, *, sender: str, recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="ledgerpilot")
    message.set_content(digest_text(digest))
    message.add_alternative(digest_html(digest), subtype="html")
    if digest.chart_png is not None:
        html_part = message.get_payload()[1]
        html_part.add_related(digest.chart_png, maintype="image", subtype="png", cid=f"<{CHART_CID}>",
                              filename="cash-projection.png", disposition="inline")
    return message


def standalone_html(digest: Digest) -> str:
    """A copy that opens in a browser on its own (the chart inlined as a data URI)."""
    src = None
    if digest.chart_png is not None:
        src = "data:image/png;base64," + base64.b64encode(digest.chart_png).decode()
    return digest_html(digest, chart_src=src)
