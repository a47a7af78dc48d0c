"""Event criteria: kind and name, attribute conditions, frequency (zero included), the audience's
inputs and workspaces, and cart abandonment."""

from __future__ import annotations

import datetime as dt

from audiences.models.audiences import AudienceKind
from audiences.models.events import Tier
from tests.engine.world import NOW, Happened, Person, Row, audience_for, members, put

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def video(when: dt.datetime, *, workspace: int = 0, source: int = 0, tier: int = Tier.LIVE, **attributes) -> Happened:
    return Happened(workspace, source, "custom_event", "Play Video", when, attributes, tier)


def test_the_tutorial_audience_premium_users_who_watched_the_paris_intro(world):
    paris = {"category": "Destination Intro", "destination": "Paris"}
    mpids = put(
        world,
        Person(rows=[Row(0, user_attributes={"status": "Premium"})], events=[video(NOW - DAY, **paris)]),
        Person(rows=[Row(0, user_attributes={"status": "premium"})], events=[video(NOW - 2 * DAY, **paris)]),
        Person(rows=[Row(0, user_attributes={"status": "Basic"})], events=[video(NOW - DAY, **paris)]),
        Person(rows=[Row(0, user_attributes={"status": "Premium"})], events=[video(NOW - 4 * DAY, **paris)]),
        Person(
            rows=[Row(0, user_attributes={"status": "Premium"})],
            events=[video(NOW - DAY, category="Destination Intro", destination="Rome")],
        ),
    )
    audience = audience_for(
        world,
        {
            "type": "event",
            "event_type": "custom_event",
            "name": "Play Video",
            "attributes": [
                {"key": "category", "op": "equals", "value": "Destination Intro"},
                {"key": "destination", "op": "equals", "value": "Paris"},
            ],
            "frequency": {"op": "gte", "value": 1},
            "time": {"within_days": 3},
        },
        {"join": "and", "type": "user_attribute", "key": "status", "op": "equals", "value": "Premium"},
    )
    assert members(audience) == {mpids[0], mpids[1]}


def test_fewer_than_three_events_includes_profiles_with_none_at_all(world):
    mpids = put(
        world,
        Person(rows=[Row(0)]),
        Person(rows=[Row(0)], events=[video(NOW - HOUR)] * 2),
        Person(rows=[Row(0)], events=[video(NOW - HOUR)] * 3),
        Person(rows=[Row(1)]),  # seen only in another workspace: not in scope
    )
    criterion = {
        "type": "event",
        "event_type": "custom_event",
        "name": "Play Video",
        "frequency": {"op": "lt", "value": 3},
    }
    assert members(audience_for(world, criterion)) == {mpids[0], mpids[1]}


def test_frequency_operators_count_events_in_the_window(world):
    counts = [0, 1, 2, 3, 4]
    mpids = put(world, *[Person(rows=[Row(0)], events=[video(NOW - HOUR)] * n) for n in counts])

    def having(op: str, value: int, value2: int | None = None) -> list[int]:
        frequency = {"op": op, "value": value} | ({"value2": value2} if value2 is not None else {})
        found = members(audience_for(world, {"type": "event", "event_type": "custom_event", "frequency": frequency}))
        return [n for n, mpid in zip(counts, mpids, strict=True) if mpid in found]

    assert having("gt", 2) == [3, 4]
    assert having("gte", 2) == [2, 3, 4]
    assert having("lt", 2) == [0, 1]
    assert having("lte", 2) == [0, 1, 2]
    assert having("equals", 0) == [0]
    assert having("between", 1, 3) == [1, 2, 3]


def test_without_a_frequency_one_event_is_enough(world):
    mpids = put(world, Person(rows=[Row(0)]), Person(rows=[Row(0)], events=[video(NOW - HOUR)]))
    assert members(audience_for(world, {"type": "event", "event_type": "custom_event"})) == {mpids[1]}


def test_event_names_must_match_exactly(world):
    mpids = put(
        world,
        Person(rows=[Row(0)], events=[video(NOW - HOUR)]),
        Person(rows=[Row(0)], events=[Happened(0, 0, "custom_event", "play video", NOW - HOUR)]),
        Person(rows=[Row(0)], events=[Happened(0, 0, "screen_view", "Play Video", NOW - HOUR)]),
    )
    criterion = {"type": "event", "event_type": "custom_event", "name": "Play Video"}
    assert members(audience_for(world, criterion)) == {mpids[0]}


def test_every_event_kind_can_be_a_criterion(world):
    kinds = [
        ("commerce_event", "purchase"),
        ("screen_view", "Home"),
        ("session_start", ""),
        ("crash_report", "NullPointerException"),
        ("install", "application_initialized"),
        ("upgrade", "application_initialized"),
        ("uninstall", ""),
        ("attribution", "install"),
    ]
    mpids = put(world, *[Person(rows=[Row(0)], events=[Happened(0, 0, k, n, NOW - HOUR)]) for k, n in kinds])
    for (kind, _), mpid in zip(kinds, mpids, strict=True):
        assert members(audience_for(world, {"type": "event", "event_type": kind})) == {mpid}, kind


