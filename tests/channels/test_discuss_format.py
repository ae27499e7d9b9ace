"""Answers as Discuss HTML against hostile text: only the tags the renderer writes, links only to citations.

The HTML is read back with the standard library's parser (not with markdown-it, which wrote it): every
element and attribute in it is listed and checked against what an answer may contain.
"""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerpilot.channels.discuss_format import answer_to_html, html_to_text
from ledgerpilot.tools.agent.toolkit import Citation

CITED_URL = "http://odoo.example/web#id=7&model=account.move"
CITED = Citation(model="account.move", id=7, name="INV/2026/00007", url=CITED_URL)
TAGS = {"p", "br", "ul", "li", "b", "em", "code", "a"}


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(body: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(body)
    parser.close()
    return parser.elements


def assert_safe(body: str) -> None:
    for tag, attrs in elements(body):
        assert tag in TAGS, (tag, body)
        if tag == "a":
            assert attrs == {"href": CITED_URL, "target": "_blank", "rel": "noopener"}, (attrs, body)
        else:
            assert attrs == {}, (tag, attrs, body)


def test_javascript_and_other_schemes_never_become_links_even_when_cited():
    hostile = [Citation(model="res.partner", id=n, name="x", url=url) for n, url in enumerate(
        ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
         "vbscript:msgbox(1)", "file:///etc/passwd"))]
    text = ("[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](data:text/html,<script>alert(1)</script>) "
            "[d](vbscript:msgbox(1)) [e](file:///etc/passwd) [f](java\tscript:alert(1)) [g](  javascript:alert(1))")
    body = answer_to_html(text, hostile)
    assert "<a" not in body and "<script" not in body
    assert "[a](javascript:alert(1))" in body           # shown as written, escaped
    assert_safe(body)


def test_a_link_is_kept_only_for_a_cited_url_and_is_shown_as_written_otherwise():
    body = answer_to_html(f'[INV/2026/00007]({CITED_URL}) [evil **bold**](http://evil.example "a title")', [CITED])
    assert body.count("<a ") == 1 and 'href="http://odoo.example/web#id=7&amp;model=account.move"' in body
    assert "[evil **bold**](http://evil.example &quot;a title&quot;)" in body   # verbatim, nothing rendered in it
    assert "title" not in body.split("</a>")[0]                     # a title is not carried into the link
    assert_safe(body)


def test_a_cited_url_with_a_title_or_in_angle_brackets_is_still_a_plain_link():
    body = answer_to_html(f'[x]({CITED_URL} "onmouseover=alert(1)") and [y](<{CITED_URL}>)', [CITED])
    assert body.count("<a ") == 2 and "onmouseover" not in body
    assert_safe(body)


def test_images_autolinks_and_raw_html_stay_text():
    text = (f"![pixel]({CITED_URL}) ![x](http://tracker.example/p.gif) <http://evil.example> <b onclick=x>hi</b> "
            "<script>alert(1)</script> <!-- c --> <a href='http://evil.example'>z</a> &lt;i&gt; &copy;")
    body = answer_to_html(text, [CITED])
    assert "<img" not in body and "tracker.example/p.gif)" in body
    assert "&lt;http://evil.example&gt;" in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;b onclick=x&gt;hi&lt;/b&gt;" in body and "&lt;!-- c --&gt;" in body
    assert "&amp;lt;i&amp;gt; &amp;copy;" in body                    # entities are text too, shown as written
    assert_safe(body)


def test_nested_and_unbalanced_emphasis():
    body = answer_to_html("***all*** *a **b** c* **open `co**de` x_y_z 2 * 3 * 4 **", [CITED])
    assert "<em><b>all</b></em>" in body and "<em>a <b>b</b> c</em>" in body
    assert "<code>co**de</code>" in body and "x_y_z" in body and "2 * 3 * 4" in body
    assert_safe(body)
    deep = answer_to_html("*" * 300 + "x" + "*" * 300 + " [" * 500 + "]" * 500)
    assert_safe(deep)
    assert html_to_text(deep).count("x") == 1


def test_odoo_text_escaped_for_a_link_label_reads_as_written():
    planted = 'Acme <script>alert("x")</script> & [Sons] *x* _y_'
    label = "".join("\\" + ch if ch in "\\[]*_`<>" else ch for ch in planted)   # as formatting.link_text escapes
    body = answer_to_html(f"Sources: [{label}]({CITED_URL})", [CITED])
    assert body.count("<a ") == 1 and html_to_text(body) == f"Sources: {planted}"
    assert_safe(body)


def test_blocks_are_read_line_by_line_as_before():
    body = answer_to_html("# not a heading\n    not code\n> not a quote\n1. not a list\n\n- one\n* two\n• three\n\nend")
    assert body == ("<p># not a heading<br>not code<br>&gt; not a quote<br>1. not a list</p>"
                    "<ul><li>one</li><li>two</li><li>three</li></ul><p>end</p>")


pieces = st.sampled_from([
    "[", "]", "(", ")", "*", "**", "_", "`", "!", "<", ">", "&", '"', "'", "\\", " ", "\n", "- ", "#",
    "javascript:alert(1)", "http://evil.example", CITED_URL, "<script>", "<img src=x onerror=y>", "<a href=x>",
    "&lt;", "&#106;avascript:", "data:text/html,x", " onmouseover=x ", "text", "1,200.00 EUR"])


@settings(max_examples=200, deadline=None)
@given(st.lists(pieces, max_size=40).map("".join))
def test_any_text_gives_only_safe_html(text):
    assert_safe(answer_to_html(text, [CITED, Citation(model="x", id=1, name="x", url="javascript:alert(1)")]))
