"""Sending a standard audience: every current member, once, to each chosen connection.

A standard audience's connection forwards nothing on its own (not on save, not when the
audience is calculated): it rests with its snapshot done and never follows the change log
(see `forwarding.next_batch` and `scheduling.DUE`). Send restarts its snapshot, so the
ordinary pipeline pages through the current members with the usual batches, retries,
faults and Resume, and stops when the last page is delivered.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from audiences.models import Audience
from connections import forwarding, scheduling
from connections.models import Connection, ConnectionStatus, SnapshotState, StandardSend


def send_members(
    audience: Audience, connections: list[Connection], *, acting_user, now: dt.datetime | None = None
) -> tuple[list[StandardSend], list[dict[str, str]]]:
    """Restart the snapshot of each connection; answers the send records, or the refusals
    (then nothing is written). Runs inside the caller's transaction."""
    now = now or timezone.now()
    ids = [c.pk for c in connections]
    # Locked, so a batch in flight finishes before its snapshot is restarted under it.
    locked = {
        c.pk: c
        for c in Connection.objects.select_for_update(of=("self",))
        .select_related("output_configuration")
        .filter(pk__in=ids, audience=audience)
    }
    errors = []
    for index, pk in enumerate(ids):
        connection = locked.get(pk)
        if connection is None:
            errors.append({"path": f"connection_ids[{index}]", "message": "not a connection of this audience"})
        elif connection.status != ConnectionStatus.SENDING:
            name = connection.output_configuration.name
            errors.append(
                {
                    "path": f"connection_ids[{index}]",
                    "message": f"the connection to {name} is inactive: set it to sending first",
                }
            )
    if errors:
        return [], errors
    records = []
    with transaction.atomic():
        for pk in ids:
            connection = locked[pk]
            # A fresh Send starts from the first member; an open fault is cleared (the marketer
            # asked to send again), as Resume does.
            forwarding.resume(connection)
            connection.snapshot_state = SnapshotState.PENDING
            connection.snapshot_after_mpid = None
            connection.snapshot_seq = None
            connection.save(update_fields=["snapshot_state", "snapshot_after_mpid", "snapshot_seq"])
            record, created = StandardSend.objects.select_for_update().get_or_create(
                connection=connection,
                defaults={"audience": audience, "sends": 1, "last_sent_at": now, "last_sent_by": acting_user},
            )
            if not created:
                record.sends += 1
                record.last_sent_at = now
                record.last_sent_by = acting_user
                record.finished_at = None
                record.save()
            records.append(record)
        scheduling.wake_on_commit(ids)
    return records, []


def finish(connection: Connection, now: dt.datetime) -> None:
    """The last page of a Send is delivered: say so on its record."""
    StandardSend.objects.filter(connection=connection, finished_at__isnull=True).update(finished_at=now)
