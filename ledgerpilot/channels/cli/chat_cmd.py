"""``ledgerpilot chat [QUESTION]``: ask the agent about the books, once or in an interactive session.

Both ``chat`` and ``discuss`` need the same things: an Odoo (the configured one, or the built-in
sandbox with ``--demo``), the audit log, and an agent whose threads are remembered in
LEDGERPILOT_HOME; :func:`agent_session` sets them up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import typer

from ledgerpilot.channels.cli.console import (
    connected_client,
    console,
    error_console,
    json_option,
    parse_day,
    print_json,
    progress_steps,
    safe,
)
from ledgerpilot.channels.cli.sandbox_cmd import ScaleOpt, SeedOpt
from ledgerpilot.config import Settings, load_settings

JsonOpt = json_option()
DemoOpt = typer.Option(False, "--demo", help="run against the built-in sandbox company (as `ledgerpilot demo`)")
OfflineOpt = typer.Option(False, "--offline", help="answer offline (router + templates) even if a model is set")
TodayOpt = typer.Option(None, "--today", help="read the books as of this day (YYYY-MM-DD); with --demo, the demo "
                                              "company built for that day; default: today")


@dataclass
class AgentSession:
    client: Any            # connected OdooClient
    agent: Any             # ledgerpilot.agent.agent.Agent
    audit: Any             # AuditLog
    settings: Settings
    today: dt.date
    url: str


@contextmanager
def agent_session(settings: Settings, *, demo: bool, seed: int, scale: float, today: str | None,
                  offline: bool, show_progress: bool) -> Iterator[AgentSession]:
    """Connect (sandbox or configured Odoo), open the audit log and the agent; close all after."""
    day = parse_day(today, "--today")
    connection = None if demo else settings.odoo.connection()   # a configuration error before any work
    from ledgerpilot.agent.agent import open_agent
    from ledgerpilot.memory.audit import AuditLog

    with ExitStack() as stack:
        if demo:
            from ledgerpilot.sandbox.demo import demo_connection, demo_data_dir, demo_today, ensure_demo_data
            from ledgerpilot.sandbox.server.runner import running_sandbox

            folder = demo_data_dir(settings.home, seed, scale, day)
            with progress_steps(show_progress) as step:
                ensure_demo_data(folder, seed, scale, day, follow_calendar=day is None,
                                 progress=lambda stage, f: step(f"building demo company: {stage}", f))
            as_of = demo_today(folder)
            handle = stack.enter_context(running_sandbox(folder))
            connection = demo_connection(handle.url)
            cache_dir = settings.cache_dir / "demo"
        else:
            as_of = day or dt.date.today()
            cache_dir = settings.cache_dir
        client, _step = stack.enter_context(connected_client(connection, cache_dir, show_progress))
        audit = AuditLog.in_home(settings.home)
        stack.callback(audit.db.close)
        agent = stack.enter_context(open_agent(client, settings, today=as_of, actor=connection.user, audit=audit,
                                               offline=offline))
        yield AgentSession(client=client, agent=agent, audit=audit, settings=settings, today=as_of,
                           url=connection.url)


def company_of(session) -> str | None:
    """The name of the company whose books the session reads."""
    scope = getattr(session.client, "company", None)
    return scope.name if scope is not None else None


def show_answer(answer, as_json: bool, company: str | None = None) -> None:
    if as_json:
        print_json({"company": company, **answer.to_dict()})
        return
    out = console()
    out.print(safe(answer.text), soft_wrap=True)   # long source links stay whole
    for note in answer.notes:
        out.print(f"[dim]note: {safe(note)}[/]")
    detail = f"{answer.mode}, {answer.source}"
    if company:
        detail = f"books of {safe(company)}; {detail}"
    if answer.mode == "llm" and answer.usage is not None:
        detail += f", {answer.usage.total_tokens} tokens, model {answer.model_seconds:.1f}s"
    out.print(f"[dim]({detail}; {answer.overhead_seconds:.2f}s of own work)[/]")


def explain_route(session: AgentSession, question: str, thread: str) -> dict[str, Any]:
    """How the offline router reads ``question`` in ``thread``, step by step (docs/offline-mode.md); no tool runs."""
    import numpy as np

    from ledgerpilot.agent.question_parsing import NameIndex
    from ledgerpilot.agent.router import OfflineRouter

    agent = session.agent
    router = agent.router if isinstance(agent.router, OfflineRouter) else OfflineRouter()
    names = NameIndex.load(agent.ctx)
    history = [turn["question"] for turn in agent.history(thread)]
    plan = router.route(question, today=session.today, names=names, history=history)
    vector = np.asarray(router.embedder.encode([plan.corrected or question]), dtype=np.float32)[0]
    request = plan.request
    return {"question": question, "corrected": plan.corrected, "kind": plan.kind,
            "request": None if request is None else {"kind": request.kind, "verb": request.verb,
                                                      "family": request.family, "reason": request.reason},
            "intents": [{"intent": str(name), "probability": float(p)} for name, p in plan.intents],
            "nearest_examples": [{"intent": i, "example": e, "cosine": c}
                                 for i, e, c in router.model.nearest_examples(vector)],
            "calls": [{"tool": call.tool, "arguments": call.arguments} for call in plan.calls],
            "reason": plan.reason, "history": history}


def show_explanation(explanation: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(explanation)
        return
    out = console()
    out.print(f"[bold]{safe(explanation['question'])}[/]")
    if explanation["corrected"] and explanation["corrected"] != explanation["question"]:
        out.print(f"spelling: {safe(explanation['corrected'])}")
    out.print(f"kind: {explanation['kind']}" + (f" ({safe(explanation['request']['reason'])})"
                                                if explanation["request"] and explanation["request"]["reason"] else ""))
    out.print("intents: " + ", ".join(f"{i['intent']} {i['probability']:.2f}" for i in explanation["intents"]))
    for near in explanation["nearest_examples"]:
        out.print(f"  near {near['intent']} ({near['cosine']:.2f}): {safe(near['example'])}")
    for call in explanation["calls"]:
        out.print(f"call: {call['tool']} {safe(call['arguments'])}")
    out.print(f"why: {safe(explanation['reason'])}")


def chat(question: str | None = typer.Argument(None, help="the question; none: an interactive session"),
         thread: str = typer.Option("cli", "--thread", help="conversation thread (remembered in LEDGERPILOT_HOME)"),
         as_json: bool = JsonOpt, demo: bool = DemoOpt, offline: bool = OfflineOpt,
         seed: int = SeedOpt, scale: float = ScaleOpt, today: str | None = TodayOpt,
         explain: bool = typer.Option(False, "--explain", help="show how the offline router reads the question "
                                      "(spelling, kind of request, intents, nearest examples, calls) and run "
                                      "no tool")) -> None:
    """Ask about cash, receivables, budgets, the close, anomalies or a record; answers cite their records.

    With a model configured (LEDGERPILOT_LLM_BASE_URL and LEDGERPILOT_LLM_MODEL) it writes the answer,
    every number checked against the books; otherwise it answers offline from templates."""
    settings = load_settings()
    if explain and question is None:
        raise typer.BadParameter("--explain needs a question")
    with agent_session(settings, demo=demo, seed=seed, scale=scale, today=today, offline=offline or explain,
                       show_progress=not as_json) as session:
        asker = session.client.connection.user
        if explain:
            show_explanation(explain_route(session, question, thread), as_json)
            return
        if question is not None:
            show_answer(session.agent.ask(question, thread_id=thread, asker=asker), as_json, company_of(session))
            return
        _interactive(session, thread, asker, as_json)


def _interactive(session: AgentSession, thread: str, asker: str, as_json: bool) -> None:
    from ledgerpilot.errors import LedgerpilotError

    if not as_json:
        company = company_of(session)
        books = f"{safe(company)} at {safe(session.url)}" if company else safe(session.url)
        console().print(f"Ask about the books of {books} (thread {safe(thread)}, "
                        f"{session.agent.mode} mode). Empty line or Ctrl-D to leave.")
    while True:
        try:
            line = input("" if as_json else "? ")
        except EOFError:
            break
        if not line.strip() or line.strip().lower() in ("exit", "quit"):
            break
        try:
            show_answer(session.agent.ask(line, thread_id=thread, asker=asker), as_json, company_of(session))
        except LedgerpilotError as exc:
            error_console().print(f"[bold red]error:[/] {safe(exc)}")
