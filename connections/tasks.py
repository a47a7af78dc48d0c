"""Celery tasks: thin wrappers around the forwarding pipeline."""

from __future__ import annotations

from celery import shared_task

from connections import downstream, forwarding, scheduling


@shared_task(ignore_result=True)
def forward_connection(connection_id: int) -> None:
    scheduling.started(connection_id)
    delivered = forwarding.forward(connection_id)
    # Changes may have arrived while this worker held the connection: look once more. (When
    # nothing was delivered another worker holds it, and that worker looks again itself.)
    if delivered and scheduling.has_work(connection_id):
        scheduling.wake([connection_id])


@shared_task(ignore_result=True)
def forward_due() -> None:
    scheduling.wake(scheduling.due_connections())


@shared_task(ignore_result=True)
def delete_downstream() -> None:
    downstream.run_due()
