"""``ledgerpilot budget`` (and ``budget check-po``, ``budget burn``): budget monitoring.

``budget check-po`` exits 0 whatever the verdict (it is in the output: ``fits`` in ``--json``), so
scripts read the verdict rather than an exit code; a purchase order that does not exist is exit 1.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer

from ledgerpilot.channels.cli.console import connected_client, console, json_option, parse_day, print_json
from ledgerpilot.channels.cli.render_budget import (
    budget_json,
    burn_json,
    check_po_json,
    render_budget,
    render_burn,
    render_check_po,
)
from ledgerpilot.config import OdooConnection, Settings, load_settings
from ledgerpilot.tools.budget.watch import (
    BudgetOutcome,
    BudgetRequest,
    budget_request,
    check_purchase_order,
    parse_period,
    project_burndown,
    run_budget,
)

app = typer.Typer(help="Budget vs actual vs committed, risk tiers, proposals, PO checks and project burn-down.",
                  invoke_without_command=True, no_args_is_help=False)

JsonOpt = json_option()
AsOfOpt = typer.Option(None, "--as-of", help="the day to measure on (YYYY-MM-DD); default: today")
BudgetFileOpt = typer.Option(None, "--budget-file", help="budget file (CSV or YAML) for a database without a "
                                                         "budget module (default: LEDGERPILOT_BUDGET_FILE)")




def budget_with(connection: OdooConnection, settings: Settings, request: BudgetRequest, *, cache_dir: Path,
                show_progress: bool, today: dt.date | None = None) -> BudgetOutcome:
    with connected_client(connection, cache_dir, show_progress) as (client, step):
        return run_budget(client, settings.home, request, today=today, progress=lambda msg: step(f"budget: {msg}"))


@app.callback()
def budget(ctx: typer.Context,
           period: Optional[str] = typer.Option(None, "--period", help="YYYY, YYYY-Qn or YYYY-MM; default: the "
                                                                      "current budget period"),
           account: Optional[str] = typer.Option(None, "--account", help="only this analytic account (name, code "
                                                                        "or id)"),
           as_of: Optional[str] = AsOfOpt,
           budget_file: Optional[Path] = BudgetFileOpt,
           no_memory: bool = typer.Option(False, "--no-memory", help="do not search or update the memory of past "
                                                                     "exceptions"),
           as_json: bool = JsonOpt) -> None:
    """Budget vs actual vs committed per budget line, the risks, what happened last time, and proposals."""
    if ctx.invoked_subcommand is not None:
        return
    settings = load_settings()
    request = budget_request(settings, period=period, account=account, as_of=parse_day(as_of, "--as-of"),
                             budget_file=budget_file, use_memory=not no_memory)
    outcome = budget_with(settings.odoo.connection(), settings, request, cache_dir=settings.cache_dir,
                          show_progress=not as_json)
    if as_json:
        print_json(budget_json(outcome))
    else:
        render_budget(console(), outcome)


@app.command("check-po")
def check_po(name: str = typer.Argument(..., help="the purchase order's name, e.g. P00042"),
             as_of: Optional[str] = AsOfOpt,
             budget_file: Optional[Path] = BudgetFileOpt,
             as_json: bool = JsonOpt) -> None:
    """Whether a draft or confirmed purchase order fits the remaining budget of each analytic account it
    touches (exit 0 either way: the verdict is in the output; exit 1 when there is no such order)."""
    day = parse_day(as_of, "--as-of")
    settings = load_settings()
    with connected_client(settings.odoo.connection(), settings.cache_dir, not as_json) as (client, step):
        outcome = check_purchase_order(client, name, as_of=day, budget_file=budget_file or settings.budget.file,
                                       progress=lambda msg: step(f"check-po: {msg}"))
    if as_json:
        print_json(check_po_json(outcome))
    else:
        render_check_po(console(), outcome)


@app.command("burn")
def burn(project: str = typer.Argument(..., help="the project's name or id"),
         as_of: Optional[str] = AsOfOpt,
         period: Optional[str] = typer.Option(None, "--period", help="budget period to read (YYYY, YYYY-Qn, "
                                                                     "YYYY-MM); default: the year of --as-of"),
         budget_file: Optional[Path] = BudgetFileOpt,
         as_json: bool = JsonOpt) -> None:
    """Project burn-down: cost to date, committed, projected final cost vs budget, run-out date."""
    day = parse_day(as_of, "--as-of")
    if period is not None:
        parse_period(period)
    settings = load_settings()
    with connected_client(settings.odoo.connection(), settings.cache_dir, not as_json) as (client, step):
        outcome = project_burndown(client, project, as_of=day, period=period,
                                   budget_file=budget_file or settings.budget.file,
                                   progress=lambda msg: step(f"burn: {msg}"))
    if as_json:
        print_json(burn_json(outcome))
    else:
        render_burn(console(), outcome)
