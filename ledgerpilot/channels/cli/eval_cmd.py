"""``ledgerpilot eval ...``: score ledgerpilot's models on real books, beside simple baselines, and the agent's
answers to a set of CFO and controller questions."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import typer
from rich.table import Table

from ledgerpilot.channels.cli.console import (
    connected_client,
    console,
    json_option,
    parse_day,
    print_json,
    safe,
)
from ledgerpilot.channels.cli.sandbox_cmd import ScaleOpt, SeedOpt, TodayOpt
from ledgerpilot.channels.cli.tables import fit
from ledgerpilot.config import load_settings
from ledgerpilot.errors import ConfigError
from ledgerpilot.evals.payment_delays import PaymentDelayEvaluation

app = typer.Typer(help="Evaluate ledgerpilot's models on your books (walk-forward, beside baselines) and the "
                       "agent's answers.",
                  no_args_is_help=True)

KIND_CHOICES = {"receivable": ("receivable",), "payable": ("payable",), "all": ("receivable", "payable")}


def _date_option(value: str | None, option: str) -> dt.date | None:
    return parse_day(value, option)


def _from_odoo(as_of: dt.date | None, kinds: tuple[str, ...], start: dt.date | None,
               show_progress: bool) -> PaymentDelayEvaluation:
    from ledgerpilot.evals.payment_delays import evaluate_on_history
    from ledgerpilot.tools.cash.history import load_cash_history

    settings = load_settings()
    connection = settings.odoo.connection()
    with connected_client(connection, settings.cache_dir, show_progress) as (client, step):
        history = load_cash_history(client, progress=lambda stage: step(f"pulling {stage}"),
                                    **({"today": as_of} if as_of else {}))
        step("walking forward through the payment history")
        return evaluate_on_history(history, as_of, kinds=kinds, start=start,
                                   source=f"{history.company_name} ({connection.url}, database {connection.db})")


def _from_csv(path: Path, as_of: dt.date | None, kinds: tuple[str, ...],
              start: dt.date | None) -> PaymentDelayEvaluation:
    import csv

    from ledgerpilot.evals.payment_delay_csv import InvoiceHistoryError, read_invoice_history
    from ledgerpilot.evals.payment_delays import evaluate_payment_delays

    try:
        paid, open_items = read_invoice_history(path)
    except UnicodeDecodeError as exc:
        raise InvoiceHistoryError(f"{path}: not a UTF-8 text file (byte {exc.start} cannot be read); the history "
                                  "must be a CSV file in UTF-8") from None
    except csv.Error as exc:
        raise InvoiceHistoryError(f"{path}: not a CSV file ({exc})") from None
    except OSError as exc:
        raise InvoiceHistoryError(f"{path}: cannot be read ({exc.strerror or exc})") from None
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
    out.print(fit(table, out))
    model, due, running = (result.score(m) for m in ("model", "due_date", "running_mean"))
    ranked = sorted(result.methods, key=lambda m: (m.mae_days, m.method))
    if len(ranked) > 1:
        out.print(f"Best: {ranked[0].label}, MAE {ranked[1].mae_days - ranked[0].mae_days:.2f} days below "
                  f"'{ranked[1].label}'")
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


# ------------------------------------------------------------------------------------------------ agent


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def render_agent_eval(report) -> None:
    """The agent eval for people: the scores against their goals, per category, then every miss."""
    out = console()
    who = "offline (router + templates)" if report.mode == "offline" else f"model {safe(report.model)}"
    out.print(f"[bold]Agent answers[/] to {safe(report.questions_file)} on {safe(report.source)} as of "
              f"{report.today}: {report.questions} questions, {who}"
              + (f", {report.skipped} could not be asked (counted as failures)" if report.skipped else ""))
    table = Table()
    for column in ("measure", "result", "goal"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    goals = report.goals
    table.add_row("passed (right, facts, grounded, nothing stored)", _pct(report.pass_rate),
                  f">= {goals['pass_rate']:.0%}")
    table.add_row("right tools and arguments (or refusal)", _pct(report.right_rate), "")
    table.add_row("  of questions that need tools", _pct(report.answerable_right_rate), "")
    table.add_row("  action and out-of-scope refused", _pct(report.refusal_rate), "100%")
    table.add_row("  ... with the reads asked beside them", _pct(report.refusal_right_rate), "")
    table.add_row("proposals stored by questions", str(report.proposals_stored_by_reads), "0")
    table.add_row("routing accuracy", _pct(report.routing_accuracy), "")
    table.add_row("argument accuracy", _pct(report.argument_accuracy), "")
    table.add_row("facts stated (truth from plain queries)", _pct(report.fact_accuracy), "")
    table.add_row("name mentions", _pct(report.mention_accuracy), "")
    table.add_row(f"grounding ({report.numbers_checked:,} numbers)", _pct(report.grounding_share),
                  f">= {goals['grounding_share']:.0%}")
    table.add_row("answers grounded (with figures)", _pct(report.grounded_answers_share), "")
    table.add_row("tokens per question", f"{report.tokens_per_question:,.0f}", "")
    table.add_row("overhead p50 / p95 / max", f"{report.overhead_p50:.3f} / {report.overhead_p95:.3f} / "
                  f"{report.overhead_max:.3f} s", "")
    out.print(fit(table, out))
    categories = Table(title="by category")
    for column in ("category", "questions", "passed", "right", "facts"):
        categories.add_column(column, justify="left" if column == "category" else "right")
    for row in report.categories:
        categories.add_row(safe(row.category), str(row.questions), _pct(row.passed), _pct(row.right),
                           _pct(row.fact_accuracy))
    out.print(fit(categories, out))
    missed = [r for r in report.results if r.scored and r.misses]
    if missed:
        out.print("[bold]Misses[/]")
        for result in missed:
            for miss in result.misses:
                out.print(f"  {safe(result.id)}  {miss.kind}: {safe(miss.detail)}  [dim]({safe(miss.where)})[/]")
    if report.misses_by_module:
        out.print("Misses by module: " + "; ".join(f"{safe(where)} {count}"
                                                   for where, count in report.misses_by_module.items()))
    verdict = "[green]goals met[/]" if report.passed else "[red]goals NOT met[/]"
    out.print(f"{verdict} (exit code {0 if report.passed else 1})")


def _split_ids(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@app.command("agent")
def agent(
    demo: bool = typer.Option(True, "--demo/--odoo", help="the built-in demo company (started like `ledgerpilot "
                              "demo`) or the configured Odoo"),
    seed: int = SeedOpt,
    scale: float = ScaleOpt,
    today: str | None = TodayOpt,
    as_of: str | None = typer.Option(None, "--as-of", help="--odoo: ask as on this date (YYYY-MM-DD); default: "
                                   "today"),
    llm_base_url: str | None = typer.Option(None, "--llm-base-url", help="OpenAI-compatible endpoint to "
                                          "evaluate (overrides LEDGERPILOT_LLM_BASE_URL)"),
    llm_model: str | None = typer.Option(None, "--llm-model", help="model name the endpoint serves"),
    llm_api_key: str | None = typer.Option(None, "--llm-api-key", help="API key of the endpoint"),
    offline: bool = typer.Option(False, "--offline", help="evaluate offline mode even if a model is configured"),
    limit: int | None = typer.Option(None, "--limit", min=1, help="only the first N questions"),
    only: list[str] = typer.Option([], "--only", help="only these question ids (repeat the option or separate "
                                   "ids with commas); earlier questions of a follow-up's thread run too"),
    questions_file: Path | None = typer.Option(None, "--questions", help="another question file (format: "
                                             "docs/agent-evals.md)"),
    blind: str | None = typer.Option(None, "--blind", help="a blind set shipped with ledgerpilot, by its letter "
                                     "(ledgerpilot/evals/blind/set-<letter>.yaml)"),
    as_json: bool = json_option(),
) -> None:
    """Ask the agent the eval questions and score tools, arguments, refusals, facts, grounding and overhead.

    Offline unless a model is configured (settings or the --llm options). Exit code 1 when fewer than 95% of
    the questions pass, any number in an answer is not traceable to a tool result, or a question that did
    not ask for a proposal stored one."""
    from ledgerpilot.evals.agent import load_questions

    overrides = {name: value for name, value in (("llm_base_url", llm_base_url), ("llm_model", llm_model),
                                                 ("llm_api_key", llm_api_key)) if value is not None}
    settings = load_settings(**overrides)
    if (llm_base_url or llm_model) and not settings.llm.configured:
        raise ConfigError("a model needs both --llm-base-url and --llm-model (or LEDGERPILOT_LLM_BASE_URL and "
                          "LEDGERPILOT_LLM_MODEL)")
    if blind is not None:
        from ledgerpilot.evals.question_file import BLIND_DIR

        if questions_file is not None:
            raise ConfigError("give either --questions or --blind, not both")
        letter = blind.strip().lower()
        questions_file = BLIND_DIR / f"set-{letter}.yaml"
        if not re.fullmatch(r"[a-z0-9-]{1,20}", letter) or not questions_file.is_file():
            known = ", ".join(p.stem.removeprefix("set-") for p in sorted(BLIND_DIR.glob("set-*.yaml")))
            raise ConfigError(f"no blind set {blind[:40]!r}; the blind sets are: {known}")
    questions = load_questions(questions_file)
    ids = _split_ids(only)
    questions.select(ids, limit)          # unknown ids are a usage error before anything starts
    run = {"questions": questions, "only": ids, "limit": limit, "offline": offline}
    if demo:
        report = _agent_eval_on_demo(settings, seed, scale, _date_option(today, "--today"), not as_json, run)
    else:
        report = _agent_eval_on_odoo(settings, _date_option(as_of, "--as-of") or dt.date.today(), not as_json, run)
    if as_json:
        print_json(report.model_dump(mode="json"))
    else:
        render_agent_eval(report)
    if not report.passed:
        raise typer.Exit(1)


def _agent_eval_on(connection, settings, as_of: dt.date, source: str, cache_dir: Path, show_progress: bool,
                   run: dict):
    from ledgerpilot.evals.agent import evaluate_on_books
    from ledgerpilot.memory.audit import AuditLog

    audit = AuditLog.in_home(settings.home)
    try:
        with connected_client(connection, cache_dir, show_progress) as (client, step):
            return evaluate_on_books(client, settings, today=as_of, source=source, audit=audit,
                                     progress=lambda message, fraction: step(message, fraction), **run)
    finally:
        audit.db.close()


def _agent_eval_on_demo(settings, seed: int, scale: float, day: dt.date | None, show_progress: bool, run: dict):
    from ledgerpilot.channels.cli.console import progress_steps
    from ledgerpilot.sandbox.demo import demo_connection, demo_data_dir, demo_today, ensure_demo_data
    from ledgerpilot.sandbox.server.runner import running_sandbox

    folder = demo_data_dir(settings.home, seed, scale, day)
    with progress_steps(show_progress) as step:
        ensure_demo_data(folder, seed, scale, day, progress=lambda stage, f: step(f"building demo company: {stage}", f),
                         follow_calendar=day is None)
    as_of = demo_today(folder)
    with running_sandbox(folder) as handle:
        return _agent_eval_on(demo_connection(handle.url, "readonly"), settings, as_of,
                              f"the demo company (seed {seed}, scale {scale:g})", settings.cache_dir / "demo",
                              show_progress, run)


def _agent_eval_on_odoo(settings, as_of: dt.date, show_progress: bool, run: dict):
    connection = settings.odoo.connection()
    return _agent_eval_on(connection, settings, as_of, f"{connection.url} (database {connection.db})",
                          settings.cache_dir, show_progress, run)
