"""Sign-in sessions: idle and absolute expiry, CSRF tokens, sign-out."""

from __future__ import annotations

from ledgerpilot.channels.web.sessions import SessionStore


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sessions_end_when_idle_or_too_old():
    clock = Clock()
    store = SessionStore(idle_seconds=60, max_age_seconds=300, clock=clock)
    session = store.open(login="controller", uid=5, name="Chloe", secret="pw")
    assert store.get(session.token) is session
    clock.now += 59
    assert store.get(session.token) is session        # used: the idle clock starts again
    clock.now += 59
    assert store.get(session.token) is session
    clock.now += 61
    assert store.get(session.token) is None           # idle too long
    assert len(store) == 0

    kept_busy = store.open(login="controller", uid=5, name="Chloe", secret="pw")
    for _ in range(7):
        clock.now += 50
        alive = store.get(kept_busy.token)
    assert alive is None                              # over 300 s after sign-in, however busy


def test_tokens_are_random_and_csrf_is_checked_in_constant_time():
    store = SessionStore(idle_seconds=60, max_age_seconds=300)
    one = store.open(login="a", uid=1, name="A", secret="hunter2-secret")
    two = store.open(login="a", uid=1, name="A", secret="hunter2-secret")
    assert one.token != two.token and one.csrf != two.csrf and len(one.token) >= 40
    assert one.csrf_matches(one.csrf) and not one.csrf_matches(two.csrf)
    assert not one.csrf_matches("") and not one.csrf_matches(None)
    assert "hunter2" not in repr(one) and one.csrf not in repr(one)
    store.close(one.token)
    assert store.get(one.token) is None and store.get(two.token) is two
    assert store.get(None) is None and store.get("") is None
