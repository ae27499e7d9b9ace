"""The Discuss bot on a writable sandbox: people post in #finance over RPC, the bot answers in the channel."""

from __future__ import annotations

import html

import pytest

from ledgerpilot.agent.agent import open_agent
from ledgerpilot.channels.discuss import DiscussBot, DiscussError
from ledgerpilot.channels.discuss_format import answer_to_html, html_to_text, polite_error_html
from ledgerpilot.config import OdooConnection, load_settings
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.discuss_cursors import DiscussCursors
from ledgerpilot.memory.state import StateDB
from ledgerpilot.odoo import connect
from ledgerpilot.odoo.retry import NO_RETRY
from ledgerpilot.sandbox.demo import demo_connection
from ledgerpilot.tools.agent.toolkit import Citation, ToolContext, run_tool
from tests.conftest import DEMO_TODAY

ODOOBOT_PARTNER = 2   # the partner of base.user_root (__system__), as in Odoo
PLANTED_NAME = 'Acme <script>alert("x")</script> & Sons'


@pytest.fixture()
def books(fresh_sandbox, tmp_path):
    """Clients of the people in the channel and of the bot, the #finance channel id, a home folder."""
    clients = {login: connect(demo_connection(fresh_sandbox.url, login)) for login in ("admin", "clerk", "controller")}
    finance = clients["admin"].search_read("discuss.channel", [("name", "=", "finance")], ["id"])[0]["id"]
    yield {"clients": clients, "channel": finance, "home": tmp_path / "home", "sandbox": fresh_sandbox}
    for client in clients.values():
        client.close()


def _post(client, channel_id: int, text: str, **extra) -> int:
    return client.call("discuss.channel", "message_post", [channel_id], body=text, message_type="comment",
                       subtype_xmlid="mail.mt_comment", **extra)


def _bot_messages(client, channel_id: int, partner_id: int) -> list[dict]:
    return client.search_read("mail.message", [("model", "=", "discuss.channel"), ("res_id", "=", channel_id),
                                               ("author_id", "=", partner_id)], ["id", "body"], order="id asc")


def _bot(books, agent, **kwargs) -> DiscussBot:
    db = StateDB.in_home(books["home"])
    return DiscussBot(books["clients"]["admin"], agent, channel_name="finance", cursor_store=DiscussCursors(db),
                      poll_seconds=0.1, **kwargs)


def _agent(books, client=None):
    settings = load_settings(home=books["home"])
    audit = AuditLog.in_home(books["home"])
    return open_agent(client or books["clients"]["admin"], settings, today=DEMO_TODAY, audit=audit, offline=True)


def test_answers_new_human_messages_in_order_escaped_and_never_bots_or_history(books):
    admin, clerk, controller = (books["clients"][k] for k in ("admin", "clerk", "controller"))
    channel = books["channel"]
    _post(clerk, channel, "What is our cash position? (posted before the bot started)")
    # a customer whose name is HTML: it must reach the channel as text, never as markup
    top = run_tool(ToolContext(client=admin, settings=load_settings(home=books["home"]), today=DEMO_TODAY),
                   "receivables_ageing", {"top": 1})
    assert top.ok, top.error
    partner = next(c for c in top.citations if c.model == "res.partner")
    admin.write("res.partner", [partner.id], {"name": PLANTED_NAME})

    with _agent(books) as agent:
        bot = _bot(books, agent)
        assert bot.cursor > 0, "the first start begins after the newest existing message"
        own = bot.own_partner_id
        first = _post(clerk, channel, "What is our cash position?")
        _post(admin, channel, "I am OdooBot: what is our cash position?", author_id=ODOOBOT_PARTNER)
        second = _post(controller, channel, "Which customers owe us the most, what is overdue?")
        third = _post(clerk, channel, "And what do we owe our vendors?")
        result = bot.poll_once()

    actions = {h.message_id: h.action for h in result.handled}
    assert [h.message_id for h in result.answered] == [first, second, third]
    assert all(actions[m] == "answered" for m in (first, second, third))
    assert [h.reason for h in result.handled if h.action == "skipped"] == [
        "not an active internal user (a bot, guest or portal user)"]
    replies = _bot_messages(admin, channel, own)
    assert [r["id"] for r in replies] == [h.reply_id for h in result.answered], "one reply each, in order"
    texts = [html_to_text(r["body"]) for r in replies]
    cash = run_tool(ToolContext(client=admin, settings=load_settings(home=books["home"]), today=DEMO_TODAY),
                    "cash_position")
    from ledgerpilot.agent.grounding import mentions_value
    assert mentions_value(texts[0], cash.data["total"]), texts[0]
    assert "receivable" in texts[1].lower() or "owe" in texts[1].lower()
    assert "<script>" not in replies[1]["body"] and html.escape("<script>") in replies[1]["body"]
    assert PLANTED_NAME in texts[1], "the name is shown as text, exactly"
    assert "<a href=\"http://" in replies[0]["body"], "sources link to the records"
    assert bot.cursor == third

    # the bot's own replies are comments in the channel too: the next poll skips them all
    with _agent(books) as agent:
        again = _bot(books, agent).poll_once()
    assert {h.action for h in again.handled} <= {"skipped"}
    assert len(_bot_messages(admin, channel, own)) == len(replies)


