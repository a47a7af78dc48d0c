"""Why is this user in (or not in) this audience? Each criterion says whether it matched and
what it found."""

from __future__ import annotations

import datetime as dt

from audiences.calculation import calculate
from audiences.explain import explain
from tests.engine.world import NOW, Happened, Person, Row, audience_for, put

PLAYED = {
    "type": "event",
    "event_type": "custom_event",
    "name": "Play Video",
    "attributes": [{"key": "destination", "op": "equals", "value": "Paris"}],
    "frequency": {"op": "gte", "value": 2},
    "time": {"within_days": 3},
}
PREMIUM = {"join": "and", "type": "user_attribute", "key": "status", "op": "equals", "value": "Premium"}


def watcher(status: str, *destinations: str) -> Person:
    events = [
        Happened(0, 0, "custom_event", "Play Video", NOW - dt.timedelta(hours=1 + n), {"destination": d})
        for n, d in enumerate(destinations)
    ]
    return Person(rows=[Row(0, user_attributes={"status": status})], events=events)


def test_a_member_is_told_which_criteria_matched_and_what_was_counted(world):
    (mpid,) = put(world, watcher("premium", "Paris", "Paris", "Rome"))
    audience = audience_for(world, PLAYED, PREMIUM)
    calculate(audience, now=NOW)
    found = explain(audience, mpid, now=NOW)
    assert found.in_scope and found.qualifies and found.is_member
    assert [c.matched for c in found.criteria] == [True, True]
    assert found.criteria[0].reason.startswith("2 custom_event 'Play Video' event(s) in the last 3 days matched")
    assert "needs at least 2" in found.criteria[0].reason
    assert '"premium"' in found.criteria[1].reason
    assert found.criteria[1].join == "and"


def test_a_non_member_sees_the_criterion_that_failed_and_the_values_compared(world):
    (mpid,) = put(world, watcher("Basic", "Paris", "Paris"))
    audience = audience_for(world, PLAYED, PREMIUM)
    found = explain(audience, mpid, now=NOW)
    assert not found.qualifies
    assert [c.matched for c in found.criteria] == [True, False]
    assert found.criteria[1].reason == 'status is "Basic"; needs equals "Premium" (as string)'
    assert found.message == "This profile does not meet the criteria."
    assert found.as_json()["criteria"][1]["matched"] is False


def test_a_profile_outside_the_audiences_workspaces_is_told_so(world):
    (mpid,) = put(world, Person(rows=[Row(2, user_attributes={"status": "Premium"})]))
    found = explain(audience_for(world, PREMIUM | {"join": None}), mpid, now=NOW)
    assert not found.in_scope and not found.qualifies
    assert "not been seen" in found.message


def test_a_qualifying_profile_not_yet_added_is_told_it_joins_at_the_next_calculation(world):
    audience = audience_for(world, {k: v for k, v in PREMIUM.items() if k != "join"})
    calculate(audience, now=NOW)
    (mpid,) = put(world, watcher("Premium"))
    found = explain(audience, mpid, now=NOW)
    assert found.qualifies and not found.is_member
    assert "next calculation" in found.message
