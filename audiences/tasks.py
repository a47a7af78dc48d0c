"""Scheduled upkeep of the event table (see CELERY_BEAT_SCHEDULE): thin tasks over partitions."""

from __future__ import annotations

from celery import shared_task

from audiences import partitions


@shared_task
def drop_expired_events() -> list[str]:
    """Move live days past the real-time window into the long-term history; drop what is past it."""
    return partitions.drop_expired()


@shared_task
def prepare_event_partitions() -> None:
    """Create today's and the next days' partitions before the first event of the day needs one."""
    partitions.prepare_upcoming()


@shared_task
def calculate_audience(audience_id: int) -> dict[str, int] | None:
    """Recalculate an audience's members (activation, definition edits, time passing)."""
    from audiences.calculation import calculate
    from audiences.models import Audience

    audience = Audience.objects.filter(pk=audience_id).first()
    if audience is None:
        return None  # deleted since the task was queued
    changes = calculate(audience)
    return {"added": changes.added, "dropped": changes.dropped}


@shared_task(ignore_result=True)
def evaluate_pending() -> int:
    """Re-evaluate the users whose data just arrived (see audiences.realtime)."""
    from audiences import realtime

    realtime.draining()
    evaluated = realtime.drain(budget_seconds=realtime.TASK_BUDGET_SECONDS)
    if realtime.pending():
        realtime.wake()
    return evaluated


@shared_task(ignore_result=True)
def sweep_clock() -> None:
    """Re-evaluate the users whom the clock alone may move in or out of an audience."""
    from audiences import realtime

    realtime.sweep()


@shared_task(ignore_result=True)
def purge_erased_profiles() -> int:
    """Forget the identities of deleted profiles once their drops have long gone out."""
    from audiences.profiles import purge_erased

    return purge_erased()


@shared_task(ignore_result=True)
def prepare_download(download_id: int) -> None:
    """Write an audience download's ZIP (see audiences.downloads), then tell the person."""
    from audiences import downloads
    from audiences.models import Download

    download = Download.objects.select_related("audience", "requested_by").filter(pk=download_id).first()
    if download is None:
        return  # the audience was deleted since
    downloads.prepare(download)


@shared_task
def remove_expired_downloads() -> int:
    """Delete the files of downloads whose links have expired."""
    from audiences import downloads

    return downloads.remove_expired_files()


@shared_task(ignore_result=True)
def calculate_standard_audiences(calculation_id: int) -> None:
    """Calculate the standard audiences of a started (paid) calculation."""
    from audiences import standard

    standard.calculate_standard(calculation_id)


@shared_task
def requeue_stalled_standard_calculations() -> list[int]:
    """Queue again the standard calculations whose task was lost with a killed worker."""
    from audiences import standard

    return standard.requeue_stalled()


@shared_task
def expire_standard_audiences() -> int:
    """Ready standard audiences expire 30 days after their calculation."""
    from audiences import standard

    return standard.expire_due()
