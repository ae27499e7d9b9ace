"""``ledgerpilot discuss``: run the Discuss bot on a channel (until Ctrl-C, or one poll with ``--once``)."""

from __future__ import annotations

import signal
import threading

import typer

from ledgerpilot.channels.cli.chat_cmd import DemoOpt, OfflineOpt, TodayOpt, agent_session
from ledgerpilot.channels.cli.console import console, json_option, print_json, safe
from ledgerpilot.channels.cli.sandbox_cmd import ScaleOpt, SeedOpt
from ledgerpilot.config import load_settings

JsonOpt = json_option()


ChannelOpt = typer.Option(None, "--channel",
                          help="Discuss channel to watch (default: LEDGERPILOT_DISCUSS_CHANNEL, 'finance')")
OnceOpt = typer.Option(False, "--once", help="answer what is new, then exit (for cron or a script)")
IgnoreLoginOpt = typer.Option(None, "--ignore-login",
                              help="login of another bot whose messages are never answered (repeatable)")


def discuss(channel: str | None = ChannelOpt, once: bool = OnceOpt,
            ignore_login: list[str] | None = IgnoreLoginOpt,
            as_json: bool = JsonOpt, demo: bool = DemoOpt, offline: bool = OfflineOpt,
            seed: int = SeedOpt, scale: float = ScaleOpt, today: str | None = TodayOpt) -> None:
    """Answer the questions people post in an Odoo Discuss channel, in the channel (docs/discuss.md).

    The bot posts as the configured Odoo user, answers only active internal users (never itself or
    other bots), and remembers the last message it handled across restarts."""
    from ledgerpilot.channels.discuss import DiscussBot
    from ledgerpilot.memory.discuss_cursors import DiscussCursors

    settings = load_settings()
    name = channel or settings.discuss.channel
    with agent_session(settings, demo=demo, seed=seed, scale=scale, today=today, offline=offline,
                       show_progress=not as_json) as session:
        bot = DiscussBot(session.client, session.agent, channel_name=name, cursor_store=DiscussCursors(session.audit.db),
                         poll_seconds=settings.discuss.poll_seconds, ignore_logins=ignore_login or ())
        if once:
            result = bot.poll_once()
            if as_json:
                print_json({"channel": name, "channel_id": bot.channel_id, "model": bot.channel_model,
                            "cursor": bot.cursor,
                            "handled": [{"message_id": h.message_id, "author": h.author, "action": h.action,
                                         "reason": h.reason, "reply_id": h.reply_id} for h in result.handled]})
            else:
                console().print(f"#{safe(name)}: {len(result.answered)} answered, "
                                f"{len(result.handled) - len(result.answered)} skipped (cursor at message "
                                f"{bot.cursor})")
            return
        out = console()
        out.print(f"watching #{safe(name)} on {safe(session.url)} every {bot.poll_seconds:g}s as "
                  f"{safe(session.client.connection.user)} ({session.agent.mode} mode); Ctrl-C stops it.")
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            bot.run(stop)
        except KeyboardInterrupt:
            stop.set()
        finally:
            signal.signal(signal.SIGTERM, previous)
        out.print("stopped")
