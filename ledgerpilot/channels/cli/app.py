"""The ``ledgerpilot`` command: a thin layer over the library.

Exit codes: 0 success; 1 a reported error (Odoo refused, bad data); 2 bad configuration or usage;
3 Odoo unreachable or the login refused; 130 interrupted.
"""

from __future__ import annotations

import functools
import importlib
import sys

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from ledgerpilot.channels.cli.console import error_console, safe
from ledgerpilot.errors import LedgerpilotError

#: Every command, by the module that implements it (under ``ledgerpilot.channels.cli``) and the attribute:
#: a Typer app for a group of subcommands, a function for a single command. A command's module is imported
#: only when that command runs (or when help lists the commands), so ``ledgerpilot version`` loads no
#: pandas and ``ledgerpilot chat`` none of the other commands' tools.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("overview_cmd", "demo"),
    "overview": ("overview_cmd", "overview"),
    "chat": ("chat_cmd", "chat"),
    "discuss": ("discuss_cmd", "discuss"),
    "digest": ("digest_cmd", "digest"),
    "serve": ("serve_cmd", "serve"),
    "sandbox": ("sandbox_cmd", "app"),
    "forecast": ("forecast_cmd", "app"),
    "eval": ("eval_cmd", "app"),
    "budget": ("budget_cmd", "app"),
    "memory": ("memory_cmd", "app"),
    "proposals": ("proposals_cmd", "app"),
    "audit": ("audit_cmd", "app"),
    "close": ("close_cmd", "app"),
    "anomalies": ("anomalies_cmd", "app"),
}


@functools.cache
def load_command(name: str) -> TyperCommand | TyperGroup:
    """The click command ``name`` of :data:`COMMANDS`, its module imported now."""
    module_name, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(f"ledgerpilot.channels.cli.{module_name}"), attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = typer.Typer()
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyCommands(TyperGroup):
    """The top-level group: the commands of :data:`COMMANDS`, each loaded when asked for, and ``version``."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        names = list(COMMANDS)   # single commands, then ``version``, then the groups (as help always listed them)
        names[names.index("serve") + 1:names.index("serve") + 1] = [n for n in super().list_commands(ctx)
                                                                     if n not in COMMANDS]
        return names

    def get_command(self, ctx: typer.Context, cmd_name: str) -> TyperCommand | TyperGroup | None:
        if cmd_name in COMMANDS:
            return load_command(cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    name="ledgerpilot",
    help="A finance agent for Odoo: cash, budgets, close and anomalies, with human-approved write-back.",
    cls=LazyCommands,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _ledgerpilot() -> None:
    """A finance agent for Odoo: cash, budgets, close and anomalies, with human-approved write-back."""


@app.command("version")
def version() -> None:
    """Print ledgerpilot's version."""
    from importlib.metadata import version as pkg_version

    typer.echo(pkg_version("ledgerpilot"))


def main() -> None:
    try:
        # outside standalone mode click returns the code of a `typer.Exit` instead of raising it
        code = app(standalone_mode=False)
    except LedgerpilotError as exc:
        error_console().print(f"[bold red]error:[/] {safe(exc)}", soft_wrap=True)   # one line, never re-wrapped
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        error_console().print("interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        error_console().print("aborted")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: unknown option, bad value, ...
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            error_console().print(f"[bold red]error:[/] {safe(exc.format_message())}")
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
