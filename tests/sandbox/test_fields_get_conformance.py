"""fields_get conformance: every served field answers with the recorded Odoo 17 attributes, and the
schema bundled with the package equals the shared recording when that folder is present."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from ledgerpilot.sandbox.query import QueryEngine
from ledgerpilot.sandbox.registry import EXTRA_SCHEMAS, registry
from ledgerpilot.sandbox.store import Store

BUNDLED = Path(str(resources.files("ledgerpilot.sandbox").joinpath("schema/17.0")))
SHARED = Path(__file__).parents[2] / ".." / "shared" / "odoo-schema" / "17.0"
PROTOCOL = Path(__file__).parents[1] / "fixtures" / "odoo17_protocol"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("fields") / "db.sqlite")
    yield QueryEngine(store)
    store.close()


def recorded_schema(model: str) -> dict | None:
    path = BUNDLED / f"{model}.json"
    return json.loads(path.read_text()) if path.exists() else None


@pytest.mark.parametrize("model", sorted(registry()))
def test_every_served_field_agrees_with_the_bundled_schema(engine, model):
    served = engine.fields_get(model)
    assert set(served) == set(registry()[model].fields)
    assert "id" in served and "display_name" in served
    recorded = recorded_schema(model)
    if recorded is None:  # models the recording lacks are described by the registry itself
        source = EXTRA_SCHEMAS.get(model) or {}
        for name in source:
            assert served[name]["type"] == source[name]["type"]
        return
    for name, attrs in served.items():
        expected = recorded[name]
        for key in ("type", "relation", "string"):
            assert attrs.get(key) == expected.get(key), (model, name, key)
        keys = [k for k, _ in expected.get("selection") or []]
        assert [k for k, _ in attrs.get("selection") or []] == keys, (model, name)


def test_attributes_filter_keeps_only_present_keys(engine):
    exchange = json.loads((PROTOCOL / "jsonrpc_fields_get_allfields_attributes.json").read_text())
    args = exchange["request"]["body"]["params"]["args"]
    got = engine.fields_get(args[3], args[5][0], **args[6])
    assert got == exchange["response"]["body"]["result"]


def test_attributes_subset_on_every_field(engine):
    exchange = json.loads((PROTOCOL / "jsonrpc_fields_get_all_fields_attributes.json").read_text())
    args = exchange["request"]["body"]["params"]["args"]
    got = engine.fields_get(args[3], **args[6])
    recorded = exchange["response"]["body"]["result"]
    for name, attrs in got.items():
        assert attrs == recorded[name], name
    assert set(got) <= set(recorded)


def test_bundled_schema_equals_the_shared_recording():
    if not SHARED.is_dir():
        pytest.skip("the shared odoo-schema folder is not beside this repository")
    bundled = sorted(p.name for p in BUNDLED.glob("*.json"))
    shared = sorted(p.name for p in SHARED.glob("*.json"))
    assert bundled == shared
    for name in bundled:
        assert json.loads((BUNDLED / name).read_text()) == json.loads((SHARED / name).read_text()), name
