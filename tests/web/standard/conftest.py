"""Standard audiences for the page tests, made through the services the pages call; the
lifecycle states a calculation or the clock would reach are set on the row directly."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audiences import standard
from audiences.models import Audience, StandardState

DEFINITION = {
    "version": 1,
    "criteria": [{"type": "event", "event_type": "custom_event", "name": "Play Video"}],
}


@pytest.fixture
def make_standard(tenant):
    """`make_standard("Name", state=..., start=date, end=date)`: a standard audience of the tenant."""

    def make(
        name: str = "Long-term fans",
        *,
        state: str = StandardState.DRAFT,
        start: dt.date | None = None,
        end: dt.date | None = None,
        most_recent: bool = False,
        definition=DEFINITION,
        size: int = 0,
        by=None,
        tenant_=None,
        tags=(),
    ) -> Audience:
        owner = tenant_ or tenant
        if start is None:
            date_range = {"all": True}
        else:
            date_range = {"start": start.isoformat(), "end": "most_recent" if most_recent else end.isoformat()}
        audience = standard.create(
            account=owner.account,
            acting_user=by or owner.marketer,
            name=name,
            workspace_ids=[owner.workspace.pk],
            input_ids=[owner.input.pk],
            definition=definition,
            date_range=date_range,
            tags=tags,
        )
        if state != StandardState.DRAFT:
            now = timezone.now()
            calculated = now - dt.timedelta(days=31 if state == StandardState.EXPIRED else 1)
            Audience.objects.filter(pk=audience.pk).update(
                standard_state=state,
                size=size,
                calculation_progress=0.4 if state == StandardState.CALCULATING else 1.0,
                calculated_at=None if state == StandardState.CALCULATING else calculated,
                expires_at=None if state == StandardState.CALCULATING else calculated + dt.timedelta(days=30),
            )
            audience.refresh_from_db()
        return audience

    return make


@pytest.fixture
def grant(tenant):
    def give(amount: int, *, account=None, by=None) -> None:
        standard.grant_credits(account or tenant.account, amount, acting_user=by or tenant.admin, note="test")

    return give
