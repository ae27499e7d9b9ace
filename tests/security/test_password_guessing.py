"""Threat: guessing approvers' passwords through the approval page's sign-in.

The probe: 25 wrong passwords in 4 seconds, none refused for being too many. Now failed sign-ins are counted
per login and per address; past a few, each further failure locks that login (or address) for a delay that
doubles every time, during which sign-in is refused with 429 without asking Odoo -- even with the right
password -- and every throttled attempt is audited.
"""

from __future__ import annotations

import time

import httpx
import pytest

from ledgerpilot.channels.web.approval_app import ApprovalPageConfig, create_approval_app
from tests.channels.web.conftest import ServedApp
from tests.security.conftest import connection


@pytest.fixture()
def page(sandbox, state):
    _home, store, audit = state
    config = ApprovalPageConfig(odoo=connection(sandbox), write_connection=None, agent_logins={"admin"},
                                approval_groups={}, signin_free_failures=3, signin_free_failures_per_address=6,
                                signin_base_delay_seconds=1.0)
    served = ServedApp(create_approval_app(config, store, audit)).start()
    yield served, audit
    served.stop()


def _attempt(http: httpx.Client, login: str, password: str) -> httpx.Response:
    form = http.get("/login")
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    return http.post("/login", data={"login": login, "password": password, "csrf": csrf})


def test_guessing_one_login_is_slowed_down_with_growing_delays(page):
    served, audit = page
    statuses = []
    with httpx.Client(base_url=served.url, follow_redirects=False, timeout=30) as http:
        started = time.monotonic()
        while time.monotonic() - started < 4 and len(statuses) < 25:
            statuses.append(_attempt(http, "controller", "guess").status_code)
        locked = _attempt(http, "controller", "controller")          # the right password, while locked
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
        assert "Too many failed sign-ins" in locked.text
    checked_by_odoo = [e for e in audit.entries(action="sign_in_refused") if e.actor == "controller"]
    throttled = audit.entries(action="sign_in_throttled")
    assert statuses[:3] == [401, 401, 401] and 429 in statuses
    assert len(checked_by_odoo) <= 6, len(checked_by_odoo)       # 3 free, then one per (doubling) window
    assert len(throttled) == statuses.count(429) + 1
    assert throttled[-1].details["login"] == "controller" and throttled[-1].details["address"] == "127.0.0.1"
    waits = [e.details["locked_for_seconds"] for e in audit.entries(action="sign_in_locked")]
    assert waits == sorted(waits) and len(set(waits)) == len(waits) and waits[0] == 1.0   # 1 s, 2 s, 4 s ...


def test_the_right_password_works_again_once_the_delay_has_passed(page):
    served, _audit = page
    with httpx.Client(base_url=served.url, follow_redirects=False, timeout=30) as http:
        for _ in range(4):
            _attempt(http, "controller", "guess")
        assert _attempt(http, "controller", "controller").status_code == 429
        time.sleep(2.2)
        assert _attempt(http, "controller", "controller").status_code == 303


def test_spraying_many_logins_from_one_address_is_slowed_down(page):
    served, audit = page
    with httpx.Client(base_url=served.url, follow_redirects=False, timeout=30) as http:
        statuses = [_attempt(http, f"user{n}", "guess").status_code for n in range(8)]
    assert statuses[:6] == [401] * 6 and statuses[6:] == [429, 429]
    assert audit.entries(action="sign_in_throttled")[-1].details["why"] == "address"
