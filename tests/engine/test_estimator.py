"""Estimates: exact for small accounts, from a sample of profiles for large ones (with a
confidence interval), "too small" when the sample holds too few members, an error with a
message when the audience cannot be estimated, and never a write."""

from __future__ import annotations

import json

from django.db import connection

from audiences.criteria.scope import Scope
from audiences.estimator import Sampling, estimate
from audiences.models import Audience, Member, MembershipChange
from tests.engine.world import NOW, Happened, Person, Row, World, put

PRO = {"type": "user_attribute", "key": "plan", "op": "equals", "value": "pro"}
RARE = {"type": "user_attribute", "key": "rare", "op": "is_true"}


def scope(world: World, *, inputs: tuple[int, ...] | None = None) -> Scope:
    workspace = world.workspaces[0].pk
    return Scope(
        account_id=world.account.pk,
        workspace_ids=(workspace,),
        input_ids=tuple(world.inputs[workspace]) if inputs is None else inputs,
    )


def definition(*criteria: dict) -> dict:
    return {"version": 1, "criteria": list(criteria)}


def many_profiles(world: World, count: int) -> None:
    """`count` profiles in workspace one: 30% on plan "pro", the first five "rare"."""
    mpids = [50_000_000 + n for n in range(count)]
    attributes = [
        json.dumps({"plan": "pro" if n % 10 < 3 else "free"} | ({"rare": True} if n < 5 else {})) for n in range(count)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audiences_profile (mpid, account_id, sample_bucket, created_at) "
            "SELECT m, %s, audiences_sample_bucket(m), %s FROM unnest(%s::bigint[]) AS m",
            [world.account.pk, NOW, mpids],
        )
        cursor.execute(
            "INSERT INTO audiences_profileworkspace (mpid, workspace_id, first_seen, last_seen, user_attributes, "
            "consent, device) SELECT m, %s, %s, %s, a, '{}', '{}' FROM unnest(%s::bigint[], %s::jsonb[]) AS t(m, a)",
            [world.workspaces[0].pk, NOW, NOW, mpids, attributes],
        )


def test_a_small_account_is_counted_exactly(world):
    put(
        world,
        Person(rows=[Row(0, user_attributes={"plan": "pro"})], events=[Happened(0, 0, "custom_event", "Play", NOW)]),
        Person(rows=[Row(0, user_attributes={"plan": "Pro"})]),
        Person(rows=[Row(0, user_attributes={"plan": "free"})]),
    )
    played = {"join": "and", "type": "event", "event_type": "custom_event", "name": "Play"}
    found = estimate(definition(PRO, played), scope(world), now=NOW)
    assert found.whole.as_json() == {
        "state": "ok",
        "estimate": 1,
        "low": 1,
        "high": 1,
        "sample_fraction": 1.0,
        "message": None,
    }
    assert [c.estimate for c in found.criteria] == [2, 1]


# Scopes this small are normally counted exactly; these thresholds make them sampled.
SAMPLED = Sampling(exact_below=1000)


def test_a_large_account_is_estimated_from_a_1_percent_sample_when_that_is_enough(world):
    many_profiles(world, 20_000)
    found = estimate(definition(PRO), scope(world), now=NOW, sampling=Sampling(exact_below=1000, confident_members=50))
    whole = found.whole
    assert whole.state == "ok"
    assert whole.sample_fraction == 0.01
    assert whole.low <= 6000 <= whole.high
    assert found.criteria[0].estimate == whole.estimate


def test_a_sample_with_too_few_members_for_a_close_figure_grows_to_5_percent(world):
    many_profiles(world, 20_000)
    found = estimate(definition(PRO), scope(world), now=NOW, sampling=Sampling(exact_below=1000))
    whole = found.whole
    assert whole.state == "ok"
    assert whole.sample_fraction == 0.05
    assert whole.low <= 6000 <= whole.high
    assert abs(whole.estimate - 6000) < 0.2 * 6000


def test_a_sample_with_too_few_members_says_too_small(world):
    many_profiles(world, 20_000)
    found = estimate(definition(PRO, {"join": "and", **RARE}), scope(world), now=NOW, sampling=SAMPLED)
    assert found.whole.state == "too_small"
    assert found.whole.estimate is None
    assert found.whole.message
    assert [c.state for c in found.criteria] == ["ok", "too_small"]


def test_an_audience_without_inputs_cannot_be_estimated(world):
    found = estimate(definition(PRO, {"join": "or", **RARE}), scope(world, inputs=()), now=NOW)
    assert found.whole.state == "error"
    assert "input" in found.whole.message
    assert [c.state for c in found.criteria] == ["error", "error"]


def test_an_input_of_another_workspace_cannot_be_estimated(world):
    stranger = world.inputs[world.workspaces[2].pk][0]
    found = estimate(definition(PRO), scope(world, inputs=(stranger,)), now=NOW)
    assert found.whole.state == "error"
    assert str(stranger) in found.whole.message


def test_an_invalid_definition_is_an_error_naming_the_fault(world):
    found = estimate(definition({**PRO, "op": "resembles"}), scope(world), now=NOW)
    assert found.whole.state == "error"
    assert "criteria[0].op" in found.whole.message
    assert estimate({"version": 1, "criteria": "everyone"}, scope(world), now=NOW).whole.state == "error"


def test_estimating_writes_nothing(world):
    put(world, Person(rows=[Row(0, user_attributes={"plan": "pro"})]))
    counts = (Audience.objects.count(), Member.objects.count(), MembershipChange.objects.count())
    estimate(definition(PRO, {"join": "exclude", "type": "audience", "audience_id": world.nested[0].pk}), scope(world))
    assert (Audience.objects.count(), Member.objects.count(), MembershipChange.objects.count()) == counts


def test_the_sample_follows_profiles_as_they_change_and_go(world):
    mpids = put(world, *[Person(rows=[Row(0, user_attributes={"plan": "pro"})]) for _ in range(6)])
    sampled = mpids[::2]  # the test world alternates sampled and unsampled mpids
    every_level = Sampling(exact_below=0, confident_members=10**9, min_members=0)

    def sampled_members() -> int:
        whole = estimate(definition(PRO), scope(world), now=NOW, sampling=every_level).whole
        assert whole.sample_fraction == 0.05
        return round(whole.estimate * 0.05)

    assert sampled_members() == 3
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE audiences_profileworkspace SET user_attributes = \'{"plan": "free"}\' WHERE mpid = %s',
            [sampled[0]],
        )
        assert sampled_members() == 2
        cursor.execute("DELETE FROM audiences_profileworkspace WHERE mpid = %s", [sampled[1]])
        assert sampled_members() == 1


def test_an_estimate_that_takes_too_long_is_an_error_not_a_wait(world):
    many_profiles(world, 20_000)
    found = estimate(definition(PRO), scope(world), now=NOW, sampling=Sampling(timeout_ms=1))
    assert found.whole.state == "error"
    assert "too long" in found.whole.message
    assert estimate(definition(PRO), scope(world), now=NOW).whole.state == "ok"  # the transaction is usable
