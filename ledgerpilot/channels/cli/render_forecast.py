"""Tables and JSON for the forecast, backtest and compare commands (no computation here)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from ledgerpilot.channels.cli.console import print_proposals, safe
from ledgerpilot.channels.cli.tables import fit
from ledgerpilot.domain.money import format_amount
from ledgerpilot.tools.cash.forecast import BacktestOutcome, ComparisonOutcome, ForecastOutcome

TOP_DRIVERS_SHOWN = 3


def _m(value: Decimal | None) -> str:
    return "-" if value is None else format_amount(value, 2)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


# ------------------------------------------------------------------------------------------- forecast


def forecast_json(outcome: ForecastOutcome, chart: str | None = None) -> dict[str, Any]:
    """The machine form: summary keys first, then the full forecast (days, weeks, flows)."""
    f = outcome.forecast
    return {
        "run_id": outcome.run_id,
        "company": outcome.company,
        "currency": f.currency,
        "as_of": f.as_of.isoformat(),
        "weeks": f.weeks,
        "odoo": {"url": outcome.odoo_url, "db": outcome.odoo_db},
        "inputs_hash": outcome.inputs_hash,
        "opening_balance": str(f.opening_balance),
        "threshold": None if f.threshold is None else str(f.threshold),
        "surplus_level": None if outcome.surplus_level is None else str(outcome.surplus_level),
        "lowest": {"balance": str(f.lowest_balance), "date": f.lowest_date.isoformat(),
                   "p10": str(f.lowest_p10), "p10_date": f.lowest_p10_date.isoformat()},
        "breaches": [w.index for w in f.breaches],
        "weekly": [w.model_dump(mode="json") for w in f.weeks_rows],
        "assumptions": list(f.assumptions),
        "scenarios": [{"kind": s.scenario.kind, "scenario": s.scenario.model_dump(mode="json"),
                       "description": s.description, "lowest_balance": str(s.forecast.lowest_balance),
                       "lowest_date": s.forecast.lowest_date.isoformat(),
                       "lowest_difference": str(s.lowest_difference), "ending_difference": str(s.ending_difference),
                       "weeks": [w.model_dump(mode="json") for w in s.weeks],
                       "affected": [a.model_dump(mode="json") for a in s.affected]}
                      for s in outcome.scenarios],
        "proposals": [p.model_dump(mode="json") for p in outcome.proposals],
        "new_proposals": outcome.new_proposals,
        "notes": list(outcome.notes),
        "timings": outcome.timings.model_dump(mode="json"),
        "chart": chart,
        "forecast": f.model_dump(mode="json"),
    }


def render_forecast(out: Console, outcome: ForecastOutcome, chart: str | None = None) -> None:
    f = outcome.forecast
    cur = f.currency
    out.print(f"[bold]Cash forecast[/] {safe(outcome.company)}: {f.weeks} weeks from {f.as_of} ({cur}), "
              f"opening balance {_m(f.opening_balance)}")
    table = Table(title="Weekly projection (expected closing, with the simulated P10-P90 band)", title_justify="left")
    for name in ("Week", "From", "Opening", "In", "Out", "Closing", "P10", "P90", ""):
        table.add_column(name, justify="left" if name in ("Week", "From", "") else "right")
    for w in f.weeks_rows:
        table.add_row(str(w.index), str(w.start), _m(w.opening), _m(w.inflows), _m(w.outflows), _m(w.closing),
                      _m(w.p10), _m(w.p90), "[red]below threshold[/]" if w.below_threshold else "")
    out.print(fit(table, out))
    out.print(f"Lowest point: [bold]{_m(f.lowest_balance)} {cur}[/] on {f.lowest_date} "
              f"(P10: {_m(f.lowest_p10)} on {f.lowest_p10_date})")
    if f.threshold is None:
        out.print("No safety threshold set (--threshold or LEDGERPILOT_CASH_THRESHOLD).")
    elif f.breaches:
        out.print(f"[red]Breaches[/]: weeks {', '.join(str(w.index) for w in f.breaches)} fall below the threshold "
                  f"of {_m(f.threshold)} {cur}.")
    else:
        out.print(f"No week falls below the threshold of {_m(f.threshold)} {cur}.")

    out.print("\n[bold]Drivers[/] (the records moving each week most, with the amount expected that week)")
    for w in f.weeks_rows:
        if not w.drivers:
            continue
        parts = [f"{safe(d.source_name)}"
                 + (f" ({safe(d.partner_name)})" if d.partner_name and d.partner_name not in d.source_name else "")
                 + f" {d.week_amount:+,.2f}" for d in w.drivers[:TOP_DRIVERS_SHOWN]]
        out.print(f"  week {w.index}: " + "; ".join(parts))

    out.print("\n[bold]Assumptions[/]")
    for line in f.assumptions:
        out.print(f"  - {safe(line)}")

    for s in outcome.scenarios:
        out.print(f"\n[bold]Scenario[/]: {safe(s.description)}: lowest point {_m(s.forecast.lowest_balance)} on "
                  f"{s.forecast.lowest_date} ({s.lowest_difference:+,.2f} vs base), ending balance "
                  f"{s.ending_difference:+,.2f} vs base")
        diff = Table(show_header=True)
        for name in ("Week", "Base closing", "Scenario closing", "Difference"):
            diff.add_column(name, justify="right")
        for w in s.weeks:
            diff.add_row(str(w.index), _m(w.base_closing), _m(w.scenario_closing), f"{w.closing_difference:+,.2f}")
        out.print(fit(diff, out))

    out.print("")
    print_proposals(out, outcome.proposals, outcome.new_proposals,
                    "the forecast calls for no payment or follow-up under the configured levels.")
    for note in outcome.notes:
        out.print(f"Note: {safe(note)}")
    out.print(f"Run {outcome.run_id} saved (compare it later with `ledgerpilot forecast compare {outcome.run_id}`). "
              f"Extraction {outcome.timings.extraction_seconds:.2f}s, computation "
              f"{outcome.timings.compute_seconds:.2f}s.")
    if chart:
        out.print(f"Chart written to {chart}")


# ------------------------------------------------------------------------------------------- backtest


def backtest_json(outcome: BacktestOutcome) -> dict[str, Any]:
    r = outcome.result
    return {"run_id": outcome.run_id, "company": outcome.company, "currency": r.currency, "weeks": r.weeks,
            "cuts": [c.isoformat() for c in r.cuts], "skipped_cuts": list(r.skipped_cuts),
            "variants": [v.model_dump(mode="json") for v in r.variants],
            "rows": [row.model_dump(mode="json") for row in r.rows],
            "timings": outcome.timings.model_dump(mode="json")}


def render_backtest(out: Console, outcome: BacktestOutcome) -> None:
    r = outcome.result
    cuts = f"{r.cuts[0]} to {r.cuts[-1]}" if r.cuts else "none"
    out.print(f"[bold]Backtest[/] {safe(outcome.company)}: {len(r.cuts)} cut dates ({cuts}), {r.weeks}-week horizon, "
              f"{r.currency}")
    table = Table(title="Forecast variants side by side", title_justify="left")
    for name in ("Variant", "What it includes", "Weekly net WAPE", "Ending balance MAE", "Inside P10-P90",
                 "Weeks"):
        table.add_column(name, justify="left" if name in ("Variant", "What it includes") else "right")
    for v in r.variants:
        table.add_row(v.variant, v.description, _pct(v.wape),
                      _m(v.ending_balance_mae),
                      _pct(v.band_coverage), str(v.weeks_scored))
    out.print(fit(table, out))
    wape = {v.variant: v.wape for v in r.variants}
    if wape.get("model") is not None:
        own_gain = "the same forecast without the delay model: the model's own gain"
        for baseline, words in (("due_date", "the due-date baseline (no orders, no recurring flows)"),
                                ("due_date_recurring", own_gain)):
            if wape.get(baseline):
                gain = 1 - wape["model"] / wape[baseline]
                out.print(f"Model WAPE {abs(gain):.0%} {'lower' if gain >= 0 else 'higher'} than {words}")
    for skipped in r.skipped_cuts:
        out.print(f"Skipped {safe(skipped)}")
    out.print(f"Run {outcome.run_id} saved. Extraction {outcome.timings.extraction_seconds:.2f}s, computation "
              f"{outcome.timings.compute_seconds:.2f}s.")


# -------------------------------------------------------------------------------------------- compare


def compare_json(outcome: ComparisonOutcome) -> dict[str, Any]:
    return {"run_id": outcome.run_id, "company": outcome.company, **outcome.comparison.model_dump(mode="json")}


def render_compare(out: Console, outcome: ComparisonOutcome) -> None:
    c = outcome.comparison
    out.print(f"[bold]Forecast {c.run_id}[/] of {safe(outcome.company)} from {c.as_of} against the books of "
              f"{c.observed_through} ({c.currency})")
    table = Table(title="Predicted vs actual", title_justify="left")
    for name in ("Week", "From", "Predicted net", "Actual net", "Error", "Predicted closing", "Actual closing",
                 "In P10-P90", ""):
        table.add_column(name, justify="left" if name in ("Week", "From", "") else "right")
    for w in c.weeks:
        table.add_row(str(w.index), str(w.start), _m(w.predicted_net), _m(w.actual_net), f"{w.error:+,.2f}",
                      _m(w.predicted_closing), _m(w.actual_closing), "yes" if w.inside_band else "no",
                      "" if w.complete else "in progress")
    out.print(fit(table, out))
    out.print(f"Complete weeks: {c.complete_weeks}; weekly net WAPE {_pct(c.wape)}; ending balance error "
              f"{'-' if c.ending_error is None else f'{c.ending_error:+,.2f}'}; inside the band "
              f"{_pct(c.band_coverage)}")
    if c.misses:
        misses = Table(title="Biggest misses", title_justify="left")
        for name in ("Record", "Partner", "Predicted", "Missed", "What happened"):
            misses.add_column(name, justify="right" if name in ("Predicted", "Missed") else "left")
        for m in c.misses:
            misses.add_row(f"{safe(m.source_name)} ({m.source_model} {m.source_id})", safe(m.partner_name),
                           _m(m.predicted_amount), _m(m.missed), safe(m.reason))
        out.print(fit(misses, out))
    else:
        out.print("No invoice or bill missed its predicted week.")
    for note in c.notes:
        out.print(f"Note: {safe(note)}")
