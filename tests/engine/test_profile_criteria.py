"""Profile criteria: audience membership, calculated attributes, consent, device, location,
identities, attribution, and how workspaces scope them."""

from __future__ import annotations

from audiences.models import Audience, Member
from tests.engine.world import NOW, Person, Row, audience_for, members, put


def test_audience_membership_reads_current_members(world):
    mpids = put(
        world, Person(rows=[Row(0)], memberships=[0]), Person(rows=[Row(0)], memberships=[1]), Person(rows=[Row(0)])
    )
    nested = world.nested[0].pk
    assert members(audience_for(world, {"type": "audience", "audience_id": nested})) == {mpids[0]}
    assert members(audience_for(world, {"type": "audience", "audience_id": nested, "member": False})) == {
        mpids[1],
        mpids[2],
    }


def test_excluding_an_audience_removes_its_members(world):
    mpids = put(world, Person(rows=[Row(0)], memberships=[0]), Person(rows=[Row(0)]))
    audience = audience_for(
        world,
        {"type": "first_seen", "time": {"within_days": 30}},
        {"join": "exclude", "type": "audience", "audience_id": world.nested[0].pk},
    )
    assert members(audience) == {mpids[1]}


def test_joins_fold_left_to_right(world):
    # ((A or B) and C): with A, B, C the attributes a, b, c being true.
    combos = [(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)]
    mpids = put(world, *[Person(rows=[Row(0, user_attributes={"a": a, "b": b, "c": c})]) for a, b, c in combos])

    def holds(key: str) -> dict:
        return {"type": "user_attribute", "key": key, "op": "equals", "value": 1}

    audience = audience_for(world, holds("a"), {"join": "or", **holds("b")}, {"join": "and", **holds("c")})
    expected = {m for m, (a, b, c) in zip(mpids, combos, strict=True) if (a or b) and c}
    assert members(audience) == expected


def test_calculated_attributes_are_read_from_their_table(world):
    mpids = put(
        world,
        Person(rows=[Row(0)], calculated=[(0, "ltv", 250)]),
        Person(rows=[Row(0)], calculated=[(0, "ltv", 50)]),
        Person(rows=[Row(0)], calculated=[(1, "ltv", 900)]),  # another workspace's value
        Person(rows=[Row(0)]),
    )
    audience = audience_for(world, {"type": "calculated_attribute", "name": "ltv", "op": "gt", "value": 100})
    assert members(audience) == {mpids[0]}
    missing = audience_for(world, {"type": "calculated_attribute", "name": "ltv", "op": "not_exists"})
    assert members(missing) == {mpids[2], mpids[3]}


def test_consent_matches_the_latest_state_of_a_purpose(world):
    def consent(regulation: str, purpose: str, consented: bool) -> dict:
        return {regulation: {purpose: {"consented": consented, "timestamp_unixtime_ms": 1}}}

    mpids = put(
        world,
        Person(rows=[Row(0, consent=consent("gdpr", "marketing", True))]),
        Person(rows=[Row(0, consent=consent("gdpr", "marketing", False))]),
        Person(rows=[Row(0, consent=consent("gdpr", "analytics", True))]),
        Person(rows=[Row(0, consent=consent("ccpa", "data_sale_opt_out", True))]),
        Person(rows=[Row(0)]),
    )

    def having(**criterion) -> set[int]:
        return members(audience_for(world, {"type": "consent", **criterion}))

    assert having(regulation="gdpr", purpose="marketing", consented=True) == {mpids[0]}
    assert having(regulation="gdpr", purpose="marketing", consented=False) == {mpids[1]}
    assert having(regulation="ccpa", consented=True) == {mpids[3]}


def test_device_os_and_carrier(world):
    mpids = put(
        world,
        Person(rows=[Row(0, device={"platform": "iOS", "os_version": "17.1", "network_carrier": "Verizon"})]),
        Person(rows=[Row(0, device={"platform": "Android", "os_version": "14", "device_model": "Pixel 8"})]),
        Person(rows=[Row(0)]),
    )

    def having(**criterion) -> set[int]:
        return members(audience_for(world, {"type": "device", **criterion}))

    assert having(field="os", op="equals", value="ios") == {mpids[0]}
    assert having(field="platform", op="not_equals", value="ios") == {mpids[1], mpids[2]}
    assert having(field="os_version", op="gte", value=15) == {mpids[0]}
    assert having(field="carrier", op="contains", value="veri") == {mpids[0]}
    assert having(field="device_model", op="pattern", value="pixel*") == {mpids[1]}


def test_location_equals_a_city_in_any_case(world):
    mpids = put(
        world,
        Person(rows=[Row(0, user_attributes={"$city": "Chicago", "$zip": 60601})]),
        Person(rows=[Row(0, user_attributes={"$city": "chicago"})]),
        Person(rows=[Row(0, user_attributes={"$city": "Chicago Heights"})]),
    )
    city = {"type": "location", "mode": "equals", "field": "city", "value": "CHICAGO"}
    assert members(audience_for(world, city)) == {mpids[0], mpids[1]}
    zip_code = {"type": "location", "mode": "equals", "field": "zip", "value": "60601"}
    assert members(audience_for(world, zip_code)) == {mpids[0]}


