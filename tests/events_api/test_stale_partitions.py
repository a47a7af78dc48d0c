"""A web process that remembers a partition another process has dropped still stores events."""

from __future__ import annotations

import pytest
from django.db import connection

from audiences import partitions
from audiences.ingestion.service import ingest
from audiences.ingestion.wire import parse_batch
from audiences.models import Event, EventPartition


def _send(tenant) -> int:
    parsed, errors = parse_batch(
        {"user_identities": {"email": "p@example.com"}, "events": [{"event_type": "session_start", "data": {}}]}
    )
    assert not errors
    return ingest(tenant.input, [parsed]).events


@pytest.mark.django_db(transaction=True)
def test_ingestion_recreates_a_partition_dropped_behind_its_back(tenant):
    assert _send(tenant) == 1
    partition = EventPartition.objects.get(account=tenant.account)
    assert any(key[0] == tenant.account.pk for key in partitions._known)
    # Another process drops it (as retention would after an admin shortened it).
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{partition.table_name}"')
    partition.delete()
    assert _send(tenant) == 1
    assert Event.objects.filter(account_id=tenant.account.pk).count() == 1
