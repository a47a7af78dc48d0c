"""What deleting an audience does at its partners (each partner's `delete_behaviour`)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone

from audiences.models import Audience
from connections.forwarding import backoff_seconds, forwarded_name
from connections.models import Connection, DownstreamDeletion
from outputs.partners.base import AudienceRef, PartnerError

log = logging.getLogger(__name__)


@receiver(pre_delete, sender=Audience)
def remember_downstream(sender, instance: Audience, **kwargs) -> None:
    """Before an audience and its connections go, note each partner that must be told."""
    for connection in Connection.objects.filter(audience=instance).select_related("output_configuration", "audience"):
        if connection.connected_at is None:
            continue  # the partner never heard of it
        DownstreamDeletion.objects.create(
            output_configuration=connection.output_configuration,
            audience_id=instance.pk,
            name=forwarded_name(connection),
            partner_state=connection.partner_state,
            settings=connection.settings,
        )


def run_due(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    done = 0
    while True:
        with transaction.atomic():
            job = (
                DownstreamDeletion.objects.select_for_update(skip_locked=True)
                .select_related("output_configuration")
                .filter(done_at__isnull=True)
                .exclude(next_attempt_at__gt=now)
                .order_by("pk")
                .first()
            )
            if job is None:
                return done
            _run(job, now)
            done += 1


def _run(job: DownstreamDeletion, now: dt.datetime) -> None:
    configuration = job.output_configuration
    partner_class = configuration.partner_class
    partner = partner_class(
        partner_class.Configuration.model_validate(configuration.settings),
        partner_class.ConnectionSettings.model_validate(job.settings or {}),
    )
    ref = AudienceRef(
        audience_id=job.audience_id,
        connection_id=0,
        name=job.name,
        variation=job.variation or None,
        state=dict(job.partner_state),
    )
    try:
        partner.delete(ref)
    except PartnerError as error:
        job.attempts += 1
        job.message = error.message
        if error.permanent or job.attempts > settings.FORWARDING_MAX_ATTEMPTS:
            job.done_at = now  # given up; the message says why
            log.warning("could not delete audience %s at %s: %s", job.audience_id, configuration, error.message)
        else:
            job.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(job.attempts, error.retry_after))
        job.save()
        return
    job.done_at = now
    job.message = ""
    job.save()
