"""Expiry: 30 days after its calculation the beat task expires a ready standard audience; an
expired one refuses connections and sends, keeps its members for real-time audiences that
use it as a criterion, and can be cloned to calculate again."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from audiences import services, standard
from audiences.calculation import calculate
from audiences.criteria.definition import parse_definition
from audiences.criteria.reference import is_member, load_profiles
from audiences.criteria.scope import Scope
from audiences.models import Member, StandardState
from audiences.tasks import expire_standard_audiences
from connections import services as connections
from tests.connections.helpers import webhook_configuration
from tests.standard.helpers import draft, give_credits, store_events

pytestmark = pytest.mark.django_db

CALCULATED = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def ready(tenant):
    """A standard audience calculated on 1 March 2026 at 09:30 UTC, with three members."""
    with time_machine.travel(CALCULATED, tick=False):
        store_events(tenant, [(m, "Play Video", CALCULATED - dt.timedelta(days=90)) for m in (11, 12, 13)])
        store_events(tenant, [(14, "Skip Video", CALCULATED - dt.timedelta(days=90))])
        give_credits(tenant, 1)
        audience = draft(tenant, {"all": True})
        calculation = standard.start_calculation(tenant.account, [audience], acting_user=tenant.marketer)
        standard.calculate_standard(calculation.pk)
    audience.refresh_from_db()
    assert audience.standard_state == StandardState.READY
    return audience


def expire_at(moment: dt.datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return expire_standard_audiences.apply().get()


def test_the_beat_task_expires_a_ready_audience_thirty_days_after_its_calculation(ready):
    assert ready.expires_at == CALCULATED + dt.timedelta(days=30)

    assert expire_at(CALCULATED + dt.timedelta(days=29, hours=23, minutes=59)) == 0
    ready.refresh_from_db()
    assert ready.standard_state == StandardState.READY

    assert expire_at(CALCULATED + dt.timedelta(days=30)) == 1
    ready.refresh_from_db()
    assert ready.standard_state == StandardState.EXPIRED
    assert set(Member.objects.filter(audience=ready).values_list("mpid", flat=True)) == {11, 12, 13}
    assert expire_at(CALCULATED + dt.timedelta(days=31)) == 0  # once


def test_the_expiry_task_is_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "audiences.tasks.expire_standard_audiences" in tasks


def test_an_expired_audience_refuses_connect_and_send_with_a_clear_message(tenant, ready):
    configuration = webhook_configuration(tenant.account, "http://127.0.0.1:9/hook")
    connection = connections.create_connection(ready, configuration, acting_user=tenant.marketer)
    expire_at(CALCULATED + dt.timedelta(days=30))
    ready.refresh_from_db()

    other = webhook_configuration(tenant.account, "http://127.0.0.1:9/other", name="Other")
    with pytest.raises(connections.ConnectionRefused) as refused:
        connections.create_connection(ready, other, acting_user=tenant.marketer)
    message = "Long history has expired: clone it and calculate the copy to connect it"
    assert refused.value.errors == [{"path": "audience", "message": message}]
    [result] = connections.connect_audiences(other, [ready.pk], acting_user=tenant.marketer)
    assert result.error == message

    with pytest.raises(standard.StandardRefused) as refused:
        standard.send(ready, [connection], acting_user=tenant.marketer)
    assert refused.value.status == 409
    assert refused.value.errors == [
        {"path": "audience", "message": "Long history has expired: clone it and calculate the copy to send it"}
    ]


def test_an_expired_audience_is_cloned_into_a_new_draft_to_calculate_again(tenant, ready):
    expire_at(CALCULATED + dt.timedelta(days=30))
    ready.refresh_from_db()

    copy = standard.clone(ready, acting_user=tenant.marketer)

    assert copy.standard_state == StandardState.DRAFT
    assert (copy.definition, copy.range_start, copy.range_end) == (ready.definition, None, None)
    assert copy.name == "Copy of Long history"
    assert not Member.objects.filter(audience=copy).exists()
    give_credits(tenant, 1)
    standard.start_calculation(tenant.account, [copy], acting_user=tenant.marketer)


def test_a_real_time_audience_using_membership_keeps_working_after_expiry(tenant, ready):
    definition = {"version": 1, "criteria": [{"type": "audience", "audience_id": ready.pk}]}
    nesting = services.create_audience(
        account=tenant.account,
        acting_user=tenant.marketer,
        name="Fans from history",
        workspace_ids=[tenant.workspace.pk],
        definition=definition,
    )

    def members_now() -> set[int]:
        calculate(nesting)
        found = set(Member.objects.filter(audience=nesting).values_list("mpid", flat=True))
        parsed, _ = parse_definition(definition)
        facts = load_profiles(tenant.account.pk, [11, 12, 13, 14])
        now = dt.datetime.now(dt.UTC)
        assert found == {m for m, f in facts.items() if is_member(parsed, Scope.of(nesting), f, now)}
        return found

    assert members_now() == {11, 12, 13}
    expire_at(CALCULATED + dt.timedelta(days=30))
    assert members_now() == {11, 12, 13}


@pytest.mark.django_db(transaction=True)
def test_an_active_real_time_audience_nesting_a_standard_one_takes_its_members_once_calculated(tenant):
    from tests.workers import WorkerProcess, wait_for

    store_events(tenant, [(m, "Play Video", dt.datetime.now(dt.UTC) - dt.timedelta(days=90)) for m in (21, 22)])
    give_credits(tenant, 1)
    audience = draft(tenant, {"all": True})
    nesting = services.create_audience(
        account=tenant.account,
        acting_user=tenant.marketer,
        name="Fans from history",
        workspace_ids=[tenant.workspace.pk],
        definition={"version": 1, "criteria": [{"type": "audience", "audience_id": audience.pk}]},
    )
    with WorkerProcess(beat=False):
        services.activate(nesting, acting_user=tenant.marketer)
        standard.start_calculation(tenant.account, [audience], acting_user=tenant.marketer)

        wait_for(
            lambda: set(Member.objects.filter(audience=nesting).values_list("mpid", flat=True)) == {21, 22},
            timeout=60,
            message="the nesting audience to take the standard audience's members",
        )
