"""Scheduled upkeep of the event table (see CELERY_BEAT_SCHEDULE): thin tasks over partitions."""

from __future__ import annotations

from celery import shared_task

from audiences import partitions


@shared_task
def drop_expired_events() -> list[str]:
    """Drop the live event partitions that are wholly past their account's retention."""
    return partitions.drop_expired()


@shared_task
def prepare_event_partitions() -> None:
    """Create today's and the next days' partitions before the first event of the day needs one."""
    partitions.prepare_upcoming()
