"""Connecting: each transport, good and bad credentials, unknown database, unreachable server."""

from __future__ import annotations

import socket

import pytest

from ledgerpilot.config import OdooConnection
from ledgerpilot.errors import ConfigError
from ledgerpilot.odoo import (
    NO_RETRY,
    OdooAuthenticationError,
    OdooDatabaseNotFound,
    OdooUnreachable,
    connect,
)

from .conftest import make_connection, uid_of

TRANSPORTS = ["jsonrpc", "xmlrpc", "json2"]


@pytest.fixture(scope="module")
def admin_key(sandbox):
    return sandbox.service.create_api_key(uid_of(sandbox, "admin"), "gateway tests")


@pytest.mark.parametrize("transport", ["jsonrpc", "xmlrpc"])
def test_password_login(sandbox, transport):
    with connect(make_connection(sandbox, transport=transport)) as client:
        assert client.transport_name == transport
        assert client.uid == uid_of(sandbox, "admin")
        assert client.major == 17 and client.serie == "17.0"
        assert client.search_count("res.partner", [("id", "=", client.uid)]) in (0, 1)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_api_key_login(sandbox, admin_key, transport):
    connection = make_connection(sandbox, api_key=admin_key, transport=transport)
    with connect(connection) as client:
        assert client.transport_name == transport
        assert client.uid == uid_of(sandbox, "admin")
        partners = client.search_read("res.partner", [], ["name"], limit=3)
        assert len(partners) == 3 and all(isinstance(row["name"], str) for row in partners)


@pytest.mark.parametrize("transport", ["jsonrpc", "xmlrpc"])
def test_wrong_password(sandbox, transport):
    with pytest.raises(OdooAuthenticationError) as caught:
        connect(make_connection(sandbox, password="not-the-password", transport=transport), retry=NO_RETRY)
    message = str(caught.value)
    assert "'admin'" in message and f"'{sandbox.db}'" in message and "password" in message


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_wrong_api_key(sandbox, transport):
    connection = make_connection(sandbox, api_key="0" * 40, transport=transport)
    with pytest.raises(OdooAuthenticationError) as caught:
        connect(connection, retry=NO_RETRY)
    assert "API key" in str(caught.value)


def test_json2_needs_an_api_key(sandbox):
    with pytest.raises(ConfigError, match="API key"):
        connect(make_connection(sandbox, transport="json2"), retry=NO_RETRY)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unknown_database_lists_the_existing_ones(sandbox, admin_key, transport):
    secret = {"api_key": admin_key} if transport == "json2" else {"password": "admin"}
    connection = OdooConnection(url=sandbox.url, db="no_such_db", user="admin", transport=transport, **secret)
    with pytest.raises(OdooDatabaseNotFound) as caught:
        connect(connection, retry=NO_RETRY)
    assert caught.value.available == [sandbox.db]
    assert "'no_such_db'" in str(caught.value) and sandbox.db in str(caught.value)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("transport", ["auto", *TRANSPORTS])
def test_unreachable_port_is_reported_at_once(transport):
    url = f"http://127.0.0.1:{_free_port()}"
    connection = OdooConnection(url=url, db="x", user="admin", password="admin", api_key="k" * 40,
                                transport=transport)
    with pytest.raises(OdooUnreachable) as caught:
        connect(connection)  # default retry policy: a refused connection must not be retried
    assert url in str(caught.value) and caught.value.request_sent is False


def test_auto_picks_odoorpc_on_17(sandbox, admin_key):
    with connect(make_connection(sandbox)) as client:
        assert client.transport_name == "jsonrpc"
        assert client.server_version.startswith("17.0")
    # an API key does not switch to JSON-2 below Odoo 19
    with connect(make_connection(sandbox, api_key=admin_key)) as client:
        assert client.transport_name == "jsonrpc"


def test_user_groups(sandbox):
    with connect(make_connection(sandbox, transport="jsonrpc")) as admin:
        assert admin.has_group("account.group_account_manager") is True
    with connect(make_connection(sandbox, user="readonly", transport="xmlrpc")) as readonly:
        assert readonly.has_group("account.group_account_manager") is False
        assert readonly.has_group("base.group_user") is True
