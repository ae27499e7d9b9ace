"""Text between the agent and a Discuss channel: an answer as safe HTML, a message's HTML as plain text.

Answers are Markdown (paragraphs, ``- `` bullets, ``**bold**``, ``*emphasis*``, ```code```, ``[name](url)``
source links). The blocks are read line by line -- a blank line ends a paragraph, a line starting with
``-``, ``*`` or ``•`` is a bullet, other lines break with ``<br>`` -- and each line's inline Markdown is
rendered by markdown-it-py with raw HTML, images, autolinks and entities switched off: partner names and
labels come from Odoo and may contain ``<script>`` or anything else, and all text is escaped with
:func:`html.escape`. A link becomes an ``<a>`` only when its URL is one of the answer's citations and uses
http(s); any other ``[text](url)`` stays visible as escaped text, exactly as written, so neither the model
nor planted Odoo text can put a link (or an image, a tracking pixel) of its own into the channel.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.link import link as _markdown_link

_BULLET = re.compile(r"^\s*[-*\u2022]\s+")


def safe_link_urls(citations: Iterable) -> set[str]:
    """The citation URLs that may become links: http(s) only."""
    urls = set()
    for citation in citations:
        url = str(getattr(citation, "url", "") or "")
        if url.startswith(("http://", "https://")):
            urls.add(url)
    return urls


def _cited_link(state: StateInline, silent: bool) -> bool:
    """markdown-it's link rule, keeping a link only when its URL is in ``env["allowed"]``: any other link
    is put back as the text it was written as (escaped when rendered)."""
    if silent:
        return _markdown_link(state, silent)
    if state.pending:
        state.pushPending()
    start, tokens, metas = state.pos, len(state.tokens), len(state.tokens_meta)
    if not _markdown_link(state, silent):
        return False
    if state.tokens[tokens].attrGet("href") in state.env["allowed"]:
        return True
    del state.tokens[tokens:], state.tokens_meta[metas:]       # the label's tokens and their delimiters
    state.push("text", "", 0).content = state.src[start:state.pos]
    return True


def _escaped(self: Any, tokens: list, index: int, options: Any, env: Any) -> str:
    return html.escape(tokens[index].content, quote=True)


def _code(self: Any, tokens: list, index: int, options: Any, env: Any) -> str:
    return f"<code>{html.escape(tokens[index].content, quote=True)}</code>"


def _link_open(self: Any, tokens: list, index: int, options: Any, env: Any) -> str:
    href = html.escape(tokens[index].attrGet("href") or "", quote=True)
    return f'<a href="{href}" target="_blank" rel="noopener">'


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image", "autolink", "html_inline", "entity"])
    md.inline.ruler.at("link", _cited_link)
    md.add_render_rule("text", _escaped)
    md.add_render_rule("code_inline", _code)
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("strong_open", lambda *_: "<b>")
    md.add_render_rule("strong_close", lambda *_: "</b>")
    return md


_MARKDOWN = _markdown()


def _inline(line: str, allowed: set[str]) -> str:
    """One line of Markdown -> escaped HTML with bold, emphasis, code and the allowed links."""
    return _MARKDOWN.renderInline(line, {"allowed": {_MARKDOWN.normalizeLink(url) for url in allowed}})


def answer_to_html(text: str, citations: Iterable = ()) -> str:
    """The answer as HTML for ``message_post``: paragraphs, ``<br>`` line breaks, ``<ul>`` bullets,
    bold, emphasis, code, and links only to the cited records."""
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
