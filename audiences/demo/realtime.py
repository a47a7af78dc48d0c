"""The demo's real-time audiences: the tutorial audience and two more, active and calculated,
in the demo's US workspace (the one people land in), so the lists are not empty on first
sign-in. Made through `audiences.services` as a marketer would; seeding again finds them by
name and adds nothing."""

from __future__ import annotations

from accounts.models import Account, Person, Role
from audiences import services
from audiences.calculation import calculate
from audiences.demo.content import US
from audiences.models import Audience, AudienceKind, AudienceStatus

# The spec's tutorial audience (also what `make bench engine` times).
TUTORIAL = {
    "version": 1,
    "criteria": [
        {
            "type": "event",
            "event_type": "custom_event",
            "name": "Play Video",
            "attributes": [
                {"key": "category", "op": "equals", "value": "Destination Intro"},
                {"key": "destination", "op": "equals", "value": "Paris"},
            ],
            "time": {"within_days": 3},
        },
        {"join": "and", "type": "user_attribute", "key": "status", "op": "equals", "value": "Premium"},
    ],
}

AUDIENCES = [
    ("Paris intro viewers, Premium", TUTORIAL),
    (
        "Cart abandoners, last week",
        {
            "version": 1,
            "criteria": [
                {
                    "type": "event",
                    "event_type": "commerce_event",
                    "name": "add_to_cart",
                    "time": {"within_days": 7},
                },
                {
                    "join": "exclude",
                    "type": "event",
                    "event_type": "commerce_event",
                    "name": "purchase",
                    "time": {"within_days": 7},
                },
            ],
        },
    ),
    (
        "Free users watching often",
        {
            "version": 1,
            "criteria": [
                {"type": "user_attribute", "key": "status", "op": "equals", "value": "Free"},
                {
                    "join": "and",
                    "type": "event",
                    "event_type": "custom_event",
                    "name": "Play Video",
                    "frequency": {"op": "gte", "value": 5},
                    "time": {"within_days": 14},
                },
            ],
        },
    ),
]


def seed_realtime_audiences(account: Account) -> list[Audience]:
    """The demo's real-time audiences, those missing only, activated and calculated at once
    (no worker needs to be running)."""
    marketer = Person.objects.filter(account=account, role=Role.MARKETER).select_related("user").first().user
    workspace = account.workspaces.get(name=US)
    audiences = []
    for name, definition in AUDIENCES:
        audience = Audience.objects.filter(account=account, kind=AudienceKind.REALTIME, name=name).first()
        if audience is None:
            audience = services.create_audience(
                account=account,
                acting_user=marketer,
                name=name,
                workspace_ids=[workspace.pk],
                definition=definition,
                tags=["demo"],
            )
        if audience.status != AudienceStatus.ACTIVE:
            services.activate(audience, acting_user=marketer)
            calculate(audience)
        audiences.append(audience)
    return audiences
