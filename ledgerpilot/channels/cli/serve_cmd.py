"""``ledgerpilot serve``: the long-running process (schedule, Discuss bot, webhooks, approval page)."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack

import typer

from ledgerpilot.channels.cli.chat_cmd import DemoOpt
from ledgerpilot.channels.cli.console import parse_day
from ledgerpilot.channels.cli.sandbox_cmd import ScaleOpt, SeedOpt, TodayOpt
from ledgerpilot.config import load_settings


def serve(host: str | None = typer.Option(None, "--host", help="address to listen on (LEDGERPILOT_WEB_HOST)"),
          port: int | None = typer.Option(None, "--port", min=0, max=65535,
                                          help="port to listen on (LEDGERPILOT_WEB_PORT)"),
          demo: bool = DemoOpt, seed: int = SeedOpt, scale: float = ScaleOpt, today: str | None = TodayOpt,
          log_level: str = typer.Option("INFO", "--log-level", help="DEBUG, INFO, WARNING or ERROR")) -> None:
    """Run the schedule (digest weekly, budget watch hourly, anomaly scan every 15 minutes), the Discuss bot,
    the Odoo webhook receiver and the approval page in one process, until SIGTERM or Ctrl-C. Logs are JSON
    lines on stderr; GET /health and GET /metrics report on it."""
    from ledgerpilot.channels.serve.logs import configure_json_logging
    from ledgerpilot.channels.serve.runner import ServeApp

    configure_json_logging(log_level.upper())
    settings = load_settings()
    day = parse_day(today, "--today")
    with ExitStack() as stack:
        if demo:
            from ledgerpilot.sandbox.demo import demo_connection, demo_data_dir, demo_today, ensure_demo_data
            from ledgerpilot.sandbox.server.runner import running_sandbox

            folder = demo_data_dir(settings.home, seed, scale, day)
            ensure_demo_data(folder, seed, scale, day, follow_calendar=day is None)
            as_of = demo_today(folder)
            handle = stack.enter_context(running_sandbox(folder))
            connection, cache_dir = demo_connection(handle.url), settings.cache_dir / "demo"
            writer = connection
            today_of = lambda: as_of
        else:
            connection, cache_dir = settings.odoo.connection(), settings.cache_dir
            writer = settings.odoo.write_connection()
            today_of = (lambda: day) if day else dt.date.today
        app = ServeApp(settings=settings, connection=connection, cache_dir=cache_dir, today=today_of,
                       write_connection=writer)
        app.run(host or settings.web.host, port if port is not None else settings.web.port)
