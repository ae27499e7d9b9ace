"""``ledgerpilot digest``: the weekly narrative digest — always saved, optionally mailed and posted to Discuss."""

from __future__ import annotations

from pathlib import Path

import typer

from ledgerpilot.channels.cli.chat_cmd import DemoOpt, OfflineOpt, agent_session
from ledgerpilot.channels.cli.console import console, json_option, print_json, safe
from ledgerpilot.channels.cli.sandbox_cmd import ScaleOpt, SeedOpt, TodayOpt
from ledgerpilot.config import load_settings

JsonOpt = json_option()


def digest(send: bool = typer.Option(False, "--send", help="send it by SMTP (LEDGERPILOT_SMTP_*)"),
           to: list[str] | None = typer.Option(None, "--to", help="recipient (repeatable); default: "
                                                                     "LEDGERPILOT_DIGEST_TO"),
           out: Path | None = typer.Option(None, "--out", help="where to save the copy (.html, or a folder); "
                                                                 "default: LEDGERPILOT_HOME/digests/"),
           post_to: str | None = typer.Option(None, "--post-to", help="also post it to this Discuss channel "
                                                                        "(default: LEDGERPILOT_DIGEST_CHANNEL)"),
           as_json: bool = JsonOpt, demo: bool = DemoOpt, offline: bool = OfflineOpt,
           seed: int = SeedOpt, scale: float = ScaleOpt, today: str | None = TodayOpt) -> None:
    """The weekly digest for leadership: cash outlook with its chart, budget risks, close status, new
    anomalies and proposals waiting for approval, each a short narrative whose every number comes from
    the books. A copy is always saved (.html and .eml); --send mails it, --post-to posts it to Discuss."""
    from ledgerpilot.channels.digest.run import make_digest

    settings = load_settings()
    recipients = list(to or settings.digest.to)
    with agent_session(settings, demo=demo, seed=seed, scale=scale, today=today, offline=offline,
                       show_progress=not as_json) as session:
        outcome = make_digest(session.agent, settings, out=out or settings.home / "digests", send=send,
                              recipients=recipients, channel=post_to or settings.digest.channel)
    if as_json:
        print_json(outcome.to_dict())
        return
    show_outcome(outcome)


def show_outcome(outcome) -> None:
    out = console()
    out.print(f"digest of {safe(outcome.digest.company)} for {outcome.digest.as_of}: {len(outcome.digest.sections)} "
              f"sections, made in {outcome.digest.seconds:.1f} s")
    out.print(f"saved: {outcome.saved.html} (and {outcome.saved.eml.name})")
    if outcome.sent_to:
        out.print(f"sent to {', '.join(safe(r) for r in outcome.sent_to)}")
    if outcome.posted_message_id:
        out.print(f"posted to Discuss (message {outcome.posted_message_id})")
    for problem in outcome.problems:
        out.print(f"[yellow]not delivered:[/] {safe(problem)}")
