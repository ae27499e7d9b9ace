"""Errors ledgerpilot reports to its users. Each names what was wrong and, where it can, what to do."""

from __future__ import annotations


class LedgerpilotError(Exception):
    """Base of every error that is shown to a user as a message rather than a traceback."""

    exit_code = 1


class ConfigError(LedgerpilotError):
    """A setting is missing or malformed."""

    exit_code = 2


class UsageError(LedgerpilotError):
    """A command was given a value it cannot use (a malformed date, an unknown choice)."""

    exit_code = 2
