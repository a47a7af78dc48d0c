"""Send: a ready standard audience's members go to the chosen connections once per Send,
through the forwarding pipeline (a real Celery worker, webhook receivers), with its faults and
Resume; connections of standard audiences forward nothing on their own."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from audiences import standard
from audiences.models import Audience, StandardState
from connections import forwarding, scheduling
from connections import services as connections
from connections.listing import with_pending_changes
from connections.models import Connection, StandardSend
from tests.connections.helpers import Receiver, webhook_configuration
from tests.partners.stub import Answer, Received
from tests.standard.helpers import draft, give_credits, store_events
from tests.workers import WorkerProcess, wait_for

MEMBERS = set(range(1001, 3501))  # 2,500 users: three webhook batches of at most 1,000


def calculated_audience(tenant, *, via_task: bool = False) -> Audience:
    long_ago = timezone.now() - dt.timedelta(days=120)
    store_events(tenant, [(m, "Play Video", long_ago) for m in sorted(MEMBERS)])
    store_events(tenant, [(m, "Skip Video", long_ago) for m in range(5001, 5101)])
    give_credits(tenant, 1)
    audience = draft(tenant, {"all": True})
    calculation = standard.start_calculation(tenant.account, [audience], acting_user=tenant.marketer)
    if via_task:
        wait_for(
            lambda: Audience.objects.get(pk=audience.pk).standard_state == StandardState.READY,
            timeout=60,
            message="the worker to calculate the audience",
        )
    else:
        standard.calculate_standard(calculation.pk)
    audience.refresh_from_db()
    return audience


def connect(tenant, audience, url: str, name: str) -> Connection:
    configuration = webhook_configuration(tenant.account, url, name=name)
    return connections.create_connection(audience, configuration, acting_user=tenant.marketer)


def delivered(receiver: Receiver) -> Counter:
    """How many times each user was sent as an add."""
    return Counter(member["mpid"] for batch in receiver.batches for member in batch["adds"])


@pytest.mark.django_db
def test_connections_of_a_standard_audience_forward_nothing_on_save_or_calculation(tenant):
    with Receiver() as receiver:
        early = draft(tenant, {"all": True}, name="Connected as a draft")
        before = connect(tenant, early, receiver.url, "Before")
        audience = calculated_audience(tenant)
        after = connect(tenant, audience, receiver.url, "After")
        give_credits(tenant, 1)
        standard.calculate_standard(standard.start_calculation(tenant.account, [early], acting_user=tenant.marketer).pk)

        assert scheduling.due_connections() == []
        for connection in (before, after):
            forwarding.forward(connection.pk)
        assert receiver.batches == []
        # Nothing waits to go out either, as the Connect tab and the API count it.
        assert [forwarding.pending_changes(c) for c in (before, after)] == [0, 0]
        listed = with_pending_changes(Connection.objects.filter(pk__in=[before.pk, after.pk]))
        assert [c.pending for c in listed] == [0, 0]


@pytest.mark.django_db
def test_send_is_refused_before_the_audience_is_ready_and_for_others_connections(tenant):
    audience = draft(tenant, {"all": True})
    connection = connect(tenant, audience, "http://127.0.0.1:9/hook", "Hook")
    with pytest.raises(standard.StandardRefused) as refused:
        standard.send(audience, [connection], acting_user=tenant.marketer)
    assert refused.value.errors == [
        {"path": "audience", "message": "Long history is Draft: it can be sent once it is calculated and Ready"}
    ]

    audience = calculated_audience(tenant)
    foreign = connect(tenant, draft(tenant, {"all": True}, name="Other"), "http://127.0.0.1:9/x", "X")
    inactive = connect(tenant, audience, "http://127.0.0.1:9/y", "Y")
    connections.change_connection(inactive, status="inactive")
    with pytest.raises(standard.StandardRefused) as refused:
        standard.send(audience, [foreign], acting_user=tenant.marketer)
    assert refused.value.errors == [{"path": "connection_ids[0]", "message": "not a connection of this audience"}]
    with pytest.raises(standard.StandardRefused) as refused:
        standard.send(audience, [inactive], acting_user=tenant.marketer)
    assert refused.value.errors == [
        {"path": "connection_ids[0]", "message": "the connection to Y is inactive: set it to sending first"}
    ]
    with pytest.raises(standard.StandardRefused):
        standard.send(audience, [], acting_user=tenant.marketer)
    assert not StandardSend.objects.exists()
    audience.refresh_from_db()
    assert audience.last_sent_at is None


class FailsOnce(Receiver):
    """Takes the first batch, then answers 401 once: the connection faults mid-send."""

    def __init__(self) -> None:
        super().__init__()
        self.answered = 0

    def handle(self, request: Received) -> Answer:
        self.answered += 1
        if self.answered == 2:
            return Answer(401, {"error": "token revoked"})
        return super().handle(request)


@pytest.mark.django_db(transaction=True)
def test_send_delivers_every_member_once_to_each_chosen_connection_again_on_each_send_and_resumes(tenant):
    with Receiver() as first, Receiver() as second, Receiver() as unchosen, FailsOnce() as flaky:
        with WorkerProcess():
            audience = calculated_audience(tenant, via_task=True)
            one = connect(tenant, audience, first.url, "First")
            two = connect(tenant, audience, second.url, "Second")
            connect(tenant, audience, unchosen.url, "Not chosen")
            three = connect(tenant, audience, flaky.url, "Flaky")

            standard.send(audience, [one, two], acting_user=tenant.marketer)
            for receiver in (first, second):
                wait_for(lambda r=receiver: r.members() == MEMBERS, timeout=60, message="the first send")
            wait_for(lambda: StandardSend.objects.filter(finished_at__isnull=False).count() == 2, timeout=30)
            for receiver in (first, second):
                assert delivered(receiver) == Counter(MEMBERS)
                assert [len(b["adds"]) for b in receiver.batches] == [1000, 1000, 500]
            audience.refresh_from_db()
            sent_first = audience.last_sent_at
            assert sent_first is not None

            # Sending again delivers everyone again, under new batch ids.
            standard.send(audience, [one], acting_user=tenant.marketer)
            wait_for(lambda: delivered(first) == Counter({m: 2 for m in MEMBERS}), timeout=60, message="resend")
            record = StandardSend.objects.get(connection=one)
            assert record.sends == 2
            audience.refresh_from_db()
            assert audience.last_sent_at > sent_first
            assert delivered(second) == Counter(MEMBERS)

            # A fault mid-send stops it; Resume finishes it with nobody missing.
            standard.send(audience, [three], acting_user=tenant.marketer)
            wait_for(lambda: Connection.objects.get(pk=three.pk).faulted_at is not None, timeout=60)
            faulted = Connection.objects.get(pk=three.pk)
            assert faulted.fault_message
            assert set(delivered(flaky)) < MEMBERS
            connections.resume(faulted, acting_user=tenant.marketer)
            wait_for(lambda: flaky.members() == MEMBERS, timeout=60, message="the resumed send")
            wait_for(lambda: StandardSend.objects.get(connection=three).finished_at is not None, timeout=30)

        assert unchosen.batches == []
        assert set(delivered(flaky)) == MEMBERS
        assert delivered(flaky).total() == len(MEMBERS)  # resumed where it stopped
