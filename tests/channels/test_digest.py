"""The weekly digest on the sandbox: built offline, received by a real SMTP server, posted to Discuss."""

from __future__ import annotations

import email
import json
import threading
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from ledgerpilot.agent.agent import open_agent
from ledgerpilot.channels.digest.delivery import DigestDeliveryError, send
from ledgerpilot.channels.digest.render import digest_message
from ledgerpilot.channels.digest.run import make_digest
from ledgerpilot.config import Settings
from ledgerpilot.odoo import connect
from ledgerpilot.sandbox.demo import demo_connection
from tests.channels.conftest import odoo_env_for, run_cli
from tests.channels.web.conftest import free_port
from tests.conftest import DEMO_TODAY


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        self.received.set()
        return "250 OK"


@pytest.fixture()
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def _settings(home, **values) -> Settings:
    return Settings(home=home, web_public_url="https://ledgerpilot.example.com", **values)


@pytest.fixture(scope="module")
def built(sandbox, tmp_path_factory):
    """One offline digest of the demo company (saved, not sent), shared by the delivery tests."""
    folder = tmp_path_factory.mktemp("digest")
    settings = _settings(folder / "home")
    with connect(demo_connection(sandbox.url, "admin"), cache_dir=folder / "cache") as client, \
            open_agent(client, settings, today=DEMO_TODAY) as agent:
        return make_digest(agent, settings, out=folder / "out")


def test_the_digest_is_grounded_and_saved_with_its_chart(built):
    digest = built.digest
    assert [s.key for s in digest.sections] == ["cash", "budget", "close", "anomalies", "proposals"]
    assert all(s.source == "template" and s.grounding.ok and not s.errors for s in digest.sections)
    assert digest.grounding_share == 1.0 and digest.chart_png.startswith(b"\x89PNG")
    assert all(s.figures and s.links for s in digest.sections if s.key != "proposals")
    assert built.saved.html.read_text().count("data:image/png;base64,") == 1
    assert email.message_from_bytes(built.saved.eml.read_bytes())["Subject"] == digest.subject
    assert built.sent_to == [] and built.problems == []


def test_the_digest_reaches_an_smtp_server_with_its_chart(built, smtp_server, tmp_path):
    controller, inbox = smtp_server
    settings = _settings(tmp_path / "home", smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none",
                         digest_from="finance-bot@example.com")
    digest = built.digest
    send(digest_message(digest, sender=settings.digest.sender, recipients=["cfo@example.com", "ceo@example.com"]),
         settings, ["cfo@example.com", "ceo@example.com"])
    assert inbox.received.wait(10)
    [(recipients, message)] = inbox.messages
    assert recipients == ["cfo@example.com", "ceo@example.com"]
    assert message["Subject"] == digest.subject and message["From"] == "finance-bot@example.com"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "== Cash outlook ==" in text and "https://ledgerpilot.example.com/proposals" in text
    assert 'src="cid:cash-chart"' in html and "<style" not in html
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<cash-chart>" and image.get_content() == digest.chart_png
    cash = digest.sections[0]
    assert cash.figures[0][0] == "Cash today" and cash.figures[0][1] in html


def test_a_failed_send_says_why(built, smtp_server, tmp_path):
    controller, inbox = smtp_server
    message = digest_message(built.digest, sender="a@example.com", recipients=["cfo@example.com"])
    unreachable = _settings(tmp_path, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none",
                            smtp_timeout=5)
    with pytest.raises(DigestDeliveryError, match="cannot reach the SMTP server 127.0.0.1"):
        send(message, unreachable, ["cfo@example.com"])
    starttls = _settings(tmp_path, smtp_host="127.0.0.1", smtp_port=controller.port)     # STARTTLS by default
    with pytest.raises(DigestDeliveryError, match="does not offer STARTTLS"):
        send(message, starttls, ["cfo@example.com"])
    with pytest.raises(DigestDeliveryError, match="no recipient"):
        send(message, starttls, [])
    with pytest.raises(DigestDeliveryError, match="LEDGERPILOT_SMTP_HOST"):
        send(message, _settings(tmp_path), ["cfo@example.com"])
    assert inbox.messages == []


@pytest.mark.slow
def test_the_cli_saves_the_digest_and_posts_it_to_discuss(fresh_sandbox, tmp_path):
    env = odoo_env_for(fresh_sandbox, tmp_path / "home")
    env["LEDGERPILOT_TODAY"] = DEMO_TODAY.isoformat()
    done = run_cli("digest", "--json", "--today", DEMO_TODAY.isoformat(), "--out", str(tmp_path / "d.html"),
                   "--post-to", "finance", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["saved_html"] == str(tmp_path / "d.html") and (tmp_path / "d.eml").exists()
    assert result["grounding_share"] == 1.0 and result["problems"] == []
    with connect(demo_connection(fresh_sandbox.url, "readonly")) as reader:
        [posted] = reader.read("mail.message", [result["posted_message_id"]], ["body", "model"])
    assert posted["model"] == "discuss.channel" and "Cash outlook" in posted["body"]
    assert "cid:" not in posted["body"].replace('data-src="cid:', "")


def test_the_gateway_cache_changes_no_figure_of_the_digest(sandbox, tmp_path):
    """The digest read through the gateway's cache (empty, then the one the first run left) says what the
    digest read with no cache at all says, section by section: figures, narratives and links."""

    def digest(name: str, cache):
        settings = _settings(tmp_path / name)
        with connect(demo_connection(sandbox.url, "admin"), cache_dir=cache) as client, \
                open_agent(client, settings, today=DEMO_TODAY) as agent:
            made = make_digest(agent, settings, out=tmp_path / name / "out").digest
        return [(s.key, s.figures, s.text, s.links, s.errors) for s in made.sections], made.chart_png

    truth, truth_chart = digest("plain", None)
    cold, cold_chart = digest("cold", tmp_path / "cache")
    warm, warm_chart = digest("warm", tmp_path / "cache")
    assert cold == truth and warm == truth
    assert cold_chart == truth_chart == warm_chart
    assert any(path.name.endswith(".parquet") for path in (tmp_path / "cache" / "extracts").iterdir())
