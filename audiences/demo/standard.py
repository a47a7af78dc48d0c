"""The demo's standard audiences: a credit grant, two drafts and one Ready audience.

Everything goes through `audiences.standard` (grant, create, start and calculate), as an
admin and a marketer would through the pages. Seeding again finds them by name and adds
nothing, so `seed_demo --force` never grants twice or spends more credits.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Person, Role
from audiences import standard
from audiences.demo.content import US
from audiences.models import Audience, AudienceKind, CreditEntry, CreditReason, StandardState

GRANT = 12
GRANT_NOTE = "Demo: a year's calculation credits"


def _played(times: int) -> dict:
    return {
        "version": 1,
        "criteria": [
            {
                "type": "event",
                "event_type": "custom_event",
                "name": "Play Video",
                "frequency": {"op": "gte", "value": times},
            }
        ],
    }


PURCHASED = {
    "version": 1,
    "criteria": [{"type": "event", "event_type": "commerce_event", "name": "purchase"}],
}


def seed_standard_audiences(account: Account, today: dt.date | None = None) -> list[Audience]:
    """Credits, the two drafts and the Ready audience, those missing only."""
    today = today or timezone.now().date()
    admin = Person.objects.filter(account=account, role=Role.ADMIN).select_related("user").first().user
    marketer = Person.objects.filter(account=account, role=Role.MARKETER).select_related("user").first().user
    workspace = account.workspaces.get(name=US)
    if not CreditEntry.objects.filter(account=account, reason=CreditReason.GRANT, note=GRANT_NOTE).exists():
        standard.grant_credits(account, GRANT, acting_user=admin, note=GRANT_NOTE)
    # Over the demo's month of history: its last two weeks, and its first fortnight.
    drafts = [
        (
            "Binge watchers, last two weeks",
            _played(5),
            {"start": str(today - dt.timedelta(days=13)), "end": "most_recent"},
        ),
        (
            "Buyers, first half of the month",
            PURCHASED,
            {"start": str(today - dt.timedelta(days=29)), "end": str(today - dt.timedelta(days=15))},
        ),
        ("Video watchers, all history", _played(1), {"all": True}),
    ]
    audiences = []
    for name, definition, date_range in drafts:
        audience = Audience.objects.filter(account=account, kind=AudienceKind.STANDARD, name=name).first()
        if audience is None:
            audience = standard.create(
                account=account,
                acting_user=marketer,
                name=name,
                workspace_ids=[workspace.pk],
                date_range=date_range,
                definition=definition,
                tags=["demo"],
            )
        audiences.append(audience)
    ready = audiences[-1]
    if ready.standard_state == StandardState.DRAFT:
        # Started and calculated in one transaction: the task queued on commit then finds it
        # done, whether or not a worker is running.
        with transaction.atomic():
            calculation = standard.start_calculation(account, [ready], acting_user=marketer)
            standard.calculate_standard(calculation.pk)
        ready.refresh_from_db()
    return audiences
