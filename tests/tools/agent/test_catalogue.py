"""The agent's tools are the functions of one explicit table, not whatever an import registered."""

from __future__ import annotations

import importlib
import inspect

import pytest

from ledgerpilot.tools.agent import toolkit
from ledgerpilot.tools.agent.toolkit import TOOL_KIND_ATTRIBUTE, TOOL_TABLE, all_tools, tool


def test_every_marked_tool_is_in_the_table_and_every_listed_one_is_marked():
    listed = {(module, name) for module, name in TOOL_TABLE}
    marked = set()
    for module_name in {module for module, _ in TOOL_TABLE}:
        module = importlib.import_module(module_name)
        for name, value in inspect.getmembers(module, inspect.isfunction):
            if value.__module__ == module_name and hasattr(value, TOOL_KIND_ATTRIBUTE):
                marked.add((module_name, name))
    assert marked == listed
    assert list(all_tools()) == [name for _, name in TOOL_TABLE]


def test_marking_a_function_registers_nothing(monkeypatch):
    monkeypatch.setattr(toolkit, "_catalogue", None)   # the catalogue is read afresh after the marking

    @tool("read")
    def stray_tool(ctx, args):
        return None

    assert "stray_tool" not in all_tools()


def test_a_listed_function_that_is_not_marked_is_refused(monkeypatch):
    monkeypatch.setattr(toolkit, "_catalogue", None)
    monkeypatch.setattr(toolkit, "TOOL_TABLE", (*TOOL_TABLE, ("ledgerpilot.tools.agent.toolkit", "all_tools")))
    with pytest.raises(TypeError, match="not marked @tool"):
        all_tools()
    monkeypatch.setattr(toolkit, "_catalogue", None)