def test_location_within_a_great_circle_distance(world):
    # Chicago's Loop, Evanston (~19 km north), Milwaukee (~130 km), and nowhere known.
    mpids = put(
        world,
        Person(rows=[Row(0, latitude=41.8781, longitude=-87.6298)]),
        Person(rows=[Row(0, latitude=42.0451, longitude=-87.6877)]),
        Person(rows=[Row(0, latitude=43.0389, longitude=-87.9065)]),
        Person(rows=[Row(0)]),
    )

    def within(km: float) -> set[int]:
        criterion = {"type": "location", "mode": "within", "latitude": 41.8781, "longitude": -87.6298, "radius_km": km}
        return members(audience_for(world, criterion))

    assert within(10) == {mpids[0]}
    assert within(25) == {mpids[0], mpids[1]}
    assert within(150) == {mpids[0], mpids[1], mpids[2]}


def test_identities_exist_or_not_and_compare_as_strings(world):
    mpids = put(
        world,
        Person(rows=[Row(0)], identities=[(0, "email", "Ann@Example.com")]),
        Person(rows=[Row(0)], identities=[(0, "email", "bob@other.org"), (0, "customerid", "42")]),
        Person(rows=[Row(0)], identities=[(1, "email", "cy@example.com")]),  # seen in another workspace
        Person(rows=[Row(0)]),
    )

    def having(**criterion) -> set[int]:
        return members(audience_for(world, {"type": "identity", **criterion}))

    assert having(identity_type="email", op="exists") == {mpids[0], mpids[1]}
    assert having(identity_type="email", op="not_exists") == {mpids[2], mpids[3]}
    assert having(identity_type="email", op="pattern", value="*@example.com") == {mpids[0]}
    assert having(identity_type="email", op="not_contains", value="example") == {mpids[1], mpids[2], mpids[3]}


def test_attribution_matches_publisher_and_campaign_of_the_latest_install(world):
    def installed(publisher, campaign) -> Person:
        return Person(
            rows=[Row(0, install={"publisher": publisher, "campaign": campaign, "at": "2018-09-01T00:00:00"})]
        )

    mpids = put(
        world,
        installed("Facebook", "Summer Sale"),
        installed("facebook", "Winter"),
        installed("Google", "Summer Sale"),
        Person(rows=[Row(0, uninstall={"publisher": "Facebook", "campaign": "Summer Sale"})]),
        Person(rows=[Row(0)]),
    )

    def having(**criterion) -> set[int]:
        return members(audience_for(world, {"type": "attribution", **criterion}))

    facebook = {"op": "equals", "value": "FACEBOOK"}
    assert having(event="install", publisher=facebook) == {mpids[0], mpids[1]}
    assert having(event="install", publisher=facebook, campaign={"op": "contains", "value": "summer"}) == {mpids[0]}
    assert having(event="install") == {mpids[0], mpids[1], mpids[2]}
    assert having(event="uninstall", campaign={"op": "pattern", "value": "summer*"}) == {mpids[3]}


def test_profiles_outside_the_audiences_workspaces_are_never_members(world):
    mpids = put(world, Person(rows=[Row(0)]), Person(rows=[Row(2)]))
    audience = audience_for(world, {"type": "user_attribute", "key": "status", "op": "not_exists"})
    assert members(audience) == {mpids[0]}


def test_a_multi_workspace_audience_reads_any_of_its_workspaces_unless_one_is_picked(world):
    mpids = put(
        world,
        Person(rows=[Row(0, user_attributes={"tier": "gold"}), Row(1, user_attributes={"tier": "silver"})]),
        Person(rows=[Row(1, user_attributes={"tier": "gold"})]),
        Person(rows=[Row(0, user_attributes={"tier": "silver"})]),
    )
    gold = {"type": "user_attribute", "key": "tier", "op": "equals", "value": "gold"}
    assert members(audience_for(world, gold, workspaces=(0, 1))) == {mpids[0], mpids[1]}
    picked = {**gold, "workspace_id": world.workspaces[1].pk}
    assert members(audience_for(world, picked, workspaces=(0, 1))) == {mpids[1]}
    not_gold = {"type": "user_attribute", "key": "tier", "op": "not_equals", "value": "gold"}
    assert members(audience_for(world, not_gold, workspaces=(0, 1))) == {mpids[2]}


def test_nested_audiences_can_be_used_before_they_are_calculated(world):
    """The nested audience's members are whatever it holds now; calculating it updates them."""
    mpids = put(world, Person(rows=[Row(0, user_attributes={"vip": True})]), Person(rows=[Row(0)]))
    vip = audience_for(world, {"type": "user_attribute", "key": "vip", "op": "is_true"}, name="VIP")
    outer = audience_for(world, {"type": "audience", "audience_id": vip.pk})
    assert members(outer) == set()
    members(vip, now=NOW)
    assert members(outer) == {mpids[0]}
    assert Member.objects.filter(audience=vip).count() == 1
    assert Audience.objects.get(pk=vip.pk).size == 1
