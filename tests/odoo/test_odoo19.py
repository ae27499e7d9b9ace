"""The gateway against the sandbox playing Odoo 19: JSON-2 alone, nothing deprecated touched.

The sandbox plays 19 with its recorded schemas; ``/jsonrpc`` and ``/xmlrpc`` are switched off
(404) in ``sandbox19``, and counted (``legacy_rpc_calls``) where they stay on, so a test can show
that a whole session never called them.
"""

from __future__ import annotations

import logging
import shutil

import httpx
import pytest

from ledgerpilot.config import OdooConnection
from ledgerpilot.errors import ConfigError
from ledgerpilot.odoo import NO_RETRY, OdooAuthenticationError, OdooDatabaseNotFound, connect
from ledgerpilot.sandbox.server.runner import running_sandbox
from tests.conftest import api_key_for

from .conftest import FAST_RETRY


def json2_connection(handle, key: str, **extra) -> OdooConnection:
    return OdooConnection(url=handle.url, db=handle.db, user="admin", api_key=key, **extra)


@pytest.fixture(scope="module")
def key19(sandbox19):
    return api_key_for(sandbox19, "admin")


def test_auto_picks_json2_from_the_web_version_route(sandbox19, key19):
    with connect(json2_connection(sandbox19, key19), retry=NO_RETRY) as client:
        assert client.transport_name == "json2"
        assert client.server_version == "19.0" and client.major == 19
        assert client.uid == sandbox19.service.login(sandbox19.db, "admin", "admin")
        fields = client.fields_get("purchase.order.line")
        assert "product_uom_id" in fields and "product_uom" not in fields  # the 19.0 schema
        assert client.search_count("account.move", [("state", "=", "posted")]) > 0


def test_a_whole_session_never_calls_the_deprecated_endpoints(demo_data_dir, tmp_path, caplog):
    """/jsonrpc left on (as on a real 19): a session through auto detection calls it zero times."""
    copy = tmp_path / "sandbox19"  # its own copy: the key it makes is written to the database
    shutil.copytree(demo_data_dir, copy)
    with running_sandbox(copy, serie="19.0", legacy_rpc=True) as handle:
        key = api_key_for(handle, "readonly")
        connection = OdooConnection(url=handle.url, db=handle.db, user="readonly", api_key=key)
        with caplog.at_level(logging.WARNING, logger="ledgerpilot.sandbox.server.app"):
            with connect(connection, retry=NO_RETRY) as client:
                client.read_group("account.move.line", [("parent_state", "=", "posted")], ["balance:sum"],
                                  ["account_id"])
                client.extract("res.partner", ["name"], [])
        assert handle.app.legacy_rpc_calls == 0
        assert not [r for r in caplog.records if "deprecated" in r.getMessage()]
        # the same server does log and count a client that still uses /jsonrpc
        with caplog.at_level(logging.WARNING, logger="ledgerpilot.sandbox.server.app"):
            with connect(connection.model_copy(update={"transport": "jsonrpc"}), retry=NO_RETRY) as client:
                assert client.transport_name == "jsonrpc"
                client.search_count("res.partner")
        assert handle.app.legacy_rpc_calls > 0
        assert any("deprecated in Odoo 19 and scheduled for removal in Odoo 20" in r.getMessage()
                   for r in caplog.records)


def test_jsonrpc_switched_off_answers_404(sandbox19):
    answer = httpx.post(f"{sandbox19.url}/jsonrpc", json={"jsonrpc": "2.0", "method": "call", "id": 1,
                                                          "params": {"service": "common", "method": "version",
                                                                     "args": []}})
    assert answer.status_code == 404
    assert httpx.post(f"{sandbox19.url}/xmlrpc/2/common", content=b"<methodCall/>").status_code == 404


def test_odoo19_without_an_api_key_is_a_configuration_error(sandbox19):
    connection = OdooConnection(url=sandbox19.url, db=sandbox19.db, user="admin", password="admin")
    with pytest.raises(ConfigError, match="LEDGERPILOT_ODOO_API_KEY") as caught:
        connect(connection, retry=NO_RETRY)
    assert caught.value.exit_code == 2
    assert "\n" not in str(caught.value)


def test_a_wrong_key_is_refused_as_a_login(sandbox19):
    with pytest.raises(OdooAuthenticationError):
        connect(json2_connection(sandbox19, "not-a-key"), retry=NO_RETRY)


def test_an_unknown_database_lists_the_ones_there_without_jsonrpc(sandbox19, key19):
    connection = json2_connection(sandbox19, key19).model_copy(update={"db": "nope"})
    with pytest.raises(OdooDatabaseNotFound) as caught:
        connect(connection, retry=NO_RETRY)
    assert caught.value.available == ["demo"]  # from /web/database/list


def test_json2_explicit_uses_the_web_version_route_too(sandbox19, key19):
    with connect(json2_connection(sandbox19, key19, transport="json2"), retry=NO_RETRY) as client:
        assert client.server_version == "19.0"


def test_odoo17_auto_still_uses_odoorpc(sandbox):
    connection = OdooConnection(url=sandbox.url, db=sandbox.db, user="admin", password="admin")
    with connect(connection, retry=FAST_RETRY) as client:
        assert client.transport_name == "jsonrpc"
        assert client.server_version.startswith("17.0")


def test_has_group_is_a_record_method_on_19(sandbox19, key19):
    with connect(json2_connection(sandbox19, key19), retry=NO_RETRY) as client:
        assert client.has_group("account.group_account_manager") is True
