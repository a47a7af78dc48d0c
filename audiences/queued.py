"""At most one queued Celery task per piece of work (a `QueuedTask` row while it waits).

A task marks its key when it is queued and clears it when it starts, so work committed after
the start asks for a new task and nothing is missed. A mark whose task was lost (a purged
broker, a killed worker before the start) stops counting after `STALE_SECONDS`.
"""

from __future__ import annotations

from django.db import connection

from audiences.models import QueuedTask

STALE_SECONDS = 5


def mark(keys: list[str]) -> list[str]:
    """Mark the keys as queued; answer those that had no live mark: queue a task for each."""
    if not keys:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audiences_queuedtask (key, queued_at) "
            "SELECT k, now() FROM unnest(%s::text[]) AS k ORDER BY k "
            "ON CONFLICT (key) DO UPDATE SET queued_at = EXCLUDED.queued_at "
            "WHERE audiences_queuedtask.queued_at < now() - make_interval(secs => %s) RETURNING key",
            [sorted(set(keys)), STALE_SECONDS],
        )
        return [row[0] for row in cursor.fetchall()]


def started(key: str) -> None:
    """The task for this key starts: work committed from now on needs a new one."""
    QueuedTask.objects.filter(key=key).delete()
