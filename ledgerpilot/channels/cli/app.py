"""The ``ledgerpilot`` command: a thin layer over the library.

Exit codes: 0 success; 1 a reported error (Odoo refused, bad data); 2 bad configuration or usage;
3 Odoo unreachable or the login refused; 130 interrupted.
"""

from __future__ import annotations

import sys

import typer

from ledgerpilot.channels.cli import (
    anomalies_cmd,
    audit_cmd,
    budget_cmd,
    chat_cmd,
    close_cmd,
    digest_cmd,
    discuss_cmd,
    eval_cmd,
    forecast_cmd,
    memory_cmd,
    overview_cmd,
    proposals_cmd,
    sandbox_cmd,
    serve_cmd,
)
from ledgerpilot.channels.cli.console import error_console, safe
from ledgerpilot.errors import LedgerpilotError

app = typer.Typer(
    name="ledgerpilot",
    help="A finance agent for Odoo: cash, budgets, close and anomalies, with human-approved write-back.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("demo")(overview_cmd.demo)
app.command("overview")(overview_cmd.overview)
app.add_typer(sandbox_cmd.app, name="sandbox")
app.add_typer(forecast_cmd.app, name="forecast")
app.add_typer(eval_cmd.app, name="eval")
app.add_typer(budget_cmd.app, name="budget")
app.add_typer(memory_cmd.app, name="memory")
app.add_typer(proposals_cmd.app, name="proposals")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(close_cmd.app, name="close")
app.add_typer(anomalies_cmd.app, name="anomalies")
app.command("chat")(chat_cmd.chat)
app.command("discuss")(discuss_cmd.discuss)
app.command("digest")(digest_cmd.digest)
app.command("serve")(serve_cmd.serve)


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
