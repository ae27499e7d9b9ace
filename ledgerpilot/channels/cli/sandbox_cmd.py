"""``ledgerpilot sandbox ...``: build and serve the built-in Odoo-compatible sandbox."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Optional

import typer

from ledgerpilot.channels.cli.console import console, finite_number, parse_day, progress_steps, safe
from ledgerpilot.config import load_settings
from ledgerpilot.errors import ConfigError
from ledgerpilot.sandbox.demo import DEMO_DB, DEMO_USERS, demo_data_dir, ensure_demo_data

app = typer.Typer(help="The built-in Odoo-compatible sandbox (17.0, or 19.0 with --serie) with a seeded demo "
                       "database of two companies.", no_args_is_help=True)

SeedOpt = typer.Option(7, "--seed", help="seed of the demo company (same seed, same books)")
ScaleOpt = typer.Option(1.0, "--scale", min=0.05, max=200.0, callback=finite_number("--scale"),
                        help="volume multiplier: 1 is about 50,000 journal items, 20 over 1M")
TodayOpt = typer.Option(None, "--today", help="the demo's 'today' (YYYY-MM-DD); default: the real date")
DataDirOpt = typer.Option(None, "--data-dir", help="folder of the sandbox database (default: under LEDGERPILOT_HOME)")
RegimeOpt = typer.Option("standard", "--regime", help="kind of customer base: standard, late_market, fragmented, "
                         "batch_payers, or drawn (the seed picks one); see docs/sandbox.md")




def resolve_data_dir(data_dir: Optional[Path], seed: int, scale: float, today: dt.date | None,
                     regime: str = "standard") -> tuple[Path, bool]:
    """The sandbox folder, and whether it follows the calendar (the default folder without --today)."""
    check_regime(regime)
    if data_dir is not None:
        return data_dir, False
    return demo_data_dir(load_settings().home, seed, scale, today, regime), today is None


def check_regime(regime: str) -> None:
    from ledgerpilot.sandbox.generator.regimes import DRAWN, REGIMES

    if regime != DRAWN and regime not in REGIMES:
        raise ConfigError(f"--regime must be one of {', '.join(REGIMES)} or {DRAWN}, not {regime!r}")


@app.command("build")
def build(seed: int = SeedOpt, scale: float = ScaleOpt, today: Optional[str] = TodayOpt,
          data_dir: Optional[Path] = DataDirOpt, regime: str = RegimeOpt,
          force: bool = typer.Option(False, "--force", help="rebuild even if the database exists")) -> None:
    """Build the demo company's database (and its ground truth) without serving it."""
    day = parse_day(today, "--today")
    folder, follow = resolve_data_dir(data_dir, seed, scale, day, regime)
    with progress_steps() as step:
        ensure_demo_data(folder, seed, scale, day, progress=lambda stage, f: step(f"building: {stage}", f),
                         rebuild=force, follow_calendar=follow, regime=regime)
    console().print(f"demo company ready in {safe(folder)}")


@app.command("start")
def start(port: int = typer.Option(8069, "--port", min=0, max=65535, help="port to listen on (0: any free port)"),
          host: str = typer.Option("127.0.0.1", "--host", help="address to bind (keep it on localhost)"),
          seed: int = SeedOpt, scale: float = ScaleOpt, today: Optional[str] = TodayOpt,
          data_dir: Optional[Path] = DataDirOpt, regime: str = RegimeOpt,
          faults: Optional[str] = typer.Option(None, "--faults", help='fault injection as JSON, e.g. {"latency_ms": 50}'),
          allow_fault_control: bool = typer.Option(False, "--allow-fault-control",
                                                   help="accept POST /sandbox/faults to change faults at run time"),
          serie: str = typer.Option("17.0", "--serie", help="the Odoo version to play: 17.0, or 19.0 (its schemas and "
                                                           "field names; /jsonrpc and /xmlrpc log their deprecation)"),
          legacy_rpc: bool = typer.Option(True, "--legacy-rpc/--no-legacy-rpc",
                                          help="serve /jsonrpc and /xmlrpc (off: 404, only JSON-2 and the /web routes)")
          ) -> None:
    """Serve the sandbox over HTTP (JSON-RPC, XML-RPC, web session routes, JSON-2) until Ctrl-C."""
    from ledgerpilot.sandbox.registry import SERIES
    from ledgerpilot.sandbox.server.faults import FaultConfig
    from ledgerpilot.sandbox.server.runner import SandboxHandle, serve

    if serie not in SERIES:
        raise ConfigError(f"--serie must be one of {', '.join(SERIES)}, not {serie!r}")
    day = parse_day(today, "--today")
    folder, follow = resolve_data_dir(data_dir, seed, scale, day, regime)
    fault_config = None
    if faults:
        try:
            fault_config = FaultConfig(**json.loads(faults))
        except (ValueError, TypeError, RecursionError) as exc:
            raise ConfigError(f"--faults is not a valid fault configuration: {exc}") from exc
    with progress_steps() as step:
        ensure_demo_data(folder, seed, scale, day, progress=lambda stage, f: step(f"building: {stage}", f),
                         follow_calendar=follow, regime=regime)

    def ready(handle: SandboxHandle) -> None:
        out = console()
        out.print(f"sandbox playing Odoo {serie} at [bold]{safe(handle.url)}[/] database [bold]{DEMO_DB}[/] "
                  f"from {safe(folder)}")
        for login, role in DEMO_USERS.items():
            out.print(f"  user {login} / password {login}: {role}")
        if serie != "17.0":
            key = handle.service.create_api_key(handle.service.login(handle.db, "admin", "admin"), "sandbox start")
            out.print(f"  API key of admin (JSON-2 takes no password): {key}")
        if not legacy_rpc:
            out.print("  /jsonrpc and /xmlrpc are switched off (404)")
        out.print("Ctrl-C stops it.")

    serve(folder, host=host, port=port, faults=fault_config, allow_fault_control=allow_fault_control,
          on_ready=ready, serie=serie, legacy_rpc=legacy_rpc)
