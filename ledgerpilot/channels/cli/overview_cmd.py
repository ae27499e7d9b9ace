"""``ledgerpilot overview`` (the configured Odoo) and ``ledgerpilot demo`` (the built-in sandbox)."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import typer

from ledgerpilot.channels.cli.console import (
    connected_client,
    console,
    json_option,
    parse_day,
    print_json,
    progress_steps,
)
from ledgerpilot.channels.cli.forecast_cmd import write_chart
from ledgerpilot.channels.cli.render_anomalies import demo_json, render_demo_anomalies
from ledgerpilot.channels.cli.render_budget import DEMO_RISKS_SHOWN, budget_json, render_demo_budget
from ledgerpilot.channels.cli.render_close import render_checklist
from ledgerpilot.channels.cli.render_forecast import forecast_json, render_forecast
from ledgerpilot.channels.cli.render_overview import render_overview
from ledgerpilot.channels.cli.sandbox_cmd import ScaleOpt, SeedOpt, TodayOpt
from ledgerpilot.config import OdooConnection, load_settings
from ledgerpilot.sandbox.demo import demo_connection, demo_data_dir, demo_today, ensure_demo_data
from ledgerpilot.tools.ledger.overview import CompanyOverview, company_overview

JsonOpt = json_option()
AsOfOpt = typer.Option(None, "--as-of", help="date of the overview (YYYY-MM-DD); default: today")


def _overview_of(connection: OdooConnection, as_of: dt.date, cache_dir, show_progress: bool) -> CompanyOverview:
    with connected_client(connection, cache_dir, show_progress) as (client, step):
        return company_overview(client, as_of, progress=lambda msg: step(f"pulling {msg}"))


def _show(result: CompanyOverview, as_json: bool) -> None:
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        render_overview(console(), result)


def overview(as_json: bool = JsonOpt, as_of: Optional[str] = AsOfOpt) -> None:
    """Company overview of the configured Odoo: bank, ageing, open orders, volume."""
    settings = load_settings()
    connection = settings.odoo.connection()
    day = parse_day(as_of, "--as-of") or dt.date.today()
    _show(_overview_of(connection, day, settings.cache_dir, show_progress=not as_json), as_json)


def demo(seed: int = SeedOpt, scale: float = ScaleOpt, today: Optional[str] = TodayOpt,
         as_json: bool = JsonOpt,
         rebuild: bool = typer.Option(False, "--rebuild", help="rebuild the demo company first")) -> None:
    """Run ledgerpilot against the built-in sandbox company, exactly as against a real Odoo: the overview,
    the cash forecast (chart in LEDGERPILOT_HOME/demo-forecast.png), the budget risks of the current
    period with the proposals they call for, the close readiness of the current month, the riskiest
    anomalies found in the books, and finally the weekly digest written to a file."""
    from ledgerpilot.sandbox.server.runner import running_sandbox

    settings = load_settings()
    day = parse_day(today, "--today")
    folder = demo_data_dir(settings.home, seed, scale, day)
    with progress_steps(not as_json) as step:
        ensure_demo_data(folder, seed, scale, day, progress=lambda stage, f: step(f"building demo company: {stage}", f),
                         rebuild=rebuild, follow_calendar=day is None)
    as_of = demo_today(folder)
    with running_sandbox(folder) as handle:
        if not as_json:
            console().print(f"sandbox running at {handle.url} (database {handle.db}, user admin)")
        connection = demo_connection(handle.url)
        result = _overview_of(connection, as_of, settings.cache_dir / "demo", show_progress=not as_json)
        if not as_json:
            _show(result, as_json)
        outcome = _demo_forecast(connection, settings, as_of, show_progress=not as_json)
        budget = _demo_budget(connection, settings, as_of, show_progress=not as_json)
        close = _demo_close(connection, settings, as_of, show_progress=not as_json)
        anomalies = _demo_anomalies(connection, settings, as_of, show_progress=not as_json)
        digest = _demo_digest(connection, settings, as_of, show_progress=not as_json)
    chart = write_chart(outcome, settings.home / DEMO_CHART)
    approval_url = settings.web.url + "/proposals"
    if as_json:
        print_json({**result.model_dump(mode="json"), "forecast": forecast_json(outcome, chart),
                    "budget": budget_json(budget, top=DEMO_RISKS_SHOWN), "close": close,
                    "anomalies": demo_json(anomalies),
                    "digest": {"html": str(digest.saved.html), "eml": str(digest.saved.eml),
                               "grounding_share": digest.digest.grounding_share},
                    "approval_page": approval_url})
    else:
        console().print("")
        render_forecast(console(), outcome, chart)
        console().print("")
        render_demo_budget(console(), budget)
        console().print("")
        render_checklist(console(), close["month"], result.company.name, close["checklist"], close["findings"])
        console().print("The whole close (bank matches, accruals, approvals, lock date, report): "
                        "`ledgerpilot close run --period YYYY-MM` against an Odoo (docs/close.md).")
        console().print("")
        render_demo_anomalies(console(), anomalies)
        console().print("")
        console().print(f"[bold]Weekly digest[/] written to {digest.saved.html} (open it in a browser; the e-mail "
                        f"itself is {digest.saved.eml.name}; `ledgerpilot digest --send` mails it).")
        items, waiting = _queue_size(settings.home)
        console().print(f"[bold]Approval page[/]: `ledgerpilot serve --demo` serves it at {approval_url} "
                        f"({items} item{'s' if items != 1 else ''} waiting, {waiting} proposal"
                        f"{'s' if waiting != 1 else ''}; sign in as controller/controller).")


def _queue_size(home) -> tuple[int, int]:
    """(items, proposals) waiting in the approval queue: an anomaly's note and activity are one item."""
    from ledgerpilot.memory import ProposalStore, StateDB

    with StateDB.in_home(home) as db:
        store = ProposalStore(db)
        return store.count_findings(state="proposed"), store.count(state="proposed")


