"""JSON-2 (POST /json/2/<model>/<method>, Odoo 19 style) served by the 17.0 sandbox."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture()
def api_key(server):
    key = server.service.create_api_key(2, "json2 test")
    yield key
    server.service.revoke_api_key(key)


def _post(server, path: str, key: str | None, body=None, **headers) -> httpx.Response:
    if key is not None:
        headers["Authorization"] = f"bearer {key}"
    return httpx.post(server.url + path, json=body if body is not None else {}, headers=headers)


def _assert_error(response: httpx.Response, status: int, name: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert list(body) == ["name", "message", "arguments", "context", "debug"]
    assert body["name"] == name
    assert body["debug"].startswith("Traceback (most recent call last):\n")
    return body


def test_bearer_key_reads_records(server, api_key):
    response = _post(server, "/json/2/res.partner/search_read", api_key,
                     {"domain": [["is_company", "=", True]], "fields": ["name"], "limit": 2},
                     **{"X-Odoo-Database": "demo"})
    assert response.status_code == 200
    assert [set(r) for r in response.json()] == [{"id", "name"}] * 2
    assert "set-cookie" not in response.headers  # stateless
    count = _post(server, "/json/2/res.partner/search_count", api_key, {"domain": []})
    assert count.json() == 7


def test_ids_and_context_are_named_arguments(server, api_key):
    response = _post(server, "/json/2/account.move/read", api_key,
                     {"ids": [1], "fields": ["name", "state"], "context": {"lang": "en_US"}})
    assert response.json() == [{"id": 1, "name": "MISC/2026/10/0001", "state": "posted"}]
    context = _post(server, "/json/2/res.users/context_get", api_key, {})
    assert context.json()["uid"] == 2


def test_missing_and_bad_keys_are_401(server):
    missing = _post(server, "/json/2/res.partner/search_read", None, {"domain": []})
    body = _assert_error(missing, 401, "werkzeug.exceptions.Unauthorized")
    assert body["message"] == 'User not authenticated, use the "Authorization" header'
    assert body["arguments"] == [body["message"], 401]
    assert missing.headers["www-authenticate"].lower() == "bearer"
    wrong = _post(server, "/json/2/res.partner/search_read", "0" * 40, {"domain": []})
    assert _assert_error(wrong, 401, "werkzeug.exceptions.Unauthorized")["message"] == "Invalid apikey"
    password = _post(server, "/json/2/res.partner/search_read", "admin", {"domain": []})
    assert password.status_code == 401  # a password is not an API key


def test_error_statuses(server, api_key):
    model = _post(server, "/json/2/no.such.model/search", api_key)
    assert _assert_error(model, 404, "werkzeug.exceptions.NotFound")["message"] == (
        "the model 'no.such.model' does not exist")
    method = _post(server, "/json/2/res.partner/no_such_method", api_key)
    assert _assert_error(method, 404, "werkzeug.exceptions.NotFound")["message"] == (
        "The method 'no_such_method' does not exist on the model 'res.partner'")
    private = _post(server, "/json/2/res.partner/_get_gravatar_image", api_key)
    _assert_error(private, 403, "odoo.exceptions.AccessError")
    with_ids = _post(server, "/json/2/res.partner/search", api_key, {"ids": [1], "domain": []})
    assert _assert_error(with_ids, 422, "werkzeug.exceptions.UnprocessableEntity")["message"] == (
        "cannot call res.partner.search with ids")
    bad_kwarg = _post(server, "/json/2/res.partner/search_count", api_key, {"domain": [], "nonsense": 1})
    _assert_error(bad_kwarg, 422, "werkzeug.exceptions.UnprocessableEntity")
    bad_domain = _post(server, "/json/2/res.partner/search", api_key, {"domain": [["nonexistent_field", "=", 1]]})
    _assert_error(bad_domain, 500, "builtins.ValueError")
    database = _post(server, "/json/2/res.partner/search", api_key, {"domain": []}, **{"X-Odoo-Database": "x"})
    _assert_error(database, 404, "werkzeug.exceptions.NotFound")
    get = httpx.get(server.url + "/json/2/res.partner/search", headers={
        "Authorization": f"bearer {api_key}", "Content-Type": "application/json"})
    _assert_error(get, 405, "werkzeug.exceptions.MethodNotAllowed")
    unreadable = httpx.post(server.url + "/json/2/res.partner/search", content=b"{nope",
                            headers={"Authorization": f"bearer {api_key}", "Content-Type": "application/json"})
    assert _assert_error(unreadable, 400, "werkzeug.exceptions.BadRequest")["message"].startswith(
        "could not parse the body as json: ")


def test_access_error_is_403_for_a_user_without_rights(server):
    key = server.service.create_api_key(6, "demo json2")
    try:
        response = _post(server, "/json/2/account.account/create", key,
                         {"vals_list": [{"code": "999001", "name": "x", "account_type": "expense"}]})
        _assert_error(response, 403, "odoo.exceptions.AccessError")
    finally:
        server.service.revoke_api_key(key)


def test_user_and_missing_errors_are_422_and_404(writable_server):
    key = writable_server.service.create_api_key(2, "json2 writes")
    missing = _post(writable_server, "/json/2/account.move/write", key, {"ids": [999], "vals": {"ref": "x"}})
    _assert_error(missing, 404, "odoo.exceptions.MissingError")
    unbalanced = _post(writable_server, "/json/2/account.move/create", key, {"vals_list": [{
        "move_type": "entry", "journal_id": 3, "date": "2026-11-10",
        "line_ids": [[0, 0, {"account_id": 2, "name": "a", "debit": 100.0, "credit": 0.0}],
                     [0, 0, {"account_id": 3, "name": "b", "debit": 0.0, "credit": 50.0}]]}]})
    # a UserError or its subclass ValidationError: both are 422 in Odoo 19
    assert unbalanced.status_code == 422, unbalanced.text
    assert unbalanced.json()["name"] in ("odoo.exceptions.UserError", "odoo.exceptions.ValidationError")


def test_json2_needs_a_json_content_type(server, api_key):
    response = httpx.post(server.url + "/json/2/res.partner/search", content=b"{}",
                          headers={"Authorization": f"bearer {api_key}", "Content-Type": "text/plain"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
