"""The forwarding pipeline through its service functions, against a live local receiver."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from connections import forwarding, services
from connections.models import Connection, Delivery
from tests.connections.helpers import Receiver, add_profiles, audience_with_members, change, webhook_configuration


@pytest.fixture
def receiver():
    with Receiver() as stub:
        yield stub


def _connect(tenant, audience, receiver, **kwargs) -> Connection:
    configuration = webhook_configuration(tenant.account, receiver.url + "/hook")
    return services.create_connection(audience, configuration, acting_user=tenant.admin, **kwargs)


def _drain(connection: Connection) -> None:
    forwarding.forward(connection.pk)
    connection.refresh_from_db()


def test_a_new_connection_sends_current_members_then_follows_the_log(tenant, receiver):
    audience = audience_with_members(tenant, range(1, 2501))
    connection = _connect(tenant, audience, receiver)
    _drain(connection)
    assert receiver.members() == set(range(1, 2501))
    assert [len(b["adds"]) for b in receiver.batches] == [1000, 1000, 500]
    assert receiver.batches[0]["audience"]["name"] == "Paris fans (ext)"
    change(audience, [5, 6], added=False)
    add_profiles(tenant, [9001])
    change(audience, [9001], added=True)
    _drain(connection)
    assert receiver.members() == (set(range(1, 2501)) - {5, 6}) | {9001}
    assert (connection.delivered_adds, connection.delivered_drops) == (2501, 2)


def test_each_member_carries_every_accepted_identity_from_every_workspace(tenant, receiver):
    from audiences.models import Identity
    from tests.factories import WorkspaceFactory

    audience = audience_with_members(tenant, [42])
    other = WorkspaceFactory(account=tenant.account)
    now = timezone.now()
    for workspace, idfa in ((tenant.workspace, "IDFA-ONE"), (other, "IDFA-TWO")):
        Identity.objects.create(
            account=tenant.account,
            profile_id=42,
            workspace=workspace,
            identity_type="ios_advertising_id",
            value=idfa,
            first_seen=now,
            last_seen=now,
        )
    _drain(_connect(tenant, audience, receiver))
    member = receiver.batches[0]["adds"][0]
    assert member["identities"] == {"email": ["user42@example.com"], "ios_advertising_id": ["IDFA-ONE", "IDFA-TWO"]}


def test_users_without_an_accepted_identity_are_counted_not_sent(tenant, receiver):
    audience = audience_with_members(tenant, [1, 2])
    add_profiles(tenant, [3], email=False)
    change(audience, [3], added=True)
    connection = _connect(tenant, audience, receiver)
    _drain(connection)
    assert receiver.members() == {1, 2}
    assert connection.skipped_without_identity == 1


def test_shared_attributes_travel_with_the_identities(tenant, receiver):
    audience = audience_with_members(tenant, [1])
    _drain(_connect(tenant, audience, receiver, shared_attributes=["status"]))
    assert receiver.batches[0]["adds"][0]["attributes"] == {"status": "Premium"}


def test_inactive_connections_wait_and_send_the_net_change_when_resumed(tenant, receiver):
    audience = audience_with_members(tenant, [1, 2, 3])
    connection = _connect(tenant, audience, receiver)
    _drain(connection)
    services.change_connection(connection, status="inactive")
    change(audience, [1], added=False)
    change(audience, [1], added=True)  # dropped and re-added: nothing to tell
    change(audience, [2], added=False)  # dropped: tell
    _drain(connection)
    assert len(receiver.batches) == 1
    services.change_connection(connection, status="sending")
    _drain(connection)
    assert receiver.batches[-1]["adds"] == [] and [m["mpid"] for m in receiver.batches[-1]["drops"]] == [2]
    assert receiver.members() == {1, 3}


@override_settings(FORWARDING_BACKOFF_BASE_SECONDS=0, FORWARDING_BACKOFF_CAP_SECONDS=0)
def test_rate_limits_are_retried_and_nothing_is_lost(tenant, receiver):
    audience = audience_with_members(tenant, range(1, 11))
    connection = _connect(tenant, audience, receiver)
    receiver.fail_next(429, times=3, retry_after=0)
    for _ in range(5):
        _drain(connection)
    assert connection.faulted_at is None
    assert receiver.members() == set(range(1, 11))
    assert Delivery.objects.filter(connection=connection, outcome="retry").count() == 3


def test_retry_after_is_honoured(tenant, receiver):
    audience = audience_with_members(tenant, [1])
    connection = _connect(tenant, audience, receiver)
    receiver.fail_next(429, retry_after=120)
    before = timezone.now()
    _drain(connection)
    assert connection.next_attempt_at >= before + dt.timedelta(seconds=119)
    _drain(connection)  # not due yet: nothing happens
    assert len(receiver.requests) == 1


def test_a_401_faults_at_once_with_the_partners_message_and_resume_delivers_the_backlog(tenant, receiver):
    audience = audience_with_members(tenant, [1, 2])
    configuration = webhook_configuration(tenant.account, receiver.url, secret="the-wrong-secret-value")
    connection = services.create_connection(audience, configuration, acting_user=tenant.admin)
    _drain(connection)
    assert connection.state == "faulted"
    assert "signature mismatch" in connection.fault_message
    change(audience, [1], added=False)
    _drain(connection)
    assert receiver.members() == set()
    configuration.settings = {"url": receiver.url, "secret": "receiver-shared-secret-123"}
    configuration.save()
    services.resume(connection, acting_user=tenant.support)
    _drain(connection)
    assert connection.state == "sending"
    assert receiver.members() == {2}


@override_settings(FORWARDING_MAX_ATTEMPTS=2, FORWARDING_BACKOFF_BASE_SECONDS=0, FORWARDING_BACKOFF_CAP_SECONDS=0)
def test_when_retries_run_out_the_connection_faults(tenant, receiver):
    audience = audience_with_members(tenant, [1])
    connection = _connect(tenant, audience, receiver)
    receiver.fail_next(503, times=10)
    for _ in range(4):
        _drain(connection)
    assert connection.state == "faulted"
    assert "gave up after 3 attempts" in connection.fault_message and "503" in connection.fault_message


def test_bad_connection_requests_name_the_field_and_save_nothing(tenant, other_tenant, receiver):
    audience = audience_with_members(tenant, [1])
    foreign = webhook_configuration(other_tenant.account, receiver.url)
    with pytest.raises(services.ConnectionRefused) as refused:
        services.create_connection(audience, foreign, acting_user=tenant.admin)
    assert refused.value.errors[0]["path"] == "output_configuration_id"
    mine = webhook_configuration(tenant.account, receiver.url, name="Mine")
    with pytest.raises(services.ConnectionRefused) as refused:
        services.create_connection(audience, mine, acting_user=tenant.admin, status="paused", settings={"x": 1})
    assert {e["path"] for e in refused.value.errors} == {"status", "settings.x"}
    assert not Connection.objects.exists()


def test_bulk_connect_reports_each_audience(tenant, other_tenant, receiver):
    first = audience_with_members(tenant, [1], name="One")
    second = audience_with_members(tenant, [2], name="Two")
    foreign = audience_with_members(other_tenant, [3], name="Theirs")
    configuration = webhook_configuration(tenant.account, receiver.url)
    services.create_connection(second, configuration, acting_user=tenant.admin)
    results = services.connect_audiences(
        configuration, [first.pk, second.pk, foreign.pk], acting_user=tenant.admin, status="inactive"
    )
    assert [r.connection is not None for r in results] == [True, False, False]
    assert results[1].error == "this audience is already connected to it"
    assert results[2].error == "no such audience in this account"


def test_deleting_the_audience_tells_the_partner(tenant, receiver):
    from connections.downstream import run_due

    audience = audience_with_members(tenant, [1])
    _drain(_connect(tenant, audience, receiver))
    audience.delete()
    assert run_due() == 1
    assert receiver.requests[-1].json()["deleted"] is True