DEMO_CHART = "demo-forecast.png"


def _demo_close(connection: OdooConnection, settings, as_of: dt.date, show_progress: bool) -> dict:
    """The close checks of the demo company's current month (read-only: nothing proposed or stored)."""
    from ledgerpilot.calc.close.config import CloseConfig
    from ledgerpilot.domain.month import Month
    from ledgerpilot.graphs.close_summary import checklist_summary
    from ledgerpilot.tools.close.own_entries import approved_entries_in_home
    from ledgerpilot.tools.close.review import check_month

    month = Month.of(as_of)
    with connected_client(connection, settings.cache_dir / "demo", show_progress) as (client, step):
        step(f"close readiness of {month}")
        checklist = check_month(client, month, today=as_of, config=CloseConfig.from_settings(settings),
                                own_entries=approved_entries_in_home(settings.home))
    return {"month": month.label, "checklist": checklist_summary(checklist),
            "findings": [f.model_dump(mode="json") for f in checklist.findings]}


def _demo_anomalies(connection: OdooConnection, settings, as_of: dt.date, show_progress: bool):
    """A full anomaly scan of the demo company (findings and proposals stored like any scan's). The alert
    assignees configured for a real Odoo are not users of the demo company, so they are left out."""
    from ledgerpilot.tools.anomalies.scan import scan_anomalies

    demo_settings = settings.updated(anomaly_ap_user=None, anomaly_inventory_user=None, anomaly_gl_user=None)
    with connected_client(connection, settings.cache_dir / "demo", show_progress) as (client, step):
        return scan_anomalies(client, settings.home, today=as_of, settings=demo_settings,
                              progress=lambda message: step(f"anomalies: {message}"))


def _demo_digest(connection: OdooConnection, settings, as_of: dt.date, show_progress: bool):
    """The weekly digest of the demo company, written offline to LEDGERPILOT_HOME/digests/ (not sent)."""
    from ledgerpilot.agent.agent import open_agent
    from ledgerpilot.channels.digest.run import make_digest

    with connected_client(connection, settings.cache_dir / "demo", show_progress) as (client, step):
        step("writing the weekly digest")
        with open_agent(client, settings, today=as_of, offline=True) as agent:
            return make_digest(agent, settings, out=settings.home / "digests")


def _demo_forecast(connection: OdooConnection, settings, as_of: dt.date, show_progress: bool):
    """The cash forecast of the demo company from its own today, with the configured levels."""
    from ledgerpilot.channels.cli.forecast_cmd import forecast_with
    from ledgerpilot.tools.cash.forecast import ForecastRequest

    request = ForecastRequest(
        as_of=as_of,
        threshold=None if settings.cash.threshold is None else repr(settings.cash.threshold),
        surplus_level=None if settings.cash.surplus_level is None else repr(settings.cash.surplus_level))
    return forecast_with(connection, settings, request, cache_dir=settings.cache_dir / "demo", today=as_of,
                         show_progress=show_progress)


def _demo_budget(connection: OdooConnection, settings, as_of: dt.date, show_progress: bool):
    """The budget status of the demo company's current period, with the configured thresholds."""
    from ledgerpilot.channels.cli.budget_cmd import budget_with
    from ledgerpilot.tools.budget.watch import budget_request

    request = budget_request(settings, as_of=as_of)
    return budget_with(connection, settings, request, cache_dir=settings.cache_dir / "demo",
                       show_progress=show_progress, today=as_of)
