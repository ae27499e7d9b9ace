"""Threats on deciding several proposals at once: the parts of one finding, and batches of items on the page.

- Two controllers approve the same two-part item at the same moment (Odoo slow): one decision is kept for
  both parts -- never one part each -- the other gets 409, and each part is written to Odoo once.
- Two overlapping batches at once: every item is decided once and written once; the losing batch answers
  409 and lists what someone else decided first, having decided the rest.
- A batch is a form like any other: without the session's CSRF token, or signed out, nothing is decided.
- Segregation of duties holds item by item inside a batch: the item its approver asked for is refused (403,
  audited), the others are decided.
"""

from __future__ import annotations

import threading

import httpx
import pytest

from ledgerpilot.channels.web.approval_app import ApprovalPageConfig, create_approval_app
from ledgerpilot.domain.proposal import OdooCall, Proposal
from tests.channels.web.conftest import ServedApp
from tests.security.conftest import activity, connection, entry, note, records_in_odoo

LATENCY_MS = 300


@pytest.fixture()
def page(fresh_sandbox, state):
    _home, store, audit = state
    odoo = connection(fresh_sandbox)
    config = ApprovalPageConfig(odoo=odoo, write_connection=odoo, agent_logins={"admin"}, approval_groups={})
    served = ServedApp(create_approval_app(config, store, audit)).start()
    yield served, store, audit
    served.stop()


def _session(served, login: str = "controller") -> tuple[httpx.Client, str]:
    http = httpx.Client(base_url=served.url, follow_redirects=False, timeout=180)
    form = http.get("/login")
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    assert http.post("/login", data={"login": login, "password": login, "csrf": csrf}).status_code == 303
    return http, http.get("/proposals").text.split('name="csrf" value="')[1].split('"')[0]


def _finding(store, name: str) -> list[Proposal]:
    """An anomaly-like item: an activity and a note sharing one finding."""
    parts = [activity(f"Review {name}").model_copy(update={"finding": f"anomaly:{name}"}),
             note(f"Note {name}").model_copy(update={"finding": f"anomaly:{name}"})]
    return [made.proposal for made in store.add_finding(parts)]


def _at_once(calls) -> list[httpx.Response]:
    answers: list[httpx.Response] = []
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        answers.append(call())

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return answers


def test_two_approvals_of_one_two_part_item_keep_one_decision_for_both_parts(fresh_sandbox, page, admin_client):
    served, store, audit = page
    parts = _finding(store, "double")
    sessions = [_session(served), _session(served)]
    fresh_sandbox.faults.update(latency_ms=LATENCY_MS)
    try:
        answers = _at_once([lambda http=http, csrf=csrf: http.post(f"/proposals/{parts[0].id}/approve",
                                                                   data={"csrf": csrf, "comment": "ok"})
                            for http, csrf in sessions])
    finally:
        fresh_sandbox.faults.reset()
        for http, _csrf in sessions:
            http.close()
    assert sorted(a.status_code for a in answers) == [303, 409], [(a.status_code, a.text[-400:]) for a in answers]
    assert {store.get(p.id).state for p in parts} == {"applied"}
    decisions = [store.decision(p.id) for p in parts]
    assert len({(d.login, d.decided_at) for d in decisions}) == 1            # one decision, for both parts
    assert len(audit.entries(action="decision")) == 2
    assert [records_in_odoo(admin_client, p) for p in parts] == [1, 1]
    refusals = audit.entries(action="refusal")
    assert refusals and {r.details["reason"] for r in refusals} <= {"concurrent", "not_proposed"}
    assert audit.verify().ok


def test_overlapping_batches_decide_and_write_each_item_once(fresh_sandbox, page, admin_client):
    served, store, audit = page
    items = [_finding(store, f"batch {i}") for i in range(4)] + [[store.add(entry(f"Batch entry {i}")).proposal]
                                                                 for i in range(2)]
    first = [parts[0].id for parts in items[:4]]
    second = [parts[0].id for parts in items[2:]]
    sessions = [_session(served), _session(served)]
    fresh_sandbox.faults.update(latency_ms=100)
    try:
        answers = _at_once([lambda chosen=chosen, http=http, csrf=csrf: http.post(
            "/proposals/decide", data={"csrf": csrf, "action": "approve", "item": chosen, "comment": "batch"})
            for chosen, (http, csrf) in zip((first, second), sessions)])
    finally:
        fresh_sandbox.faults.reset()
        for http, _csrf in sessions:
            http.close()
    every = [p for parts in items for p in parts]
    assert {store.get(p.id).state for p in every} == {"applied"}
    assert [records_in_odoo(admin_client, p) for p in every] == [1] * len(every)
    assert all(len(audit.entries(action="decision", subject=p.id)) == 1 for p in every)
    statuses = sorted(a.status_code for a in answers)
    # the two batches share two items: unless one batch finished first, one of them lost some of them
    assert statuses in ([303, 303], [303, 409], [409, 409]), statuses
    for answer in answers:
        if answer.status_code == 409:
            assert "decided by someone else first" in answer.text and "Decided" in answer.text
    assert audit.verify().ok


def test_a_batch_without_the_sessions_token_or_signed_out_decides_nothing(fresh_sandbox, page):
    served, store, _audit = page
    parts = _finding(store, "forged")
    http, csrf = _session(served)
    try:
        forged = http.post("/proposals/decide", data={"csrf": "not-the-token", "action": "approve",
                                                      "item": [parts[0].id]})
        assert forged.status_code == 403 and "Form expired" in forged.text
        missing = http.post("/proposals/decide", data={"action": "reject", "item": [parts[0].id], "comment": "x"})
        assert missing.status_code == 403
        nothing = http.post("/proposals/decide", data={"csrf": csrf, "action": "approve"})
        assert nothing.status_code == 400 and "No item was selected" in nothing.text
        neither = http.post("/proposals/decide", data={"csrf": csrf, "item": [parts[0].id]})
        assert neither.status_code == 400
        unknown = http.post("/proposals/decide", data={"csrf": csrf, "action": "approve", "item": ["0" * 32]})
        assert unknown.status_code == 404 and "no such proposal" in unknown.text
    finally:
        http.close()
    anonymous = httpx.post(served.url + "/proposals/decide", data={"csrf": csrf, "action": "approve",
                                                                   "item": [parts[0].id]})
    assert anonymous.status_code == 401 and "Signed out" in anonymous.text
    assert {store.get(p.id).state for p in parts} == {"proposed"}


def test_inside_a_batch_the_item_its_approver_asked_for_is_refused(fresh_sandbox, page):
    served, store, audit = page
    asked = store.add(Proposal(kind="note", title="Asked by the controller", summary="s", run_id="chat-1",
                               created_by="ledgerpilot-agent", requested_by="controller",
                               payload=OdooCall(model="res.partner", method="message_post", args=([7],),
                                                kwargs={"body": "<p>asked</p>"}))).proposal
    others = _finding(store, "fine")
    http, csrf = _session(served)
    try:
        answer = http.post("/proposals/decide", data={"csrf": csrf, "action": "approve", "comment": "",
                                                      "item": [asked.id, others[0].id]})
    finally:
        http.close()
    assert answer.status_code == 403 and "asked for" in answer.text
    assert store.get(asked.id).state == "proposed"
    assert {store.get(p.id).state for p in others} == {"applied"}
    assert [e.details["reason"] for e in audit.entries(action="refusal", subject=asked.id)] == ["requester"]
