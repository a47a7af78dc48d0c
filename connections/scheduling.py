"""Which connections have work, and waking them when an audience's membership changes."""

from __future__ import annotations

from django.db import connection as db
from django.db import transaction
from django.dispatch import receiver

from audiences import queued
from audiences.models import AudienceKind
from audiences.signals import membership_changed
from connections.models import Connection, ConnectionStatus

# A standard audience's connection has work only while a Send's snapshot is under way; it
# never follows the change log (connections.sending).
DUE = """
SELECT c.id FROM connections_connection c
WHERE c.status = 'sending' AND c.faulted_at IS NULL
  AND (c.next_attempt_at IS NULL OR c.next_attempt_at <= now())
  AND (c.snapshot_state <> 'done' OR (
        EXISTS (SELECT 1 FROM audiences_audience a WHERE a.id = c.audience_id AND a.kind = 'realtime')
        AND EXISTS (
        SELECT 1 FROM audiences_membershipchange m
        WHERE m.audience_id = c.audience_id AND m.seq > c.cursor
          AND (c.variation_id IS NULL OR m.variation_id = c.variation_id))))
"""


def due_connections(only: list[int] | None = None) -> list[int]:
    """Sending, unfaulted connections whose retry time has come and that have something to send."""
    sql, params = DUE, []
    if only is not None:
        sql += " AND c.id = ANY(%s)"
        params.append(only)
    with db.cursor() as cursor:
        cursor.execute(sql + " ORDER BY c.id", params)
        return [row[0] for row in cursor.fetchall()]


def has_work(connection_id: int) -> bool:
    return bool(due_connections([connection_id]))


def _key(connection_id: int) -> str:
    return f"forward:{connection_id}"


def wake(connection_ids: list[int]) -> None:
    """Queue a forwarding task for each connection that has none queued (audiences.queued)."""
    from connections.tasks import forward_connection

    for key in queued.mark([_key(c) for c in connection_ids]):
        forward_connection.delay(int(key.removeprefix("forward:")))


def started(connection_id: int) -> None:
    """A forwarding task starts: changes committed from now on need a new wake."""
    queued.started(_key(connection_id))


def wake_on_commit(connection_ids: list[int]) -> None:
    ids = list(connection_ids)
    transaction.on_commit(lambda: wake(ids))


@receiver(membership_changed)
def forward_changes(sender, audience_ids: list[int], **kwargs) -> None:
    ids = Connection.objects.filter(
        audience_id__in=audience_ids,
        audience__kind=AudienceKind.REALTIME,  # standard audiences are sent on request only
        status=ConnectionStatus.SENDING,
        faulted_at__isnull=True,
    ).values_list("pk", flat=True)
    wake(list(ids))
