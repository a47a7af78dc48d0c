"""Audience list metrics: size, adds and drops in the last 24 hours, volatility.

Adds and drops come from the change log through its (audience, at) index. They are computed
inside the list query itself (correlated subqueries), so a page of audiences costs the same
number of queries for 5 audiences or 500, and the columns can be sorted on.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, Count, F, FloatField, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from audiences.models import Audience, MembershipChange

WINDOW = dt.timedelta(hours=24)


def _recent_count(since: dt.datetime, *, added: bool) -> Coalesce:
    changes = (
        MembershipChange.objects.filter(audience=OuterRef("pk"), at__gte=since, added=added)
        .order_by()
        .values("audience")
        .annotate(n=Count("seq"))
        .values("n")
    )
    return Coalesce(Subquery(changes, output_field=IntegerField()), Value(0))


def _connected_outputs() -> Coalesce | Value:
    """Outputs the audience (or one of its variations) is connected to.

    Connections live in the `connections` app, which depends on this one and not the other
    way round: reach them through the reverse relation, without importing that app."""
    try:
        connection_model = Audience._meta.get_field("connections").related_model
    except FieldDoesNotExist:
        return Value(0, output_field=IntegerField())
    outputs = (
        connection_model.objects.filter(audience=OuterRef("pk"))
        .order_by()
        .values("audience")
        .annotate(n=Count("output_configuration", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(outputs, output_field=IntegerField()), Value(0))


def with_connected_outputs(audiences: QuerySet[Audience]) -> QuerySet[Audience]:
    """Annotate `connected_outputs` only (standard audiences have no adds and drops to count)."""
    return audiences.annotate(connected_outputs=_connected_outputs())


def with_metrics(audiences: QuerySet[Audience], now: dt.datetime | None = None) -> QuerySet[Audience]:
    """Annotate `adds_24h`, `drops_24h`, `volatility` (null for an empty audience) and
    `connected_outputs`."""
    since = (now or timezone.now()) - WINDOW
    return audiences.annotate(
        adds_24h=_recent_count(since, added=True),
        drops_24h=_recent_count(since, added=False),
        connected_outputs=_connected_outputs(),
    ).annotate(
        volatility=Case(
            When(size__gt=0, then=Cast(F("adds_24h") + F("drops_24h"), FloatField()) / Cast(F("size"), FloatField())),
            default=None,
            output_field=FloatField(),
        )
    )
