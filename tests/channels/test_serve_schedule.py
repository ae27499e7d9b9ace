"""The digest schedule: the configured text read by APScheduler's CronTrigger, or a one-line error."""

import datetime as dt
from types import SimpleNamespace

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ledgerpilot.channels.serve.runner import digest_trigger
from ledgerpilot.errors import ConfigError

UTC = dt.timezone.utc


def _trigger(text: str, interval: int | None = None):
    return digest_trigger(SimpleNamespace(serve=SimpleNamespace(digest_cron=text, digest_interval_minutes=interval)))


@pytest.mark.parametrize("text, after, expected", [
    ("mon 07:00", dt.datetime(2026, 11, 18, 12, tzinfo=UTC), dt.datetime(2026, 11, 23, 7, tzinfo=UTC)),
    ("Monday 7:05", dt.datetime(2026, 11, 18, 12, tzinfo=UTC), dt.datetime(2026, 11, 23, 7, 5, tzinfo=UTC)),
    ("mon-fri 07:30", dt.datetime(2026, 11, 20, 8, tzinfo=UTC), dt.datetime(2026, 11, 23, 7, 30, tzinfo=UTC)),
    ("wed,fri 18:00", dt.datetime(2026, 11, 18, 19, tzinfo=UTC), dt.datetime(2026, 11, 20, 18, tzinfo=UTC)),
    ("0 7 * * mon", dt.datetime(2026, 11, 18, 12, tzinfo=UTC), dt.datetime(2026, 11, 23, 7, tzinfo=UTC)),
])
def test_the_digest_fires_when_written(text, after, expected):
    trigger = _trigger(text)
    assert isinstance(trigger, CronTrigger)
    trigger = CronTrigger(**{f.name: str(f) for f in trigger.fields if not f.is_default}, timezone=UTC)
    assert trigger.get_next_fire_time(None, after) == expected


def test_an_interval_wins_over_the_weekly_time():
    assert isinstance(_trigger("mon 07:00", interval=5), IntervalTrigger)


@pytest.mark.parametrize("text, message", [
    ("mon 25:00", "'25:00' is not a time of day"), ("mon 7h", "must be a weekday and a time"),
    ("xyz 07:00", 'Invalid weekday name "xyz"'), ("mon", "must be a weekday and a time"),
    ("0 7 * * blah", "Invalid weekday name"), ("", "must be a weekday and a time"),
])
def test_what_cannot_be_read_is_a_one_line_configuration_error(text, message):
    with pytest.raises(ConfigError, match=message) as error:
        _trigger(text)
    assert "\n" not in str(error.value) and error.value.exit_code == 2
