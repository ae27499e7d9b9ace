"""Text between the agent and a Discuss channel: an answer as safe HTML, a message's HTML as plain text.

Answers are Markdown-ish plain text (paragraphs, ``- `` bullets, ``**bold**``, ``[name](url)``
source links). Everything in them is escaped with :func:`html.escape` first -- partner names and
labels come from Odoo and may contain ``<script>`` or anything else -- and only then are line breaks,
bullets and bold turned into tags. A link becomes an ``<a>`` only when its URL is one of the
answer's citations and uses http(s); any other ``[text](url)`` stays visible as escaped text, so
neither the model nor planted Odoo text can put a link of its own into the channel.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from html.parser import HTMLParser

_LINK = re.compile(r"\[([^\[\]\n]+)\]\(([^()\s]+)\)")
_BOLD = re.compile(r"\*\*([^*\n]+)\*\*")
_BULLET = re.compile(r"^\s*[-*\u2022]\s+")


def safe_link_urls(citations: Iterable) -> set[str]:
    """The citation URLs that may become links: http(s) only."""
    urls = set()
    for citation in citations:
        url = str(getattr(citation, "url", "") or "")
        if url.startswith(("http://", "https://")):
            urls.add(url)
    return urls


def _inline(line: str, allowed: set[str]) -> str:
    """One line of text -> escaped HTML with bold and the allowed links."""
    pieces, last = [], 0
    for match in _LINK.finditer(line):
        pieces.append(_escape_bold(line[last:match.start()]))
        label, url = match.group(1), match.group(2)
        if url in allowed:
            pieces.append(f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">'
                          f"{_escape_bold(label)}</a>")
        else:
            pieces.append(_escape_bold(match.group(0)))
        last = match.end()
    pieces.append(_escape_bold(line[last:]))
    return "".join(pieces)


def _escape_bold(text: str) -> str:
    escaped = html.escape(text, quote=True)
    return _BOLD.sub(lambda m: f"<b>{m.group(1)}</b>", escaped)


def answer_to_html(text: str, citations: Iterable = ()) -> str:
    """The answer as HTML for ``message_post``: paragraphs, ``<br>`` line breaks, ``<ul>`` bullets,
    bold, and links only to the cited records."""
    allowed = safe_link_urls(citations)
    blocks: list[str] = []
    paragraph: list[str] = []
    bullets: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()

    def flush_bullets() -> None:
        if bullets:
            blocks.append("<ul>" + "".join(f"<li>{item}</li>" for item in bullets) + "</ul>")
            bullets.clear()

    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        if not raw.strip():
            flush_paragraph()
            flush_bullets()
            continue
        if _BULLET.match(raw):
            flush_paragraph()
            bullets.append(_inline(_BULLET.sub("", raw, count=1).rstrip(), allowed))
        else:
            flush_bullets()
            paragraph.append(_inline(raw.strip(), allowed))
    flush_paragraph()
    flush_bullets()
    return "".join(blocks)


def polite_error_html(reason: str) -> str:
    """The reply when a question could not be answered: say so, with the reason, rather than stay silent."""
    return ("<p>I could not answer that just now: " + html.escape(reason.strip() or "an unexpected error", quote=True)
            + "</p><p>Please try again in a moment; if it keeps failing, an administrator can look at the "
            "ledgerpilot log.</p>")


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML body; block ends and ``<br>`` become line breaks."""

    _BREAKS = frozenset({"p", "div", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})
    _SKIP = frozenset({"script", "style"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")

    def handle_startendtag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def html_to_text(body: str | bool | None) -> str:
    """A ``mail.message`` body (HTML, or False when empty) as plain text, whitespace tidied."""
    if not body:
        return ""
    parser = _TextExtractor()
    parser.feed(str(body))
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).strip()
