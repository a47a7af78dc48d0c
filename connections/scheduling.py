"""Which connections have work, and waking them when an audience's membership changes."""

from __future__ import annotations

from django.db import connection as db
from django.db import transaction
from django.dispatch import receiver

from audiences.models import AudienceKind
from audiences.signals import membership_changed
from connections.models import Connection, ConnectionStatus, QueuedWake

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


# A queued wake older than this is taken as lost (its task will not run): wake again.
WAKE_STALE_SECONDS = 5


def wake(connection_ids: list[int]) -> None:
    """Queue a forwarding task for each connection that has none queued (see QueuedWake)."""
    from connections.tasks import forward_connection

    if not connection_ids:
        return
    with db.cursor() as cursor:
        cursor.execute(
            "INSERT INTO connections_queuedwake (connection_id, queued_at) "
            "SELECT c, now() FROM unnest(%s::bigint[]) AS c ORDER BY c "
            "ON CONFLICT (connection_id) DO UPDATE SET queued_at = EXCLUDED.queued_at "
            "WHERE connections_queuedwake.queued_at < now() - make_interval(secs => %s) "
            "RETURNING connection_id",
            [sorted(set(connection_ids)), WAKE_STALE_SECONDS],
        )
        queued = [row[0] for row in cursor.fetchall()]
    for connection_id in queued:
        forward_connection.delay(connection_id)


def started(connection_id: int) -> None:
    """A forwarding task starts: changes committed from now on need a new wake."""
    QueuedWake.objects.filter(connection_id=connection_id).delete()


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
