"""The /web/... JSON routes: session cookies, API keys refused, call_kw, session expiry."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.sandbox.server.server_recordings import assert_same_error_shape, load, recorded_body, replay

COOKIE = re.compile(
    r"^session_id=(?P<sid>[0-9a-f]{40}); Expires=(?P<expires>[^;]+); Max-Age=604800; HttpOnly; Path=/$")


def _call(client: httpx.Client, url: str, path: str, params: dict, request_id: int = 1) -> httpx.Response:
    return client.post(url + path, json={"jsonrpc": "2.0", "method": "call", "params": params, "id": request_id})


def _login(client: httpx.Client, url: str, login: str = "admin", password: str = "admin",
           request_id: int = 1) -> httpx.Response:
    return _call(client, url, "/web/session/authenticate", {"db": "demo", "login": login, "password": password},
                 request_id)


def test_first_contact_sets_the_session_cookie_like_odoo(server):
    recording, response = replay(server.url, "odoorpc_01_construct_version_info")
    assert response.json() == recorded_body(recording)
    match = COOKIE.match(response.headers["set-cookie"])
    assert match, response.headers["set-cookie"]
    assert match["expires"].endswith(" GMT")


def test_database_list_matches_the_recording(server):
    recording, response = replay(server.url, "web_database_list")
    assert response.json() == recorded_body(recording)
    assert COOKIE.match(response.headers["set-cookie"])


def test_call_kw_without_session_is_session_expired(server):
    recording, response = replay(server.url, "web_dataset_call_kw_without_session")
    data = assert_same_error_shape(recording, response)
    assert response.json()["id"] is None
    assert data["message"] == "Session expired"
    assert "set-cookie" not in response.headers


def test_api_key_is_refused_by_session_authenticate(server):
    key = server.service.create_api_key(2, "web test")
    try:
        with httpx.Client() as client:
            response = _login(client, server.url, password=key, request_id=113)
        recording = load("web_session_authenticate_with_apikey_refused")
        data = assert_same_error_shape(recording, response)
        assert data["message"] == "Access Denied"
        assert "set-cookie" not in response.headers
    finally:
        server.service.revoke_api_key(key)


def test_login_rotates_the_session_and_call_kw_works_with_the_cookie(server):
    with httpx.Client() as client:
        first = _call(client, server.url, "/web/webclient/version_info", {})
        anonymous_sid = COOKIE.match(first.headers["set-cookie"])["sid"]
        logged = _login(client, server.url)
        assert logged.status_code == 200
        info = logged.json()["result"]
        assert info["uid"] == 2 and info["db"] == "demo"
        assert info["user_context"]["uid"] == 2
        new_sid = COOKIE.match(logged.headers["set-cookie"])["sid"]
        assert new_sid != anonymous_sid
        rows = _call(client, server.url, "/web/dataset/call_kw/res.partner/search_read",
                     {"model": "res.partner", "method": "search_read", "args": [],
                      "kwargs": {"domain": [["is_company", "=", True]], "fields": ["name"], "limit": 2}}, 104)
        assert "set-cookie" not in rows.headers  # a plain call_kw with a valid cookie sets none
        body = rows.json()
        assert list(body) == ["jsonrpc", "id", "result"] and body["id"] == 104
        assert [set(r) for r in body["result"]] == [{"id", "name"}] * 2
        info_again = _call(client, server.url, "/web/session/get_session_info", {})
        assert info_again.json()["result"]["uid"] == 2
        assert COOKIE.match(info_again.headers["set-cookie"])["sid"] == new_sid
        # the path suffix is informative only: model and method come from the params
        same = _call(client, server.url, "/web/dataset/call_kw",
                     {"model": "res.users", "method": "context_get", "args": [], "kwargs": {}})
        assert same.json()["result"]["uid"] == 2
        missing = _call(client, server.url, "/web/dataset/call_kw", {"model": "res.users", "method": "x", "args": []})
        assert missing.json()["error"]["data"]["message"] == (
            "DataSet.call_kw() missing 1 required positional argument: 'kwargs'")
        destroyed = _call(client, server.url, "/web/session/destroy", {}, 9)
        assert destroyed.json() == {"jsonrpc": "2.0", "id": 9}
        after = _call(client, server.url, "/web/dataset/call_kw",
                      {"model": "res.users", "method": "context_get", "args": [], "kwargs": {}})
        assert after.json()["error"]["code"] == 100


def test_bad_password_and_unknown_database(server):
    with httpx.Client() as client:
        wrong = _login(client, server.url, password="nope").json()["error"]["data"]
        assert wrong["name"] == "odoo.exceptions.AccessDenied"
        unknown = _call(client, server.url, "/web/session/authenticate",
                        {"db": "nope", "login": "admin", "password": "admin"}).json()["error"]["data"]
        assert (unknown["name"], unknown["message"]) == ("odoo.exceptions.AccessError", "Database not found.")


def test_web_routes_refuse_non_json_content_type(server):
    response = httpx.post(server.url + "/web/session/authenticate", content=b"{}",
                          headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert "but &#39;/web/session/authenticate&#39; is type=&#39;json&#39;." in response.text


def test_session_expiry_fault(server):
    with httpx.Client() as client:
        _login(client, server.url)
        call = {"model": "res.users", "method": "context_get", "args": [], "kwargs": {}}
        assert "result" in _call(client, server.url, "/web/dataset/call_kw", call).json()
        server.faults.session_expiry = 0  # expire immediately
        expired = _call(client, server.url, "/web/dataset/call_kw", call).json()
        assert expired["error"]["code"] == 100 and expired["id"] is None
        server.faults.session_expiry = None
        # the expired session is gone for good: a new login is needed
        assert _call(client, server.url, "/web/dataset/call_kw", call).json()["error"]["code"] == 100
        _login(client, server.url)
        assert "result" in _call(client, server.url, "/web/dataset/call_kw", call).json()


def test_session_expires_after_n_seconds(server):
    server.faults.session_expiry = 1.0
    with httpx.Client() as client:
        _login(client, server.url)
        call = {"model": "res.users", "method": "context_get", "args": [], "kwargs": {}}
        assert "result" in _call(client, server.url, "/web/dataset/call_kw", call).json()
        time.sleep(1.05)
        assert _call(client, server.url, "/web/dataset/call_kw", call).json()["error"]["code"] == 100


@pytest.mark.parametrize("path", ["/web/nothing", "/odoo", "/json/2/only-model"])
def test_unknown_routes_are_a_404_page_with_cookies(server, path):
    response = httpx.post(server.url + path, json={})
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html;charset=utf-8"
    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith("frontend_lang=") for c in cookies)
    assert any(c.startswith("session_id=") for c in cookies)
