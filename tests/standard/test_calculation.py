"""Calculating standard audiences over the long-term history: live events, days rolled out of
the real-time window, historical imports; the date range bounds every event criterion; the
compiled query agrees with the reference evaluator."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from audiences import partitions, services, standard
from audiences.calculation import calculate
from audiences.criteria.definition import parse_definition
from audiences.criteria.reference import is_member, load_profiles
from audiences.criteria.scope import Scope
from audiences.models import Audience, Member, MembershipChange, Profile, StandardState
from audiences.models.events import Tier
from tests.standard.helpers import PLAYED, draft, give_credits

pytestmark = pytest.mark.django_db


def ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def played(email: str, *moments: dt.datetime, name: str = "Play Video") -> dict:
    return {
        "user_identities": {"email": email},
        "events": [
            {"event_type": "custom_event", "data": {"event_name": name, "timestamp_unixtime_ms": ms(when)}}
            for when in moments
        ],
    }


def mpid_of(email: str) -> int:
    return Profile.objects.get(identities__identity_type="email", identities__value=email).pk


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture
def history(post, tenant, now) -> dict[str, dt.datetime]:
    """Users and when they played: ingested live at the time (then past the real-time window),
    just now, or back-filled as historical imports."""
    two_months_ago = now - dt.timedelta(days=60)
    with time_machine.travel(two_months_ago, tick=False):
        assert post("/v2/events", played("ann@x.test", two_months_ago)).status_code == 202
        assert post("/v2/events", played("dan@x.test", two_months_ago, name="Skip Video")).status_code == 202
    imported = [
        played("eve@x.test", now - dt.timedelta(days=75)),
        played("cat@x.test", now - dt.timedelta(days=200)),
    ]
    assert post("/v2/bulkevents/historical", imported).status_code == 202
    assert partitions.drop_expired(now=now)  # ann's and dan's day leaves the live tier
    assert post("/v2/events", played("bob@x.test", timezone.now())).status_code == 202  # a second ago
    return {"ann": two_months_ago, "bob": now, "eve": now - dt.timedelta(days=75), "cat": now - dt.timedelta(days=200)}


def calculated(tenant, audience: Audience) -> Audience:
    give_credits(tenant, 5)
    calculation = standard.start_calculation(tenant.account, [audience], acting_user=tenant.marketer)
    standard.calculate_standard(calculation.pk)
    audience.refresh_from_db()
    return audience


def members(audience: Audience) -> set[int]:
    return set(Member.objects.filter(audience=audience).values_list("mpid", flat=True))


def by_reference(audience: Audience, as_of: dt.datetime) -> set[int]:
    definition, _ = parse_definition(audience.definition)
    scope = Scope.of(audience)
    mpids = list(Profile.objects.filter(account=audience.account).values_list("pk", flat=True))
    facts = load_profiles(audience.account_id, mpids)
    return {mpid for mpid in mpids if is_member(definition, scope, facts[mpid], as_of)}


def test_a_range_past_the_real_time_window_finds_users_whose_only_events_are_two_months_old(tenant, history, now):
    from audiences.models import Event

    assert Event.objects.get(mpid=mpid_of("ann@x.test")).tier == Tier.LONG_TERM
    start = (now - dt.timedelta(days=90)).date().isoformat()
    audience = calculated(tenant, draft(tenant, {"start": start, "end": "most_recent"}))

    expected = {mpid_of("ann@x.test"), mpid_of("bob@x.test"), mpid_of("eve@x.test")}
    assert audience.standard_state == StandardState.READY
    assert members(audience) == expected
    assert audience.size == 3
    assert members(audience) == by_reference(audience, timezone.now())
    log = MembershipChange.objects.filter(audience=audience)
    assert sorted(log.values_list("mpid", flat=True)) == sorted(expected)
    assert all(log.values_list("added", flat=True))

    # The same criteria in a real-time audience only see the real-time window.
    realtime = services.create_audience(
        account=tenant.account,
        acting_user=tenant.marketer,
        name="Now",
        workspace_ids=[tenant.workspace.pk],
        definition=PLAYED,
    )
    calculate(realtime)
    assert members(realtime) == {mpid_of("bob@x.test")}


def test_all_available_data_reaches_back_to_the_oldest_import(tenant, history):
    audience = calculated(tenant, draft(tenant, {"all": True}))

    assert members(audience) == {mpid_of(e) for e in ("ann@x.test", "bob@x.test", "eve@x.test", "cat@x.test")}
    assert members(audience) == by_reference(audience, timezone.now())


def test_a_range_ending_in_the_past_bounds_events_and_is_where_relative_windows_count_from(tenant, history, now):
    end = (now - dt.timedelta(days=55)).date()
    start = (now - dt.timedelta(days=100)).date()
    whole = calculated(tenant, draft(tenant, {"start": start.isoformat(), "end": end.isoformat()}, name="Whole"))
    last_week = {
        "version": 1,
        "criteria": [{"type": "event", "event_type": "custom_event", "name": "Play Video", "time": {"within_days": 7}}],
    }
    week = calculated(
        tenant, draft(tenant, {"start": start.isoformat(), "end": end.isoformat()}, name="Week", definition=last_week)
    )

    # bob (today) is after the range; eve (75 days ago) is in it, but not in its last week.
    assert members(whole) == {mpid_of("ann@x.test"), mpid_of("eve@x.test")}
    assert members(week) == {mpid_of("ann@x.test")}
    range_end = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    assert members(whole) == by_reference(whole, range_end)
    assert members(week) == by_reference(week, range_end)


def test_profile_criteria_read_the_latest_profile_data(tenant, history, post):
    premium = {
        "version": 1,
        "criteria": [
            {"type": "event", "event_type": "custom_event", "name": "Play Video"},
            {"join": "and", "type": "user_attribute", "key": "plan", "op": "equals", "value": "premium"},
        ],
    }
    update = {"user_identities": {"email": "ann@x.test"}, "user_attributes": {"plan": "premium"}, "events": []}
    assert post("/v2/events", update).status_code == 202

    audience = calculated(tenant, draft(tenant, {"all": True}, definition=premium))

    assert members(audience) == {mpid_of("ann@x.test")}
    assert members(audience) == by_reference(audience, timezone.now())


def test_calculating_several_audiences_shows_progress_and_makes_them_ready_for_thirty_days(tenant, history):
    give_credits(tenant, 5)
    drafts = [draft(tenant, {"all": True}, name=f"A{n}") for n in range(3)]
    calculation = standard.start_calculation(tenant.account, drafts, acting_user=tenant.marketer)
    assert calculation.progress == 0.0

    with time_machine.travel("2030-01-01 10:00Z", tick=False):
        standard.calculate_standard(calculation.pk)

    calculation.refresh_from_db()
    assert (calculation.state, calculation.progress) == ("done", 1.0)
    assert calculation.started_at <= calculation.finished_at
    for audience in drafts:
        audience.refresh_from_db()
        assert audience.standard_state == StandardState.READY
        assert audience.calculated_at == dt.datetime(2030, 1, 1, 10, tzinfo=dt.UTC)
        assert audience.expires_at == dt.datetime(2030, 1, 31, 10, tzinfo=dt.UTC)
        assert audience.calculation_progress == 1.0
    # Running the task again (a redelivered message) changes nothing.
    assert standard.calculate_standard(calculation.pk) is None


def test_a_calculated_audience_does_not_change_or_activate(tenant, history):
    audience = calculated(tenant, draft(tenant, {"all": True}))

    with pytest.raises(services.AudienceRefused) as refused:
        services.update_audience(audience, acting_user=tenant.marketer, definition=PLAYED)
    assert refused.value.errors[0]["path"] == "definition"
    with pytest.raises(standard.StandardRefused):
        standard.change_date_range(audience, {"all": True}, acting_user=tenant.marketer)
    with pytest.raises(services.AudienceRefused):
        services.activate(audience, acting_user=tenant.marketer)


def test_the_date_range_includes_its_first_and_last_days_whole_and_nothing_beyond(tenant):
    from tests.standard.helpers import store_events

    since = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    until = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)  # the end of 31 March
    tiny = dt.timedelta(microseconds=1)
    moments = {1: since - tiny, 2: since, 3: until - tiny, 4: until}
    store_events(tenant, [(mpid, "Play Video", when) for mpid, when in moments.items()], tier=Tier.HISTORICAL)

    audience = calculated(tenant, draft(tenant, {"start": "2025-03-01", "end": "2025-03-31"}))

    assert members(audience) == {2, 3}
    assert members(audience) == by_reference(audience, until)
