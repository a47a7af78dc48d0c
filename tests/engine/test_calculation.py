"""Calculating an audience writes only the difference: current members and the change log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from audiences.calculation import DefinitionUnusable, calculate, recalculate_for
from audiences.models import Audience, Member, MembershipChange
from audiences.models.audiences import CalculationState
from audiences.tasks import calculate_audience
from tests.engine.world import NOW, Happened, Person, Row, audience_for, put

PREMIUM = {"type": "user_attribute", "key": "status", "op": "equals", "value": "Premium"}


def status(world, mpid: int, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audiences_profileworkspace SET user_attributes = jsonb_build_object('status', %s::text) "
            "WHERE mpid = %s",
            [value, mpid],
        )


def log(audience: Audience) -> list[tuple[int, bool]]:
    return list(MembershipChange.objects.filter(audience=audience).order_by("seq").values_list("mpid", "added"))


def test_the_first_calculation_adds_every_member_and_logs_each_add(world):
    mpids = put(world, *[Person(rows=[Row(0, user_attributes={"status": s})]) for s in ("Premium", "Basic", "premium")])
    audience = audience_for(world, PREMIUM)
    changes = calculate(audience, now=NOW)
    assert (changes.added, changes.dropped) == (2, 0)
    assert log(audience) == [(mpids[0], True), (mpids[2], True)]
    audience.refresh_from_db()
    assert audience.calculation_state == CalculationState.DONE
    assert audience.calculation_progress == 1.0
    assert audience.calculated_at == NOW
    assert audience.size == 2


def test_recalculating_with_nothing_changed_writes_nothing(world):
    put(world, *[Person(rows=[Row(0, user_attributes={"status": "Premium"})]) for _ in range(3)])
    audience = audience_for(world, PREMIUM)
    calculate(audience, now=NOW)
    before = list(Member.objects.filter(audience=audience).values_list("mpid", "added_at"))
    seq = MembershipChange.objects.latest("seq").seq
    changes = calculate(audience, now=NOW + dt.timedelta(minutes=5))
    assert not changes.changed
    assert MembershipChange.objects.latest("seq").seq == seq
    assert list(Member.objects.filter(audience=audience).values_list("mpid", "added_at")) == before


def test_recalculating_writes_only_the_adds_and_drops(world):
    mpids = put(world, *[Person(rows=[Row(0, user_attributes={"status": s})]) for s in ("Premium", "Premium", "Basic")])
    audience = audience_for(world, PREMIUM)
    calculate(audience, now=NOW)
    kept_since = Member.objects.get(audience=audience, mpid=mpids[1]).added_at
    status(world, mpids[0], "Basic")
    status(world, mpids[2], "PREMIUM")
    later = NOW + dt.timedelta(hours=1)
    changes = calculate(audience, now=later)
    assert (changes.added, changes.dropped) == (1, 1)
    # Drops first, then adds, each in mpid order; every change stamped with the calculation time.
    assert log(audience)[-2:] == [(mpids[0], False), (mpids[2], True)]
    assert set(MembershipChange.objects.filter(audience=audience, at=later).values_list("mpid", flat=True)) == {
        mpids[0],
        mpids[2],
    }
    assert Member.objects.get(audience=audience, mpid=mpids[1]).added_at == kept_since
    audience.refresh_from_db()
    assert audience.size == 2


def test_a_member_whose_last_event_ages_out_is_dropped_as_time_passes(world):
    mpids = put(world, Person(rows=[Row(0)], events=[Happened(0, 0, "custom_event", "Play Video", NOW)]))
    audience = audience_for(world, {"type": "event", "event_type": "custom_event", "time": {"within_days": 3}})
    calculate(audience, now=NOW)
    assert log(audience) == [(mpids[0], True)]
    calculate(audience, now=NOW + dt.timedelta(days=3))
    assert len(log(audience)) == 1  # exactly 3 days later the event is still inside the window
    calculate(audience, now=NOW + dt.timedelta(days=3, microseconds=1))
    assert log(audience) == [(mpids[0], True), (mpids[0], False)]


def test_recalculating_given_profiles_touches_only_them(world):
    mpids = put(world, *[Person(rows=[Row(0, user_attributes={"status": "Premium"})]) for _ in range(3)])
    audience = audience_for(world, PREMIUM)
    calculate(audience, now=NOW)
    for mpid in mpids:
        status(world, mpid, "Basic")
    changes = recalculate_for(audience, [mpids[1]], now=NOW)
    assert (changes.added, changes.dropped) == (0, 1)
    assert set(Member.objects.filter(audience=audience).values_list("mpid", flat=True)) == {mpids[0], mpids[2]}
    audience.refresh_from_db()
    assert audience.size == 2
    assert not recalculate_for(audience, [mpids[1]], now=NOW).changed


def test_a_definition_that_cannot_be_used_fails_the_calculation_visibly(world):
    audience = audience_for(world, {"type": "user_attribute", "key": "k", "op": "resembles", "value": "x"})
    with pytest.raises(DefinitionUnusable):
        calculate(audience, now=NOW)
    audience.refresh_from_db()
    assert audience.calculation_state == CalculationState.FAILED
    assert "criteria[0].op" in audience.calculation_error


def test_the_celery_task_calculates_the_audience(world):
    put(world, Person(rows=[Row(0, user_attributes={"status": "Premium"})]))
    audience = audience_for(world, PREMIUM)
    assert calculate_audience.apply(args=[audience.pk]).get() == {"added": 1, "dropped": 0}
    assert calculate_audience.apply(args=[987654321]).get() is None
    audience.refresh_from_db()
    assert audience.calculation_state == CalculationState.DONE
