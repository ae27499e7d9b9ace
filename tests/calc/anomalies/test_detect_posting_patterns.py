"""Posting patterns: odd hours, weekends, unusual users, each against the journal's own earlier habits."""

from __future__ import annotations

import datetime as dt

from ledgerpilot.calc.anomalies.detectors.posting_patterns import DETECTOR, rarity_score
from tests.calc.anomalies.anomaly_books import AnomalyBooks, d
from tests.calc.anomalies.test_detect_round_amounts import cites, demo_anomaly_data, demo_cases


def working_days(start: dt.date, count: int) -> list[dt.date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def habitual_books() -> tuple[AnomalyBooks, list[dt.date]]:
    """Sixty working days: a manual entry by the controller and a bill by the AP clerk each day, in
    office hours; a nightly bank import at 03:10 from the first day; weekend-dated month-end entries."""
    books = AnomalyBooks(today=d("2025-06-30"))
    vendor = books.partner("Vendor")
    days = working_days(d("2025-01-06"), 60)
    for n, day in enumerate(days):
        at = dt.datetime.combine(day, dt.time(9 + n % 8, 7 * (n % 8)))
        books.entry([("600000", 100 + n * 1.37), ("212000", -(100 + n * 1.37))], date=day, user="controller",
                    created=at)
        books.bill(vendor, 200 + n * 2.11, date=day, user="ap", created=at + dt.timedelta(minutes=20))
        books.payment(vendor, 50 + n * 0.77, date=day, user="bankbot",
                      created=dt.datetime.combine(day, dt.time(3, 10)))
    return books, days


def by_primary(found) -> dict[int, object]:
    return {a.primary.id: a for a in found}


def test_ordinary_habits_raise_nothing():
    books, _ = habitual_books()
    assert DETECTOR(books.data()) == []


def test_odd_hour_entry_is_flagged():
    books, days = habitual_books()
    late = days[-1]
    odd = books.entry([("600000", 1234.56), ("212000", -1234.56)], date=late, user="controller",
                      created=dt.datetime.combine(late, dt.time(2, 37)), ref="Adjustment")
    found = by_primary(DETECTOR(books.data()))
    assert list(found) == [odd]
    assert found[odd].kind == "posting_at_odd_hour"
    assert found[odd].score >= 0.8
    assert "02:37" in found[odd].reason
    assert found[odd].user == "controller"


def test_batch_time_of_a_generated_journal_is_its_habit():
    """The bank import runs at 03:10 every night from the first day: never an odd hour for that journal."""
    books, _ = habitual_books()
    assert not [a for a in DETECTOR(books.data()) if a.kind == "posting_at_odd_hour"]


def test_a_large_batch_counts_as_one_event_of_its_hour():
    """An import of 300 stock entries at 09:45 on the first day does not make 07:00 or 15:00 odd."""
    books = AnomalyBooks(today=d("2025-06-30"))
    batch = dt.datetime(2025, 1, 6, 9, 45)
    for n in range(300):
        books.entry([("110100", 10 + n), ("600000", -(10 + n))], date=batch.date(), journal="STJ",
                    origin="stock", created=batch)
    later = []
    for n, day in enumerate(working_days(d("2025-01-07"), 20)):
        created = dt.datetime.combine(day, dt.time((7, 15, 12, 8)[n % 4], 2))
        later.append(books.entry([("500000", 5 + n), ("110100", -(5 + n))], date=day, journal="STJ",
                                 origin="stock", created=created))
    assert not [a for a in DETECTOR(books.data()) if a.kind == "posting_at_odd_hour"]


def test_weekend_bill_is_flagged_when_entered_on_a_weekend_not_when_only_dated_on_one():
    books, _ = habitual_books()
    vendor = books.partner("Vendor")
    both = books.bill(vendor, 743.10, date=d("2025-04-05"), user="ap", created=dt.datetime(2025, 4, 6, 14, 10))
    found = by_primary(DETECTOR(books.data()))
    assert list(found) == [both]
    assert found[both].kind == "posting_on_weekend"
    assert "Saturday" in found[both].reason and "Sunday" in found[both].reason

    # the vendor dated its invoice on a Saturday; the clerk entered it on Monday morning: Odoo's
    # accounting date, nobody working on a weekend
    books, _ = habitual_books()
    books.bill(vendor, 512.20, date=d("2025-04-12"), user="ap", created=dt.datetime(2025, 4, 14, 10))
    assert by_primary(DETECTOR(books.data())) == {}

    books, _ = habitual_books()
    entered_only = books.bill(vendor, 512.20, date=d("2025-04-11"), user="ap", created=dt.datetime(2025, 4, 12, 10))
    found_entered = by_primary(DETECTOR(books.data()))
    assert list(found_entered) == [entered_only]
    assert found[both].score > found_entered[entered_only].score >= 0.5


def test_weekend_dates_are_normal_in_a_journal_that_often_has_them():
    books, _ = habitual_books()
    for week in range(12):      # entries dated on a Saturday, typed in on the Monday after
        saturday = d("2025-01-11") + dt.timedelta(weeks=week)
        books.entry([("612000", 300 + week), ("212000", -(300 + week))], date=saturday, user="controller",
                    created=dt.datetime.combine(saturday + dt.timedelta(days=2), dt.time(11)))
    saturday = books.entry([("612000", 77.7), ("212000", -77.7)], date=d("2025-05-31"), user="controller",
                           created=dt.datetime(2025, 6, 2, 10))
    assert not cites_any(DETECTOR(books.data()), saturday)


def cites_any(found, move_id: int) -> bool:
    return any(cites(a, "account.move", [move_id]) for a in found)


def test_user_who_never_posts_in_the_journal_is_flagged_once_the_journal_has_history():
    books, days = habitual_books()
    stranger = books.entry([("600000", 3150.0), ("212000", -3150.0)], date=days[-1], user="ap",
                           created=dt.datetime.combine(days[-1], dt.time(14, 42)), ref="Reclassification")
    found = by_primary(DETECTOR(books.data()))
    assert list(found) == [stranger]
    assert found[stranger].kind == "posting_by_unusual_user"
    assert found[stranger].score >= 0.5
    assert "ap" in found[stranger].reason and "0 of the 60" in found[stranger].reason


def test_first_entries_of_a_journal_are_not_judged_for_users_or_weekends():
    books = AnomalyBooks(today=d("2025-06-30"))
    first = books.entry([("600000", 120.0), ("212000", -120.0)], date=d("2025-01-05"), user="admin",
                        created=dt.datetime(2025, 1, 5, 10))            # a Sunday, by a one-off user
    for n, day in enumerate(working_days(d("2025-01-06"), 40)):
        books.entry([("600000", 10 + n), ("212000", -(10 + n))], date=day, user="controller",
                    created=dt.datetime.combine(day, dt.time(10)))
    assert not cites_any(DETECTOR(books.data()), first)


def test_several_signals_give_one_finding_naming_all():
    books, _ = habitual_books()
    sunday = d("2025-04-06")
    entry = books.entry([("600000", 880.0), ("212000", -880.0)], date=sunday, user="ap",
                        created=dt.datetime(2025, 4, 6, 23, 50))
    found = [a for a in DETECTOR(books.data()) if a.primary.id == entry]
    assert len(found) == 1
    assert set(found[0].figures["signals"]) == {"posting_at_odd_hour", "posting_on_weekend",
                                                "posting_by_unusual_user"}
    assert "weekend" in found[0].reason and "23:50" in found[0].reason


def test_rarity_score_is_half_at_the_limit_and_rises_on_a_log_scale():
    scores = rarity_score([0.02, 0.01, 0.001, 0.0001, 0.5], 0.01)
    assert scores[0] == 0.0 and scores[4] == 0.0
    assert scores[1] == 0.0   # at the limit itself: not below it
    assert 0.5 < scores[2] < scores[3] == 0.95


def test_demo_posting_cases_found_with_few_false_positives(sandbox, demo_data_dir):
    data = demo_anomaly_data(sandbox)
    wanted, look_alikes = demo_cases(demo_data_dir, DETECTOR.kinds)
    found = [a for a in DETECTOR(data) if a.score >= 0.5]
    assert {case.kind for case in wanted} == set(DETECTOR.kinds)
    for case in wanted:
        hits = [a for a in found if cites(a, case.model, case.ids)]
        assert hits and hits[0].kind == case.kind, f"missed {case.kind} {case.ids}"
    assert len(found) <= 2 * len(wanted)
    for case in look_alikes:
        assert not any(cites(a, case.model, case.ids) for a in found), f"flagged the look-alike {case.kind}"
