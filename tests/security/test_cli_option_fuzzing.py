"""Threat: a value on the command line that ledgerpilot does not expect ends in a traceback (or worse, is taken).

A property test: for every command and every option or argument that takes a value, arbitrary text -- and the
values that broke ledgerpilot before (NaN, infinities, 1e309, years 0000 and 9999, Unicode digits, 5,000-digit
numbers, malformed scenarios and JSON) -- is given to the real `ledgerpilot` entry point. Whatever the value, the
command ends with one of the documented exit codes (0, 1, 2, 3) and never with an unhandled exception. Work that
would start once the options are accepted (building the demo company, serving, loading the embedding model) is
replaced by a marker that also checks the values it was given are sane; without Odoo configured, commands that
need Odoo stop at the configuration error (exit 2) after their options were read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import os
import sys

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerpilot.channels.cli.app import app, main

HOSTILE = ["nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-1e309", "1e300", "0", "-1", "9" * 30, "9" * 5000,
           "0000-01", "0000-01-01", "0001-01-01", "9999-12-31", "3000-01-01", "1899-12-31", "2026-13", "2026-02-30",
           "2026-Q5", "2026-Q0", "١٢٣", "²", "１２", "1e9", "", " ", "\t", "%", "{}", "[]", "null",
           '{"latency_ms": NaN}', '{"latency_ms": 1e999}', "[" * 5000, "sales_change:nan", "sales_change:1e309",
           "delay_collections:1e9", "delay_collections:" + "9" * 5000, "defer_po::", "defer_po:P1:" + "9" * 400,
           "customer_default:" + "9" * 5000, "customer_default:", "0x10", "1_000", "1,000.50", "--", "-x",
           "last", "2026-11-18T25:00", "2026-11-18T10:00+99:00", "../../etc/passwd", "/dev/null", "/", ".",
           "a" * 3000, "é", "\u202e", "9999999999999999999999d", "0m", "100000m"]
VALUES = st.one_of(st.sampled_from(HOSTILE),
                   st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                           max_size=40))

#: Options a command needs besides the one fuzzed, with harmless values.
REQUIRED = {
    ("proposals", "approve"): ["--user", "controller"],
    ("proposals", "reject"): ["--user", "controller", "--note", "no"],
    ("proposals", "retry"): ["--user", "controller"],
    ("anomalies", "dispose"): ["--note", "checked"],
    ("memory", "add"): ["--kind", "anomaly", "--category", "c", "--title", "t", "--text", "x"],
    ("memory", "resolve"): ["--resolution", "fixed"],
}
ARGUMENT_DEFAULTS = {"proposal_id": "abc", "anomaly_id": "abc", "disposition": "investigate", "exception_id": "x",
                     "text": "x", "name": "P00001", "project": "p", "run_id": "r", "question": "hello"}


class Reached(Exception):
    """The command accepted its options and was about to start real work."""


def _commands():
    """(command path, parameter) for every parameter taking a value, groups' own options included."""
    found = []

    def walk(command, path):
        for param in command.params:
            if getattr(param, "is_flag", False) or param.name in ("help",):
                continue
            found.append((tuple(path), param))
        for name, sub in _subcommands(command):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def _subcommands(command):
    """A group's commands, through click's API (the top level loads each command's module when asked)."""
    if not hasattr(command, "list_commands"):
        return []
    context = command.context_class(command)
    return [(name, command.get_command(context, name)) for name in command.list_commands(context)]


COMMANDS = _commands()


def _argv(path, param, value: str) -> list[str]:
    argv = list(path)
    arguments = [p for p in _params_of(path) if not getattr(p, "opts", [""])[0].startswith("-")]
    for argument in arguments:
        argv.append(value if argument.name == param.name else ARGUMENT_DEFAULTS.get(argument.name, "x"))
    argv += REQUIRED.get(tuple(path), [])
    if param.opts[0].startswith("-"):
        argv += [param.opts[0], value]
    return argv


def _params_of(path):
    command = typer.main.get_command(app)
    for name in path:
        command = dict(_subcommands(command))[name]
    return command.params


def _sane_demo(_folder, seed, scale, day, **_kwargs):
    assert isinstance(seed, int)
    assert math.isfinite(scale) and 0.05 <= scale <= 200, scale
    assert day is None or 1900 <= day.year <= 2999, day
    raise Reached("demo company")


@pytest.fixture(scope="module")
def cli_process(tmp_path_factory):
    """The environment of a ledgerpilot run with no Odoo configured, and the heavy work replaced by markers."""
    home = tmp_path_factory.mktemp("fuzz-home")
    saved = dict(os.environ)
    for key in [k for k in os.environ if k.startswith("LEDGERPILOT_")]:
        del os.environ[key]
    os.environ.update(LEDGERPILOT_HOME=str(home), LEDGERPILOT_APPROVER_PASSWORD="secret", COLUMNS="120")
    patches = pytest.MonkeyPatch()
    for target in ("ledgerpilot.sandbox.demo.ensure_demo_data", "ledgerpilot.channels.cli.overview_cmd.ensure_demo_data",
                   "ledgerpilot.channels.cli.sandbox_cmd.ensure_demo_data"):
        patches.setattr(target, _sane_demo)
    patches.setattr("ledgerpilot.channels.cli.memory_cmd.open_memory", lambda: (_ for _ in ()).throw(Reached("memory")))
    patches.setattr("ledgerpilot.channels.serve.logs.configure_json_logging", lambda *_a, **_k: None)
    yield home
    patches.undo()
    os.environ.clear()
    os.environ.update(saved)


def _run(argv: list[str]) -> tuple[int | str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved_argv = sys.argv
    sys.argv = ["ledgerpilot", *argv]
    code: int | str = "returned"
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exc:
                code = exc.code if exc.code is not None else 0
            except Reached:
                code = "reached"
    finally:
        sys.argv = saved_argv
    return code, err.getvalue()


@pytest.mark.parametrize("path,param", COMMANDS, ids=[" ".join(p) + ":" + q.name for p, q in COMMANDS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(value=VALUES)
def test_no_option_value_ends_in_a_traceback(cli_process, path, param, value):
    code, err = _run(_argv(path, param, value))
    assert code in (0, 1, 2, 3, "reached"), (code, err[-2000:])
    assert "Traceback" not in err, err[-3000:]
    if code in (1, 2, 3):
        assert err.strip(), "an error exit says why"


#: The values that broke ledgerpilot before: every parameter gets each of them, not just a random draw.
KNOWN_BREAKERS = ["nan", "1e309", "9" * 5000, "0000-01", "0000-01-01", "١٢٣", "[" * 5000]


@pytest.mark.parametrize("path,param", COMMANDS, ids=[" ".join(p) + ":" + q.name for p, q in COMMANDS])
def test_the_values_that_broke_ledgerpilot_before_are_refused_cleanly(cli_process, path, param):
    for value in KNOWN_BREAKERS:
        code, err = _run(_argv(path, param, value))
        assert code in (0, 1, 2, 3, "reached"), (value[:20], code, err[-2000:])
        assert "Traceback" not in err, err[-3000:]


def test_every_command_is_covered():
    names = {" ".join(path) for path, _param in COMMANDS}
    assert {"budget", "forecast", "forecast backtest", "eval payment-delays", "close run", "anomalies scan",
            "memory add", "sandbox start", "proposals retry", "audit log"} <= names
    assert dt.date.today().year < 2999
