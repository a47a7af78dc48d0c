"""Time windows: recency counts days of 24 hours back from the moment of calculation; dates are
whole UTC calendar days (before exclusive, after inclusive, on, between inclusive)."""

from __future__ import annotations

import datetime as dt

from tests.engine.world import NOW, Happened, Person, Row, audience_for, members, put

UTC = dt.UTC
TINY = dt.timedelta(microseconds=1)


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def played_at(*moments: dt.datetime) -> list[Person]:
    """One person per moment, each with one Play Video event then."""
    return [Person(rows=[Row(0)], events=[Happened(0, 0, "custom_event", "Play Video", moment)]) for moment in moments]


def played(time: dict) -> dict:
    return {"type": "event", "event_type": "custom_event", "name": "Play Video", "time": time}


def test_six_to_four_days_ago_spans_13_00_on_3_sep_to_13_00_on_5_sep(world):
    assert at(2018, 9, 9, 13) == NOW
    moments = [
        at(2018, 9, 3, 13) - TINY,
        at(2018, 9, 3, 13),
        at(2018, 9, 4, 8),
        at(2018, 9, 5, 13),
        at(2018, 9, 5, 13) + TINY,
    ]
    mpids = put(world, *played_at(*moments))
    audience = audience_for(world, played({"between_days_ago": [6, 4]}))
    assert members(audience, now=NOW) == set(mpids[1:4])


def test_within_days_reaches_back_whole_days_of_24_hours_to_now(world):
    moments = [NOW - dt.timedelta(days=3) - TINY, NOW - dt.timedelta(days=3), NOW, NOW + TINY]
    mpids = put(world, *played_at(*moments))
    assert members(audience_for(world, played({"within_days": 3}))) == {mpids[1], mpids[2]}


def test_before_a_date_excludes_that_date(world):
    mpids = put(world, *played_at(at(2018, 9, 8, 23, 59, 59, 999999), at(2018, 9, 9)))
    assert members(audience_for(world, played({"before": "2018-09-09"}))) == {mpids[0]}


def test_after_a_date_includes_that_date_from_midnight_utc(world):
    mpids = put(world, *played_at(at(2018, 9, 8, 23, 59, 59, 999999), at(2018, 9, 9)))
    assert members(audience_for(world, played({"after": "2018-09-09"}))) == {mpids[1]}


def test_on_a_date_covers_that_utc_day(world):
    moments = [at(2018, 9, 7, 23, 59, 59, 999999), at(2018, 9, 8), at(2018, 9, 8, 23, 59, 59, 999999), at(2018, 9, 9)]
    mpids = put(world, *played_at(*moments))
    assert members(audience_for(world, played({"on": "2018-09-08"}))) == {mpids[1], mpids[2]}


def test_between_dates_includes_both_days(world):
    moments = [at(2018, 9, 6, 23, 59, 59, 999999), at(2018, 9, 7), at(2018, 9, 9, 12), at(2018, 9, 10) - TINY]
    moments.append(at(2018, 9, 10))
    mpids = put(world, *played_at(*moments))
    audience = audience_for(world, played({"between_dates": ["2018-09-07", "2018-09-09"]}))
    assert members(audience) == set(mpids[1:4])


def test_event_criteria_default_to_the_last_30_days(world):
    mpids = put(world, *played_at(NOW - dt.timedelta(days=30) - TINY, NOW - dt.timedelta(days=30)))
    criterion = {"type": "event", "event_type": "custom_event", "name": "Play Video"}
    assert members(audience_for(world, criterion)) == {mpids[1]}


def test_a_date_attribute_can_be_tested_against_any_window(world):
    birthdays = [
        "2018-09-08",  # a date: midnight UTC
        "2018-09-08T23:30:00-05:00",  # 04:30 UTC on 9 September
        "2018-09-09T00:00:00Z",
        "2018-02-30",  # no such day: never matches
        "soon",
        None,
    ]
    mpids = put(world, *[Person(rows=[Row(0, user_attributes={"signup": b})]) for b in birthdays])

    def matching(window: dict) -> set[int]:
        criterion = {"type": "user_attribute", "key": "signup", "op": "time", "value": window}
        return members(audience_for(world, criterion))

    assert matching({"on": "2018-09-09"}) == {mpids[1], mpids[2]}
    assert matching({"before": "2018-09-09"}) == {mpids[0]}
    assert matching({"after": "2018-09-08"}) == set(mpids[:3])
    assert matching({"within_days": 1}) == {mpids[1], mpids[2]}


def test_first_seen_is_tested_against_a_window(world):
    mpids = put(
        world,
        Person(rows=[Row(0, first_seen=at(2018, 9, 2))]),
        Person(rows=[Row(0, first_seen=at(2018, 9, 1, 23, 59, 59))]),
    )
    audience = audience_for(world, {"type": "first_seen", "time": {"after": "2018-09-02"}})
    assert members(audience) == {mpids[0]}
