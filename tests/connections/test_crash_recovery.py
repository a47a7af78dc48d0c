"""Fault injection: the forwarding worker is SIGKILLed mid-batch, again and again, while
10,000 changes flow. After restarts every change has reached the partner, in order per user."""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection as db

from audiences.models import Member
from connections import services
from connections.models import Connection, SnapshotState
from tests.connections.helpers import Receiver, add_profiles, audience_with_members, change, webhook_configuration
from tests.partners.stub import Answer, Received
from tests.workers import WorkerProcess, wait_for


class SlowReceiver(Receiver):
    """Takes a while per batch, so that kills land while a batch is in flight."""

    def handle(self, request: Received) -> Answer:
        time.sleep(0.15)
        return super().handle(request)


def _collapse(history: list[bool]) -> list[bool]:
    out: list[bool] = []
    for added in history:
        if not out or out[-1] != added:
            out.append(added)
    return out


@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_batch_loses_nothing_and_keeps_order_per_user(tenant):
    rng = random.Random(7)
    with SlowReceiver() as receiver:
        audience = audience_with_members(tenant, range(1, 2001))
        configuration = webhook_configuration(tenant.account, receiver.url)
        connection = services.create_connection(audience, configuration, acting_user=tenant.admin)
        members = set(range(1, 2001))
        outside: set[int] = set()
        add_profiles(tenant, range(2001, 6001))
        outside.update(range(2001, 6001))
        changes = 2000

        def churn() -> None:
            nonlocal changes
            # Each change is made in its own transaction by a separate connection to the DB.
            while changes < 10_000:
                joining = set(rng.sample(sorted(outside), 250))
                leaving = set(rng.sample(sorted(members), 250))
                change(audience, joining, added=True)
                change(audience, leaving, added=False)
                members.update(joining)
                members.difference_update(leaving)
                outside.difference_update(joining)
                outside.update(leaving)
                changes += 500
                time.sleep(0.1)
            db.close()

        worker = WorkerProcess().start()
        producer = threading.Thread(target=churn)
        producer.start()
        kills = 0
        try:
            while producer.is_alive() or kills < 4:
                time.sleep(rng.uniform(0.8, 1.6))
                worker.kill()
                kills += 1
                worker.start()
            producer.join()

            def caught_up() -> bool:
                row = Connection.objects.get(pk=connection.pk)
                top = audience.changes.order_by("-seq").values_list("seq", flat=True).first()
                return row.snapshot_state == SnapshotState.DONE and row.cursor == top and row.faulted_at is None

            wait_for(caught_up, timeout=120, message="the connection to catch up")
        finally:
            worker.stop()

        assert kills >= 4
        assert changes >= 10_000
        current = set(Member.objects.filter(audience=audience).values_list("mpid", flat=True))
        assert current == members
        assert receiver.members() == current
        for mpid, history in receiver.history.items():
            # In order per user: the partner heard of each user first as an add, and its last
            # word on every user (checked through receiver.members() above) is the log's.
            assert _collapse(history)[0] is True, f"user {mpid} was dropped before being added"
