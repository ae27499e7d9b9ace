"""The approval page in real headless Chromium, in front of the sandbox over HTTP.

Demo users (password = login): controller is an accounting manager; clerk has Billing only; admin is
the agent's own login here, so it may never approve.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from ledgerpilot.domain.proposal import Proposal
from ledgerpilot.odoo import connect
from tests.channels.web.conftest import entry_proposal


def sign_in(page, url: str, login: str, password: str) -> None:
    page.goto(url + "/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_a_controller_signs_in_approves_and_the_entry_appears_in_odoo(approval_page, page):
    served, store, audit, odoo = approval_page
    proposal = store.add(entry_proposal(ref="Accrual October web")).proposal
    sign_in(page, served.url, "controller", "controller")
    assert page.url == served.url + "/proposals"
    assert "Approval queue" in page.inner_text("h1")
    page.click(f"a[href='/proposals/{proposal.id}']")
    assert page.inner_text("h1") == "Accrue Accrual October web"
    assert "Goods received in October" in page.content()
    assert page.is_checked("#approve-post")                     # an accrual: approve and post, unless unticked
    page.fill("#approve-comment", "checked the receipts")
    page.click("#approve")
    assert "Approved and written to Odoo." in page.inner_text("[role=status]")
    assert page.inner_text("#state") == "applied"
    assert "controller" not in page.url and "password" not in page.url

    client = connect(odoo)
    try:
        moves = client.search_read("account.move", [("ref", "=like", "Accrual October web%")], ["state", "line_ids"])
        notes = client.search_read("mail.message", [("model", "=", "account.move"), ("res_id", "=", moves[0]["id"]),
                                                    ("body", "ilike", "Approved in ledgerpilot")], ["body"])
    finally:
        client.close()
    assert len(moves) == 1 and moves[0]["state"] == "posted" and len(moves[0]["line_ids"]) == 2
    [note] = notes
    assert "Approved in ledgerpilot by controller" in note["body"] and proposal.id in note["body"]
    assert "checked the receipts" in note["body"] and "to be posted" in note["body"]
    assert store.decision(proposal.id).login == "controller" and store.decision(proposal.id).post is True
    assert store.decision(proposal.id).note == "checked the receipts"
    assert [e.actor for e in audit.entries(action="sign_in")] == ["controller"]


@pytest.mark.parametrize(("kind", "ticked", "untick", "state"), [
    ("accrual", True, True, "draft"),            # the approver chose a draft
    ("reversal", True, False, "posted"),
    ("adjusting_entry", False, False, "draft"),  # other entries: drafts unless the approver ticks the box
])
def test_the_approver_chooses_whether_the_entry_is_posted(approval_page, page, kind, ticked, untick, state):
    served, store, _audit, odoo = approval_page
    ref = f"Post choice {kind}"
    made = Proposal.model_validate({**entry_proposal(ref=ref).model_dump(), "kind": kind, "idempotency_key": ""})
    proposal = store.add(made).proposal
    sign_in(page, served.url, "controller", "controller")
    page.goto(f"{served.url}/proposals/{proposal.id}")
    assert page.is_checked("#approve-post") is ticked
    if untick:
        page.uncheck("#approve-post")
    page.click("#approve")
    assert page.inner_text("#state") == "applied"
    client = connect(odoo)
    try:
        [move] = client.search_read("account.move", [("ref", "=like", f"{ref}%")], ["state"])
    finally:
        client.close()
    assert move["state"] == state and store.decision(proposal.id).post is (state == "posted")


@pytest.mark.parametrize(("login", "password", "status", "words"), [
    ("controller", "wrong", 401, "Odoo refused this login and password"),
    ("clerk", "clerk", 403, "not in any group that approves proposals"),
    ("admin", "admin", 403, "login ledgerpilot itself uses"),
])
def test_sign_in_is_refused(approval_page, page, login, password, status, words):
    served, _store, audit, _odoo = approval_page
    page.goto(served.url + "/login")
    page.fill("#login", login)
    page.fill("#password", password)
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as answer:
        page.click("button[type=submit]")
    assert answer.value.status == status
    assert words in page.inner_text("[role=alert]")
    page.goto(served.url + "/proposals")
    assert page.url == served.url + "/login"          # no session was opened
    assert audit.entries(action="sign_in_refused")[-1].actor == login


@contextmanager
def _signed_in_http(served) -> Iterator[httpx.Client]:
    """An HTTP client (not a browser) signed in as the controller, to send forms a browser would not."""
    with httpx.Client(base_url=served.url, follow_redirects=False, timeout=30) as http:
        form = http.get("/login")
        csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
        signed = http.post("/login", data={"login": "controller", "password": "controller", "csrf": csrf})
        assert signed.status_code == 303 and signed.headers["location"] == "/proposals"
        yield http


def test_forms_need_the_session_csrf_token(approval_page):
    served, store, _audit, _odoo = approval_page
    proposal = store.add(entry_proposal(ref="csrf check")).proposal
    with _signed_in_http(served) as http:
        forged = http.post(f"/proposals/{proposal.id}/approve", data={"csrf": "not-the-token"})
        assert forged.status_code == 403 and "Form expired" in forged.text
        missing = http.post(f"/proposals/{proposal.id}/reject", data={"comment": "no"})
        assert missing.status_code == 403
    assert store.get(proposal.id).state == "proposed"
    anonymous = httpx.post(served.url + f"/proposals/{proposal.id}/approve", data={"csrf": "x"})
    assert anonymous.status_code == 401 and "Signed out" in anonymous.text
    login_forged = httpx.post(served.url + "/login", data={"login": "controller", "password": "controller",
                                                           "csrf": "guess"})
    assert login_forged.status_code == 403 and "expired" in login_forged.text


def test_rules_of_the_command_line_apply(approval_page, page):
    served, store, _audit, _odoo = approval_page
    own = store.add(entry_proposal(ref="proposed by the controller", created_by="controller")).proposal
    sign_in(page, served.url, "controller", "controller")
    page.goto(f"{served.url}/proposals/{own.id}")
    page.click("#approve")
    assert "Not approved" in page.inner_text("h1")
    assert "cannot also approve it" in page.inner_text("[role=alert]")
    assert store.get(own.id).state == "proposed"

    other = store.add(entry_proposal(ref="to reject")).proposal
    page.goto(f"{served.url}/proposals/{other.id}")
    page.fill("#reject-comment", "duplicate of last month's accrual")
    page.click("#reject")
    assert "Rejected." in page.inner_text("[role=status]")
    assert store.get(other.id).state == "rejected"
    assert store.decision(other.id).note == "duplicate of last month's accrual"


def test_error_pages_and_escaping(approval_page, page):
    served, store, _audit, _odoo = approval_page
    hostile = store.add(entry_proposal(ref="<script>alert('x')</script>")).proposal
    sign_in(page, served.url, "controller", "controller")
    answer = page.goto(f"{served.url}/proposals/{'0' * 32}")
    assert answer.status == 404 and "No such proposal" in page.inner_text("h1")
    answer = page.goto(f"{served.url}/nowhere")
    assert answer.status == 404
    page.goto(f"{served.url}/proposals/{hostile.id}")
    assert page.inner_text("h1") == "Accrue <script>alert('x')</script>"
    assert "<script>alert" not in page.content().split("<main>")[1].replace("&lt;script&gt;", "")
    with _signed_in_http(served) as http:
        form = http.get(f"/proposals/{hostile.id}")
        csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
        empty = http.post(f"/proposals/{hostile.id}/reject", data={"csrf": csrf, "comment": "  "})
        assert empty.status_code == 400 and "needs a comment" in empty.text
        assert form.headers["content-security-policy"].startswith("default-src 'none'")
        assert form.headers["x-frame-options"] == "DENY"
