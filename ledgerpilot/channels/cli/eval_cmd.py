"""``ledgerpilot eval ...``: score ledgerpilot's models on real books, beside simple baselines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.table import Table

from ledgerpilot.channels.cli.console import connected_client, console, json_option, print_json, safe
from ledgerpilot.config import load_settings
from ledgerpilot.errors import ConfigError
from ledgerpilot.evals.payment_delays import PaymentDelayEvaluation

app = typer.Typer(help="Evaluate ledgerpilot's models on your books (walk-forward, beside baselines).",
                  no_args_is_help=True)

KIND_CHOICES = {"receivable": ("receivable",), "payable": ("payable",), "all": ("receivable", "payable")}


def _date_option(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} must be a date as YYYY-MM-DD, not {value!r}") from None


def _from_odoo(as_of: dt.date | None, kinds: tuple[str, ...], start: dt.date | None,
               show_progress: bool) -> PaymentDelayEvaluation:
    from ledgerpilot.evals.payment_delays import evaluate_on_history
    from ledgerpilot.tools.cash_history import load_cash_history

    settings = load_settings()
    connection = settings.odoo_connection()
    with connected_client(connection, settings.cache_dir, show_progress) as (client, step):
        history = load_cash_history(client, progress=lambda stage: step(f"pulling {stage}"),
                                    **({"today": as_of} if as_of else {}))
        step("walking forward through the payment history")
        return evaluate_on_history(history, as_of, kinds=kinds, start=start,
                                   source=f"{history.company_name} ({connection.url}, database {connection.db})")


def _from_csv(path: Path, as_of: dt.date | None, kinds: tuple[str, ...],
              start: dt.date | None) -> PaymentDelayEvaluation:
    from ledgerpilot.evals.payment_delay_csv import read_invoice_history
    from ledgerpilot.evals.payment_delays import evaluate_payment_delays

    paid, open_items = read_invoice_history(path)
    return evaluate_payment_delays(paid, open_items, kinds=kinds, start=start, as_of=as_of, source=str(path))


def render_evaluation(result: PaymentDelayEvaluation) -> None:
    out = console()
    kinds = " and ".join("customer invoices" if k == "receivable" else "vendor bills" for k in result.kinds)
    out.print(f"[bold]Payment delays[/] of {safe(result.source)}: {kinds} dated {result.start} to {result.end}")
    out.print(f"{result.invoices:,} paid invoices of {result.partners:,} partners, each predicted only from what "
              f"was known before its invoice date ({result.refits} monthly refits)")
    table = Table()
    table.add_column("method")
    table.add_column("MAE (days)", justify="right")
    table.add_column("within ±7 days", justify="right")
    table.add_column("bias (days)", justify="right")
    table.add_column("invoices", justify="right")
    best = result.best
    for score in result.methods:
        name = f"[bold]{score.label}[/]" if score.method == best else score.label
        table.add_row(name, f"{score.mae_days:.2f}", f"{score.within_7_days:.1%}", f"{score.bias_days:+.2f}",
                      f"{score.invoices:,}")
    out.print(table)
    model, due, running = (result.score(m) for m in ("model", "due_date", "running_mean"))
    for baseline in (due, running):
        if baseline.mae_days > 0:
            change = 1 - model.mae_days / baseline.mae_days
            word = "lower" if change >= 0 else "higher"
            out.print(f"model MAE {abs(change):.0%} {word} than '{baseline.label}'")


@app.command("payment-delays")
def payment_delays(
    csv_file: Path | None = typer.Option(None, "--csv", help="invoice history CSV: partner, invoice_date, "
                                            "due_date, amount, paid_date (see docs/payment-delays.md)"),
    as_json: bool = json_option(),
    as_of: str | None = typer.Option(None, "--as-of", help="evaluate on the books as known on this date "
                                        "(YYYY-MM-DD); default: today"),
    kind: str = typer.Option("receivable", "--kind", help="receivable (customer invoices), payable (vendor "
                             "bills) or all"),
    start: str | None = typer.Option(None, "--from", help="first invoice date scored (YYYY-MM-DD); default: "
                                        "three months after the history begins"),
) -> None:
    """Score the payment-behaviour model walking forward in time, beside two baselines."""
    if kind not in KIND_CHOICES:
        raise ConfigError(f"--kind must be one of {', '.join(KIND_CHOICES)}, not {kind!r}")
    day = _date_option(as_of, "--as-of")
    first = _date_option(start, "--from")
    if csv_file is not None:
        result = _from_csv(csv_file, day, KIND_CHOICES[kind], first)
    else:
        result = _from_odoo(day, KIND_CHOICES[kind], first, show_progress=not as_json)
    if as_json:
        print_json(result.model_dump(mode="json") | {"best": result.best})
    else:
        render_evaluation(result)