def test_only_events_from_the_audiences_inputs_count(world):
    mpids = put(
        world,
        Person(rows=[Row(0)], events=[video(NOW - HOUR, source=0)]),
        Person(rows=[Row(0)], events=[video(NOW - HOUR, source=1)]),
    )
    criterion = {"type": "event", "event_type": "custom_event"}
    assert members(audience_for(world, criterion, inputs=[(0, 1)])) == {mpids[1]}
    narrowed = {**criterion, "input_ids": [world.inputs[world.workspaces[0].pk][0]]}
    assert members(audience_for(world, narrowed)) == {mpids[0]}


def test_a_multi_workspace_criterion_can_pick_its_workspace(world):
    mpids = put(
        world,
        Person(rows=[Row(0), Row(1)], events=[video(NOW - HOUR, workspace=0)]),
        Person(rows=[Row(0), Row(1)], events=[video(NOW - HOUR, workspace=1)]),
        Person(rows=[Row(2)], events=[video(NOW - HOUR, workspace=2)]),  # outside the audience
    )
    criterion = {"type": "event", "event_type": "custom_event"}
    assert members(audience_for(world, criterion, workspaces=(0, 1))) == {mpids[0], mpids[1]}
    pinned = {**criterion, "workspace_id": world.workspaces[1].pk}
    assert members(audience_for(world, pinned, workspaces=(0, 1))) == {mpids[1]}


def test_real_time_audiences_read_live_events_and_standard_ones_historical_imports_too(world):
    mpids = put(
        world,
        Person(rows=[Row(0)], events=[video(NOW - HOUR)]),
        Person(rows=[Row(0)], events=[video(NOW - HOUR, tier=Tier.HISTORICAL)]),
    )
    criterion = {"type": "event", "event_type": "custom_event"}
    assert members(audience_for(world, criterion)) == {mpids[0]}
    assert members(audience_for(world, criterion, kind=AudienceKind.STANDARD)) == set(mpids)


def test_event_attribute_conditions_use_every_operator(world):
    mpids = put(
        world,
        Person(rows=[Row(0)], events=[video(NOW - HOUR, price=12.5, genre="Sci-Fi", tags=["new", "HD"])]),
        Person(rows=[Row(0)], events=[video(NOW - HOUR, price="9", genre="drama")]),
        Person(rows=[Row(0)], events=[video(NOW - HOUR)]),
    )

    def having(*conditions: dict) -> set[int]:
        criterion = {"type": "event", "event_type": "custom_event", "attributes": list(conditions)}
        return members(audience_for(world, criterion))

    assert having({"key": "price", "op": "gt", "value": 10}) == {mpids[0]}
    assert having({"key": "price", "op": "between", "value": 9, "value2": 12.5}) == {mpids[0], mpids[1]}
    assert having({"key": "genre", "op": "pattern", "value": "SCI*"}) == {mpids[0]}
    assert having({"key": "genre", "op": "not_equals", "value": "Drama"}) == {mpids[0], mpids[2]}
    assert having({"key": "tags", "op": "includes", "value": "hd"}) == {mpids[0]}
    assert having({"key": "genre", "op": "not_exists"}) == {mpids[2]}


def cart(*events: tuple[str, dt.datetime]) -> Person:
    return Person(rows=[Row(0)], events=[Happened(0, 0, "commerce_event", name, when) for name, when in events])


def test_cart_abandonment_needs_an_old_enough_add_to_cart_without_a_purchase_after_it(world):
    mpids = put(
        world,
        cart(("add_to_cart", NOW - 30 * HOUR)),  # abandoned
        cart(("add_to_cart", NOW - 30 * HOUR), ("purchase", NOW - 20 * HOUR)),  # bought within the wait
        cart(("add_to_cart", NOW - 30 * HOUR), ("purchase", NOW - 5 * HOUR)),  # bought only after the wait
        cart(("add_to_cart", NOW - 30 * HOUR), ("add_to_cart", NOW - 2 * HOUR)),  # the last one is too recent
        cart(("purchase", NOW - 30 * HOUR)),  # never added anything
        cart(("add_to_cart", NOW - 24 * HOUR)),  # exactly the wait: abandoned
    )
    audience = audience_for(world, {"type": "cart_abandonment", "wait_hours": 24})
    assert members(audience) == {mpids[0], mpids[2], mpids[5]}


def test_cart_abandonment_looks_for_the_add_to_cart_in_its_window(world):
    mpids = put(world, cart(("add_to_cart", NOW - 10 * DAY)), cart(("add_to_cart", NOW - 2 * DAY)))
    audience = audience_for(world, {"type": "cart_abandonment", "wait_hours": 1, "time": {"within_days": 7}})
    assert members(audience) == {mpids[1]}
