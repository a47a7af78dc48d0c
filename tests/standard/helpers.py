"""Building blocks for standard audience tests: drafts over date ranges, events of any age."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from audiences import partitions, standard
from audiences.models import Audience
from audiences.models.events import Tier

PLAYED = {"version": 1, "criteria": [{"type": "event", "event_type": "custom_event", "name": "Play Video"}]}


def draft(tenant, date_range=None, *, name: str = "Long history", definition=PLAYED) -> Audience:
    return standard.create(
        account=tenant.account,
        acting_user=tenant.marketer,
        name=name,
        workspace_ids=[tenant.workspace.pk],
        date_range=date_range or {"all": True},
        definition=definition,
    )


def give_credits(tenant, amount: int) -> None:
    standard.grant_credits(tenant.account, amount, acting_user=tenant.admin, note="test")


def store_events(tenant, rows, *, tier: int = Tier.LIVE) -> None:
    """Events as (mpid, name, timestamp) straight into their partitions (any age, any tier)."""
    from tests.connections.helpers import add_profiles

    add_profiles(tenant, sorted({mpid for mpid, _, _ in rows}))
    partitions.ensure_partitions(tenant.account.pk, tier, {when.date() for _, _, when in rows})
    now = timezone.now()
    with connection.cursor() as cursor:
        for mpid, name, when in rows:
            cursor.execute(
                'INSERT INTO audiences_event (account_id, tier, "timestamp", workspace_id, input_id, mpid, '
                "event_type, name, received_at) VALUES (%s, %s, %s, %s, %s, %s, 'custom_event', %s, %s)",
                [tenant.account.pk, tier, when, tenant.workspace.pk, tenant.input.pk, mpid, name, now],
            )


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