def test_restart_does_not_answer_twice_and_remembers_the_thread(books):
    clerk, admin = books["clients"]["clerk"], books["clients"]["admin"]
    channel = books["channel"]
    with _agent(books) as agent:
        bot = _bot(books, agent)
        _post(clerk, channel, "Which customers owe us the most?")
        assert len(bot.poll_once().answered) == 1
        thread = bot.thread_id
    with _agent(books) as agent:                       # a new process: new objects, same home
        restarted = _bot(books, agent)
        assert restarted.thread_id == thread
        assert restarted.poll_once().answered == []
        assert [t["question"] for t in agent.history(thread)] == ["Which customers owe us the most?"]
        _post(clerk, channel, "and payables?")
        follow = restarted.poll_once()
    assert len(follow.answered) == 1
    replies = _bot_messages(admin, channel, restarted.own_partner_id)
    assert len(replies) == 2
    assert "payable" in html_to_text(replies[-1]["body"]).lower() or "vendor" in html_to_text(replies[-1]["body"]).lower()


def test_an_error_while_answering_gets_a_polite_reply_and_the_cursor_moves_on(books):
    """The agent reads Odoo over XML-RPC, which starts failing (503 on every call); the bot posts over
    JSON-RPC, which works: the question is answered with an apology, not silence, and not retried forever."""
    sandbox = books["sandbox"]
    conn = demo_connection(sandbox.url, "admin")
    failing = connect(OdooConnection(**{**conn.model_dump(), "transport": "xmlrpc"}), retry=NO_RETRY)
    try:
        with _agent(books, client=failing) as agent:
            bot = _bot(books, agent)
            sandbox.faults.update(error_rate=1.0, error_statuses=(503,), scope=("/xmlrpc",))
            try:
                asked = _post(books["clients"]["clerk"], books["channel"], "What is our cash position?")
                result = bot.poll_once()
            finally:
                sandbox.faults.reset()
    finally:
        failing.close()
    (handled,) = result.handled
    assert handled.message_id == asked and handled.action in ("answered", "apologised")
    reply = books["clients"]["admin"].read("mail.message", [handled.reply_id], ["body"])[0]
    assert "could not" in html_to_text(reply["body"]).lower()
    assert bot.cursor == asked


def test_an_unknown_channel_is_a_clear_error(books):
    with _agent(books) as agent, pytest.raises(DiscussError, match=r"no Discuss channel named 'treasury'.*'finance'"):
        DiscussBot(books["clients"]["admin"], agent, channel_name="treasury",
                   cursor_store=DiscussCursors(StateDB.in_home(books["home"])))


def test_answer_html_escapes_everything_and_links_only_cited_records():
    cited = Citation(model="account.move", id=7, name="INV/2026/00007", url="http://odoo.example/web#id=7")
    text = ("Cash is **1,200.00 EUR** <img src=x onerror=alert(1)>.\n"
            "- top: Acme & Co\n- second: [evil](http://evil.example)\n\n"
            "Sources: [INV/2026/00007](http://odoo.example/web#id=7), [x](javascript:alert(1))")
    body = answer_to_html(text, [cited, Citation(model="res.partner", id=1, name="x", url="javascript:alert(1)")])
    assert "<img" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<b>1,200.00 EUR</b>" in body
    assert "<ul><li>top: Acme &amp; Co</li><li>second: [evil](http://evil.example)</li></ul>" in body
    assert body.count("<a ") == 1 and 'href="http://odoo.example/web#id=7"' in body
    assert "javascript:" not in body.split("<a ")[1].split(">")[0]
    assert polite_error_html("Odoo <down>").startswith("<p>I could not answer that just now: Odoo &lt;down&gt;")


def test_html_to_text_reads_what_people_post():
    assert html_to_text("<p>What is our <b>cash</b>?<br>And&nbsp;overdue &amp; late?</p>") == \
        "What is our cash?\nAnd overdue & late?"
    assert html_to_text("<ul><li>one</li><li>two</li></ul><script>x()</script>") == "- one\n- two"
    assert html_to_text(False) == "" and html_to_text("<p></p>") == ""


def test_cursor_never_moves_backwards(tmp_path):
    cursors = DiscussCursors(StateDB.in_home(tmp_path))
    assert cursors.get("c") is None
    assert cursors.advance("c", 10) == 10
    assert cursors.advance("c", 4) == 10
    assert cursors.advance("c", 12) == 12 and cursors.get("c") == 12

